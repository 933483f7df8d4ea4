"""Contacts and their validation: names, emails and UK mobiles."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, field_validator

ROLES = (
    "social_worker",
    "team_manager",
    "business_support",
    "worker",
    "parent",
    "carer",
    "child",
    "young_person",
    "manager",
    "team_leader",
    "iro",
    "health_visitor",
    "midwife",
    "health_team_leader",
    "referrer",
    "officer",
    "therapist",
    "lead_practitioner",
    "practitioner",
    "duty_worker",
    "supervisor",
    "family_time_worker",
    "group_lead",
    "identifying_worker",
    "police",
)

# Ofcom reserves 07700 900000-900999 for fiction; phonenumbers calls them invalid,
# but scenarios, demos and training data use them so that nobody real is texted.
OFCOM_DRAMA_MOBILES = "+447700900"


@lru_cache(maxsize=4096)  # the same people recur on every event
def normalise_email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"{value!r} is not a valid email address ({error})") from None


@lru_cache(maxsize=4096)
def normalise_uk_mobile(value: str) -> str:
    """Return the mobile in E.164 (+447...), or refuse anything but a UK mobile."""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        raise ValueError(f"{value!r} is not a phone number") from None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if e164.startswith(OFCOM_DRAMA_MOBILES) and len(e164) == 13:
        return e164
    if not phonenumbers.is_valid_number(number) or number.country_code != 44:
        raise ValueError(f"{value!r} is not a valid UK phone number")
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        raise ValueError(f"{value!r} is not a UK mobile number")
    return e164


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    email: str | None = None
    mobile: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a name is required")
        return value.strip()

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalise_email(value) if value else None

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, value: str | None) -> str | None:
        return normalise_uk_mobile(value) if value else None
