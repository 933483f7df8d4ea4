"""The vocabulary of a process definition.

A definition is data: states, triggers with the roles that may fire them,
guards, messages and timescales, each citing the rule it implements. Nothing
here touches a database, a scheduler or a mail server; the engine reads these
objects and does the I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict


def _instant(value: datetime) -> datetime:
    """A time without an offset is London time, as everywhere in FamilyFlow."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("Europe/London"))
    return value.astimezone(UTC)


def said(moment: datetime | str) -> str:
    """A session's start as people read it in a refusal: '2 March 2027 at 10:00' (London
    time). Text that is not a time is said as it is."""
    try:
        when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    except ValueError:
        return str(moment)
    local = when.astimezone(ZoneInfo("Europe/London"))
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


# A date-time in trigger data: offsets optional, stored in UTC so equal instants compare equal.
Instant = Annotated[datetime, AfterValidator(_instant)]

Unit = Literal["calendar_days", "working_days", "weeks", "calendar_months", "hours"]
# What an agenda does when its day is not a working day (a bank holiday or closure day).
NonWorkingDay = Literal["next_working_day", "skip"]
Medium = Literal["email", "sms"]
ANY_STATE = "*"
CREATED = "__created__"  # pseudo-trigger: the case was created


@dataclass(frozen=True, kw_only=True)
class Message:
    """One message to queue. `to` and `cc` are contact roles on the case; every
    contact in a cc role is copied, and `to_each` sends one to every contact in `to`
    (several officers) instead of the first."""

    template: str
    to: str
    rule: str
    medium: Medium = "email"
    cc: tuple[str, ...] = ()
    to_each: bool = False


@dataclass(frozen=True, kw_only=True)
class Note:
    """A case note written by the service itself."""

    text: str
    rule: str
    kind: str = "system"


@dataclass(frozen=True, kw_only=True)
class Fire:
    """Fire a trigger on the case as the system (for example, auto-close)."""

    trigger: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Link:
    """Create a linked case in another process (IR-06, SA step-down, U5 to home visits).

    `contacts` maps a role on this case to the role it takes on the new case;
    `data` names fields of this case's data to copy across.
    """

    process: str
    kind: str
    rule: str
    contacts: Mapping[str, str] = field(default_factory=dict)
    data: tuple[str, ...] = ()


Effect = Message | Note | Fire | Link


@dataclass(frozen=True, kw_only=True)
class Duration:
    amount: int
    unit: Unit

    def describe(self) -> str:
        unit = self.unit.replace("_", " ")
        return f"{self.amount} {unit.removesuffix('s') if self.amount == 1 else unit}"


@dataclass(frozen=True, kw_only=True)
class Timescale:
    """A deadline the service keeps, started and met by triggers.

    Due at the end of the `within`th day after the starting event (day 0), the same
    day of the month `within` calendar months later (clamped to the month's end), or
    exactly `within` hours later; or, with `due_field`, at the instant held in the case's
    data (a meeting's start). `met_by` closes it as met; reaching a final state cancels
    it; starting it again replaces the open one.
    """

    key: str
    rule: str
    description: str
    starts_on: tuple[str, ...]
    met_by: tuple[str, ...]
    within: Duration
    on_due: tuple[Effect, ...] = ()
    remind_before: Duration | None = None
    on_reminder: tuple[Effect, ...] = ()
    anchor_field: str | None = None  # a data field holding the start instant
    # A data field (dotted for nested data, e.g. "review.meeting_at") holding the instant the
    # timescale falls due; `within` stays the length used when the field is empty.
    due_field: str | None = None
    # Optional pure functions of the case: does the timescale apply at all (e.g. not
    # for DARTs), and does the case's data set its length (e.g. CP plan vs child in need)?
    applies: Callable[[CaseView], bool] | None = None
    within_for: Callable[[CaseView], Duration | None] | None = None

    def with_within(self, within: Duration) -> Timescale:
        return replace(self, within=within)


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What a trigger did, computed by a pure effect function."""

    effects: tuple[Effect, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseView:
    """The read-only facts a guard or effect may look at."""

    case_id: int
    process: str
    state: str
    data: Mapping[str, Any]
    contacts: Mapping[str, Mapping[str, Any]]
    received_at: datetime
    breached: frozenset[str] = frozenset()  # timescales that fell due unmet
    contact_lists: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)


class TriggerData(BaseModel):
    """Base of every trigger's data model: unknown fields are refused by name.

    A trigger that takes no data uses this class itself, so that nothing sent
    with it can reach the case's data or contacts unchecked."""

    model_config = ConfigDict(extra="forbid")


Guard = Callable[[CaseView, Mapping[str, Any]], str | None]
EffectFn = Callable[[CaseView, Mapping[str, Any], datetime], Outcome]


@dataclass(frozen=True, kw_only=True)
class Transition:
    """One way a trigger moves a case. Several may share a trigger: the first
    whose guards pass wins, as in `transitions`."""

    trigger: str
    source: tuple[str, ...]
    dest: str | None  # None: an internal transition, the state stays
    roles: frozenset[str]
    rule: str
    description: str = ""
    data_model: type[TriggerData] = TriggerData
    guards: tuple[Guard, ...] = ()
    effects: tuple[Effect, ...] = ()
    effect: EffectFn | None = None
    note_kind: str | None = None  # for `add_note`: which note meets which timescale
    # The event can be taken back within the service's undo window (a miss clicked by
    # mistake); its messages wait for the window to pass, so an undo leaves nothing sent.
    undoable: bool = False
    # A data field holding the instant the thing recorded happens (a session's start):
    # the event is refused before it, so nothing is recorded about what has not happened.
    happens_at_field: str | None = None


