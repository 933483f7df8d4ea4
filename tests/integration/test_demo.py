"""The demo (`familyflow demo`, and so `make run`): cases of all nine processes at their
stages, so that every trigger's form can be opened on some demo case (issue 10, item 12)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa

from engine import store
from engine.service import FamilyFlow
from familyflow.demo import TEAMS, USERS, demo_users, load_demo
from familyflow.web.casework import actions
from workflows import all_processes

START = "2027-03-01T10:00"  # a Monday, as the browser tests' server stands


def _cases(flow: FamilyFlow) -> list[dict[str, Any]]:
    with flow.db.connect() as conn:
        query = sa.select(store.cases).where(store.cases.c.team.in_(TEAMS))
        return [dict(row) for row in conn.execute(query.order_by(store.cases.c.id)).mappings()]


def _counts(flow: FamilyFlow) -> dict[str, int]:
    tables = ("cases", "contacts", "deadlines", "outbox", "audit_events", "users", "case_links")
    with flow.db.connect() as conn:
        return {
            name: conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one()
            for name in tables
        }


def test_every_trigger_of_every_process_can_be_opened_on_some_demo_case(make_app):
    flow = make_app(start=START)
    load_demo(flow)

    found = _cases(flow)
    processes = all_processes()
    for name, process in processes.items():
        states = {c["state"] for c in found if c["process"] == name}
        # What the case page offers: a button (and the form) per trigger possible there.
        offered = {a.trigger for state in states for a in actions(process, state)}
        assert set(process.triggers) - offered == set(), name
    assert Counter(c["process"] for c in found) == {
        "parenting": 7,
        "edge_of_care": 5,
        "family_time": 5,
        "family_therapy": 5,
        "internal_referral": 4,
        "joint_under5_assessment": 8,
        "home_visits": 2,
        "early_help": 9,
        "statutory_assessment": 5,
    }
    assert {c["state"] for c in found if c["process"] == "early_help"} == {
        "received",
        "awaiting_maam",
        "awaiting_allocation",
        "allocated",
        "assessing",
        "plan_in_place",
        "closure_requested",
        "escalated",
        "awaiting_wraparound",
    }


def test_the_demo_is_recorded_through_the_application_with_its_messages_and_timescales(
    make_app,
):
    flow = make_app(start=START)
    load_demo(flow)

    with flow.db.connect() as conn:
        moves = conn.execute(
            sa.select(store.audit.c.actor, store.audit.c.trigger).where(
                store.audit.c.kind == "transition"
            )
        ).all()
        worker_mail = (
            conn.execute(
                sa.select(store.outbox.c.template).where(
                    store.outbox.c.to_address == "sian.jones@example.org"
                )
            )
            .scalars()
            .all()
        )
    # Every move is the demo operator's (or the system's, for a move a deadline makes).
    assert {actor for actor, _ in moves} <= {"demo", "system"}
    assert Counter(trigger for _, trigger in moves)["create"] == 50
    # The family time worker hears of each referral the demo makes to her.
    assert worker_mail and all(
        t.startswith(("family_time/", "internal_referral/")) for t in worker_mail
    )
    # Each case's unmet timescales are there to be seen on My work.
    with flow.db.connect() as conn:
        open_deadlines = conn.execute(
            sa.select(sa.func.count()).select_from(store.deadlines)
        ).scalar_one()
    assert open_deadlines > 50


def test_loading_the_demo_again_adds_nothing_and_every_demo_user_signs_in(make_app):
    flow = make_app(start=START)
    first = load_demo(flow)
    before = _counts(flow)

    assert load_demo(flow) == first
    assert _counts(flow) == before
    assert first == list(range(1, 51))
    assert [u["email"] for u in demo_users(flow)] == [u["email"] for u in USERS]
    names = {u["name"] for u in USERS}
    assert {"Siân Jones", "Zoë O\u2019Brien", "Łukasz Nowak"} <= names
