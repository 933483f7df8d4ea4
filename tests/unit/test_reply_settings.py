"""The sender's name, the teams' reply-to mailboxes and the case links are
configuration; a bad value is refused naming the variable (issue 8, item 7)."""

import pytest
from pydantic import ValidationError

from familyflow.settings import Settings


def test_texts_and_emails_are_not_signed_familyflow_by_default():
    assert Settings().service_name == "Children's Services"


def test_each_teams_reply_to_mailbox_is_read_from_json():
    settings = Settings(
        team_reply_to='{"Parenting": "parenting@northshire.gov.uk"}',  # as the variable holds it
        base_url="https://familyflow.northshire.gov.uk/",
    )
    assert settings.team_reply_to == {"Parenting": "parenting@northshire.gov.uk"}
    assert settings.base_url == "https://familyflow.northshire.gov.uk"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"team_reply_to": {"Parenting": "not an address"}}, "Parenting: 'not an address'"),
        ({"notify_team_reply_to_ids": {"Parenting": "x"}}, "not a Notify reply-to id"),
        (
            {"notify_team_reply_to_ids": {"Parenting": "8e222534-7f05-4972-86e3-17c5d9f894e2"}},
            "names Parenting, which FAMILYFLOW_TEAM_REPLY_TO gives no address",
        ),
        (
            {
                "email_transport": "notify",
                "notify_api_key": "k",
                "notify_email_template_id": "e",
                "notify_sms_template_id": "s",
                "team_reply_to": {"Parenting": "parenting@northshire.gov.uk"},
            },
            "needs a reply-to id for Parenting",
        ),
        ({"base_url": "familyflow.example"}, "is not like https://"),
        ({"service_name": ""}, "service_name"),
    ],
)
def test_a_bad_reply_setting_is_refused_with_its_reason(values: dict[str, object], message: str):
    with pytest.raises(ValidationError, match=message):
        Settings(**values)
