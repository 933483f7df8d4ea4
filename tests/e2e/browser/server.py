"""A real FamilyFlow server for the browser tests: uvicorn on 127.0.0.1 in a
background thread, a real SQLite file, the demo users and cases, and a clock
that stands still (so due dates and RAG colours are the same on every run)."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from pydantic import SecretStr

from engine.clock import SimulatedClock
from engine.service import FamilyFlow
from familyflow.api import create_app
from familyflow.bootstrap import bootstrap
from familyflow.demo import load_demo
from familyflow.settings import Settings
from notifications.channels.file import FileTransport
from tests.support.journeys import at

# A Monday morning: texts are sent at once (no quiet hours), nothing is near a holiday.
NOW = "2027-03-01T10:00"


@dataclass
class LiveServer:
    url: str
    flow: FamilyFlow
    server: uvicorn.Server
    thread: threading.Thread
    sock: socket.socket

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
        self.flow.db.dispose()


def start(directory: Path, *, now: str = NOW, demo: bool = True) -> LiveServer:
    settings = Settings(
        database_url=f"sqlite:///{directory / 'familyflow.db'}",
        outbox_dir=directory / "outbox",
        email_transport="file",
        sms_transport="file",
        cookie_secure=False,
        secret_key=SecretStr("browser-tests-secret"),
        log_json=True,
    )
    files = FileTransport(directory=directory / "outbox")
    flow = bootstrap(
        settings, clock=SimulatedClock(at(now)), transports={"email": files, "sms": files}
    )
    if demo:
        load_demo(flow)
        flow.tick()  # what the scheduler would have done by now
    app = create_app(flow=flow, settings=settings)
    # Listening before the thread starts: the first request waits in the backlog.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, ws="none", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    return LiveServer(
        url=f"http://127.0.0.1:{port}", flow=flow, server=server, thread=thread, sock=sock
    )
