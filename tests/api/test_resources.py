"""Processes, rules, deadlines, messages and Notify receipts, people and tokens,
the calendar, reports and the audit trail through the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engine import store
from tests.api.conftest import CALLBACK_TOKEN, Api, problem
from tests.support.journeys import WORKER


def test_processes_are_listed_described_and_drawn(api: Api) -> None:
    names = [p["name"] for p in api.get("/api/processes", as_="worker").json()]
    assert "parenting" in names
    parenting = api.get("/api/processes/parenting").json()
    confirm = next(t for t in parenting["triggers"] if t["trigger"] == "request_confirmation")
    assert (confirm["from"], confirm["roles"], confirm["rule"]) == (
        ["referred"],
        ["team_manager"],
        "PAR-02",
    )
    assert any(t["key"] == "PAR-05" for t in parenting["timescales"])
    diagram = api.get("/api/processes/parenting/diagram").json()
    assert diagram["mermaid"].startswith("stateDiagram-v2")
    problem(api.get("/api/processes/juggling"), 404)
    problem(api.get("/api/processes/juggling/diagram"), 404)
    problem(api.get("/api/processes", as_=None), 401)


def test_rules_coverage_lists_every_rule_and_how_it_is_met(api: Api) -> None:
    rules = {r["id"]: r for r in api.get("/api/rules").json()}
    assert rules["PAR-05"]["how"] == "automated"
    assert rules["PAR-05"]["process"] == "parenting"


def test_deadlines_across_cases_show_what_is_due_and_what_is_overdue(api: Api) -> None:
    case_id = api.referral()["id"]
    for trigger, data in [
        ("request_confirmation", {}),
        ("confirm_attendance", {}),
        ("choose_sessions", {"sessions": [1]}),
        ("allocate_worker", {"worker": WORKER}),
    ]:
        api.fire(case_id, trigger, data)
    due = api.get("/api/deadlines?within_days=30").json()
    assert {d["timescale"] for d in due} == {"PAR-05", "PAR-06"}
    assert all(d["case_id"] == case_id and not d["overdue"] for d in due)
    assert api.get("/api/deadlines?overdue=true").json() == []
    api.advance("2026-12-23T00:00")
    overdue = api.get("/api/deadlines?overdue=true&process=parenting").json()
    assert {d["timescale"] for d in overdue} == {"PAR-05", "PAR-06"}
    assert all(d["overdue"] and d["reference"] == f"PAR-{case_id:06d}" for d in overdue)
    assert api.get("/api/deadlines?overdue=true", as_="other_manager").json() == []
    problem(api.get("/api/deadlines?within_days=9999"), 422)


def _fail(api: Api, message_id: int) -> None:
    with api.flow.db.begin() as conn:
        conn.execute(
            sa.update(store.outbox)
            .where(store.outbox.c.id == message_id)
            .values(status="failed", last_error="gave up")
        )


def test_messages_show_their_delivery_status_and_admins_retry_failed_ones(api: Api) -> None:
    case_id = api.referral()["id"]
    messages = api.get(f"/api/messages?case_id={case_id}", as_="business_support").json()
    # the TM's email and BS's copy, each a message of its own, newest first
    assert [(m["template"], m["status"], m["to_address"]) for m in messages] == [
        ("parenting/referral_received", "queued", "bs@example.org"),
        ("parenting/referral_received", "queued", "ade.bello@example.org"),
    ]
    message_id = messages[-1]["id"]
    assert api.get(f"/api/messages/{message_id}").json()["to_address"] == ("ade.bello@example.org")
    problem(api.get(f"/api/messages/{message_id}", as_="other_manager"), 404)
    problem(api.get("/api/messages/999"), 404)
    problem(api.post(f"/api/messages/{message_id}/retry", as_="admin"), 409)
    _fail(api, message_id)
    assert [m["id"] for m in api.get("/api/messages?status=failed").json()] == [message_id]
    problem(api.post(f"/api/messages/{message_id}/retry", as_="team_manager"), 403)
    retried = api.post(f"/api/messages/{message_id}/retry", as_="admin")
    assert retried.status_code == 200
    assert (retried.json()["status"], retried.json()["attempts"]) == ("queued", 0)
    api.flow.outbox.deliver_due()
    assert api.get(f"/api/messages/{message_id}").json()["status"] == "sent"
    problem(api.post("/api/messages/999/retry", as_="admin"), 404)
    problem(api.get("/api/messages?status=lost"), 422)


def _receipt(api: Api, body: dict[str, object], token: str | None = CALLBACK_TOKEN) -> object:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return api.post("/api/notify/callback", as_=None, headers=headers, json=body)


def _first_message(api: Api, case_id: int) -> dict[str, Any]:
    """The case's first message, sent, with the provider's id for it."""
    api.flow.outbox.deliver_due()
    with api.flow.db.connect() as conn:
        return store.messages(conn, case_id=case_id)[0]


def test_notify_receipts_need_the_callback_token_and_update_the_status(api: Api) -> None:
    """A receipt is matched by Notify's notification id, recorded when it was sent."""
    case_id = api.referral()["id"]
    message = _first_message(api, case_id)
    receipt = {
        "id": message["provider_ref"],
        "reference": f"familyflow-{message['id']}",
        "status": "delivered",
        "to": "ade.bello@example.org",
        "notification_type": "email",
    }
    problem(_receipt(api, receipt, token=None), 401)
    problem(_receipt(api, receipt, token="guess"), 401)
    problem(_receipt(api, {**receipt, "status": "lost"}), 422)
    unknown = {**receipt, "id": "not-a-notification-of-ours"}
    problem(_receipt(api, {**unknown, "reference": "someone-else-1"}), 404)
    problem(_receipt(api, {**unknown, "reference": "familyflow-999"}), 404)
    # a reference alone never moves a message recorded with another notification id
    problem(_receipt(api, unknown), 404)
    assert _receipt(api, receipt).status_code == 204  # type: ignore[attr-defined]
    shown = api.get(f"/api/messages/{message['id']}").json()
    assert (shown["status"], shown["delivery_status"]) == ("delivered", "delivered")
    assert api.get("/api/contacts/flagged").json() == []


