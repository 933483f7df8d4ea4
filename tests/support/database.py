"""Reading and seeding the database directly, for tests that check what was stored.

`snapshot` reads every row a case event can write, so a test can show that a
failed event wrote nothing. `confirmed_referrals` builds many referrals waiting
for the social worker's session choice (so PAR-04's timers are running) through
the engine's own unit of work, in one transaction, because a thousand of them
one transaction at a time would make the concurrency tests slow.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine import store
from engine.cases import ANY_ROLE, Actor, CaseWork
from engine.service import FamilyFlow, parse_contacts
from tests.support.journeys import CONTACTS

WRITTEN_BY_EVENTS = {
    "cases": store.cases,
    "contacts": store.contacts,
    "deadlines": store.deadlines,
    "audit_events": store.audit,
    "outbox": store.outbox,
    "job_runs": store.job_runs,
}


def rows(flow: FamilyFlow, table: sa.Table, *where: Any) -> list[dict[str, Any]]:
    with flow.db.connect() as conn:
        query = sa.select(table).where(*where).order_by(table.c.id)
        return [dict(row) for row in conn.execute(query).mappings()]


def snapshot(flow: FamilyFlow) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table an event writes, in id order."""
    return {name: rows(flow, table) for name, table in WRITTEN_BY_EVENTS.items()}


def deadlines(flow: FamilyFlow, case_id: int) -> list[dict[str, Any]]:
    return rows(flow, store.deadlines, store.deadlines.c.case_id == case_id)


def audit(flow: FamilyFlow, *where: Any) -> list[dict[str, Any]]:
    return rows(flow, store.audit, *where)


def deadline_statuses(flow: FamilyFlow, timescale: str) -> Counter[str]:
    found = rows(flow, store.deadlines, store.deadlines.c.timescale == timescale)
    return Counter(row["status"] for row in found)


def confirmed_referrals(flow: FamilyFlow, count: int, *, at: datetime) -> list[int]:
    """`count` parenting referrals, each received, sent for confirmation and confirmed
    by the social worker at `at` (PAR-02, PAR-03), so that PAR-04's chase (7 days)
    and close (14 days) deadlines are open for every one of them."""
    parenting = flow.services.processes["parenting"]
    contacts = parse_contacts(CONTACTS)
    actor = Actor("test", ANY_ROLE)

    with flow.db.begin() as conn:
        work = CaseWork(conn=conn, services=flow.services, now=flow.clock.now())
        ids = []
        for _ in range(count):
            case = work.create(
                process=parenting, received_at=at, data={}, contacts=contacts, actor=actor
            )
            work.fire(case.id, "request_confirmation", {}, actor=actor, at=at)
            work.fire(case.id, "confirm_attendance", {}, actor=actor, at=at)
            ids.append(case.id)
        work.flush()
    return ids
