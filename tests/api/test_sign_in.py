"""Signing in with a password: argon2, a signed HttpOnly session cookie, CSRF on the
form, failures slowed down per account and address (never a lock-out from outside),
sign-out revoking the session."""

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


def _client(api: Api, address: str, **settings: Any) -> TestClient:
    """Another browser or script, at `address`, on an instance with these settings
    (the same database: instances share the throttle)."""
    config = api.settings.model_copy(update=settings)
    return TestClient(create_app(flow=api.flow, settings=config), client=(address, 50000))


def _try(client: TestClient, email: str, password: str) -> tuple[int, dict[str, Any], str | None]:
    token = client.get("/api/csrf").json()["csrf_token"]
    form = {"email": email, "password": password, "csrf_token": token}
    response = client.post("/login", data=form, follow_redirects=False)
    body = response.json() if response.status_code != 303 else {}
    return response.status_code, body, response.headers.get("retry-after")


def _wait(api: Api, seconds: str | None) -> None:
    api.flow.clock.advance_to(api.flow.clock.now() + timedelta(seconds=int(seconds or 0)))  # type: ignore[attr-defined]


def _keep_guessing(api: Api, client: TestClient, email: str, failures: int) -> None:
    """This many more wrong passwords, waiting out each refusal as a patient guesser would."""
    while failures:
        status, _, retry_after = _try(client, email, "guess")
        if status == 429:
            _wait(api, retry_after)
        else:
            failures -= 1


def test_failed_sign_ins_slow_down_and_the_retry_after_follows_the_settings(api: Api) -> None:
    _with_password(api)
    with _client(api, "198.51.100.7", lockout_attempts=3, lockout_minutes=2) as client:
        answers = [_try(client, EMAIL, "guess") for _ in range(4)]
        assert [a[0] for a in answers] == [401, 401, 401, 429]
        _, body, retry_after = answers[3]
        assert retry_after == "1"
        assert body["detail"] == "too many failed sign-ins; try again in 1 second"
        _keep_guessing(api, client, EMAIL, failures=6)
        assert _try(client, EMAIL, "guess")[2] == "64"  # each wait doubles...
        _keep_guessing(api, client, EMAIL, failures=1)
        _, _, retry_after = _try(client, EMAIL, "guess")
        assert retry_after == "120"  # ...up to FAMILYFLOW_LOCKOUT_MINUTES, never a fixed 900
        _wait(api, retry_after)
        assert _try(client, EMAIL, PASSWORD)[0] == 303
    with api.flow.db.connect() as conn:
        refused = records.audit_trail(conn, kind="sign_in_refused")
    assert refused and all((r["actor"], r["reason"]) == (EMAIL, "wrong password") for r in refused)


def test_anonymous_wrong_passwords_cannot_keep_the_real_owner_out_from_another_address(
    api: Api,
) -> None:
    _with_password(api)
    with _client(api, "198.51.100.7") as attacker:
        _keep_guessing(api, attacker, EMAIL, failures=12)
        assert _try(attacker, EMAIL, PASSWORD)[0] == 429  # the guesser's address must wait
    with _client(api, "203.0.113.5") as owner:
        status, _, retry_after = _try(owner, EMAIL, PASSWORD)
        if status == 429:  # at most a short, bounded wait for the account
            assert int(retry_after or 0) <= api.settings.sign_in_account_delay_seconds == 30
            _wait(api, retry_after)
            status = _try(owner, EMAIL, PASSWORD)[0]
        assert status == 303


def test_an_unknown_account_gets_exactly_the_answers_a_real_one_gets(api: Api) -> None:
    _with_password(api)
    with _client(api, "198.51.100.7") as one, _client(api, "198.51.100.8") as other:
        real = [_try(one, EMAIL, "guess") for _ in range(7)]
        unknown = [_try(other, "nobody@example.org", "guess") for _ in range(7)]
    assert real == unknown
    assert [status for status, _, _ in real] == [401] * 5 + [429] * 2


def test_the_throttle_is_shared_by_every_instance_of_the_service(api: Api) -> None:
    _with_password(api)
    with _client(api, "198.51.100.7", lockout_attempts=1) as first:
        assert _try(first, EMAIL, "guess")[0] == 401
    with _client(api, "198.51.100.7", lockout_attempts=1) as second:
        assert _try(second, EMAIL, PASSWORD)[0] == 429


def test_a_blank_sign_in_form_shows_the_form_again_with_a_message(api: Api) -> None:
    form = {"email": "", "password": "", "csrf_token": _csrf(api)}
    browser = api.client.post(
        "/login", data=form, headers={"Accept": "text/html"}, follow_redirects=True
    )
    assert browser.status_code == 200 and browser.headers["content-type"].startswith("text/html")
    assert "Enter your email address and password" in browser.text
    assert problem(api.client.post("/login", data=form), 422)["errors"] == [
        {"field": "email", "reason": "enter it"}
    ]


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
