"""Process definitions: pure data, no I/O. `all_processes()` is the catalogue.

Adding a process is one module here exporting PROCESS, its templates and its
scenarios (docs/ADDING_A_PROCESS.md); nothing in engine/ changes.
"""

from __future__ import annotations

from importlib import import_module

from workflows.spec import Process

MODULES = (
    "parenting",
    "edge_of_care",
    "family_time",
    "family_therapy",
    "internal_referral",
    "joint_under5_assessment",
    "home_visits",
    "early_help",
    "statutory_assessment",
)


def all_processes() -> dict[str, Process]:
    processes: dict[str, Process] = {}
    for name in MODULES:
        try:
            module = import_module(f"workflows.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"workflows.{name}":
                raise
            continue  # not written yet
        processes[name] = module.PROCESS
    return processes
