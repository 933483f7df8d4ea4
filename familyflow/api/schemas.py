"""Request and response models: what the API accepts and returns, for OpenAPI."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from engine.clock import LONDON
from familyflow.accounts import ROLES

Role = Literal["business_support", "worker", "social_worker", "team_manager", "admin"]
assert set(ROLES) == set(Role.__args__)  # type: ignore[attr-defined]

MAX_ID = 2**31 - 1
NO_NUL = r"^[^\x00]*$"
NOTE_MAX_CHARS = 20_000  # on every entrance: the API here, the web form (web/cases.py)


def _storable(value: Any, where: str = "value") -> Any:
    """JSON the databases can store: no NUL characters, no NaN or infinity."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{where} contains a NUL character")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where} is not a finite number")
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable(key, where)
            _storable(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _storable(item, f"{where}.{index}")
    return value


def _in_range(value: datetime) -> datetime:
    """Between 1900 and 2999; without an offset it is London time (stored as UTC)."""
    if not 1900 <= value.year <= 2999:
        raise ValueError("must be between the years 1900 and 2999")
    if value.tzinfo is None:
        value = value.replace(tzinfo=LONDON)
    return value.astimezone(UTC)


JsonData = Annotated[dict[str, Any], AfterValidator(_storable)]
When = Annotated[datetime, AfterValidator(_in_range)]
Text = Annotated[str, Field(pattern=NO_NUL, max_length=10_000)]
Name = Annotated[str, Field(pattern=NO_NUL, min_length=1, max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
    allowed: list[str] | None = Field(None, description="triggers allowed in the case's state")
    allowed_roles: list[str] | None = None


class FieldError(BaseModel):
    field: str
    reason: str


# -- cases ---------------------------------------------------------------------------


class ContactIn(_In):
    name: Name
    email: Annotated[str, Field(pattern=NO_NUL, max_length=320)] | None = None
    mobile: Annotated[str, Field(pattern=NO_NUL, max_length=40)] | None = None


class CaseCreate(_In):
    process: Name
    received_at: When = Field(description="when the referral was received; no offset: London")
    data: JsonData = Field(default_factory=dict)
    contacts: dict[Annotated[str, Field(pattern=NO_NUL, max_length=100)], ContactIn] = Field(
        default_factory=dict, description="by role, e.g. social_worker"
    )
    team: Name | None = Field(None, description="default: your own team")


class EventIn(_In):
    trigger: Name
    data: JsonData = Field(default_factory=dict)
    at: When | None = Field(None, description="when it happened (default now)")
    version: Annotated[int, Field(ge=1, le=MAX_ID)] | None = Field(
        None, description="the version you read; a stale one is refused with 409"
    )


class NoteIn(_In):
    text: Annotated[str, Field(pattern=NO_NUL, min_length=1, max_length=NOTE_MAX_CHARS)]
    kind: Annotated[str, Field(pattern=r"^[a-z_]{1,50}$")] = "general"
    at: When | None = None


class ContactOut(BaseModel):
    role: str
    name: str
    email: str | None
    mobile: str | None
    flagged: str | None = Field(None, description="why messages to this detail bounce")


class DeadlineOut(BaseModel):
    timescale: str
    rule: str
    kind: str
    status: str
    due_at: datetime


class LinkOut(BaseModel):
    kind: str
    rule: str | None
    direction: Literal["to", "from"]
    case_id: int


class MessageOut(BaseModel):
    id: int
    case_id: int | None
    medium: str
    template: str
    rule: str
    to_role: str | None
    to_name: str | None
    to_address: str
    cc: list[str]
    subject: str | None
    body: str
    status: str = Field(
        description="needs_review (a text to shorten), queued, sending, sent, delivered or failed"
    )
    delivery_status: str | None = Field(None, description="the provider's last receipt")
    attempts: int
    created_at: datetime
    not_before: datetime
    sent_at: datetime | None
    last_error: str | None


class CaseSummary(BaseModel):
    id: int
    reference: str
    process: str
    state: str
    team: str | None
    version: int
    received_at: datetime
    closed_at: datetime | None
    overdue: bool
    next_due_at: datetime | None


class CaseList(BaseModel):
    items: list[CaseSummary]
    total: int
    limit: int
    offset: int


class CaseDetail(BaseModel):
    id: int
    reference: str
    process: str
    state: str
    version: int
    team: str | None
    data: dict[str, Any]
    received_at: datetime
    closed_at: datetime | None
    allowed_triggers: list[str]
    contacts: list[ContactOut]
    deadlines: list[DeadlineOut]
    links: list[LinkOut]
    signs_of_safety: list[dict[str, Any]]
    history: list[dict[str, Any]] = Field(description="the timeline (reads are not in it)")
    messages: list[MessageOut]


class EventResult(BaseModel):
    id: int
    reference: str
    state: str
    version: int
    allowed_triggers: list[str]


class AuditOut(BaseModel):
    id: int
    case_id: int | None
    kind: str
    actor: str
    actor_role: str | None
    occurred_at: datetime
    recorded_at: datetime
    rule: str | None
    reason: str | None
    trigger: str | None
    from_state: str | None
    to_state: str | None
    detail: dict[str, Any]


# -- processes and rules ---------------------------------------------------------------


class ProcessSummary(BaseModel):
    name: str
    title: str
    source: str
    states: list[str]


class TriggerOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    trigger: str
    from_: list[str] = Field(alias="from")
    to: str | None
    roles: list[str]
    rule: str
    description: str


class TimescaleOut(BaseModel):
    key: str
    rule: str
    description: str
    within: str
    starts_on: list[str]
    met_by: list[str]
    remind_before: str | None


class AgendaOut(BaseModel):
    key: str
    rules: list[str]
    when: str


class ProcessDetail(ProcessSummary):
    initial: str
    final_states: list[str]
    triggers: list[TriggerOut]
    timescales: list[TimescaleOut]
    agendas: list[AgendaOut]
    rules: dict[str, str]
    mermaid: str


class Diagram(BaseModel):
    name: str
    mermaid: str


class RuleCoverage(BaseModel):
    id: str
    rule: str
    how: str
    what: str
    process: str | None
    definition: str | None
    templates: list[str]
    tests: list[str]
    scenarios: list[str]


# -- deadlines, messages, contacts --------------------------------------------------------


class DueDeadline(BaseModel):
    id: int
    case_id: int
    reference: str
    process: str
    team: str | None
    state: str
    timescale: str
    rule: str
    due_at: datetime
    overdue: bool


class FlaggedContact(BaseModel):
    id: int
    case_id: int
    reference: str
    role: str
    name: str
    email: str | None
    mobile: str | None
    flagged: str


class NotifyReceipt(BaseModel):
    """GOV.UK Notify's delivery receipt (other fields it sends are ignored)."""

    id: Annotated[str, Field(pattern=NO_NUL, max_length=100)]
    reference: Annotated[str, Field(pattern=NO_NUL, max_length=200)] | None = None
    status: Literal["delivered", "permanent-failure", "temporary-failure", "technical-failure"]
    to: Annotated[str, Field(pattern=NO_NUL, max_length=320)] | None = None
    notification_type: Literal["email", "sms", "letter"] | None = None


# -- people and tokens -------------------------------------------------------------------


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: str
    team: str | None
    manager_email: str | None
    part_time: bool
    caseload_limit: int = Field(description="20 full time, 10 part time")
    active: bool


class UserCreate(_In):
    email: Annotated[str, Field(pattern=NO_NUL, max_length=320)]
    name: Name
    role: Role
    team: Name | None = None
    manager_email: Annotated[str, Field(pattern=NO_NUL, max_length=320)] | None = None
    part_time: bool = False
    password: Annotated[str, Field(pattern=NO_NUL, min_length=10, max_length=200)] | None = None


class UserUpdate(_In):
    name: Name | None = None
    role: Role | None = None
    team: Name | None = None
    manager_email: Annotated[str, Field(pattern=NO_NUL, max_length=320)] | None = None
    part_time: bool | None = None
    active: bool | None = None
    password: Annotated[str, Field(pattern=NO_NUL, min_length=10, max_length=200)] | None = None


class Me(BaseModel):
    user: UserOut
    teams: list[str] | None = Field(description="whose cases you see; null: every case")
    signed_in_with: Literal["session", "token"]
    csrf_token: str | None = Field(None, description="send as X-CSRF-Token with a session")


class TokenCreate(_In):
    name: Name


class TokenOut(BaseModel):
    id: int
    name: str
    email: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(BaseModel):
    id: int
    name: str
    token: str = Field(description="shown once; only its hash is kept")


# -- calendar --------------------------------------------------------------------------


class ClosureDayIn(_In):
    day: date
    description: Name


class ClosureDayOut(BaseModel):
    day: date
    description: str


class BankHoliday(BaseModel):
    day: date
    name: str


class CalendarOut(BaseModel):
    nation: str
    year: int
    bank_holidays: list[BankHoliday]
    closure_days: list[ClosureDayOut]


# -- reports ---------------------------------------------------------------------------


class Share(BaseModel):
    timescales: list[str]
    met: int
    total: int
    share: float | None


class TimelinessRow(BaseModel):
    rule: str
    process: str
    month: str
    expectation: Share
    maximum: Share


class CaseloadRow(BaseModel):
    email: str
    name: str
    role: str
    team: str | None
    part_time: bool
    open_cases: int
    limit: int
    over_limit: bool


class OpenBand(BaseModel):
    months: int
    count: int
    case_ids: list[int]


class OpenDurations(BaseModel):
    open_cases: int
    bands: list[OpenBand]


class MissedSessionsRow(BaseModel):
    group: str
    process: str
    sessions_recorded: int
    missed: int
    families_with_misses: int


Problem.model_rebuild()
