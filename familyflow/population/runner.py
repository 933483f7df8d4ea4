"""Play a population through the real engine: every case on one simulated clock, in
one process, with one in-memory database (issue 11).

Each referral follows its process's script (a single-case scenario's steps) with
sampled delays. Events and notes go through the same use cases as `simulate`
(familyflow.services.cases), acting as the people the script names; deadlines and
agendas fire as the scheduler fires them. The one shortcut: messages are rendered
and queued in the outbox but never delivered.
"""

from __future__ import annotations

import heapq
import logging
import random
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import structlog

from engine.calendar import WorkingCalendar
from engine.cases import ANY_ROLE
from engine.clock import LONDON, SimulatedClock, aware, local
from engine.errors import FamilyFlowError
from engine.service import FamilyFlow
from familyflow.bootstrap import bootstrap
from familyflow.db import population as population_db
from familyflow.population import scenario as sc
from familyflow.population.summary import summarise
from familyflow.services import Principal, cases, simulation_principal
from familyflow.services import calendar as calendar_service
from familyflow.settings import Settings
from familyflow.simulate import Scenario, Step

LIMIT_FULL_TIME, LIMIT_PART_TIME = 20, 10  # open cases a worker may hold (EH-11.3)


@dataclass
class Life:
    """One referral's progress through its script."""

    process: str
    script: Scenario
    team: str
    rng: random.Random
    received: datetime
    case_id: int | None = None
    index: int = 0  # the next step
    script_at: datetime | None = None  # the script's time of the step just done
    at: datetime | None = None  # when it was done here
    people: dict[str, dict[str, Any]] = field(default_factory=dict)  # script email -> ours
    dates: dict[datetime, datetime] = field(default_factory=dict)  # script instant -> ours


def _instant(value: Any) -> datetime | None:
    """A date-time in a script's data (YAML reads some as datetimes, some as text)."""
    if isinstance(value, datetime):
        return aware(value if value.tzinfo else value.replace(tzinfo=LONDON))
    if isinstance(value, str) and len(value) >= 16 and value[4] == "-" and value[10] == "T":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return aware(parsed if parsed.tzinfo else parsed.replace(tzinfo=LONDON))
    return None


def _day(value: Any) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _dates_in(value: Any) -> list[datetime]:
    if isinstance(value, dict):
        return [d for v in value.values() for d in _dates_in(v)]
    if isinstance(value, list):
        return [d for v in value for d in _dates_in(v)]
    found = _instant(value)
    return [found] if found else []