def test_a_permanent_failure_flags_the_detail_for_business_support(api: Api) -> None:
    case_id = api.referral()["id"]
    message = _first_message(api, case_id)
    message_id = message["id"]
    receipt = {
        "id": message["provider_ref"],
        "reference": f"familyflow-{message_id}",
        "status": "permanent-failure",
    }
    assert _receipt(api, receipt).status_code == 204  # type: ignore[attr-defined]
    shown = api.get(f"/api/messages/{message_id}").json()
    assert (shown["status"], shown["delivery_status"]) == ("failed", "permanent-failure")
    assert shown["last_error"] == "email address does not exist"
    flagged = api.get("/api/contacts/flagged", as_="business_support").json()
    assert [(f["case_id"], f["email"]) for f in flagged] == [(case_id, "ade.bello@example.org")]
    assert "permanent failure" in flagged[0]["flagged"]
    contact = next(
        c
        for c in api.get(f"/api/cases/{case_id}").json()["contacts"]
        if c["role"] == "team_manager"
    )
    assert contact["flagged"] == flagged[0]["flagged"]
    for status in ("temporary-failure", "technical-failure"):
        assert _receipt(api, {**receipt, "status": status}).status_code == 204  # type: ignore[attr-defined]
        assert api.get(f"/api/messages/{message_id}").json()["delivery_status"] == status


def test_people_are_listed_with_role_team_manager_and_hours(api: Api) -> None:
    people = {p["email"]: p for p in api.get("/api/people", as_="worker").json()}
    kim = people["kim.lee@example.org"]
    assert (kim["role"], kim["part_time"], kim["caseload_limit"], kim["manager_email"]) == (
        "worker",
        True,
        10,
        "ade.bello@example.org",
    )
    assert people["sam.jones@example.org"]["caseload_limit"] == 20
    managers = api.get("/api/people?role=team_manager").json()
    assert {p["email"] for p in managers} == {"ade.bello@example.org", "lee.other@example.org"}
    assert api.get(f"/api/people/{kim['id']}").json()["email"] == "kim.lee@example.org"
    problem(api.get("/api/people/999"), 404)
    problem(api.get("/api/people?role=wizard"), 422)


