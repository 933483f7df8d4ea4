"""What each process needs to know when a referral is recorded (issue 10): who it is about,
why, and the process's own facts (the early help route and contact type, the child's date
of birth for home visits and joint under-5 work, the group of an internal referral).

The web form for a new referral is made from these models, so a case cannot be opened
without a name. The keys are the case data keys the definitions already read
(`family`, `child_name`, `date_of_birth`, `route`, `contact_type`, `group`, ...).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, WithJsonSchema, model_validator

from workflows.spec import TriggerData


def _iso_date(value: str) -> str:
    return date.fromisoformat(value).isoformat()


IsoDate = Annotated[
    str, AfterValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})
]
WHY = "What the referral asks for, and why"
# How the choices read on the form (json_schema_extra "labels").
PLANS: dict[str, Any] = {"child_in_need": "Child in need", "child_protection": "Child protection"}
ROUTES: dict[str, Any] = {
    "contact": "A contact to screen (request for support, EHA, DART, Front Door)",
    "step_down": "Stepped down from social care",
    "wraparound": "Wraparound support requested by social care",
}
CONTACT_TYPES: dict[str, Any] = {
    "request_for_support": "Request for support",
    "eha": "Early Help Assessment (EHA)",
    "dart": "DART",
    "front_door": "Front Door contact",
    "walk_in": "Walk-in",
    "step_down": "Step-down",
}
GROUPS: dict[str, Any] = {
    "pop": "PoP (parenting programme)",
    "freedom": "Freedom (domestic abuse programme)",
}
TEAMS: dict[str, Any] = {
    "parenting": "Parenting",
    "family_time": "Family Time",
    "edge_of_care": "Edge of Care",
}


class Referral(TriggerData):
    family: str = Field(
        min_length=1, title="Child or family name", description="For example, Smith family"
    )
    referral_reason: str = Field(min_length=1, title="Reason for the referral", description=WHY)


class ChildReferral(TriggerData):
    child_name: str = Field(min_length=1, title="Child's name")
    referral_reason: str = Field(min_length=1, title="Reason for the referral", description=WHY)


class HomeVisitsReferral(ChildReferral):
    # VIS-06: a child under 3 is seen awake or asleep; from 3, seen awake and alone.
    date_of_birth: IsoDate = Field(title="Child's date of birth")
    plan_type: Literal["child_in_need", "child_protection"] = Field(
        "child_in_need", title="Plan", json_schema_extra={"labels": PLANS}
    )


class UnderFiveReferral(ChildReferral):
    # U5-01: under 5 on the day of the referral, or unborn.
    date_of_birth: IsoDate | None = Field(None, title="Child's date of birth")
    expected_due_date: IsoDate | None = Field(
        None, title="Expected due date", description="For an unborn baby"
    )

    @model_validator(mode="after")
    def _a_date(self) -> UnderFiveReferral:
        if not self.date_of_birth and not self.expected_due_date:
            raise ValueError(
                "Enter the child's date of birth, or the expected due date for an unborn baby"
            )
        return self


class EarlyHelpReferral(Referral):
    route: Literal["contact", "step_down", "wraparound"] = Field(
        "contact", title="How the referral came", json_schema_extra={"labels": ROUTES}
    )
    contact_type: Literal[
        "request_for_support", "eha", "dart", "front_door", "walk_in", "step_down"
    ] = Field(
        "request_for_support", title="Type of contact", json_schema_extra={"labels": CONTACT_TYPES}
    )
    cypa_completed_on: IsoDate | None = Field(
        None, title="Date the social care CYPA was completed", description="For a step-down"
    )


class InternalReferral(TriggerData):
    family: str = Field(min_length=1, title="Child or family name")
    group: Literal["pop", "freedom"] = Field(title="Group", json_schema_extra={"labels": GROUPS})
    identified_by_team: Literal["parenting", "family_time", "edge_of_care"] = Field(
        title="Team that identified the need", json_schema_extra={"labels": TEAMS}
    )
    need: str = Field(min_length=1, title="Why the group would help")


REFERRAL_MODELS: dict[str, type[TriggerData]] = {
    "early_help": EarlyHelpReferral,
    "home_visits": HomeVisitsReferral,
    "joint_under5_assessment": UnderFiveReferral,
    "internal_referral": InternalReferral,
}


def referral_model(process: str) -> type[TriggerData]:
    return REFERRAL_MODELS.get(process, Referral)
