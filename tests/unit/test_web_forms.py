"""The web forms (issue 10): every trigger's form is made of GOV.UK controls, never JSON;
dates are read as people in the UK type and paste them; a form's mistakes are all found
at once and worded for people, with no field names."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from starlette.datastructures import FormData

from familyflow.web import dates, forms
from familyflow.web.core import humanise, phrase
from workflows import all_processes
from workflows.edge_of_care import PlanningMeeting
from workflows.joint_under5_assessment import JointVisit
from workflows.referrals import REFERRAL_MODELS, Referral
from workflows.signs_of_safety import SignsOfSafety

KINDS = {
    "text", "textarea", "number", "yesno", "radios", "select", "checkboxes", "date",
    "datetime", "scale", "contact", "group", "rows", "columns",
}  # fmt: skip


def test_no_trigger_of_any_process_asks_for_json_or_an_unknown_kind_of_field() -> None:
    processes = all_processes()
    assert len(processes) == 9
    for process in processes.values():
        for transition in process.transitions:
            for f in forms.walk(forms.fields_for(transition.data_model)):
                assert f.kind in KINDS, (process.name, transition.trigger, f.name, f.kind)
                assert f.kind != "json"
    for model in [Referral, *REFERRAL_MODELS.values()]:
        assert all(f.kind in KINDS for f in forms.walk(forms.fields_for(model)))


# Abbreviations a code name may carry; only these acronyms may show, in capitals.
ABBREVIATIONS = {"sw", "tm", "bs", "hv", "eh", "sos", "s17", "s47", "maam", "iro", "eha", "cypa"}
ACRONYMS = {"MAAM", "IRO", "EHA", "CYPA", "DART"}


def _abbreviated(text: str) -> list[str]:
    words = re.findall(r"[A-Za-z0-9]+", text)
    return [w for w in words if w.lower() in ABBREVIATIONS and w not in ACRONYMS]


def _everything_a_form_says() -> list[tuple[str, str, str]]:
    """(process, trigger, text) for every action's name and every label and choice on
    its form, nested fields included."""
    said = []
    for process in all_processes().values():
        for transition in process.transitions:
            name = transition.trigger
            said.append((process.name, name, humanise(name)))
            for f in forms.walk(forms.fields_for(transition.data_model)):
                said += [
                    (process.name, name, text) for text in (f.label, *dict(f.options).values())
                ]
    return said


def test_no_action_label_or_choice_on_any_form_shows_a_bare_abbreviation() -> None:
    said = _everything_a_form_says()
    assert len({(p, t) for p, t, _ in said}) > 100  # every trigger of the nine processes
    assert [(p, t, text) for p, t, text in said if _abbreviated(text)] == []
    assert [(p, t, text) for p, t, text in said if "_" in text] == []


def test_a_code_name_reads_as_words_with_its_abbreviations_spelt_out() -> None:
    assert humanise("sw_agrees") == "Social worker agrees"
    assert humanise("awaiting_maam") == "Awaiting MAAM"
    assert humanise("record_managers_decision") == "Record manager's decision"
    assert humanise("record_childrens_views") == "Record children's views"
    # Text that is already words keeps its own: here "managers" is a plural.
    assert humanise("team leaders or managers") == "Team leaders or managers"
    # Inside a sentence: lower case, but an acronym keeps its capitals.
    assert (phrase("awaiting_maam"), phrase("iro"), phrase("team_manager")) == (
        "awaiting MAAM",
        "IRO",
        "team manager",
    )


def test_signs_of_safety_is_three_columns_and_a_scale_per_judge() -> None:
    fields = forms.fields_for(SignsOfSafety)
    columns = next(f for f in fields if f.kind == "columns")
    assert [c.label for c in columns.children] == [
        "What are we worried about?",
        "What is working well?",
        "What needs to happen?",
    ]
    scales = next(f for f in fields if f.name == "scales")
    assert (scales.kind, scales.item) == ("rows", "judge")
    score = next(c for c in scales.children if c.name == "score")
    assert score.kind == "scale"
    assert [v for v, _ in score.options] == [str(n) for n in range(11)]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (dates.Typed("5", "1", "2027"), date(2027, 1, 5)),
        (dates.Typed("05", "01", "2027"), date(2027, 1, 5)),
        (dates.Typed("5/1/2027"), date(2027, 1, 5)),
        (dates.Typed("05/01/2027"), date(2027, 1, 5)),
        (dates.Typed("5 January 2027"), date(2027, 1, 5)),
        (dates.Typed("5 Jan 2027"), date(2027, 1, 5)),
        (dates.Typed("2027-01-05"), date(2027, 1, 5)),
    ],
)
def test_a_date_is_read_day_first_whether_typed_in_three_boxes_or_pasted(
    typed: dates.Typed, expected: date
) -> None:
    assert dates.read(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (dates.Typed("5", "1", "2027", "10:00"), datetime(2027, 1, 5, 10, 0)),
        (dates.Typed("5", "1", "2027", "2:15pm"), datetime(2027, 1, 5, 14, 15)),
        (dates.Typed("5", "1", "2027", "9am"), datetime(2027, 1, 5, 9, 0)),
        (dates.Typed("5", "1", "2027", "12am"), datetime(2027, 1, 5, 0, 0)),
        (dates.Typed("05/01/2027 10:00"), datetime(2027, 1, 5, 10, 0)),
        (dates.Typed("05/01/2027", time="10.30"), datetime(2027, 1, 5, 10, 30)),
    ],
)
def test_a_date_and_time_is_read_from_what_people_type_and_paste(
    typed: dates.Typed, expected: datetime
) -> None:
    assert dates.read(typed, with_time=True) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (dates.Typed("31", "2", "2027"), "Date must be a real date"),
        (dates.Typed("31/02/2027"), "Date must be a real date"),
        (dates.Typed("5", "13", "2027"), "Date must be a real date"),
        (dates.Typed("next Tuesday-ish"), "Date must be a real date"),
        (dates.Typed(), "Enter the date"),
        (dates.Typed("5", "", "2027"), "Date must include a month"),
        (dates.Typed("5", "", ""), "Date must include a month and year"),
        (dates.Typed("5", "1", "27"), "Year must include 4 numbers"),
    ],
)
def test_an_impossible_or_incomplete_date_is_refused_in_plain_words(
    typed: dates.Typed, message: str
) -> None:
    with pytest.raises(dates.DateProblem) as refused:
        dates.read(typed)
    assert str(refused.value).startswith(message)


def test_a_moment_needs_its_time_and_a_real_one() -> None:
    with pytest.raises(dates.DateProblem, match="Date must include a time"):
        dates.read(dates.Typed("5", "1", "2027"), with_time=True)
    with pytest.raises(dates.DateProblem, match="Time must be a real time"):
        dates.read(dates.Typed("5", "1", "2027", "25:00"), with_time=True)
    with pytest.raises(dates.DateProblem, match="Enter the date the referral was received"):
        dates.read(dates.Typed(), enter="the date the referral was received", with_time=True)


def test_stored_values_fill_the_boxes_as_people_read_them() -> None:
    assert dates.split("2027-01-05T10:00") == dates.Typed("5", "1", "2027", "10:00")
    assert dates.split("2027-04-30") == dates.Typed("30", "4", "2027", "")


def _form(pairs: list[tuple[str, str]]) -> FormData:
    return FormData(pairs)


def test_every_mistake_on_a_form_is_found_at_once_in_plain_english() -> None:
    """A planning meeting with no staff, an objective with no text and a score of 11, an
    impossible review date and no yes/no answers: five messages, none naming a field."""
    fields = forms.fields_for(PlanningMeeting)
    form = _form(
        [
            ("data.staff_present.count", "1"),
            ("data.staff_present.0", ""),
            ("data.objectives.count", "1"),
            ("data.objectives.0.objective", ""),
            ("data.objectives.0.sw_score", "11"),
            ("data.review_date.day", "31"),
            ("data.review_date.month", "2"),
            ("data.review_date.year", "2027"),
        ]
    )
    reader = forms.read(fields, form)
    forms.validate(PlanningMeeting, fields, reader, reader.data)
    assert reader.errors == {
        "data.review_date": "Review date must be a real date",
        "data.staff_present": "Enter the staff present",
        "data.objectives.0.objective": "Enter the objective",
        "data.objectives.0.sw_score": "Social worker score must be between 0 and 10",
        "data.signed_by_officer": "Select yes or no for signed by officer",
        "data.signed_by_social_worker": "Select yes or no for signed by social worker",
    }
    summary = forms.summary(reader)
    assert len(summary) == 6
    assert all("_" not in e["text"] and "data." not in e["text"] for e in summary)
    # In the order the form asks (staff, objectives, review date), each linking to its box.
    assert [e["field"] for e in summary[:4]] == [
        "data.staff_present",
        "data.objectives.0.objective",
        "data.objectives.0.sw_score",
        "data.review_date",
    ]
    assert summary[3] == {
        "text": "Review date must be a real date",
        "href": "#data-review-date-day",
        "field": "data.review_date",
    }


def test_rows_of_a_list_are_read_skipping_blank_ones_and_errors_point_at_the_row() -> None:
    fields = forms.fields_for(PlanningMeeting)
    form = _form(
        [
            ("data.staff_present.count", "3"),
            ("data.staff_present.0", "Siân Jones"),
            ("data.staff_present.1", ""),
            ("data.staff_present.2", "Zoë O\u2019Brien"),
            ("data.objectives.count", "2"),
            ("data.objectives.0.objective", ""),
            ("data.objectives.1.objective", "School every day"),
            ("data.objectives.1.sw_score", ""),
            ("data.review_date.day", "30/4/2027"),
            ("data.signed_by_officer", "yes"),
            ("data.signed_by_social_worker", "no"),
        ]
    )
    reader = forms.read(fields, form)
    assert reader.data["staff_present"] == ["Siân Jones", "Zoë O\u2019Brien"]
    assert reader.data["review_date"] == "2027-04-30"
    forms.validate(PlanningMeeting, fields, reader, reader.data)
    # The blank first objective is left out; the second's missing score is at its row.
    assert reader.errors == {"data.objectives.1.sw_score": "Select the social worker score"}


def test_a_nested_signs_of_safety_is_read_from_its_group() -> None:
    fields = forms.fields_for(JointVisit)
    form = _form(
        [
            ("data.purpose_explained", "yes"),
            ("data.consent_obtained", "yes"),
            ("data.genogram_completed", "no"),
            ("data.signs_of_safety.worried", "Bruising"),
            ("data.signs_of_safety.working_well", "Nan helps"),
            ("data.signs_of_safety.needs_to_happen", "Daily checks"),
            ("data.signs_of_safety.scales.count", "1"),
            ("data.signs_of_safety.scales.0.judge", "Łukasz"),
            ("data.signs_of_safety.scales.0.role", "social worker"),
            ("data.signs_of_safety.scales.0.score", "6"),
        ]
    )
    reader = forms.read(fields, form)
    forms.validate(JointVisit, fields, reader, reader.data)
    assert reader.errors == {}
    assert reader.data["signs_of_safety"]["scales"] == [
        {"judge": "Łukasz", "role": "social worker", "score": 6}
    ]


def test_a_contact_picked_from_the_team_is_that_person() -> None:
    from workflows.parenting import AllocateWorker

    fields = forms.fields_for(AllocateWorker)
    people = {"kim.lee@example.org": {"name": "Kim Lee", "email": "kim.lee@example.org"}}
    reader = forms.read(fields, _form([("data.worker.pick", "kim.lee@example.org")]), people=people)
    assert reader.data == {"worker": {"name": "Kim Lee", "email": "kim.lee@example.org"}}
    reader = forms.read(fields, _form([("data.worker.email", "not-an-email")]))
    forms.validate(AllocateWorker, fields, reader, reader.data)
    assert reader.errors == {
        "data.worker.name": "Enter the person's name",
        "data.worker.email": "Enter an email address in the correct format, like name@example.com",
    }


def test_add_another_shows_one_more_row() -> None:
    fields = forms.fields_for(PlanningMeeting)
    shown = forms.add_another(
        fields, _form([("add_another", "data.objectives"), ("data.objectives.count", "1")])
    )
    assert shown is not None and shown["data.objectives.count"] == "2"
