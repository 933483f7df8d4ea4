"""Process definitions, their Mermaid diagrams, and the rules' coverage."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from familyflow import describe
from familyflow.api.schemas import NO_NUL, Diagram, ProcessDetail, ProcessSummary, RuleCoverage
from familyflow.http.auth import CurrentUserDep, FlowDep, SettingsDep
from familyflow.rules import coverage

ProcessName = Annotated[str, Path(pattern=NO_NUL, max_length=100)]


def router() -> APIRouter:
    api = APIRouter(tags=["processes"])

    @api.get("/processes", response_model=list[ProcessSummary], summary="The processes")
    def list_processes(settings: SettingsDep, user: CurrentUserDep) -> list[dict[str, Any]]:
        return describe.processes(settings)

    @api.get(
        "/processes/{name}",
        response_model=ProcessDetail,
        summary="A process: states, triggers and roles, timescales, rules",
    )
    def get_process(
        name: ProcessName, settings: SettingsDep, user: CurrentUserDep
    ) -> dict[str, Any]:
        return describe.process(settings, name)

    @api.get(
        "/processes/{name}/diagram",
        response_model=Diagram,
        summary="A process as a Mermaid state diagram",
    )
    def get_diagram(
        name: ProcessName, settings: SettingsDep, user: CurrentUserDep
    ) -> dict[str, Any]:
        return {"name": name, "mermaid": describe.process(settings, name)["mermaid"]}

    @api.get(
        "/rules",
        response_model=list[RuleCoverage],
        summary="Every rule: automated, recorded or manual, and where",
    )
    def rules(flow: FlowDep, user: CurrentUserDep) -> list[dict[str, Any]]:
        return coverage(dict(flow.services.processes))

    return api
