"""A transport that writes each message to a text file instead of sending it.

Like Django's file e-mail backend: for development, demonstrations and
scenario runs. Each message becomes `<directory>/<YYYYMMDD>/<id>-<medium>.txt`
(the day is the London date on the clock when first written), holding a few
headers, a blank line and the body.

Writing is atomic (a temporary file in the same folder, then `os.replace`), so
a reader never sees half a message. Writing the same message again replaces
its file wherever it is, so a retry after a crash is idempotent even on a
later day.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from engine.clock import Clock, SystemClock, local
from engine.errors import TemporaryDeliveryError
from notifications.channels.base import Envelope


def _header_value(value: str) -> str:
    """One line only: a newline in a value would end the header block early."""
    return " ".join(value.splitlines())


def render_file(envelope: Envelope) -> str:
    """The text written for one message."""
    to = envelope.to_address
    if envelope.to_name:
        to = f"{envelope.to_name} <{envelope.to_address}>"
    headers = [
        ("To", to),
        ("Cc", ", ".join(envelope.cc)),
        ("Subject", envelope.subject or ""),
        ("Medium", envelope.medium),
        ("Rule", envelope.rule),
        ("Dedupe-Key", envelope.dedupe_key),
    ]
    if envelope.reply_to:
        headers.insert(2, ("Reply-To", envelope.reply_to))
    lines = [f"{name}: {_header_value(value)}".rstrip() for name, value in headers]
    body = envelope.body if envelope.body.endswith("\n") else envelope.body + "\n"
    return "\n".join(lines) + "\n\n" + body


class FileTransport:
    name = "file"

    def __init__(self, *, directory: Path, clock: Clock | None = None) -> None:
        self.directory = Path(directory)
        self._clock: Clock = clock or SystemClock()

    def path_for(self, envelope: Envelope) -> Path:
        """Where this message's file is, or will be if it has not been written yet."""
        filename = f"{envelope.message_id}-{envelope.medium}.txt"
        existing = sorted(self.directory.glob(f"[0-9]*/{filename}"))
        if existing:
            return existing[0]
        day = local(self._clock.now()).strftime("%Y%m%d")
        return self.directory / day / filename

    def send(self, envelope: Envelope) -> str:
        path = self.path_for(envelope)
        data = render_file(envelope).encode("utf-8")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, data)
        except OSError as error:
            # strerror names the problem ("No space left on device") without the path.
            raise TemporaryDeliveryError(
                message_id=envelope.message_id,
                reason=f"file write failed: {error.strerror or type(error).__name__}",
            ) from error
        return f"file:{path.name}"


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable, where the platform allows it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
