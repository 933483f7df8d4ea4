"""Reports for managers, business support and admins (the read model is
familyflow/reports.py): figures per rule, worker and group, scoped to the teams."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from engine.errors import NotFound
from engine.service import FamilyFlow
from familyflow import reports
from familyflow.services.principal import Principal

READERS = ("team_manager", "business_support", "admin")


def timeliness(flow: FamilyFlow, *, principal: Principal) -> list[dict[str, Any]]:
    principal.require(READERS, action="read reports")
    with flow.db.connect() as conn:
        return reports.timeliness(
            conn, flow.services.processes, teams=principal.teams, email=principal.email
        )


def caseload(
    flow: FamilyFlow, *, principal: Principal, team: str | None = None
) -> list[dict[str, Any]]:
    """Each worker's open cases against their limit: of the teams the person sees, or
    of one of them (`team`; one they cannot see is refused as not found)."""
    principal.require(READERS, action="read reports")
    teams: Sequence[str] | None = principal.teams
    if team is not None:
        if "\x00" in team or (teams is not None and team not in teams):
            raise NotFound(what="team", key=team)
        teams = (team,)
    with flow.db.connect() as conn:
        return reports.caseload(conn, teams=teams)


def open_durations(
    flow: FamilyFlow, *, principal: Principal, ids_per_band: int | None = None
) -> dict[str, Any]:
    """The bands' counts, and their cases (the first `ids_per_band` when given)."""
    principal.require(READERS, action="read reports")
    with flow.db.connect() as conn:
        return reports.open_durations(
            conn,
            now=flow.clock.now(),
            teams=principal.teams,
            email=principal.email,
            ids_per_band=ids_per_band,
        )


def missed_sessions(flow: FamilyFlow, *, principal: Principal) -> list[dict[str, Any]]:
    principal.require(READERS, action="read reports")
    with flow.db.connect() as conn:
        return reports.missed_sessions(conn, teams=principal.teams, email=principal.email)


# The reports page's four reports are independent reads, each on a connection of its
# own: side by side, the page waits for the slowest (timeliness or the caseloads, about
# 140 ms each at 100k cases) rather than for their sum. Not for an in-memory SQLite
# database (a connection each would be a database each): the service uses files.
_READS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="familyflow-reports")


@dataclass(frozen=True)
class Overview:
    timeliness: list[dict[str, Any]]
    caseload: list[dict[str, Any]]
    durations: dict[str, Any]
    missed: list[dict[str, Any]]


def overview(
    flow: FamilyFlow,
    *,
    principal: Principal,
    team: str | None = None,
    ids_per_band: int | None = None,
) -> Overview:
    """The reports page: timeliness, caseloads (of one team when given), long-open
    cases and missed sessions, read at once."""
    principal.require(READERS, action="read reports")
    in_memory = flow.db.url.database in (None, "", ":memory:")  # one connection: in turn
    submit = _in_turn if in_memory else _READS.submit
    rules = submit(timeliness, flow, principal=principal)
    loads = submit(caseload, flow, principal=principal, team=team)
    bands = submit(open_durations, flow, principal=principal, ids_per_band=ids_per_band)
    sessions = submit(missed_sessions, flow, principal=principal)
    # Every read finished before any answer is taken: one that fails (a team the person
    # cannot see) must not leave the others holding connections after the page has gone.
    wait((rules, loads, bands, sessions))
    return Overview(rules.result(), loads.result(), bands.result(), sessions.result())


def _in_turn(read: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
    """A read done here and now, answered as the thread pool answers."""
    done: Future[Any] = Future()
    done.set_result(read(*args, **kwargs))
    return done
