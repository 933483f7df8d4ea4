"""The `familyflow` command. Errors become one line on stderr and an exit code here."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from engine.clock import SimulatedClock, local, parse_instant
from engine.errors import FamilyFlowError, InputError
from engine.service import FamilyFlow
from familyflow import describe
from familyflow.bootstrap import bootstrap, configure_logging
from familyflow.services import Principal, cases, cli_principal, reads, tokens, users
from familyflow.settings import Settings

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help=__doc__, pretty_exceptions_enable=False
)
case_app = typer.Typer(no_args_is_help=True, help="Create, move and read cases.")
process_app = typer.Typer(no_args_is_help=True, help="Process definitions.")
db_app = typer.Typer(no_args_is_help=True, help="The database.")
user_app = typer.Typer(no_args_is_help=True, help="People who sign in, and their roles.")
token_app = typer.Typer(no_args_is_help=True, help="API bearer tokens for integrations.")
app.add_typer(case_app, name="case")
app.add_typer(process_app, name="process")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


class State:
    db_url: str | None = None


def settings() -> Settings:
    try:
        return Settings(database_url=State.db_url) if State.db_url else Settings()
    except Exception as error:  # pydantic's ValidationError names the variable
        raise InputError(field="settings", reason=str(error).replace("\n", " ")) from None


def service(**kwargs: Any) -> FamilyFlow:
    config = settings()
    configure_logging(config)
    return bootstrap(config, **kwargs)


def emit(data: Any, *, as_json: bool, text: str) -> None:
    typer.echo(json.dumps(data, indent=2, default=str) if as_json else text)


def parse_sets(pairs: list[str]) -> dict[str, Any]:
    """--set k=v; v is JSON when it parses as JSON; dotted keys nest."""
    data: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise InputError(field="--set", reason=f"{pair!r} is not key=value")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        *parents, last = key.split(".")
        target = data
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    return data


def parse_contacts(pairs: list[str]) -> dict[str, dict[str, Any]]:
    """--contact role=Name,email,mobile (email or mobile may be empty)."""
    contacts = {}
    for pair in pairs:
        role, sep, rest = pair.partition("=")
        parts = [p.strip() for p in rest.split(",")]
        if not sep or not parts[0] or len(parts) > 3:
            raise InputError(field="--contact", reason=f"{pair!r} is not role=Name,email,mobile")
        parts += [""] * (3 - len(parts))
        contacts[role] = {"name": parts[0], "email": parts[1] or None, "mobile": parts[2] or None}
    return contacts


def principal(flow: FamilyFlow, by: str | None) -> Principal:
    """`--by EMAIL` acts with that account's role; an email with no account is refused."""
    return cli_principal(flow, by)


@app.callback()
def main_options(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL (default: FAMILYFLOW_DATABASE_URL or sqlite:///familyflow.db)",
        ),
    ] = None,
) -> None:
    """FamilyFlow: children's-services procedures as state machines with timescales."""
    State.db_url = db


@app.command()
def processes(as_json: JsonOpt = False) -> None:
    """List the processes."""
    found = describe.processes(settings())
    emit(
        found,
        as_json=as_json,
        text="\n".join(f"{p['name']:<24} {p['title']} ({p['source']})" for p in found),
    )


