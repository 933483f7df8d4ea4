"""Management reports as plain data (the API serves them; an XLSX export can too).

- timeliness: per rule and month, the share of timescales met within the
  expectation and within the maximum (a rule with one timescale: both are it);
- caseload: each worker's open cases against 20 (full time) or 10 (part time);
- open durations: open cases at least 3, 6, 9 and 12 months after referral;
- missed sessions: sessions recorded and missed per group (venue) of a programme.
"""

from __future__ import annotations

from calendar import monthrange
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from engine.clock import LONDON, local
from familyflow.accounts import caseload_limit
from familyflow.db import accounts as accounts_db
from familyflow.db import read_models
from familyflow.db import reports as reports_db
from workflows.spec import Duration, Process

CASELOAD_ROLES = (
    "worker",
    "social_worker",
    "lead_practitioner",
    "practitioner",
    "family_time_worker",
    "therapist",
)
CASELOAD_USER_ROLES = ("worker", "social_worker")
BANDS = (3, 6, 9, 12)
_HOURS = {
    "hours": 1.0,
    "calendar_days": 24.0,
    "working_days": 24 * 7 / 5,
    "weeks": 168.0,
    "calendar_months": 24 * 365.25 / 12,  # an average month: only for ordering
}


def _hours(duration: Duration) -> float:
    return duration.amount * _HOURS[duration.unit]


def timescale_tiers(processes: Mapping[str, Process]) -> dict[tuple[str, str], dict[str, Any]]:
    """(process, rule) -> the expectation's and the maximum's timescale keys: the
    shortest and the longest of the rule's timescales."""
    tiers = {}
    by_rule: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for process in processes.values():
        for timescale in process.timescales:
            by_rule[(process.name, timescale.rule)].append(timescale)
    for key, timescales in by_rule.items():
        ordered = sorted(timescales, key=lambda t: _hours(t.within))
        tiers[key] = {"expectation": ordered[0].key, "maximum": ordered[-1].key}
    return tiers


def _share(met: int, total: int) -> float | None:
    return round(met / total, 4) if total else None


def _local_month(month: str, edge: str | None) -> str:
    """The Europe/London month of deadlines due in `month` (UTC): the next one for
    those in a month's last UTC hour in summer time (`edge` is their UTC day)."""
    if edge is None:
        return month
    year, number, day = (int(part) for part in edge.split("-"))
    if day != monthrange(year, number)[1]:
        return month
    return local(datetime(year, number, day, 23, 30, tzinfo=UTC)).strftime("%Y-%m")


def timeliness(
    conn: Connection,
    processes: Mapping[str, Process],
    *,
    teams: Sequence[str] | None,
    email: str | None,
) -> list[dict[str, Any]]:
    tiers = timescale_tiers(processes)
    counts: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in reports_db.resolved_by_month(conn, teams=teams, email=email):
        tier = tiers.get((row["process"], row["rule"]))
        if tier is None:
            continue
        month = _local_month(row["month"], row["edge"])
        for name in ("expectation", "maximum"):
            if row["timescale"] == tier[name]:
                tally = counts[(row["process"], row["rule"], month, name)]
                tally[0] += int(row["n"]) if row["status"] == "met" else 0
                tally[1] += int(row["n"])
    rows = []
    for process, rule, month in sorted({k[:3] for k in counts}):
        tier = tiers[(process, rule)]
        entry: dict[str, Any] = {"rule": rule, "process": process, "month": month}
        for name in ("expectation", "maximum"):
            met, total = counts.get((process, rule, month, name), [0, 0])
            entry[name] = {
                "timescales": [tier[name]],
                "met": met,
                "total": total,
                "share": _share(met, total),
            }
        rows.append(entry)
    return rows


def caseload(conn: Connection, *, teams: Sequence[str] | None) -> list[dict[str, Any]]:
    people = [
        user
        for user in accounts_db.list_users(conn)
        if user["role"] in CASELOAD_USER_ROLES
        and user["active"]
        and (teams is None or user["team"] in teams)
    ]
    loads = read_models.open_caseloads(
        conn,
        roles=CASELOAD_ROLES,
        emails=None if teams is None else [str(user["email"]) for user in people],
    )
    rows = []
    for user in people:
        limit = caseload_limit(user["part_time"])
        count = loads.get(user["email"].lower(), 0)
        rows.append(
            {
                "email": user["email"],
                "name": user["name"],
                "role": user["role"],
                "team": user["team"],
                "part_time": user["part_time"],
                "open_cases": count,
                "limit": limit,
                "over_limit": count > limit,
            }
        )
    return rows


def caseload_by_team(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The caseload report summed per team: workers, open cases, and how many workers
    are over their limit or half full, for a page that shows many teams at once."""
    teams: dict[str, dict[str, Any]] = {}
    for row in rows:
        name = row["team"] or ""
        team = teams.setdefault(
            name,
            {"team": name, "workers": 0, "open_cases": 0, "over_limit": 0, "half_full": 0},
        )
        team["workers"] += 1
        team["open_cases"] += row["open_cases"]
        team["over_limit"] += row["over_limit"]
        team["half_full"] += not row["over_limit"] and row["open_cases"] * 2 >= row["limit"]
    return [teams[name] for name in sorted(teams)]


def months_between(start: date, end: date) -> int:
    """Whole calendar months from start to end (31 Jan to 30 Apr is 2)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (end.day < start.day)


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier, or that month's last day (31 May -> 28 Feb)."""
    years, index = divmod(day.month - 1 - months, 12)
    year, month = day.year + years, index + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def open_durations(
    conn: Connection,
    *,
    now: datetime,
    teams: Sequence[str] | None,
    email: str | None,
    ids_per_band: int | None = None,
) -> dict[str, Any]:
    """Open cases at least 3, 6, 9 and 12 whole months after their referral (local
    dates), counted by the database; each band's cases longest open first (at most
    `ids_per_band` of them when given: a page shows a few)."""
    today = local(now).date()
    # Open at least n months on `today` means received on or before today - n months
    # (months_between), that is before the next local midnight, as an instant.
    cutoffs = [
        datetime.combine(months_before(today, band) + timedelta(days=1), time(), LONDON)
        for band in BANDS
    ]
    total, counts = reports_db.open_received_before(conn, cutoffs=cutoffs, teams=teams, email=email)
    bands = [
        {
            "months": band,
            "count": count,
            "case_ids": reports_db.open_ids_received_before(
                conn, cutoff=cutoff, teams=teams, email=email, limit=ids_per_band
            )
            if count
            else [],
        }
        for band, cutoff, count in zip(BANDS, cutoffs, counts, strict=True)
    ]
    return {"open_cases": total, "bands": bands}


def missed_sessions(
    conn: Connection, *, teams: Sequence[str] | None, email: str | None
) -> list[dict[str, Any]]:
    return [
        {
            "group": str(r["group"]),
            "process": r["process"],
            "sessions_recorded": r["sessions_recorded"],
            "missed": r["missed"],
            "families_with_misses": int(r["families_with_misses"]),
        }
        # Python's order, not the database's collation: the same on every server.
        for r in sorted(
            reports_db.sessions_by_group(conn, teams=teams, email=email),
            key=lambda r: (str(r["group"]), r["process"]),
        )
    ]
