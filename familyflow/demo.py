"""Demo data: cases of all nine processes at their stages, dated relative to today.

Parenting's families are below; the other processes' journeys are in demo_journeys. Every
case is recorded and moved through the application layer (familyflow.services), as the
operator at the server's shell would (`familyflow demo`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engine import store
from engine.cases import ANY_ROLE, Actor
from engine.service import FamilyFlow
from familyflow import demo_journeys
from familyflow.db import accounts as accounts_db
from familyflow.demo_journeys import ASSESSMENT, FAMILY_SOLUTIONS, FAMILY_TIME, Journey
from familyflow.services import Principal, cases

TM = {"name": "Ade Bello", "email": "ade.bello@example.org"}
BS = {"name": "Business Support", "email": "bs@example.org"}
WORKER = {"name": "Kim Lee", "email": "kim.lee@example.org"}
SYSTEM = Actor("demo", "*")
TEAM = "Families Together (demo)"
TEAMS = (TEAM, FAMILY_TIME, FAMILY_SOLUTIONS, ASSESSMENT)
# The operator loading the demo: someone holding whichever role each step needs.
DEMO = Principal(email="demo", role=ANY_ROLE, teams=None, kind="cli")

# One user per role, for signing in to the web pages and the API (README: "Web and API").
USERS: list[dict[str, Any]] = [
    {
        "email": "bs@example.org",
        "name": "Business Support",
        "role": "business_support",
        "password": "demo-business-support",
    },
    {
        "email": "kim.lee@example.org",
        "name": "Kim Lee",
        "role": "worker",
        "password": "demo-worker",
        "manager_email": TM["email"],
        "part_time": True,
    },
    {
        "email": "sam.jones@example.org",
        "name": "Sam Jones",
        "role": "social_worker",
        "password": "demo-social-worker",
        "manager_email": TM["email"],
    },
    {
        "email": "ade.bello@example.org",
        "name": "Ade Bello",
        "role": "team_manager",
        "password": "demo-team-manager",
    },
    {"email": "admin@example.org", "name": "Demo Admin", "role": "admin", "password": "demo-admin"},
    # The other teams (after their managers, who must exist first).
    {
        "email": "zoe.obrien@example.org",
        "name": "Zoë O\u2019Brien",
        "role": "team_manager",
        "password": "demo-zoe-obrien",
        "team": FAMILY_SOLUTIONS,
    },
    {
        "email": "sian.jones@example.org",
        "name": "Siân Jones",
        "role": "worker",
        "password": "demo-sian-jones",
        "manager_email": TM["email"],
        "team": FAMILY_TIME,
    },
    {
        "email": "lukasz.nowak@example.org",
        "name": "Łukasz Nowak",
        "role": "social_worker",
        "password": "demo-lukasz-nowak",
        "manager_email": "zoe.obrien@example.org",
        "team": ASSESSMENT,
    },
    {
        "email": "nia.evans@example.org",
        "name": "Nia Evans",
        "role": "business_support",
        "password": "demo-nia-evans",
        "manager_email": "zoe.obrien@example.org",
        "team": FAMILY_SOLUTIONS,
    },
]


def load_demo_users(flow: FamilyFlow) -> list[dict[str, Any]]:
    """A user per role, once; returns the demo users whose demo password still works."""
    add_demo_users(flow)
    return demo_users(flow)


def add_demo_users(flow: FamilyFlow) -> None:
    """The demo users not there yet. (Checking every password again costs an argon2
    verification each, a second or so in all: `familyflow demo` does not need to.)"""
    from familyflow import accounts

    with flow.db.connect() as conn:
        existing = {u["email"]: u for u in accounts_db.list_users(conn)}
    for user in USERS:
        if user["email"] not in existing:
            fields = {k: v for k, v in user.items() if k != "team"}
            accounts.add_user(flow, team=user.get("team", TEAM), by=SYSTEM, **fields)


def demo_users(flow: FamilyFlow) -> list[dict[str, Any]]:
    """The demo users present whose stated password still signs them in."""
    from familyflow import accounts

    found = []
    with flow.db.connect() as conn:
        for user in USERS:
            row = accounts_db.user_by_email(conn, user["email"])
            if (
                row
                and row["active"]
                and row["password_hash"]
                and accounts.password_matches(row["password_hash"], user["password"])
            ):
                found.append(user)
    return found


# (parent, social worker, steps to apply: (trigger, days ago, data))
FAMILIES: list[tuple[str, str, list[tuple[str, int, dict[str, Any]]]]] = [
    ("Jo Parent", "Sam Jones", []),
    ("Alex Green", "Priya Shah", [("request_confirmation", 2, {})]),
    ("Chris Hill", "Sam Jones", [("request_confirmation", 12, {}), ("confirm_attendance", 9, {})]),
    (
        "Dee Moss",
        "Priya Shah",
        [
            ("request_confirmation", 14, {}),
            ("confirm_attendance", 13, {}),
            ("choose_sessions", 12, {"sessions": [1, 2, 3, 4, 5, 6]}),
            ("allocate_worker", 10, {"worker": WORKER}),
        ],
    ),
    (
        "Evan Rowe",
        "Sam Jones",
        [
            ("request_confirmation", 40, {}),
            ("confirm_attendance", 39, {}),
            ("choose_sessions", 38, {"sessions": [1, 2, 3, 4, 5, 6, 7, 8]}),
            ("allocate_worker", 36, {"worker": WORKER}),
            ("hold_planning_meeting", 33, {}),
        ],
    ),
]


def _sessions(now: datetime) -> list[str]:
    first = (now - timedelta(days=21)).replace(hour=10, minute=0, second=0, microsecond=0)
    return [(first + timedelta(weeks=week)).isoformat() for week in range(8)]


def load_demo(flow: FamilyFlow) -> list[int]:
    """Load the demo once; a second run finds it and adds nothing. A process that already
    has demo cases (a database from an older demo) keeps them and gets no more."""
    add_demo_users(flow)
    with flow.db.connect() as conn:
        rows = conn.execute(
            sa.select(store.cases.c.id, store.cases.c.process)
            .where(store.cases.c.team.in_(TEAMS))
            .order_by(store.cases.c.id)
        ).all()
    loaded = {process for _, process in rows}
    ids = [case_id for case_id, _ in rows]
    now = flow.clock.now()
    if "parenting" not in loaded:
        ids += _parenting(flow, now)
    clock = demo_journeys.Clock(now)
    for journey in demo_journeys.journeys(clock):
        if journey.process not in loaded:
            ids += _journey(flow, journey, clock)
    return ids


def _journey(flow: FamilyFlow, journey: Journey, clock: demo_journeys.Clock) -> list[int]:
    n = len(journey.steps)
    ids = []
    for family, stop in journey.cases:
        contacts, data = journey.opened(family)
        case_id = cases.create_case(
            flow,
            principal=DEMO,
            process=journey.process,
            received_at=clock.at(-n - 1, "09:00"),
            data=data,
            contacts=contacts,
            team=journey.team,
        )
        for number, (trigger, step_data) in enumerate(journey.steps[:stop], start=1):
            at = clock.at(number - n - 1)
            _fire(flow, case_id, trigger, step_data, at)
        ids.append(case_id)
    return ids


def _fire(flow: FamilyFlow, case_id: int, trigger: str, data: dict[str, Any], at: datetime) -> None:
    cases.fire(flow, principal=DEMO, case_id=case_id, trigger=trigger, data=data, at=at)


def _parenting(flow: FamilyFlow, now: datetime) -> list[int]:
    ids = []
    for number, (parent, social_worker, steps) in enumerate(FAMILIES):
        mobile = f"07700900{100 + number:03d}"
        email = social_worker.lower().replace(" ", ".") + "@example.org"
        case_id = cases.create_case(
            flow,
            principal=DEMO,
            process="parenting",
            received_at=now - timedelta(days=45 - number),
            data={},
            team=TEAM,
            contacts={
                "social_worker": {"name": social_worker, "email": email},
                "team_manager": TM,
                "business_support": BS,
                "parent": {"name": parent, "mobile": mobile},
            },
        )
        for trigger, days_ago, data in steps:
            _fire(flow, case_id, trigger, data, now - timedelta(days=days_ago))
        ids.append(case_id)
    ids.append(_attending(flow, now))
    ids.append(_awaiting_allocation(flow, now))
    return ids


def _attending(flow: FamilyFlow, now: datetime) -> int:
    """A family on the register who has missed one session."""
    sessions = _sessions(now)
    case_id = cases.create_case(
        flow,
        principal=DEMO,
        process="parenting",
        received_at=now - timedelta(days=60),
        data={},
        team=TEAM,
        contacts={
            "social_worker": {"name": "Priya Shah", "email": "priya.shah@example.org"},
            "team_manager": TM,
            "business_support": BS,
            "worker": WORKER,
            "parent": {"name": "Fran Lowe", "mobile": "07700900199"},
        },
    )
    steps: list[tuple[str, int, dict[str, Any]]] = [
        ("request_confirmation", 58, {}),
        ("confirm_attendance", 57, {}),
        ("choose_sessions", 56, {"sessions": [1, 2, 3, 4, 5, 6, 7, 8]}),
        ("allocate_worker", 50, {"worker": WORKER}),
        ("hold_planning_meeting", 48, {}),
        ("register", 30, {"venue": "Riverside Family Centre", "sessions": sessions}),
    ]
    for trigger, days_ago, data in steps:
        _fire(flow, case_id, trigger, data, now - timedelta(days=days_ago))
    # Each recorded when its session ended: a session is never marked before it starts.
    for session, attended in ((sessions[0], True), (sessions[1], False)):
        _fire(
            flow,
            case_id,
            "record_session",
            {"session": session, "attended": attended},
            datetime.fromisoformat(session) + timedelta(hours=2),
        )
    return case_id


def _awaiting_allocation(flow: FamilyFlow, now: datetime) -> int:
    """Sessions chosen, waiting for the team manager to allocate a worker (PAR-05)."""
    case_id = cases.create_case(
        flow,
        principal=DEMO,
        process="parenting",
        received_at=now - timedelta(days=8),
        data={},
        team=TEAM,
        contacts={
            "social_worker": {"name": "Sam Jones", "email": "sam.jones@example.org"},
            "team_manager": TM,
            "business_support": BS,
            "parent": {"name": "Siân Hughes", "mobile": "07700900198"},
        },
    )
    steps: list[tuple[str, int, dict[str, Any]]] = [
        ("request_confirmation", 7, {}),
        ("confirm_attendance", 6, {}),
        ("choose_sessions", 3, {"sessions": [1, 2, 3, 4, 5, 6]}),
    ]
    for trigger, days_ago, data in steps:
        _fire(flow, case_id, trigger, data, now - timedelta(days=days_ago))
    return case_id
