"""`familyflow user add`, `token add` and `token revoke`, run as people run them; the
token they print opens the API and stops working once revoked."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from familyflow.api import create_app
from familyflow.bootstrap import bootstrap
from familyflow.settings import Settings
from tests.e2e.test_cli import CLI, refusal


def test_an_admin_adds_a_user_and_a_token_that_opens_the_api_until_revoked(
    tmp_path: Path, database_url: str
) -> None:
    cli = CLI(tmp_path, database_url)
    added = cli.json("user", "add", "Kim.Lee@example.org", "--role", "worker",
                     "--team", "Families Together", "--part-time",
                     "--manager", "ade.bello@example.org")  # fmt: skip
    assert (added["email"], added["role"]) == ("Kim.Lee@example.org", "worker")
    assert len(added["password"]) >= 10  # made up and shown, as stdin is not a terminal
    refusal(cli("user", "add", "kim.lee@example.org", "--role", "worker"), 6,
            "user already exists: kim.lee@example.org")  # fmt: skip
    refusal(cli("user", "add", "x@example.org", "--role", "wizard"), 2, "role")
    listed = cli.json("user", "list")
    assert [(u["email"], u["part_time"]) for u in listed] == [("kim.lee@example.org", True)]
    token = cli.json("token", "add", "kim.lee@example.org", "--name", "my script")
    refusal(cli("token", "add", "nobody@example.org", "--name", "x"), 3, "user not found")

    settings = Settings(database_url=database_url, cookie_secure=False, log_json=True,
                        secret_key=SecretStr("k"), outbox_dir=tmp_path / "outbox")  # fmt: skip
    flow = bootstrap(settings)
    try:
        with TestClient(create_app(flow=flow, settings=settings)) as client:
            headers = {"Authorization": f"Bearer {token['token']}"}
            me = client.get("/api/me", headers=headers).json()
            assert (me["user"]["email"], me["user"]["caseload_limit"]) == (
                "kim.lee@example.org",
                10,
            )
            assert cli.ok("token", "revoke", str(token["id"])) == (f"token {token['id']} revoked\n")
            assert client.get("/api/me", headers=headers).status_code == 401
    finally:
        flow.db.dispose()
    refusal(cli("token", "revoke", str(token["id"])), 4, "revoked already")
