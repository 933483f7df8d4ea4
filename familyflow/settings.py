"""All configuration, from FAMILYFLOW_* environment variables; bad values are refused."""

from __future__ import annotations

import json
import re
import uuid
from datetime import time
from pathlib import Path
from typing import Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine.calendar import NATIONS
from workflows.spec import Duration

DEFAULT_SERVICE_NAME = "Children's Services"
_DURATION = re.compile(r"^\s*(\d+)\s+(calendar_days|working_days|weeks|calendar_months|hours)\s*$")
_SLOT = re.compile(r"^\s*(mon|tue|wed|thu|fri|sat|sun|\*)\s+([01]\d|2[0-3]):([0-5]\d)\s*$")


def _timescale_keys() -> list[str]:
    from workflows import all_processes

    return [t.key for p in all_processes().values() for t in p.timescales]


def _agenda_keys() -> list[str]:
    from workflows import all_processes

    return [a.key for p in all_processes().values() for a in p.agendas]


def _known(value: dict[str, str], known: list[str], *, what: str) -> None:
    """A misspelt key would otherwise be ignored and the default kept, silently."""
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ValueError(
            f"unknown {what} {', '.join(map(repr, unknown))}; known {what}s: {', '.join(known)}"
        )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FAMILYFLOW_", extra="ignore")

    database_url: str = "sqlite:///familyflow.db"
    nation: str = "england"
    email_transport: Literal["file", "smtp", "notify"] = "file"
    sms_transport: Literal["file", "notify"] = "file"
    outbox_dir: Path = Path("outbox")
    smtp_host: str = "localhost"
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_sender: str = "familyflow@localhost"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    notify_api_key: SecretStr | None = None
    notify_base_url: str = "https://api.notifications.service.gov.uk"
    notify_email_template_id: str | None = None
    notify_sms_template_id: str | None = None
    quiet_hours_start: time = time(20, 0)
    quiet_hours_end: time = time(8, 0)
    working_day_starts: time = time(9, 0)
    tick_seconds: int = Field(30, ge=1, le=3600)
    outbox_seconds: int = Field(15, ge=1, le=3600)
    batch_size: int = Field(500, ge=1, le=10_000)
    late_after_minutes: int = Field(5, ge=0)
    max_attempts: int = Field(8, ge=1, le=50)
    # A claimed message is another instance's to retry once its lease runs out; the
    # lease is renewed before each send, and no send may outlast a third of it.
    outbox_lease_seconds: int = Field(300, ge=3, le=24 * 3600)
    smtp_timeout_seconds: float = Field(10.0, gt=0, le=600)
    notify_timeout_seconds: float = Field(10.0, gt=0, le=600)
    max_event_data_bytes: int = Field(
        64 * 1024, ge=1024, description="largest event data accepted, as JSON"
    )
    max_note_chars: int = Field(20_000, ge=1, description="longest case note accepted")
    # A missed session (PAR-12) can be undone for this long; its text waits as long.
    sms_undo_minutes: int = Field(
        5, ge=1, le=60, description="minutes a missed session's text waits and can be undone"
    )
    timescales: dict[str, str] = Field(
        default_factory=dict, description='JSON: {"PAR-05": "7 working_days"}'
    )
    agenda_times: dict[str, str] = Field(
        default_factory=dict, description='JSON: {"parenting_tuesday": "tue 08:00"}'
    )
    mailing_lists: dict[str, list[str]] = Field(
        default_factory=dict, description='JSON: {"family_therapy_panel": ["panel@council.gov.uk"]}'
    )
    log_json: bool | None = None
    # Signs every text and email: the council's name for the service, which parents know.
    service_name: str = Field(DEFAULT_SERVICE_NAME, min_length=1, max_length=60)
    # Replies go to the mailbox of the team that owns the case (Reply-To over SMTP).
    team_reply_to: dict[str, str] = Field(
        default_factory=dict, description='JSON: {"Parenting": "parenting@council.gov.uk"}'
    )
    # Notify sends Reply-To only as one of the service's registered reply-to ids.
    notify_team_reply_to_ids: dict[str, str] = Field(
        default_factory=dict, description='JSON: {"Parenting": "<Notify reply-to id>"}'
    )
    # Where people reach the web service; emails to professionals link to the case page.
    base_url: str | None = Field(None, description="e.g. https://familyflow.council.gov.uk")
    # How often the received texts (parents' replies) are read from Notify.
    replies_seconds: int = Field(60, ge=5, le=3600)
    # The web service (familyflow serve): address, sign-in and integrations.
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    secret_key: SecretStr | None = Field(
        None, description="signs session cookies and CSRF tokens; random per start if unset"
    )
    cookie_secure: bool = True  # off only for plain-http tests
    session_hours: int = Field(12, ge=1, le=24 * 30)
    # Failed sign-ins (familyflow/throttle.py): this many are free, then an address
    # waits longer each time, up to lockout_minutes; an account, at most this long.
    lockout_attempts: int = Field(5, ge=1, le=100)
    lockout_minutes: int = Field(15, ge=1, le=24 * 60)
    sign_in_account_delay_seconds: int = Field(30, ge=1, le=3600)
    max_body_bytes: int = Field(1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    notify_callback_token: SecretStr | None = Field(
        None, description="the bearer token GOV.UK Notify sends with delivery receipts"
    )
    metrics_token: SecretStr | None = Field(
        None, description="when set, GET /metrics asks for it as a bearer token"
    )

    @field_validator("nation")
    @classmethod
    def _nation(cls, value: str) -> str:
        if value not in NATIONS:
            raise ValueError(f"must be one of {', '.join(NATIONS)}")
        return value

    @field_validator(
        "timescales",
        "agenda_times",
        "mailing_lists",
        "team_reply_to",
        "notify_team_reply_to_ids",
        mode="before",
    )
    @classmethod
    def _json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    @field_validator("timescales")
    @classmethod
    def _durations(cls, value: dict[str, str]) -> dict[str, str]:
        _known(value, _timescale_keys(), what="timescale")
        for key, text in value.items():
            if not _DURATION.match(text):
                raise ValueError(f"{key}: {text!r} is not like '5 working_days'")
        return value

    @field_validator("agenda_times")
    @classmethod
    def _slots(cls, value: dict[str, str]) -> dict[str, str]:
        _known(value, _agenda_keys(), what="agenda")
        for key, text in value.items():
            if not _SLOT.match(text):
                raise ValueError(f"{key}: {text!r} is not like 'tue 08:00'")
        return value

    @field_validator("team_reply_to")
    @classmethod
    def _reply_to(cls, value: dict[str, str]) -> dict[str, str]:
        for team, address in value.items():
            try:
                validate_email(address, check_deliverability=False)
            except EmailNotValidError as error:
                raise ValueError(f"{team}: {address!r} is not an email address ({error})") from None
        return value

    @field_validator("notify_team_reply_to_ids")
    @classmethod
    def _reply_to_ids(cls, value: dict[str, str]) -> dict[str, str]:
        for team, reply_to_id in value.items():
            try:
                uuid.UUID(reply_to_id)
            except ValueError:
                raise ValueError(f"{team}: {reply_to_id!r} is not a Notify reply-to id") from None
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"{value!r} is not like https://familyflow.council.gov.uk")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _notify_complete(self) -> Settings:
        if "notify" in (self.email_transport, self.sms_transport):
            missing = [
                name
                for name in ("notify_api_key", "notify_email_template_id", "notify_sms_template_id")
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(f"the notify transport needs {', '.join(missing)}")
        return self

    @model_validator(mode="after")
    def _reply_to_ids_have_addresses(self) -> Settings:
        unknown = sorted(set(self.notify_team_reply_to_ids) - set(self.team_reply_to))
        if unknown:
            raise ValueError(
                f"notify_team_reply_to_ids names {', '.join(unknown)}, which "
                "FAMILYFLOW_TEAM_REPLY_TO gives no address"
            )
        # Notify sets Reply-To only from an id: without one the team's replies go astray.
        missing = sorted(set(self.team_reply_to) - set(self.notify_team_reply_to_ids))
        if self.email_transport == "notify" and missing:
            raise ValueError(
                f"emails go by Notify, so FAMILYFLOW_NOTIFY_TEAM_REPLY_TO_IDS needs a reply-to "
                f"id for {', '.join(missing)}"
            )
        return self

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> Settings:
        longest = max(self.smtp_timeout_seconds, self.notify_timeout_seconds)
        if self.outbox_lease_seconds < 3 * longest:
            raise ValueError(
                f"outbox_lease_seconds ({self.outbox_lease_seconds}) must be at least three "
                f"times the longest transport timeout ({longest:g} s), so that a slow send "
                "never outlives its claim"
            )
        return self

    def timescale_overrides(self) -> dict[str, Duration]:
        overrides = {}
        for key, text in self.timescales.items():
            match = _DURATION.match(text)
            assert match
            overrides[key] = Duration(amount=int(match[1]), unit=match[2])  # type: ignore[arg-type]
        return overrides

    def agenda_slot(self, key: str) -> tuple[str, str] | None:
        match = _SLOT.match(self.agenda_times.get(key, ""))
        return (match[1], f"{match[2]}:{match[3]}") if match else None
