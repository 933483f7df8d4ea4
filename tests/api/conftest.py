"""The API on the real app and the real databases (SQLite, and PostgreSQL when
FAMILYFLOW_TEST_POSTGRES_URL is set), driven through FastAPI's TestClient on a
simulated clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from engine.cases import Actor
from engine.service import FamilyFlow
from familyflow import accounts
from familyflow.api import create_app
from familyflow.settings import Settings
from tests.conftest import AppFactory
from tests.support.journeys import CONTACTS, at

CALLBACK_TOKEN = "notify-callback-secret"
TEAM, OTHER_TEAM = "Families Together", "Riverside"
PASSWORD = "a long enough password"
OTHER_CONTACTS = {
    "social_worker": {"name": "Pat Moor", "email": "pat.moor@example.org"},
    "team_manager": {"name": "Lee Other", "email": "lee.other@example.org"},
    "business_support": {"name": "Riverside BS", "email": "riverside.bs@example.org"},
    "parent": {"name": "Max Parent", "mobile": "07700900456"},
}

# role -> (email, team, extra user fields)
PEOPLE: dict[str, tuple[str, str | None, dict[str, Any]]] = {
    "business_support": ("bs@example.org", TEAM, {}),
    "worker": (
        "kim.lee@example.org",
        TEAM,
        {"part_time": True, "manager_email": "ade.bello@example.org"},
    ),
    "social_worker": ("sam.jones@example.org", TEAM, {"manager_email": "ade.bello@example.org"}),
    "team_manager": ("ade.bello@example.org", TEAM, {}),
    "admin": ("admin@example.org", None, {}),
    "other_manager": ("lee.other@example.org", OTHER_TEAM, {}),
}


@dataclass
class Api:
    client: TestClient
    flow: FamilyFlow
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def request(
        self,
        method: str,
        path: str,
        *,
        as_: str | None = "team_manager",
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        sent = {**(self.auth(as_) if as_ else {}), **(headers or {})}
        return self.client.request(method, path, headers=sent, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def referral(
        self,
        *,
        team: str | None = None,
        received: str = "2026-12-14T08:00",
        as_: str = "business_support",
        **extra: Any,
    ) -> dict[str, Any]:
        contacts = OTHER_CONTACTS if team == OTHER_TEAM else CONTACTS
        body = {
            "process": "parenting",
            "received_at": received,
            "contacts": contacts,
            **({"team": team} if team else {}),
            **extra,
        }
        response = self.post("/api/cases", json=body, as_=as_)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def fire(
        self,
        case_id: int,
        trigger: str,
        data: dict[str, Any] | None = None,
        *,
        as_: str = "team_manager",
        **extra: Any,
    ) -> Any:
        return self.post(
            f"/api/cases/{case_id}/events",
            json={"trigger": trigger, "data": data or {}, **extra},
            as_=as_,
        )

    def advance(self, when: str) -> None:
        self.flow.advance(at(when))


API_SETTINGS = {
    "cookie_secure": False,
    "secret_key": SecretStr("test-secret-key"),
    "notify_callback_token": SecretStr(CALLBACK_TOKEN),
}


@pytest.fixture
def api(make_app: AppFactory, settings: Settings) -> Iterator[Api]:
    """The app with one user per role (plus a manager of another team), each with a
    token; passwords only where a test signs in (argon2 is slow on purpose)."""
    flow = make_app(**API_SETTINGS)
    config = settings.model_copy(update=API_SETTINGS)
    tokens = {}
    for role, (email, team, extra) in PEOPLE.items():
        accounts.add_user(
            flow,
            email=email,
            name=email.split("@")[0].title(),
            role=role.replace("other_manager", "team_manager"),
            team=team,
            password=None,
            by=Actor("test"),
            **extra,
        )
        tokens[role] = accounts.issue_token(flow, email=email, name="tests", by=Actor("test"))[1]
    with TestClient(create_app(flow=flow, settings=config)) as client:
        yield Api(client=client, flow=flow, settings=config, tokens=tokens)


def problem(response: Any, status: int) -> dict[str, Any]:
    """The response is a problem+json with this status; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = dict(response.json())
    assert body["status"] == status and body["title"] and body["detail"]
    return body
