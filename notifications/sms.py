"""A text message as GOV.UK Notify will send and bill it (PAR-12 texts, and any other).

Notify does not send the characters it is given: it first tidies whitespace,
swaps typographic punctuation for plain ASCII, downgrades accented letters
(keeping the Welsh ones), and turns anything else into `?`. Only then does it
count the parts it bills. We do the same before counting and before storing a
text, so the outbox holds exactly what the parent will read and the count is
the one on the bill. (Facts from alphagov/notifications-utils, sanitise_text.py
and template.py; the code is ours.)
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

GSM7_EXTENDED = frozenset("^{}\\[~]|€")
GSM7 = (
    frozenset(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    )
    | GSM7_EXTENDED
)
# Welsh needs these; Notify keeps them even though most are not GSM-7.
WELSH = frozenset(
    "àèìòùẁỳÀÈÌÒÙẀỲ"  # grave
    "áéíóúẃýÁÉÍÓÚẂÝ"  # acute
    "äëïöüẅÿÄËÏÖÜẄŸ"  # diaeresis
    "âêîôûŵŷÂÊÎÔÛŴŶ"  # circumflex
)
ALLOWED = GSM7 | WELSH
# A kept Welsh letter outside GSM-7 makes the whole text Unicode (UCS-2).
WELSH_NOT_GSM7 = WELSH - GSM7

REPLACEMENTS = {
    "\u2011": "-",  # non-breaking hyphen
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2212": "-",  # minus sign
    "\u2026": "...",  # ellipsis
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00a0": " ",  # no-break space
    "\u202f": " ",  # narrow no-break space
    "\t": " ",
    "Ł": "L",  # no Unicode decomposition, so named here
    "ł": "l",
}
ZERO_WIDTH = "\u180e\u200b\u200c\u200d\u2060\ufeff\u2028\u2029"
REPLACEMENTS.update(dict.fromkeys(ZERO_WIDTH, ""))

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
NOTIFY_MAX_CHARACTERS = 918  # Notify refuses a longer text
MAX_FRAGMENTS = 3  # what we allow ourselves per text

_SPACE_BEFORE_PUNCTUATION = re.compile(r"(?<![ \t])[ \t]+([,.])")
_MANY_NEWLINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class SmsText:
    text: str  # what Notify sends
    encoding: str  # "GSM-7" or "UCS-2"
    length: int  # in the encoding's characters (GSM-7 extended characters count 2)
    fragments: int

    @property
    def fits(self) -> bool:
        return self.fragments <= MAX_FRAGMENTS and len(self.text) <= NOTIFY_MAX_CHARACTERS


def _char(char: str) -> str:
    if char in ALLOWED:
        return char
    decomposition = unicodedata.decomposition(char)
    if decomposition and "<" not in decomposition:
        # A letter with marks, e.g. "ç" is "0063 0327": keep the letter if allowed.
        base = chr(int(decomposition.split()[0], 16))
        return base if base in ALLOWED else "?"
    return REPLACEMENTS.get(char, "?")


def _tidy(text: str) -> str:
    """Notify's whitespace rules: no space before , or ., one space between words."""
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
    for char in "\u00a0\u202f":
        text = text.replace(char, " ")
    for char in ZERO_WIDTH[:6]:
        text = text.replace(char, "")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def sanitise(text: str) -> str:
    """The text exactly as Notify will send it."""
    return "".join(_char(char) for char in _tidy(text))


def measure(text: str) -> SmsText:
    """Sanitise `text` and count the parts Notify bills for it."""
    clean = sanitise(text)
    units = len(clean.encode("utf-16-le")) // 2
    if any(char in WELSH_NOT_GSM7 for char in clean):
        single, part, encoding, length = UCS2_SINGLE, UCS2_PART, "UCS-2", units
    else:
        extended = sum(1 for char in clean if char in GSM7_EXTENDED)
        single, part, encoding, length = GSM7_SINGLE, GSM7_PART, "GSM-7", units + extended
    fragments = 1 if length <= single else math.ceil(length / part)
    return SmsText(text=clean, encoding=encoding, length=length, fragments=fragments)


def fragments(text: str) -> int:
    return measure(text).fragments
