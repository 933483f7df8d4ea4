"""/healthz, /readyz and /metrics: what a load balancer and Prometheus ask of an instance.

All three are unauthenticated and cheap, except that /metrics asks for the scrape token when
FAMILYFLOW_METRICS_TOKEN is set. Each app has its own metrics registry, so several apps in
one process (the tests) never share counters."""

from __future__ import annotations

import hmac
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from engine.service import FamilyFlow
from familyflow import operations

LATENESS_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)


class Metrics:
    """The instance's own counters plus figures read from the database at each scrape."""

    def __init__(self, flow: FamilyFlow) -> None:
        self.flow = flow
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "familyflow_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template (never the path itself).",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.job_runs = Counter(
            "familyflow_scheduler_job_runs", "Scheduler job runs.", ["job"], registry=self.registry
        )
        self.job_failures = Counter(
            "familyflow_scheduler_job_failures",
            "Scheduler job runs that failed.",
            ["job"],
            registry=self.registry,
        )
        self.registry.register(self)  # a custom collector: collect() is read at each scrape

    def observe_job(self, job: str, ok: bool) -> None:
        # Agenda jobs are named after their agenda key; both are bounded sets, not data.
        self.job_runs.labels(job=job).inc()
        if not ok:
            self.job_failures.labels(job=job).inc()

    def collect(self) -> Any:
        figures = operations.read_figures(self.flow)
        due = GaugeMetricFamily(
            "familyflow_deadlines_due",
            "Open deadlines already past due, by process and rule.",
            labels=["process", "rule"],
        )
        for process, rule, count in figures.overdue:
            due.add_metric([process, rule], count)
        queue = GaugeMetricFamily(
            "familyflow_outbox_messages",
            "Messages in the outbox not yet sent (queued, sending, failed, needs_review).",
            labels=["channel", "status"],
        )
        for channel, status, count in figures.outbox:
            queue.add_metric([channel, status], count)
        sent = CounterMetricFamily(
            "familyflow_messages_sent", "Messages handed to a provider.", labels=["channel"]
        )
        for channel, count in figures.sent:
            sent.add_metric([channel], count)
        yield due
        yield queue
        yield sent
        yield _lateness(figures.lateness)


def _lateness(values: list[float]) -> GaugeHistogramMetricFamily:
    buckets = [(str(b), sum(v <= b for v in values)) for b in LATENESS_BUCKETS]
    buckets.append(("+Inf", len(values)))
    return GaugeHistogramMetricFamily(
        "familyflow_deadline_firing_lateness_seconds",
        f"How late deadlines fired, over the last "
        f"{int(operations.LATENESS_WINDOW.total_seconds() // 60)} minutes.",
        buckets=buckets,
        gsum_value=sum(values),
    )


class RequestTimer(BaseHTTPMiddleware):
    def __init__(self, app: Any, metrics: Metrics) -> None:
        super().__init__(app)
        self.metrics = metrics

    @staticmethod
    def _template(request: Request) -> str:
        """The matched route's full path template (`/api/cases/{case_id}`), never the path.
        The route in the scope lacks its router's prefix; the prefix is what is left of the
        path once the route's own part, filled in, is taken off its end."""
        template = getattr(request.scope.get("route"), "path", None)
        if template is None:
            return "unmatched"
        filled = template
        for name, value in request.path_params.items():
            filled = filled.replace(f"{{{name}}}", str(value)).replace(
                f"{{{name}:path}}", str(value)
            )
        path = request.url.path
        prefix = path[: -len(filled)] if filled and path.endswith(filled) else ""
        return prefix + template

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        template = self._template(request)
        self.metrics.requests.labels(
            method=request.method, route=template, status=str(response.status_code)
        ).observe(time.perf_counter() - started)
        return response


def install(app: FastAPI, *, flow: FamilyFlow, metrics_token: str | None) -> Metrics:
    metrics = Metrics(flow)
    app.state.metrics = metrics
    app.add_middleware(RequestTimer, metrics=metrics)
    app.include_router(_router(metrics=metrics, token=metrics_token))
    return metrics


def _router(*, metrics: Metrics, token: str | None) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    def healthz() -> dict[str, str]:
        """The process is alive and answering."""
        return {"status": "ok"}

    @router.get("/readyz")
    def readyz(request: Request) -> JSONResponse:
        """Ready for traffic: the database answers, carries every migration, and the
        scheduler that fires deadlines is running."""
        checks = {**operations.database_checks(metrics.flow), "scheduler": "ok"}
        scheduler = getattr(request.app.state, "scheduler", None)
        if scheduler is None or not scheduler.running:
            checks["scheduler"] = "not running"
        ready = all(v == "ok" for v in checks.values())
        body = {"status": "ready" if ready else "not ready", "checks": checks}
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get("/metrics")
    def scrape(request: Request) -> Response:
        if token is not None:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return PlainTextResponse(
                    "metrics need the scrape token (FAMILYFLOW_METRICS_TOKEN)",
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router
