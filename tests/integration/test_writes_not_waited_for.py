"""store.overlapping: a batch's writes are sent without waiting, and nothing changes.

Firing deadlines on PostgreSQL sends its audit rows, messages and fired marks in
psycopg's pipeline mode, so that the server writes one part of a batch while the
engine renders the next (issue 11). These tests hold what must not change: a read
inside sees every write sent before it, whichever path it takes; the optimistic
lock still counts the row it updated; a write that fails is raised as the
SQLAlchemy error it always was, and the transaction writes nothing. On SQLite the
block does nothing, and the same tests hold.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from psycopg import pq

from engine import store
from engine.clock import UTC
from engine.service import FamilyFlow
from tests.conftest import AppFactory
from tests.support.journeys import at, outbox_rows, step

AT = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
CHASE = "parenting/chase_session_choice"  # PAR-04: sessions not chosen within a week
TM = "ade.bello@example.org"


def audit_row(kind: str, case_id: int | None = None) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "kind": kind,
        "actor": "system",
        "actor_role": None,
        "occurred_at": AT,
        "recorded_at": AT,
        "rule": "PAR-04",
        "reason": None,
        "trigger": None,
        "from_state": None,
        "to_state": None,
        "detail": {"note": "Zoë O\u2019Brien"},
    }


def kinds(conn: sa.Connection) -> list[str]:
    query = sa.select(store.audit.c.kind).order_by(store.audit.c.id)
    return list(conn.execute(query).scalars())


def in_pipeline(conn: sa.Connection) -> bool:
    driver = conn.connection.driver_connection
    return conn.dialect.name == "postgresql" and (
        driver.pgconn.pipeline_status != pq.PipelineStatus.OFF  # type: ignore[union-attr]
    )


def test_writes_inside_are_sent_without_waiting_on_postgresql_only(
    make_app: AppFactory,
) -> None:
    flow = make_app()
    with flow.db.begin() as conn, store.overlapping(conn) as overlapped:
        store.insert_rows(conn, store.audit, [audit_row("first"), audit_row("second")])
        assert in_pipeline(conn) is overlapped is (conn.dialect.name == "postgresql")


def test_a_read_inside_sees_every_write_sent_before_it_whichever_path_it_takes(
    make_app: AppFactory,
) -> None:
    flow = make_app()
    with flow.db.begin() as conn, store.overlapping(conn):
        store.insert_rows(conn, store.audit, [audit_row("first")])
        assert kinds(conn) == ["first"]  # Connection.execute
        assert not in_pipeline(conn)
        store.insert_rows(conn, store.audit, [audit_row("second")])
        assert store.next_due(conn) is None  # the store's own fast path reads too
        assert kinds(conn) == ["first", "second"]
    with flow.db.connect() as conn:
        assert kinds(conn) == ["first", "second"]


def test_the_optimistic_lock_still_counts_the_row_it_updated(
    make_app: AppFactory, new_referral: Callable[..., int]
) -> None:
    flow = make_app()
    case_id = new_referral(flow)
    with flow.db.begin() as conn, store.overlapping(conn):
        case = store.load_cases(conn, [case_id])[case_id]
        store.insert_rows(conn, store.audit, [audit_row("before the update", case_id)])
        case.version += 1
        assert store.update_case(conn, case) is True
        stale = store.load_cases(conn, [case_id])[case_id]
        stale.loaded_version -= 1  # as if somebody else wrote it since
        stale.version += 1
        assert store.update_case(conn, stale) is False


def test_a_write_that_fails_is_the_sqlalchemy_error_and_nothing_is_written(
    make_app: AppFactory,
) -> None:
    flow = make_app()
    with (
        pytest.raises(sa.exc.IntegrityError) as raised,
        flow.db.begin() as conn,
        store.overlapping(conn),
    ):
        store.insert_rows(conn, store.audit, [audit_row("sent")])
        store.insert_rows(conn, store.audit, [audit_row("of no case", case_id=987654)])
    assert "audit_events" in str(raised.value)  # the foreign key it broke
    with flow.db.connect() as conn:
        assert kinds(conn) == []
    # The connection goes back to the pool usable, out of pipeline mode.
    with flow.db.begin() as conn:
        store.insert_rows(conn, store.audit, [audit_row("after")])
        assert not in_pipeline(conn)
        assert kinds(conn) == ["after"]


def refuse_messages_of(flow: FamilyFlow, case_id: int) -> None:
    """As a database might: a trigger refusing this case's outbox rows."""
    with flow.db.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse_outbox() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.case_id = {case_id} THEN RAISE EXCEPTION 'refused'; END IF; "
                "RETURN NEW; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox "
                "FOR EACH ROW EXECUTE FUNCTION refuse_outbox()"
            )
        else:
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox "
                f"WHEN NEW.case_id = {case_id} BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )


def accept_messages(flow: FamilyFlow) -> None:
    with flow.db.begin() as conn:
        conn.exec_driver_sql(
            "DROP TRIGGER refuse_outbox"
            + (" ON outbox" if conn.dialect.name == "postgresql" else "")
        )


def chases(flow: FamilyFlow, case_id: int) -> list[tuple[str, str]]:
    rows = outbox_rows(flow, copies=True, case_id=case_id, template=CHASE)
    return sorted((row["to_role"], row["to_address"]) for row in rows)


def test_a_batch_the_database_refuses_in_part_loses_nothing_and_sends_nothing_twice(
    make_app: AppFactory, new_referral: Callable[..., int]
) -> None:
    flow = make_app()
    referrals = [new_referral(flow) for _ in range(3)]
    for case_id in referrals:  # three chases (PAR-04) due at the same instant
        step(flow, case_id, "2026-12-15T09:00", "request_confirmation", by=TM)
        step(flow, case_id, "2026-12-16T11:00", "confirm_attendance")
    first, refused, last = referrals
    refuse_messages_of(flow, refused)
    flow.clock.advance_to(at("2026-12-24T09:00"))  # type: ignore[attr-defined]

    # The batch fails as a whole, on leaving its pipeline, and is retried a deadline
    # at a time: the first fires, the refused one raises as it always did.
    with pytest.raises(sa.exc.DBAPIError, match="refused"):
        flow.fire_due()
    expected = [("social_worker", "sam.jones@example.org"), ("team_manager", TM)]
    assert chases(flow, first) == expected
    assert chases(flow, refused) == chases(flow, last) == []

    accept_messages(flow)
    assert flow.fire_due() == 2
    assert [chases(flow, case_id) for case_id in referrals] == [expected] * 3
    assert flow.fire_due() == 0
