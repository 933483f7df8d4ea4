"""One `transitions` Machine per process, built once; cases attach as plain objects.

The Machine decides whether a trigger may move a case and where to; the
process definition's guards are its conditions. What the move *means*
(messages, deadlines, notes) is worked out afterwards by engine.cases.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

from transitions import EventData, Machine, MachineError

from engine.errors import GuardFailed, TriggerNotAllowed, UnknownTrigger
from workflows.spec import ANY_STATE, CaseView, Guard, Process, Transition


class CaseModel:
    """The plain domain object a Machine drives: a case's state and nothing else."""

    def __init__(self, view: CaseView) -> None:
        self.load(view)

    def load(self, view: CaseView) -> None:
        self.view = view
        self.state = view.state
        self.applied: Transition | None = None
        self.refusals: list[str] = []

    def copy(self) -> CaseModel:
        moved = CaseModel(self.view)
        moved.state, moved.applied, moved.refusals = self.state, self.applied, list(self.refusals)
        return moved


def _condition(guard: Guard) -> Any:
    def check(event: EventData) -> bool:
        model = cast(CaseModel, event.model)
        reason = guard(model.view, event.kwargs["data"])
        if reason is not None:
            model.refusals.append(reason)
        return reason is None

    return check


def _applied(spec: Transition) -> Any:
    def record(event: EventData) -> None:
        cast(CaseModel, event.model).applied = spec

    return record


class ProcessMachine:
    def __init__(self, process: Process) -> None:
        self.process = process
        open_states = [s for s in process.states if s not in process.final_states]
        self._lock = threading.Lock()
        self.machine = Machine(
            model=[],
            states=list(process.states),
            initial=process.initial,
            transitions=[
                {
                    "trigger": spec.trigger,
                    "source": open_states if ANY_STATE in spec.source else list(spec.source),
                    "dest": spec.dest,
                    "conditions": [_condition(g) for g in spec.guards],
                    "before": [_applied(spec)],
                }
                for spec in process.transitions
            ],
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )
        # One model stays attached: the case in hand is loaded into it under the lock,
        # because attaching and detaching a model per event costs more than the event.
        self._in_hand = CaseModel(
            CaseView(
                case_id=0,
                process=process.name,
                state=process.initial,
                data={},
                contacts={},
                received_at=datetime.now(UTC),
            )
        )
        self.machine.add_model(self._in_hand, initial=process.initial)

    def fire(self, view: CaseView, trigger: str, data: Mapping[str, Any]) -> CaseModel:
        """Move a copy of the case; raise if the trigger may not fire from here."""
        if trigger not in self.process.triggers:
            raise UnknownTrigger(
                trigger=trigger, process=self.process.name, known=", ".join(self.process.triggers)
            )
        with self._lock:
            self._in_hand.load(view)
            self.machine.set_state(view.state, model=self._in_hand)
            try:
                moved = cast(Any, self._in_hand).trigger(trigger, data=data)
            except MachineError:
                moved = None
            model = self._in_hand.copy()
        if moved is None:
            raise TriggerNotAllowed(
                trigger=trigger,
                state=view.state,
                allowed=", ".join(self.allowed(view.state)) or "none",
            )
        if not moved:
            # Several transitions may share a trigger; the last one tried is the general case.
            raise GuardFailed(trigger=trigger, reason=model.refusals[-1])
        return model

    def allowed(self, state: str) -> list[str]:
        return list(self.process.allowed_triggers(state))
