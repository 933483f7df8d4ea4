"""A population scenario: who is referred, when, and how long people take to act.

Pure: reading the file, sampling arrivals and delays. Nothing here touches the
engine; `familyflow.population.runner` plays the sampled cases through it.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.calendar import WorkingCalendar
from engine.clock import LONDON, aware, local
from familyflow.simulate import Scenario, ScenarioError, _read
from familyflow.simulate import load as load_single

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Referrals arrive in office hours, London time.
OFFICE_OPENS, OFFICE_CLOSES = time(9, 0), time(17, 0)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Delay(Model):
    """How long people take to do one thing after the step before it: uniform between
    the two numbers (or triangular, peaking at `mode`), in working days or in hours;
    `never` is the share who never do it, so the case stops there and its clocks run out."""

    working_days: tuple[float, float] | None = None
    hours: tuple[float, float] | None = None
    mode: float | None = None
    never: float = Field(default=0.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _one_unit(self) -> Delay:
        if (self.working_days is None) == (self.hours is None):
            raise ValueError("give working_days: [min, max] or hours: [min, max]")
        low, high = self.working_days or self.hours or (0, 0)
        if not 0 <= low <= high:
            raise ValueError("the range is [min, max] with 0 <= min <= max")
        if self.mode is not None and not low <= self.mode <= high:
            raise ValueError("mode must lie between min and max")
        return self


class Person(Model):
    name: str
    email: str


class Worker(Person):
    part_time: bool = False


class Team(Model):
    manager: Person
    business_support: Person | None = None
    workers: list[Worker] = Field(min_length=1)


class ProcessLoad(Model):
    """One process's referrals and the script each case follows."""

    team: str
    referrals_per_day: float = Field(ge=0)
    # A single-case scenario (docs/scenarios/*.yaml): its steps, in order, are the script.
    script: str
    # The script's people who stand for this county's: the worker allocated (given a
    # team worker with room under the caseload limit), the manager, business support.
    worker: str | None = None
    manager: str | None = None
    business_support: str | None = None
    # Delays by trigger (or note kind as note:KIND); `default` for the rest. Without
    # either, a step keeps the script's own gap in working days.
    act: dict[str, Delay] = Field(default_factory=dict)


class Population(Model):
    name: str
    seed: int = 1
    start: date
    end: date  # referrals arrive on working days from start to end
    run_until: date | None = None  # the clock runs on to here (default: 8 weeks after end)
    nation: str = "england"
    closure_days: dict[date, str] = Field(default_factory=dict)
    weekday: dict[str, float] = Field(default_factory=dict)  # mon..fri -> factor
    season: dict[str, float] = Field(default_factory=dict)  # jan..dec -> factor
    referral_scale: float = Field(default=1.0, ge=0)
    # Steps happen on this grid of minutes (a step due at 10:07 happens at 10:15): the
    # clock then turns once for all steps due in the same quarter hour.
    grid_minutes: int = Field(default=15, ge=1, le=60)
    teams: dict[str, Team]
    processes: dict[str, ProcessLoad]

    @model_validator(mode="after")
    def _consistent(self) -> Population:
        if self.end < self.start:
            raise ValueError("end is before start")
        for key in self.weekday:
            if key not in DAYS:
                raise ValueError(f"weekday {key!r}: use {', '.join(DAYS)}")
        for key in self.season:
            if key not in MONTHS:
                raise ValueError(f"season {key!r}: use {', '.join(MONTHS)}")
        for name, load in self.processes.items():
            if load.team not in self.teams:
                raise ValueError(f"processes.{name}.team: no team {load.team!r}")
        return self

    @property
    def until(self) -> date:
        return self.run_until or self.end + timedelta(weeks=8)

    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(nation=self.nation, closures=self.closure_days)


def is_population(path: Path) -> bool:
    """A population scenario names its teams and processes, itself or through what it
    `extends:` (the growth what-if); a single case names its process."""
    raw = _resolved(path)
    return isinstance(raw, dict) and "processes" in raw and "teams" in raw


