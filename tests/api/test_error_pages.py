"""Error pages (issue 10): a browser (sending Chromium's own Accept header) gets a styled
GOV.UK page with the right status for 404, 403, 422 and 500, and a blank sign-in shows
the form again; /api keeps answering with JSON problems."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api

CHROMIUM = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
    "image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
}


def _styled(response: Any, status: int, heading: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert f'<h1 class="govuk-heading-l">{heading}</h1>' in response.text
    assert '<main class="govuk-main-wrapper" id="main-content">' in response.text


@pytest.mark.parametrize(
    ("path", "who", "status", "heading"),
    [
        ("/no-such-page", None, 404, "Page not found"),
        ("/no-such-page", "worker", 404, "Page not found"),
        ("/reports", "worker", 403, "You cannot use this page"),
        ("/admin", "team_manager", 403, "You cannot use this page"),
        ("/cases/not-a-number", "worker", 422, "There is a problem with what you sent"),
    ],
)
def test_a_browser_gets_a_styled_page_with_the_right_status(
    api: Api, path: str, who: str | None, status: int, heading: str
) -> None:
    _styled(api.get(path, as_=who, headers=CHROMIUM), status, heading)


def test_an_unknown_address_and_a_forms_address_visited_by_hand_are_said_in_plain_words(
    api: Api,
) -> None:
    unknown = api.get("/no-such-page", as_="worker", headers=CHROMIUM)
    assert "There is no page at this address." in unknown.text
    form_only = api.get("/admin/users", as_="admin", headers=CHROMIUM)  # the form POSTs here
    _styled(form_only, 405, "You cannot do this here")
    assert "This address only takes a form&#39;s answer." in form_only.text
    assert "Not Found" not in unknown.text and "Method Not Allowed" not in form_only.text


def test_the_api_answers_the_same_mistakes_with_json_problems(api: Api) -> None:
    for path, who, status in (
        ("/api/no-such-page", None, 404),
        ("/api/cases/not-a-number", "worker", 422),
        ("/api/cases", None, 401),
    ):
        answer = api.get(path, as_=who, headers=CHROMIUM)
        assert answer.status_code == status, path
        assert answer.headers["content-type"].startswith("application/problem+json"), path


def test_a_blank_sign_in_from_a_browser_is_the_form_again_never_json(api: Api) -> None:
    token = api.get("/api/csrf", as_=None).json()["csrf_token"]
    page = api.client.post(
        "/login",
        data={"email": "", "password": "", "csrf_token": token},
        headers=CHROMIUM,
        follow_redirects=True,
    )
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Enter your email address and password" in page.text
    assert "govuk-error-summary" in page.text


def test_an_unexpected_error_is_a_styled_500_page_for_a_browser(api: Api) -> None:
    app: Any = api.client.app

    def broken() -> None:
        raise RuntimeError("Łukasz's disk is full")

    app.add_api_route("/broken-page", broken)
    page = api.get("/broken-page", headers=CHROMIUM)
    _styled(page, 500, "Sorry, there is a problem with the service")
    assert "disk" not in page.text
