"""An agenda run loads only the cases it can list (issue 11: a county's year ran the early
help screening list over every open case each morning): when every section names its
states, those states; when one takes a case in any state, every open case."""

from __future__ import annotations

from engine.agendas import _states
from workflows import all_processes
from workflows.spec import AgendaSection


def test_the_screening_list_loads_only_the_states_its_sections_list() -> None:
    screening = next(
        a for a in all_processes()["early_help"].agendas if a.key == "early_help_screening"
    )
    assert _states(screening) == sorted(
        {state for section in screening.sections for state in section.state_in}
    )
    assert "allocated" not in (_states(screening) or [])


def test_an_agenda_with_a_section_for_any_state_loads_every_open_case() -> None:
    screening = next(
        a for a in all_processes()["early_help"].agendas if a.key == "early_help_screening"
    )
    anything = AgendaSection(key="all", title="Everything", where=lambda case: True)
    assert _states(screening.__class__(**{**vars(screening), "sections": (anything,)})) is None