@dataclass
class Runner:
    population: sc.Population
    directory: Path
    flow: FamilyFlow
    clock: SimulatedClock
    scripts: dict[str, Scenario]
    calendar: WorkingCalendar
    heap: list[tuple[datetime, int, int]] = field(default_factory=list)
    lives: list[Life] = field(default_factory=list)
    stopped: Counter[str] = field(default_factory=Counter)
    waits: int = 0
    over_limit: int = 0
    peak: dict[str, int] = field(default_factory=dict)
    _seq: int = 0
    # A caseload changes only when the engine acts on a case the person is on: an
    # event opens, closes or re-staffs its own case only (or opens a linked case with
    # the same people), and a turn of the clock may close or open cases (a deadline's
    # effects), each with a transition in the audit trail. So a team's counts are kept
    # and counted again only for the people of the cases acted on (_stale).
    _ticks: int = 0
    _audit_seen: int = 0  # the audit trail read up to here for the clock's transitions
    _agenda_next: datetime | None = None
    _mentioned: dict[tuple[int, str], tuple[Step, bool]] = field(default_factory=dict)
    _retry: tuple[datetime, datetime] | None = None
    _team_writes: Counter[str] = field(default_factory=Counter)
    _due: tuple[tuple[int, int], datetime | None] | None = None  # (as of, next deadline)
    _loads: dict[str, dict[str, int]] = field(default_factory=dict)
    _stale: set[str] = field(default_factory=set)  # emails to count again
    _full: dict[str, tuple[int, int]] = field(default_factory=dict)  # when last found full

    # -- the clock -----------------------------------------------------------

    def _push(self, at: datetime, life: int) -> None:
        """Queue a case's next step, on the scenario's grid of minutes: steps that share
        an instant share one turn of the clock (deadlines and agendas checked once)."""
        grid = self.population.grid_minutes * 60
        seconds = -(-int(at.timestamp()) // grid) * grid  # rounded up, never earlier
        self._seq += 1
        heapq.heappush(self.heap, (datetime.fromtimestamp(seconds, UTC), self._seq, life))

    def _engine_until(self, moment: datetime) -> None:
        """Fire every deadline and agenda due up to `moment`, in time order, as the
        scheduler would; a turn with nothing due costs one read."""
        flow, clock = self.flow, self.clock
        ticked: datetime | None = None
        while True:
            # The agendas' next run is kept (self._agenda_next): it moves only when they
            # run, below, and the closure days are fixed for the run; the deadlines'
            # again whenever the engine has acted, as every step may set some.
            found = (self._next_due(), self._agenda_next)
            upcoming = min((f for f in found if f is not None), default=None)
            if upcoming is None or upcoming > moment:
                return
            at = max(upcoming, clock.now())
            if at == ticked:
                return  # something due could not act (recorded); do not spin
            clock.advance_to(at)
            self._ticks += 1
            flow.fire_due()
            self._run_agendas()
            self._clock_acted()
            ticked = at

    def _next_due(self) -> datetime | None:
        """The next deadline due, read again only once the engine has acted since: most
        turns follow only waiting allocations' daily tries, which write nothing."""
        written = self._ticks, self._team_writes.total()
        if self._due is None or self._due[0] != written:
            self._due = written, self.flow.next_event(deliveries=False, agendas=False)
        return self._due[1]

    def _run_agendas(self, *, always: bool = False) -> None:
        """Run the agendas due now; a turn of the clock before the next one's run (a
        deadline's) need not ask, as their next run moves only when they run."""
        upcoming = self._agenda_next
        if not always and (upcoming is None or upcoming > self.clock.now()):
            return
        self.flow.run_agendas()
        self._agenda_next = self.flow.next_agenda_run()

    def run(self) -> None:
        for name in sorted(self.population.processes):
            rng = random.Random(f"{self.population.seed}:arrivals:{name}")
            for number, received in enumerate(sc.arrivals(self.population, name, rng)):
                self.lives.append(
                    Life(
                        process=name,
                        script=self.scripts[name],
                        team=self.population.processes[name].team,
                        rng=random.Random(f"{self.population.seed}:{name}:{number}"),
                        received=received,
                    )
                )
                self._push(received, len(self.lives) - 1)
        self._run_agendas(always=True)  # each agenda's first run is recorded at the start
        end = aware(datetime.combine(self.population.until, time(0), tzinfo=LONDON))
        # Steps after the end never happen (an allocation still waiting for room).
        while self.heap and self.heap[0][0] <= end:
            moment = self.heap[0][0]
            self._engine_until(moment)
            self.clock.advance_to(moment)
            while self.heap and self.heap[0][0] <= moment:
                _, _, index = heapq.heappop(self.heap)
                self._act(index)
        self._engine_until(end)
        self.clock.advance_to(end)
        self.flow.fire_due()
        self._run_agendas(always=True)

    # -- one step of one case ------------------------------------------------

    def _act(self, index: int) -> None:
        life = self.lives[index]
        now = self.clock.now()
        if life.case_id is None:
            self._create(life, now)
        else:
            step = life.script.steps[life.index]
            if not self._do(life, step, now, index):
                return
            life.index += 1
            life.script_at = sc_at(step)
            life.at = now
        self._schedule_next(life, index)

    def _create(self, life: Life, now: datetime) -> None:
        script = life.script
        people = self._people(life)
        life.people = people
        load = self.population.processes[life.process]
        if load.worker and any(
            str(c.get("email") or "").lower() == load.worker.lower()
            for c in script.contacts.values()
        ):  # the script's worker is on the referral from the start (a visit, a group)
            people[load.worker.lower()] = self._free_worker(life.team) or self._least_loaded(
                life.team
            )
        contacts = {role: self._swap(c, people) for role, c in script.contacts.items()}
        self._acted_on(life)
        life.case_id = cases.create_case(
            self.flow,
            principal=simulation_principal(None),
            process=script.process,
            received_at=now,
            data=self._shift(life, script.data, now, sc_received(script)),
            contacts=contacts,
            team=life.team,
        )
        life.script_at, life.at = sc_received(script), now

    def _people(self, life: Life) -> dict[str, dict[str, Any]]:
        load = self.population.processes[life.process]
        team = self.population.teams[life.team]
        people: dict[str, dict[str, Any]] = {}
        if load.manager:
            people[load.manager.lower()] = team.manager.model_dump()
        if load.business_support and team.business_support:
            people[load.business_support.lower()] = team.business_support.model_dump()
        return people

    def _do(self, life: Life, step: Step, now: datetime, index: int) -> bool:
        """Do the step; False when it must wait (no worker has room) or the case stopped."""
        load = self.population.processes[life.process]
        assert life.case_id is not None and life.script_at is not None
        if (
            load.worker
            and load.worker.lower() not in life.people
            and self._mentions(step, load.worker)
        ):
            worker = self._free_worker(life.team)
            if worker is None:  # the allocation waits for a worker with room
                self.waits += 1
                self._push(self._next_working_day(now), index)
                return False
            life.people[load.worker.lower()] = worker
        by = self._swap(step.by, life.people) if step.by else None
        self._acted_on(life)
        try:
            if step.event:
                cases.fire(
                    self.flow,
                    principal=simulation_principal(by),
                    case_id=life.case_id,
                    trigger=step.event,
                    data=self._swap(self._shift(life, step.data, now, sc_at(step)), life.people),
                    at=now,
                )
            else:
                cases.add_note(
                    self.flow,
                    principal=Principal(
                        email=by or "scenario", role=ANY_ROLE, teams=None, kind="simulation"
                    ),
                    case_id=life.case_id,
                    text=step.note or "",
                    kind=step.kind,
                    at=now,
                )
        except FamilyFlowError as error:
            # Most often the service closed the case first (PAR-04 after no reply).
            self.stopped[f"{life.process}: {step.event or 'note'}: {type(error).__name__}"] += 1
            life.index = len(life.script.steps)
            return False
        return True

    def _mentions(self, step: Step, email: str) -> bool:
        """Whether the step names this person; a script's steps are shared by all its
        cases, so each is looked at once (a waiting allocation asks every day)."""
        key = (id(step), email)
        found = self._mentioned.get(key)
        if found is None:
            found = self._mentioned[key] = (step, _mentions(step, email))
        return found[1]

    def _next_working_day(self, now: datetime) -> datetime:
        """The same time on the next working day: when a waiting allocation tries again
        (the day's waits all ask with the same instant)."""
        if self._retry is None or self._retry[0] != now:
            day = self.calendar.add_working_days(local(now).date(), 1)
            self._retry = (now, aware(datetime.combine(day, local(now).time(), tzinfo=LONDON)))
        return self._retry[1]

    def _schedule_next(self, life: Life, index: int) -> None:
        steps = life.script.steps
        while life.index < len(steps) and steps[life.index].until is not None:
            life.index += 1  # a script's "time passes" steps: our clock runs anyway
        if life.index >= len(steps):
            return
        step = steps[life.index]
        assert life.at is not None and life.script_at is not None
        load = self.population.processes[life.process]
        key = step.event or f"note:{step.kind}"
        delay = load.act.get(key) or load.act.get("default")
        script_at = sc_at(step)
        if delay is None:  # the script's own gap, in working days
            gap = sc.working_days_between(life.script_at, script_at, self.calendar)
            delay = sc.Delay(working_days=(gap, gap))
        outcome, amount = sc.sample_delay(delay, life.rng)
        if outcome == "never":
            self.stopped[f"{life.process}: {key}: never done"] += 1
            return
        at = sc.after(
            delay, amount, start=life.at, at=local(script_at).time(), calendar=self.calendar
        )
        # A step about a dated thing already set (a session, a meeting) keeps the
        # script's gap after it: a session is recorded after it is held.
        for original in _dates_in(step.data):
            if original in life.dates and script_at > original:
                at = max(at, life.dates[original] + (script_at - original))
        self._push(at, index)

    # -- people and dates ----------------------------------------------------

    def _free_worker(self, team_name: str) -> dict[str, Any] | None:
        """The team's worker with most room under the caseload limit (20, or 10 part time)."""
        if self._full.get(team_name) == self._generation(team_name):
            return None  # full when last asked, and nothing has happened since
        team = self.population.teams[team_name]
        loads = self._caseloads(team_name)
        best: tuple[int, int] | None = None
        chosen = None
        for order, worker in enumerate(team.workers):
            held = loads[worker.email.lower()]
            self.peak[worker.email] = max(self.peak.get(worker.email, 0), held)
            room = (LIMIT_PART_TIME if worker.part_time else LIMIT_FULL_TIME) - held
            if room > 0 and (best is None or (-room, order) < best):
                best, chosen = (-room, order), worker
        if chosen is None:
            self._full[team_name] = self._generation(team_name)
            return None
        self.peak[chosen.email] = max(self.peak[chosen.email], loads[chosen.email.lower()] + 1)
        return {"name": chosen.name, "email": chosen.email}

    def _generation(self, team_name: str) -> tuple[int, int]:
        return self._ticks, self._team_writes[team_name]

    def _acted_on(self, life: Life) -> None:
        """The engine is about to act on this case: its people's counts may change."""
        self._team_writes[life.team] += 1
        self._stale.update(str(p.get("email") or "").lower() for p in life.people.values())

    def _clock_acted(self) -> None:
        """After a turn of the clock: the people of every case it moved may have changed."""
        with self.flow.db.connect() as conn:
            people, self._audit_seen = population_db.people_moved_since(conn, self._audit_seen)
        self._stale |= people

    def _caseloads(self, team_name: str) -> dict[str, int]:
        """The team's workers' open caseloads, counted again only for the people of the
        cases acted on since the last count: a day's waiting allocations ask over and
        over while nothing changes (without this, 40% of a year's run; counting the
        whole team each time, a tenth)."""
        workers = [w.email for w in self.population.teams[team_name].workers]
        loads = self._loads.get(team_name)
        again = workers if loads is None else [e for e in workers if e.lower() in self._stale]
        if again:
            with self.flow.db.connect() as conn:
                counted = population_db.open_caseloads(conn, again)
            loads = self._loads[team_name] = {**(loads or {}), **counted}
            self._stale.difference_update(e.lower() for e in again)
        assert loads is not None
        return loads

    def _least_loaded(self, team_name: str) -> dict[str, Any]:
        """No one has room: the referral still needs someone; it goes over a limit."""
        self.over_limit += 1
        team = self.population.teams[team_name]
        loads = self._caseloads(team_name)
        worker = min(team.workers, key=lambda w: loads[w.email.lower()])
        return {"name": worker.name, "email": worker.email}

    def _swap(self, value: Any, people: dict[str, dict[str, Any]]) -> Any:
        """The script's people replaced by this county's (a contact, or an email)."""
        if isinstance(value, dict):
            email = str(value.get("email") or "").lower()
            if email in people:
                return {**value, **people[email]}
            return {k: self._swap(v, people) for k, v in value.items()}
        if isinstance(value, list):
            return [self._swap(v, people) for v in value]
        if isinstance(value, str) and value.lower() in people:
            return people[value.lower()]["email"]
        return value

    def _shift(self, life: Life, value: Any, now: datetime, script_at: datetime) -> Any:
        """The script's dates moved with the case: a date first seen in a step moves by
        that step's days; seen again, it moves the same way (a registered session)."""
        if isinstance(value, dict):
            return {k: self._shift(life, v, now, script_at) for k, v in value.items()}
        if isinstance(value, list):
            return [self._shift(life, v, now, script_at) for v in value]
        day = _day(value)
        if day is not None:  # a date (a venue visit booked): moves by whole days too
            key = datetime.combine(day, time(0), tzinfo=UTC)
            if key not in life.dates:
                days = (local(now).date() - local(script_at).date()).days
                life.dates[key] = key + timedelta(days=days)
            return life.dates[key].date().isoformat()
        original = _instant(value)
        if original is None:
            return value
        if original not in life.dates:
            days = (local(now).date() - local(script_at).date()).days
            moved = local(original)
            shifted = datetime.combine(moved.date() + timedelta(days=days), moved.time())
            life.dates[original] = aware(shifted.replace(tzinfo=LONDON))
        return local(life.dates[original]).strftime("%Y-%m-%dT%H:%M")


def sc_at(step: Step) -> datetime:
    from engine.clock import parse_instant

    return parse_instant(step.at or step.until or "", field="at")


def sc_received(script: Scenario) -> datetime:
    from engine.clock import parse_instant

    return parse_instant(script.received_at, field="received_at")


def _mentions(step: Step, email: str) -> bool:
    needle = email.lower()
    return needle in str(step.by or "").lower() or needle in repr(step.data).lower()


def _quiet() -> None:
    """A year of cases logs a million lines at INFO; the summary is the output."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    for name in ("familyflow", "transitions", "notifications"):  # stdlib-routed lines too
        logging.getLogger(name).setLevel(logging.WARNING)


def run(path: Path, *, settings: Settings | None = None) -> dict[str, Any]:
    population = sc.load(path)
    scripts = {
        name: sc.script(population, name, relative_to=path.parent) for name in population.processes
    }
    _quiet()
    lists: dict[str, list[str]] = {}
    for script in scripts.values():
        lists.update(script.mailing_lists)
    start = aware(datetime.combine(population.start, time(0), tzinfo=LONDON))
    with tempfile.TemporaryDirectory(prefix="familyflow-population-") as tmp:
        base = settings or Settings()
        config = base.model_copy(
            update={
                "database_url": "sqlite://",  # in memory: a throwaway, one connection
                "outbox_dir": Path(tmp) / "outbox",
                "email_transport": "file",
                "sms_transport": "file",
                "nation": population.nation,
                "mailing_lists": {**base.mailing_lists, **lists},
            }
        )
        clock = SimulatedClock(start)
        flow = bootstrap(config, clock=clock)
        admin = Principal(email="scenario", role=ANY_ROLE, teams=None, kind="simulation")
        for day, why in sorted(population.closure_days.items()):
            calendar_service.add_closure_day(flow, principal=admin, day=day, description=why)
        runner = Runner(
            population=population,
            directory=path.parent,
            flow=flow,
            clock=clock,
            scripts=scripts,
            calendar=population.calendar(),
        )
        runner.run()
        with flow.db.connect() as conn:
            emails = [w.email for t in population.teams.values() for w in t.workers]
            at_end = population_db.open_caseloads(conn, emails)
        result = summarise(
            flow,
            population=population,
            stopped=runner.stopped,
            waits=runner.waits,
            over_limit=runner.over_limit,
            peak=runner.peak,
            at_end=at_end,
        )
        flow.db.dispose()
    return result
