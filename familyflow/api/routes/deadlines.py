"""Deadlines across cases: overdue, and due soon."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from familyflow.api import views
from familyflow.api.schemas import NO_NUL, DueDeadline
from familyflow.http.auth import CurrentUserDep, FlowDep
from familyflow.services import reads


def router() -> APIRouter:
    api = APIRouter(prefix="/deadlines", tags=["deadlines"])

    @api.get("", response_model=list[DueDeadline], summary="Overdue and due deadlines")
    def deadlines(
        flow: FlowDep,
        user: CurrentUserDep,
        overdue: Annotated[bool, Query(description="only those past due")] = False,
        within_days: Annotated[
            int, Query(ge=0, le=366, description="due within this many days")
        ] = 7,
        process: Annotated[str | None, Query(pattern=NO_NUL, max_length=100)] = None,
        limit: Annotated[int, Query(ge=1, le=2000)] = 500,
    ) -> list[dict[str, Any]]:
        now = flow.clock.now()
        rows = reads.deadlines(
            flow,
            principal=user.principal,
            within_days=within_days,
            overdue_only=overdue,
            process=process,
            limit=limit,
        )
        return [
            {
                **r,
                "reference": views.reference(flow, r["process"], r["case_id"]),
                "due_at": views.when(r["due_at"]),
                "overdue": r["due_at"] <= now,
            }
            for r in rows
        ]

    return api
