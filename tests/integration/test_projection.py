"""If nobody acts (issue 10): the case page's projection is the engine's own firing
loop rehearsed on a throwaway copy. Exact projected times for a parenting case (PAR-04's
chase and auto-close) and an early-help case (EH-1.2's reminder and escalation), the
same as what really happens when the time comes, and nothing written but the audit
record of the read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from engine.errors import NotFound
from familyflow.services import projection
from familyflow.services.principal import Principal
from tests.conftest import TABLES
from tests.support.journeys import CONTACTS, at, history, step

ADMIN = Principal(email="siân.jones@example.org", role="admin", teams=None)
OUTSIDER = Principal(email="zoe.obrien@example.org", role="social_worker", teams=("Other",))


def snapshot(flow: Any) -> dict[str, list[tuple[Any, ...]]]:
    with flow.db.connect() as conn:
        present = set(sa.inspect(conn).get_table_names())
        return {
            t: sorted(map(tuple, conn.execute(sa.text(f"SELECT * FROM {t}"))), key=repr)
            for t in TABLES
            if t in present
        }


def projected(flow: Any, case_id: int) -> list[tuple[str, str, str | None, str]]:
    found = projection.project_case(flow, principal=ADMIN, case_id=case_id)
    return [(s.at.isoformat(), s.title, s.rule, s.text) for s in found.steps]


def parenting_case_awaiting_session_choice(make_app: Any) -> tuple[Any, int]:
    flow = make_app(start="2026-12-14T09:00")
    flow.clock.advance_to(at("2026-12-14T10:00"))
    case_id = flow.create_case(
        process="parenting", received_at=at("2026-12-14T10:00"), data={}, contacts=CONTACTS
    )
    flow.tick()
    step(flow, case_id, "2026-12-15T09:00", "request_confirmation", by="ade.bello@example.org")
    step(flow, case_id, "2026-12-16T11:00", "confirm_attendance")
    return flow, case_id


PARENTING_IF_NOBODY_ACTS = [
    (
        "2026-12-23T23:59:59+00:00",
        "Timescale missed",
        "PAR-04",
        "sessions chosen within 1 week of confirmation, else chase the social worker",
    ),
    ("2026-12-23T23:59:59+00:00", "Email to social worker", "PAR-04", "chase session choice"),
    (
        "2026-12-30T23:59:59+00:00",
        "Timescale missed",
        "PAR-04",
        "no response after a further week: final email and referral closed",
    ),
    ("2026-12-30T23:59:59+00:00", "Email to social worker", "PAR-04", "no response closure"),
    ("2026-12-30T23:59:59+00:00", "Moves to closed", "PAR-18", "close"),
    ("2026-12-30T23:59:59+00:00", "Email to business support", "PAR-18", "closed"),
]


def test_PAR_04_a_parenting_case_not_answered_is_projected_to_be_chased_in_a_week_and_closed_in_two(
    make_app,
):
    flow, case_id = parenting_case_awaiting_session_choice(make_app)

    assert projected(flow, case_id) == PARENTING_IF_NOBODY_ACTS


def test_the_projection_writes_nothing_but_the_audit_record_of_the_read(make_app):
    flow, case_id = parenting_case_awaiting_session_choice(make_app)
    before = snapshot(flow)

    projected(flow, case_id)
    projected(flow, case_id)

    after = snapshot(flow)
    assert {t: rows for t, rows in after.items() if t != "audit_events"} == {
        t: rows for t, rows in before.items() if t != "audit_events"
    }
    added = [row for row in after["audit_events"] if row not in before["audit_events"]]
    assert len(added) == 2
    with flow.db.connect() as conn:
        reads = conn.execute(
            sa.text(
                "SELECT kind, actor, reason, case_id FROM audit_events ORDER BY id DESC LIMIT 2"
            )
        ).all()
    assert [tuple(r) for r in reads] == [
        ("read", "siân.jones@example.org", "case projection read", case_id)
    ] * 2


def test_what_is_projected_is_what_happens_when_nobody_acts(make_app):
    flow, case_id = parenting_case_awaiting_session_choice(make_app)
    foreseen = projected(flow, case_id)

    flow.advance(at("2027-01-02T09:00"))

    happened = [
        (e["at"], e["kind"], e.get("rule"))
        for e in history(flow, case_id)
        if datetime.fromisoformat(e["at"]) >= at("2026-12-17T00:00")
        and e["kind"] in ("deadline_missed", "message", "transition")
    ]
    kinds = {"Timescale missed": "deadline_missed", "Moves to closed": "transition"}
    assert happened == [
        (when, kinds.get(title, "message"), rule) for when, title, rule, _ in foreseen
    ]


def test_EH_1_2_an_early_help_contact_not_acknowledged_is_projected_to_remind_then_escalate(
    make_app,
):
    flow = make_app(start="2027-01-11T09:00")
    flow.advance(at("2027-01-11T10:00"))
    case_id = flow.create_case(
        process="early_help",
        received_at=at("2027-01-11T10:00"),
        data={"family": "Łukasz family", "contact_type": "request_for_support"},
        contacts={
            "referrer": {"name": "Pat Reed", "email": "pat.reed@school.example.org"},
            "duty_worker": {"name": "Dee Duty", "email": "dee.duty@example.org"},
            "manager": {"name": "Mo Khan", "email": "mo.khan@example.org"},
            "team_manager": {"name": "Tia Lead", "email": "tia.lead@example.org"},
        },
    )
    flow.tick()

    steps = projected(flow, case_id)

    # The duty worker is reminded when the expected day ends, the manager told when the
    # maximum ends (queued then; delivery waits for the working day to start).
    assert steps == [
        (
            "2027-01-12T23:59:59+00:00",
            "Timescale missed",
            "EH-1.2",
            "acknowledgement email to the referrer: expected within 1 working day",
        ),
        ("2027-01-12T23:59:59+00:00", "Email to duty worker", "EH-1.2", "referrer email expected"),
        (
            "2027-01-14T23:59:59+00:00",
            "Timescale missed",
            "EH-1.2",
            "acknowledgement email to the referrer: maximum 3 calendar days",
        ),
        ("2027-01-14T23:59:59+00:00", "Email to manager", "EH-1.2", "referrer email overdue"),
    ]


def test_a_case_outside_the_persons_teams_has_no_projection(make_app):
    flow, case_id = parenting_case_awaiting_session_choice(make_app)
    with pytest.raises(NotFound):
        projection.project_case(flow, principal=OUTSIDER, case_id=case_id)
