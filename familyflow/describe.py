"""Plain data (and text) about processes and cases, for the CLI and the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from engine import store
from engine.clock import local
from engine.errors import UnknownProcess
from engine.history import timeline
from engine.service import FamilyFlow
from engine.store import CaseRow
from familyflow.bootstrap import configure_processes
from familyflow.settings import Settings
from workflows.spec import ANY_STATE, Process


def processes(settings: Settings) -> list[dict[str, Any]]:
    return [
        {"name": p.name, "title": p.title, "source": p.source, "states": list(p.states)}
        for p in configure_processes(settings).values()
    ]


def mermaid(process: Process) -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {process.initial}"]
    for t in process.transitions:
        sources = (
            [s for s in process.states if s not in process.final_states]
            if ANY_STATE in t.source
            else t.source
        )
        for source in sources:
            lines.append(f"    {source} --> {t.dest or source}: {t.trigger} ({t.rule})")
    lines += [f"    {state} --> [*]" for state in sorted(process.final_states)]
    return "\n".join(lines)


def process(settings: Settings, name: str) -> dict[str, Any]:
    found = configure_processes(settings)
    if name not in found:
        raise UnknownProcess(key=name, known=", ".join(found))
    p = found[name]
    return {
        "name": p.name,
        "title": p.title,
        "source": p.source,
        "initial": p.initial,
        "states": list(p.states),
        "final_states": sorted(p.final_states),
        "triggers": [
            {
                "trigger": t.trigger,
                "from": list(t.source),
                "to": t.dest,
                "roles": sorted(t.roles),
                "rule": t.rule,
                "description": t.description,
            }
            for t in p.transitions
        ],
        "timescales": [
            {
                "key": t.key,
                "rule": t.rule,
                "description": t.description,
                "within": t.within.describe(),
                "starts_on": list(t.starts_on),
                "met_by": list(t.met_by),
                "remind_before": t.remind_before.describe() if t.remind_before else None,
            }
            for t in p.timescales
        ],
        "agendas": [
            {"key": a.key, "rules": list(a.rules), "when": f"{a.day_of_week} {a.time}"}
            for a in p.agendas
        ],
        "rules": dict(p.rules),
        "mermaid": mermaid(p),
    }


def process_text(found: dict[str, Any]) -> str:
    lines = [
        f"{found['title']} ({found['name']}), from {found['source']}",
        f"states: {', '.join(found['states'])}",
        "",
        "triggers:",
    ]
    lines += [
        f"  {t['trigger']:<22} {'/'.join(t['from'])} -> {t['to'] or '(stays)'}"
        f"  roles: {', '.join(t['roles'])}  [{t['rule']}]"
        for t in found["triggers"]
    ]
    lines += ["", "timescales:"]
    lines += [
        f"  {t['key']:<14} within {t['within']}: {t['description']}" for t in found["timescales"]
    ]
    return "\n".join(lines)


def case(conn: Connection, flow: FamilyFlow, row: CaseRow) -> dict[str, Any]:
    definition = flow.services.processes[row.process]
    return {
        "id": row.id,
        "reference": f"{definition.code}-{row.id:06d}",
        "process": row.process,
        "state": row.state,
        "version": row.version,
        "team": row.team,
        "data": row.data,
        "received_at": local(row.received_at).isoformat(),
        "closed_at": local(row.closed_at).isoformat() if row.closed_at else None,
        "allowed_triggers": list(definition.allowed_triggers(row.state)),
        "contacts": [
            {k: c.get(k) for k in ("role", "name", "email", "mobile", "flagged")}
            for c in row.contacts
        ],
        "deadlines": [
            {
                "timescale": d["timescale"],
                "rule": d["rule"],
                "kind": d["kind"],
                "status": d["status"],
                "due_at": local(d["due_at"]).isoformat(),
            }
            for d in store.open_deadlines(conn, case_id=row.id)
        ],
        "links": [
            {
                "kind": link["kind"],
                "rule": link["rule"],
                "direction": "to" if link["from_case_id"] == row.id else "from",
                "case_id": link["to_case_id"]
                if link["from_case_id"] == row.id
                else link["from_case_id"],
            }
            for link in store.case_links(conn, case_id=row.id)
        ],
        "signs_of_safety": row.data.get("signs_of_safety", []),
        "history": timeline(conn, case_id=row.id),
    }


def case_text(found: dict[str, Any]) -> str:
    lines = [
        f"{found['reference']} ({found['process']}): {found['state']}  version {found['version']}",
        f"received {found['received_at']}",
        f"data: {found['data']}",
        "contacts:",
    ]
    lines += [
        f"  {c['role']}: {c['name']} {c['email'] or ''} {c['mobile'] or ''}".rstrip()
        for c in found["contacts"]
    ]
    lines.append("open deadlines:")
    lines += [
        f"  {d['due_at']}  {d['rule']} {d['timescale']} ({d['kind']}, {d['status']})"
        for d in found["deadlines"]
    ] or ["  none"]
    lines += [
        f"linked {link['direction']} case {link['case_id']} ({link['kind']})"
        for link in found["links"]
    ]
    for entry in found["signs_of_safety"]:
        scales = ", ".join(f"{s['judge']} {s['score']}/10" for s in entry["scales"])
        lines.append(f"signs of safety {entry['at']}: {scales}")
    lines.append(f"allowed now: {', '.join(found['allowed_triggers']) or 'nothing'}")
    lines.append("history:")
    lines.append(timeline_text({"timeline": found["history"]}))
    return "\n".join(lines)


def timeline_text(result: dict[str, Any]) -> str:
    lines = []
    for e in result["timeline"]:
        what = {
            "transition": lambda e: f"{e.get('trigger')}: {e.get('from', '-')} -> {e.get('to')}",
            "deadline_set": lambda e: f"deadline set, due {e.get('due_at')}",
            "deadline_met": lambda e: f"deadline met ({e.get('reason')})",
            "deadline_missed": lambda e: f"deadline missed: {e.get('reason')}",
            "message": lambda e: (
                f"{e.get('channel')} to {e.get('to_address')}: "
                f"{e.get('subject') or e.get('body', '')[:60]}"
                f" (sent {e.get('sent_at')})"
            ),
        }.get(e["kind"], lambda e: f"{e['kind']}: {e.get('reason')}")(e)
        lines.append(f"  {e['at']}  [{e.get('rule') or '-'}] {what}")
    if "final_state" in result:
        lines.append(f"final state: {result['final_state']}")
    return "\n".join(lines)
