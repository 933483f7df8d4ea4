"""Issue 10: a caseworker does the day's work in the browser without help. For each
process, business support records a referral with the date input (a date typed into
the day, month and year boxes, or pasted whole), the team manager allocates from the
team picker, and the work is recorded stage by stage to closure: no JSON, no ISO.

One server and one browser for the module (the demo team, a clock standing at Monday
1 March 2027 10:00); each process's journey works on its own new case."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.e2e.browser.conftest import PASSWORDS
from tests.e2e.browser.server import LiveServer, start

BS, WORKER, SW, TM = (
    "bs@example.org",
    "kim.lee@example.org",
    "sam.jones@example.org",
    "ade.bello@example.org",
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start(Path(tmp_path_factory.mktemp("casework")))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def people(browser: Browser, live: LiveServer) -> Iterator[Callable[[str], Page]]:
    """A signed-in page per person, kept for the module (their own cookies)."""
    contexts: dict[str, BrowserContext] = {}
    pages: dict[str, Page] = {}

    def person(email: str) -> Page:
        if email not in pages:
            contexts[email] = browser.new_context(
                base_url=live.url, viewport={"width": 1200, "height": 900}
            )
            page = contexts[email].new_page()
            page.goto("/")
            page.get_by_label("Email address").fill(email)
            page.get_by_label("Password", exact=True).fill(PASSWORDS[email])
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="My work")).to_be_visible()
            pages[email] = page
        return pages[email]

    yield person
    for context in contexts.values():
        context.close()


def date_in(page: Page | Locator, legend: str, day: str, month: str = "", year: str = "",
            time: str | None = None) -> None:  # fmt: skip
    """Type into a GOV.UK date input found by its legend (a whole date may go in Day)."""
    group = page.get_by_role("group", name=legend, exact=False).first
    group.get_by_label("Day", exact=True).fill(day)
    group.get_by_label("Month", exact=True).fill(month)
    group.get_by_label("Year", exact=True).fill(year)
    if time is not None:
        group.get_by_label("Time", exact=True).fill(time)


def refer(page: Page, process: str, *, name: str, reason: str, extra: Callable[[Page], None]
          | None = None, pasted: bool = False) -> str:  # fmt: skip
    """Business support records a referral; returns the case page's path."""
    page.goto(f"/cases/new/{process}")
    expect(page.get_by_role("heading", name="Record a referral")).to_be_visible()
    if pasted:
        date_in(page, "When was the referral received?", "05/01/2027 10:00", "", "", "")
    else:
        date_in(page, "When was the referral received?", "5", "1", "2027", "10:00")
    label = (
        "Child's name"
        if process in ("home_visits", "joint_under5_assessment")
        else ("Child or family name")
    )
    page.get_by_label(label).fill(name)
    if process == "internal_referral":
        page.get_by_label("Why the group would help").fill(reason)
    else:
        page.get_by_label("Reason for the referral").fill(reason)
    if extra:
        extra(page)
    page.get_by_role("button", name="Record the referral").click()
    page.wait_for_load_state()
    problems = page.locator(".govuk-error-summary li").all_inner_texts()
    assert problems == [], f"referral: {problems}"
    expect(page.get_by_text("Referral recorded")).to_be_visible()
    return page.url.removeprefix(page.url.split("/cases/")[0])


def pick(page: Page, role_label: str, person: str) -> None:
    """Choose someone of the team in a referral's contact picker."""
    select = page.get_by_label(f"{role_label}: someone in the team", exact=True)
    select.select_option(label=next(
        o for o in select.locator("option").all_inner_texts() if o.startswith(person)
    ))  # fmt: skip


def act(page: Page, case: str, trigger: str, fill: Callable[[Page], None] | None = None,
        *, state: str | None = None, button: str | None = None) -> None:  # fmt: skip
    """Open the action's form from its link, fill it, submit, and see the new state."""
    page.goto(f"{case}/act/{trigger}")
    name = button or trigger.replace("_", " ").capitalize()
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    expect(page.locator("textarea").filter(has_text="{")).to_have_count(0)  # no JSON
    if fill:
        fill(page)
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state()
    problems = page.locator(".govuk-error-summary li").all_inner_texts()
    assert problems == [], f"{trigger}: {problems}"
    if state is not None:
        expect(page.locator("#case-state")).to_have_text(state)


