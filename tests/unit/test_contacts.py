"""Contacts: emails and UK mobiles are checked and normalised."""

import pytest

from engine.errors import InputError
from engine.service import parse_contacts


def test_a_uk_mobile_is_stored_in_international_form():
    contacts = parse_contacts({"parent": {"name": "Jo", "mobile": "07700 900123"}})
    assert contacts["parent"].mobile == "+447700900123"


@pytest.mark.parametrize(
    ("mobile", "reason"),
    [
        ("02079460000", "is not a UK mobile number"),
        ("12345", "is not a valid UK phone number"),
        ("+33612345678", "is not a valid UK phone number"),
    ],
)
def test_a_number_that_is_not_a_uk_mobile_is_refused_naming_the_field(mobile, reason):
    with pytest.raises(InputError, match=f"contacts.parent.mobile: '.*' {reason}"):
        parse_contacts({"parent": {"name": "Jo", "mobile": mobile}})


def test_an_invalid_email_is_refused_naming_the_field():
    with pytest.raises(InputError, match=r"contacts\.social_worker\.email: 'sam@' is not a valid"):
        parse_contacts({"social_worker": {"name": "Sam", "email": "sam@"}})


def test_an_unknown_role_is_refused():
    with pytest.raises(InputError, match=r"contacts\.uncle: unknown role"):
        parse_contacts({"uncle": {"name": "Bob"}})
