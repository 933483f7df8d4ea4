"""Demo journeys for the eight processes beyond parenting, dated relative to today.

Each journey is one family's path through a process; the demo opens one case per stop, left
after that many steps, so that between them the cases stand in every state a trigger can be
fired from (tests/integration/test_demo.py checks that every trigger's form can be opened
on some demo case). Step i of a journey with n steps happens i - n - 1 days from today at
10:00, so the last step was yesterday and the earlier stops stand still from days before:
some of their timescales are due or overdue, as on a real caseload. The data is what the
scenarios in docs/scenarios use, with dates moved to match.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from engine.clock import LONDON, local

ASSESSMENT = "Children's Assessment (demo)"
FAMILY_TIME = "Family Time (demo)"
FAMILY_SOLUTIONS = "Family Solutions (demo)"

SAM = {"name": "Sam Jones", "email": "sam.jones@example.org"}
ADE = {"name": "Ade Bello", "email": "ade.bello@example.org"}
BS = {"name": "Business Support", "email": "bs@example.org"}
SIAN = {"name": "Siân Jones", "email": "sian.jones@example.org"}
ZOE = {"name": "Zoë O\u2019Brien", "email": "zoe.obrien@example.org"}
LUKASZ = {"name": "Łukasz Nowak", "email": "lukasz.nowak@example.org"}
NIA = {"name": "Nia Evans", "email": "nia.evans@example.org"}
KIM = {"name": "Kim Lee", "email": "kim.lee@example.org"}
HANA = {"name": "Hana Green", "email": "hana.green@example.org"}


@dataclass(frozen=True)
class Journey:
    process: str
    team: str
    # (trigger, data) in order; a stop leaves a case after that many steps.
    steps: tuple[tuple[str, dict[str, Any]], ...]
    # (family name, stop): each makes one case.
    cases: tuple[tuple[str, int], ...]
    # The case's contacts and data for a family.
    opened: Callable[[str], tuple[dict[str, dict[str, Any]], dict[str, Any]]]


class Clock:
    """Instants and dates relative to today, as the journeys' data needs them."""

    def __init__(self, now: datetime) -> None:
        self.today = local(now).date()

    def day(self, days: int) -> date:
        return self.today + timedelta(days=days)

    def at(self, days: int, hhmm: str = "10:00") -> datetime:
        hour, minute = (int(part) for part in hhmm.split(":"))
        return datetime.combine(self.day(days), time(hour, minute), tzinfo=LONDON)

    def iso(self, days: int, hhmm: str = "10:00") -> str:
        return self.at(days, hhmm).isoformat()


def journeys(c: Clock) -> list[Journey]:
    return [
        _edge_of_care(c),
        _family_time(c),
        _family_therapy(),
        *_internal_referrals(),
        _joint_under5(c),
        _joint_under5_emergency(c),
        _home_visits(),
        *_early_help(c),
        _statutory_assessment(),
    ]


def _edge_of_care(c: Clock) -> Journey:
    return Journey(
        process="edge_of_care",
        team="Families Together (demo)",
        steps=(
            (
                "allocate",
                {
                    "officer": [KIM],
                    "direction": "Focus on school attendance and evening conflict at home.",
                },
            ),
            ("contact_social_worker", {"involvement_added": True}),
            (
                "hold_planning_meeting",
                {
                    "staff_present": ["Kim Lee", "Sam Jones"],
                    "objectives": [
                        {"objective": "Attends school every day", "sw_score": 3},
                        {"objective": "Fewer arguments at home in the evenings", "sw_score": 2},
                    ],
                    "review_date": c.day(26).isoformat(),
                    "signed_by_officer": True,
                    "signed_by_social_worker": True,
                    "plan_uploaded": True,
                },
            ),
            (
                "record_initial_visit",
                {
                    "working_well": "Both want things to change.",
                    "worried": "Six days of school missed this month; shouting most evenings.",
                    "needs_to_happen": "A morning routine; a calm-down plan for evenings.",
                    "family_scores": [5, 4],
                    "scored_by": "young person",
                    "agrees_with_plan": True,
                    "voice_of_child": "Mornings are the hardest part.",
                    "next_visit": c.iso(6),
                    "plan_uploaded": True,
                },
            ),
        ),
        cases=(
            ("Riley Smith", 0),
            ("Owen Price", 1),
            ("Tom Reid", 2),
            ("Cai Rees", 3),
            ("Jay Bell", 4),
        ),
        opened=lambda name: (
            {
                "social_worker": SAM,
                "manager": ADE,
                "business_support": BS,
                "young_person": {"name": name},
            },
            {},
        ),
    )


