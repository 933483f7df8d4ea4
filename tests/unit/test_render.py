"""Templates render strictly; texts fit in three SMS fragments."""

from pathlib import Path

import pytest

from engine.errors import TemplateError
from familyflow.bootstrap import TEMPLATES
from notifications.render import Renderer, sms_fragments
from workflows import all_processes
from workflows.spec import Message


def test_gsm7_texts_are_160_characters_a_fragment_then_153():
    assert sms_fragments("a" * 160) == 1
    assert sms_fragments("a" * 161) == 2
    assert sms_fragments("a" * 459) == 3
    assert sms_fragments("{" * 80) == 1  # extension characters count twice


def test_a_character_outside_gsm7_makes_the_text_unicode_at_70_a_fragment():
    assert sms_fragments("ä" * 70) == 1  # ä is in GSM-7
    assert sms_fragments("ł" * 70) == 1
    assert sms_fragments("ł" * 71) == 2


def test_a_missing_variable_is_an_error_not_a_blank(tmp_path: Path):
    (tmp_path / "t.sms.txt").write_text("Hello {{ recipient.name }}")
    with pytest.raises(TemplateError, match=r"t\.sms\.txt.*recipient"):
        Renderer(directory=tmp_path).render(template="t", medium="sms", context={})


def test_a_text_longer_than_three_fragments_is_refused_when_queued(tmp_path: Path):
    (tmp_path / "long.sms.txt").write_text("x" * 460)
    with pytest.raises(TemplateError, match="needs 4 SMS fragments; at most 3"):
        Renderer(directory=tmp_path).render(template="long", medium="sms", context={})


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
