"""Reading cases in bulk: search, My work, the register, the audit trail (the tracker
and its exports are familyflow/services/tracker.py). Every read of personal data is an
audit record naming the person, what they read and, for lists, the filter and how many
rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from engine import replies, store
from engine.history import timeline
from engine.service import FamilyFlow
from engine.store import CaseRow
from familyflow.db import read_models, records
from familyflow.services import audit
from familyflow.services.cases import check_visible as _check_visible
from familyflow.services.messages import RETRIERS
from familyflow.services.principal import Principal

AUDIT_READERS = ("team_manager", "admin")
REPLIES_SHOWN = timedelta(days=14)  # how far back My work lists parents' replies


def check_visible(flow: FamilyFlow, *, principal: Principal, case_id: int) -> None:
    with flow.db.connect() as conn:
        _check_visible(conn, principal, case_id)


@dataclass(frozen=True, kw_only=True)
class CaseFilters:
    processes: list[str] | None = None
    state: str | None = None
    team: str | None = None
    worker: str | None = None
    overdue: bool | None = None
    due_within_days: int | None = None
    id_like: str | None = None
    open_only: bool | None = None


def search_cases(
    flow: FamilyFlow,
    *,
    principal: Principal,
    filters: CaseFilters,
    limit: int = 100,
    offset: int = 0,
    what: str = "case search",
) -> tuple[list[dict[str, Any]], int]:
    """Cases matching the filters that the principal may see, and how many in all."""
    now = flow.clock.now()
    wanted = asdict(filters)
    days = wanted.pop("due_within_days")
    with flow.db.begin() as conn:
        rows, total = read_models.search_cases(
            conn,
            now=now,
            teams=principal.teams,
            email=principal.email,
            due_within=now + timedelta(days=days) if days is not None else None,
            limit=limit,
            offset=offset,
            **wanted,
        )
        audit.read(
            conn,
            principal=principal,
            at=now,
            what=what,
            case_ids=[r["id"] for r in rows],
            filters={**asdict(filters), "limit": limit, "offset": offset},
        )
    return rows, total


@dataclass(frozen=True)
class Listing:
    """Cases found (the search's rows), their rows with contacts, and unmet deadlines."""

    found: list[dict[str, Any]]
    cases: dict[int, CaseRow]
    due: list[dict[str, Any]]
    stage_counts: dict[str, int]
    teams: list[str]
    replies: list[dict[str, Any]] = field(default_factory=list)  # parents' texts (PAR-12)
    failed: list[dict[str, Any]] = field(default_factory=list)  # messages that will not arrive


def my_work(flow: FamilyFlow, *, principal: Principal) -> Listing:
    """The principal's unmet timescales: the cases they are named on, a team manager's
    teams too, everything for admins."""
    with flow.db.begin() as conn:
        if principal.is_admin:
            rows = read_models.unmet_deadlines(conn)
        else:
            teams = principal.teams if principal.role == "team_manager" else None
            rows = read_models.unmet_deadlines(
                conn, contact_email=principal.email, teams=teams or None
            )
        now = flow.clock.now()
        texts = replies.recent(
            conn, email=None if principal.is_admin else principal.email, since=now - REPLIES_SHOWN
        )
        # Business support acts on messages that will not arrive: retry or fix the contact.
        failed = (
            read_models.failed_messages(conn, teams=principal.teams, email=principal.email)
            if principal.role in RETRIERS
            else []
        )
        ids = sorted({r["case_id"] for r in rows} | {r["case_id"] for r in texts})
        cases = store.load_cases(conn, ids)
        audit.read(conn, principal=principal, at=now, what="my work", case_ids=ids)
    return Listing(
        found=[], cases=cases, due=rows, stage_counts={}, teams=[], replies=texts, failed=failed
    )


def register(flow: FamilyFlow, *, principal: Principal, process: str) -> dict[int, CaseRow]:
    """The cases on a group's register (attendance by session); audited."""
    now = flow.clock.now()
    with flow.db.begin() as conn:
        found, _ = read_models.search_cases(
            conn,
            now=now,
            teams=principal.teams,
            email=principal.email,
            processes=[process],
            limit=500,
        )
        ids = [r["id"] for r in found]
        cases = store.load_cases(conn, ids)
        audit.read(conn, principal=principal, at=now, what="register", case_ids=ids)
    return cases


def deadlines(
    flow: FamilyFlow,
    *,
    principal: Principal,
    within_days: int | None,
    overdue_only: bool,
    process: str | None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    now = flow.clock.now()
    with flow.db.begin() as conn:
        rows = read_models.deadlines_across_cases(
            conn,
            now=now,
            teams=principal.teams,
            email=principal.email,
            until=now + timedelta(days=within_days) if within_days is not None else None,
            overdue_only=overdue_only,
            process=process,
            limit=limit,
        )
        audit.read(
            conn,
            principal=principal,
            at=now,
            what="deadlines",
            case_ids=sorted({r["case_id"] for r in rows}),
            filters={"within_days": within_days, "overdue": overdue_only, "process": process},
        )
    return rows


def flagged_contacts(flow: FamilyFlow, *, principal: Principal) -> list[dict[str, Any]]:
    with flow.db.begin() as conn:
        rows = read_models.flagged_contacts(conn, teams=principal.teams, email=principal.email)
        audit.read(
            conn,
            principal=principal,
            at=flow.clock.now(),
            what="flagged contacts",
            case_ids=sorted({r["case_id"] for r in rows}),
        )
    return rows


def audit_trail(
    flow: FamilyFlow,
    *,
    principal: Principal,
    case_id: int | None = None,
    kind: str | None = None,
    actor: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The audit trail, reads included: a case's for managers, all of it for admins."""
    principal.require(
        AUDIT_READERS if case_id is not None else ("admin",), action="read the audit trail"
    )
    with flow.db.connect() as conn:
        if case_id is not None:
            _check_visible(conn, principal, case_id)
        return records.audit_trail(
            conn, case_id=case_id, kind=kind, actor=actor, limit=limit, offset=offset
        )


def case_rows(flow: FamilyFlow, *, principal: Principal, ids: list[int]) -> dict[int, CaseRow]:
    """Cases by id that the principal may see (for labelling lists such as messages)."""
    with flow.db.connect() as conn:
        visible = [
            i
            for i in ids
            if principal.teams is None
            or read_models.case_visible(conn, i, teams=principal.teams, email=principal.email)
        ]
        return store.load_cases(conn, visible)


def history(flow: FamilyFlow, *, principal: Principal, case_id: int | None) -> list[dict[str, Any]]:
    """The audit trail in order as people read it (all of it when case_id is None)."""
    with flow.db.begin() as conn:
        if case_id is not None:
            _check_visible(conn, principal, case_id)
        elif principal.teams is not None:
            principal.require(("admin",), action="read every case's history")
        entries = timeline(conn, case_id=case_id)
        audit.read(conn, principal=principal, at=flow.clock.now(), what="history", case_id=case_id)
    return entries


def final_state(flow: FamilyFlow, *, case_id: int) -> tuple[str, list[str]]:
    """A case's state and the processes with any case (a simulation's summary)."""
    with flow.db.connect() as conn:
        state = store.load_cases(conn, [case_id])[case_id].state
        return state, store.processes_with_cases(conn)
