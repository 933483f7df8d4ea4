"""Oversight is a manager's act (PAR-06, EH-11.1), and My work shows each person only
what they can act on, a page at a time, with a team manager's new referrals waiting."""

from __future__ import annotations

import sqlalchemy as sa

from engine import store
from familyflow.services import cases as case_service
from familyflow.services import work
from familyflow.services.principal import Principal
from familyflow.web.casework import work_items
from tests.support.journeys import CONTACTS, WORKER, at, step

TEAM = "Parenting North"
KIM = Principal(email="kim.lee@example.org", role="worker", teams=(TEAM,), name="Kim Lee")
ADE = Principal(email="ade.bello@example.org", role="team_manager", teams=(TEAM,), name="Ade")
BS = Principal(email="bs@example.org", role="business_support", teams=(TEAM,), name="BS")
ADMIN = Principal(email="admin@example.org", role="admin", teams=None, name="Admin")


def _referral(flow, received: str = "2026-12-14T10:00") -> int:
    flow.clock.advance_to(at(received))
    return flow.create_case(
        process="parenting", received_at=at(received), data={}, contacts=CONTACTS, team=TEAM
    )


def _allocated(flow, received: str = "2026-12-14T10:00") -> int:
    case_id = _referral(flow, received)
    step(flow, case_id, "2026-12-15T09:00", "request_confirmation", by=ADE.email)
    step(flow, case_id, "2026-12-16T11:00", "confirm_attendance")
    step(flow, case_id, "2026-12-17T14:00", "choose_sessions", {"sessions": [1, 2]})
    step(flow, case_id, "2026-12-21T10:00", "allocate_worker", {"worker": WORKER}, by=ADE.email)
    return case_id


def _par06(flow, case_id: int) -> str:
    with flow.db.connect() as conn:
        rows = conn.execute(
            sa.select(store.deadlines.c.status, store.deadlines.c.closed_at).where(
                store.deadlines.c.case_id == case_id, store.deadlines.c.timescale == "PAR-06"
            )
        ).all()
    [(status, closed_at)] = rows
    return f"{status}, {'closed' if closed_at else 'open'}"


def _shown(flow, principal: Principal, page: int = 1) -> list[tuple[str, str]]:
    found = work.my_work(flow, principal=principal, page=page)
    items = work_items(flow, found.due, found.cases, flow.clock.now(), role=principal.role)
    return [(i.rule, i.act_label) for i in items]


def test_PAR_06_a_workers_oversight_note_does_not_meet_it_and_a_managers_does(make_app):
    flow = make_app()
    case_id = _allocated(flow)
    flow.clock.advance_to(at("2026-12-21T11:00"))

    case_service.add_note(
        flow, principal=KIM, case_id=case_id, text="Met the family.", kind="manager_oversight"
    )
    assert _par06(flow, case_id) == "open, open"
    with flow.db.connect() as conn:
        notes = [e for e in store.history(conn, case_id=case_id) if e["kind"] == "note"]
    assert notes[-1]["detail"]["meets_nothing"] == ["PAR-06"]

    flow.clock.advance_to(at("2026-12-21T11:30"))
    case_service.add_note(
        flow,
        principal=ADE,
        case_id=case_id,
        text="Allocated to Kim: focus on routines.",
        kind="manager_oversight",
    )
    assert _par06(flow, case_id) == "met, closed"


def test_my_work_shows_each_role_only_what_it_can_act_on(make_app):
    flow = make_app()
    _allocated(flow)
    flow.clock.advance_to(at("2026-12-21T12:00"))

    assert _shown(flow, KIM) == [("PAR-05", "Hold planning meeting")]
    assert _shown(flow, BS) == []
    assert _shown(flow, ADE) == [
        ("PAR-06", "Add a manager oversight note"),
        ("PAR-05", "Hold planning meeting"),
    ]
    assert [rule for rule, _ in _shown(flow, ADMIN)] == ["PAR-06", "PAR-05"]


def test_a_team_manager_sees_the_new_referrals_waiting_for_them(make_app):
    flow = make_app()
    waiting = _referral(flow, "2026-12-14T10:00")
    allocated = _allocated(flow, "2026-12-14T11:00")
    flow.clock.advance_to(at("2026-12-21T12:00"))

    found = work.my_work(flow, principal=ADE)
    assert [(w["id"], w["state"]) for w in found.waiting] == [(waiting, "referred")]
    assert found.waiting_total == 1
    assert allocated not in [w["id"] for w in found.waiting]
    assert work.my_work(flow, principal=KIM).waiting == []
    assert work.my_work(flow, principal=BS).waiting == []


def test_my_work_comes_a_page_at_a_time_in_due_order(make_app):
    flow = make_app()
    for _ in range(30):
        _referral(flow, "2026-12-14T10:00")
    flow.clock.advance_to(at("2026-12-14T12:00"))
    # Confirmed, each referral runs PAR-04's two clocks (chase and close): 60 items.
    with flow.db.connect() as conn:
        ids = list(conn.execute(sa.select(store.cases.c.id).order_by(store.cases.c.id)).scalars())
    for case_id in ids:
        step(flow, case_id, "2026-12-15T09:00", "request_confirmation", by=ADE.email)
        step(flow, case_id, "2026-12-16T11:00", "confirm_attendance")

    first = work.my_work(flow, principal=ADE, page=1)
    second = work.my_work(flow, principal=ADE, page=2)
    assert (first.total, first.pages, len(first.due), len(second.due)) == (60, 3, 25, 25)
    due = [r["due_at"] for r in first.due + second.due]
    assert due == sorted(due)
    assert not {r["id"] for r in first.due} & {r["id"] for r in second.due}
    assert work.my_work(flow, principal=ADE, page=99).page == 3


def test_only_a_team_manager_has_a_waiting_list_to_page(make_app):
    flow = make_app()
    _referral(flow, "2026-12-14T10:00")
    flow.clock.advance_to(at("2026-12-21T12:00"))

    assert work.my_work(flow, principal=ADE, waiting_page=9).waiting_page == 1  # the last
    found = work.my_work(flow, principal=KIM, waiting_page=9)
    assert (found.waiting, found.waiting_page, found.waiting_pages) == ([], 1, 1)
