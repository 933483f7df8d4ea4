"""Templates render strictly; a text is stored as Notify sends it, in at most three
fragments, its short form if need be, and is never refused for its length (PAR-12)."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.errors import TemplateError
from familyflow.bootstrap import TEMPLATES
from notifications.render import Renderer
from workflows import all_processes
from workflows.spec import Message


def test_a_missing_variable_is_an_error_not_a_blank(tmp_path: Path):
    (tmp_path / "t.sms.txt").write_text("Hello {{ recipient.name }}")
    with pytest.raises(TemplateError, match=r"t\.sms\.txt.*recipient"):
        Renderer(directory=tmp_path).render(template="t", medium="sms", context={})


def test_a_text_is_stored_sanitised_as_notify_will_send_it(tmp_path: Path):
    (tmp_path / "t.sms.txt").write_text("Hello {{ name }} \u2013 see you\u2026")
    rendered = Renderer(directory=tmp_path).render(
        template="t", medium="sms", context={"name": "Mrs O\u2019Brien"}
    )
    assert rendered.body == "Hello Mrs O'Brien - see you..."
    assert rendered.needs_review is None


def test_a_text_too_long_falls_back_to_its_short_form(tmp_path: Path):
    (tmp_path / "t.sms.txt").write_text("{{ name }} " + "x" * 200)
    (tmp_path / "t.short.sms.txt").write_text("{{ name }}, short")
    rendered = Renderer(directory=tmp_path).render(
        template="t", medium="sms", context={"name": "Siân"}
    )
    assert (rendered.body, rendered.needs_review) == ("Siân, short", None)


def test_a_text_too_long_even_in_short_form_is_kept_for_review_not_refused(tmp_path: Path):
    (tmp_path / "long.sms.txt").write_text("x" * 460)
    (tmp_path / "long.short.sms.txt").write_text("y" * 460)
    rendered = Renderer(directory=tmp_path).render(template="long", medium="sms", context={})
    assert rendered.body == "y" * 460
    assert rendered.needs_review == (
        "text needs 4 SMS fragments (GSM-7); at most 3 are allowed: shorten it to send it"
    )


def test_html_templates_are_autoescaped(tmp_path: Path):
    (tmp_path / "page.html").write_text("{{ name }}")
    env = Renderer(directory=tmp_path).env
    assert env.get_template("page.html").render(name="<b>") == "&lt;b&gt;"


def test_every_message_template_of_every_process_exists_and_cites_its_rule():
    for process in all_processes().values():
        messages = [m for t in process.transitions for m in t.effects if isinstance(m, Message)]
        messages += [
            m
            for t in process.timescales
            for m in (*t.on_due, *t.on_reminder)
            if isinstance(m, Message)
        ]
        messages += [m for m in process.on_create if isinstance(m, Message)]
        for message in messages:
            source = (TEMPLATES / f"{message.template}.{message.medium}.txt").read_text()
            assert message.rule in source.splitlines()[0], message.template


def test_every_text_template_has_a_short_form_citing_the_same_rule():
    for path in sorted(TEMPLATES.rglob("*.sms.txt")):
        if path.name.endswith(".short.sms.txt"):
            continue
        short = path.with_name(path.name.replace(".sms.txt", ".short.sms.txt"))
        assert short.is_file(), f"{short.relative_to(TEMPLATES)} is missing"
        rule = path.read_text().splitlines()[0].split(":")[0].split()[-1]
        assert rule in short.read_text().splitlines()[0], short.name


def test_a_missing_key_of_a_context_value_is_an_error_not_a_blank(tmp_path: Path):
    (tmp_path / "t.email.txt").write_text(
        "{% block subject %}About {{ case.reference }}{% endblock %}{{ case.team }}"
    )
    with pytest.raises(TemplateError, match=r"t\.email\.txt.*team"):
        Renderer(directory=tmp_path).render(
            template="t", medium="email", context={"case": {"reference": "PAR-000010"}}
        )


def test_a_key_named_as_a_dict_method_means_what_it_means_in_jinja(tmp_path: Path):
    # Jinja gives an attribute before a key: `.items` is the method, `["items"]` the key.
    (tmp_path / "t.email.txt").write_text(
        "{% block subject %}{{ case.reference }}{% endblock %}"
        "{% for k, v in case.items() %}{{ k }}={{ v }};{% endfor %} {{ case['items'] }}"
    )
    rendered = Renderer(directory=tmp_path).render(
        template="t",
        medium="email",
        context={"case": {"reference": "Zoë O\u2019Brien", "items": "two sessions"}},
    )
    assert rendered.subject == "Zoë O\u2019Brien"
    assert rendered.body.endswith("reference=Zoë O\u2019Brien;items=two sessions; two sessions\n")


def test_a_weekly_digest_counts_its_days_in_the_uk_not_in_utc():
    # EH-3.3: a family phoned at 00:30 on Tuesday 1 June (BST; Monday 23:30 UTC) is next
    # due a contact by Tuesday 8 June. Agenda slots are stored in UTC; the day is the UK's.
    renderer = Renderer(directory=TEMPLATES)
    context = {
        "recipient": {"name": "Siân Jones", "email": "sian.jones@example.org"},
        "slot": datetime(2027, 6, 8, 8, 0, tzinfo=UTC),  # 09:00 BST
        "service_name": "FamilyFlow",
        "rule": "EH-3.3",
        "sections": [
            {
                "key": "waiting",
                "title": "Waiting for allocation",
                "cases": [
                    {
                        "reference": "EH-000007",
                        "data": {
                            "family": "O\u2019Brien family",
                            "screened_at": "2027-05-20T10:00:00+01:00",
                            "pre_allocation_contacts": [
                                {"at": "2027-06-01T00:30:00+01:00", "method": "phone"}
                            ],
                        },
                    }
                ],
            }
        ],
    }
    body = renderer.render(
        template="early_help/pre_allocation_digest", medium="email", context=context
    ).body
    assert (
        "- EH-000007 (O\u2019Brien family): on the list since Thursday 20 May 2027; "
        "last contacted Tuesday 1 June 2027 at 00:30 (phone); "
        "next contact due by Tuesday 8 June 2027"
    ) in body
