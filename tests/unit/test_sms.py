"""Texts are sanitised and counted as GOV.UK Notify sanitises and bills them (PAR-12).

The examples are Notify's own (notifications-utils' sanitise_text tests and the
fragment rules on its pricing page) plus the parents' names that used to be refused.
"""

import pytest

from notifications.sms import measure, sanitise


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("\t", ""),  # a lone tab is whitespace, stripped like any other
        ("a\tb", "a b"),
        ("ç", "c"),
        ("\u2013", "-"),
        ("\u2014", "-"),
        ("\u2026", "..."),
        ("a\u200bb", "ab"),
        ("\u2018quoted\u2019", "'quoted'"),
        ("\u201cquoted\u201d", '"quoted"'),
        ("a\xa0b", "a b"),
        ("😬", "?"),
        ("↉", "?"),
        ("嶲", "?"),
        ("Łōdź", "Lodz"),
        ("It Just Works™", "It Just Works?"),
        ("Привет", "??????"),
    ],
)
def test_notify_replaces_downgrades_or_questions_what_it_cannot_send(given: str, sent: str):
    assert sanitise(given) == sent


@pytest.mark.parametrize("kept", ["à", "€", "â", "Ŷ", "ë", "Ò", "í", "ŵ", "^{}\\[~]|", "\n"])
def test_gsm7_and_welsh_letters_are_kept_as_they_are(kept: str):
    assert sanitise(f"x{kept}x") == f"x{kept}x"


def test_whitespace_is_tidied_as_notify_tidies_it():
    assert sanitise("  Hello   Jo ,  see you .  ") == "Hello Jo, see you."
    assert sanitise("one\n\n\n\ntwo") == "one\n\ntwo"


def test_gsm7_texts_are_160_characters_a_fragment_then_153():
    assert measure("a" * 160).fragments == 1
    assert measure("a" * 161).fragments == 2
    assert measure("a" * 306).fragments == 2
    assert measure("a" * 307).fragments == 3
    assert measure("a" * 459).fragments == 3


def test_gsm7_extended_characters_count_twice():
    assert measure("{" * 80).fragments == 1
    assert measure("€" * 81).fragments == 2
    assert measure("a" * 158 + "^").length == 160


def test_a_welsh_letter_outside_gsm7_makes_the_whole_text_unicode_at_70_then_67():
    assert measure("â" * 70) == measure("â" * 70)  # stable
    assert (measure("â" * 70).encoding, measure("â" * 70).fragments) == ("UCS-2", 1)
    assert measure("â" * 71).fragments == 2
    assert measure("â" + "a" * 133).fragments == 2
    assert measure("â" + "a" * 134).fragments == 3


def test_welsh_letters_inside_gsm7_keep_the_text_gsm7():
    assert measure("à è é ù ì ò ä ö ü " * 8).encoding == "GSM-7"


def test_an_emoji_becomes_one_question_mark_and_does_not_make_the_text_unicode():
    text = measure("See you soon 😊")
    assert (text.text, text.encoding, text.length) == ("See you soon ?", "GSM-7", 14)


@pytest.mark.parametrize(
    ("name", "sent", "encoding"),
    [
        ("Siân", "Siân", "UCS-2"),  # Notify keeps the Welsh â, so the text is Unicode
        ("Zoë", "Zoë", "UCS-2"),  # ë is a Welsh letter Notify keeps
        ("Mrs O\u2019Brien", "Mrs O'Brien", "GSM-7"),  # the curly apostrophe is replaced
        ("Łukasz", "Lukasz", "GSM-7"),
    ],
)
def test_parents_names_are_sent_as_notify_sends_them(name: str, sent: str, encoding: str):
    text = measure(f"Hello {name}, we missed you.")
    assert text.text == f"Hello {sent}, we missed you."
    assert text.encoding == encoding
