"""The service layer: each public method is one transaction (or a loop of them)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import structlog
from pydantic import ValidationError
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from engine import agendas, replies, store, undo
from engine.calendar import WorkingCalendar
from engine.cases import Actor, CaseWork, Services
from engine.clock import Clock, SimulatedClock
from engine.db import reading
from engine.errors import ConflictError, FamilyFlowError, InputError, UnknownProcess
from engine.ports import Inbox, MessageDelivery
from workflows.contacts import ROLES, Contact
from workflows.spec import Agenda, Process

log = structlog.get_logger("familyflow.engine")
T = TypeVar("T")

# Deadlines fired between flushes of their audit rows and messages: small enough
# that the server has the first part of a batch to write while the rest is worked
# out, large enough that each INSERT carries many rows (issue 11).
FLUSH_EVERY = 100
Guard = Callable[[Connection], None]


def parse_contacts(raw: Mapping[str, Mapping[str, Any]]) -> dict[str, Contact]:
    contacts = {}
    for role, fields in raw.items():
        if role not in ROLES:
            raise InputError(
                field=f"contacts.{role}", reason=f"unknown role; roles are {', '.join(ROLES)}"
            )
        try:
            contacts[role] = Contact.model_validate(dict(fields))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            reason = first["msg"].removeprefix("Value error, ")
            raise InputError(field=f"contacts.{role}.{where}", reason=reason) from None
    return contacts


@dataclass
class FamilyFlow:
    db: Engine
    services: Services
    clock: Clock
    outbox: MessageDelivery
    late_after: timedelta = timedelta(minutes=5)
    batch_size: int = 500
    inbox: Inbox | None = None  # parents' replies (Notify's received texts), if any
    # Each agenda's next run, remembered between ticks (issue 11: half of a tick's time).
    next_runs: agendas.NextRuns = field(default_factory=agendas.NextRuns)

    def _work(self, action: Callable[[CaseWork], T], guard: Guard | None = None) -> T:
        with self.db.begin() as conn:
            if guard is not None:  # the application's check, in the same transaction
                guard(conn)
            work = CaseWork(conn=conn, services=self.services, now=self.clock.now())
            result = action(work)
            work.flush()
            return result

    # -- events --------------------------------------------------------------

    def create_case(
        self,
        *,
        process: str,
        received_at: datetime,
        data: Mapping[str, Any],
        contacts: Mapping[str, Mapping[str, Any]],
        actor: Actor = Actor(),
        team: str | None = None,
        guard: Guard | None = None,
    ) -> int:
        if process not in self.services.processes:
            raise UnknownProcess(key=process, known=", ".join(self.services.processes))
        definition = self.services.processes[process]
        parsed = parse_contacts(contacts)
        case = self._work(
            lambda w: w.create(
                process=definition,
                received_at=received_at,
                data=data,
                contacts=parsed,
                actor=actor,
                team=team,
            ),
            guard,
        )
        log.info("case_created", case_id=case.id, process=process)
        return case.id

    def fire(
        self,
        case_id: int,
        trigger: str,
        data: Mapping[str, Any] | None = None,
        *,
        actor: Actor = Actor(),
        at: datetime | None = None,
        expected_version: int | None = None,
        guard: Guard | None = None,
    ) -> store.CaseRow:
        case = self._work(
            lambda w: w.fire(
                case_id, trigger, data or {}, actor=actor, at=at, expected_version=expected_version
            ),
            guard,
        )
        log.info("case_event", case_id=case_id, trigger=trigger, state=case.state)
        return case

    def add_note(
        self,
        case_id: int,
        *,
        text: str,
        kind: str = "general",
        actor: Actor = Actor(),
        at: datetime | None = None,
        guard: Guard | None = None,
    ) -> None:
        self._work(lambda w: w.add_note(case_id, text=text, kind=kind, actor=actor, at=at), guard)
        log.info("case_note", case_id=case_id, note_kind=kind)

    def change_contact(
        self,
        case_id: int,
        *,
        role: str,
        contact: Mapping[str, Any] | None,
        actor: Actor,
        at: datetime | None = None,
        guard: Guard | None = None,
    ) -> store.CaseRow:
        """Set or remove one contact role on a case, audited with before and after.
        The application has already decided the actor may (business support, TM, admin)."""
        case = self._work(
            lambda w: w.change_contact(case_id, role=role, contact=contact, actor=actor, at=at),
            guard,
        )
        log.info("case_contact_changed", case_id=case_id, role=role)
        return case

    def undo_last(
        self, case_id: int, *, trigger: str, actor: Actor, guard: Guard | None = None
    ) -> store.CaseRow:
        """Take back the case's last event (an undoable `trigger`) within the undo
        window: state, data, deadlines and its unsent messages, in one transaction."""
        case = self._work(lambda w: undo.undo_last(w, case_id, trigger=trigger, actor=actor), guard)
        log.info("case_event_undone", case_id=case_id, trigger=trigger, state=case.state)
        return case

    # -- replies -------------------------------------------------------------

    def read_replies(self) -> replies.ReadReport:
        """Read the texts parents sent since the last read; each becomes a case note
        on its case (PAR-12) or waits for business support to assign it."""
        if self.inbox is None:
            return replies.ReadReport()
        with self.db.connect() as conn:
            last = replies.cursor(conn)
        texts = self.inbox.newer_than(last)  # outside any transaction: a network call
        if not texts:
            return replies.ReadReport()
        report = self._work(lambda w: replies.record(w, texts))
        log.info(
            "replies_read", received=report.received, noted=report.noted, waiting=report.waiting
        )
        return report

    def assign_reply(self, text_id: int, *, case_id: int, actor: Actor) -> None:
        self._work(lambda w: replies.assign(w, text_id=text_id, case_id=case_id, actor=actor))
        log.info("reply_assigned", reply_id=text_id, case_id=case_id)

    # -- time ----------------------------------------------------------------

    def fire_due(self, *, up_to: datetime | None = None) -> int:
        """Fire every deadline due by `up_to` (default now), a batch per transaction,
        in due order."""
        now = self.clock.now()
        with reading(self.db) as conn:  # most ticks find nothing: one read, no transaction
            earliest = store.next_due(conn)
        if earliest is None or earliest > min(up_to or now, now):
            return 0
        total = 0
        while True:
            try:
                fired = self._fire_batch(limit=self.batch_size, up_to=up_to)
            except (FamilyFlowError, SQLAlchemyError) as error:
                log.warning("deadline_batch_retried_singly", error=type(error).__name__)
                fired = self._fire_singly(limit=self.batch_size, up_to=up_to)
            total += fired
            if fired < self.batch_size:
                return total

    def _fire_batch(
        self, *, limit: int, up_to: datetime | None = None, only: int | None = None
    ) -> int:
        fired: list[dict[str, Any]] = []
        with self.db.begin() as conn:
            now = self.clock.now()
            work = CaseWork(conn=conn, services=self.services, now=now)
            rows = store.claim_due_deadlines(
                conn, now=min(up_to or now, now), limit=limit, only=only
            )
            work.preload([row["case_id"] for row in rows])
            marks = {
                row["id"]: {
                    "b_id": row["id"],
                    "b_fired_at": now,
                    "b_late": now - row["due_at"] > self.late_after,
                }
                for row in rows
            }
            # Marked before acting: an effect that closes the case (PAR-04's close)
            # closes the case's open deadlines, and this one fired, not cancelled. A
            # deadline alone of its case in the batch is marked up front, all in one
            # statement: effects act on their own case, so nothing fired before it can
            # close it first. A case's second one is marked in turn (the first may close it).
            of_case = Counter(row["case_id"] for row in rows)
            # Where the server can write each part of the batch while the next is worked
            # out (PostgreSQL), its rows are flushed every FLUSH_EVERY deadlines.
            with store.overlapping(conn) as overlapped:
                store.mark_fired(conn, [marks[r["id"]] for r in rows if of_case[r["case_id"]] == 1])
                for row in rows:
                    if row["id"] in work.closed_ids:
                        continue
                    late = marks[row["id"]]["b_late"]
                    if of_case[row["case_id"]] > 1:
                        store.mark_fired(conn, [marks[row["id"]]])
                    work.fire_deadline(row, late=late)
                    fired.append(row)
                    if overlapped and len(fired) % FLUSH_EVERY == 0:
                        work.flush()
                work.flush()
        # Logged once committed: a batch that rolls back fired nothing. One line a
        # batch (its deadlines' ids, and how many of each rule): a line a deadline
        # cost a seventh of the firing of 10,000 (issue 11).
        if fired:
            log.info(
                "deadlines_fired",
                count=len(fired),
                late=sum(1 for row in fired if marks[row["id"]]["b_late"]),
                rules=dict(Counter(row["rule"] for row in fired)),
                deadline_ids=[row["id"] for row in fired],
            )
        return len(rows)

    def _fire_singly(self, *, limit: int, up_to: datetime | None = None) -> int:
        """The slow path: one deadline per transaction, so one bad case cannot
        hold up the rest. A deadline that cannot act is recorded and closed."""
        now = self.clock.now()
        with self.db.connect() as conn:
            ids = [
                r["id"]
                for r in store.due_deadline_ids(conn, now=min(up_to or now, now), limit=limit)
            ]
        for deadline_id in ids:
            try:
                self._fire_batch(limit=1, only=deadline_id)
            except ConflictError:
                log.info("deadline_deferred", deadline_id=deadline_id)
            except FamilyFlowError as error:
                self._record_failure(deadline_id, str(error))
        return len(ids)

    def _record_failure(self, deadline_id: int, reason: str) -> None:
        def record(work: CaseWork) -> None:
            row = store.deadline(work.conn, deadline_id)
            case = work.case(row["case_id"])
            work.audit(
                case,
                kind="note",
                actor=Actor(),
                at=work.now,
                rule=row["rule"],
                reason=f"deadline {row['timescale']} could not act: {reason}",
                detail={"deadline_id": deadline_id, "problem": True},
            )
            store.mark_fired(
                work.conn, [{"b_id": deadline_id, "b_fired_at": work.now, "b_late": False}]
            )

        self._work(record)
        log.error("deadline_failed", deadline_id=deadline_id)

    def run_agendas(self, *, up_to: datetime | None = None) -> int:
        """Run each agenda whose next run is due. One read finds them; only a due agenda
        (or one that never ran) takes a transaction, which checks again inside it."""
        now = self.clock.now()
        up_to = min(up_to or now, now)
        due = [
            (process, agenda)
            for process, agenda, upcoming in self._agenda_runs()
            if upcoming is None or upcoming <= up_to
        ]
        return sum(
            self._work(partial(self._agenda, process=process, agenda=agenda, up_to=up_to))
            for process, agenda in due
        )

    def _agenda_runs(self) -> list[tuple[Process, Agenda, datetime | None]]:
        """(process, agenda, its next run); None for an agenda that never ran, which
        runs now to record its start. One without any next run is left out."""
        with self.db.connect() as conn:
            lasts = store.last_job_slots(conn)
            calendar = WorkingCalendar(
                nation=self.services.nation, closures=store.closure_day_list(conn)
            )
        runs: list[tuple[Process, Agenda, datetime | None]] = []
        for process in self.services.processes.values():
            for agenda in process.agendas:
                last = lasts.get(agenda.key)
                if last is None:
                    runs.append((process, agenda, None))
                elif (upcoming := self.next_runs.after(agenda, last, calendar)) is not None:
                    runs.append((process, agenda, upcoming))
        return runs

    def _agenda(
        self, work: CaseWork, *, process: Process, agenda: Agenda, up_to: datetime | None = None
    ) -> int:
        last = store.last_job_slot(work.conn, agenda.key)
        if last is None:  # first start: runs begin from now, nothing to catch up
            store.record_job_run(
                work.conn, {"job": agenda.key, "slot": work.now, "ran_at": work.now, "late": False}
            )
            return 0
        run, skipped = agendas.latest_slot(
            agenda, last, min(up_to or work.now, work.now), work.calendar
        )
        if run is None or run.run_at is None:
            return 0
        slot = run.run_at
        late = work.now - slot > self.late_after
        if not store.record_job_run(
            work.conn, {"job": agenda.key, "slot": slot, "ran_at": work.now, "late": late}
        ):
            return 0  # another instance ran it
        log.info("agenda_run", job=agenda.key, late=late)
        return agendas.run_agenda(
            work,
            process,
            agenda,
            since=last,
            slot=slot,
            moved_from=run if run.run_at != run.slot else None,
            skipped=tuple(skipped),
        )

    def tick(self) -> None:
        self.fire_due()
        self.run_agendas()
        self.outbox.deliver_due()

    def next_event(self, *, deliveries: bool = True, agendas: bool = True) -> datetime | None:
        """The next instant at which anything is due: a deadline, an agenda, a message
        (not with deliveries=False: a population simulation renders but never sends;
        not agendas with agendas=False, for a caller that keeps next_agenda_run())."""
        with self.db.connect() as conn:
            candidates = [store.next_due(conn)]
        if agendas:
            candidates.append(self.next_agenda_run())
        if deliveries:
            candidates.append(self.outbox.next_ready())
        return min((c for c in candidates if c is not None), default=None)

    def next_agenda_run(self) -> datetime | None:
        """When the next agenda is due. It changes only when an agenda runs or the
        closure days change, so a single process driving the clock may keep it."""
        return min((upcoming for _, _, upcoming in self._agenda_runs() if upcoming), default=None)

    def advance(self, until: datetime) -> None:
        """Run everything due up to `until` in time order, as the scheduler would."""
        clock = self.clock
        if not isinstance(clock, SimulatedClock):
            raise TypeError("advance() drives a SimulatedClock")
        self.tick()
        while (moment := self.next_event()) is not None and moment <= until:
            if moment <= clock.now():
                break  # something due could not act (recorded); do not spin
            clock.advance_to(moment)
            self.tick()
        clock.advance_to(until)
        self.tick()
