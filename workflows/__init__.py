"""Process definitions: pure data, no I/O. `all_processes()` is the catalogue."""

from __future__ import annotations

from workflows import parenting
from workflows.spec import Process


def all_processes() -> dict[str, Process]:
    return {process.name: process for process in (parenting.PROCESS,)}
