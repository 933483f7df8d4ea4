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


_TEST = re.compile(r"def (test_\w*)")


def _test_name(rule: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", rule)


def _texts(folder: Path, pattern: str) -> dict[str, str]:
    """Each file's text, read once per coverage() (not once per rule: /api/rules took 6 s)."""
    if not folder.exists():
        return {}
    files = sorted(folder.rglob(pattern))
    return {str(p.relative_to(ROOT)): p.read_text(errors="ignore") for p in files}


def _files_citing(texts: dict[str, str], rule: str) -> list[str]:
    return sorted(path for path, text in texts.items() if rule in text.split("\n", 1)[0])


def _test_names(texts: dict[str, str]) -> list[tuple[str, str]]:
    return [(path, name) for path, text in texts.items() for name in _TEST.findall(text)]


def _tests_naming(names: list[tuple[str, str]], rule: str) -> list[str]:
    name = re.compile(rf"^test_\w*{re.escape(_test_name(rule))}(?![0-9])", re.I)
    return [f"{path}::{test}" for path, test in names if name.match(test)]


def _scenarios_citing(texts: dict[str, str], rule: str) -> list[str]:
    return sorted(
        path for path, text in texts.items() if re.search(rf"{re.escape(rule)}(?![0-9])", text)
    )


def coverage(processes: dict[str, Process]) -> list[dict[str, Any]]:
    claimed = {rule: (p, how) for p in processes.values() for rule, how in p.rules.items()}
    listed = catalogue_ids()
    # Rules a seed states that the catalogue has no row for yet (the seed wins).
    known = {rule for rule, _ in listed}
    listed += [
        (rule, "(in the seed; not yet in the catalogue)") for rule in claimed if rule not in known
    ]
    templates = _texts(ROOT / "templates", "*.txt")
    tests = _test_names(_texts(ROOT / "tests", "test_*.py"))
    scenarios = _texts(ROOT / "docs" / "scenarios", "*.yaml")
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
                "templates": _files_citing(templates, rule),
                "tests": _tests_naming(tests, rule),
                "scenarios": _scenarios_citing(scenarios, rule),
            }
        )
    return rows
