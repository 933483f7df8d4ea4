"""What an operator and a load balancer see: /healthz, /readyz and /metrics."""

from __future__ import annotations

import re

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from fastapi.testclient import TestClient

from familyflow.api import create_app
from tests.api.conftest import Api
from tests.support.journeys import CONTACTS, at


def test_healthz_answers_without_signing_in(api: Api) -> None:
    response = api.get("/healthz", as_=None)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_not_ready_until_the_scheduler_runs(api: Api) -> None:
    response = api.get("/readyz", as_=None)
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "scheduler": "not running",
    }
    scheduler = BackgroundScheduler()
    scheduler.start(paused=True)
    api.client.app.state.scheduler = scheduler  # type: ignore[attr-defined]
    try:
        response = api.get("/readyz", as_=None)
    finally:
        scheduler.shutdown(wait=False)
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_readyz_fails_when_the_database_is_unreachable(api: Api) -> None:
    # The flow's own engine is put back for the fixture to dispose: left to the garbage
    # collector, its pooled connection warned (ResourceWarning) in whichever test ran then.
    real = api.flow.db
    api.flow.db = sa.create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:9/nowhere", connect_args={"connect_timeout": 1}
    )
    try:
        response = api.get("/readyz", as_=None)
    finally:
        api.flow.db.dispose()
        api.flow.db = real
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unreachable"


def _metrics(text: str) -> dict[str, float]:
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def test_metrics_show_overdue_deadlines_the_outbox_and_requests_without_personal_data(
    api: Api,
) -> None:
    case = api.referral(received="2026-12-14T08:00")
    assert api.fire(case["id"], "request_confirmation").status_code == 200
    confirmed = api.fire(case["id"], "confirm_attendance", as_="business_support")
    assert confirmed.status_code == 200  # starts PAR-04's clocks
    assert api.get(f"/api/cases/{case['id']}").status_code == 200
    # Five weeks on, before the firer has run: PAR-04's clocks are overdue.
    api.flow.clock.advance_to(at("2027-01-20T09:00"))  # type: ignore[attr-defined]
    text = api.get("/metrics", as_=None).text
    values = _metrics(text)
    overdue = {k: v for k, v in values.items() if k.startswith("familyflow_deadlines_due{")}
    assert overdue, text
    assert all(re.fullmatch(r'familyflow_deadlines_due\{process="\w+",rule="[\w.-]+"\}', k)
               for k in overdue)  # fmt: skip
    assert values['familyflow_outbox_messages{channel="email",status="queued"}'] >= 1
    assert any(
        k.startswith("familyflow_http_request_duration_seconds_count{")
        and 'route="/api/cases/{case_id}"' in k
        for k in values
    )
    for person in CONTACTS.values():
        for detail in person.values():
            assert detail not in text
    assert str(case["id"]) not in re.findall(r'route="([^"]*)"', text)


def test_metrics_count_sent_messages_and_how_late_deadlines_fired(api: Api) -> None:
    case = api.referral(received="2026-12-14T08:00")
    assert api.fire(case["id"], "request_confirmation").status_code == 200
    assert api.fire(case["id"], "confirm_attendance", as_="business_support").status_code == 200
    api.flow.clock.advance_to(at("2026-12-22T10:00"))  # type: ignore[attr-defined]
    api.flow.fire_due()  # PAR-04's chase, fired about a day late
    api.flow.outbox.deliver_due()
    values = _metrics(api.get("/metrics", as_=None).text)
    assert values['familyflow_messages_sent_total{channel="email"}'] >= 1
    assert values["familyflow_deadline_firing_lateness_seconds_gcount"] >= 1
    assert values['familyflow_deadline_firing_lateness_seconds_bucket{le="3600.0"}'] == 0


def test_metrics_ask_for_the_scrape_token_when_one_is_set(api: Api) -> None:
    from pydantic import SecretStr

    config = api.settings.model_copy(update={"metrics_token": SecretStr("scrape-me")})
    with TestClient(create_app(flow=api.flow, settings=config)) as client:
        refused = client.get("/metrics")
        allowed = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert refused.status_code == 401
    assert "FAMILYFLOW_METRICS_TOKEN" in refused.text
    assert allowed.status_code == 200
    assert "familyflow_outbox_messages" in allowed.text
