"""Parents' replies by text become case notes (PAR-12: "include response if one is
received").

A reply is matched by the sender's mobile (E.164) to the open cases on which that
number is a contact. One case: the reply is written there as a case note. None,
or several: it waits on business support's Replies page to be assigned.

Reading is idempotent: each text is stored once, by the provider's id (a second
reader, or a read repeated after a crash, inserts nothing and writes no note),
and the newest id read is kept as the inbox's cursor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import phonenumbers
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from engine import store
from engine.cases import Actor, CaseWork
from engine.errors import InvalidState, NotFound
from engine.models import InboxCursor
from engine.models import ReceivedText as ReceivedTextRow
from engine.ports import ReceivedText

received_texts = ReceivedTextRow.__table__  # type: ignore[attr-defined]
inbox_cursors = InboxCursor.__table__  # type: ignore[attr-defined]
CURSOR = "notify_received_texts"
NOTE_KIND = "parent_reply"
WAITING = ("unmatched", "ambiguous")


@dataclass
class ReadReport:
    received: int = 0
    noted: int = 0
    waiting: int = 0


def e164(number: str) -> str:
    """Notify gives 447700900123; contacts are stored as +447700900123."""
    digits = number.strip()
    try:
        parsed = phonenumbers.parse(digits if digits.startswith("+") else f"+{digits}", None)
    except phonenumbers.NumberParseException:
        return digits
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def cursor(conn: Connection) -> str | None:
    query = sa.select(inbox_cursors.c.last_id).where(inbox_cursors.c.name == CURSOR)
    return conn.execute(query).scalar()


def _set_cursor(conn: Connection, last_id: str, now: datetime) -> None:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(inbox_cursors).values(name=CURSOR, last_id=last_id, updated_at=now)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["name"], set_={"last_id": last_id, "updated_at": now}
        )
    )


def _contacts_with(conn: Connection, mobile: str) -> list[dict[str, Any]]:
    """The contacts with this mobile on open cases, one per case."""
    contacts, cases = store.contacts, store.cases
    query = (
        sa.select(contacts.c.case_id, contacts.c.role, contacts.c.name)
        .select_from(contacts.join(cases, cases.c.id == contacts.c.case_id))
        .where(contacts.c.mobile == mobile, cases.c.closed_at.is_(None))
        .order_by(contacts.c.case_id, contacts.c.id)
    )
    by_case: dict[int, dict[str, Any]] = {}
    for row in conn.execute(query).mappings():
        by_case.setdefault(row["case_id"], dict(row))
    return list(by_case.values())


def _insert(conn: Connection, row: dict[str, Any]) -> int | None:
    """The new row's id, or None when this text was stored already."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(received_texts)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["notify_id"])
        .returning(received_texts.c.id)
    )
    return conn.execute(statement).scalar()


def _note(
    work: CaseWork,
    *,
    case_id: int,
    text_id: int,
    content: str,
    received_at: datetime,
    sender: str,
    by: Actor,
) -> None:
    case = work.case(case_id)
    work.audit(
        case,
        kind="note",
        actor=by,
        at=received_at,
        rule="PAR-12" if case.process == "parenting" else None,
        reason=f"Reply by text from {sender}: {content}",
        detail={"note_kind": NOTE_KIND, "received_text_id": text_id},
    )


def record(work: CaseWork, texts: Sequence[ReceivedText]) -> ReadReport:
    """Store each new text, note it on its case when it matches one, move the cursor."""
    report = ReadReport()
    for text in texts:
        mobile = e164(text.user_number)
        matches = _contacts_with(work.conn, mobile)
        status = "noted" if len(matches) == 1 else "ambiguous" if matches else "unmatched"
        row_id = _insert(
            work.conn,
            {
                "notify_id": text.id,
                "user_number": mobile,
                "content": text.content,
                "received_at": text.created_at,
                "fetched_at": work.now,
                "status": status,
                "case_id": matches[0]["case_id"] if status == "noted" else None,
                "candidates": [m["case_id"] for m in matches],
            },
        )
        if row_id is None:
            continue  # read before: stored once, noted once
        report.received += 1
        if status == "noted":
            match = matches[0]
            _note(
                work,
                case_id=match["case_id"],
                text_id=row_id,
                content=text.content,
                received_at=min(text.created_at, work.now),
                sender=f"{match['name']} ({match['role'].replace('_', ' ')})",
                by=Actor(),
            )
            report.noted += 1
        else:
            report.waiting += 1
    if texts:
        _set_cursor(work.conn, texts[-1].id, work.now)
    return report


def assign(work: CaseWork, *, text_id: int, case_id: int, actor: Actor) -> None:
    """Business support puts a reply that matched no case (or several) on its case."""
    row = (
        work.conn.execute(sa.select(received_texts).where(received_texts.c.id == text_id))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(what="reply", key=text_id)
    if row["status"] not in WAITING:
        raise InvalidState(
            what=f"reply {text_id}", state=row["status"], reason="it is already on a case"
        )
    work.case(case_id)  # NotFound for a case that does not exist
    changed = work.conn.execute(
        sa.update(received_texts)
        .where(received_texts.c.id == text_id, received_texts.c.status.in_(WAITING))
        .values(status="assigned", case_id=case_id, assigned_by=actor.email, assigned_at=work.now)
    ).rowcount
    if changed != 1:  # someone else assigned it a moment ago
        raise InvalidState(
            what=f"reply {text_id}", state="assigned", reason="it is already on a case"
        )
    _note(
        work,
        case_id=case_id,
        text_id=text_id,
        content=row["content"],
        received_at=row["received_at"],
        sender=row["user_number"],
        by=actor,
    )


def waiting(conn: Connection, *, limit: int = 200) -> list[dict[str, Any]]:
    """Replies no single case claimed, oldest first: business support assigns them."""
    query = (
        sa.select(received_texts)
        .where(received_texts.c.status.in_(WAITING))
        .order_by(received_texts.c.received_at, received_texts.c.id)
        .limit(limit)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def recent(conn: Connection, *, email: str | None, since: datetime) -> list[dict[str, Any]]:
    """Replies on cases where `email` is a contact (every case if None), newest first."""
    query = sa.select(received_texts).where(
        received_texts.c.status.in_(("noted", "assigned")),
        received_texts.c.received_at >= since,
    )
    if email is not None:
        mine = sa.select(store.contacts.c.case_id).where(
            sa.func.lower(store.contacts.c.email) == email.lower()
        )
        query = query.where(received_texts.c.case_id.in_(mine))
    query = query.order_by(received_texts.c.received_at.desc(), received_texts.c.id.desc())
    return [dict(row) for row in conn.execute(query.limit(50)).mappings()]
