"""Migration 0005_indexes: contacts by lower-case email and each case's unmet due
deadlines are indexed, and the searches that lean on them answer as they did:
a person found whatever the capitals of their email, the listing's total and
overdue flags right on every page."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from engine import store
from engine.cases import Actor
from engine.db import alembic_config, create_engine, upgrade
from familyflow.db import read_models
from familyflow.db.tables import deadlines
from tests.support.journeys import CONTACTS, at

SIAN = {"name": "Siân Jones", "email": "Sian.Jones@Example.org"}  # typed with capitals
TM = Actor(CONTACTS["team_manager"]["email"], "team_manager")
SW = Actor(CONTACTS["social_worker"]["email"], "social_worker")


def indexes(engine: sa.Engine) -> dict[str, str]:
    """Index name -> its definition, from the database's own catalogue (SQLAlchemy's
    reflection skips expression indexes)."""
    query = (
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
        if engine.dialect.name == "postgresql"
        else "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    )
    with engine.connect() as conn:
        return {name: " ".join(sql.lower().split()) for name, sql in conn.exec_driver_sql(query)}


def test_the_migration_creates_the_email_and_unmet_deadline_indexes_and_its_downgrade_drops_them(
    database_url,
):
    engine = create_engine(database_url)
    upgrade(engine)
    found = indexes(engine)
    assert "lower(" in found["ix_contacts_email_lower"]
    assert "where" in found["ix_deadlines_unmet_due"]  # partial: unmet due deadlines only
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0004_outbox")
    assert not {"ix_contacts_email_lower", "ix_deadlines_unmet_due"} & set(indexes(engine))
    upgrade(engine)
    assert {"ix_contacts_email_lower", "ix_deadlines_unmet_due"} <= set(indexes(engine))
    engine.dispose()


def test_a_social_worker_whose_email_was_typed_with_capitals_is_counted_and_sees_their_cases(
    make_app, new_referral
):
    flow = make_app()
    sians = [
        new_referral(flow, "2026-12-14T10:00", {**CONTACTS, "social_worker": SIAN}),
        new_referral(flow, "2026-12-14T11:00", {**CONTACTS, "social_worker": SIAN}),
    ]
    new_referral(flow, "2026-12-14T12:00")  # Sam Jones's
    with flow.db.begin() as conn:
        assert (
            store.open_caseload(conn, email="SIAN.JONES@example.ORG", roles=["social_worker"]) == 2
        )
        assert store.open_caseload(conn, email="sian.jones@example.org", roles=["parent"]) == 0
        rows, total = read_models.search_cases(
            conn, now=flow.clock.now(), teams=["Nobody's team"], email="sian.jones@EXAMPLE.org"
        )
        assert (total, [r["id"] for r in rows]) == (2, sians[::-1])
        rows, total = read_models.search_cases(
            conn, now=flow.clock.now(), teams=None, email=None, worker="SIAN.jones@example.org"
        )
        assert (total, [r["id"] for r in rows]) == (2, sians[::-1])


def test_the_listing_gives_the_total_and_the_overdue_flags_on_every_page_each_late_case_once(
    make_app, new_referral
):
    flow = make_app()
    ids = [new_referral(flow, f"2026-12-14T{10 + n}:00") for n in range(5)]
    late = ids[1], ids[3]
    for case_id in late:  # sessions to be chosen within a week (PAR-04), and never chosen
        flow.fire(case_id, "request_confirmation", {}, actor=TM)
        flow.fire(case_id, "confirm_attendance", {}, actor=SW)
    flow.advance(at("2026-12-23T00:00"))  # PAR-04's chase fell due at the end of 21 December

    def page(**filters):
        with flow.db.connect() as conn:
            rows, total = read_models.search_cases(
                conn, now=flow.clock.now(), teams=None, email=None, **filters
            )
        return total, [(r["id"], r["overdue"]) for r in rows]

    newest_first = [(i, i in late) for i in reversed(ids)]
    assert page(limit=2) == (5, newest_first[:2])
    assert page(limit=2, offset=2) == (5, newest_first[2:4])
    assert page(limit=2, offset=4) == (5, newest_first[4:])
    assert page(limit=2, offset=6) == (5, [])  # past the end: still the total
    assert page(overdue=True, limit=1) == (2, [(ids[3], True)])
    assert page(overdue=True, limit=1, offset=1) == (2, [(ids[1], True)])
    assert page(overdue=True, limit=1, offset=2) == (2, [])  # past the end: still the total
    assert page(overdue=False, limit=10) == (
        3,
        [(i, False) for i in reversed(ids) if i not in late],
    )
    assert page(state="nowhere", limit=10) == (0, [])
    with flow.db.connect() as conn:
        rows, _ = read_models.search_cases(conn, now=flow.clock.now(), teams=None, email=None)
    # PAR-04's close (a week after the chase) is the next due deadline of the late two
    assert {r["id"]: r["next_due_at"] is not None for r in rows} == {i: i in late for i in ids}
    # Asked as of 29 December, before the engine has moved: each late case then has
    # two timescales past due (the fired chase and the week after it), and counts once.
    later = at("2026-12-29T00:00")
    with flow.db.connect() as conn:
        past_due = conn.execute(
            sa.select(deadlines.c.case_id).where(read_models._open_due(later))
        ).all()
        rows, total = read_models.search_cases(
            conn, now=later, teams=None, email=None, overdue=True
        )
    assert sorted(past_due) == [(ids[1],), (ids[1],), (ids[3],), (ids[3],)]
    assert (total, [r["id"] for r in rows]) == (2, [ids[3], ids[1]])


def test_a_team_managers_listing_pages_their_teams_cases_and_those_naming_them_each_once(
    make_app,
):
    """The listing for someone with a team gathers two halves (the team's cases, and
    cases elsewhere naming them) and must count and page them as one list: newest
    first, a case named twice listed once, the total right on every page."""
    flow = make_app()
    zoe = {"name": "Zoë O\u2019Brien", "email": "Zoe.OBrien@Example.org"}
    made: dict[str, list[int]] = {"north": [], "named": [], "other": []}
    for n in range(9):
        kind = ("north", "named", "other")[n % 3]
        contacts = dict(CONTACTS)
        if kind == "named":  # another team's case, Zoë its manager and (once) its worker too
            contacts["team_manager"] = zoe
            if n == 1:
                contacts["social_worker"] = {**zoe, "email": "zoe.obrien@example.ORG"}
        team = "north" if kind == "north" else "south"
        flow.clock.advance_to(at(f"2026-12-14T{9 + n:02d}:00"))
        made[kind].append(
            flow.create_case(
                process="parenting",
                received_at=at(f"2026-12-14T{9 + n:02d}:00"),
                data={},
                contacts=contacts,
                team=team,
            )
        )
    visible = sorted(made["north"] + made["named"], reverse=True)

    def page(**filters):
        with flow.db.connect() as conn:
            rows, total = read_models.search_cases(
                conn,
                now=flow.clock.now(),
                teams=["north"],
                email="zoe.obrien@example.org",
                **filters,
            )
        return total, [r["id"] for r in rows]

    assert page(limit=4) == (6, visible[:4])
    assert page(limit=4, offset=4) == (6, visible[4:])
    assert page(limit=4, offset=8) == (6, [])  # past the end: still the total
    assert page(team="south", limit=10) == (3, sorted(made["named"], reverse=True))
    assert page(overdue=True, limit=10) == (0, [])
    with flow.db.connect() as conn:  # no team: only the cases naming them
        rows, total = read_models.search_cases(
            conn, now=flow.clock.now(), teams=[], email="ZOE.OBRIEN@example.org", limit=2
        )
    assert (total, [r["id"] for r in rows]) == (3, sorted(made["named"], reverse=True)[:2])


def test_the_listing_migration_makes_contacts_and_unmet_deadlines_readable_from_their_indexes(
    database_url,
):
    """0008_listing: the email under ix_contacts_email_lower, and the case and status
    in ix_deadlines_unmet_in_due_order, so the listing reads them without the table;
    its downgrade gives back the indexes as they were."""
    engine = create_engine(database_url)
    upgrade(engine)
    found = indexes(engine)
    assert "case_id, email)" in found["ix_contacts_email_lower"]
    assert "due_at, id, case_id, status)" in found["ix_deadlines_unmet_in_due_order"]
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0007_reports")
    found = indexes(engine)
    assert found["ix_contacts_email_lower"].endswith("case_id)")
    assert "(due_at, id)" in found["ix_deadlines_unmet_in_due_order"]
    upgrade(engine)
    engine.dispose()


def test_the_reports_migration_indexes_open_cases_by_receipt_and_on_sqlite_resolved_deadlines(
    database_url,
):
    """0007_reports: the long-open cases come from an index of open cases by when they
    were received; SQLite's timeliness reads a covering index that PostgreSQL, which
    scans the table faster, is spared (it would cost every deadline fired or met)."""
    engine = create_engine(database_url)
    upgrade(engine)
    found = indexes(engine)
    assert "where" in found["ix_cases_open_by_received"]
    on_sqlite = engine.dialect.name == "sqlite"
    assert ("ix_deadlines_resolved_for_reports" in found) is on_sqlite
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0006_undo")
    assert not {"ix_cases_open_by_received", "ix_deadlines_resolved_for_reports"} & set(
        indexes(engine)
    )
    upgrade(engine)
    assert "ix_cases_open_by_received" in indexes(engine)
    engine.dispose()