def choose(page: Page | Locator, legend: str, option: str) -> None:
    page.get_by_role("group", name=legend, exact=False).first.get_by_label(
        option, exact=True
    ).check()


def yes(page: Page | Locator, *legends: str) -> None:
    for legend in legends:
        choose(page, legend, "Yes")


def no(page: Page | Locator, *legends: str) -> None:
    for legend in legends:
        choose(page, legend, "No")


def picker(page: Page | Locator, legend: str, person: str) -> str:
    """Pick a person in an action's contact picker; returns the option's text."""
    select = page.get_by_role("group", name=legend, exact=False).first.get_by_label(
        "Someone in the team"
    )
    text = next(o for o in select.locator("option").all_inner_texts() if o.startswith(person))
    select.select_option(label=text)
    return text


# -- parenting ---------------------------------------------------------------------------


def test_parenting_from_referral_to_completion_in_the_browser(
    people: Callable[[str], Page],
) -> None:
    bs, tm, worker = people(BS), people(TM), people(WORKER)

    def contacts(page: Page) -> None:
        page.get_by_label("Parent: name").fill("Siân Jones")
        page.get_by_label("Parent: mobile number").fill("07700 900 321")
        pick(page, "Social worker", "Sam Jones")
        pick(page, "Team manager", "Ade Bello")
        pick(page, "Business support", "Business Support")

    case = refer(bs, "parenting", name="Jones family", reason="Support after a move",
                 extra=contacts, pasted=True)  # fmt: skip
    expect(bs.locator("#case-state")).to_have_text("Referred")
    expect(bs.locator("#timeline")).to_contain_text("Tue 5 Jan 2027, 10:00")

    def venue(page: Page) -> None:
        page.get_by_label("Venue (optional)").fill("Riverside Family Centre")
        date_in(page, "When did this happen?", "25", "2", "2027", "9:30am")

    act(tm, case, "request_confirmation", venue, state="Awaiting confirmation")
    expect(tm.locator("#timeline")).to_contain_text("Thu 25 Feb 2027, 09:30")
    act(bs, case, "confirm_attendance", state="Awaiting session choice")

    def sessions(page: Page) -> None:
        for n in ("1", "2", "3"):
            page.get_by_role("group", name="Sessions").get_by_label(n, exact=True).check()

    act(bs, case, "choose_sessions", sessions, state="Awaiting allocation")

    def allocate(page: Page) -> None:
        chosen = picker(page, "Worker", "Kim Lee")
        assert re.search(r"Kim Lee \(worker\): \d+ of 10 cases, part time", chosen), chosen

    act(tm, case, "allocate_worker", allocate, state="Planning")
    expect(tm.locator("#deadlines")).to_contain_text("PAR-")
    act(worker, case, "hold_planning_meeting", state="Planned")

    def register(page: Page) -> None:
        page.get_by_label("Venue", exact=True).fill("Riverside Family Centre")
        date_in(page, "Session 1", "22", "2", "2027", "10:00")
        page.get_by_role("button", name="Add another session").click()
        date_in(page, "Session 2", "1/3/2027 9:00")

    act(worker, case, "register", register, state="Attending")

    def attended(page: Page) -> None:
        date_in(page, "Session", "22", "2", "2027", "10:00")
        yes(page, "Attended")

    act(worker, case, "record_session", attended, state="Attending")
    act(worker, case, "complete", state="Completed")


# -- all of a form's mistakes at once ----------------------------------------------------


def test_a_form_with_several_mistakes_shows_every_error_at_once_in_plain_english(
    people: Callable[[str], Page],
) -> None:
    bs = people(BS)
    bs.goto("/cases/new/home_visits")
    date_in(bs, "When was the referral received?", "31", "2", "2027", "10:00")
    date_in(bs, "Child's date of birth", "5", "", "2024")
    bs.get_by_label("Social worker: email address").fill("sam.jones-at-example.org")
    bs.get_by_role("button", name="Record the referral").click()
    summary = bs.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    messages = summary.locator("li").all_inner_texts()
    assert messages == [
        "The date the referral was received must be a real date",
        "Enter the child's name",
        "Enter the reason for the referral",
        "Child's date of birth must include a month",
        "Enter the social worker's name",
        "Enter an email address in the correct format, like name@example.com",
    ]
    for text in messages:
        assert "_" not in text and "data." not in text
    # Each message is at its field too, linked for screen readers.
    expect(bs.locator("#received-at")).to_have_attribute(
        "aria-describedby", "received-at-hint received-at-error"
    )
    expect(bs.locator("#data-child-name")).to_have_attribute(
        "aria-describedby", "data-child-name-error"
    )
    # What was typed is still there.
    expect(bs.get_by_label("Social worker: email address")).to_have_value(
        "sam.jones-at-example.org"
    )
    summary.get_by_role("link", name="Enter the child's name").click()
    expect(bs.locator("#data-child-name")).to_be_focused()


