"""What survives a stop, a crash and a failure, on SQLite and on PostgreSQL.

The database is the only memory FamilyFlow has: a new instance started on it
must do, once and in order, what fell due while no instance was running, and a
trigger that fails half-way must leave no trace.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
import sqlalchemy as sa

from engine import store
from engine.cases import AS_NAMED, Actor
from engine.errors import InputError
from tests.conftest import AppFactory
from tests.support.attendance import TEAM_MANAGER, to_attending
from tests.support.database import audit, deadlines, rows, snapshot
from tests.support.journeys import CONTACTS, at, case_state, history, outbox_rows, step

SOCIAL_WORKER = CONTACTS["social_worker"]["email"]
MANAGER = CONTACTS["team_manager"]["email"]
BUSINESS_SUPPORT = CONTACTS["business_support"]["email"]


def test_par_04_deadlines_missed_while_stopped_fire_once_in_due_order_on_restart(
    make_app: AppFactory, new_referral: Callable[..., int]
) -> None:
    """PAR-04: the chase (7 days) and the close (14 days) both fall due while no
    instance runs; the first tick of a new instance fires each once, chase first,
    records both as late, and closes the referral as no_response."""
    before = make_app(start="2026-12-14T09:00")
    case_id = new_referral(before, "2026-12-14T10:00")
    step(before, case_id, "2026-12-15T09:00", "request_confirmation", by=MANAGER)
    step(before, case_id, "2026-12-16T11:00", "confirm_attendance")
    assert [(d["timescale"], d["due_at"]) for d in deadlines(before, case_id)] == [
        ("PAR-04-chase", at("2026-12-23T23:59:59")),
        ("PAR-04-close", at("2026-12-30T23:59:59")),
    ]
    before.db.dispose()  # the service stops; nothing runs over Christmas

    after = make_app(start="2027-01-04T09:00")
    after.tick()  # start-up

    missed = audit(after, store.audit.c.kind == "deadline_missed")
    assert [
        (
            m["case_id"],
            m["rule"],
            m["detail"]["timescale"],
            m["occurred_at"],
            m["recorded_at"],
            m["detail"]["late"],
        )
        for m in missed
    ] == [
        (
            case_id,
            "PAR-04",
            "PAR-04-chase",
            at("2026-12-23T23:59:59"),
            at("2027-01-04T09:00"),
            True,
        ),
        (
            case_id,
            "PAR-04",
            "PAR-04-close",
            at("2026-12-30T23:59:59"),
            at("2027-01-04T09:00"),
            True,
        ),
    ]
    assert [
        (d["timescale"], d["status"], d["fired_at"], d["late"]) for d in deadlines(after, case_id)
    ] == [
        ("PAR-04-chase", "fired", at("2027-01-04T09:00"), True),
        ("PAR-04-close", "fired", at("2027-01-04T09:00"), True),
    ]
    case = case_state(after, case_id)
    assert (case.state, case.data["closure_reason"]) == ("closed", "no_response")
    reference = f"PAR-{case_id:06d}"
    sent = outbox_rows(after, case_id=case_id)
    late_mail = [
        (m["rule"], m["to_address"], m["cc"], m["subject"], m["status"])
        for m in sent
        if m["created_at"] == at("2027-01-04T09:00")
    ]
    assert late_mail == [
        (
            "PAR-04",
            SOCIAL_WORKER,
            [MANAGER],
            f"Reminder: sessions still to be chosen ({reference})",
            "sent",
        ),
        ("PAR-04", SOCIAL_WORKER, [MANAGER], f"Referral closed: no response ({reference})", "sent"),
        ("PAR-18", BUSINESS_SUPPORT, [MANAGER], f"Closed: {reference} (no_response)", "sent"),
    ]

    stored = snapshot(after)
    after.tick()
    assert snapshot(after) == stored, "a second tick fired or sent something again"

    def the_case() -> tuple[object, ...]:
        return (
            deadlines(after, case_id),
            outbox_rows(after, case_id=case_id),
            audit(after, store.audit.c.case_id == case_id),
        )

    stored_case = the_case()
    after.advance(at("2027-01-18T09:00"))
    assert the_case() == stored_case, "a closed case's deadlines fired again"


def test_a_tuesday_agenda_missed_while_stopped_runs_once_on_start_not_once_per_tuesday(
    make_app: AppFactory, new_referral: Callable[..., int]
) -> None:
    """PAR-13, PAR-17: the Tuesday 08:00 agenda runs on time while the service
    runs; three Tuesdays missed during downtime give one late run on start, for
    the latest of them, listing what came in since the last agenda."""
    before = make_app(start="2026-12-14T09:00")
    first = new_referral(before, "2026-12-14T10:00")
    before.advance(at("2026-12-15T12:00"))  # Tuesday 15 December 08:00 runs on time
    second = new_referral(before, "2026-12-15T12:00")
    before.db.dispose()  # stopped until Wednesday 6 January: 22, 29 Dec and 5 Jan missed

    after = make_app(start="2027-01-06T09:00")
    after.tick()

    runs = [
        (r["job"], r["slot"], r["ran_at"], r["late"])
        for r in rows(after, store.job_runs)
        if r["job"] == "parenting_tuesday"
    ]
    assert runs == [
        ("parenting_tuesday", at("2026-12-14T10:00"), at("2026-12-14T10:00"), False),  # 1st start
        ("parenting_tuesday", at("2026-12-15T08:00"), at("2026-12-15T08:00"), False),
        ("parenting_tuesday", at("2027-01-05T08:00"), at("2027-01-06T09:00"), True),
    ]
    jobs = [
        (e["at"], e["rule"], e["reason"])
        for e in history(after)
        if e["kind"] == "job" and e["reason"].startswith("parenting_tuesday")
    ]
    assert jobs == [
        ("2026-12-15T08:00:00+00:00", "PAR-13, PAR-17", "parenting_tuesday: 1 agenda(s) queued"),
        ("2027-01-05T08:00:00+00:00", "PAR-13, PAR-17", "parenting_tuesday: 1 agenda(s) queued"),
    ]
    agendas = outbox_rows(after, template="parenting/tuesday_agenda")
    assert [(a["to_address"], a["subject"], a["status"]) for a in agendas] == [
        (MANAGER, "Parenting Tuesday meeting agenda, Tuesday 15 December 2026", "sent"),
        (MANAGER, "Parenting Tuesday meeting agenda, Tuesday 5 January 2027", "sent"),
    ]
    new_referrals = agendas[1]["body"].split("New referrals:\n", 1)[1].split("\n\n", 1)[0]
    assert new_referrals == f"- PAR-{second:06d} (referred): Jo Parent"
    assert f"PAR-{first:06d}" in agendas[0]["body"]

    stored = snapshot(after)
    after.tick()
    assert snapshot(after) == stored


def test_a_trigger_that_fails_half_way_writes_nothing(
    make_app: AppFactory, new_referral: Callable[..., int]
) -> None:
    """PAR-12: a missed session must text the parent. When the parent has no
    mobile the text cannot be queued, so the whole event is refused: the case's
    state and version, its audit trail, deadlines and outbox stay as they were."""
    flow = make_app(start="2026-12-14T09:00")
    no_mobile = {**CONTACTS, "parent": {"name": "Jo Parent"}}
    case_id = new_referral(flow, "2026-12-14T10:00", contacts=no_mobile)
    to_attending(
        flow,
        case_id,
        received=date(2026, 12, 14),
        sessions=["2027-01-05T10:00", "2027-01-12T10:00", "2027-01-19T10:00"],
    )
    flow.advance(at("2027-01-05T14:00"))
    stored = snapshot(flow)
    version = case_state(flow, case_id).version

    with pytest.raises(InputError) as refused:
        flow.fire(
            case_id,
            "record_session",
            {"session": at("2027-01-05T10:00"), "attended": False},
            actor=Actor(TEAM_MANAGER, AS_NAMED),
        )

    assert str(refused.value) == (
        "contacts.parent: needs a mobile for parenting/missed_session (PAR-12)"
    )
    assert snapshot(flow) == stored
    case = case_state(flow, case_id)
    assert (case.state, case.version, case.data.get("missed_count")) == ("attending", version, 0)


def test_the_audit_trail_is_append_only_in_the_database(
    make_app: AppFactory, new_referral: Callable[..., int]
) -> None:
    """The database itself refuses to change or remove an audit record, whoever asks."""
    flow = make_app()
    new_referral(flow)
    stored = audit(flow)
    assert stored

    for statement in ("UPDATE audit_events SET reason = 'rewritten'", "DELETE FROM audit_events"):
        with (
            pytest.raises(sa.exc.DBAPIError, match="audit_events is append-only"),
            flow.db.begin() as conn,
        ):
            conn.execute(sa.text(statement))

    assert audit(flow) == stored
