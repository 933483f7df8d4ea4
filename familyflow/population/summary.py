"""The what-if's answer: counts a manager reads, from the simulation's database."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.clock import aware, local
from engine.service import FamilyFlow
from familyflow.db import population as population_db
from familyflow.population.scenario import Population


def _key(case_id: int, timescale: str, due_at: Any) -> tuple[int, str, datetime]:
    due = datetime.fromisoformat(due_at) if isinstance(due_at, str) else due_at
    return case_id, timescale, aware(due)


def rules(
    deadlines: list[dict[str, Any]], meetings: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, Counter[str]]]:
    """Per rule: due (met + met late + missed), met on time, met late, missed (fell due
    and never met), still open at the end, cancelled (the case closed first)."""
    met = {
        _key(m["case_id"], m["detail"]["timescale"], m["detail"]["due_at"]): bool(
            m["detail"]["on_time"]
        )
        for m in meetings
    }
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    timescales: dict[str, set[str]] = defaultdict(set)
    missed_by_month: dict[str, Counter[str]] = defaultdict(Counter)
    for row in deadlines:
        outcome = met.get(_key(row["case_id"], row["timescale"], row["due_at"]))
        if outcome is True:
            kind = "met"
        elif outcome is False:
            kind = "met_late"
        elif row["fired_at"] is not None:
            kind = "missed"
        elif row["status"] == "open":
            kind = "open"
        else:
            kind = "cancelled"
        counts[row["rule"]][kind] += 1
        timescales[row["rule"]].add(row["timescale"])
        if kind in ("missed", "met_late"):
            missed_by_month[f"{local(aware(row['due_at'])):%Y-%m}"][kind] += 1
    table = []
    for rule in sorted(counts):
        c = counts[rule]
        table.append(
            {
                "rule": rule,
                "timescales": sorted(timescales[rule]),
                "due": c["met"] + c["met_late"] + c["missed"],
                "met": c["met"],
                "met_late": c["met_late"],
                "missed": c["missed"],
                "open": c["open"],
                "cancelled": c["cancelled"],
            }
        )
    return table, missed_by_month


def summarise(
    flow: FamilyFlow,
    *,
    population: Population,
    stopped: Mapping[str, int],
    waits: int,
    over_limit: int,
    peak: Mapping[str, int],
    at_end: Mapping[str, int],
) -> dict[str, Any]:
    with flow.db.connect() as conn:
        received = population_db.received(conn)
        table, late = rules(population_db.due_deadlines(conn), population_db.meetings(conn))
        result: dict[str, Any] = {
            "scenario": population.name,
            "seed": population.seed,
            "cases": population_db.case_count(conn),
            "events": population_db.transition_count(conn),
            "messages": population_db.messages_by_medium(conn),
        }
    by_process = Counter(process for process, _ in received)
    by_month: dict[str, Counter[str]] = defaultdict(Counter)
    for _, at in received:
        by_month[f"{local(aware(at)):%Y-%m}"]["cases"] += 1
    workers = [w for team in population.teams.values() for w in team.workers]
    result.update(
        {
            "by_process": dict(sorted(by_process.items())),
            "rules": table,
            "caseload": {
                "workers": len(workers),
                "part_time": sum(w.part_time for w in workers),
                "allocations_waited": waits,
                "allocated_over_limit": over_limit,
                "peak": {w.email: peak.get(w.email, 0) for w in workers},
                "open_at_end": {w.email: at_end.get(w.email.lower(), 0) for w in workers},
            },
            "by_month": [
                {
                    "month": month,
                    "cases": by_month[month]["cases"],
                    "missed": late[month]["missed"],
                    "met_late": late[month]["met_late"],
                }
                for month in sorted(set(by_month) | set(late))
            ],
            "stopped": dict(sorted(stopped.items())),
        }
    )
    return result


def text(summary: Mapping[str, Any]) -> str:
    """The summary as a manager reads it."""
    messages = ", ".join(f"{n:,} {medium}" for medium, n in summary["messages"].items())
    load = summary["caseload"]
    lines = [
        f"{summary['scenario']} (seed {summary['seed']}): {summary['cases']:,} cases, "
        f"{summary['events']:,} events, messages {messages or 'none'}",
        f"workers {load['workers']} ({load['part_time']} part time); "
        "working days allocations waited for a worker with room (one per case per day): "
        f"{load['allocations_waited']:,}",
        "",
        f"{'rule':<10}{'due':>8}{'met':>8}{'late':>8}{'missed':>8}{'on time':>9}",
    ]
    for row in summary["rules"]:
        lines.append(
            f"{row['rule']:<10}{row['due']:>8,}{row['met']:>8,}{row['met_late']:>8,}"
            f"{row['missed']:>8,}{on_time(row):>9}"
        )
    return "\n".join(lines)


def on_time(row: Mapping[str, Any]) -> str:
    return f"{row['met'] / row['due']:.0%}" if row["due"] else "-"


def _sent(summary: Mapping[str, Any], medium: str) -> str:
    return f"{summary['messages'].get(medium, 0):,}"


def side_by_side(left: Mapping[str, Any], right: Mapping[str, Any]) -> str:
    """Two scenarios' rules next to each other: the what-if's answer."""
    rows = {r["rule"]: r for r in left["rules"]}
    other = {r["rule"]: r for r in right["rules"]}
    a, b = str(left["scenario"]), str(right["scenario"])
    lines = [
        f"| | {a} | {b} |",
        "|---|---:|---:|",
        f"| cases | {left['cases']:,} | {right['cases']:,} |",
        f"| events | {left['events']:,} | {right['events']:,} |",
        f"| emails | {_sent(left, 'email')} | {_sent(right, 'email')} |",
        f"| texts | {_sent(left, 'sms')} | {_sent(right, 'sms')} |",
        f"| workers | {left['caseload']['workers']} | {right['caseload']['workers']} |",
        f"| working days allocations waited | {left['caseload']['allocations_waited']:,} "
        f"| {right['caseload']['allocations_waited']:,} |",
    ]
    for rule in sorted(set(rows) | set(other)):
        here, there = rows.get(rule), other.get(rule)

        def cell(row: Mapping[str, Any] | None) -> str:
            if row is None or not row["due"]:
                return "-"
            return f"{on_time(row)} on time ({row['missed']:,} missed of {row['due']:,})"

        lines.append(f"| {rule} | {cell(here)} | {cell(there)} |")
    return "\n".join(lines)