# -- family therapy ------------------------------------------------------------------------


def test_family_therapy_from_panel_to_agreed_closure_in_the_browser(
    people: Callable[[str], Page],
) -> None:
    bs, tm = people(BS), people(TM)

    def contacts(page: Page) -> None:
        pick(page, "Social worker", "Sam Jones")
        pick(page, "Team manager", "Ade Bello")
        pick(page, "Business support", "Business Support")
        page.get_by_label("Parent: name").fill("Zoë O\u2019Brien")

    case = refer(bs, "family_therapy", name="O\u2019Brien family", reason="Conflict at home",
                 extra=contacts)  # fmt: skip
    expect(bs.locator("#case-state")).to_have_text("Awaiting panel")
    act(bs, case, "panel_accept", state="Waiting list")

    def assessment_only(page: Page) -> None:
        picker(page, "Therapist", "Sam Jones")
        choose(page, "Allocated for", "Initial assessment only")

    act(tm, case, "allocate", assessment_only, state="Initial assessment")

    def recommended(page: Page) -> None:
        choose(page, "Outcome", "Therapy recommended")
        page.get_by_label("Summary").fill("Therapy would help the family talk")
        page.get_by_label("Family feedback").fill("Told the family on the phone")

    act(tm, case, "record_initial_assessment", recommended, state="Waiting list")

    def full_case(page: Page) -> None:
        picker(page, "Therapist", "Sam Jones")
        choose(page, "Allocated for", "Full case")

    act(tm, case, "allocate", full_case, state="Planning")

    def goals(page: Page) -> None:
        page.get_by_label("Goal 1").fill("Fewer arguments at bedtime")
        page.get_by_role("button", name="Add another goal").click()
        page.get_by_label("Goal 2").fill("Łukasz goes to school every day")

    act(tm, case, "hold_planning_meeting", goals, state="In therapy")

    def closure(page: Page) -> None:
        page.get_by_label("Summary", exact=True).fill("Goals met")
        page.get_by_label("Agreed with 1").fill("Zoë O\u2019Brien")

    act(tm, case, "agree_closure", closure, state="Closed")


# -- home visits ---------------------------------------------------------------------------


def test_home_visits_from_referral_to_closure_in_the_browser(
    people: Callable[[str], Page],
) -> None:
    bs, sw = people(BS), people(SW)

    def child(page: Page) -> None:
        date_in(page, "Child's date of birth", "5", "1", "2020")
        pick(page, "Social worker", "Sam Jones")
        pick(page, "Manager", "Ade Bello")

    case = refer(bs, "home_visits", name="Siân Jones", reason="Child in need plan", extra=child)
    expect(bs.locator("#case-state")).to_have_text("Awaiting initial visit")
    expect(bs.locator("#deadlines")).to_contain_text("VIS-01")

    def visit(page: Page) -> None:
        page.get_by_label("Purpose").fill("Initial visit")
        page.get_by_label("Present 1").fill("Siân Jones and her mother")
        page.get_by_label("Discussion with parent").fill("Routines")
        page.get_by_label("Discussion with child").fill("School")
        yes(page, "Seen alone", "Seen awake")
        page.get_by_label("Observation").fill("Warm home")
        page.get_by_label("Analysis").fill("Needs met")
        page.get_by_label("Actions").fill("Visit in three weeks")
        date_in(page, "When did this happen?", "26/2/2027 14:00")

    act(sw, case, "record_visit", visit, state="Visiting")
    expect(sw.locator("#deadlines")).to_contain_text("VIS-02")

    def close(page: Page) -> None:
        page.get_by_label("Reason").fill("Plan ended")

    act(sw, case, "close", close, state="Closed")


