"""My work: what this person can act on, a page at a time.

Each role sees the unmet timescales on their cases that they can meet themselves:
by a trigger their role may fire, or by a note their role's note counts for
(management oversight is a manager's: PAR-06, EH-11.1). A note kind with no roles
declared is the work of the people its timescale chases. Team managers also see
the cases waiting for a manager to move them (new referrals to confirm or
allocate). Admins see every unmet timescale. Everything is limited and counted in
SQL (familyflow/db/work.py), so a page costs the same with 100 cases or 100k.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from engine import replies, store
from engine.cases import ANY_ROLE
from engine.service import FamilyFlow
from engine.store import CaseRow
from familyflow.db import read_models
from familyflow.db import work as work_db
from familyflow.services import audit
from familyflow.services.messages import RETRIERS
from familyflow.services.principal import Principal
from workflows.spec import Effect, Message, Process, Timescale

PER_PAGE = 25
COUNT_CAP = 500  # counted no further: "more than 500" (20 pages)
WAITING_SHOWN = 20
MANAGERS = frozenset({"team_manager", "manager"})
REPLIES_SHOWN = timedelta(days=14)


def _chased(effects: tuple[Effect, ...]) -> set[str]:
    return {e.to for e in effects if isinstance(e, Message)}


def can_meet(process: Process, timescale: Timescale, met: str, role: str) -> bool:
    """Can someone with this account role meet the timescale this way?"""
    if met.startswith("note:"):
        kind = met[5:]
        if kind in process.note_met_by_roles:
            return process.note_meets(kind, role)
        return role in _chased(timescale.on_reminder) | _chased(timescale.on_due)
    return any(role in t.roles for t in process.transitions_for(met))


def _actionable(
    processes: tuple[Process, ...], role: str
) -> dict[str, tuple[str, ...] | None] | None:
    """The timescales by process this role can meet; None for a process (or for all)
    whose every timescale it can, so the SQL need not test each row's key."""
    found: dict[str, tuple[str, ...] | None] = {}
    for p in processes:
        keys = tuple(
            t.key for t in p.timescales if any(can_meet(p, t, met, role) for met in t.met_by)
        )
        found[p.name] = None if len(keys) == len(p.timescales) else keys
    return None if all(keys is None for keys in found.values()) else found


def _waiting_for_managers(processes: tuple[Process, ...]) -> dict[str, tuple[str, ...]]:
    """States whose every way on is a team manager's (to confirm, allocate, sign off)."""
    found = {}
    for p in processes:
        states = []
        for state in p.states:
            if state in p.final_states:
                continue
            onward = [t for t in p.transitions if state in t.source and t.dest not in (None, state)]
            if onward and all(t.roles <= MANAGERS and "team_manager" in t.roles for t in onward):
                states.append(state)
        found[p.name] = tuple(states)
    return found


def waiting_states(flow: FamilyFlow) -> dict[str, tuple[str, ...]]:
    return _waiting_for_managers(tuple(flow.services.processes.values()))


@dataclass(frozen=True)
class WorkPage:
    due: list[dict[str, Any]]  # this page's unmet timescales, in due order
    total: int  # counted up to COUNT_CAP + 1
    overdue: int  # likewise
    page: int
    pages: int
    cases: dict[int, CaseRow]  # the cases of this page's rows, waiting cases and replies
    waiting: list[dict[str, Any]] = field(default_factory=list)  # for a team manager
    waiting_total: int = 0
    waiting_page: int = 1
    waiting_pages: int = 1
    replies: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)


def _pages(total: int, per_page: int) -> int:
    """Pages of `per_page` for `total` rows counted up to COUNT_CAP (at least one)."""
    return max(1, -(-min(total, COUNT_CAP) // per_page))


def _waiting(
    flow: FamilyFlow, conn: Any, *, scope: work_db.Scope, page: int
) -> tuple[list[dict[str, Any]], int, int, int]:
    """A page of the cases waiting for a team manager, how many there are, the page
    (one past the last is the last) and the number of pages."""
    states = waiting_states(flow)
    total = work_db.count_waiting_cases(conn, scope=scope, states=states, cap=COUNT_CAP)
    pages = _pages(total, WAITING_SHOWN)
    page = min(page, pages)
    found = work_db.waiting_cases(
        conn, scope=scope, states=states, limit=WAITING_SHOWN, offset=(page - 1) * WAITING_SHOWN
    )
    return found, total, page, pages


def _scope(principal: Principal) -> work_db.Scope:
    if principal.is_admin or principal.role == ANY_ROLE:
        return work_db.Scope(everything=True)
    teams = tuple(principal.teams or ()) if principal.role == "team_manager" else ()
    return work_db.Scope(email=principal.email, teams=teams)


def my_work(
    flow: FamilyFlow, *, principal: Principal, page: int = 1, waiting_page: int = 1
) -> WorkPage:
    """One page of the principal's work (and, for a team manager, one page of the cases
    waiting for them); the read is audited with the cases shown."""
    processes = tuple(flow.services.processes.values())
    everything = principal.is_admin or principal.role == ANY_ROLE
    timescales = None if everything else _actionable(processes, principal.role)
    scope = _scope(principal)
    now = flow.clock.now()
    page = max(1, page)
    with flow.db.begin() as conn:
        total = work_db.count_due_items(conn, scope=scope, timescales=timescales, cap=COUNT_CAP)
        overdue = work_db.count_due_items(
            conn, scope=scope, timescales=timescales, cap=COUNT_CAP, overdue_at=now
        )
        pages = _pages(total, PER_PAGE)
        page = min(page, pages)
        due = work_db.due_items(
            conn,
            scope=scope,
            timescales=timescales,
            limit=PER_PAGE,
            offset=(page - 1) * PER_PAGE,
        )
        if principal.role == "team_manager":
            waiting, waiting_total, waiting_page, waiting_pages = _waiting(
                flow, conn, scope=scope, page=max(1, waiting_page)
            )
        else:  # only a team manager has cases waiting for them
            waiting, waiting_total, waiting_page, waiting_pages = [], 0, 1, 1
        texts = replies.recent(
            conn, email=None if everything else principal.email, since=now - REPLIES_SHOWN
        )
        # Business support acts on messages that will not arrive: retry or fix the contact.
        failed = (
            read_models.failed_messages(
                conn, teams=principal.teams, email=principal.email, limit=PER_PAGE
            )
            if principal.role in RETRIERS
            else []
        )
        ids = sorted(
            {r["case_id"] for r in due}
            | {r["id"] for r in waiting}
            | {r["case_id"] for r in texts if r["case_id"] is not None}
        )
        cases = store.load_cases(conn, ids)
        audit.read(
            conn,
            principal=principal,
            at=now,
            what="my work",
            case_ids=ids,
            filters={"page": page, "waiting_page": waiting_page},
        )
    return WorkPage(
        due=due,
        total=total,
        overdue=overdue,
        page=page,
        pages=pages,
        cases=cases,
        waiting=waiting,
        waiting_total=waiting_total,
        waiting_page=waiting_page,
        waiting_pages=waiting_pages,
        replies=texts,
        failed=failed,
    )
