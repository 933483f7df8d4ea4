"""The tracker's use cases: a page of one process's cases, every filtered row as an
export, and the moves a person may make on several cases at once. Each read is an
audit record naming the person, the filter shown and the rows (issue 7)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from engine.cases import ANY_ROLE
from engine.service import FamilyFlow
from familyflow.db import tracker as tracker_db
from familyflow.services import audit
from familyflow.services.principal import Principal

PAGE_SIZE = 100
EXPORT_BATCH = 1_000  # rows read per connection while an export streams


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    total: int  # rows matching the filters, on every page
    stage_counts: dict[str, int]  # open cases per state, whatever the filters
    teams: list[str]


@dataclass(frozen=True)
class Move:
    trigger: str
    rule: str


def page(
    flow: FamilyFlow,
    *,
    principal: Principal,
    wanted: tracker_db.Wanted,
    number: int,
    shown: Mapping[str, Any],
) -> Page:
    """Page `number` (from 1) of the rows, with the stage counts and teams."""
    now = flow.clock.now()
    scope: dict[str, Any] = {"teams": principal.teams, "email": principal.email}
    with flow.db.begin() as conn:
        rows, total = tracker_db.page(
            conn, wanted, now=now, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE, **scope
        )
        counts = tracker_db.stage_counts(conn, process=wanted.process, **scope)
        teams = tracker_db.teams_with_cases(conn, process=wanted.process, **scope)
        audit.read(
            conn,
            principal=principal,
            at=now,
            what=f"tracker {wanted.process}",
            case_ids=[r["id"] for r in rows],
            filters={**shown, "page": number},
        )
    return Page(rows=rows, total=total, stage_counts=counts, teams=teams)


def export(
    flow: FamilyFlow,
    *,
    principal: Principal,
    wanted: tracker_db.Wanted,
    shown: Mapping[str, Any],
    kind: str,
) -> Iterator[dict[str, Any]]:
    """Every filtered row, in order, for a CSV or XLSX file. The read is recorded
    (and committed) before the first row leaves, naming the cases the file will hold;
    their rows then come a batch at a time, each batch read on a connection given back
    before its rows leave. So a file of 100,000 rows is never held in memory, a slow
    or abandoned download holds no database connection, and a case referred while the
    file streams is not in it unrecorded."""
    now = flow.clock.now()
    scope: dict[str, Any] = {"teams": principal.teams, "email": principal.email}
    with flow.db.begin() as conn:
        ids = tracker_db.ordered_ids(conn, wanted, now=now, **scope)
        audit.read(
            conn,
            principal=principal,
            at=now,
            what=f"tracker {wanted.process} export {kind}",
            case_ids=sorted(ids),
            filters=shown,
        )

    def rows() -> Iterator[dict[str, Any]]:
        for start in range(0, len(ids), EXPORT_BATCH):
            with flow.db.connect() as conn:
                batch = tracker_db.rows_of(
                    conn, wanted, ids[start : start + EXPORT_BATCH], now=now, **scope
                )
            yield from batch

    return rows()


def moves(flow: FamilyFlow, *, principal: Principal, process: str) -> list[Move]:
    """The triggers of this process this person may fire on a case in bulk: those
    their account's role is allowed (per trigger, as the engine checks) and that
    need no details (those are on each case's page). Anyone may move cases in bulk
    that they could move one at a time: a worker holds their planning meetings."""
    definition = flow.services.processes[process]
    held = definition.roles_held_by(principal.role)
    allowed: dict[str, set[str]] = {}
    needs_data: set[str] = set()
    rules: dict[str, str] = {}
    for t in definition.transitions:
        allowed.setdefault(t.trigger, set()).update(t.roles)
        rules.setdefault(t.trigger, t.rule)
        if t.data_model is not None and t.data_model.model_fields:
            needs_data.add(t.trigger)
    return sorted(
        (
            Move(trigger=trigger, rule=rules[trigger])
            for trigger, roles in allowed.items()
            if trigger not in needs_data and (held & roles or principal.role == ANY_ROLE)
        ),
        key=lambda m: m.trigger,
    )
