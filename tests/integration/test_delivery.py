"""Messages from the outbox to real counterparts: an SMTP server (aiosmtpd, in
process), a local fake of GOV.UK Notify's API, and files. Time moves only on the
SimulatedClock; nothing here sleeps."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from engine import store
from engine.cases import CaseWork
from engine.service import FamilyFlow
from notifications.channels.base import Transport
from notifications.channels.file import FileTransport
from notifications.channels.notify import NotifyTransport
from notifications.channels.smtp import message_id_for
from tests.conftest import AppFactory
from tests.support.attendance import TEAM_MANAGER, VENUE, to_attending
from tests.support.database import confirmed_referrals, rows
from tests.support.fake_notify import FakeNotify
from tests.support.journeys import CONTACTS, WORKER, at, history, outbox_rows, step
from tests.support.logs import captured_logs
from tests.support.mail import SmtpServer, plain_body, smtp_server

SOCIAL_WORKER = CONTACTS["social_worker"]["email"]
BUSINESS_SUPPORT = CONTACTS["business_support"]["email"]
PARENT_MOBILE = "+447700900123"  # CONTACTS' 07700900123, as stored (E.164)
PERSONAL_DATA = [
    *(c["email"] for c in (*CONTACTS.values(), WORKER) if "email" in c),
    *(c["name"] for c in (*CONTACTS.values(), WORKER)),
    "Jones",
    "Bello",
    "Lee",
    PARENT_MOBILE,
    "07700900123",
    "7700900123",
    "900123",
]


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
    )


@pytest.fixture
def files(tmp_path: Path) -> FileTransport:
    return FileTransport(directory=tmp_path / "outbox")


def sent_texts(notify: FakeNotify) -> list[dict[str, object]]:
    return [s for s in notify.sent if s["type"] == "sms"]


def the_message(flow: FamilyFlow, template: str) -> dict[str, object]:
    (message,) = outbox_rows(flow, template=template)
    return message


# -- email through SMTP ----------------------------------------------------------------


def test_par_01_a_referral_is_emailed_by_smtp_to_the_team_manager_copied_to_business_support(
    make_app: AppFactory,
    new_referral: Callable[..., int],
    smtp: SmtpServer,
    files: FileTransport,
) -> None:
    """PAR-01: the new referral email arrives as rendered: To the TM by name, and BS's
    copy as a message of its own (its own row, so a retry of one never resends to the
    other), the subject and body stored in the outbox, and a footer citing the rule."""
    flow = make_app(transports={"email": smtp.transport(), "sms": files})
    case_id = new_referral(flow, "2026-12-14T10:00")

    received, copy = smtp.sink.received
    queued, copied = outbox_rows(flow, template="parenting/referral_received", copies=True)
    reference = f"PAR-{case_id:06d}"
    message = received.message
    assert (received.rcpt_tos, copy.rcpt_tos) == ([TEAM_MANAGER], [BUSINESS_SUPPORT])
    assert message["To"] == f"Ade Bello <{TEAM_MANAGER}>"
    assert message["Cc"] is None
    assert copy.message["To"] == f"Business Support <{BUSINESS_SUPPORT}>"
    assert plain_body(copy.message) == plain_body(message)
    assert (queued["cc"], copied["dedupe_key"], copied["to_role"]) == (
        [BUSINESS_SUPPORT],
        f"{queued['dedupe_key']}:cc1",
        "business_support",
    )
    assert message["Subject"] == queued["subject"] == f"New parenting referral {reference}"
    body = plain_body(message)
    assert body == queued["body"]
    assert body.startswith(
        "Dear Ade Bello,\n\n"
        "A new referral for the parenting programme was received on Monday 14 December 2026.\n"
        "\nReferring social worker: Sam Jones\n"
    )
    assert f"Children's Services, Parenting programme, {reference} (Jo Parent)\n" in body
    assert body.endswith(
        "Sent under rule PAR-01. "
        "Replies to this address are not read: please contact the team directly.\n"
    )
    assert (queued["status"], queued["attempts"], queued["sent_at"]) == (
        "sent",
        1,
        at("2026-12-14T10:00"),
    )
    assert (
        queued["provider_ref"] == message["Message-ID"] == message_id_for(str(queued["dedupe_key"]))
    )


def test_an_smtp_server_answering_451_is_retried_with_backoff_and_the_email_sent_once(
    make_app: AppFactory,
    new_referral: Callable[..., int],
    smtp: SmtpServer,
    files: FileTransport,
) -> None:
    """A temporary refusal keeps the message queued with the error and the next try
    1 minute later, then 2 minutes after that; when the server recovers it is sent
    once, and later deliveries never send it again. (The copy to BS is refused and
    retried alongside, as its own message.)"""
    smtp.sink.data_replies = ["451 4.3.0 Try again later"] * 4
    flow = make_app(transports={"email": smtp.transport(), "sms": files})
    clock = flow.clock
    new_referral(flow, "2026-12-14T10:00")  # first attempt at 10:00

    def state() -> tuple[object, ...]:
        m = the_message(flow, "parenting/referral_received")
        return m["status"], m["attempts"], m["next_attempt_at"], m["last_error"]

    message_id = the_message(flow, "parenting/referral_received")["id"]
    mail_id = message_id_for(str(the_message(flow, "parenting/referral_received")["dedupe_key"]))
    retry = f"delivery of message {message_id} failed for now and will be retried: "
    assert state() == ("queued", 1, at("2026-12-14T10:01"), retry + "smtp 451 message refused")

    clock.advance_to(at("2026-12-14T10:00:59"))  # type: ignore[attr-defined]
    assert flow.outbox.deliver_due().retried == 0
    assert smtp.sink.attempts.count(mail_id) == 1

    clock.advance_to(at("2026-12-14T10:01"))  # type: ignore[attr-defined]
    assert flow.outbox.deliver_due().retried == 2
    assert state() == ("queued", 2, at("2026-12-14T10:03"), retry + "smtp 451 message refused")

    clock.advance_to(at("2026-12-14T10:03"))  # type: ignore[attr-defined]
    assert flow.outbox.deliver_due().sent == 2
    sent = the_message(flow, "parenting/referral_received")
    assert (sent["status"], sent["attempts"], sent["sent_at"], sent["last_error"]) == (
        "sent",
        3,
        at("2026-12-14T10:03"),
        None,
    )

    flow.advance(at("2026-12-15T10:00"))
    assert smtp.sink.attempts.count(mail_id) == 3
    assert [r.message["Message-ID"] for r in smtp.sink.received].count(mail_id) == 1


def test_an_smtp_550_fails_the_message_after_one_attempt_and_it_is_never_retried(
    make_app: AppFactory,
    new_referral: Callable[..., int],
    smtp: SmtpServer,
    files: FileTransport,
) -> None:
    smtp.sink.data_replies = ["550 5.7.1 Message refused by policy"]
    flow = make_app(transports={"email": smtp.transport(), "sms": files})
    new_referral(flow, "2026-12-14T10:00")

    flow.advance(at("2026-12-17T10:00"))

    failed = the_message(flow, "parenting/referral_received")
    assert (failed["status"], failed["attempts"], failed["last_error"]) == (
        "failed",
        1,
        f"delivery of message {failed['id']} failed and will not be retried: "
        "smtp 550 message refused",
    )
    mail_id = message_id_for(str(failed["dedupe_key"]))
    assert smtp.sink.attempts.count(mail_id) == 1
    assert [r.message["Message-ID"] for r in smtp.sink.received].count(mail_id) == 0


# -- text through Notify ---------------------------------------------------------------


def test_par_12_a_missed_session_text_goes_through_notify_with_no_personal_data_in_its_reference(
    make_app: AppFactory,
    new_referral: Callable[..., int],
    notify: FakeNotify,
    files: FileTransport,
) -> None:
    flow = make_app(transports={"email": files, "sms": notify_transport(notify)})
    case_id = new_referral(flow, "2026-12-14T10:00")
    to_attending(
        flow,
        case_id,
        received=date(2026, 12, 14),
        sessions=["2027-01-05T10:00", "2027-01-12T10:00", "2027-01-19T10:00"],
    )

    step(
        flow,
        case_id,
        "2027-01-05T14:00",
        "record_session",
        {"session": at("2027-01-05T10:00").isoformat(), "attended": False},
        by=TEAM_MANAGER,
    )
    flow.advance(at("2027-01-05T14:06"))  # the text waits out the undo window (5 minutes)

    (text,) = sent_texts(notify)
    queued = the_message(flow, "parenting/missed_session")
    assert text["phone_number"] == PARENT_MOBILE
    assert text["template_id"] == notify.sms_template_id
    assert text["personalisation"] == {"body": queued["body"]}
    assert queued["body"] == (
        "Hello Jo Parent, we missed you at the parenting session on Tuesday 5 January 2027 at "
        f"10:00. The next session is on Tuesday 12 January 2027 at 10:00 at {VENUE}. Please "
        "reply if you cannot attend. Children's Services"
    )
    reference = str(text["reference"])
    assert reference == f"familyflow-{queued['id']}"
    assert not [p for p in PERSONAL_DATA if p.lower() in reference.lower()]
    assert (queued["status"], queued["provider_ref"]) == ("sent", text["id"])
    notes = [
        e["reason"]
        for e in history(flow, case_id)
        if e["kind"] == "note" and e.get("rule") == "PAR-12"
    ]
    assert notes == ["Missed-session text queued for the parent with the next session's details."]


def test_a_text_queued_at_21_30_waits_for_08_00_the_next_morning(
    make_app: AppFactory,
    new_referral: Callable[..., int],
    notify: FakeNotify,
    files: FileTransport,
) -> None:
    """Quiet hours (20:00-08:00 local) for texts, in British Summer Time: a miss
    recorded at 21:30 is texted at 08:00 (07:00 UTC), not at 21:30 or 07:59."""
    flow = make_app(
        start="2027-06-07T09:00", transports={"email": files, "sms": notify_transport(notify)}
    )
    clock = flow.clock
    case_id = new_referral(flow, "2027-06-07T10:00")
    to_attending(
        flow,
        case_id,
        received=date(2027, 6, 7),
        sessions=["2027-06-22T18:00", "2027-06-29T18:00", "2027-07-06T18:00"],
    )

    step(
        flow,
        case_id,
        "2027-06-22T21:30",
        "record_session",
        {"session": at("2027-06-22T18:00").isoformat(), "attended": False},
        by=TEAM_MANAGER,
    )
    queued = the_message(flow, "parenting/missed_session")
    assert (queued["status"], queued["not_before"]) == ("queued", at("2027-06-23T08:00"))
    assert at("2027-06-23T08:00").isoformat() == "2027-06-23T07:00:00+00:00"

    clock.advance_to(at("2027-06-23T07:59"))  # type: ignore[attr-defined]
    flow.outbox.deliver_due()
    assert sent_texts(notify) == []
    assert not [r for r in notify.requests if r["path"].endswith("/sms")]

    clock.advance_to(at("2027-06-23T08:00"))  # type: ignore[attr-defined]
    flow.outbox.deliver_due()
    (text,) = sent_texts(notify)
    assert text["phone_number"] == PARENT_MOBILE
    sent = the_message(flow, "parenting/missed_session")
    assert (sent["status"], sent["sent_at"]) == ("sent", at("2027-06-23T08:00"))


# -- dedupe ----------------------------------------------------------------------------


def test_acting_on_the_same_par_04_deadline_twice_queues_its_chase_once(
    make_app: AppFactory,
) -> None:
    """PAR-04: a runner holding a stale copy of a deadline that another runner has
    already fired acts on it again; the outbox keeps a single chase email."""
    flow = make_app(start="2026-12-16T11:00")
    (case_id,) = confirmed_referrals(flow, 1, at=at("2026-12-16T11:00"))
    flow.advance(at("2026-12-24T09:00"))
    (chase,) = rows(flow, store.deadlines, store.deadlines.c.timescale == "PAR-04-chase")
    assert chase["status"] == "fired"

    with flow.db.begin() as conn:
        work = CaseWork(conn=conn, services=flow.services, now=flow.clock.now())
        work.fire_deadline(chase, late=True)
        work.flush()
    flow.tick()

    (email,) = outbox_rows(flow, case_id=case_id, template="parenting/chase_session_choice")
    assert (email["dedupe_key"], email["status"], email["attempts"]) == (
        f"deadline:{chase['id']}:parenting/chase_session_choice:social_worker",
        "sent",
        1,
    )
    assert flow.fire_due() == 0


def test_queuing_the_same_dedupe_key_twice_keeps_the_first_message(
    make_app: AppFactory,
    new_referral: Callable[..., int],
) -> None:
    flow = make_app()
    new_referral(flow)
    (first,) = outbox_rows(flow)
    again = {k: v for k, v in first.items() if k != "id"} | {
        "body": "a second rendering",
        "status": "queued",
        "sent_at": None,
    }

    with flow.db.begin() as conn:
        store.insert_outbox(conn, [again])
    flow.tick()

    assert outbox_rows(flow) == [first]


# -- logs ------------------------------------------------------------------------------


def test_a_whole_journey_logs_no_name_email_address_or_mobile_of_anyone(
    make_app: AppFactory,
    new_referral: Callable[..., int],
    smtp: SmtpServer,
    notify: FakeNotify,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """From referral to the third missed session (PAR-01 to PAR-14), with emails
    over SMTP and texts through Notify, a temporary and a permanent failure of
    each, agendas and deadlines: nothing logged names a contact or their details."""
    caplog.set_level(logging.INFO)
    transports: dict[str, Transport] = {"email": smtp.transport(), "sms": notify_transport(notify)}
    flow = make_app(transports=transports)
    sessions = ["2027-01-05T10:00", "2027-01-12T10:00", "2027-01-19T10:00", "2027-01-26T10:00"]

    def miss(when: str, session: str) -> None:
        step(
            flow,
            case_id,
            when,
            "record_session",
            {"session": at(session).isoformat(), "attended": False},
            by=TEAM_MANAGER,
        )

    with captured_logs(monkeypatch) as events:
        smtp.sink.data_replies = ["451 4.3.0 Try again later"]
        case_id = new_referral(flow, "2026-12-14T10:00")
        to_attending(flow, case_id, received=date(2026, 12, 14), sessions=sessions)
        notify.fail_next(500)
        miss("2027-01-05T14:00", sessions[0])
        notify.fail_next(400, message=f"Can't send to {PARENT_MOBILE}")
        smtp.sink.data_replies = ["554 5.6.0 Message content rejected"]
        miss("2027-01-12T14:00", sessions[1])
        miss("2027-01-19T14:00", sessions[2])
        flow.advance(at("2027-01-27T09:00"))

    logged = {e["event"] for e in events}
    assert {
        "case_created",
        "case_event",
        "deadlines_fired",
        "agenda_run",
        "message_sent",
        "message_retry",
        "message_failed",
    } <= logged, "the journey was not logged"
    ours = json.dumps(events, default=str).lower()
    assert [p for p in PERSONAL_DATA if p.lower() in ours] == []
    libraries = "\n".join(
        f"{r.name}: {r.getMessage()}" for r in caplog.records if not r.name.startswith("mail.log")
    ).lower()  # the test SMTP server
    assert [p for p in PERSONAL_DATA if p.lower() in libraries] == []
