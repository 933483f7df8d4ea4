"""Failure is loud: a message that will not arrive is an item on business support's
My work and on the Messages page, with its reason in plain words; Notify's receipts
update the recipient they are about, copies included."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from engine import store
from familyflow.db import records
from notifications.channels.notify import NotifyTransport
from tests.api.conftest import CALLBACK_TOKEN, Api
from tests.support.attendance import TEAM_MANAGER, to_attending
from tests.support.fake_notify import FakeNotify
from tests.support.journeys import at, step
from tests.support.logs import captured_logs

BS = "bs@example.org"


@pytest.fixture
def notify() -> Iterator[FakeNotify]:
    with FakeNotify() as fake:
        yield fake


def through_notify(api: Api, notify: FakeNotify) -> None:
    transport = NotifyTransport(
        api_key=notify.api_key,
        base_url=notify.base_url,
        email_template_id=notify.email_template_id,
        sms_template_id=notify.sms_template_id,
    )
    api.flow.outbox.transports = {"email": transport, "sms": transport}  # type: ignore[attr-defined]


def receipt(api: Api, message: dict[str, Any], status: str) -> None:
    body = {
        "id": message["provider_ref"],
        "reference": f"familyflow-{message['id']}",
        "status": status,
    }
    headers = {"Authorization": f"Bearer {CALLBACK_TOKEN}"}
    response = api.post("/api/notify/callback", as_=None, headers=headers, json=body)
    assert response.status_code == 204, response.text


def messages(api: Api, case_id: int) -> list[dict[str, Any]]:
    with api.flow.db.connect() as conn:
        return store.messages(conn, case_id=case_id)


def test_the_main_email_accepted_and_its_copy_failing_then_retried_gives_one_of_each(
    api: Api, notify: FakeNotify
) -> None:
    """PAR-01 to the TM, copied to BS, through Notify: BS's copy is refused for now and
    retried alone. Receipts then update each recipient's own message: the TM's copy is
    delivered, BS's bounces, and only BS's address is flagged."""
    through_notify(api, notify)
    notify.fail_to(BS, 503)
    case_id = api.referral(received="2026-12-14T09:00")["id"]
    api.flow.outbox.deliver_due()
    api.flow.clock.advance_to(at("2026-12-14T09:01"))  # type: ignore[attr-defined]
    api.flow.outbox.deliver_due()

    assert sorted(s["email_address"] for s in notify.sent) == ["ade.bello@example.org", BS]
    main, copy = messages(api, case_id)
    assert (main["attempts"], copy["attempts"]) == (1, 2)

    receipt(api, main, "delivered")
    receipt(api, copy, "permanent-failure")

    main, copy = messages(api, case_id)
    assert (main["status"], main["delivery_status"]) == ("delivered", "delivered")
    assert (copy["status"], copy["delivery_status"], copy["last_error"]) == (
        "failed",
        "permanent-failure",
        "email address does not exist",
    )
    flagged = api.get("/api/contacts/flagged", as_="business_support").json()
    assert [(f["role"], f["email"]) for f in flagged] == [("business_support", BS)]


def test_a_text_notify_cannot_deliver_is_an_item_on_business_supports_my_work(
    api: Api, notify: FakeNotify, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PAR-12's missed-session text bounces: business support sees "Text to Jo Parent's
    mobile failed: number not in service" on My work, with Retry and Edit contact, and
    on the Messages page; the case's timeline records it and the log says message_failed."""
    through_notify(api, notify)
    api.flow.clock.advance_to(at("2026-12-14T10:00"))  # type: ignore[attr-defined]
    case_id = api.referral(received="2026-12-14T10:00")["id"]
    to_attending(
        api.flow,
        case_id,
        received=date(2026, 12, 14),
        sessions=["2027-01-05T10:00", "2027-01-12T10:00", "2027-01-19T10:00"],
    )
    step(
        api.flow,
        case_id,
        "2027-01-05T14:00",
        "record_session",
        {"session": at("2027-01-05T10:00").isoformat(), "attended": False},
        by=TEAM_MANAGER,
    )
    api.flow.advance(at("2027-01-05T14:06"))  # the text waits out the undo window (5 minutes)
    (text,) = [m for m in messages(api, case_id) if m["template"] == "parenting/missed_session"]
    with captured_logs(monkeypatch) as logs:
        receipt(api, text, "permanent-failure")

    page = api.get("/", as_="business_support")
    assert page.status_code == 200
    item = "Text to Jo Parent&#39;s mobile failed: number not in service"
    assert item in page.text
    assert f'action="/messages/{text["id"]}/retry"' in page.text
    assert f'href="/cases/{case_id}#contacts"' in page.text
    assert item not in api.get("/", as_="worker").text  # for business support to act on

    listed = api.get("/messages?status=failed", as_="business_support").text
    assert item in listed and f'action="/messages/{text["id"]}/retry"' in listed

    assert [e["event"] for e in logs if e["event"] == "message_failed"] == ["message_failed"]
    with api.flow.db.connect() as conn:
        (record,) = records.audit_trail(conn, kind="delivery", case_id=case_id)
    assert record["reason"] == "text to parent failed: number not in service"

    api.flow.clock.advance_to(api.flow.clock.now() + timedelta(minutes=5))  # type: ignore[attr-defined]
    assert api.post(f"/api/messages/{text['id']}/retry", as_="business_support").status_code == 200
    api.flow.outbox.deliver_due()
    assert item not in api.get("/", as_="business_support").text
