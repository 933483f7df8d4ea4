"""The HTTP edge, tried as an outsider would (issue 7): security headers on every
response, notices only in the server's words, exports that never run a formula,
bounded request bodies and notes, and errors a browser can read."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from csv import reader
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from engine import store
from engine.cases import Actor
from familyflow import accounts
from familyflow.api import create_app
from familyflow.db import accounts as accounts_db
from familyflow.db import records
from familyflow.web.core import TEMPLATES
from tests.api.conftest import PASSWORD, Api, problem
from tests.support.journeys import CONTACTS
from tests.support.logs import captured_logs

MANAGER = "ade.bello@example.org"
FORMULA = '=HYPERLINK("http://evil.example","click")'
HTML = {"Accept": "text/html"}


def _signed_in(api: Api, email: str = MANAGER) -> str:
    """Sign the test client in with a browser session; its CSRF token."""
    with api.flow.db.connect() as conn:
        user = accounts_db.user_by_email(conn, email)
    assert user is not None
    accounts.update_user(api.flow, user["id"], {"password": PASSWORD}, by=Actor("test"))
    token = api.get("/api/csrf", as_=None).json()["csrf_token"]
    form = {"email": email, "password": PASSWORD, "csrf_token": token}
    assert api.client.post("/login", data=form, follow_redirects=False).status_code == 303
    return str(api.get("/api/me", as_=None).json()["csrf_token"])


def _banner(html: str) -> str | None:
    found = re.search(r'notification-banner__heading">([^<]*)<', html)
    return found[1] if found else None


# -- headers -----------------------------------------------------------------


def test_every_page_and_api_answer_carries_the_security_headers(api: Api) -> None:
    case_id = api.referral()["id"]
    answers = {
        "sign-in page": api.get("/login", as_=None),
        "case page": api.get(f"/cases/{case_id}", headers=HTML),
        "API answer": api.get(f"/api/cases/{case_id}"),
        "unknown page": api.get("/nowhere", headers=HTML),
        "API problem": api.get("/api/cases/999999"),
        "redirect": api.get("/tracker", follow_redirects=False),
        "stylesheet": api.get("/static/familyflow.css", as_=None),
    }
    for what, response in answers.items():
        policy = response.headers.get("content-security-policy", "")
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert directives.get("script-src") == "'self'", what
        assert directives.get("frame-ancestors") == "'none'", what
        assert "unsafe-inline" not in policy, what
        assert response.headers.get("x-frame-options") == "DENY", what
        assert response.headers.get("x-content-type-options") == "nosniff", what
        assert response.headers.get("referrer-policy") == "same-origin", what
        assert "strict-transport-security" not in response.headers, what  # plain-http tests
        no_store = response.headers.get("cache-control") == "no-store"
        assert no_store is (what != "stylesheet"), what


def test_hsts_is_sent_when_cookies_are_secure(api: Api) -> None:
    secure = api.settings.model_copy(update={"cookie_secure": True})
    with TestClient(create_app(flow=api.flow, settings=secure), base_url="https://x") as client:
        assert client.get("/login").headers["strict-transport-security"] == "max-age=31536000"


def test_no_page_template_holds_an_inline_script_handler_or_style(api: Api) -> None:
    for template in sorted(TEMPLATES.glob("*.html")):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template.name
        assert not re.search(r"\son[a-z]+\s*=", text), template.name
        assert not re.search(r"\sstyle\s*=|<style", text), template.name
        assert "javascript:" not in text, template.name


# -- notices -----------------------------------------------------------------


def test_a_notice_in_the_address_is_never_shown_as_a_success(api: Api) -> None:
    case_id = api.referral()["id"]
    spoofed = "Your account is suspended: call 0800 000 0000"
    for path in (f"/cases/{case_id}", "/tracker/parenting", "/", "/login"):
        page = api.get(path, params={"notice": spoofed}, headers=HTML)
        assert page.status_code == 200, path
        assert spoofed not in page.text and _banner(page.text) is None, path


def test_a_success_notice_comes_from_the_server_once_and_only_to_its_session(api: Api) -> None:
    case_id = api.referral()["id"]
    csrf = _signed_in(api)
    sent = api.client.post(
        f"/cases/{case_id}/notes",
        data={"text": "Called the parent", "kind": "general", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert (sent.status_code, sent.headers["location"]) == (303, f"/cases/{case_id}")
    assert "notice" not in sent.headers["location"]
    left = api.client.cookies.get("familyflow_notice")
    assert left
    with TestClient(api.client.app) as stranger:  # someone else's session, same cookie
        stranger.cookies.set("familyflow_notice", left)
        stranger.headers.update(api.auth("social_worker"))
        assert _banner(stranger.get(f"/cases/{case_id}").text) is None
    assert _banner(api.client.get(f"/cases/{case_id}").text) == "Case note added"
    assert _banner(api.client.get(f"/cases/{case_id}").text) is None  # once


# -- exports -----------------------------------------------------------------


@pytest.fixture
def formula_case(api: Api) -> Iterator[int]:
    contacts = {**CONTACTS, "parent": {"name": FORMULA, "mobile": "07700900123"}}
    yield api.referral(contacts=contacts)["id"]


def test_a_parent_named_as_a_formula_comes_out_inert_in_csv_and_xlsx(
    api: Api, formula_case: int
) -> None:
    csv = api.get("/tracker/parenting/export.csv")
    assert csv.status_code == 200
    rows = list(reader(io.StringIO(csv.text)))
    assert [row[1] for row in rows[1:]] == ["'" + FORMULA]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    xlsx = api.get("/tracker/parenting/export.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert "'" + FORMULA in [c.value for c in cells]
    assert all(c.data_type != "f" for c in cells)


def test_every_cell_that_a_spreadsheet_would_run_is_neutralised() -> None:
    from familyflow.exports import csv_text, neutralise

    for risky in ("=1+1", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(risky) == "'" + risky
    for safe in ("Jo Parent", "PAR-0001", "", None, -3, 2.5):
        assert neutralise(safe) == safe
    assert csv_text(["=A"], [["-B", "C"]]) == "'=A\r\n'-B,C\r\n"


# -- limits ------------------------------------------------------------------


def _cases(api: Api) -> int:
    with api.flow.db.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(store.cases)).scalar_one())


def test_a_request_body_over_the_limit_is_refused_with_413_naming_it(api: Api) -> None:
    before = _cases(api)
    big = b'{"process": "parenting", "data": {"x": "' + b"a" * (1024 * 1024) + b'"}}'
    declared = api.post("/api/cases", content=big, headers={"Content-Type": "application/json"})
    assert "1 MB" in problem(declared, 413)["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    chunked = api.post("/api/cases", content=chunks(), headers={"Content-Type": "application/json"})
    assert "1 MB" in problem(chunked, 413)["detail"]
    assert _cases(api) == before


def test_the_web_note_form_refuses_a_note_over_20000_characters(api: Api) -> None:
    case_id = api.referral()["id"]
    csrf = _signed_in(api)
    page = api.client.post(
        f"/cases/{case_id}/notes",
        data={"text": "x" * 20_001, "kind": "general", "csrf_token": csrf},
    )
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "The note must be 20,000 characters or fewer; it has 20,001" in page.text
    with api.flow.db.connect() as conn:
        assert not records.audit_trail(conn, kind="note")


# -- errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "form", "status", "heading"),
    [
        ("GET", "/nowhere", None, 404, "Page not found"),
        ("GET", "/cases/not-a-number", None, 422, "There is a problem with what you sent"),
        ("GET", "/cases/999999", None, 404, "Case not found"),
        ("POST", "/login", {"email": "a@example.org", "password": "x"}, 403, "You cannot do this"),
        ("POST", "/cases/1/notes", {"text": "x"}, 403, "Your form has expired"),
    ],
)
def test_a_browser_gets_a_styled_page_for_an_error_never_raw_json(
    api: Api, method: str, path: str, form: dict[str, str] | None, status: int, heading: str
) -> None:
    response = api.request(method, path, data=form, headers=HTML, as_="team_manager")
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert f'<h1 class="govuk-heading-l">{heading}</h1>' in response.text
    assert "govuk-frontend.min.css" in response.text
    api_answer = api.request(method, "/api" + path, data=form, headers=HTML)
    assert api_answer.headers["content-type"].startswith("application/problem+json")


def test_an_unexpected_error_is_a_problem_or_a_page_and_its_text_is_logged(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    app: Any = api.client.app

    def broken() -> None:
        raise RuntimeError("the disk is on fire")

    app.add_api_route("/api/broken", broken)
    app.add_api_route("/broken", broken)
    with captured_logs(monkeypatch) as logs:
        answer = problem(api.get("/api/broken"), 500)
        page = api.get("/broken", headers=HTML)
    assert "fire" not in answer["detail"]
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "Sorry, there is a problem with the service" in page.text
    assert "fire" not in page.text
    failed = [e for e in logs if e["event"] == "request_failed"]
    assert [(e["path"], e["exception"]) for e in failed] == [
        ("/api/broken", "the disk is on fire"),
        ("/broken", "the disk is on fire"),
    ]
    assert all("RuntimeError" in e["traceback"] for e in failed)
