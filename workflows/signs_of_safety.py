"""Signs of Safety, recorded as structured data wherever a seed calls for it (SA-09,
U5-07, EOC-04/05): the three columns, and a 0-10 safety scale per judge."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from workflows.spec import CaseView, Outcome, TriggerData


class Scale(BaseModel):
    model_config = ConfigDict(extra="forbid")

    judge: str = Field(min_length=1, description="who: a professional, the child, a parent")
    role: str = Field(min_length=1, description="e.g. social worker, child, parent")
    score: int = Field(ge=0, le=10, description="10 safe enough, 0 must be removed now")


class SignsOfSafety(TriggerData):
    worried: str = Field(min_length=1, description="What are we worried about?")
    working_well: str = Field(min_length=1, description="What is working well?")
    needs_to_happen: str = Field(min_length=1, description="What needs to happen?")
    scales: list[Scale] = Field(min_length=1)


def record(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    """Append one dated Signs of Safety entry, so the scales can be shown over time."""
    entry = {**dict(data), "at": at.isoformat()}
    return Outcome(data={"signs_of_safety": [*case.data.get("signs_of_safety", []), entry]})
