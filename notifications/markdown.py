"""Which lines of an email body GOV.UK Notify would not show as plain paragraphs.

Notify formats an email's body (our whole rendered text, passed as `((body))`)
with its own Markdown grammar (notifications-utils, markdown.py, on mistune):

- a line starting with `-`, `*` or `•` (any number of them, no space needed) or
  `1.` is a list item, so the old `--` footer line became a nested list;
- `#` starts a heading, `^` inset text;
- a line of three or more `-`, `*` or `_` is a horizontal rule, and a line
  followed by a line of `=` or `-` is a heading;
- a line indented by four spaces is a code block.

We keep to plain paragraphs, and to `- ` lists where a template means one; this
module finds every other block so that a test can hold every template to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RULE = re.compile(r"^ {0,3}(?:[-*_] *){3,}$")
_LIST = re.compile(r"^ *(?:[•*+-]|\d+\.)")
_HEADING = re.compile(r"^ *#")
_INSET = re.compile(r"^ *\^")
_UNDERLINE = re.compile(r"^ *(?:=+|-+) *$")
_CODE = re.compile(r"^ {4,}\S")


@dataclass(frozen=True)
class Block:
    line: int  # 1-based
    kind: str  # list, heading, inset, rule, code
    text: str


def blocks(body: str) -> list[Block]:
    """Every line Notify would render as something other than paragraph text."""
    found: list[Block] = []
    lines = body.splitlines()
    for number, line in enumerate(lines, start=1):
        following = lines[number] if number < len(lines) else ""
        if _RULE.match(line):
            kind = "rule"
        elif _LIST.match(line):
            kind = "list"
        elif _HEADING.match(line):
            kind = "heading"
        elif _INSET.match(line):
            kind = "inset"
        elif _CODE.match(line):
            kind = "code"
        elif line.strip() and _UNDERLINE.match(following):
            kind = "heading"
        else:
            continue
        found.append(Block(line=number, kind=kind, text=line))
    return found


def unintended(body: str, *, lists_allowed: bool) -> list[Block]:
    """The blocks a template did not mean: anything but a `- ` list item (where the
    template writes lists)."""
    return [
        block
        for block in blocks(body)
        if not (lists_allowed and block.kind == "list" and re.match(r"^- \S", block.text))
    ]