def _family_time(c: Clock) -> Journey:
    return Journey(
        process="family_time",
        team=FAMILY_TIME,
        steps=(
            (
                "refer",
                {
                    "family_time_worker": SIAN,
                    "carer": {"name": "Jan Carter", "email": "jan.carter@example.org"},
                    "children": ["Mia"],
                    "documents": ["genogram"],
                },
            ),
            (
                "hold_planning_meeting",
                {
                    "parents_met": True,
                    "agreement_signed": True,
                    "tour_done": True,
                    "contact_type": "fully supervised",
                    "red_flags": ["no mobile phones in sessions"],
                    "risk_assessments": [],
                    "childrens_views": "Mia wants to see her dad and show him her drawings.",
                },
            ),
            (
                "add_sessions",
                {
                    "venue": "the Beach House",
                    "sessions": [c.iso(2, "17:00"), c.iso(9, "17:00")],
                    "venue_visit_on": c.day(1).isoformat(),
                },
            ),
            (
                "close",
                {
                    "reason": "Court ended supervised family time.",
                    "arrangements_form_updated": True,
                },
            ),
        ),
        cases=(
            ("Mia Carter", 0),
            ("Leo Ward", 1),
            ("Ava Hart", 2),
            ("Isla Ross", 3),
            ("Finn Cole", 4),
        ),
        opened=lambda name: (
            {"social_worker": SAM, "manager": ADE, "business_support": BS},
            {"requirements": f"Supervised family time for {name} with their father, weekly."},
        ),
    )


def _family_therapy() -> Journey:
    therapist = {"therapist": {"name": "Tara Quinn", "email": "tara.quinn@example.org"}}
    return Journey(
        process="family_therapy",
        team="Families Together (demo)",
        steps=(
            ("panel_accept", {}),
            ("allocate", {**therapist, "kind": "initial_assessment"}),
            (
                "record_initial_assessment",
                {
                    "outcome": "therapy_recommended",
                    "summary": "The family want help to talk without arguing.",
                    "family_feedback": "Given in person at the home visit.",
                },
            ),
            ("allocate", {**therapist, "kind": "full_case"}),
            ("hold_planning_meeting", {"goals": ["Talk about school without arguing"]}),
        ),
        cases=(
            ("Alex Brown", 0),
            ("Riley Brown", 1),
            ("Noor Khan", 2),
            ("Ellis Webb", 4),
            ("Jude Moss", 5),
        ),
        opened=lambda name: (
            {
                "social_worker": SAM,
                "team_manager": ADE,
                "business_support": BS,
                "child": {"name": name},
            },
            {"reason_for_referral": f"Conflict between {name} and their mother since the move"},
        ),
    )


def _internal_referrals() -> list[Journey]:
    def opened(team: str) -> Callable[[str], tuple[dict[str, Any], dict[str, Any]]]:
        return lambda name: (
            {
                "identifying_worker": SIAN if team == "family_time" else KIM,
                "manager": ADE,
                "social_worker": SAM,
                "parent": {"name": name, "mobile": "07700900150"},
            },
            {"group": "pop", "identified_by_team": team, "need": "Help with routines."},
        )

    lead = {"group_lead": {"name": "Pat Lead", "email": "pat.lead@example.org"}}
    return [
        Journey(
            process="internal_referral",
            team="Families Together (demo)",
            steps=(("parent_consents", {}), ("sw_agrees", {"comments": "Agreed."})),
            cases=(("Jo Moss", 0), ("Sal Hart", 1), ("Bo Lane", 2)),
            opened=opened("edge_of_care"),
        ),
        Journey(
            process="internal_referral",
            team=FAMILY_TIME,
            steps=(("parent_consents", lead),),
            cases=(("Kit Shaw", 1),),
            opened=opened("family_time"),
        ),
    ]


