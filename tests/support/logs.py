"""Capture what FamilyFlow logs, whatever structlog was configured with before.

`structlog.testing.capture_logs` cannot see a logger that was cached on first
use (the CLI configures structlog with cache_logger_on_first_use=True), so the
module-level `log` of every FamilyFlow module is swapped for a fresh one while
capturing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

PACKAGES = ("engine", "notifications", "familyflow", "workflows")


@contextmanager
def captured_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[MutableMapping[str, Any]]]:
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in PACKAGES and hasattr(module, "log"):
            monkeypatch.setattr(module, "log", structlog.get_logger(name))
    with capture_logs() as events:
        yield events