def test_admins_add_and_change_users_and_nobody_else_may(api: Api) -> None:
    body = {
        "email": "New.Person@Example.org",
        "name": "New Person",
        "role": "social_worker",
        "team": "Families Together",
        "password": "long enough password",
    }
    problem(api.post("/api/people", as_="team_manager", json=body), 403)
    added = api.post("/api/people", as_="admin", json=body)
    assert added.status_code == 201
    assert added.json()["email"] == "new.person@example.org"
    problem(api.post("/api/people", as_="admin", json=body), 409)
    problem(api.post("/api/people", as_="admin", json={**body, "role": "wizard"}), 422)
    problem(api.post("/api/people", as_="admin", json={**body, "email": "nope"}), 422)
    problem(api.post("/api/people", as_="admin", json={**body, "password": "short"}), 422)
    user_id = added.json()["id"]
    changed = api.patch(
        f"/api/people/{user_id}", as_="admin", json={"part_time": True, "role": "worker"}
    )
    assert (changed.json()["caseload_limit"], changed.json()["role"]) == (10, "worker")
    problem(api.patch(f"/api/people/{user_id}", as_="worker", json={"role": "admin"}), 403)
    problem(api.patch("/api/people/999", as_="admin", json={"part_time": True}), 404)


def test_a_deactivated_users_token_stops_working(api: Api) -> None:
    kim = api.get("/api/me", as_="worker").json()["user"]
    api.patch(f"/api/people/{kim['id']}", as_="admin", json={"active": False})
    problem(api.get("/api/me", as_="worker"), 401)


def test_people_make_and_revoke_their_own_api_tokens(api: Api) -> None:
    made = api.post("/api/tokens", as_="worker", json={"name": "my script"})
    assert made.status_code == 201
    token = made.json()["token"]
    mine = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/me", as_=None, headers=mine).json()["user"]["role"] == "worker"
    listed = api.get("/api/tokens", as_="worker").json()
    assert {t["name"] for t in listed} == {"tests", "my script"}
    assert "token" not in listed[0]
    assert len(api.get("/api/tokens", as_="admin").json()) == 7  # 6 people + 1
    problem(api.delete(f"/api/tokens/{made.json()['id']}", as_="social_worker"), 404)
    assert api.delete(f"/api/tokens/{made.json()['id']}", as_="worker").status_code == 204
    problem(api.get("/api/me", as_=None, headers=mine), 401)
    problem(api.delete(f"/api/tokens/{made.json()['id']}", as_="admin"), 409)
    problem(api.post("/api/tokens", as_="worker", json={}), 422)


def test_a_tokens_last_use_is_noted_to_the_minute_not_written_on_every_request(
    api: Api,
) -> None:
    made = api.post("/api/tokens", as_="worker", json={"name": "every second"}).json()
    mine = {"Authorization": f"Bearer {made['token']}"}

    def last_used() -> datetime | None:
        listed = {t["id"]: t for t in api.get("/api/tokens", as_="worker").json()}
        noted = listed[made["id"]]["last_used_at"]
        return datetime.fromisoformat(noted) if noted else None

    assert last_used() is None
    first = api.flow.clock.now()
    api.get("/api/me", as_=None, headers=mine)
    assert last_used() == first
    api.flow.clock.advance_to(first + timedelta(seconds=59))  # type: ignore[attr-defined]
    api.get("/api/me", as_=None, headers=mine)
    assert last_used() == first  # within the minute: not written again
    later = first + timedelta(seconds=61)
    api.flow.clock.advance_to(later)  # type: ignore[attr-defined]
    api.get("/api/me", as_=None, headers=mine)
    assert last_used() == later


