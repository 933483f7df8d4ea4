"""Texts in the words Notify sends, emails people can answer, and parents' replies
(issue 8, items 5 to 8), on SQLite and PostgreSQL, with the real Notify client
against the local fake Notify and a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from engine import replies
from engine.cases import Actor
from engine.errors import InvalidState
from engine.service import FamilyFlow
from notifications.channels.file import FileTransport
from notifications.channels.notify import NotifyTransport
from notifications.channels.notify_inbox import NotifyInbox
from notifications.sms import measure, sanitise
from tests.conftest import AppFactory
from tests.support.attendance import TEAM_MANAGER
from tests.support.fake_notify import FakeNotify
from tests.support.journeys import CONTACTS, WORKER, at, case_state, history, outbox_rows, step
from tests.support.mail import SmtpServer, plain_body, smtp_server

VENUE_60 = "The Old Library Community Rooms, 14 Church Street, Llandeilo"
SESSIONS = ["2027-01-05T10:00", "2027-01-12T10:00", "2027-01-19T10:00"]
TEAM = "Parenting North"
TEAM_MAILBOX = "parenting.north@northshire.gov.uk"


@pytest.fixture
def notify() -> Iterator[FakeNotify]:
    with FakeNotify() as fake:
        yield fake


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def notify_transport(notify: FakeNotify, **extra: object) -> NotifyTransport:
    return NotifyTransport(
        api_key=notify.api_key,
        base_url=notify.base_url,
        email_template_id=notify.email_template_id,
        sms_template_id=notify.sms_template_id,
        **extra,  # type: ignore[arg-type]  # e.g. email_reply_to_ids
    )


def inbox(notify: FakeNotify) -> NotifyInbox:
    return NotifyInbox(api_key=notify.api_key, base_url=notify.base_url)


def referral(
    flow: FamilyFlow, *, parent: dict[str, str], venue: str = VENUE_60, team: str = TEAM
) -> int:
    flow.clock.advance_to(at("2026-12-14T10:00"))
    case_id: int = flow.create_case(
        process="parenting",
        received_at=at("2026-12-14T10:00"),
        data={},
        contacts={**CONTACTS, "parent": parent},
        team=team,
    )
    flow.tick()
    for when, trigger, data in (
        ("2026-12-15T09:00", "request_confirmation", {}),
        ("2026-12-16T11:00", "confirm_attendance", {}),
        ("2026-12-17T14:00", "choose_sessions", {"sessions": [1, 2, 3, 4]}),
        ("2026-12-21T10:00", "allocate_worker", {"worker": WORKER}),
        ("2026-12-22T10:00", "hold_planning_meeting", {}),
        (
            "2026-12-23T10:00",
            "register",
            {"venue": venue, "sessions": [at(s).isoformat() for s in SESSIONS]},
        ),
    ):
        step(
            flow,
            case_id,
            when,
            trigger,
            data,
            by=TEAM_MANAGER if trigger == "allocate_worker" else None,
        )
    return case_id


def miss_first_session(flow: FamilyFlow, case_id: int) -> None:
    step(
        flow,
        case_id,
        "2027-01-05T14:00",
        "record_session",
        {"session": at(SESSIONS[0]).isoformat(), "attended": False},
        by=TEAM_MANAGER,
    )
    flow.advance(at("2027-01-05T14:06"))  # the text waits out the undo window (5 minutes)


def the_text(flow: FamilyFlow, case_id: int) -> dict[str, object]:
    (text,) = outbox_rows(flow, case_id=case_id, template="parenting/missed_session")
    return text


# -- item 5: texts as Notify sends them ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "Siân Williams",  # â stays: Unicode, 67 a part, so the short form is sent
            "Siân Williams, we missed you at parenting on Tue 5 Jan. Next: Tue 12 Jan 10:00, "
            f"{VENUE_60}. Please reply if you can't come. Children's Services",
        ),
        (
            "Zoë Hart",
            "Zoë Hart, we missed you at parenting on Tue 5 Jan. Next: Tue 12 Jan 10:00, "
            f"{VENUE_60}. Please reply if you can't come. Children's Services",
        ),
        (
            "Mrs O\u2019Brien",  # the curly apostrophe becomes ': GSM-7, the full text fits
            "Hello Mrs O'Brien, we missed you at the parenting session on Tuesday 5 January "
            "2027 at 10:00. The next session is on Tuesday 12 January 2027 at 10:00 at "
            f"{VENUE_60}. Please reply if you cannot attend. Children's Services",
        ),
        (
            "Łukasz Nowak",
            "Hello Lukasz Nowak, we missed you at the parenting session on Tuesday 5 January "
            "2027 at 10:00. The next session is on Tuesday 12 January 2027 at 10:00 at "
            f"{VENUE_60}. Please reply if you cannot attend. Children's Services",
        ),
    ],
)
def test_par_12_a_missed_session_is_recorded_and_texted_whatever_the_parents_name(
    make_app: AppFactory, tmp_path: Path, notify: FakeNotify, name: str, expected: str
) -> None:
    assert len(VENUE_60) == 60
    files = FileTransport(directory=tmp_path / "outbox")
    flow = make_app(transports={"email": files, "sms": notify_transport(notify)})
    case_id = referral(flow, parent={"name": name, "mobile": "07700900123"})

    miss_first_session(flow, case_id)

    assert case_state(flow, case_id).data["missed_count"] == 1
    text = the_text(flow, case_id)
    assert text["body"] == expected
    assert sanitise(expected) == expected  # Notify sends it unchanged
    assert measure(expected).fragments <= 3
    (sent,) = [s for s in notify.sent if s["type"] == "sms"]
    assert sent["personalisation"] == {"body": expected}
    assert sent["content"] == {"body": expected, "from_number": notify.from_number}
    assert text["status"] == "sent"


def test_par_12_a_text_too_long_even_in_short_form_waits_for_review_and_the_event_goes_through(
    make_app: AppFactory, tmp_path: Path, notify: FakeNotify
) -> None:
    files = FileTransport(directory=tmp_path / "outbox")
    flow = make_app(
        transports={"email": files, "sms": notify_transport(notify)},
        service_name="Northshire County Council Children's Services Families Together",
    )
    case_id = referral(
        flow, parent={"name": "Siân Angharad Llewellyn-Williams", "mobile": "07700900123"}
    )

    miss_first_session(flow, case_id)

    assert case_state(flow, case_id).data["missed_count"] == 1
    text = the_text(flow, case_id)
    assert text["status"] == "needs_review"
    assert text["last_error"] == (
        "text needs 4 SMS fragments (UCS-2); at most 3 are allowed: shorten it to send it"
    )
    assert str(text["body"]).startswith("Siân Angharad Llewellyn-Williams, we missed you")
    flow.advance(at("2027-01-06T12:00"))
    assert [s for s in notify.sent if s["type"] == "sms"] == []
    assert the_text(flow, case_id)["status"] == "needs_review"


# -- item 7: the sender is the council, and people can answer it ---------------------


def test_an_email_to_a_professional_names_the_family_links_the_case_and_replies_to_the_team(
    make_app: AppFactory, tmp_path: Path, smtp: SmtpServer
) -> None:
    files = FileTransport(directory=tmp_path / "outbox")
    flow = make_app(
        transports={"email": smtp.transport(), "sms": files},
        service_name="Northshire Council Families Together",
        team_reply_to={TEAM: TEAM_MAILBOX},
        base_url="https://familyflow.northshire.gov.uk",
    )
    case_id = referral(flow, parent={"name": "Jo Parent", "mobile": "07700900123"})
    miss_first_session(flow, case_id)

    first = smtp.sink.received[0].message
    assert first["Reply-To"] == TEAM_MAILBOX
    body = plain_body(first)
    reference = f"PAR-{case_id:06d}"
    assert (
        f"Northshire Council Families Together, Parenting programme, {reference} (Jo Parent)\n"
        f"Open the case: https://familyflow.northshire.gov.uk/cases/{case_id}\n"
    ) in body
    assert body.endswith(f"Replies go to the team's mailbox, {TEAM_MAILBOX}.\n")
    assert "do not reply" not in body
    text = str(the_text(flow, case_id)["body"])
    assert text.endswith("Please reply if you cannot attend. Northshire Council Families Together")
    assert "http" not in text and "PAR-" not in text


def test_a_notify_email_names_the_teams_reply_to_id(
    make_app: AppFactory, tmp_path: Path, notify: FakeNotify
) -> None:
    reply_to_id = notify.add_reply_to(TEAM_MAILBOX)
    files = FileTransport(directory=tmp_path / "outbox")
    transport = notify_transport(notify, email_reply_to_ids={TEAM_MAILBOX: reply_to_id})
    flow = make_app(
        transports={"email": transport, "sms": files}, team_reply_to={TEAM: TEAM_MAILBOX}
    )
    flow.clock.advance_to(at("2026-12-14T10:00"))
    flow.create_case(
        process="parenting",
        received_at=at("2026-12-14T10:00"),
        data={},
        contacts=CONTACTS,
        team=TEAM,
    )
    flow.tick()

    emails = [s for s in notify.sent if s["type"] == "email"]
    assert emails and all(e["email_reply_to_id"] == reply_to_id for e in emails)


def test_a_team_without_a_reply_to_says_replies_are_not_read_and_sends_no_reply_to(
    make_app: AppFactory, tmp_path: Path, notify: FakeNotify
) -> None:
    files = FileTransport(directory=tmp_path / "outbox")
    flow = make_app(transports={"email": notify_transport(notify), "sms": files})
    flow.clock.advance_to(at("2026-12-14T10:00"))
    flow.create_case(
        process="parenting",
        received_at=at("2026-12-14T10:00"),
        data={},
        contacts=CONTACTS,
        team=TEAM,
    )
    flow.tick()

    (first, *_) = [s for s in notify.sent if s["type"] == "email"]
    assert "email_reply_to_id" not in first
    assert str(first["personalisation"]["body"]).endswith(
        "Replies to this address are not read: please contact the team directly.\n"
    )


# -- item 8: replies from parents ----------------------------------------------------


def notes_from_replies(flow: FamilyFlow, case_id: int) -> list[dict[str, object]]:
    return [
        e
        for e in history(flow, case_id)
        if e["kind"] == "note" and str(e.get("reason", "")).startswith("Reply by text")
    ]


def test_par_12_a_reply_from_the_parents_mobile_becomes_a_case_note_on_their_case(
    make_app: AppFactory, tmp_path: Path, notify: FakeNotify
) -> None:
    files = FileTransport(directory=tmp_path / "outbox")
    flow = make_app(transports={"email": files, "sms": files}, inbox=inbox(notify))
    theirs = referral(flow, parent={"name": "Siân Williams", "mobile": "07700900123"})
    other = referral(flow, parent={"name": "Jo Parent", "mobile": "07700900456"})
    miss_first_session(flow, theirs)

    notify.receive_text("447700900123", "Sorry, Owen was ill. We will be there next week.")
    report = flow.read_replies()

    assert (report.received, report.noted, report.waiting) == (1, 1, 0)
    (note,) = notes_from_replies(flow, theirs)
    assert note["reason"] == (
        "Reply by text from Siân Williams (parent): "
        "Sorry, Owen was ill. We will be there next week."
    )
    assert note["rule"] == "PAR-12"
    assert notes_from_replies(flow, other) == []


def test_replies_are_read_once_however_often_and_page_by_page(
    make_app: AppFactory, tmp_path: Path, notify: FakeNotify
) -> None:
    files = FileTransport(directory=tmp_path / "outbox")
    flow = make_app(transports={"email": files, "sms": files}, inbox=inbox(notify))
    case_id = referral(flow, parent={"name": "Jo Parent", "mobile": "07700900123"})
    notify.received_page_size = 2
    ids = [notify.receive_text("447700900123", f"Reply {n}") for n in range(1, 6)]

    assert flow.read_replies().received == 5
    assert flow.read_replies().received == 0
    notify.receive_text("447700900123", "Reply 6")
    assert flow.read_replies().received == 1

    reasons = [n["reason"] for n in notes_from_replies(flow, case_id)]
    assert reasons == [f"Reply by text from Jo Parent (parent): Reply {n}" for n in range(1, 7)]
    with flow.db.connect() as conn:
        assert replies.cursor(conn) == notify.received[-1]["id"] != ids[-1]


def test_a_reply_that_matches_no_case_or_several_waits_for_business_support_to_assign(
    make_app: AppFactory, tmp_path: Path, notify: FakeNotify
) -> None:
    files = FileTransport(directory=tmp_path / "outbox")
    flow = make_app(transports={"email": files, "sms": files}, inbox=inbox(notify))
    first = referral(flow, parent={"name": "Jo Parent", "mobile": "07700900123"})
    second = referral(flow, parent={"name": "Jo Parent", "mobile": "07700900123"})
    notify.receive_text("447700900123", "Which session is next?")
    notify.receive_text("447700900999", "Who is this?")

    assert flow.read_replies().waiting == 2
    with flow.db.connect() as conn:
        waiting = replies.waiting(conn)
    assert [(w["status"], w["candidates"], w["user_number"]) for w in waiting] == [
        ("ambiguous", [first, second], "+447700900123"),
        ("unmatched", [], "+447700900999"),
    ]
    assert notes_from_replies(flow, first) == notes_from_replies(flow, second) == []

    flow.assign_reply(
        waiting[0]["id"], case_id=second, actor=Actor("bs@example.org", "business_support")
    )

    (note,) = notes_from_replies(flow, second)
    assert (note["reason"], note["actor"]) == (
        "Reply by text from +447700900123: Which session is next?",
        "bs@example.org",
    )
    with pytest.raises(InvalidState, match="already on a case"):
        flow.assign_reply(waiting[0]["id"], case_id=first, actor=Actor("bs@example.org"))
    with flow.db.connect() as conn:
        assert [w["status"] for w in replies.waiting(conn)] == ["unmatched"]


def test_a_reply_from_a_parent_whose_case_is_closed_is_not_noted_on_it(
    make_app: AppFactory, tmp_path: Path, notify: FakeNotify
) -> None:
    files = FileTransport(directory=tmp_path / "outbox")
    flow = make_app(transports={"email": files, "sms": files}, inbox=inbox(notify))
    case_id = referral(flow, parent={"name": "Jo Parent", "mobile": "07700900123"})
    step(
        flow, case_id, "2027-01-04T10:00", "close", {"reason": "family moved away"}, by=TEAM_MANAGER
    )
    notify.receive_text("447700900123", "Thanks")

    assert flow.read_replies().waiting == 1
    assert notes_from_replies(flow, case_id) == []


def test_the_fake_notify_refuses_unknown_properties_and_over_long_references(
    notify: FakeNotify,
) -> None:
    client = NotificationsAPIClient(notify.api_key, base_url=notify.base_url)
    body = {
        "phone_number": "07700900123",
        "template_id": notify.sms_template_id,
        "personalisation": {"body": "Hi"},
    }
    for extra, message in (
        ({"colour": "red"}, "Additional properties are not allowed (colour was unexpected)"),
        ({"reference": "x" * 1001}, "reference xxxxxxxxxxxxxxxxxxxx... is too long"),
    ):
        with pytest.raises(HTTPError) as raised:
            client.post("/v2/notifications/sms", {**body, **extra})
        assert raised.value.status_code == 400
        assert raised.value.message == [{"error": "ValidationError", "message": message}]
    client.request_session.close()
    assert notify.sent == []


def test_the_scheduler_reads_replies_on_an_interval_only_when_texts_go_by_notify(
    make_app: AppFactory, notify: FakeNotify
) -> None:
    from apscheduler.triggers.interval import IntervalTrigger

    from engine.scheduler import build_scheduler

    without = build_scheduler(make_app(), tick_seconds=30, outbox_seconds=15, blocking=False)
    assert "read_replies" not in {job.id for job in without.get_jobs()}
    flow = make_app(inbox=inbox(notify))
    scheduler = build_scheduler(
        flow, tick_seconds=30, outbox_seconds=15, blocking=False, replies_seconds=45
    )
    trigger = {job.id: job for job in scheduler.get_jobs()}["read_replies"].trigger
    assert isinstance(trigger, IntervalTrigger)
    assert trigger.interval.total_seconds() == 45
