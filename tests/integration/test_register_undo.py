"""The register (PAR-12, PAR-14): a session is marked only once it has started, a
miss's text waits out the undo window (FAMILYFLOW_SMS_UNDO_MINUTES) before it can be
sent, and an undo within the window takes back the record and the text together."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from engine import store
from engine.errors import InputError, UndoRefused
from familyflow import reports
from familyflow.services import attendance
from familyflow.services.principal import Principal
from notifications.channels.base import Envelope
from notifications.channels.file import FileTransport
from tests.support.attendance import to_attending
from tests.support.journeys import CONTACTS, at, case_state, history, outbox_rows

SESSIONS = ["2027-01-05T10:00", "2027-01-12T10:00", "2027-01-19T10:00", "2027-01-26T10:00"]
KIM = Principal(kind="user", email="kim.lee@example.org", role="worker", teams=None, name="Kim Lee")


class RecordingSms:
    """The SMS provider: what it was asked to send, in order."""

    name = "recording"

    def __init__(self) -> None:
        self.sent: list[Envelope] = []

    def send(self, envelope: Envelope) -> str:
        self.sent.append(envelope)
        return f"sms-{len(self.sent)}"


@pytest.fixture
def sms() -> RecordingSms:
    return RecordingSms()


@pytest.fixture
def flow(make_app, sms: RecordingSms, tmp_path: Path):
    flow = make_app(transports={"email": FileTransport(directory=tmp_path / "mail"), "sms": sms})
    flow.clock.advance_to(at("2026-12-14T10:00"))
    case_id = flow.create_case(
        process="parenting", received_at=at("2026-12-14T10:00"), data={}, contacts=CONTACTS
    )
    to_attending(flow, case_id, received=at("2026-12-14T10:00").date(), sessions=SESSIONS)
    flow.case_id = case_id  # type: ignore[attr-defined]
    return flow


def _session(text: str) -> str:
    return at(text).isoformat()


def _miss(flow, session: str, *, when: str, reason: str | None = None):
    flow.advance(at(when))
    return attendance.record_session(
        flow,
        principal=KIM,
        case_id=flow.case_id,
        session=_session(session),
        attended=False,
        reason=reason,
    )


def _open_deadlines(flow) -> list[tuple[str, str, str]]:
    with flow.db.connect() as conn:
        rows = store.open_deadlines(conn, case_id=flow.case_id)
    return sorted((r["timescale"], r["kind"], r["due_at"].isoformat()) for r in rows)


def test_a_session_that_has_not_started_cannot_be_marked(flow, sms):
    flow.advance(at("2027-01-05T09:59"))
    with pytest.raises(InputError, match="has not started yet"):
        attendance.record_session(
            flow, principal=KIM, case_id=flow.case_id, session=_session(SESSIONS[0]), attended=False
        )
    # nor from any other entrance: the engine refuses it too
    with pytest.raises(InputError, match=r"data\.session: .* has not started yet"):
        flow.fire(
            flow.case_id,
            "record_session",
            {"session": _session(SESSIONS[1]), "attended": True},
            actor=KIM.actor,
        )
    assert "attendance" not in case_state(flow, flow.case_id).data
    assert outbox_rows(flow, case_id=flow.case_id, template="parenting/missed_session") == []


def test_a_miss_text_waits_five_minutes_then_goes_once_to_the_parent(flow, sms):
    _miss(flow, SESSIONS[0], when="2027-01-05T14:00", reason="Poorly child")

    flow.clock.advance_to(at("2027-01-05T14:04"))
    flow.outbox.deliver_due()
    assert sms.sent == []

    flow.clock.advance_to(at("2027-01-05T14:06"))
    flow.outbox.deliver_due()
    flow.outbox.deliver_due()
    [text] = sms.sent
    assert text.to_address == "+447700900123"
    assert text.body == (
        "Hello Jo Parent, we missed you at the parenting session on Tuesday 5 January 2027 at "
        "10:00. The next session is on Tuesday 12 January 2027 at 10:00 at Riverside Family "
        "Centre. Please reply if you cannot attend. Children's Services"
    )
    [row] = outbox_rows(flow, case_id=flow.case_id, template="parenting/missed_session")
    assert (row["status"], row["sent_at"]) == ("sent", at("2027-01-05T14:06"))


def test_the_undo_window_is_a_setting(make_app, sms, tmp_path):
    flow = make_app(
        transports={"email": FileTransport(directory=tmp_path / "mail"), "sms": sms},
        sms_undo_minutes=10,
    )
    assert flow.services.undo_window == timedelta(minutes=10)


def test_quiet_hours_still_apply_after_the_undo_window(flow, sms):
    _miss(flow, SESSIONS[0], when="2027-01-05T19:58")

    [row] = outbox_rows(flow, case_id=flow.case_id, template="parenting/missed_session")
    assert row["not_before"] == at("2027-01-06T08:00")  # 20:03 is quiet: the morning
    flow.clock.advance_to(at("2027-01-05T20:10"))
    flow.outbox.deliver_due()
    assert sms.sent == []


def test_an_undo_within_the_window_cancels_the_text_and_restores_the_case(flow, sms):
    before = case_state(flow, flow.case_id)
    deadlines_before = _open_deadlines(flow)
    _miss(flow, SESSIONS[0], when="2027-01-05T14:00")
    assert _open_deadlines(flow) != deadlines_before  # PAR-15's weekly note started

    flow.clock.advance_to(at("2027-01-05T14:03"))
    undone = attendance.undo_session(flow, principal=KIM, case_id=flow.case_id)

    assert (undone.state, undone.data) == (before.state, before.data)
    assert _open_deadlines(flow) == deadlines_before
    [row] = outbox_rows(flow, case_id=flow.case_id, template="parenting/missed_session")
    assert row["status"] == "cancelled"
    flow.clock.advance_to(at("2027-01-06T12:00"))
    flow.outbox.deliver_due()
    assert sms.sent == []
    entries = history(flow, flow.case_id)
    [undo] = [e for e in entries if e["kind"] == "undo"]
    assert (undo["rule"], undo["trigger"], undo["actor"]) == (
        "PAR-12",
        "record_session",
        "kim.lee@example.org",
    )
    assert undo["reason"].startswith("Undone within 5 minutes: ")
    cancelled = [e for e in entries if e["kind"] == "message" and "cancelled" in e["reason"]]
    assert [(e["rule"], e["reason"]) for e in cancelled] == [
        ("PAR-12", "text to parent cancelled before it was sent: the event was undone")
    ]
    # the session can be recorded again, properly this time
    flow.advance(at("2027-01-05T14:10"))
    again = attendance.record_session(
        flow, principal=KIM, case_id=flow.case_id, session=_session(SESSIONS[0]), attended=True
    )
    assert again.data["attendance"][0]["attended"] is True


def test_an_undo_after_the_window_is_refused_and_the_text_goes(flow, sms):
    _miss(flow, SESSIONS[0], when="2027-01-05T14:00")
    flow.clock.advance_to(at("2027-01-05T14:05:01"))

    with pytest.raises(UndoRefused, match="too late to undo"):
        attendance.undo_session(flow, principal=KIM, case_id=flow.case_id)
    flow.outbox.deliver_due()
    assert len(sms.sent) == 1
    assert case_state(flow, flow.case_id).data["missed_count"] == 1


def test_only_the_last_record_can_be_undone_and_only_once(flow, sms):
    _miss(flow, SESSIONS[0], when="2027-01-05T14:00")
    flow.clock.advance_to(at("2027-01-05T14:01"))
    attendance.undo_session(flow, principal=KIM, case_id=flow.case_id)

    with pytest.raises(UndoRefused, match="nothing on this case that can be undone"):
        attendance.undo_session(flow, principal=KIM, case_id=flow.case_id)


def test_undoing_the_third_miss_opens_the_place_again(flow, sms):
    _miss(flow, SESSIONS[0], when="2027-01-05T14:00")
    _miss(flow, SESSIONS[1], when="2027-01-12T14:00")
    before = case_state(flow, flow.case_id)
    deadlines_before = _open_deadlines(flow)
    closed = _miss(flow, SESSIONS[2], when="2027-01-19T14:00")
    assert (closed.state, closed.data["closure_reason"]) == ("closed", "withdrawn_missed_sessions")
    assert _open_deadlines(flow) == []

    flow.clock.advance_to(at("2027-01-19T14:04"))
    reopened = attendance.undo_session(flow, principal=KIM, case_id=flow.case_id)

    assert (reopened.state, reopened.closed_at) == ("attending", None)
    assert reopened.data == before.data
    assert reopened.data["missed_count"] == 2
    assert _open_deadlines(flow) == deadlines_before
    emails = outbox_rows(
        flow, case_id=flow.case_id, template="parenting/withdrawn_missed_sessions"
    ) + outbox_rows(flow, case_id=flow.case_id, template="parenting/closed")
    assert [m["status"] for m in emails] == ["cancelled", "cancelled"]
    [undo] = [e for e in history(flow, flow.case_id) if e["kind"] == "undo"]
    assert (undo["rule"], undo["from"], undo["to"]) == ("PAR-14", "closed", "attending")


def test_an_undone_miss_is_not_counted_in_the_missed_sessions_report(flow, sms):
    _miss(flow, SESSIONS[0], when="2027-01-05T14:00")
    flow.clock.advance_to(at("2027-01-05T14:02"))
    attendance.undo_session(flow, principal=KIM, case_id=flow.case_id)
    flow.advance(at("2027-01-05T14:10"))
    attendance.record_session(
        flow, principal=KIM, case_id=flow.case_id, session=_session(SESSIONS[0]), attended=True
    )
    _miss(flow, SESSIONS[1], when="2027-01-12T14:00")

    with flow.db.connect() as conn:
        [row] = reports.missed_sessions(conn, teams=None, email=None)
    # PAR-12: the first miss was taken back, so two sessions were recorded, one missed
    assert (row["process"], row["sessions_recorded"], row["missed"]) == ("parenting", 2, 1)
    assert row["families_with_misses"] == 1
