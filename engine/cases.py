"""What a case event does, inside one transaction.

`CaseWork` is a unit of work over one database transaction: it loads cases,
moves them with their process Machine, and writes the new state, the deadlines
the move starts or meets, the audit trail and the outgoing messages together.
The event path and the deadline firer both go through it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import Connection

from engine import store
from engine.calendar import WorkingCalendar
from engine.clock import aware, describe
from engine.errors import (
    ConflictError,
    InputError,
    InvalidState,
    NotFound,
    RoleNotAllowed,
    TriggerNotAllowed,
)
from engine.machines import ProcessMachine
from engine.ports import MessageIntent, MessageSink, Recipient
from engine.store import CaseRow
from engine.timescales import start_and_due
from workflows.contacts import Contact, normalise_email
from workflows.spec import (
    ANY_STATE,
    CaseView,
    Effect,
    Fire,
    Link,
    Message,
    Note,
    Process,
    Timescale,
    Transition,
)

SYSTEM = "system"
ANY_ROLE = "*"  # an actor not named: someone holding an allowed role
# Plausible times (issue 7): a minute of clock skew between a device and the
# server; nothing before 1900; an event entered a day or more after it happened
# is kept with both times and shown as recorded late.
FUTURE_TOLERANCE = timedelta(minutes=1)
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
RECORDED_LATE_AFTER = timedelta(days=1)
# Simulation only (a throwaway database with no accounts): the person acts with the
# roles they are named in on the case, as if their account held those roles.
AS_NAMED = "@named"
# Who may change a case's contacts outside what a trigger declares.
CONTACT_EDITORS = ("business_support", "team_manager", "admin")


@dataclass(frozen=True)
class Actor:
    """Who did it, with the role their account holds, resolved by the application.

    The engine never looks people up: being named on a case grants no role. `role=None`
    is nobody the engine can let act; ANY_ROLE and AS_NAMED are for simulations.
    """

    email: str = SYSTEM
    role: str | None = None


def _full_time(conn: Connection, email: str) -> bool:
    return False


@dataclass(frozen=True, kw_only=True)
class Services:
    """The pieces a unit of work needs, wired once by bootstrap()."""

    processes: Mapping[str, Process]
    machines: Mapping[str, ProcessMachine]
    messages: MessageSink
    day_starts: time
    nation: str
    service_name: str = "Children's Services"
    mailing_lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    max_data_bytes: int = 64 * 1024  # event data, as JSON (issue 7: 10 MB was stored twice)
    max_note_chars: int = 20_000
    team_reply_to: Mapping[str, str] = field(default_factory=dict)  # team -> its mailbox
    base_url: str | None = None  # the web service, for links to case pages
    # Whether a person works part time (EH-11.3's caseload limit). People are the
    # application's (its users table), so it is asked, never read here.
    part_time: Callable[[Connection, str], bool] = _full_time
    # How long an undoable event (a missed session) can be taken back, and so how long
    # its messages wait before they may be sent (FAMILYFLOW_SMS_UNDO_MINUTES).
    undo_window: timedelta = timedelta(minutes=5)

    @cached_property
    def contact_roles(self) -> frozenset[str]:
        """Every process's contact roles: data under these names is a contact, not data."""
        return frozenset().union(*(p.contact_roles for p in self.processes.values()))


FAMILY_ROLES = ("child", "young_person", "parent", "carer")


def family_name(case: CaseRow) -> str | None:
    """Who the case is about, as a professional would recognise it."""
    for key in ("family", "child_name"):
        if isinstance(case.data.get(key), str) and case.data[key].strip():
            return str(case.data[key]).strip()
    by_role = case.contacts_by_role()
    for role in FAMILY_ROLES:
        if role in by_role and by_role[role].get("name"):
            return str(by_role[role]["name"])
    return None


