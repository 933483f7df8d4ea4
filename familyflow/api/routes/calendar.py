"""The working calendar: bank holidays (read) and local closure days (admins edit)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import holidays
from fastapi import APIRouter, Depends, Path, Query, Response, status

from engine.calendar import NATIONS
from familyflow.api.schemas import CalendarOut, ClosureDayIn, ClosureDayOut
from familyflow.http.auth import CurrentUser, CurrentUserDep, FlowDep, require_roles
from familyflow.services import calendar as calendar_service

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
        closures = calendar_service.closure_days(flow, year=year)
        return {
            "nation": nation,
            "year": year,
            "bank_holidays": [{"day": d, "name": n} for d, n in sorted(found.items())],
            "closure_days": closures,
        }

    @api.get("/closures", response_model=list[ClosureDayOut], summary="Every closure day")
    def closures(flow: FlowDep, user: CurrentUserDep) -> list[dict[str, Any]]:
        return calendar_service.closure_days(flow)

    @api.post(
        "/closures",
        response_model=ClosureDayOut,
        status_code=status.HTTP_201_CREATED,
        summary="Add a local closure day (admins); it counts as a non-working day",
    )
    def add_closure(body: ClosureDayIn, flow: FlowDep, user: AdminDep) -> dict[str, Any]:
        calendar_service.add_closure_day(
            flow, principal=user.principal, day=body.day, description=body.description
        )
        return body.model_dump()

    @api.delete(
        "/closures/{day}",
        status_code=status.HTTP_204_NO_CONTENT,
        summary="Remove a closure day (admins)",
    )
    def remove_closure(day: Annotated[dt.date, Path()], flow: FlowDep, user: AdminDep) -> Response:
        calendar_service.remove_closure_day(flow, principal=user.principal, day=day)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return api
