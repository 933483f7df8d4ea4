"""Scenarios: a referral's life in simulated time, in a throwaway database."""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from engine.calendar import NATIONS
from engine.cases import ANY_ROLE
from engine.clock import SimulatedClock, parse_instant
from engine.errors import FamilyFlowError, InputError
from familyflow import describe
from familyflow.bootstrap import bootstrap
from familyflow.services import Principal, calendar, cases, reads, simulation_principal
from familyflow.settings import Settings


class ScenarioError(InputError):
    """{field}: {reason}"""


MAIN = "main"
LINKED = "linked:"


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: str | None = None  # when it was recorded: the simulated clock stands here
    occurred_at: str | None = None  # when it happened, if earlier (a late entry)
    case: str = MAIN  # or "linked:<process>": a case opened from this journey
    event: str | None = None
    by: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    note: str | None = None
    kind: str = "general"
    until: str | None = None

    @model_validator(mode="after")
    def _one_thing(self) -> Step:
        if self.until is None and (self.at is None or (self.event is None) == (self.note is None)):
            raise ValueError("a step is {at, event} or {at, note} or {until}")
        if self.until is not None and (self.occurred_at or self.case != MAIN):
            raise ValueError("occurred_at and case go with an event or a note, not until")
        return self

    @field_validator("case")
    @classmethod
    def _case(cls, value: str) -> str:
        if value != MAIN and not (value.startswith(LINKED) and value[len(LINKED) :]):
            raise ValueError(f"case is {MAIN!r} or 'linked:<process>', e.g. 'linked:parenting'")
        return value


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    process: str
    received_at: str
    contacts: dict[str, dict[str, Any]] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)
    team: str | None = None
    # The working calendar: whose bank holidays, and the council's own closure days.
    nation: str | None = None
    closure_days: list[date] = Field(default_factory=list)
    # Members of meetings that are not case contacts (a panel, a locality meeting).
    mailing_lists: dict[str, list[str]] = Field(default_factory=dict)
    steps: list[Step] = Field(default_factory=list)

    @field_validator("nation")
    @classmethod
    def _nation(cls, value: str | None) -> str | None:
        if value is not None and value not in NATIONS:
            raise ValueError(f"{value!r} is not one of {', '.join(NATIONS)}")
        return value


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


# A scenario is a page or two of YAML. The bounds stop a hostile file (an "alias
# bomb": a few lines whose aliases expand to gigabytes) from exhausting memory.
MAX_SCENARIO_BYTES = 256 * 1024
MAX_ALIASES = 20


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that counts alias uses (*name) and stops past MAX_ALIASES."""

    aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise ScenarioError(
                    field="scenario",
                    reason=f"more than {MAX_ALIASES} YAML aliases (*name); write the data out",
                )
        return super().compose_node(parent, index)


def _read(path: Path) -> Any:
    try:
        size = path.stat().st_size
        if size > MAX_SCENARIO_BYTES:
            raise ScenarioError(
                field=str(path),
                reason=f"is {size:,} bytes; a scenario file is at most {MAX_SCENARIO_BYTES:,}",
            )
        loader = _BoundedLoader(path.read_text())
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except FileNotFoundError:
        raise ScenarioError(field=str(path), reason="there is no such file") from None
    except IsADirectoryError:
        raise ScenarioError(field=str(path), reason="is a folder, not a scenario file") from None
    except PermissionError:
        raise ScenarioError(field=str(path), reason="cannot be read (permission denied)") from None
    except UnicodeDecodeError:
        raise ScenarioError(field=str(path), reason="is not UTF-8 text") from None
    except (OSError, yaml.YAMLError) as error:
        raise ScenarioError(field=str(path), reason=str(error).splitlines()[0]) from None


def load(path: Path) -> Scenario:
    raw = _read(path)
    for step in (raw or {}).get("steps", []) or []:  # YAML reads bare timestamps as datetimes
        for key in ("at", "occurred_at", "until"):
            if isinstance(step, dict) and key in step:
                step[key] = _text(step[key])
    if isinstance(raw, dict) and "received_at" in raw:
        raw["received_at"] = _text(raw["received_at"])
    try:
        return Scenario.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        loc = list(first["loc"])
        if len(loc) > 1 and loc[0] == "steps" and isinstance(loc[1], int):
            loc[:2] = [f"step {loc[1] + 1}"]  # people count steps from 1
        where = ".".join(str(p) for p in loc)
        raise ScenarioError(
            field=where, reason=first["msg"].removeprefix("Value error, ")
        ) from None


def run(scenario: Scenario, *, settings: Settings | None = None) -> dict[str, Any]:
    received = parse_instant(scenario.received_at, field="received_at")
    with tempfile.TemporaryDirectory(prefix="familyflow-sim-") as tmp:
        base = settings or Settings()
        sim_settings = base.model_copy(
            update={
                "database_url": f"sqlite:///{tmp}/scenario.db",
                "outbox_dir": Path(tmp) / "outbox",
                "email_transport": "file",
                "sms_transport": "file",
                "mailing_lists": {**base.mailing_lists, **scenario.mailing_lists},
                "nation": scenario.nation or base.nation,
            }
        )
        clock = SimulatedClock(received)
        app = bootstrap(sim_settings, clock=clock)
        operator = simulation_principal(None)
        try:
            # As an admin adds them on the Admin page; a day listed twice is one closure.
            for day in dict.fromkeys(scenario.closure_days):
                calendar.add_closure_day(
                    app, principal=operator, day=day, description="local closure day (scenario)"
                )
            case_id = cases.create_case(
                app,
                principal=operator,
                process=scenario.process,
                received_at=received,
                data=scenario.data,
                contacts=scenario.contacts,
                team=scenario.team,
            )
        except FamilyFlowError as error:
            raise ScenarioError(field="scenario", reason=str(error)) from None
        for number, step in enumerate(scenario.steps, start=1):
            _step(app, clock, case_id, number, step)
        entries = reads.history(app, principal=operator, case_id=None)
        state, processes = reads.final_state(app, case_id=case_id)
        journey = _journey(app, case_id)
        involved = set(processes)
        app.db.dispose()
    # Agendas of processes this scenario never touched only add noise to its timeline.
    agendas = {a.key for name in involved for a in app.services.processes[name].agendas}
    entries = [
        _times(e)
        for e in entries
        if e["kind"] != "job" or e.get("reason", "").split(":")[0] in agendas
    ]
    return {"final_state": state, "cases": journey, "timeline": entries}


def _times(entry: dict[str, Any]) -> dict[str, Any]:
    """`at` is when it happened; `recorded_at` stays only where it differs (an event
    entered late, a deadline fired after its due instant), so the difference shows."""
    if entry.get("recorded_at") == entry["at"]:
        return {k: v for k, v in entry.items() if k != "recorded_at"}
    return entry


def timeline_text(result: dict[str, Any]) -> str:
    """The timeline as text, each line also saying when it was recorded if that differs."""
    lines = []
    for entry in result["timeline"]:
        line = describe.timeline_text({"timeline": [entry]})
        if "recorded_at" in entry:
            late = ", late" if entry.get("recorded_late") else ""
            line += f"  (recorded {entry['recorded_at']}{late})"
        lines.append(line)
    for case in result.get("cases", []):
        lines.append(f"{case['reference']} ({case['process']}): {case['state']}")
    lines.append(f"final state: {result['final_state']}")
    return "\n".join(lines)


def _linked(app: Any, case_id: int) -> dict[int, Any]:
    """Every case reachable from the scenario's case through links, with its row."""
    found: dict[int, Any] = {}
    todo = [case_id]
    while todo:
        current = todo.pop()
        read = cases.read_case(
            app, principal=simulation_principal(None), case_id=current, what="scenario"
        )
        found[current] = read.row
        todo += [i for i in read.linked if i not in found and i not in todo]
    return found


