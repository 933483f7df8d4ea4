"""Management reports as plain data (the API serves them; an XLSX export can too).

- timeliness: per rule and month, the share of timescales met within the
  expectation and within the maximum (a rule with one timescale: both are it);
- caseload: each worker's open cases against 20 (full time) or 10 (part time);
- open durations: open cases at least 3, 6, 9 and 12 months after referral;
- missed sessions: sessions recorded and missed per group (venue) of a programme.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Connection

from engine import store
from engine.clock import local
from familyflow.accounts import caseload_limit
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


def timeliness(
    conn: Connection,
    processes: Mapping[str, Process],
    *,
    teams: Sequence[str] | None,
    email: str | None,
) -> list[dict[str, Any]]:
    tiers = timescale_tiers(processes)
    counts: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in store.resolved_deadlines(conn, teams=teams, email=email):
        tier = tiers.get((row["process"], row["rule"]))
        if tier is None:
            continue
        month = local(row["due_at"]).strftime("%Y-%m")
        for name in ("expectation", "maximum"):
            if row["timescale"] == tier[name]:
                tally = counts[(row["process"], row["rule"], month, name)]
                tally[0] += row["status"] == "met"
                tally[1] += 1
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
    loads = store.open_caseloads(conn, roles=CASELOAD_ROLES)
    rows = []
    for user in store.list_users(conn):
        if user["role"] not in CASELOAD_USER_ROLES or not user["active"]:
            continue
        if teams is not None and user["team"] not in teams:
            continue
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


def months_between(start: date, end: date) -> int:
    """Whole calendar months from start to end (31 Jan to 30 Apr is 2)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (end.day < start.day)


def open_durations(
    conn: Connection, *, now: datetime, teams: Sequence[str] | None, email: str | None
) -> dict[str, Any]:
    cases = store.open_cases_received(conn, teams=teams, email=email)
    today = local(now).date()
    ages = [(c["id"], months_between(local(c["received_at"]).date(), today)) for c in cases]
    bands = [
        {
            "months": band,
            "count": sum(1 for _, m in ages if m >= band),
            "case_ids": [i for i, m in ages if m >= band],
        }
        for band in BANDS
    ]
    return {"open_cases": len(cases), "bands": bands}


def missed_sessions(
    conn: Connection, *, teams: Sequence[str] | None, email: str | None
) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for row in store.recorded_sessions(conn, teams=teams, email=email):
        data = (row["detail"] or {}).get("data") or {}
        if "attended" not in data:
            continue
        name = str(row["data"].get("group") or row["data"].get("venue") or "no group recorded")
        group = groups.setdefault(
            (name, row["process"]),
            {
                "group": name,
                "process": row["process"],
                "sessions_recorded": 0,
                "missed": 0,
                "families": set(),
            },
        )
        group["sessions_recorded"] += 1
        if data["attended"] is False:
            group["missed"] += 1
            group["families"].add(row["case_id"])
    return [
        {
            **{k: v for k, v in g.items() if k != "families"},
            "families_with_misses": len(g["families"]),
        }
        for _, g in sorted(groups.items())
    ]
