"""Fencing: a delivery records its outcome only while it still holds the claim, and
keeps its claim while it works, so no message is sent twice by two runners, and
none is lost when a runner dies mid-batch. With Notify, a message sent just
before a crash is found by its reference instead of being sent again."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest

from engine.clock import SimulatedClock, SystemClock
from engine.service import FamilyFlow
from notifications.channels.notify import NotifyTransport
from notifications.outbox import DeliveryPolicy, DeliveryReport, Outbox, envelope_for
from tests.conftest import AppFactory
from tests.support.fake_notify import FakeNotify
from tests.support.journeys import CONTACTS, at, outbox_rows
from tests.support.mail import SmtpServer, smtp_server

LEASE = timedelta(seconds=3)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def notify() -> Iterator[FakeNotify]:
    with FakeNotify() as fake:
        yield fake


def notify_transport(notify: FakeNotify) -> NotifyTransport:
    return NotifyTransport(
        api_key=notify.api_key,
        base_url=notify.base_url,
        email_template_id=notify.email_template_id,
        sms_template_id=notify.sms_template_id,
        timeout=1.0,
    )


def referrals(flow: FamilyFlow, count: int) -> None:
    """`count` parenting referrals: each queues PAR-01's email to the TM and its copy to BS."""
    for _ in range(count):
        flow.create_case(
            process="parenting", received_at=flow.clock.now(), data={}, contacts=CONTACTS
        )


def test_two_runners_and_a_slow_smtp_server_with_a_3_second_lease_send_each_email_once(
    make_app: AppFactory, smtp: SmtpServer
) -> None:
    """A relay taking 0.25 s a message makes one runner's batch of 16 outlast the lease;
    it renews the lease before each send, so the second runner, polling all the while,
    never takes a message over, and each arrives once."""
    flow = make_app(start="2026-11-30T10:00")  # queued in the (real) past, so due now
    referrals(flow, 8)
    smtp.sink.delay = 0.25
    transport = smtp.transport(timeout=1.0)
    # Both runners on the real clock: the lease runs out in real time, as in production.
    policy = DeliveryPolicy(lease=LEASE, claim_size=200)
    first, second = (
        Outbox(db=flow.db, transports={"email": transport}, policy=policy, clock=SystemClock())
        for _ in range(2)
    )
    reports: list[DeliveryReport] = []
    runner = threading.Thread(target=lambda: reports.append(first.deliver_due()))
    runner.start()
    polled = DeliveryReport()
    while runner.is_alive():
        report = second.deliver_due()
        polled.sent += report.sent
        polled.lost += report.lost
        runner.join(timeout=0.1)

    received = Counter((r.message["Message-ID"], *r.rcpt_tos) for r in smtp.sink.received)
    assert len(received) == 16
    assert set(received.values()) == {1}
    assert len(smtp.sink.attempts) == 16
    assert reports[0].sent + polled.sent == 16
    assert reports[0].lost == polled.lost == 0
    rows = outbox_rows(flow, copies=True)
    assert {(r["status"], r["attempts"], r["claim_token"]) for r in rows} == {("sent", 1, None)}


def test_a_runner_killed_mid_batch_leaves_its_messages_to_another_once_the_lease_runs_out(
    make_app: AppFactory, smtp: SmtpServer
) -> None:
    """Runner A claims every message and dies (its claim is abandoned). Runner B sends
    nothing while A's lease holds, then everything once it has run out, each once; A,
    waking up, can no longer record anything over B's outcome."""
    clock = SimulatedClock(at("2026-12-14T10:00"))
    flow = make_app(
        clock=clock,
        transports={"email": smtp.transport(timeout=1.0)},
        outbox_lease_seconds=3,
        smtp_timeout_seconds=1,
        notify_timeout_seconds=1,
    )
    referrals(flow, 3)
    dead = flow.outbox._claim(limit=200)  # type: ignore[attr-defined]
    assert len(dead.rows) == 6

    clock.advance_to(clock.now() + timedelta(seconds=2))
    assert flow.outbox.deliver_due().sent == 0
    assert smtp.sink.received == []

    clock.advance_to(clock.now() + timedelta(seconds=1, microseconds=1))
    assert flow.outbox.deliver_due().sent == 6
    received = Counter(r.message["Message-ID"] for r in smtp.sink.received)
    assert len(received) == 6 and set(received.values()) == {1}

    late = flow.outbox._finish(dead, dead.rows[0], status="failed", last_error="stale")  # type: ignore[attr-defined]
    assert late is False
    rows = outbox_rows(flow, copies=True)
    assert {(r["status"], r["attempts"], r["last_error"]) for r in rows} == {("sent", 2, None)}


def test_a_crash_between_notify_accepting_and_the_outbox_recording_sends_one_notification(
    make_app: AppFactory, notify: FakeNotify
) -> None:
    """Runner A sends the text to Notify and dies before recording it. Once A's lease
    has run out, B asks Notify for the message's reference, finds it and records it
    as sent with Notify's id: Notify holds one notification, not two."""
    clock = SimulatedClock(at("2026-12-14T10:00"))
    transport = notify_transport(notify)
    flow = make_app(
        clock=clock,
        transports={"email": transport, "sms": transport},
        outbox_lease_seconds=3,
        smtp_timeout_seconds=1,
        notify_timeout_seconds=1,
    )
    referrals(flow, 1)
    dead = flow.outbox._claim(limit=200)  # type: ignore[attr-defined]
    main = dead.rows[0]
    accepted = transport.send(envelope_for(main))  # ... and then A is killed

    clock.advance_to(clock.now() + timedelta(seconds=4))
    report = flow.outbox.deliver_due()

    assert (report.sent, report.lost) == (2, 0)
    reference = f"familyflow-{main['id']}"
    assert [s["id"] for s in notify.sent if s["reference"] == reference] == [accepted]
    assert len(notify.sent) == 2  # the TM's email once, and BS's copy once
    (row,) = outbox_rows(flow, id=main["id"])
    assert (row["status"], row["provider_ref"], row["attempts"]) == ("sent", accepted, 2)


def test_a_notify_copy_that_fails_is_retried_alone_and_the_main_email_is_never_resent(
    make_app: AppFactory, notify: FakeNotify
) -> None:
    """PAR-01 to the TM, copied to BS: Notify accepts the TM's and refuses BS's for
    now. The retry a minute later sends BS's copy only: one notification each."""
    clock = SimulatedClock(at("2026-12-14T10:00"))
    transport = notify_transport(notify)
    flow = make_app(clock=clock, transports={"email": transport, "sms": transport})
    notify.fail_to(CONTACTS["business_support"]["email"], 500)
    referrals(flow, 1)

    first = flow.outbox.deliver_due()
    assert (first.sent, first.retried) == (1, 1)
    clock.advance_to(clock.now() + timedelta(minutes=1))
    second = flow.outbox.deliver_due()
    assert (second.sent, second.retried) == (1, 0)
    flow.advance(at("2026-12-15T10:00"))

    sent_to = Counter(s["email_address"] for s in notify.sent)
    assert sent_to == {"ade.bello@example.org": 1, "bs@example.org": 1}
    main, copy = outbox_rows(flow, copies=True)
    assert (main["status"], main["attempts"], main["to_address"]) == (
        "sent",
        1,
        "ade.bello@example.org",
    )
    assert (copy["status"], copy["attempts"], copy["to_address"]) == ("sent", 2, "bs@example.org")
    by_id = {s["id"]: s["email_address"] for s in notify.sent}
    assert (by_id[main["provider_ref"]], by_id[copy["provider_ref"]]) == (
        "ade.bello@example.org",
        "bs@example.org",
    )
