"""Trigger data is declared or refused (issue 7): data a trigger's model does not
declare never reaches a case's contacts or data; contacts change through
`change_contact`, audited with before and after. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from engine import store
from engine.cases import ANY_ROLE, Actor
from engine.clock import SimulatedClock, parse_instant
from engine.errors import InputError, InvalidState
from engine.service import FamilyFlow
from familyflow.simulate import load
from tests.conftest import AppFactory
from tests.support.journeys import CONTACTS, WORKER, at, case_state, history, step, to_planning
from workflows import all_processes

SCENARIOS = Path(__file__).parents[2] / "docs" / "scenarios"
MALLORY = {"name": "Mallory", "email": "mallory@example.org", "mobile": "07700900999"}
SW, TM, BS = (CONTACTS[r]["email"] for r in ("social_worker", "team_manager", "business_support"))
# Fields the engine writes itself: no trigger's data may set them.
ENGINE_OWNED = ("_caseload", "linked_from")


def _written(flow: FamilyFlow, case_id: int) -> dict[str, Any]:
    """Everything an event could change about the case."""
    case = case_state(flow, case_id)
    with flow.db.connect() as conn:
        counts = {
            table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
            for table in ("audit_events", "outbox", "deadlines", "contacts", "cases")
        }
    contacts = sorted((c["role"], c["name"], c["email"], c["mobile"]) for c in case.contacts)
    return {"state": case.state, "version": case.version, "data": case.data,
            "contacts": contacts, "counts": counts}  # fmt: skip


def _open_case(make_app: AppFactory, process: str) -> tuple[FamilyFlow, int]:
    """A case of the process as its first documented scenario opens it."""
    scenario = load(sorted(SCENARIOS.glob(f"{process}-*.yaml"))[0])
    received = parse_instant(scenario.received_at, field="received_at")
    flow = make_app(clock=SimulatedClock(received), mailing_lists=scenario.mailing_lists)
    case_id = flow.create_case(
        process=process,
        received_at=received,
        data=scenario.data,
        contacts=scenario.contacts,
        team=scenario.team,
    )
    return flow, case_id


@pytest.mark.parametrize("process", sorted(all_processes()))
def test_every_trigger_refuses_data_naming_a_contact_role_it_does_not_declare(
    make_app: AppFactory, process: str
) -> None:
    flow, case_id = _open_case(make_app, process)
    definition = flow.services.processes[process]
    before = _written(flow, case_id)
    tried = 0
    for trigger in definition.triggers:
        declared = {
            name for t in definition.transitions_for(trigger) for name in t.data_model.model_fields
        }
        for field in [*definition.contact_roles, *ENGINE_OWNED]:
            if field in declared:
                continue
            with pytest.raises(InputError) as refused:
                flow.fire(case_id, trigger, {field: MALLORY}, actor=Actor("test", ANY_ROLE))
            assert refused.value.fields["field"] == f"data.{field}", (trigger, field)
            assert f"{trigger} does not take {field}" in str(refused.value)
            assert refused.value.exit_code == 2 and refused.value.http_status == 422
            tried += 1
    assert tried > len(definition.triggers)
    assert _written(flow, case_id) == before


def test_a_worker_cannot_make_themselves_team_manager_or_redirect_the_parents_texts(
    make_app: AppFactory, new_referral: Any
) -> None:
    flow = make_app()
    case_id = new_referral(flow)
    step(flow, case_id, "2026-12-15T09:00", "request_confirmation", by=TM)
    flow.advance(at("2026-12-16T11:00"))
    before = _written(flow, case_id)
    hijack = {
        "team_manager": {"name": "Sam Jones", "email": SW},
        "parent": {"name": "Jo Parent", "mobile": "07700900999"},
    }
    with pytest.raises(InputError, match=r"data\.team_manager: confirm_attendance does not take"):
        flow.fire(case_id, "confirm_attendance", hijack, actor=Actor(SW))
    assert _written(flow, case_id) == before
    assert case_state(flow, case_id).contacts_by_role()["team_manager"]["email"] == TM


def test_a_contact_a_trigger_declares_still_sets_exactly_that_contact(
    make_app: AppFactory, new_referral: Any
) -> None:
    flow = make_app()
    case_id = new_referral(flow)
    to_planning(flow, case_id, allocated="2026-12-21T10:00")
    contacts = {c["role"]: (c["name"], c["email"]) for c in case_state(flow, case_id).contacts}
    assert contacts == {
        "social_worker": ("Sam Jones", SW),
        "team_manager": ("Ade Bello", TM),
        "business_support": ("Business Support", BS),
        "parent": ("Jo Parent", None),
        "worker": ("Kim Lee", WORKER["email"]),
    }
    assert "worker" not in case_state(flow, case_id).data


def test_change_contact_replaces_one_role_and_audits_before_and_after(
    make_app: AppFactory, new_referral: Any
) -> None:
    flow = make_app()
    case_id = new_referral(flow)
    new_manager = {"name": "Lee Harper", "email": "Lee.Harper@Example.org"}
    case = flow.change_contact(
        case_id, role="team_manager", contact=new_manager, actor=Actor(BS, "business_support")
    )
    assert case.version == 2
    stored = case_state(flow, case_id)
    assert stored.version == 2
    by_role = stored.contacts_by_role()
    assert (by_role["team_manager"]["name"], by_role["team_manager"]["email"]) == (
        "Lee Harper",
        "Lee.Harper@example.org",
    )
    assert by_role["social_worker"]["email"] == SW  # nothing else moved
    [changed] = [e for e in history(flow, case_id) if e["kind"] == "contact_changed"]
    assert changed["actor"] == BS
    assert changed["reason"] == "team manager changed"
    assert changed["contact_role"] == "team_manager"
    assert changed["before"] == [{"name": "Ade Bello", "email": TM, "mobile": None}]
    assert changed["after"] == [
        {"name": "Lee Harper", "email": "Lee.Harper@example.org", "mobile": None}
    ]
    with flow.db.connect() as conn:
        [row] = [r for r in store.history(conn, case_id=case_id) if r["kind"] == "contact_changed"]
    assert row["actor_role"] == "business_support"


def test_change_contact_adds_and_removes_a_role_and_a_repeat_records_nothing(
    make_app: AppFactory, new_referral: Any
) -> None:
    flow = make_app()
    case_id = new_referral(flow)
    actor = Actor(TM, "team_manager")
    flow.change_contact(case_id, role="worker", contact=WORKER, actor=actor)
    flow.change_contact(case_id, role="worker", contact=WORKER, actor=actor)  # the same again
    flow.change_contact(case_id, role="worker", contact=None, actor=actor)
    assert "worker" not in case_state(flow, case_id).contacts_by_role()
    assert case_state(flow, case_id).version == 3
    changes = [
        (e["reason"], e["before"], e["after"])
        for e in history(flow, case_id)
        if e["kind"] == "contact_changed"
    ]
    kim = {"name": "Kim Lee", "email": WORKER["email"], "mobile": None}
    assert changes == [("worker added", [], [kim]), ("worker removed", [kim], [])]


def test_change_contact_refuses_bad_input_naming_the_field_and_changes_nothing(
    make_app: AppFactory, new_referral: Any
) -> None:
    flow = make_app()
    case_id = new_referral(flow)
    actor = Actor(BS, "business_support")
    before = _written(flow, case_id)
    bad = {
        "role": ("officer", {"name": "Kim Lee"}, "role: 'officer' is not a contact role of"),
        "contact.email": ("team_manager", {"name": "X", "email": "nope"}, "contact.email: 'nope'"),
        "contact.phone": ("team_manager", {"name": "X", "phone": "1"}, "contact.phone: Extra"),
        "contact": ("worker", None, "contact: the case has no worker to remove"),
    }
    for field, (role, contact, message) in bad.items():
        with pytest.raises(InputError) as refused:
            flow.change_contact(case_id, role=role, contact=contact, actor=actor)
        assert refused.value.fields["field"] == field
        assert str(refused.value).startswith(message)
    assert _written(flow, case_id) == before


def test_change_contact_refuses_a_closed_case(make_app: AppFactory, new_referral: Any) -> None:
    flow = make_app()
    case_id = new_referral(flow)
    step(flow, case_id, "2026-12-15T09:00", "close", {"reason": "moved away"}, by=TM)
    with pytest.raises(InvalidState, match="a closed case's contacts stay"):
        flow.change_contact(
            case_id, role="team_manager", contact=WORKER, actor=Actor(TM, "team_manager")
        )