def _merge(base: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    """`extends:` a base scenario: keys given here replace the base's, and
    `without_workers` takes people out of their teams (the what-if of losing one)."""
    merged = {**base, **{k: v for k, v in raw.items() if k not in ("extends", "without_workers")}}
    gone = {str(e).lower() for e in raw.get("without_workers", [])}
    if gone:
        teams = merged.get("teams") or {}
        merged["teams"] = {
            name: {
                **team,
                "workers": [w for w in team.get("workers", []) if w["email"].lower() not in gone],
            }
            for name, team in teams.items()
        }
    return merged


_MAX_EXTENDS = 8  # scenarios extending scenarios: deeper is a loop


def _resolved(path: Path, depth: int = 0) -> Any:
    """The scenario as read, with what it `extends:` merged in, at any depth (a
    fortnight of the growth what-if extends the growth, which extends the year)."""
    raw = _read(path)
    if not isinstance(raw, dict) or "extends" not in raw:
        return raw
    if depth >= _MAX_EXTENDS:
        raise ScenarioError(
            field="extends", reason=f"goes more than {_MAX_EXTENDS} scenarios deep (a loop?)"
        )
    base_path = path.parent / str(raw["extends"])
    if not base_path.is_file():
        raise ScenarioError(field="extends", reason=f"there is no scenario file at {base_path}")
    base = _resolved(base_path, depth + 1)
    base = base if isinstance(base, dict) else {}
    for load_ in (base.get("processes") or {}).values():  # scripts: beside the base
        if isinstance(load_, dict) and "script" in load_:
            load_["script"] = str((base_path.parent / str(load_["script"])).resolve())
    return _merge(base, raw)


def load(path: Path) -> Population:
    raw = _resolved(path)
    if not isinstance(raw, dict):
        raise ScenarioError(field=str(path), reason="a population scenario is a YAML mapping")
    try:
        population = Population.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "scenario"
        raise ScenarioError(
            field=where, reason=first["msg"].removeprefix("Value error, ")
        ) from None
    return population


def script(population: Population, name: str, *, relative_to: Path) -> Scenario:
    load_ = population.processes[name]
    scenario = load_single((relative_to / load_.script).resolve())
    if scenario.process != name:
        raise ScenarioError(
            field=f"processes.{name}.script",
            reason=f"{load_.script} is a scenario of {scenario.process}, not {name}",
        )
    return scenario


# -- sampling ------------------------------------------------------------------


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the handful a day a county sees."""
    if mean <= 0:
        return 0
    if mean > 50:  # the normal approximation, for a nation's numbers
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def arrivals(population: Population, name: str, rng: random.Random) -> list[datetime]:
    """When this process's referrals arrive: a Poisson count each working day (scaled
    by weekday and season), each at a random minute of office hours."""
    load_ = population.processes[name]
    calendar = population.calendar()
    minutes = (OFFICE_CLOSES.hour - OFFICE_OPENS.hour) * 60
    found: list[datetime] = []
    day = population.start
    while day <= population.end:
        if calendar.is_working_day(day):
            mean = (
                load_.referrals_per_day
                * population.referral_scale
                * population.weekday.get(DAYS[day.weekday()], 1.0)
                * population.season.get(MONTHS[day.month - 1], 1.0)
            )
            opens = datetime.combine(day, OFFICE_OPENS, tzinfo=LONDON)
            found += sorted(
                aware(opens + timedelta(minutes=rng.randrange(minutes)))
                for _ in range(poisson(rng, mean))
            )
        day += timedelta(days=1)
    return found


Outcome = Literal["act", "never"]


def sample_delay(delay: Delay, rng: random.Random) -> tuple[Outcome, float]:
    """Whether the person acts at all, and after how many working days or hours."""
    if delay.never and rng.random() < delay.never:
        return "never", 0.0
    low, high = delay.working_days or delay.hours or (0.0, 0.0)
    if delay.mode is not None:
        return "act", rng.triangular(low, high, delay.mode)
    return "act", rng.uniform(low, high)


def after(
    delay: Delay, amount: float, *, start: datetime, at: time, calendar: WorkingCalendar
) -> datetime:
    """The instant `amount` after `start`: working days land at `at` (the script's time
    of day) on a working day, never before `start`; hours are exact."""
    if delay.hours is not None:
        return start + timedelta(hours=amount)
    day = local(start).date()
    days = round(amount)
    moved = calendar.add_working_days(day, days) if days else day
    if not calendar.is_working_day(moved):
        moved = calendar.next_working_day(moved)
    moment = aware(datetime.combine(moved, at, tzinfo=LONDON))
    return max(moment, start + timedelta(minutes=1))


def working_days_between(start: datetime, end: datetime, calendar: WorkingCalendar) -> int:
    """The script's own gap between two steps, in working days (0 on the same day)."""
    day, last, count = local(start).date(), local(end).date(), 0
    while day < last:
        day += timedelta(days=1)
        count += calendar.is_working_day(day)
    return count
