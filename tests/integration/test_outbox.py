"""The outbox keeps going when one message cannot be sent."""

from __future__ import annotations

from pathlib import Path

from familyflow.db import records
from notifications.channels.base import Envelope
from notifications.channels.file import FileTransport
from tests.support.journeys import CONTACTS, at, outbox_rows
from tests.support.logs import captured_logs


class BrokenFirstTransport:
    """A transport with a bug that blows up on one message only."""

    name = "broken"

    def __init__(self, directory: Path, broken_id: int) -> None:
        self.file = FileTransport(directory=directory)
        self.broken_id = broken_id

    def send(self, envelope: Envelope) -> str:
        if envelope.message_id == self.broken_id:
            raise RuntimeError(f"bug while sending to {envelope.to_address}")
        return self.file.send(envelope)


def test_an_unexpected_transport_error_is_retried_later_and_does_not_block_the_rest(
    make_app, tmp_path
):
    transport = BrokenFirstTransport(tmp_path / "out", broken_id=1)
    flow = make_app(transports={"email": transport, "sms": transport})
    for _ in range(3):
        flow.create_case(
            process="parenting", received_at=at("2026-12-14T09:00"), data={}, contacts=CONTACTS
        )
    flow.outbox.deliver_due()

    rows = {r["id"]: r for r in outbox_rows(flow, copies=True)}
    assert (rows[1]["status"], rows[1]["attempts"]) == ("queued", 1)
    assert rows[1]["last_error"].endswith("unexpected RuntimeError")
    assert "ade.bello" not in rows[1]["last_error"]
    # the rest, each case's copy to business support included, went out
    assert [rows[i]["status"] for i in range(2, 7)] == ["sent"] * 5


def test_a_message_that_keeps_failing_is_failed_after_the_maximum_attempts(make_app, tmp_path):
    transport = BrokenFirstTransport(tmp_path / "out", broken_id=1)
    flow = make_app(transports={"email": transport, "sms": transport}, max_attempts=3)
    flow.create_case(
        process="parenting", received_at=at("2026-12-14T09:00"), data={}, contacts=CONTACTS
    )
    flow.advance(at("2026-12-14T12:00"))

    [row] = outbox_rows(flow)
    assert (row["status"], row["attempts"]) == ("failed", 3)
    assert row["last_error"] == (
        "delivery of message 1 gave up after 3 attempts: unexpected RuntimeError"
    )


def test_a_message_that_gives_up_is_logged_and_audited_as_failed(make_app, tmp_path, monkeypatch):
    """Failure is loud: a message_failed line (IDs only) and an audit record on the case
    saying what failed and why, in plain words."""
    transport = BrokenFirstTransport(tmp_path / "out", broken_id=1)
    flow = make_app(transports={"email": transport, "sms": transport}, max_attempts=2)
    with captured_logs(monkeypatch) as logs:
        case_id = flow.create_case(
            process="parenting", received_at=at("2026-12-14T09:00"), data={}, contacts=CONTACTS
        )
        flow.advance(at("2026-12-14T12:00"))

    failed = [e for e in logs if e["event"] == "message_failed"]
    assert failed == [
        {
            "event": "message_failed",
            "log_level": "warning",
            "message_id": 1,
            "case_id": case_id,
            "rule": "PAR-01",
            "transport": "broken",
            "attempts": 2,
            "permanent": False,
        }
    ]
    assert [e["attempts"] for e in logs if e["event"] == "message_retry"] == [1]
    with flow.db.connect() as conn:
        (record,) = records.audit_trail(conn, kind="delivery")
    assert (record["case_id"], record["rule"], record["reason"]) == (
        case_id,
        "PAR-01",
        "email to team_manager failed: unexpected RuntimeError",
    )
    assert record["detail"]["message_id"] == 1
