"""Failed sign-ins slow down further tries, per account and per client address,
instead of locking an account (issue 7: anyone could lock anyone out).

- An address that keeps failing waits longer and longer, up to
  FAMILYFLOW_LOCKOUT_MINUTES: guessing from one place soon stops.
- An account that keeps failing, from anywhere, waits at most
  FAMILYFLOW_SIGN_IN_ACCOUNT_DELAY_SECONDS: guessing from many places is slowed,
  but nobody outside can keep the real owner out for longer than that.
- Unknown email addresses are counted exactly like real ones, so the answers
  never tell which accounts exist.

The counts live in the database (table `sign_in_throttle`, migration
0004_throttle), so every instance of the service shares them. Keys are stored as
SHA-256 digests: no email address or IP address is kept here.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from engine.db import is_postgres
from engine.models import UTCDateTime
from familyflow.settings import Settings

metadata = sa.MetaData()
sign_in_throttle = sa.Table(
    "sign_in_throttle",
    metadata,
    sa.Column("key", sa.String(), primary_key=True),
    sa.Column("failures", sa.Integer(), nullable=False),
    sa.Column("last_failure_at", UTCDateTime(), nullable=False),
)
FIRST_WAIT_SECONDS = 1  # then doubling with every further failure


@dataclass(frozen=True, kw_only=True)
class Policy:
    free_failures: int  # failures before any wait (FAMILYFLOW_LOCKOUT_ATTEMPTS)
    address_minutes: int  # the longest wait for an address; also how long failures count
    account_seconds: int  # the longest wait for an account: short, so no lock-out

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            free_failures=settings.lockout_attempts,
            address_minutes=settings.lockout_minutes,
            account_seconds=settings.sign_in_account_delay_seconds,
        )

    @property
    def memory(self) -> timedelta:
        return timedelta(minutes=self.address_minutes)

    def wait(self, *, failures: int, longest: int) -> int:
        """Seconds to wait after `failures` failures in a row, doubling up to `longest`."""
        over = failures - self.free_failures
        if over < 0:
            return 0
        return min(longest, FIRST_WAIT_SECONDS * 2 ** min(over, 30))


@dataclass(frozen=True, kw_only=True)
class Attempt:
    email: str
    address: str

    def keys(self, policy: Policy) -> dict[str, int]:
        """Each counted key and the longest wait it can impose."""
        return {
            _digest("account", self.email): policy.account_seconds,
            _digest("address", self.address): policy.address_minutes * 60,
        }


def _digest(kind: str, value: str) -> str:
    return kind + ":" + hashlib.sha256(value.strip().lower().encode()).hexdigest()


def seconds_to_wait(conn: Connection, attempt: Attempt, *, policy: Policy, now: datetime) -> int:
    """0 when this attempt may be checked now; otherwise the seconds until it may."""
    longest = attempt.keys(policy)
    rows = conn.execute(
        sa.select(sign_in_throttle).where(sign_in_throttle.c.key.in_(list(longest)))
    ).mappings()
    waits = [0]
    for row in rows:
        if now - row["last_failure_at"] > policy.memory:
            continue
        wait = policy.wait(failures=row["failures"], longest=longest[row["key"]])
        until = row["last_failure_at"] + timedelta(seconds=wait)
        waits.append(math.ceil((until - now).total_seconds()))
    return max(waits)


def record_failure(conn: Connection, attempt: Attempt, *, policy: Policy, now: datetime) -> int:
    """Count one failure against the account and the address; the seconds to wait now."""
    insert = (postgresql if is_postgres(conn) else sqlite).insert
    forgotten = sign_in_throttle.c.last_failure_at < now - policy.memory
    waits = [0]
    for key, longest in attempt.keys(policy).items():
        statement = (
            insert(sign_in_throttle)
            .values(key=key, failures=1, last_failure_at=now)
            .on_conflict_do_update(
                index_elements=[sign_in_throttle.c.key],
                set_={
                    "failures": sa.case((forgotten, 1), else_=sign_in_throttle.c.failures + 1),
                    "last_failure_at": now,
                },
            )
            .returning(sign_in_throttle.c.failures)
        )
        failures = int(conn.execute(statement).scalar_one())
        waits.append(policy.wait(failures=failures, longest=longest))
    return max(waits)


def record_success(conn: Connection, attempt: Attempt) -> None:
    """The owner got in: their account's count starts again (the address's does not,
    or a guesser with an account of their own could clear it)."""
    account = _digest("account", attempt.email)
    conn.execute(sa.delete(sign_in_throttle).where(sign_in_throttle.c.key == account))


def wait_text(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