@process_app.command("show")
def process_show(
    name: str,
    diagram: Annotated[bool, typer.Option("--diagram", help="Print a Mermaid diagram.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """A process's states, triggers, roles and timescales with rule IDs."""
    found = describe.process(settings(), name)
    if diagram:
        emit({"name": name, "mermaid": found["mermaid"]}, as_json=as_json, text=found["mermaid"])
        return
    emit(found, as_json=as_json, text=describe.process_text(found))


@case_app.command("create")
def case_create(
    process: str,
    received_at: Annotated[str, typer.Option("--received-at", help="When it was received.")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="k=v data")] = None,
    contact: Annotated[
        list[str] | None, typer.Option("--contact", help="role=Name,email,mobile")
    ] = None,
    team: Annotated[str | None, typer.Option("--team")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who (email).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a referral; prints the new case's id."""
    flow = service()
    case_id = cases.create_case(
        flow,
        principal=principal(flow, by),
        process=process,
        received_at=parse_instant(received_at, field="--received-at"),
        data=parse_sets(set_ or []),
        contacts=parse_contacts(contact or []),
        team=team,
    )
    emit({"case_id": case_id}, as_json=as_json, text=str(case_id))


@case_app.command("event")
def case_event(
    case: int,
    trigger: str,
    at: Annotated[str | None, typer.Option("--at", help="When it happened.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who (email).")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="k=v data")] = None,
    version: Annotated[
        int | None, typer.Option("--version", help="Refuse if the case moved on.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fire a trigger on a case."""
    flow = service()
    moved = cases.fire(
        flow,
        principal=principal(flow, by),
        case_id=case,
        trigger=trigger,
        data=parse_sets(set_ or []),
        at=parse_instant(at, field="--at") if at else None,
        expected_version=version,
    )
    emit(
        {"case_id": case, "state": moved.state, "version": moved.version},
        as_json=as_json,
        text=f"case {case}: {moved.state} (version {moved.version})",
    )


@case_app.command("note")
def case_note(
    case: int,
    text: str,
    kind: Annotated[
        str, typer.Option("--kind", help="e.g. manager_oversight, session")
    ] = "general",
    at: Annotated[str | None, typer.Option("--at")] = None,
    by: Annotated[str | None, typer.Option("--by")] = None,
) -> None:
    """Add a case note; some kinds meet a required-note timescale."""
    flow = service()
    cases.add_note(
        flow,
        principal=principal(flow, by),
        case_id=case,
        text=text,
        kind=kind,
        at=parse_instant(at, field="--at") if at else None,
    )
    typer.echo(f"case {case}: note added")


@case_app.command("show")
def case_show(
    case: int,
    by: Annotated[str | None, typer.Option("--by", help="Who reads it (email).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """State, data, contacts, open deadlines, history and messages."""
    flow = service()
    found = cases.read_case(flow, principal=principal(flow, by), case_id=case).detail
    found.pop("messages", None)
    emit(found, as_json=as_json, text=describe.case_text(found))


@case_app.command("contact")
def case_contact(
    case: int,
    role: str,
    contact: Annotated[
        str | None,
        typer.Argument(help="Name,email,mobile (email or mobile may be empty); none removes"),
    ] = None,
    at: Annotated[str | None, typer.Option("--at")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who (email).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change who holds a contact role on a case (business support, team managers,
    admins); audited with before and after."""
    flow = service()
    person = parse_contacts([f"{role}={contact}"])[role] if contact else None
    moved = cases.change_contact(
        flow,
        principal=principal(flow, by),
        case_id=case,
        role=role,
        contact=person,
        at=parse_instant(at, field="--at") if at else None,
    )
    emit(
        {"case_id": case, "role": role, "version": moved.version},
        as_json=as_json,
        text=f"case {case}: {role} changed (version {moved.version})",
    )


@app.command("run-due")
def run_due(
    until: Annotated[str | None, typer.Option("--until", help="Up to this instant.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fire everything due up to an instant, as the scheduler would, then deliver."""
    from engine.clock import now

    config = settings()
    configure_logging(config)
    limit = parse_instant(until, field="--until") if until else now()
    if limit <= now():
        # Catching up: records carry the real time they were made, and the
        # deadlines' own due instants.
        flow = bootstrap(config)
        flow.fire_due(up_to=limit)
        flow.run_agendas(up_to=limit)
        flow.outbox.deliver_due()
    else:
        # A rehearsal of the future: time is simulated up to --until.
        flow = bootstrap(config, clock=SimulatedClock(now()))
        flow.advance(limit)
    emit(
        {"until": local(limit).isoformat()},
        as_json=as_json,
        text=f"ran everything due up to {local(limit).isoformat()}",
    )


@app.command()
def simulate(scenario: Path, as_json: JsonOpt = False) -> None:
    """Run a scenario in a throwaway database with simulated time."""
    from familyflow import simulate as sim

    config = settings()
    if as_json:
        config = config.model_copy(update={"log_json": True})
    configure_logging(config)
    from familyflow import population

    if population.is_population(scenario):  # a county's what-if (issue 11)
        summary = population.run(scenario, settings=config)
        emit(summary, as_json=as_json, text=population.text(summary))
        return
    result = sim.run(sim.load(scenario), settings=config)
    emit(result, as_json=as_json, text=sim.timeline_text(result))


@app.command()
def demo() -> None:
    """Load sample cases of every process at their stages (once)."""
    from familyflow.demo import load_demo

    flow = service()
    ids = load_demo(flow)
    typer.echo(f"loaded {len(ids)} demo cases: {', '.join(map(str, ids))}")


@app.command()
def serve(
    port: Annotated[
        int | None, typer.Option("--port", help="Default: FAMILYFLOW_PORT or 8000.")
    ] = None,
    host: Annotated[
        str | None, typer.Option("--host", help="Default: FAMILYFLOW_HOST or 127.0.0.1.")
    ] = None,
) -> None:
    """Run the service: the web API (and pages) and, in the same process, the scheduler
    that fires deadlines, agendas and the outbox."""
    import uvicorn

    from engine.scheduler import build_scheduler
    from familyflow.api import create_app
    from familyflow.demo import demo_users

    config = settings()
    configure_logging(config)
    port = port if port is not None else config.port
    host = host or config.host
    flow = bootstrap(config)
    web = create_app(flow=flow, settings=config)
    scheduler = build_scheduler(
        flow,
        tick_seconds=config.tick_seconds,
        outbox_seconds=config.outbox_seconds,
        blocking=False,
        replies_seconds=config.replies_seconds,
        observe=web.state.metrics.observe_job,
    )
    web.state.scheduler = scheduler  # /readyz reports whether it runs
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    lines = [
        f"FamilyFlow is running at http://{shown}:{port}/ (API docs: "
        f"http://{shown}:{port}/api/docs)"
    ]
    users = demo_users(flow)
    if users:
        lines.append("demo users (email / password / role):")
        lines += [f"  {u['email']:<24} {u['password']:<22} {u['role']}" for u in users]
    typer.echo("\n".join(lines))
    scheduler.start()
    try:
        # log_config=None: uvicorn logs through the root handler configure_logging set up.
        uvicorn.run(
            web, host=host, port=port, access_log=False, log_level="warning", log_config=None
        )
    finally:
        scheduler.shutdown(wait=False)


@app.command()
def rules(as_json: JsonOpt = False) -> None:
    """Every rule ID in RULES.md: automated, recorded or manual, and where."""
    from familyflow.bootstrap import configure_processes
    from familyflow.rules import coverage

    rows = coverage(configure_processes(settings()))
    emit(
        rows,
        as_json=as_json,
        text="\n".join(
            f"{r['id']:<10} {r['how']:<10} {r['process'] or '-':<24} {r['what']}" for r in rows
        ),
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations."""
    service()
    typer.echo("database is up to date")


@db_app.command("grant-service-role")
def db_grant_service_role(name: Annotated[str, typer.Argument(help="the role to create")]) -> None:
    """PostgreSQL: create the service's role, which may only INSERT and SELECT the audit
    trail. Run as the owner, after `db upgrade`; the service then connects as NAME."""
    from engine.db import grant_service_role

    grant_service_role(service().db, role=name)
    typer.echo(f"role {name} may use the database; audit_events is insert and select only")


@app.command()
def history(case: Annotated[int | None, typer.Argument()] = None, as_json: JsonOpt = False) -> None:
    """The audit trail, in order."""
    flow = service()
    entries = reads.history(flow, principal=principal(flow, None), case_id=case)
    emit(entries, as_json=as_json, text=describe.timeline_text({"timeline": entries}))


@user_app.command("add")
def user_add(
    email: str,
    role: Annotated[
        str,
        typer.Option(
            "--role", help="business_support, worker, social_worker, team_manager or admin"
        ),
    ],
    team: Annotated[str | None, typer.Option("--team")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Default: from the email.")] = None,
    manager: Annotated[str | None, typer.Option("--manager", help="Their manager's email.")] = None,
    part_time: Annotated[
        bool, typer.Option("--part-time", help="Caseload limit 10, not 20.")
    ] = False,
    password: Annotated[
        str | None,
        typer.Option(
            "--password", help="Default: asked for on a terminal, otherwise made up and printed."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a user who can sign in with a password."""
    import secrets

    flow = service()
    made_up = None
    if password is None:
        if sys.stdin.isatty():
            password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        else:
            password = made_up = secrets.token_urlsafe(12)
    name = name or email.split("@")[0].replace(".", " ").replace("_", " ").title()
    user_id = users.add_user(
        flow,
        principal=principal(flow, None),
        email=email,
        name=name,
        role=role,
        team=team,
        password=password,
        part_time=part_time,
        manager_email=manager,
    )
    shown = {"id": user_id, "email": email, "role": role, "team": team}
    if made_up:
        shown["password"] = made_up
    emit(
        shown,
        as_json=as_json,
        text=f"user {user_id} added: {email} ({role})"
        + (f"; password {made_up}" if made_up else ""),
    )


@user_app.command("list")
def user_list(as_json: JsonOpt = False) -> None:
    """The users, their roles and teams."""
    flow = service()
    found = users.list_users(flow, principal=principal(flow, None))
    emit(
        found,
        as_json=as_json,
        text="\n".join(
            f"{u['id']:>4} {u['email']:<32} {u['role']:<18} {u['team'] or '-'}"
            f"{'' if u['active'] else '  (inactive)'}"
            for u in found
        ),
    )


@token_app.command("add")
def token_add(
    email: str,
    name: Annotated[str, typer.Option("--name", help="What will use it.")],
    as_json: JsonOpt = False,
) -> None:
    """A new API bearer token for a user; it is printed once and only its hash kept."""
    flow = service()
    token_id, raw = tokens.issue_token(
        flow, principal=principal(flow, None), email=email, name=name
    )
    emit(
        {"id": token_id, "token": raw},
        as_json=as_json,
        text=f"token {token_id} (shown once, keep it safe):\n{raw}",
    )


@token_app.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke an API token; it stops working at once."""
    flow = service()
    tokens.revoke_token(flow, principal=principal(flow, None), token_id=token_id)
    typer.echo(f"token {token_id} revoked")


def main() -> None:
    try:
        app()
    except FamilyFlowError as error:
        typer.echo(f"error: {error}", err=True)
        sys.exit(error.exit_code)
