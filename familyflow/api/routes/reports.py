"""Reports for managers: timeliness, caseloads, long-open cases, missed sessions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from familyflow.api.schemas import CaseloadRow, MissedSessionsRow, OpenDurations, TimelinessRow
from familyflow.http.auth import CurrentUser, FlowDep, require_roles
from familyflow.services import reports as report_service

READERS = ("team_manager", "business_support", "admin")
ReaderDep = Annotated[CurrentUser, Depends(require_roles(*READERS))]


def router() -> APIRouter:
    api = APIRouter(prefix="/reports", tags=["reports"])

    @api.get(
        "/timeliness",
        response_model=list[TimelinessRow],
        summary="Per rule and month: the share met within the expectation and the maximum",
    )
    def timeliness(flow: FlowDep, user: ReaderDep) -> list[dict[str, Any]]:
        return report_service.timeliness(flow, principal=user.principal)

    @api.get(
        "/caseload",
        response_model=list[CaseloadRow],
        summary="Open cases per worker against 20 (full time) or 10 (part time)",
    )
    def caseload(flow: FlowDep, user: ReaderDep) -> list[dict[str, Any]]:
        return report_service.caseload(flow, principal=user.principal)

    @api.get(
        "/open-durations",
        response_model=OpenDurations,
        summary="Cases open at least 3, 6, 9 and 12 months",
    )
    def open_durations(flow: FlowDep, user: ReaderDep) -> dict[str, Any]:
        return report_service.open_durations(flow, principal=user.principal)

    @api.get(
        "/missed-sessions",
        response_model=list[MissedSessionsRow],
        summary="Sessions recorded and missed per group",
    )
    def missed_sessions(flow: FlowDep, user: ReaderDep) -> list[dict[str, Any]]:
        return report_service.missed_sessions(flow, principal=user.principal)

    return api