def test_the_calendar_shows_bank_holidays_and_admins_edit_closure_days(api: Api) -> None:
    calendar = api.get("/api/calendar?year=2026", as_="worker").json()
    assert calendar["nation"] == "england"
    assert {"day": "2026-12-25", "name": "Christmas Day"} in calendar["bank_holidays"]
    closure = {"day": "2026-12-29", "description": "Council closure"}
    problem(api.post("/api/calendar/closures", as_="team_manager", json=closure), 403)
    assert api.post("/api/calendar/closures", as_="admin", json=closure).status_code == 201
    problem(api.post("/api/calendar/closures", as_="admin", json=closure), 409)
    problem(api.post("/api/calendar/closures", as_="admin", json={"day": "soon"}), 422)
    assert api.get("/api/calendar/closures").json() == [closure]
    assert api.get("/api/calendar?year=2026").json()["closure_days"] == [closure]
    assert api.delete("/api/calendar/closures/2026-12-29", as_="admin").status_code == 204
    problem(api.delete("/api/calendar/closures/2026-12-29", as_="admin"), 404)
    problem(api.get("/api/calendar?year=1066"), 422)


def test_reports_show_timeliness_caseloads_long_open_cases_and_missed_sessions(api: Api) -> None:
    met = api.referral()["id"]
    missed = api.referral()["id"]
    for case_id in (met, missed):
        for trigger, data in [
            ("request_confirmation", {}),
            ("confirm_attendance", {}),
            ("choose_sessions", {"sessions": [1]}),
            ("allocate_worker", {"worker": WORKER}),
        ]:
            api.fire(case_id, trigger, data)
    api.fire(met, "hold_planning_meeting")
    api.advance("2026-12-23T00:00")  # the other planning meeting is overdue (PAR-05)
    rows = api.get("/api/reports/timeliness").json()
    par05 = next(r for r in rows if r["rule"] == "PAR-05")
    assert par05["month"] == "2026-12"
    assert par05["expectation"] == {"timescales": ["PAR-05"], "met": 1, "total": 2, "share": 0.5}
    caseload = {r["email"]: r for r in api.get("/api/reports/caseload").json()}
    assert (
        caseload["kim.lee@example.org"]["open_cases"],
        caseload["kim.lee@example.org"]["limit"],
    ) == (2, 10)
    assert caseload["sam.jones@example.org"]["open_cases"] == 2
    durations = api.get("/api/reports/open-durations").json()
    assert durations["open_cases"] == 2
    assert [b["months"] for b in durations["bands"]] == [3, 6, 9, 12]
    assert all(b["count"] == 0 for b in durations["bands"])
    api.fire(
        met,
        "register",
        {"venue": "Riverside Family Centre", "sessions": ["2026-12-23T10:00", "2026-12-30T10:00"]},
    )
    api.advance("2026-12-23T12:00")
    api.fire(
        met, "record_session", {"session": "2026-12-23T10:00", "attended": False}, as_="worker"
    )
    groups = api.get("/api/reports/missed-sessions", as_="business_support").json()
    assert groups == [
        {
            "group": "Riverside Family Centre",
            "process": "parenting",
            "sessions_recorded": 1,
            "missed": 1,
            "families_with_misses": 1,
        }
    ]
    for path in ("timeliness", "caseload", "open-durations", "missed-sessions"):
        problem(api.get(f"/api/reports/{path}", as_="worker"), 403)


def test_admins_read_the_whole_audit_trail_including_reads_and_changes(api: Api) -> None:
    case_id = api.referral()["id"]
    api.get(f"/api/cases/{case_id}", as_="worker")
    api.post(
        "/api/calendar/closures",
        as_="admin",
        json={"day": "2026-12-29", "description": "Council closure"},
    )
    reads = api.get("/api/audit?kind=read", as_="admin").json()
    assert reads[0]["actor"] == "kim.lee@example.org"
    changes = api.get("/api/audit?kind=change&actor=admin@example.org", as_="admin").json()
    assert changes[0]["reason"] == "closure day 2026-12-29 added"
    assert api.get(f"/api/audit?case_id={case_id}", as_="admin").json()
    problem(api.get("/api/audit", as_="team_manager"), 403)