# -- joint under-5 assessment ----------------------------------------------------------------


def test_joint_under5_assessment_from_referral_to_no_further_action_in_the_browser(
    people: Callable[[str], Page],
) -> None:
    bs, sw = people(BS), people(SW)

    def child(page: Page) -> None:
        date_in(page, "Child's date of birth", "1", "6", "2025")
        pick(page, "Social worker", "Sam Jones")
        pick(page, "Team manager", "Ade Bello")
        page.get_by_label("Health visitor: name").fill("Łukasz Nowak")
        page.get_by_label("Health visitor: email address").fill("lukasz.nowak@example.org")

    case = refer(bs, "joint_under5_assessment", name="Ada Nowak", reason="MASH referral",
                 extra=child)  # fmt: skip
    expect(bs.locator("#case-state")).to_have_text("Referral received")

    def health(page: Page) -> None:
        choose(page, "Why this health professional", "Known to the family")
        page.get_by_label("Overview").fill("Concerns about feeding")
        yes(page, "Family told", "Records reviewed")

    act(sw, case, "contact_health", health, state="Arranging visit")

    def plan(page: Page) -> None:
        date_in(page, "Visit at", "1", "3", "2027", "9:00")
        yes(page, "Family confirmed", "Pre-meeting held", "Vulnerable child alert set")
        no(page, "Social worker knows family")
        yes(page, "Health knows family")

    act(sw, case, "plan_visit", plan, state="Visit planned")

    def visit(page: Page) -> None:
        yes(page, "Purpose explained", "Consent obtained", "Genogram completed")
        page.get_by_label("What are we worried about?").fill("Weight loss")
        page.get_by_label("What is working well?").fill("Grandmother helps")
        page.get_by_label("What needs to happen?").fill("Weekly weighing")
        page.get_by_label("Judge").fill("Sam Jones")
        page.get_by_label("Role").fill("social worker")
        page.get_by_role("group", name="Score").get_by_label("7", exact=True).check()
        no(page, "Immediate safety concerns")

    act(sw, case, "record_joint_visit", visit, state="Debrief due")

    def debrief(page: Page) -> None:
        page.get_by_label("Analysis").fill("Feeding support needed")
        page.get_by_label("Action", exact=True).fill("Weigh weekly")
        choose(page, "Who", "Health visitor")
        date_in(page, "By", "8", "3", "2027")
        page.get_by_label("Information sharing").fill("Weekly call")
        no(page, "Neglect concerns")

    act(sw, case, "record_debrief", debrief, state="Outcome pending")

    def nfa(page: Page) -> None:
        yes(page, "Family informed", "Assessment shared with family")
        yes(page, "Shared jointly with health", "Professionals informed")

    act(sw, case, "no_further_action", nfa, state="No further action")


# -- early help ------------------------------------------------------------------------------


