"""The reports are SQL aggregates (issue 10): the same figures as counting row by row,
on both databases, at the edges a GROUP BY gets wrong: a deadline due in the last
hour of a UTC month in summer time belongs to the next local month, and a case is
open "3 months" only from the same day three months on (31 May -> 28 Feb)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engine.service import FamilyFlow
from familyflow import reports
from familyflow.db.tables import audit, cases, deadlines
from tests.conftest import AppFactory
from tests.support.journeys import at


def _case(conn: Any, *, received: datetime, team: str = "Families Together", **extra: Any) -> int:
    row = {
        "process": "parenting",
        "state": "attending",
        "data": {},
        "version": 1,
        "team": team,
        "received_at": received,
        "created_at": received,
        "closed_at": None,
        **extra,
    }
    return int(conn.execute(cases.insert().returning(cases.c.id), row).scalar_one())


def _deadline(conn: Any, case_id: int, *, due: datetime, status: str) -> None:
    conn.execute(
        deadlines.insert(),
        {
            "case_id": case_id,
            "process": "parenting",
            "timescale": "PAR-05",
            "rule": "PAR-05",
            "kind": "due",
            "status": status,
            "due_at": due,
            "started_at": due - timedelta(days=5),
            "created_at": due - timedelta(days=5),
        },
    )


def test_a_deadline_due_late_on_30_june_utc_counts_in_july_and_one_in_december_does_not(
    make_app: AppFactory,
) -> None:
    flow: FamilyFlow = make_app(start="2027-01-10T09:00")
    with flow.db.begin() as conn:
        case_id = _case(conn, received=at("2026-05-01T09:00"))
        _deadline(conn, case_id, due=datetime(2026, 6, 30, 23, 30, tzinfo=UTC), status="met")
        _deadline(conn, case_id, due=datetime(2026, 6, 30, 22, 30, tzinfo=UTC), status="fired")
        _deadline(conn, case_id, due=datetime(2026, 12, 31, 23, 30, tzinfo=UTC), status="met")
    with flow.db.connect() as conn:
        rows = reports.timeliness(conn, flow.services.processes, teams=None, email=None)
    by_month = {r["month"]: r["expectation"] for r in rows if r["rule"] == "PAR-05"}
    assert by_month["2026-07"] == {"timescales": ["PAR-05"], "met": 1, "total": 1, "share": 1.0}
    assert by_month["2026-06"] == {"timescales": ["PAR-05"], "met": 0, "total": 1, "share": 0.0}
    assert by_month["2026-12"]["total"] == 1 and "2027-01" not in by_month


def test_open_cases_fall_in_a_band_from_the_same_day_months_later_and_other_teams_are_left_out(
    make_app: AppFactory,
) -> None:
    flow: FamilyFlow = make_app(start="2027-02-28T09:00")
    with flow.db.begin() as conn:
        three = _case(conn, received=at("2026-11-28T23:30"))  # 3 whole months today
        not_yet = _case(conn, received=at("2026-11-29T00:10"))  # 2 months, 30 days
        year = _case(conn, received=at("2026-02-28T08:00"))
        _case(conn, received=at("2026-01-01T08:00"), team="Riverside")
        _case(conn, received=at("2025-01-01T08:00"), closed_at=at("2026-01-01T08:00"))
    with flow.db.connect() as conn:
        found = reports.open_durations(
            conn, now=flow.clock.now(), teams=["Families Together"], email=None
        )
    assert found["open_cases"] == 3
    bands = {b["months"]: (b["count"], b["case_ids"]) for b in found["bands"]}
    assert bands == {3: (2, [year, three]), 6: (1, [year]), 9: (1, [year]), 12: (1, [year])}
    assert not_yet not in bands[3][1]
    assert reports.months_before(datetime(2027, 5, 31).date(), 3) == datetime(2027, 2, 28).date()


def test_missed_sessions_are_counted_per_group_by_the_database(make_app: AppFactory) -> None:
    flow: FamilyFlow = make_app()
    now = flow.clock.now()
    with flow.db.begin() as conn:
        first = _case(conn, received=now, data={"group": "Łódź Room"})
        second = _case(conn, received=now, data={"venue": "Riverside Family Centre"})
        for case_id, attended in ((first, False), (first, False), (first, True), (second, True)):
            conn.execute(
                audit.insert(),
                {
                    "case_id": case_id,
                    "kind": "transition",
                    "actor": "kim.lee@example.org",
                    "occurred_at": now,
                    "recorded_at": now,
                    "trigger": "record_session",
                    "detail": {"data": {"attended": attended}},
                },
            )
        assert conn.execute(sa.select(sa.func.count()).select_from(audit)).scalar_one() == 4
    with flow.db.connect() as conn:
        groups = reports.missed_sessions(conn, teams=None, email=None)
    assert groups == [
        {
            "group": "Riverside Family Centre",
            "process": "parenting",
            "sessions_recorded": 1,
            "missed": 0,
            "families_with_misses": 0,
        },
        {
            "group": "Łódź Room",
            "process": "parenting",
            "sessions_recorded": 3,
            "missed": 2,
            "families_with_misses": 1,
        },
    ]