@dataclass(frozen=True, kw_only=True)
class AgendaSection:
    """Cases to list on an agenda, picked by plain criteria the engine evaluates."""

    key: str
    title: str
    state_in: tuple[str, ...] = ()
    created_since_last_run: bool = False
    closed_since_last_run: bool = False
    data_equals: Mapping[str, Any] = field(default_factory=dict)
    where: Callable[[CaseView], bool] | None = None  # any further pure test of the case


@dataclass(frozen=True, kw_only=True)
class Agenda:
    """A scheduled email to each manager of the process's open cases."""

    key: str
    rules: tuple[str, ...]
    template: str
    to: str
    day_of_week: str  # cron style: mon..sun, mon-fri, or "*" for daily
    time: str  # HH:MM local
    sections: tuple[AgendaSection, ...]
    day: str = "*"  # cron day of month, e.g. "1st mon" for the first Monday
    # A meeting whose members are not case contacts (a panel, a locality meeting):
    # the addresses come from FAMILYFLOW_MAILING_LISTS under this agenda's key.
    mailing_list: bool = False
    send_when_empty: bool = False
    # On a day that is not a working day: None takes the default, `skip` for daily lists
    # (the next day's list covers it), `next_working_day` for weekly and monthly meetings.
    non_working_day: NonWorkingDay | None = None

    @property
    def daily(self) -> bool:
        return self.day == "*" and self.day_of_week in ("*", "mon-fri")

    @property
    def on_non_working_day(self) -> NonWorkingDay:
        if self.non_working_day is not None:
            return self.non_working_day
        return "skip" if self.daily else "next_working_day"


# Roles come from people's accounts (one door), but a procedure names its own roles:
# Edge of Care's "manager", Family Time's "family time worker", the assessment's "lead
# practitioner". Each is held by these account roles. A role not named here is held only
# by the account role of the same name; partner agencies (health visitor, midwife, IRO)
# have no accounts, so business support records what they did. A process may override.
ACCOUNT_HOLDERS: Mapping[str, frozenset[str]] = {
    "manager": frozenset({"team_manager"}),
    "officer": frozenset({"worker"}),
    "family_time_worker": frozenset({"worker"}),
    "therapist": frozenset({"worker"}),
    "identifying_worker": frozenset({"worker", "social_worker"}),
    "group_lead": frozenset({"worker"}),
    "duty_worker": frozenset({"worker", "social_worker"}),
    "lead_practitioner": frozenset({"social_worker"}),
}


@dataclass(frozen=True, kw_only=True)
class Process:
    name: str
    code: str  # short prefix for case references, e.g. PAR-000123
    title: str
    source: str
    initial: str
    states: tuple[str, ...]
    final_states: frozenset[str]
    transitions: tuple[Transition, ...]
    timescales: tuple[Timescale, ...] = ()
    on_create: tuple[Effect, ...] = ()
    agendas: tuple[Agenda, ...] = ()
    contact_roles: tuple[str, ...] = ()
    rules: Mapping[str, str] = field(default_factory=dict)  # rule id -> how the service meets it
    tracks_breaches: bool = False  # guards read CaseView.breached (costs a query per event)
    caseload_role: str | None = None  # allocation to this role checks the caseload (EH-11.3)
    # Note kinds that meet a timescale only when written by one of these account roles
    # (management oversight is a manager's act: PAR-06, EH-11.1). A note of the kind by
    # anyone else is kept, but meets nothing. Kinds not named here: anyone's note counts.
    note_met_by_roles: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Which account roles hold each of this process's roles (see ACCOUNT_HOLDERS).
    account_holders: Mapping[str, frozenset[str]] = field(default_factory=lambda: ACCOUNT_HOLDERS)

    def roles_held_by(self, account_role: str | None) -> frozenset[str]:
        """The process roles a person acts in: their account's role, and each process
        role that account role holds (a team manager is Edge of Care's manager)."""
        if account_role is None:
            return frozenset()
        held = {r for r, holders in self.account_holders.items() if account_role in holders}
        return frozenset({account_role, *held})

    @property
    def triggers(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for transition in self.transitions:
            seen.setdefault(transition.trigger, None)
        return tuple(seen)

    def transitions_for(self, trigger: str) -> tuple[Transition, ...]:
        return tuple(t for t in self.transitions if t.trigger == trigger)

    def allowed_triggers(self, state: str) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys(
                t.trigger
                for t in self.transitions
                if ANY_STATE in t.source or state in t.source
                if not (ANY_STATE in t.source and state in self.final_states)
            )
        )

    def note_meets(self, kind: str, role: str | None) -> bool:
        """Whether a note of this kind, written with this role, meets its timescales."""
        allowed = self.note_met_by_roles.get(kind)
        return allowed is None or role in allowed or bool(self.roles_held_by(role) & allowed)

    def timescale(self, key: str) -> Timescale:
        for timescale in self.timescales:
            if timescale.key == key:
                return timescale
        raise KeyError(key)

    def with_timescales(self, overrides: Mapping[str, Duration]) -> Process:
        """Timescales are configuration: a local authority may change any of them."""
        return replace(
            self,
            timescales=tuple(
                t.with_within(overrides[t.key]) if t.key in overrides else t
                for t in self.timescales
            ),
        )


def transition(
    trigger: str,
    source: str | tuple[str, ...],
    dest: str | None,
    roles: tuple[str, ...],
    rule: str,
    description: str,
    **extra: Any,
) -> Transition:
    """A Transition written the short way round, as the definitions list them."""
    return Transition(
        trigger=trigger,
        source=(source,) if isinstance(source, str) else source,
        dest=dest,
        roles=frozenset(roles),
        rule=rule,
        description=description,
        **extra,
    )
