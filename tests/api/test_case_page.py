"""The case page (issue 10): a back link inside the main landmark, one primary action,
descriptions that fit the case's stage, long notes collapsed, and the "If nobody acts"
panel the engine rehearses (PAR-04's chase and auto-close)."""

from __future__ import annotations

import re

from tests.api.conftest import Api
from tests.api.test_edge import HTML, _signed_in


def _main(html: str) -> str:
    found = re.search(r'<main class="govuk-main-wrapper" id="main-content">(.*)</main>', html, re.S)
    assert found, "the page has a main landmark"
    return found[1]


def _awaiting_session_choice(api: Api) -> int:
    case_id = int(api.referral(received="2026-12-14T08:00")["id"])
    api.advance("2026-12-14T09:00")
    assert api.fire(case_id, "request_confirmation").status_code == 200
    api.advance("2026-12-14T10:00")
    assert api.fire(case_id, "confirm_attendance", as_="business_support").status_code == 200
    return case_id


def test_the_case_page_has_a_back_link_to_its_tracker_inside_the_main_landmark(api: Api) -> None:
    case_id = api.referral()["id"]
    page = api.get(f"/cases/{case_id}", headers=HTML)
    assert page.status_code == 200
    assert '<a href="/tracker/parenting" class="govuk-back-link">' in _main(page.text)


def test_the_case_page_has_one_primary_action_and_the_rest_are_secondary(api: Api) -> None:
    case_id = _awaiting_session_choice(api)
    page = api.get(f"/cases/{case_id}", headers=HTML, as_="team_manager").text
    actions = re.search(r'<div class="ff-actions">(.*?)</div>', page, re.S)
    assert actions
    buttons = re.findall(r'class="(govuk-button[^"]*)"[^>]*>([^<]+)<', actions[1])
    primary = [label for kind, label in buttons if kind == "govuk-button"]
    # PAR-04 runs: choosing the sessions is what meets it.
    assert primary == ["Choose sessions"]
    assert len(buttons) > 1
    assert all(kind == "govuk-button govuk-button--secondary" for kind, _ in buttons[1:] if _)


def test_an_action_with_several_outcomes_says_where_each_goes_from_this_stage(api: Api) -> None:
    body = {
        "process": "early_help",
        "received_at": "2026-12-14T08:00",
        "data": {"family": "Łukasz family", "contact_type": "request_for_support"},
        "contacts": {
            "referrer": {"name": "Pat Reed", "email": "pat.reed@school.example.org"},
            "duty_worker": {"name": "Zoë O\u2019Brien", "email": "zoe.obrien@example.org"},
            "manager": {"name": "Mo Khan", "email": "mo.khan@example.org"},
        },
    }
    created = api.post("/api/cases", json=body, as_="business_support")
    assert created.status_code == 201, created.text
    page = api.get(f"/cases/{created.json()['id']}", headers=HTML, as_="business_support").text
    screen = re.search(r'<li id="action-screen">(.*?)</ul>', page, re.S)
    assert screen, "the screening action is described"
    text = " ".join(screen[1].split())
    assert "Moves the case to awaiting MAAM, awaiting allocation, closed or not allocated" in text
    assert "Screened: stepped down to Early Help, to allocate within 24 hours (EH-2.3)" in text
    # Not one transition's words for all of them (issue 10: "not for Family Solutions").
    assert not text.split(":", 1)[1].strip().startswith("Screened: not for Family Solutions")