def test_early_help_from_a_dart_contact_to_signed_off_closure_in_the_browser(
    people: Callable[[str], Page],
) -> None:
    bs, tm, worker = people(BS), people(TM), people(WORKER)

    def contact(page: Page) -> None:
        choose(page, "Type of contact", "DART")
        pick(page, "Duty worker", "Business Support")
        pick(page, "Manager", "Ade Bello")

    case = refer(bs, "early_help", name="Nowak family", reason="Attendance", extra=contact)
    expect(bs.locator("#case-state")).to_have_text("Received")

    def screen(page: Page) -> None:
        choose(page, "Outcome", "Allocate: stepped down to Early Help")
        page.get_by_label("Rationale").fill("Early help fits")

    act(bs, case, "screen", screen, state="Awaiting allocation")

    def allocate(page: Page) -> None:
        chosen = picker(page, "Worker", "Kim Lee")
        assert re.search(r"of 10 cases, part time", chosen), chosen

    act(tm, case, "allocate", allocate, state="Allocated")
    expect(tm.locator("#deadlines")).to_contain_text("EH-")

    def called(page: Page) -> None:
        choose(page, "Method", "Phone")

    act(worker, case, "record_initial_contact", called, state="Contacted")

    def seen(page: Page) -> None:
        yes(page, "Child seen", "Child spoken to")

    act(worker, case, "record_first_visit", seen, state="Assessing")

    def assessment(page: Page) -> None:
        page.get_by_label("Voice of child").fill("Wants to see friends")

    act(worker, case, "complete_assessment", assessment, state="Assessing")

    def plan(page: Page) -> None:
        for label in ("Outcomes", "Actions", "Evaluation", "Responsibilities", "Timeframes",
                      "Contingency", "Voice of child"):  # fmt: skip
            page.get_by_label(label, exact=True).fill(f"{label} agreed")

    act(worker, case, "complete_plan", plan, state="Plan in place")

    def direct_work(page: Page) -> None:
        page.get_by_label("Summary").fill("Talked about friendships")

    act(worker, case, "record_direct_work", direct_work, state="Plan in place")

    def closing(page: Page) -> None:
        page.get_by_label("Reason").fill("Outcomes met")
        yes(page, "Records up to date", "Documents uploaded", "Plan actions completed",
            "Supervisor tasks completed")  # fmt: skip
        page.get_by_label("Closure summary").fill("Attendance is good")
        page.get_by_label("Voice of child").fill("Happier")

    act(worker, case, "request_closure", closing, state="Closure requested")

    def sign_off(page: Page) -> None:
        date_in(page, "End date", "1", "3", "2027")
        page.get_by_label("Manager's decision").fill("Close: outcomes met")

    act(tm, case, "sign_off_closure", sign_off, state="Closed")


# -- statutory assessment ------------------------------------------------------------------


def signs_of_safety(page: Page, *, judge: str, role: str, score: str) -> None:
    page.get_by_label("What are we worried about?").fill("Hunger")
    page.get_by_label("What is working well?").fill("School")
    page.get_by_label("What needs to happen?").fill("Food bank")
    page.get_by_label("Judge").fill(judge)
    page.get_by_label("Role").fill(role)
    page.get_by_role("group", name="Score").get_by_label(score, exact=True).check()


def test_statutory_assessment_from_allocation_to_completion_with_the_lead_practitioner(
    people: Callable[[str], Page],
) -> None:
    bs, tm, sw = people(BS), people(TM), people(SW)

    def contacts(page: Page) -> None:
        page.get_by_label("Parent: name").fill("Siân Jones")
        pick(page, "Team manager", "Ade Bello")

    case = refer(bs, "statutory_assessment", name="Jones family", reason="Neglect concerns",
                 extra=contacts)  # fmt: skip
    expect(bs.locator("#case-state")).to_have_text("Awaiting allocation")

    def allocate(page: Page) -> None:
        picker(page, "Lead practitioner", "Sam Jones")
        yes(page, "Lead is qualified social worker", "Manager is qualified social worker")
        picker(page, "Team manager", "Ade Bello")
        choose(page, "Section", "Section 17 (child in need)")
        choose(page, "Level", "Additional")

    act(tm, case, "allocate", allocate, state="Planning")
    expect(tm.locator("#deadlines")).to_contain_text("SA-03")

    def planning(page: Page) -> None:
        page.get_by_label("Reason for referral").fill("School concerns")
        page.get_by_label("Known needs").fill("Housing")
        page.get_by_label("Danger statement (optional)").fill("Left alone at night")

    # The social worker is the lead practitioner (SA-02), so plans and assesses.
    act(sw, case, "hold_planning_discussion", planning, state="Assessing")

    def sos(page: Page) -> None:
        signs_of_safety(page, judge="Sam Jones", role="social worker", score="5")
        page.get_by_role("button", name="Add another judge").click()
        rows = page.locator("[data-ff-row]")
        expect(rows).to_have_count(2)
        rows.nth(1).get_by_label("Judge").fill("Siân Jones")
        rows.nth(1).get_by_label("Role").fill("parent")
        rows.nth(1).get_by_role("group", name="Score").get_by_label("8", exact=True).check()

    act(sw, case, "record_signs_of_safety", sos, state="Assessing")
    expect(sw.locator("body")).to_contain_text("Siân Jones: 8")

    def review(page: Page) -> None:
        signs_of_safety(page, judge="Ade Bello", role="team manager", score="6")
        choose(page, "Level", "Additional")
        choose(page, "SA-06", "Stay")

    act(tm, case, "hold_review_discussion", review, state="Assessing")

    def submit(page: Page) -> None:
        signs_of_safety(page, judge="Sam Jones", role="social worker", score="7")
        page.get_by_label("Next steps").fill("Weekly food bank visits")
        choose(page, "Recommended level", "Additional")

    act(sw, case, "submit", submit, state="Submitted")

    def authorise(page: Page) -> None:
        choose(page, "Outcome", "Child in need plan")
        choose(page, "Level", "Additional")
        page.get_by_label("Decision").fill("Child in need plan agreed")

    act(tm, case, "authorise", authorise, state="Authorised")

    def shared(page: Page) -> None:
        page.get_by_label("With family").fill("Siân Jones, at home")
        page.get_by_label("With child").fill("Talked it through with pictures")

    act(sw, case, "share_with_family", shared, state="Completed")


