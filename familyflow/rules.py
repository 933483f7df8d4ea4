"""`familyflow rules`: every rule ID in the catalogue, how the service meets it, and where."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from workflows.spec import Process

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "docs" / "RULES.md"  # the project's copy of the shared catalogue
_ROW = re.compile(
    r"^\|\s*([A-Z0-9]+-[0-9A-Za-z.\u2013-]+)\s*\|\s*(.+?)\s*\|"
)  # ranges: EH-7.2 to 7.4


def catalogue_ids(path: Path = CATALOGUE) -> list[tuple[str, str]]:
    """(id, rule text) for every row of the catalogue's tables, in order."""
    found = []
    for line in path.read_text().splitlines():
        match = _ROW.match(line)
        if match and match[1] != "ID":
            found.append((match[1], match[2]))
    return found


def _test_name(rule: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", rule)


def _files_citing(folder: Path, pattern: str, rule: str) -> list[str]:
    if not folder.exists():
        return []
    return sorted(
        str(p.relative_to(ROOT))
        for p in folder.rglob(pattern)
        if rule in p.read_text(errors="ignore").split("\n", 1)[0]
    )


def _tests_naming(rule: str) -> list[str]:
    name = re.compile(rf"def (test_\w*{re.escape(_test_name(rule))}(?![0-9])\w*)", re.I)
    found = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for match in name.finditer(path.read_text()):
            found.append(f"{path.relative_to(ROOT)}::{match[1]}")
    return found


def _scenarios_citing(rule: str) -> list[str]:
    folder = ROOT / "docs" / "scenarios"
    if not folder.exists():
        return []
    return sorted(
        str(p.relative_to(ROOT))
        for p in folder.glob("*.yaml")
        if re.search(rf"{re.escape(rule)}(?![0-9])", p.read_text())
    )


def coverage(processes: dict[str, Process]) -> list[dict[str, Any]]:
    claimed = {rule: (p, how) for p in processes.values() for rule, how in p.rules.items()}
    listed = catalogue_ids()
    # Rules a seed states that the catalogue has no row for yet (the seed wins).
    known = {rule for rule, _ in listed}
    listed += [
        (rule, "(in the seed; not yet in the catalogue)") for rule in claimed if rule not in known
    ]
    rows = []
    for rule, text in listed:
        process, how = claimed.get(rule, (None, "missing: no process claims it"))
        kind, _, what = how.partition(":")
        rows.append(
            {
                "id": rule,
                "rule": text,
                "how": kind.strip(),
                "what": what.strip(),
                "process": process.name if process else None,
                "definition": f"workflows/{process.name}.py" if process else None,
                "templates": _files_citing(ROOT / "templates", "*.txt", rule),
                "tests": _tests_naming(rule),
                "scenarios": _scenarios_citing(rule),
            }
        )
    return rows
