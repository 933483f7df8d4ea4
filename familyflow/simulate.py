"""Scenarios: a referral's life in simulated time, in a throwaway database."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine import store
from engine.cases import ANY_ROLE, Actor
from engine.clock import SimulatedClock, parse_instant
from engine.errors import FamilyFlowError, InputError
from engine.history import timeline
from familyflow.bootstrap import bootstrap
from familyflow.settings import Settings


class ScenarioError(InputError):
    """{field}: {reason}"""


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: str | None = None
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
        return self


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    process: str
    received_at: str
    contacts: dict[str, dict[str, Any]] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)
    team: str | None = None
    # Members of meetings that are not case contacts (a panel, a locality meeting).
    mailing_lists: dict[str, list[str]] = Field(default_factory=dict)
    steps: list[Step] = Field(default_factory=list)


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
    except (OSError, yaml.YAMLError) as error:
        raise ScenarioError(field=str(path), reason=str(error).splitlines()[0]) from None


def load(path: Path) -> Scenario:
    raw = _read(path)
    for step in (raw or {}).get("steps", []) or []:  # YAML reads bare timestamps as datetimes
        for key in ("at", "until"):
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
            }
        )
        clock = SimulatedClock(received)
        app = bootstrap(sim_settings, clock=clock)
        try:
            case_id = app.create_case(
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
        with app.db.connect() as conn:
            entries = timeline(conn, case_id=None)
            state = store.load_cases(conn, [case_id])[case_id].state
            involved = set(store.processes_with_cases(conn))
        app.db.dispose()
    # Agendas of processes this scenario never touched only add noise to its timeline.
    agendas = {a.key for name in involved for a in app.services.processes[name].agendas}
    entries = [
        e for e in entries if e["kind"] != "job" or e.get("reason", "").split(":")[0] in agendas
    ]
    return {"final_state": state, "timeline": entries}


def _step(app: Any, clock: SimulatedClock, case_id: int, number: int, step: Step) -> None:
    label = f"step {number}"
    try:
        moment = parse_instant(step.until or step.at or "", field="until" if step.until else "at")
        if moment < clock.now():
            raise InputError(field="at", reason="steps must be in time order")
        app.advance(moment)
        if step.event:
            label = f"step {number} ({step.event})"
            actor = Actor(step.by) if step.by else Actor("scenario", ANY_ROLE)
            app.fire(case_id, step.event, step.data, actor=actor, at=moment)
        elif step.note:
            app.add_note(
                case_id,
                text=step.note,
                kind=step.kind,
                actor=Actor(step.by or "scenario", ANY_ROLE),
                at=moment,
            )
        app.tick()
    except FamilyFlowError as error:
        raise ScenarioError(field=label, reason=str(error)) from None
