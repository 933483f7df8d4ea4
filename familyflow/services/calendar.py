"""The working calendar's local closure days (admins edit; everyone reads)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from engine.errors import AlreadyExists, InputError, NotFound
from engine.service import FamilyFlow
from familyflow.db import admin as admin_db
from familyflow.db import records
from familyflow.services import audit
from familyflow.services.principal import Principal

EDITORS = ("admin",)


def closure_days(flow: FamilyFlow, *, year: int | None = None) -> list[dict[str, Any]]:
    with flow.db.connect() as conn:
        rows = admin_db.closure_day_rows(conn)
    return [r for r in rows if year is None or r["day"].year == year]


def add_closure_day(
    flow: FamilyFlow, *, principal: Principal, day: dt.date, description: str
) -> None:
    principal.require(EDITORS, action="add closure days")
    if not description.strip():
        raise InputError(field="description", reason="say what the closure is for")
    now = flow.clock.now()
    with flow.db.begin() as conn:
        if not admin_db.add_closure_day(conn, day=day, description=description.strip()):
            raise AlreadyExists(what="closure day", key=day.isoformat())
        records.record(
            conn,
            audit.row(
                kind="change",
                principal=principal,
                at=now,
                reason=f"closure day {day} added",
                detail={"day": day.isoformat()},
            ),
        )


def remove_closure_day(flow: FamilyFlow, *, principal: Principal, day: dt.date) -> None:
    principal.require(EDITORS, action="remove closure days")
    now = flow.clock.now()
    with flow.db.begin() as conn:
        if not admin_db.remove_closure_day(conn, day=day):
            raise NotFound(what="closure day", key=day.isoformat())
        records.record(
            conn,
            audit.row(
                kind="change",
                principal=principal,
                at=now,
                reason=f"closure day {day} removed",
                detail={"day": day.isoformat()},
            ),
        )