def test_a_long_note_shows_its_opening_and_the_rest_behind_show_the_full_note(api: Api) -> None:
    case_id = api.referral()["id"]
    csrf = _signed_in(api)
    note = "Siân called. " + "ł" * 5_000
    sent = api.client.post(
        f"/cases/{case_id}/notes",
        data={"text": note, "kind": "general", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    page = api.client.get(f"/cases/{case_id}").text
    assert page.count(note) == 1  # once, inside the details
    assert "Show the full note (5,013 characters)" in page
    assert note[:300] + "…" in page


def test_if_nobody_acts_the_case_page_shows_the_chase_and_the_auto_close(api: Api) -> None:
    case_id = _awaiting_session_choice(api)
    page = api.get(f"/cases/{case_id}", headers=HTML).text
    panel = re.search(
        r'<table class="govuk-table govuk-!-font-size-16" id="projection">(.*?)</table>', page, re.S
    )
    assert panel
    rows = [
        " ".join(re.sub(r"<[^>]+>", "", re.sub(r"</t[dh]>", " ", r)).split())
        for r in re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', panel[1], re.S)
    ]
    assert rows == [
        "When What happens Rule",
        "Mon 21 Dec 2026, 23:59 Timescale missed: sessions chosen within 1 week of confirmation, "
        "else chase the social worker PAR-04",
        "Mon 21 Dec 2026, 23:59 Email to social worker: chase session choice PAR-04",
        "Mon 28 Dec 2026, 23:59 Timescale missed: no response after a further week: final email "
        "and referral closed PAR-04",
        "Mon 28 Dec 2026, 23:59 Email to social worker: no response closure PAR-04",
        "Mon 28 Dec 2026, 23:59 Moves to closed: close PAR-18",
        "Mon 28 Dec 2026, 23:59 Email to business support: closed PAR-18",
    ]


def test_a_step_recorded_days_after_it_happened_shows_when_it_happened_and_when_it_was_recorded(
    api: Api,
) -> None:
    case_id = api.referral(received="2026-12-14T08:00")["id"]
    # Business support enters on Thursday a call made on Tuesday morning.
    api.advance("2026-12-17T09:12")
    fired = api.fire(case_id, "request_confirmation", at="2026-12-15T10:00")
    assert fired.status_code == 200, fired.text
    page = api.get(f"/cases/{case_id}", headers=HTML).text
    timeline = re.search(r'<ol class="ff-timeline" id="timeline" reversed>(.*?)</ol>', page, re.S)
    assert timeline
    metas = [" ".join(m.split()) for m in re.findall(
        r'<p class="ff-timeline__meta">(.*?)</p>', timeline[1], re.S
    )]  # fmt: skip
    late = [m for m in metas if "recorded late" in m]
    assert late, metas
    assert late[0].startswith("Tue 15 Dec 2026, 10:00")
    assert late[0].endswith("(recorded late, on Thu 17 Dec 2026, 09:12)")
    # A step entered as it happened shows one time only.
    assert any(m.startswith("Mon 14 Dec 2026, 08:00") and "recorded" not in m for m in metas)


def test_a_refused_action_shows_the_reason_in_plain_english_without_the_actions_code_name(
    api: Api,
) -> None:
    """IR-01: consent is refused while the referral has no identifying worker; the page
    says what to do, never "trigger 'parent_consents' refused"."""
    created = api.post(
        "/api/cases",
        json={
            "process": "internal_referral",
            "received_at": "2026-12-14T08:00",
            "data": {"group": "pop", "identified_by_team": "parenting", "need": "Routines"},
            "contacts": {
                "manager": {"name": "Ade Bello", "email": "ade.bello@example.org"},
                "social_worker": {"name": "Sam Jones", "email": "sam.jones@example.org"},
            },
        },
        as_="business_support",
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    api.advance("2026-12-14T09:00")
    csrf = _signed_in(api)

    page = api.client.post(
        f"/cases/{case_id}/act/parent_consents",
        data={"csrf_token": csrf, "version": str(created.json()["version"])},
        headers=HTML,
    )

    assert page.status_code == 409
    summary = re.search(r'<div class="govuk-error-summary__body">(.*?)</div>', page.text, re.S)
    assert summary, "the refusal is in the error summary"
    shown = " ".join(re.sub(r"<[^>]+>", " ", summary[1]).split())
    assert shown == "Add the identifying worker before asking the social worker to agree (IR-01)"
    assert "parent_consents" not in shown and "refused" not in shown
    # The API keeps the technical form, for the programs that read it.
    refused = api.fire(case_id, "parent_consents")
    assert refused.json()["detail"].startswith("trigger 'parent_consents' refused: add the")
