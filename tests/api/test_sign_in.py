"""Signing in with a password: argon2, a signed HttpOnly session cookie, CSRF on the
form, lock-out after repeated failures, sign-out revoking the session."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from engine.cases import Actor
from familyflow import accounts
from familyflow.api import create_app
from familyflow.db import accounts as accounts_db
from familyflow.db import records
from tests.api.conftest import PASSWORD, Api, problem

EMAIL = "ade.bello@example.org"


def _with_password(api: Api) -> None:
    with api.flow.db.connect() as conn:
        user = accounts_db.user_by_email(conn, EMAIL)
    assert user is not None
    accounts.update_user(api.flow, user["id"], {"password": PASSWORD}, by=Actor("test"))


def _csrf(api: Api) -> str:
    response = api.get("/api/csrf", as_=None)
    assert response.status_code == 200
    return str(response.json()["csrf_token"])


def _login(api: Api, password: str = PASSWORD, **extra: Any) -> Any:
    form = {"email": EMAIL, "password": password, "csrf_token": _csrf(api), **extra}
    return api.client.post("/login", data=form, follow_redirects=False)


def test_a_person_signs_in_with_their_password_and_gets_a_session_cookie(api: Api) -> None:
    _with_password(api)
    with api.flow.db.connect() as conn:
        stored = accounts_db.user_by_email(conn, EMAIL)
    assert stored is not None and stored["password_hash"].startswith("$argon2")
    response = _login(api, next="/cases/1")
    assert (response.status_code, response.headers["location"]) == (303, "/cases/1")
    cookie = response.headers["set-cookie"]
    assert "familyflow_session=" in cookie and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    me = api.get("/api/me", as_=None).json()
    assert (me["user"]["email"], me["signed_in_with"]) == (EMAIL, "session")
    assert me["csrf_token"]


def test_the_session_cookie_is_secure_unless_configured_off(api: Api) -> None:
    _with_password(api)
    secure = api.settings.model_copy(update={"cookie_secure": True})
    with TestClient(
        create_app(flow=api.flow, settings=secure), base_url="https://testserver"
    ) as client:
        token = client.get("/api/csrf").json()["csrf_token"]
        response = client.post(
            "/login",
            follow_redirects=False,
            data={"email": EMAIL, "password": PASSWORD, "csrf_token": token},
        )
        assert "Secure" in response.headers["set-cookie"]


def test_the_next_address_after_sign_in_stays_on_this_site(api: Api) -> None:
    _with_password(api)
    assert _login(api, next="//evil.example/x").headers["location"] == "/"
    assert _login(api, next="https://evil.example").headers["location"] == "/"


def test_a_sign_in_form_without_its_csrf_token_is_refused(api: Api) -> None:
    _with_password(api)
    _csrf(api)
    for token in (None, "forged"):
        form = {"email": EMAIL, "password": PASSWORD}
        if token:
            form["csrf_token"] = token
        problem(api.client.post("/login", data=form, follow_redirects=False), 403)
    api.client.cookies.clear()
    form = {"email": EMAIL, "password": PASSWORD, "csrf_token": "x"}
    problem(api.client.post("/login", data=form, follow_redirects=False), 403)


def test_a_wrong_password_is_401_and_a_browser_goes_back_to_the_form(api: Api) -> None:
    _with_password(api)
    assert "wrong" in problem(_login(api, password="not the password"), 401)["detail"]
    problem(_login(api, password=PASSWORD, email="nobody@example.org"), 401)
    form = {"email": EMAIL, "password": "nope", "csrf_token": _csrf(api)}
    browser = api.client.post(
        "/login", data=form, headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert (browser.status_code, browser.headers["location"]) == (303, "/login?error=failed")


def test_five_failed_sign_ins_lock_the_account_for_fifteen_minutes(api: Api) -> None:
    _with_password(api)
    for _ in range(4):
        problem(_login(api, password="guess"), 401)
    locked = problem(_login(api, password="guess"), 429)
    assert "locked until" in locked["detail"]
    problem(_login(api), 429)  # even the right password, while locked
    api.flow.clock.advance_to(api.flow.clock.now() + timedelta(minutes=15, seconds=1))  # type: ignore[attr-defined]
    assert _login(api).status_code == 303
    with api.flow.db.connect() as conn:
        refused = records.audit_trail(conn, kind="sign_in_refused")
    assert len(refused) == 6 and all(r["actor"] == EMAIL for r in refused)


def test_a_browser_session_changing_things_through_the_api_must_send_the_csrf_header(
    api: Api,
) -> None:
    _with_password(api)
    _login(api)
    case = api.referral()
    url = f"/api/cases/{case['id']}/events"
    body = {"trigger": "request_confirmation"}
    problem(api.client.post(url, json=body), 403)
    token = api.get("/api/me", as_=None).json()["csrf_token"]
    moved = api.client.post(url, json=body, headers={"X-CSRF-Token": token})
    assert moved.status_code == 200, moved.text


def test_signing_out_revokes_the_session(api: Api) -> None:
    _with_password(api)
    _login(api)
    token = api.get("/api/me", as_=None).json()["csrf_token"]
    response = api.client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    problem(api.get("/api/me", as_=None), 401)
    with api.flow.db.connect() as conn:
        sessions = conn.execute(sa.select(accounts_db.web_sessions)).mappings().all()
    assert [s["revoked_at"] is not None for s in sessions] == [True]


def test_a_session_ends_when_it_expires(api: Api) -> None:
    _with_password(api)
    _login(api)
    assert api.get("/api/me", as_=None).status_code == 200
    api.flow.clock.advance_to(api.flow.clock.now() + timedelta(hours=12, seconds=1))  # type: ignore[attr-defined]
    problem(api.get("/api/me", as_=None), 401)


def test_a_tampered_session_cookie_is_ignored(api: Api) -> None:
    api.client.cookies.set("familyflow_session", "made-up.signature")
    problem(api.get("/api/me", as_=None), 401)
