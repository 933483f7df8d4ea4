"""Limits the engine keeps, so every entrance gets them (issue 7): event data is at
most 64 KB of JSON (FAMILYFLOW_MAX_EVENT_DATA_BYTES), a case note at most 20,000
characters. Each refusal names the limit and writes nothing. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from engine.cases import Actor
from engine.errors import InputError
from tests.conftest import AppFactory
from tests.support.journeys import CONTACTS, at, case_state

TM = CONTACTS["team_manager"]["email"]


def _counts(flow: object) -> dict[str, int]:
    with flow.db.connect() as conn:  # type: ignore[attr-defined]
        return {
            t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("cases", "audit_events", "outbox", "deadlines")
        }


def test_ten_megabytes_of_event_data_is_refused_naming_the_limit_and_nothing_is_stored(
    make_app: AppFactory, new_referral: Callable[..., int]
) -> None:
    flow = make_app()
    case_id = new_referral(flow)
    before = _counts(flow)
    huge = {"reason": "x" * (10 * 1024 * 1024)}
    with pytest.raises(InputError) as refused:
        flow.fire(case_id, "close", huge, actor=Actor(TM, "team_manager"))
    assert refused.value.fields["field"] == "data"
    assert "the limit is 65,536 bytes (FAMILYFLOW_MAX_EVENT_DATA_BYTES)" in str(refused.value)
    with pytest.raises(InputError, match="data: is 10,485,7"):
        flow.create_case(
            process="parenting", received_at=at("2026-12-14T10:00"), data=huge, contacts=CONTACTS
        )
    assert _counts(flow) == before
    assert case_state(flow, case_id).state == "referred"
    # Just under the limit is accepted.
    flow.fire(case_id, "close", {"reason": "x" * 60_000}, actor=Actor(TM, "team_manager"))
    assert case_state(flow, case_id).state == "closed"


def test_the_event_data_limit_is_a_setting(
    make_app: AppFactory, new_referral: Callable[..., int]
) -> None:
    flow = make_app(max_event_data_bytes=2048)
    case_id = new_referral(flow)
    with pytest.raises(InputError, match="the limit is 2,048 bytes"):
        flow.fire(case_id, "close", {"reason": "x" * 3000}, actor=Actor(TM, "team_manager"))


def test_a_case_note_over_20000_characters_is_refused_naming_the_limit(
    make_app: AppFactory, new_referral: Callable[..., int]
) -> None:
    flow = make_app()
    case_id = new_referral(flow)
    before = _counts(flow)
    with pytest.raises(InputError) as refused:
        flow.add_note(case_id, text="x" * 20_001, actor=Actor(TM, "team_manager"))
    assert str(refused.value) == (
        "text: a case note is at most 20,000 characters; this one has 20,001"
    )
    assert _counts(flow) == before
    flow.add_note(case_id, text="x" * 20_000, actor=Actor(TM, "team_manager"))
    assert _counts(flow)["audit_events"] == before["audit_events"] + 1
