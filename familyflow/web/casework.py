"""Cases as the pages show them: who the case is about, what this person may do
on it, the RAG status of each open timescale and the link that acts on it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.service import FamilyFlow
from familyflow.http.auth import CurrentUser
from familyflow.services.cases import CaseRow
from familyflow.services.work import can_meet
from familyflow.web.core import Rag, humanise, phrase, rag
from workflows.spec import ANY_STATE, Process, Transition

PEOPLE_ROLES = ("parent", "child", "young_person", "carer")


def reference(process: Process, case_id: int) -> str:
    return f"{process.code}-{case_id:06d}"


def about(contacts: Iterable[Mapping[str, Any]]) -> str:
    """The family member a case is about (its first parent, child or carer)."""
    listed = list(contacts)
    for role in PEOPLE_ROLES:
        for contact in listed:
            if contact.get("role") == role and contact.get("name"):
                return str(contact["name"])
    return ""


def roles_on(process: Process, user: CurrentUser) -> set[str]:
    """The roles the engine will count for this person in this process: their account's
    role and the process roles it holds (being named on a case grants none)."""
    return set(process.roles_held_by(user.role))


@dataclass(frozen=True)
class Outcome:
    """Where one of a trigger's transitions takes the case from its current stage."""

    dest: str | None  # None: the case stays at its stage
    description: str
    rule: str


@dataclass(frozen=True)
class Action:
    trigger: str
    label: str
    description: str
    rule: str
    roles: tuple[str, ...]
    needs_data: bool
    # Each way the trigger can go from this stage, in the order the engine tries them
    # (the first whose guards pass wins): one outcome, or one per recorded answer.
    outcomes: tuple[Outcome, ...] = ()

    @property
    def who(self) -> str:
        return ", ".join(phrase(r) for r in self.roles)


def _applies(t: Transition, process: Process, state: str) -> bool:
    return state in t.source or (ANY_STATE in t.source and state not in process.final_states)


def _description(label: str, state: str, outcomes: list[Outcome]) -> str:
    """What the button does from this stage, in the transitions' own words."""
    if len({(o.dest, o.description) for o in outcomes}) == 1:
        only = outcomes[0]
        return only.description or (
            f"Moves the case to {phrase(only.dest)}" if only.dest else label
        )
    places = list(dict.fromkeys(phrase(o.dest or state) for o in outcomes))
    ends = places[0] if len(places) == 1 else f"{', '.join(places[:-1])} or {places[-1]}"
    return f"Moves the case to {ends}, depending on what you record"


def actions(process: Process, state: str) -> list[Action]:
    """Each trigger possible in this state once, described by the transitions that
    apply here (not by the trigger's transitions from other stages)."""
    seen: dict[str, list[Transition]] = {}
    for t in process.transitions:
        if _applies(t, process, state):
            seen.setdefault(t.trigger, []).append(t)
    found = []
    for trigger, options in seen.items():
        label = humanise(trigger)
        outcomes = [Outcome(dest=t.dest, description=t.description, rule=t.rule) for t in options]
        rules = list(dict.fromkeys(t.rule for t in options))
        roles = sorted({r for t in options for r in t.roles})
        found.append(
            Action(
                trigger=trigger,
                label=label,
                description=_description(label, state, outcomes),
                rule=", ".join(rules),
                roles=tuple(roles),
                needs_data=any(
                    t.data_model is not None and t.data_model.model_fields for t in options
                ),
                outcomes=tuple(outcomes) if len(outcomes) > 1 else (),
            )
        )
    return found


def split_actions(
    process: Process, state: str, roles: set[str]
) -> tuple[list[Action], list[Action]]:
    """(what this person may do, what needs someone else) in this state."""
    mine: list[Action] = []
    others: list[Action] = []
    for action in actions(process, state):
        (mine if roles & set(action.roles) else others).append(action)
    return mine, others


def transition(process: Process, trigger: str) -> Transition | None:
    found = process.transitions_for(trigger)
    if not found:
        return None
    with_data = [t for t in found if t.data_model is not None]
    return with_data[-1] if with_data else found[-1]


def note_kinds(process: Process) -> list[str]:
    kinds = ["general"]
    for timescale in process.timescales:
        for met in timescale.met_by:
            if met.startswith("note:") and met[5:] not in kinds:
                kinds.append(met[5:])
    return kinds


def note_meets_nothing(process: Process, kind: str, role: str) -> str | None:
    """What to tell someone whose note of this kind meets no timescale because
    oversight is a manager's act (PAR-06, EH-11.1); None when it counts."""
    if process.note_meets(kind, role):
        return None
    rules = sorted({t.rule for t in process.timescales if f"note:{kind}" in t.met_by})
    allowed = sorted(process.note_met_by_roles.get(kind, ()))
    who = " or ".join(phrase(r) for r in allowed)
    return (
        f"Case note added. It does not meet {', '.join(rules)}: a "
        f"{phrase(kind)} note counts only when a {who} writes it."
    )


@dataclass(frozen=True)
class WorkItem:
    deadline_id: int
    case_id: int
    reference: str
    process: str
    process_title: str
    state: str
    person: str
    timescale: str
    rule: str
    description: str
    due_at: datetime
    rag: Rag
    act_href: str
    act_label: str


def work_items(
    flow: FamilyFlow,
    rows: list[dict[str, Any]],
    cases: Mapping[int, CaseRow],
    now: datetime,
    *,
    role: str | None = None,
) -> list[WorkItem]:
    """Each unmet timescale with the action that meets it: the first way this person's
    role can (a trigger possible now, or a note their role's note counts for); "Open
    the case" when there is none (an admin's overview)."""
    items = []
    for row in rows:
        process = flow.services.processes.get(row["process"])
        case = cases.get(row["case_id"])
        if process is None or case is None:
            continue
        try:
            timescale = process.timescale(row["timescale"])
        except (KeyError, ValueError):
            continue
        href, label = f"/cases/{case.id}", "Open the case"
        possible = {a.trigger for a in actions(process, case.state)}
        for met in timescale.met_by:
            if role is not None and not can_meet(process, timescale, met, role):
                continue
            if met.startswith("note:"):
                href = f"/cases/{case.id}?note_kind={met[5:]}#add-note"
                label = f"Add a {phrase(met[5:])} note"
                break
            if met in possible:
                href, label = f"/cases/{case.id}/act/{met}", humanise(met)
                break
        items.append(
            WorkItem(
                deadline_id=row["id"],
                case_id=case.id,
                reference=reference(process, case.id),
                process=process.name,
                process_title=process.title,
                state=case.state,
                person=about(case.contacts),
                timescale=timescale.key,
                rule=timescale.rule,
                description=timescale.description,
                due_at=row["due_at"],
                rag=rag(started_at=row["started_at"], due_at=row["due_at"], now=now),
                act_href=href,
                act_label=label,
            )
        )
    return items
