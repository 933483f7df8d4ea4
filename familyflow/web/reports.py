"""Reports for managers (familyflow/reports.py): timeliness per rule and month with a
chart, caseloads against their limits, long-open cases, missed sessions per group."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from familyflow import reports
from familyflow.http.auth import CsrfTokenDep, CurrentUser, FlowDep
from familyflow.services import reports as report_service
from familyflow.web import charts
from familyflow.web.core import REPORT_READERS, page_roles, render

CASES_LISTED = 20  # per band of long-open cases: the rest are counted


def _timeliness_chart(rows: list[dict[str, Any]]) -> charts.Chart | None:
    months = sorted({r["month"] for r in rows})[-12:]
    if not months:
        return None
    by_month: dict[str, list[float | None]] = {
        "Within the expectation": [],
        "Within the maximum": [],
    }
    for month in months:
        for name, label in (
            ("expectation", "Within the expectation"),
            ("maximum", "Within the maximum"),
        ):
            met = sum(r[name]["met"] for r in rows if r["month"] == month)
            total = sum(r[name]["total"] for r in rows if r["month"] == month)
            by_month[label].append(100 * met / total if total else None)
    return charts.bar_chart(
        months,
        by_month,
        y_max=100,
        y_format="{:.0f}%",
        title="Share of timescales met, all rules, by month",
    )


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/reports", response_class=HTMLResponse)
    def report(
        request: Request,
        flow: FlowDep,
        csrf: CsrfTokenDep,
        user: Annotated[CurrentUser, page_roles(*REPORT_READERS)],
        team: Annotated[str | None, Query(max_length=200)] = None,
    ) -> HTMLResponse:
        found = report_service.overview(
            flow, principal=user.principal, team=team or None, ids_per_band=CASES_LISTED
        )
        timeliness, caseload = found.timeliness, found.caseload
        # Many teams at once (an admin's 4,500 workers): a line per team, each linking to
        # its workers, rather than one table no one could read.
        by_team = reports.caseload_by_team(caseload) if not team else []
        if len(by_team) < 2:
            by_team = []
        return render(
            request,
            "reports.html",
            user=user,
            csrf=csrf,
            timeliness=timeliness,
            chart=_timeliness_chart(timeliness),
            caseload=caseload,
            caseload_by_team=by_team,
            team=team or None,
            durations=found.durations,
            missed=found.missed,
        )

    return pages
