"""Demo data: parenting referrals at every stage, dated relative to today."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engine import store
from engine.cases import Actor
from engine.service import FamilyFlow
from familyflow.db import accounts as accounts_db

TM = {"name": "Ade Bello", "email": "ade.bello@example.org"}
BS = {"name": "Business Support", "email": "bs@example.org"}
WORKER = {"name": "Kim Lee", "email": "kim.lee@example.org"}
SYSTEM = Actor("demo", "*")
TEAM = "Families Together (demo)"

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
]


def load_demo_users(flow: FamilyFlow) -> list[dict[str, Any]]:
    """A user per role, once; returns the demo users whose demo password still works."""
    from familyflow import accounts

    with flow.db.connect() as conn:
        existing = {u["email"]: u for u in accounts_db.list_users(conn)}
    for user in USERS:
        if user["email"] not in existing:
            accounts.add_user(flow, team=TEAM, by=SYSTEM, **user)
    return demo_users(flow)


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
    """Load the demo once; a second run finds it and adds nothing."""
    load_demo_users(flow)
    with flow.db.connect() as conn:
        existing = (
            conn.execute(sa.select(store.cases.c.id).where(store.cases.c.team == TEAM))
            .scalars()
            .all()
        )
    if existing:
        return list(existing)
    now = flow.clock.now()
    ids = []
    for number, (parent, social_worker, steps) in enumerate(FAMILIES):
        mobile = f"07700900{100 + number:03d}"
        email = social_worker.lower().replace(" ", ".") + "@example.org"
        case_id = flow.create_case(
            process="parenting",
            received_at=now - timedelta(days=45 - number),
            data={},
            team=TEAM,
            actor=SYSTEM,
            contacts={
                "social_worker": {"name": social_worker, "email": email},
                "team_manager": TM,
                "business_support": BS,
                "parent": {"name": parent, "mobile": mobile},
            },
        )
        for trigger, days_ago, data in steps:
            flow.fire(case_id, trigger, data, actor=SYSTEM, at=now - timedelta(days=days_ago))
        ids.append(case_id)
    ids.append(_attending(flow, now))
    return ids


def _attending(flow: FamilyFlow, now: datetime) -> int:
    """A family on the register who has missed one session."""
    sessions = _sessions(now)
    case_id = flow.create_case(
        process="parenting",
        received_at=now - timedelta(days=60),
        data={},
        team=TEAM,
        actor=SYSTEM,
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
        flow.fire(case_id, trigger, data, actor=SYSTEM, at=now - timedelta(days=days_ago))
    # Each recorded when its session ended: a session is never marked before it starts.
    for session, attended in ((sessions[0], True), (sessions[1], False)):
        flow.fire(
            case_id,
            "record_session",
            {"session": session, "attended": attended},
            actor=SYSTEM,
            at=datetime.fromisoformat(session) + timedelta(hours=2),
        )
    return case_id
