"""Settings refuse what they do not know (issue 7), and secrets stay secret."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from familyflow.settings import Settings


def test_an_unknown_timescale_key_stops_start_up_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAMILYFLOW_TIMESCALES", '{"PAR-05": "7 working_days", "PAR-99": "1 weeks"}')
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert "unknown timescale 'PAR-99'; known timescales: " in str(refused.value)
    assert "PAR-05" in str(refused.value)


def test_an_unknown_agenda_key_stops_start_up_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAMILYFLOW_AGENDA_TIMES", '{"parenting_tusday": "tue 08:00"}')
    with pytest.raises(ValidationError, match="unknown agenda 'parenting_tusday'"):
        Settings()


def test_known_keys_are_accepted() -> None:
    settings = Settings(
        timescales={"PAR-05": "7 working_days"}, agenda_times={"parenting_tuesday": "tue 08:00"}
    )
    assert settings.timescale_overrides()["PAR-05"].amount == 7


def test_secrets_are_secret_strings_that_never_print(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAMILYFLOW_SMTP_PASSWORD", "smtp-hunter2")
    monkeypatch.setenv("FAMILYFLOW_NOTIFY_API_KEY", "notify-hunter2")
    monkeypatch.setenv("FAMILYFLOW_NOTIFY_CALLBACK_TOKEN", "callback-hunter2")
    settings = Settings()
    secrets = (settings.smtp_password, settings.notify_api_key, settings.notify_callback_token)
    assert all(isinstance(s, SecretStr) for s in secrets)
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.model_dump())
    assert [s.get_secret_value() for s in secrets if s] == [
        "smtp-hunter2",
        "notify-hunter2",
        "callback-hunter2",
    ]


@pytest.mark.parametrize("value", ["0", "-1", "61", "five"])
def test_the_sms_undo_window_refuses_minutes_that_make_no_sense(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("FAMILYFLOW_SMS_UNDO_MINUTES", value)
    with pytest.raises(ValidationError, match="sms_undo_minutes"):
        Settings()


def test_the_sms_undo_window_is_five_minutes_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().sms_undo_minutes == 5
    monkeypatch.setenv("FAMILYFLOW_SMS_UNDO_MINUTES", "10")
    assert Settings().sms_undo_minutes == 10