def _journey(app: Any, case_id: int) -> list[dict[str, Any]]:
    processes = app.services.processes
    return [
        {
            "reference": f"{processes[row.process].code}-{row.id:06d}",
            "process": row.process,
            "state": row.state,
        }
        for _, row in sorted(_linked(app, case_id).items())
    ]


def _target(app: Any, case_id: int, step: Step) -> int:
    """The case a step acts on: the scenario's own, or the newest case of the named
    process linked to it (directly or through other linked cases)."""
    if step.case == MAIN:
        return case_id
    process = step.case[len(LINKED) :]
    matches = [i for i, row in _linked(app, case_id).items() if row.process == process]
    if not matches:
        raise InputError(field="case", reason=f"no {process} case is linked to this one yet")
    return max(matches)


def _step(app: Any, clock: SimulatedClock, case_id: int, number: int, step: Step) -> None:
    label = f"step {number} ({step.event})" if step.event else f"step {number}"
    try:
        moment = parse_instant(step.until or step.at or "", field="until" if step.until else "at")
        if moment < clock.now():
            raise ScenarioError(field=label, reason="at: steps must be in time order")
        app.advance(moment)
        # When it happened, if not when it was recorded. The engine checks it as it
        # checks every entrance's time (not in the future, not before the referral).
        occurred = (
            parse_instant(step.occurred_at, field="occurred_at") if step.occurred_at else moment
        )
        if step.event or step.note:
            target = _target(app, case_id, step)
        if step.event:
            # No accounts here: each contact acts as a person whose account holds
            # their contact role (simulation_principal), so `by:` works as named.
            cases.fire(
                app,
                principal=simulation_principal(step.by),
                case_id=target,
                trigger=step.event,
                data=step.data,
                at=occurred,
            )
        elif step.note:
            cases.add_note(
                app,
                principal=Principal(
                    email=step.by or "scenario", role=ANY_ROLE, teams=None, kind="simulation"
                ),
                case_id=target,
                text=step.note,
                kind=step.kind,
                at=occurred,
            )
        app.tick()
    except ScenarioError:
        raise
    except InputError as error:
        if step.occurred_at and error.fields.get("field") == "at":
            error = InputError(field="occurred_at", reason=error.fields["reason"])
        raise ScenarioError(field=label, reason=str(error)) from None
    except FamilyFlowError as error:
        raise ScenarioError(field=label, reason=str(error)) from None
