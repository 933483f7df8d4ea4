"""Several writers and several runners on one database.

People edit the same case at the same time, and more than one FamilyFlow
instance may run against one database (a second server, a `run-due` started by
hand). Each change must apply once and each due deadline must fire once.

The PostgreSQL-only tests are defined only when FAMILYFLOW_TEST_POSTGRES_URL is
set, so they are not collected without it; when it is set and the server cannot
be reached, the `postgres_database` fixture fails the run (it never skips).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest

from engine import store
from engine.cases import AS_NAMED, Actor, CaseWork
from engine.errors import ConflictError
from engine.service import FamilyFlow
from tests.conftest import POSTGRES_URL, AppFactory
from tests.support.database import audit, confirmed_referrals, deadline_statuses
from tests.support.journeys import CONTACTS, at, case_state, outbox_rows

T = TypeVar("T")
MANAGER = Actor(CONTACTS["team_manager"]["email"], AS_NAMED)
CONFIRMED = "2026-12-16T11:00"  # PAR-04's chase is due at the end of 23 December
CHASED = "2026-12-24T09:00"  # after the chase, before the close (end of 30 December)

# Both instances' clocks start when the referral arrives: an event before it is refused.
REFERRED = "2026-12-14T10:00"


def in_parallel(*jobs: Callable[[], T]) -> list[T]:
    """Run the jobs in threads released together; re-raise anything they raise."""
    start = threading.Barrier(len(jobs))

    def released(job: Callable[[], T]) -> T:
        start.wait(timeout=30)
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(released, job) for job in jobs]
        return [future.result(timeout=300) for future in futures]


def transitions(flow: FamilyFlow, case_id: int, trigger: str) -> list[dict[str, object]]:
    return audit(
        flow,
        store.audit.c.case_id == case_id,
        store.audit.c.kind == "transition",
        store.audit.c.trigger == trigger,
    )


def test_two_people_acting_on_the_same_version_the_second_is_told_to_reload(
    make_app: AppFactory, new_referral: Callable[..., int]
) -> None:
    """Two team managers open the same referral (version N) in two instances and both
    confirm receipt (PAR-02) with expected_version=N: one succeeds, the other gets a
    conflict, and the case moves, emails the social worker and records it once."""
    first, second = make_app(start=REFERRED), make_app(start=REFERRED)
    case_id = new_referral(first)
    version = case_state(first, case_id).version
    assert case_state(second, case_id).version == version

    first.fire(case_id, "request_confirmation", actor=MANAGER, expected_version=version)
    with pytest.raises(ConflictError, match=f"case {case_id} was changed by someone else"):
        second.fire(case_id, "request_confirmation", actor=MANAGER, expected_version=version)

    case = case_state(second, case_id)
    assert (case.state, case.version) == ("awaiting_confirmation", version + 1)
    assert len(transitions(second, case_id, "request_confirmation")) == 1
    assert len(outbox_rows(second, case_id=case_id, template="parenting/confirmation_request")) == 1


def test_two_people_acting_on_the_same_version_at_the_same_moment_apply_once(
    make_app: AppFactory, new_referral: Callable[..., int]
) -> None:
    """The same, with both requests arriving together on two threads and two
    connection pools: exactly one applies and the other is a conflict."""
    first, second = make_app(start=REFERRED), make_app(start=REFERRED)
    case_id = new_referral(first)
    version = case_state(first, case_id).version

    def confirm(flow: FamilyFlow) -> Callable[[], str]:
        def attempt() -> str:
            try:
                flow.fire(case_id, "request_confirmation", actor=MANAGER, expected_version=version)
            except ConflictError:
                return "conflict"
            return "applied"

        return attempt

    outcomes = in_parallel(confirm(first), confirm(second))

    assert sorted(outcomes) == ["applied", "conflict"]
    assert case_state(first, case_id).version == version + 1
    assert len(transitions(first, case_id, "request_confirmation")) == 1
    assert len(outbox_rows(first, case_id=case_id, template="parenting/confirmation_request")) == 1


def test_two_instances_on_one_database_fire_each_par_04_chase_once(
    make_app: AppFactory,
) -> None:
    """PAR-04: two instances run the deadline firer at the same moment over 200 due
    chases with small batches; every chase fires once and is emailed once."""
    seed = make_app(start=CONFIRMED)
    confirmed_referrals(seed, 200, at=at(CONFIRMED))
    runners = [make_app(start=CHASED, batch_size=20) for _ in range(2)]

    fired = in_parallel(*(runner.fire_due for runner in runners))

    assert sum(fired) == 200
    assert_each_chase_fired_once(runners[0], 200)


def assert_each_chase_fired_once(flow: FamilyFlow, count: int) -> None:
    assert deadline_statuses(flow, "PAR-04-chase") == Counter({"fired": count})
    assert deadline_statuses(flow, "PAR-04-close") == Counter({"open": count})
    missed = audit(flow, store.audit.c.kind == "deadline_missed")
    assert len(missed) == count
    assert len({m["detail"]["deadline_id"] for m in missed}) == count
    chases = outbox_rows(flow, template="parenting/chase_session_choice")
    assert len(chases) == count
    assert len({c["case_id"] for c in chases}) == count
    assert {(c["to_address"], c["rule"]) for c in chases} == {
        (CONTACTS["social_worker"]["email"], "PAR-04")
    }


if POSTGRES_URL:
    # Pins conftest's database_url to its PostgreSQL parameter for one test.
    on_postgres = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

    @pytest.mark.postgres
    @on_postgres
    def test_on_postgresql_a_writer_that_read_before_another_committed_gets_a_conflict(
        make_app: AppFactory, new_referral: Callable[..., int]
    ) -> None:
        """Read committed lets two transactions read version N; the version check in
        the UPDATE refuses the one that writes second, and nothing of it is kept."""
        first, second = make_app(start=REFERRED), make_app(start=REFERRED)
        case_id = new_referral(first)
        version = case_state(first, case_id).version

        with first.db.connect() as slow_conn, second.db.connect() as quick_conn:
            slow_tx = slow_conn.begin()
            slow = CaseWork(conn=slow_conn, services=first.services, now=first.clock.now())
            assert slow.case(case_id).version == version  # read, not yet written

            with quick_conn.begin():
                quick = CaseWork(conn=quick_conn, services=second.services, now=second.clock.now())
                quick.fire(
                    case_id, "request_confirmation", {}, actor=MANAGER, expected_version=version
                )
                quick.flush()

            with pytest.raises(ConflictError):
                slow.fire(
                    case_id, "request_confirmation", {}, actor=MANAGER, expected_version=version
                )
            slow_tx.rollback()

        assert case_state(first, case_id).version == version + 1
        assert len(transitions(first, case_id, "request_confirmation")) == 1

    @pytest.mark.postgres
    @on_postgres
    def test_on_postgresql_two_runners_over_1000_due_deadlines_fire_each_exactly_once(
        make_app: AppFactory,
    ) -> None:
        """The no-duplicate guarantee: two instances, each with its own engine, in two
        threads, claim batches of 50 with FOR UPDATE SKIP LOCKED over 1,000 due PAR-04
        chases. Exactly 1,000 fire, with 1,000 deadline_missed records and 1,000
        chase emails, one per referral."""
        seed = make_app(start=CONFIRMED)
        confirmed_referrals(seed, 1000, at=at(CONFIRMED))
        runners = [make_app(start=CHASED, batch_size=50) for _ in range(2)]

        fired = in_parallel(*(runner.fire_due for runner in runners))

        assert sum(fired) == 1000
        assert_each_chase_fired_once(runners[0], 1000)