def validate_data(
    model: type[BaseModel],
    data: Mapping[str, Any],
    *,
    trigger: str = "this trigger",
    contact_roles: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Check a trigger's data; the first problem names its field and reason.

    Every trigger has a model that forbids extra fields, so data a definition does
    not declare (a contact, an engine-owned field) is refused, never merged.
    """
    try:
        return model.model_validate(dict(data)).model_dump()
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "data"
        reason = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden" and len(first["loc"]) == 1:
            raise _undeclared(where, trigger=trigger, contact_roles=contact_roles) from None
        raise InputError(field=f"data.{where}", reason=reason) from None


def _undeclared(name: str, *, trigger: str, contact_roles: frozenset[str]) -> InputError:
    reason = f"{trigger} does not take {name}"
    if name in contact_roles:
        reason += "; a contact is changed with change_contact"
    return InputError(field=f"data.{name}", reason=reason)


def _refuse_undeclared(process: Process, trigger: str, data: Mapping[str, Any]) -> None:
    """Data no transition of the trigger declares is refused in any state, before
    the state or the actor is looked at: it can never reach the case."""
    every = process.transitions_for(trigger)
    declared = {name for t in every for name in t.data_model.model_fields}
    undeclared = [key for key in data if key not in declared]
    if every and undeclared:
        raise _undeclared(
            undeclared[0], trigger=trigger, contact_roles=frozenset(process.contact_roles)
        )


def check_size(value: Any, *, field_name: str, limit: int) -> None:
    """Refuse data bigger than the limit, measured as the JSON we would store."""
    size = len(json.dumps(_jsonable(value), default=str).encode())
    if size > limit:
        raise InputError(
            field=field_name,
            reason=f"is {size:,} bytes of JSON; the limit is {limit:,} bytes "
            "(FAMILYFLOW_MAX_EVENT_DATA_BYTES)",
        )


def parse_contact(fields: Mapping[str, Any], *, field_name: str) -> dict[str, Any]:
    """One person, validated as every contact is; problems name the field."""
    if not isinstance(fields, Mapping):
        raise InputError(field=field_name, reason="a contact is {name, email, mobile}")
    try:
        return Contact.model_validate(dict(fields)).model_dump()
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in (field_name, *first["loc"]))
        raise InputError(field=where, reason=first["msg"].removeprefix("Value error, ")) from None


def _person(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in ("name", "email", "mobile")}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@dataclass
class CaseWork:
    conn: Connection
    services: Services
    now: datetime
    cases: dict[int, CaseRow] = field(default_factory=dict)
    audit_rows: list[dict[str, Any]] = field(default_factory=list)
    intents: list[MessageIntent] = field(default_factory=list)
    closed_ids: set[int] = field(default_factory=set)
    _calendar: WorkingCalendar | None = None
    # While an undoable event runs: what it changed, so that engine/undo.py can put it back.
    journal: dict[str, Any] | None = None

    # -- loading -------------------------------------------------------------

    @property
    def calendar(self) -> WorkingCalendar:
        if self._calendar is None:
            self._calendar = WorkingCalendar(
                nation=self.services.nation, closures=store.closure_day_list(self.conn)
            )
        return self._calendar

    def preload(self, case_ids: list[int]) -> None:
        missing = [i for i in dict.fromkeys(case_ids) if i not in self.cases]
        self.cases.update(store.load_cases(self.conn, missing))

    def case(self, case_id: int) -> CaseRow:
        if case_id not in self.cases:
            self.preload([case_id])
        if case_id not in self.cases:
            raise NotFound(what="case", key=case_id)
        return self.cases[case_id]

    def process(self, name: str) -> Process:
        return self.services.processes[name]

    # -- creating ------------------------------------------------------------

    def create(
        self,
        *,
        process: Process,
        received_at: datetime,
        data: Mapping[str, Any],
        contacts: Mapping[str, Contact],
        actor: Actor,
        team: str | None = None,
    ) -> CaseRow:
        received_at = self._occurred(received_at, field_name="received_at")
        check_size(data, field_name="data", limit=self.services.max_data_bytes)
        row = {
            "process": process.name,
            "state": process.initial,
            "data": _jsonable(dict(data)),
            "version": 1,
            "team": team,
            "received_at": received_at,
            "created_at": self.now,
            "closed_at": None,
        }
        case_id = store.insert_case(self.conn, row)
        contact_rows = [
            {"case_id": case_id, "role": role, **contact.model_dump()}
            for role, contact in contacts.items()
        ]
        store.insert_contacts(self.conn, contact_rows)
        case = CaseRow(id=case_id, contacts=contact_rows, loaded_version=1, **row)
        self.cases[case_id] = case
        self.audit(
            case,
            kind="transition",
            actor=actor,
            at=received_at,
            rule=None,
            trigger="create",
            reason=f"referral received ({process.title})",
            to_state=process.initial,
        )
        self._apply_effects(
            case,
            process.on_create,
            context={},
            actor=actor,
            at=received_at,
            key=f"case:{case_id}:v1",
        )
        self._timescales(case, trigger="__created__", actor=actor, at=received_at)
        return case

    # -- events --------------------------------------------------------------

    def fire(
        self,
        case_id: int,
        trigger: str,
        data: Mapping[str, Any],
        *,
        actor: Actor,
        at: datetime | None = None,
        expected_version: int | None = None,
    ) -> CaseRow:
        case = self.case(case_id)
        if expected_version is not None and expected_version != case.version:
            raise ConflictError(case_id=case_id, expected=expected_version)
        process = self.process(case.process)
        check_size(data, field_name="data", limit=self.services.max_data_bytes)
        at = self._occurred(at or self.now, field_name="at", not_before=case.received_at)
        _refuse_undeclared(process, trigger, data)
        candidates = self._candidates(process, case, trigger)
        role = self._authorise(process, case, candidates, trigger, actor)
        clean = validate_data(
            candidates[0].data_model,
            data,
            trigger=trigger,
            contact_roles=frozenset(process.contact_roles),
        )
        clean.update(self._caseload(process, clean))
        self._refuse_before_it_happens(candidates, clean, at)
        view = self.view(case)
        machine = self.services.machines[process.name]
        spec = machine.fire(view, trigger, clean).applied
        assert spec is not None
        journal = self._start_journal(case) if spec.undoable and self.journal is None else None
        outcome = spec.effect(view, clean, at) if spec.effect else None
        from_state = case.state
        self._update_contacts(case, clean)
        case.data = {
            **case.data,
            **(_jsonable(dict(outcome.data)) if outcome else self._plain_data(clean)),
        }
        case.state = spec.dest or case.state
        case.version += 1
        if case.state in process.final_states and case.closed_at is None:
            case.closed_at = at
        if not store.update_case(self.conn, case):
            raise ConflictError(case_id=case_id, expected=case.loaded_version)
        self.audit(
            case,
            kind="transition",
            actor=Actor(actor.email, role),
            at=at,
            rule=spec.rule,
            trigger=trigger,
            reason=spec.description,
            from_state=from_state,
            to_state=case.state,
            detail={"data": _jsonable(clean), **self._lateness(at)},
        )
        effects = (*spec.effects, *(outcome.effects if outcome else ()))
        context = dict(outcome.context) if outcome else {}
        self._close_timescales(case, process, trigger, at)
        self._apply_effects(
            case,
            effects,
            context=context,
            actor=actor,
            at=at,
            key=f"case:{case.id}:v{case.version}",
        )
        if case.state not in process.final_states:
            self._timescales(case, trigger=trigger, actor=actor, at=at)
        if journal is not None:
            self._finish_journal(case, journal)
        return case

    def add_note(
        self, case_id: int, *, text: str, kind: str, actor: Actor, at: datetime | None = None
    ) -> None:
        if not text.strip():
            raise InputError(field="text", reason="a case note needs some text")
        limit = self.services.max_note_chars
        if len(text) > limit:
            raise InputError(
                field="text",
                reason=f"a case note is at most {limit:,} characters; this one has {len(text):,}",
            )
        case = self.case(case_id)
        at = self._occurred(at or self.now, field_name="at", not_before=case.received_at)
        process = self.process(case.process)
        counts = self._note_counts(process, case, kind, actor)
        unmet = [] if counts else [t.rule for t in process.timescales if f"note:{kind}" in t.met_by]
        self.audit(
            case,
            kind="note",
            actor=actor,
            at=at,
            rule=None,
            reason=text,
            # PAR-06, EH-11.1: a manager's act; anyone else's note is kept but meets nothing.
            detail={
                "note_kind": kind,
                **({"meets_nothing": unmet} if unmet else {}),
                **self._lateness(at),
            },
        )
        if not counts:
            return
        self._close_timescales(case, process, f"note:{kind}", at)
        if case.state not in process.final_states:  # a note may restart a recurring clock
            self._timescales(case, trigger=f"note:{kind}", actor=actor, at=at)

    def change_contact(
        self,
        case_id: int,
        *,
        role: str,
        contact: Mapping[str, Any] | None,
        actor: Actor,
        at: datetime | None = None,
    ) -> CaseRow:
        """Set (or, with None, remove) the case's contact in one role, audited with
        before and after. Who may do it is the application's decision; this checks
        the role exists in the process, the person is valid and the time plausible."""
        case = self.case(case_id)
        process = self.process(case.process)
        if role not in process.contact_roles:
            raise InputError(
                field="role",
                reason=f"{role!r} is not a contact role of {process.title}; "
                f"its roles are {', '.join(process.contact_roles)}",
            )
        if case.state in process.final_states:
            raise InvalidState(
                what=f"case {case_id}", state=case.state, reason="a closed case's contacts stay"
            )
        at = self._occurred(at or self.now, field_name="at", not_before=case.received_at)
        after = [] if contact is None else [parse_contact(contact, field_name="contact")]
        before = [_person(c) for c in case.contacts if c["role"] == role]
        if not before and not after:
            raise InputError(field="contact", reason=f"the case has no {role} to remove")
        if before == after:
            return case  # nothing changed, so nothing to record
        case.contacts = [c for c in case.contacts if c["role"] != role]
        case.contacts += [{"case_id": case.id, "role": role, **c} for c in after]
        store.replace_contacts(self.conn, case_id=case.id, role=role, people=after)
        case.version += 1
        if not store.update_case(self.conn, case):
            raise ConflictError(case_id=case_id, expected=case.loaded_version)
        what = "removed" if not after else "changed" if before else "added"
        self.audit(
            case,
            kind="contact_changed",
            actor=actor,
            at=at,
            rule=None,
            reason=f"{role.replace('_', ' ')} {what}",
            detail={"role": role, "before": before, "after": after, **self._lateness(at)},
        )
        return case

    # -- deadlines -----------------------------------------------------------

    def fire_deadline(self, row: dict[str, Any], *, late: bool) -> None:
        """Act on a due deadline: queue its messages and fire its trigger."""
        case = self.case(row["case_id"])
        process = self.process(case.process)
        timescale = process.timescale(row["timescale"])
        reminder = row["kind"] == "reminder"
        effects = timescale.on_reminder if reminder else timescale.on_due
        # A reminder's row is due early; the message speaks of the timescale's due.
        due = store.reminded_due_at(self.conn, row) if reminder else row["due_at"]
        context = {
            "deadline": {
                "due_at": due,
                "description": timescale.description,
                "rule": timescale.rule,
                "late": late,
            }
        }
        if not reminder:
            self.audit(
                case,
                kind="deadline_missed",
                actor=Actor(),
                at=row["due_at"],
                rule=timescale.rule,
                reason=timescale.description,
                detail={
                    "timescale": timescale.key,
                    "due_at": row["due_at"].isoformat(),
                    "deadline_id": row["id"],
                    "late": late,
                },
            )
        self._apply_effects(
            case,
            effects,
            context=context,
            actor=Actor(),
            at=row["due_at"],
            key=f"deadline:{row['id']}",
        )

    def _timescales(self, case: CaseRow, *, trigger: str, actor: Actor, at: datetime) -> None:
        process = self.process(case.process)
        rows = []
        started = [t for t in process.timescales if trigger in t.starts_on]
        view = self.view(case) if any(t.applies or t.within_for for t in started) else None
        if started:  # a timescale started again replaces its running deadlines: one UPDATE
            self._close_deadlines(
                case_id=case.id, at=at, status="cancelled", timescales=[t.key for t in started]
            )
        for timescale in started:
            if view is not None and timescale.applies and not timescale.applies(view):
                continue
            if view is not None and timescale.within_for:
                timescale = timescale.with_within(timescale.within_for(view) or timescale.within)
            rows.extend(self._deadline_rows(case, timescale, at))
            due = rows[-1]["due_at"]
            self.audit(
                case,
                kind="deadline_set",
                actor=actor,
                at=at,
                rule=timescale.rule,
                reason=timescale.description,
                detail={"timescale": timescale.key, "due_at": due.isoformat()},
            )
        store.insert_deadlines(self.conn, rows)

    def _deadline_rows(self, case: CaseRow, timescale: Timescale, at: datetime) -> list[dict]:
        start, due = start_and_due(
            timescale=timescale, data=case.data, at=at, calendar=self.calendar
        )
        base = {
            "case_id": case.id,
            "process": case.process,
            "timescale": timescale.key,
            "rule": timescale.rule,
            "status": "open",
            "started_at": start,
            "created_at": self.now,
            "closed_at": None,
            "fired_at": None,
            "late": False,
        }
        rows = []
        if timescale.remind_before is not None:
            remind = self.calendar.reminder_at(
                due, timescale.remind_before, day_starts=self.services.day_starts
            )
            if start < remind < due:
                rows.append({**base, "kind": "reminder", "due_at": remind})
        rows.append({**base, "kind": "due", "due_at": due})
        return rows

    def _close_timescales(
        self, case: CaseRow, process: Process, trigger: str, at: datetime
    ) -> None:
        keys = [t.key for t in process.timescales if trigger in t.met_by]
        closed = (
            self._close_deadlines(case_id=case.id, at=at, status="met", timescales=keys)
            if keys
            else []
        )
        if case.state in process.final_states:
            self._close_deadlines(case_id=case.id, at=at, status="cancelled", timescales=None)
        for row in sorted(closed, key=lambda r: (r["due_at"], r["id"])):
            if row["kind"] != "due":
                continue
            on_time = row["fired_at"] is None and at <= row["due_at"]
            self.audit(
                case,
                kind="deadline_met",
                actor=Actor(),
                at=at,
                rule=row["rule"],
                reason="met on time" if on_time else "met late",
                detail={
                    "timescale": row["timescale"],
                    "on_time": on_time,
                    "due_at": row["due_at"].isoformat(),
                },
            )

    def _close_deadlines(
        self, *, case_id: int, at: datetime, status: str, timescales: list[str] | None
    ) -> list[dict[str, Any]]:
        closed = store.close_deadlines(
            self.conn, case_id=case_id, at=at, status=status, timescales=timescales
        )
        self.closed_ids.update(row["id"] for row in closed)
        if self.journal is not None and self.journal["case_id"] == case_id:
            # A row that had fired keeps status "fired" when closed; an open one does not.
            self.journal["closed"] += [
                {"id": row["id"], "fired": row["fired_at"] is not None} for row in closed
            ]
        return closed

    # -- effects -------------------------------------------------------------

    def _apply_effects(
        self,
        case: CaseRow,
        effects: tuple[Effect, ...],
        *,
        context: Mapping[str, Any],
        actor: Actor,
        at: datetime,
        key: str,
    ) -> None:
        for effect in effects:
            if isinstance(effect, Message):
                self._queue(
                    case, effect, context=context, key=key, at=at, automatic=actor.email == SYSTEM
                )
            elif isinstance(effect, Note):
                self.audit(
                    case,
                    kind="note",
                    actor=Actor(),
                    at=at,
                    rule=effect.rule,
                    reason=effect.text,
                    detail={"note_kind": effect.kind},
                )
            elif isinstance(effect, Link):
                self._link(case, effect, actor=actor, at=at)
        for effect in effects:
            if (
                isinstance(effect, Fire)
                and case.state not in self.process(case.process).final_states
            ):
                self.fire(case.id, effect.trigger, effect.data, actor=Actor(), at=at)

    def _link(self, case: CaseRow, link: Link, *, actor: Actor, at: datetime) -> None:
        """Open the linked case in the same transaction, carrying people and data across."""
        target = self.process(link.process)
        source = self.process(case.process)
        by_role = case.contacts_by_role()
        contacts = {
            new: Contact.model_validate({k: by_role[old][k] for k in ("name", "email", "mobile")})
            for old, new in link.contacts.items()
            if old in by_role
        }
        reference = f"{source.code}-{case.id:06d}"
        data = {**{k: case.data[k] for k in link.data if k in case.data}, "linked_from": reference}
        new = self.create(
            process=target,
            received_at=at,
            data=data,
            contacts=contacts,
            actor=actor,
            team=case.team,
        )
        store.insert_rows(
            self.conn,
            store.links,
            [{"from_case_id": case.id, "to_case_id": new.id, "kind": link.kind, "rule": link.rule}],
        )
        self.audit(
            case,
            kind="note",
            actor=Actor(),
            at=at,
            rule=link.rule,
            reason=f"linked case {target.code}-{new.id:06d} opened ({link.kind})",
            detail={"linked_case_id": new.id, "link": link.kind},
        )

    def _queue(
        self,
        case: CaseRow,
        message: Message,
        *,
        context: Mapping[str, Any],
        key: str,
        at: datetime,
        automatic: bool,
    ) -> None:
        address_field = "mobile" if message.medium == "sms" else "email"
        in_role = [c for c in case.contacts if c["role"] == message.to]
        recipients = in_role if message.to_each else in_role[:1]
        if not recipients or not all(r.get(address_field) for r in recipients):
            raise InputError(
                field=f"contacts.{message.to}",
                reason=f"{'needs a' if recipients else 'is missing; one with a'} {address_field} "
                f"{'' if recipients else 'is needed '}for {message.template} ({message.rule})",
            )
        # Each copy is its own message (own row, attempts and receipt), so retrying
        # one recipient never sends to another.
        copies: dict[str, Recipient] = {}
        for role in message.cc:
            for c in case.contacts:
                if c["role"] == role and c.get(address_field):
                    copies.setdefault(
                        c[address_field],
                        Recipient(role=role, name=c.get("name"), address=c[address_field]),
                    )
        for number, recipient in enumerate(recipients):
            full = self._template_context(case, recipient, message.rule, context)
            # The first recipient keeps the plain key, so adding to_each changes no old key.
            suffix = f":{number}" if number else ""
            dedupe_key = f"{key}:{message.template}:{message.to}{suffix}"
            held = self.journal is not None and self.journal["case_id"] == case.id
            if held:
                self.journal["messages"].append(dedupe_key)  # type: ignore[index]
            self.intents.append(
                MessageIntent(
                    case_id=case.id,
                    template=message.template,
                    medium=message.medium,
                    rule=message.rule,
                    to=Recipient(
                        role=recipient.get("role"),
                        name=recipient.get("name"),
                        address=recipient[address_field],
                    ),
                    cc=tuple(copies.values()),
                    context=full,
                    dedupe_key=dedupe_key,
                    automatic=automatic,
                    reply_to=full["reply_to"] if message.medium == "email" else None,
                    hold_until=self.now + self.services.undo_window if held else None,
                )
            )
            self.audit(
                case,
                kind="message",
                actor=Actor(),
                at=at,
                rule=message.rule,
                reason=f"{message.medium} to {message.to}",
                detail={"dedupe_key": dedupe_key, "template": message.template},
            )

    def _template_context(
        self, case: CaseRow, recipient: Mapping[str, Any], rule: str, extra: Mapping[str, Any]
    ) -> dict[str, Any]:
        process = self.process(case.process)
        base_url = self.services.base_url
        return {
            "case": {
                "id": case.id,
                "reference": f"{process.code}-{case.id:06d}",
                "process": process.name,
                "process_title": process.title,
                "state": case.state,
                "data": case.data,
                "received_at": case.received_at,
                # For professionals' emails only (the layout): texts stay as they were.
                "family": family_name(case),
                "url": f"{base_url}/cases/{case.id}" if base_url else None,
            },
            "contacts": case.contacts_by_role(),
            "recipient": recipient,
            "rule": rule,
            "service_name": self.services.service_name,
            "reply_to": self.services.team_reply_to.get(case.team or ""),
            "deadline": None,
            **extra,
        }

    # -- helpers -------------------------------------------------------------

    def _candidates(self, process: Process, case: CaseRow, trigger: str) -> list[Transition]:
        every = process.transitions_for(trigger)
        if not every:
            return []  # the Machine reports the unknown trigger
        here = [
            t
            for t in every
            if case.state in t.source
            or (ANY_STATE in t.source and case.state not in process.final_states)
        ]
        if not here:
            raise TriggerNotAllowed(
                trigger=trigger,
                state=case.state,
                allowed=", ".join(process.allowed_triggers(case.state))
                or "none (the case is closed)",
            )
        return here

    def _authorise(
        self,
        process: Process,
        case: CaseRow,
        candidates: list[Transition],
        trigger: str,
        actor: Actor,
    ) -> str | None:
        if not candidates:
            self.services.machines[process.name].fire(self.view(case), trigger, {})
        allowed = frozenset().union(*(t.roles for t in candidates))
        if actor.email == SYSTEM:
            return actor.role or SYSTEM
        if actor.role == ANY_ROLE:
            return sorted(allowed)[0]
        if actor.role == AS_NAMED:
            me = actor.email.lower()
            roles = {c["role"] for c in case.contacts if (c.get("email") or "").lower() == me}
        else:
            roles = set(process.roles_held_by(actor.role))
        if not roles & allowed:
            # The refusal names the account's role, as the person knows it.
            named = "/".join(sorted(roles)) if actor.role == AS_NAMED else actor.role
            raise RoleNotAllowed(
                actor=actor.email,
                role=named or "unknown",
                trigger=trigger,
                allowed=", ".join(sorted(allowed)),
            )
        return sorted(roles & allowed)[0]

    def _note_counts(self, process: Process, case: CaseRow, kind: str, actor: Actor) -> bool:
        """Whether this author's note of this kind meets its timescales: the account's
        role (in simulations, the roles the person is named in) must be allowed."""
        if actor.email == SYSTEM or actor.role == ANY_ROLE:
            return True
        if actor.role == AS_NAMED:
            me = actor.email.lower()
            roles = {c["role"] for c in case.contacts if (c.get("email") or "").lower() == me}
        else:
            roles = {actor.role} if actor.role else set()
        return any(process.note_meets(kind, role) for role in roles)

    def _refuse_before_it_happens(
        self, candidates: list[Transition], clean: Mapping[str, Any], at: datetime
    ) -> None:
        """A session is recorded once it has started, never ahead (PAR-12's text would
        tell a parent they missed what has not happened)."""
        for name in {t.happens_at_field for t in candidates if t.happens_at_field}:
            moment = clean.get(name)
            if isinstance(moment, datetime) and moment > at:
                raise InputError(
                    field=f"data.{name}",
                    reason=f"{describe(moment)} has not started yet (it is now "
                    f"{describe(at)}): record it once it has started",
                )

    def _start_journal(self, case: CaseRow) -> dict[str, Any]:
        self.journal = {
            "case_id": case.id,
            "before": {
                "state": case.state,
                "data": dict(case.data),
                "closed_at": case.closed_at.isoformat() if case.closed_at else None,
                "version": case.version,
            },
            "last_deadline_id": store.last_deadline_id(self.conn, case_id=case.id),
            "closed": [],
            "messages": [],
        }
        return self.journal

    def _finish_journal(self, case: CaseRow, journal: dict[str, Any]) -> None:
        """Keep what the event changed in its transition's audit row (append-only, so
        the record of how to undo it cannot be altered): the data keys it changed with
        their old values, the deadlines it closed and opened, the messages it queued."""
        self.journal = None
        before = journal.pop("before")
        old = before.pop("data")
        changed = sorted(k for k in {*old, *case.data} if old.get(k) != case.data.get(k))
        undo = {
            **journal,
            **before,
            "data": {k: old[k] for k in changed if k in old},
            "added": [k for k in changed if k not in old],
            "version_after": case.version,
        }
        for row in reversed(self.audit_rows):
            if row["kind"] == "transition" and row["case_id"] == case.id:
                row["detail"] = {**row["detail"], "undo": undo}
                return

    def _update_contacts(self, case: CaseRow, clean: Mapping[str, Any]) -> None:
        """Data named after a contact role (a contact, or a list of them) replaces it."""
        for role, value in clean.items():
            if role not in self.process(case.process).contact_roles:
                continue
            people = value if isinstance(value, list) else [value]
            if not people or not all(isinstance(p, dict) for p in people):
                continue
            contacts = [Contact.model_validate(p).model_dump() for p in people]
            case.contacts = [c for c in case.contacts if c["role"] != role]
            case.contacts += [{"case_id": case.id, "role": role, **c} for c in contacts]
            store.replace_contacts(self.conn, case_id=case.id, role=role, people=contacts)

    def _plain_data(self, clean: Mapping[str, Any]) -> dict[str, Any]:
        roles = self.services.contact_roles
        return {
            k: _jsonable(v)
            for k, v in clean.items()
            if v is not None and k not in roles and not k.startswith("_")
        }

    def _caseload(self, process: Process, clean: Mapping[str, Any]) -> dict[str, Any]:
        """EH-11.3: tell the workflow how many families the person allocated already holds."""
        role = process.caseload_role
        person = clean.get(role) if role else None
        if not role or not isinstance(person, dict) or not person.get("email"):
            return {}
        email = normalise_email(person["email"])
        part_time = self.services.part_time(self.conn, email)
        return {
            "_caseload": {
                "email": email,
                "part_time": part_time,
                "open_cases": store.open_caseload(self.conn, email=email, roles=[role]),
                "limit": 10 if part_time else 20,
            }
        }

    def view(self, case: CaseRow) -> CaseView:
        process = self.process(case.process)
        breached = (
            store.breached_timescales(self.conn, case_id=case.id)
            if process.tracks_breaches
            else frozenset()
        )
        lists: dict[str, list[dict[str, Any]]] = {}
        for contact in case.contacts:
            lists.setdefault(contact["role"], []).append(contact)
        return CaseView(
            case_id=case.id,
            process=case.process,
            state=case.state,
            data=case.data,
            contacts=case.contacts_by_role(),
            received_at=case.received_at,
            breached=breached,
            contact_lists={r: tuple(c) for r, c in lists.items()},
        )

    def _occurred(
        self, at: datetime, *, field_name: str, not_before: datetime | None = None
    ) -> datetime:
        """A plausible time: since 1900, not in the future (by the engine's clock, so
        simulated time counts), and not before the case was received."""
        at = aware(at, field=field_name)
        if at < EARLIEST:
            raise InputError(
                field=field_name, reason=f"{describe(at)} is before 1900; give the real date"
            )
        if at > self.now + FUTURE_TOLERANCE:
            raise InputError(
                field=field_name,
                reason=f"{describe(at)} is in the future (it is now {describe(self.now)}); "
                "record what has happened",
            )
        if not_before is not None and at < not_before:
            raise InputError(
                field=field_name,
                reason=f"{describe(at)} is before the referral was received "
                f"({describe(not_before)})",
            )
        return at

    def _lateness(self, at: datetime) -> dict[str, Any]:
        """Marks an entry made more than a day after the event; both times are kept."""
        return {"recorded_late": True} if self.now - at > RECORDED_LATE_AFTER else {}

    def audit(
        self,
        case: CaseRow | None,
        *,
        kind: str,
        actor: Actor,
        at: datetime,
        rule: str | None,
        reason: str | None = None,
        trigger: str | None = None,
        from_state: str | None = None,
        to_state: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.audit_rows.append(
            {
                "case_id": case.id if case else None,
                "kind": kind,
                "actor": actor.email,
                "actor_role": None if actor.role == AS_NAMED else actor.role,
                "occurred_at": at,
                "recorded_at": self.now,
                "rule": rule,
                "reason": reason,
                "trigger": trigger,
                "from_state": from_state,
                "to_state": to_state,
                "detail": detail or {},
            }
        )

    def flush(self) -> None:
        store.insert_rows(self.conn, store.audit, self.audit_rows)
        # Rendered and queued here, in this transaction (notifications/ behind the port).
        self.services.messages.queue(self.conn, self.intents, now=self.now)
        self.audit_rows, self.intents = [], []
