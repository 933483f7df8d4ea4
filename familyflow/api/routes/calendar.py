"""The working calendar: bank holidays (read) and local closure days (admins edit)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import holidays
from fastapi import APIRouter, Depends, Path, Query, Response, status

from engine.calendar import NATIONS
from engine.errors import AlreadyExists, NotFound
from familyflow.accounts import audit_row
from familyflow.api.auth import CurrentUser, CurrentUserDep, FlowDep, require_roles
from familyflow.api.schemas import CalendarOut, ClosureDayIn, ClosureDayOut
from familyflow.db import admin as admin_db
from familyflow.db import records

AdminDep = Annotated[CurrentUser, Depends(require_roles("admin"))]


def router() -> APIRouter:
    api = APIRouter(prefix="/calendar", tags=["calendar"])

    @api.get("", response_model=CalendarOut, summary="Bank holidays and closure days of a year")
    def calendar(
        flow: FlowDep,
        user: CurrentUserDep,
        year: Annotated[int | None, Query(ge=1950, le=2100)] = None,
    ) -> dict[str, Any]:
        nation = flow.services.nation
        year = year or flow.clock.now().year
        found = holidays.country_holidays("GB", subdiv=NATIONS[nation], years=year)
        with flow.db.connect() as conn:
            closures = [r for r in admin_db.closure_day_rows(conn) if r["day"].year == year]
        return {
            "nation": nation,
            "year": year,
            "bank_holidays": [{"day": d, "name": n} for d, n in sorted(found.items())],
            "closure_days": closures,
        }

    @api.get("/closures", response_model=list[ClosureDayOut], summary="Every closure day")
    def closures(flow: FlowDep, user: CurrentUserDep) -> list[dict[str, Any]]:
        with flow.db.connect() as conn:
            return admin_db.closure_day_rows(conn)

    @api.post(
        "/closures",
        response_model=ClosureDayOut,
        status_code=status.HTTP_201_CREATED,
        summary="Add a local closure day (admins); it counts as a non-working day",
    )
    def add_closure(body: ClosureDayIn, flow: FlowDep, user: AdminDep) -> dict[str, Any]:
        now = flow.clock.now()
        with flow.db.begin() as conn:
            if not admin_db.add_closure_day(conn, day=body.day, description=body.description):
                raise AlreadyExists(what="closure day", key=body.day.isoformat())
            records.record(
                conn,
                audit_row(
                    kind="change",
                    actor=user.actor,
                    at=now,
                    reason=f"closure day {body.day} added",
                    detail={"day": body.day.isoformat()},
                ),
            )
        return body.model_dump()

    @api.delete(
        "/closures/{day}",
        status_code=status.HTTP_204_NO_CONTENT,
        summary="Remove a closure day (admins)",
    )
    def remove_closure(day: Annotated[dt.date, Path()], flow: FlowDep, user: AdminDep) -> Response:
        now = flow.clock.now()
        with flow.db.begin() as conn:
            if not admin_db.remove_closure_day(conn, day=day):
                raise NotFound(what="closure day", key=day.isoformat())
            records.record(
                conn,
                audit_row(
                    kind="change",
                    actor=user.actor,
                    at=now,
                    reason=f"closure day {day} removed",
                    detail={"day": day.isoformat()},
                ),
            )
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return api