def _joint_under5(c: Clock) -> Journey:
    return Journey(
        process="joint_under5_assessment",
        team=ASSESSMENT,
        steps=(
            (
                "contact_health",
                {
                    "health_visitor": HANA,
                    "health_team_leader": {"name": "Rita Patel", "email": "rita.patel@example.org"},
                    "basis": "duty",
                    "overview": "Nursery reports bruising to the arm; mother says he fell.",
                    "family_told": True,
                    "records_reviewed": True,
                },
            ),
            (
                "plan_visit",
                {
                    "visit_at": c.iso(-4, "09:30"),
                    "family_confirmed": True,
                    "pre_meet_held": True,
                    "sw_knows_family": True,
                    "health_knows_family": False,
                    "vulnerable_child_alert_set": True,
                },
            ),
            (
                "record_joint_visit",
                {
                    "purpose_explained": True,
                    "consent_obtained": True,
                    "genogram_completed": True,
                    "signs_of_safety": {
                        "worried": "An unexplained bruise; speech behind for his age.",
                        "working_well": "Warm and attentive care; nursery attendance good.",
                        "needs_to_happen": "Speech and language referral.",
                        "scales": [
                            {"judge": "Łukasz Nowak", "role": "social_worker", "score": 6},
                            {"judge": "Hana Green", "role": "health_visitor", "score": 5},
                        ],
                    },
                },
            ),
            (
                "record_debrief",
                {
                    "analysis": "Injury explained; developmental needs for speech.",
                    "actions": [{"action": "Refer to speech therapy", "who": "health_visitor"}],
                    "information_sharing": "HV tells the SW when the referral is accepted.",
                    "neglect_concerns": False,
                },
            ),
            ("refer_to_strategy_meeting", {"reason": "Second unexplained injury this year."}),
            (
                "raise_disagreement",
                {
                    "about": "Whether a child protection plan is needed",
                    "social_work_view": "A child in need plan is enough.",
                    "health_view": "The injuries need a child protection conference.",
                },
            ),
        ),
        cases=(
            ("Noah Parry", 0),
            ("Ava Lloyd", 1),
            ("Ben Ford", 2),
            ("Cara Dunn", 3),
            ("Dan Shah", 4),
            ("Eve Hall", 5),
            ("Fay Moor", 6),
        ),
        opened=lambda name: (
            {
                "social_worker": LUKASZ,
                "team_manager": ZOE,
                "parent": {"name": f"Parent of {name}", "mobile": "07700900160"},
            },
            {"child_name": name, "date_of_birth": c.day(-2 * 365).isoformat()},
        ),
    )


def _joint_under5_emergency(c: Clock) -> Journey:
    """A pre-birth referral where the police act first (JU5 safeguarding)."""
    police = {"name": "DC Kerry Fox", "email": "kerry.fox@example.org"}
    reason = "Joint investigation with the police after an assault on the mother."
    return Journey(
        process="joint_under5_assessment",
        team=ASSESSMENT,
        steps=(("emergency_action", {"reason": reason, "police": police}),),
        cases=(("Baby Evans (unborn)", 1),),
        opened=lambda name: (
            {
                "social_worker": LUKASZ,
                "team_manager": ZOE,
                "parent": {"name": "Cerys Evans", "mobile": "07700900161"},
            },
            {"child_name": name, "expected_due_date": c.day(50).isoformat()},
        ),
    )


def _home_visits() -> Journey:
    return Journey(
        process="home_visits",
        team=ASSESSMENT,
        steps=(
            (
                "record_visit",
                {
                    "purpose": "Child in need plan review.",
                    "present": ["Mum", "Ella"],
                    "discussion_with_parent": "Better routines; no new incidents.",
                    "discussion_with_child": "Seen alone; happy at school.",
                    "seen_alone": True,
                    "observation": "Home clean and warm.",
                    "analysis": "Plan on track.",
                    "actions": "SW to speak to the school.",
                },
            ),
        ),
        cases=(("Ella Gray", 0), ("Finn Gray", 1)),
        opened=lambda name: (
            {
                "social_worker": LUKASZ,
                "manager": ZOE,
                "iro": {"name": "Lee Chan", "email": "lee.chan@example.org"},
                "parent": {"name": "Jo Gray", "mobile": "07700900170"},
            },
            {"child_name": name, "date_of_birth": "2021-09-15", "plan_type": "child_in_need"},
        ),
    )