# -- Edge of Care ---------------------------------------------------------------------------
# Procedures name their own roles (ACCOUNT_HOLDERS): the team manager is Edge of Care's
# manager, the worker a Families Together officer, Family Time's family time worker and an
# internal referral's identifying worker; a social worker is the assessment's lead practitioner.


def test_edge_of_care_from_allocation_by_the_manager_to_closure_by_the_officer(
    people: Callable[[str], Page],
) -> None:
    bs, tm, worker = people(BS), people(TM), people(WORKER)

    def contacts(page: Page) -> None:
        pick(page, "Social worker", "Sam Jones")
        pick(page, "Manager", "Ade Bello")
        pick(page, "Business support", "Business Support")
        page.get_by_label("Young person: name").fill("Łukasz Nowak")

    case = refer(bs, "edge_of_care", name="Nowak family", reason="Risk of care",
                 extra=contacts)  # fmt: skip
    expect(bs.locator("#case-state")).to_have_text("Referred")

    def allocate(page: Page) -> None:
        expect(page.locator("textarea").filter(has_text="[")).to_have_count(0)
        picker(page, "Officer 1", "Kim Lee")
        page.get_by_role("button", name="Add another officer").click()
        rows = page.locator("[data-ff-row]")
        expect(rows).to_have_count(2)
        rows.nth(1).get_by_label("Name", exact=True).fill("Zoë O\u2019Brien")
        rows.nth(1).get_by_label("Email address (optional)").fill("zoe.obrien@example.org")
        page.get_by_label("Direction").fill("Visit this week")

    act(tm, case, "allocate", allocate, state="Allocated")  # the team manager is the manager
    expect(tm.locator("#deadlines")).to_contain_text("EOC-03")

    def contacted(page: Page) -> None:
        yes(page, "Involvement added")
        page.get_by_label("Message (optional)").fill("Can we meet on Thursday?")

    act(worker, case, "contact_social_worker", contacted, state="Awaiting planning")

    def planning(page: Page) -> None:
        page.get_by_label("Staff present 1").fill("Kim Lee")
        group = page.get_by_role("group", name="Objective 1", exact=False).first
        group.get_by_label("Objective", exact=True).fill("Łukasz stays at home")
        group.get_by_role("group", name="Social worker score").get_by_label("4", exact=True).check()
        date_in(page, "Review date", "29", "3", "2027")
        yes(page, "Signed by officer", "Signed by social worker")

    act(worker, case, "hold_planning_meeting", planning, state="Planned")
    review = worker.locator("#deadlines tr").filter(has_text="EOC-06")
    expect(review).to_contain_text("Mon 29 Mar 2027, 23:59")
    expect(review).to_contain_text("On track")
    # Referred in January: the week for the first visit (EOC-05) has long gone.
    expect(worker.locator("#deadlines tr").filter(has_text="EOC-05")).to_contain_text("Overdue")

    def first_visit(page: Page) -> None:
        page.get_by_label("What are we worried about?").fill("Arguments at home")
        page.get_by_label("What is working well?").fill("Grandmother visits")
        page.get_by_label("What needs to happen?").fill("Calm evenings")
        page.get_by_role("group", name="Score 1").get_by_label("6", exact=True).check()
        page.get_by_label("Scored by").fill("Łukasz Nowak")
        yes(page, "Agrees with plan")
        page.get_by_label("Voice of child").fill("Wants to stay at home")
        date_in(page, "Next visit", "8", "3", "2027", "16:00")

    act(worker, case, "record_initial_visit", first_visit, state="Intervention")

    def close(page: Page) -> None:
        yes(page, "Support completed", "Final review uploaded", "Closure form completed")
        page.get_by_label("Reason", exact=True).fill("Objectives met")

    act(worker, case, "close", close, state="Closed")


