"""The README's section per process, generated from the definitions so it cannot drift.

`python -m familyflow.process_docs` rewrites the part of README.md between the markers;
a test fails when the README is out of date.
"""

from __future__ import annotations

from pathlib import Path

from familyflow.describe import mermaid
from workflows import all_processes
from workflows.spec import Link, Process

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- processes:start -->", "<!-- processes:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def section(process: Process) -> str:
    lines = [
        f"### {process.title} (`{process.name}`)",
        "",
        f"Source: {process.source}. Case references look like `{process.code}-000123`.",
        "",
    ]
    if process.timescales:
        lines += [
            "Timescales it keeps (each configurable by its key):",
            "",
            "| Key | Rule | Within | What |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| `{t.key}` | {t.rule} | {t.within.describe()} | {_cell(t.description)} |"
            for t in process.timescales
        ]
        lines.append("")
    for agenda in process.agendas:
        who = "its mailing list" if agenda.mailing_list else f"each case's {agenda.to}"
        day = agenda.day_of_week if agenda.day == "*" else f"{agenda.day}"
        lines.append(
            f"- Agenda `{agenda.key}` ({', '.join(agenda.rules)}): {day} at {agenda.time} to {who}"
            f"; on a non-working day: {agenda.on_non_working_day.replace('_', ' ')}."
        )
    links = {
        (e.process, e.kind, e.rule)
        for t in process.transitions
        for e in t.effects
        if isinstance(e, Link)
    }
    lines += [
        f"- Opens a linked `{target}` case ({kind}, {rule})."
        for target, kind, rule in sorted(links)
    ]
    if process.agendas or links:
        lines.append("")
    lines += ["| Rule | How | What the service does |", "|---|---|---|"]
    for rule, how in process.rules.items():
        kind, _, what = how.partition(":")
        lines.append(f"| {rule} | {kind.strip()} | {_cell(what.strip())} |")
    lines += ["", "```mermaid", mermaid(process), "```", ""]
    return "\n".join(lines)


def generated() -> str:
    body = "\n".join(section(p) for p in all_processes().values())
    return f"{START}\n\n{body}\n{END}"


def updated(readme: str) -> str:
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{generated()}{tail}"


if __name__ == "__main__":
    README.write_text(updated(README.read_text()))