def _early_help(c: Clock) -> list[Journey]:
    staff = {"duty_worker": NIA, "manager": ZOE, "team_manager": ZOE}
    allocate = ("allocate", {"worker": KIM})

    def request(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
        referrer = {"name": "Pat Reed", "email": "pat.reed@school.example.org"}
        return {"referrer": referrer, **staff}, {
            "contact_type": "request_for_support",
            "family": name,
        }

    def step_down(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
        return {"social_worker": SAM, **staff}, {
            "route": "step_down",
            "contact_type": "step_down",
            "family": name,
            "cypa_completed_on": c.day(-120).isoformat(),
        }

    return [
        Journey(
            process="early_help",
            team=FAMILY_SOLUTIONS,
            steps=(
                (
                    "screen",
                    {
                        "outcome": "maam",
                        "rationale": "Needs across school and health.",
                        "maam_date": c.iso(-1, "09:30"),
                    },
                ),
                ("hold_maam", {"outcome": "allocate", "rationale": "Family Solutions to lead."}),
            ),
            cases=(("Smith family", 0), ("Patel family", 1), ("Jones family", 2)),
            opened=request,
        ),
        Journey(
            process="early_help",
            team=FAMILY_SOLUTIONS,
            steps=(
                allocate,
                ("record_initial_contact", {"method": "phone"}),
                ("record_first_visit", {"child_seen": True, "child_spoken_to": True}),
                (
                    "complete_assessment",
                    {
                        "voice_of_child": "Mornings are the worst part.",
                        "support_plan_commenced": True,
                    },
                ),
                (
                    "complete_plan",
                    {
                        "outcomes": "At school on time every day.",
                        "actions": "Morning routine chart; breakfast club.",
                        "evaluation": "Attendance figures weekly from school.",
                        "responsibilities": "Mum: routine; school: breakfast club.",
                        "timeframes": "Six weeks, to the first review.",
                        "contingency": "Step-up discussion if attendance falls.",
                        "voice_of_child": "Chose the pictures for the routine chart.",
                    },
                ),
                ("record_direct_work", {"summary": "Worry monster work: school feels better now."}),
                (
                    "request_closure",
                    {
                        "reason": "outcomes achieved",
                        "closure_summary": "Attendance 98% for six weeks; routines in place.",
                        "records_up_to_date": True,
                        "documents_uploaded": True,
                        "plan_actions_completed": True,
                        "supervisor_tasks_completed": True,
                        "voice_of_child": "Likes school now.",
                    },
                ),
            ),
            cases=(
                ("Green family", 1),
                ("Brown family", 3),
                ("Evans family", 5),
                ("Hughes family", 7),
            ),
            opened=step_down,
        ),
        Journey(
            process="early_help",
            team=FAMILY_SOLUTIONS,
            steps=(
                allocate,
                (
                    "escalate_to_social_care",
                    {
                        "reason": "Disclosure of domestic abuse at the home visit.",
                        "request_for_support": "Request for Support form (uploaded)",
                    },
                ),
                (
                    "record_social_care_decision",
                    {"threshold_met": True, "wraparound_required": True, "social_worker": SAM},
                ),
            ),
            cases=(("Wood family", 2), ("Bell family", 3)),
            opened=step_down,
        ),
    ]


def _statutory_assessment() -> Journey:
    judges = [
        {"judge": "Łukasz Nowak", "role": "social_worker", "score": 5},
        {"judge": "Mum", "role": "parent", "score": 7},
    ]
    return Journey(
        process="statutory_assessment",
        team=ASSESSMENT,
        steps=(
            (
                "allocate",
                {
                    "lead_practitioner": LUKASZ,
                    "lead_is_qualified_social_worker": True,
                    "manager_is_qualified_social_worker": True,
                    "section": "s17",
                    "level": "complex",
                },
            ),
            (
                "hold_planning_discussion",
                {
                    "reason_for_referral": "Nursery worried about attendance",
                    "known_needs": "Mum cares for her own mother",
                },
            ),
            (
                "hold_review_discussion",
                {
                    "worried": "A third of nursery sessions missed this term.",
                    "working_well": "Warm, well cared for and close to mum.",
                    "needs_to_happen": "Help with routines.",
                    "scales": judges,
                    "level": "complex",
                    "stepping": "stay",
                },
            ),
            (
                "submit",
                {
                    "worried": "Attendance still low.",
                    "working_well": "Mum has asked for help.",
                    "needs_to_happen": "A child in need plan for routines.",
                    "scales": judges,
                    "next_steps": "Child in need plan",
                    "recommended_level": "complex",
                },
            ),
            (
                "authorise",
                {
                    "outcome": "child_in_need_plan",
                    "level": "complex",
                    "decision": "Child in need plan",
                },
            ),
        ),
        cases=(
            ("Alex Moore", 0),
            ("Sky Lewis", 1),
            ("Max Young", 2),
            ("Rae King", 4),
            ("Lou Wright", 5),
        ),
        opened=lambda name: (
            {
                "team_manager": ZOE,
                "parent": {"name": f"Parent of {name}", "mobile": "07700900180"},
                "child": {"name": name},
                "referrer": {"name": "Mo Khan", "email": "mo.khan@school.example.org"},
            },
            {"danger_statement": f"MASH is worried that {name} often misses nursery."},
        ),
    )