def test_family_time_from_referral_to_confirmed_closure_with_the_family_time_worker(
    people: Callable[[str], Page],
) -> None:
    bs, worker = people(BS), people(WORKER)

    def contacts(page: Page) -> None:
        pick(page, "Social worker", "Sam Jones")
        pick(page, "Manager", "Ade Bello")
        pick(page, "Business support", "Business Support")

    case = refer(bs, "family_time", name="O\u2019Brien family", reason="Contact with mum",
                 extra=contacts)  # fmt: skip
    expect(bs.locator("#case-state")).to_have_text("Enquiry")

    def referral(page: Page) -> None:
        picker(page, "Family time worker", "Kim Lee")
        page.locator("#data-carer-name").fill("Siân Jones")
        page.locator("#data-carer-email").fill("sian.jones@example.org")
        page.get_by_label("Child 1").fill("Zoë O\u2019Brien")

    act(bs, case, "refer", referral, state="Referred")

    def planning(page: Page) -> None:
        yes(page, "Parents met", "Agreement signed", "Tour done")
        page.get_by_label("Contact type").fill("Supervised")
        page.get_by_label("Children's views (optional)").fill("Zoë wants to see her mum")

    # The worker is the family time worker (FT-03), so plans the sessions.
    act(worker, case, "hold_planning_meeting", planning, state="Planned")

    def sessions(page: Page) -> None:
        page.get_by_label("Venue", exact=True).fill("Riverside Family Centre")
        date_in(page, "Session 1", "1", "3", "2027", "9:00")
        page.get_by_role("button", name="Add another session").click()
        date_in(page, "Session 2", "8/3/2027 9:00")
        date_in(page, "Venue visit on", "26", "2", "2027")

    act(worker, case, "add_sessions", sessions, state="In sessions")

    def session(page: Page) -> None:
        date_in(page, "Session", "1", "3", "2027", "9:00")
        yes(page, "Took place")
        page.get_by_label("Note").fill("Zoë and her mum played together")

    act(worker, case, "record_session", session, state="In sessions")

    def close(page: Page) -> None:
        page.get_by_label("Reason").fill("Court order ended")
        yes(page, "Arrangements form updated")

    act(worker, case, "close", close, state="Closing")
    act(bs, case, "confirm_closed", state="Closed")


def test_an_internal_referral_from_family_time_to_families_together_in_the_browser(
    people: Callable[[str], Page],
) -> None:
    bs, worker, sw = people(BS), people(WORKER), people(SW)

    def choices(page: Page) -> None:
        choose(page, "Group", "PoP (parenting programme)")
        choose(page, "Team that identified the need", "Family Time")
        pick(page, "Identifying worker", "Kim Lee")
        pick(page, "Social worker", "Sam Jones")
        pick(page, "Manager", "Ade Bello")

    case = refer(bs, "internal_referral", name="Jones family", reason="Parenting help",
                 extra=choices)  # fmt: skip
    expect(bs.locator("#case-state")).to_have_text("Identified")

    def consents(page: Page) -> None:
        lead = page.get_by_role("group", name="Group lead", exact=False).first
        lead.get_by_label("Name", exact=True).fill("Łukasz Nowak")
        lead.get_by_label("Email address (optional)").fill("lukasz.nowak@example.org")

    # The worker identified the need (IR-02); in Family Time the group's lead comes first.
    act(worker, case, "parent_consents", consents, state="Awaiting liaison")

    def liaison(page: Page) -> None:
        page.get_by_label("Outcome").fill("A place on the next PoP group")

    act(worker, case, "record_liaison", liaison, state="Awaiting social worker agreement")
    act(sw, case, "sw_agrees", state="Agreed", button="Social worker agrees")

    def referral(page: Page) -> None:
        page.get_by_label("Referral form").fill("Family Time referral form")
        picker(page, "Team manager", "Ade Bello")
        picker(page, "Business support", "Business Support")

    act(worker, case, "refer", referral, state="Referred")
