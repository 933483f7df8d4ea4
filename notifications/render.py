"""Render a message from its template. Rendering happens when a message is
queued, so what is stored in the outbox is exactly what will be sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape

from engine.clock import local
from engine.errors import TemplateError as FamilyFlowTemplateError

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")
MAX_SMS_FRAGMENTS = 3


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    body: str


def sms_fragments(text: str) -> int:
    """How many SMS parts `text` needs: GSM-7 when it can, else UCS-2."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text):
        length = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, part = 160, 153
    else:
        length = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, part = 70, 67
    if length <= single:
        return 1
    return -(-length // part)


def when(value: datetime | str | None) -> str:
    """A date and time as people in the UK write it: Tuesday 5 January 2027 at 10:00."""
    if value is None:
        return "to be confirmed"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    moment = local(moment)
    return f"{moment:%A} {moment.day} {moment:%B %Y} at {moment:%H:%M}"


def day(value: datetime | str) -> str:
    moment = local(datetime.fromisoformat(value) if isinstance(value, str) else value)
    return f"{moment:%A} {moment.day} {moment:%B %Y}"


class Renderer:
    def __init__(self, *, directory: Path) -> None:
        self.env = Environment(
            loader=FileSystemLoader(directory),
            undefined=StrictUndefined,
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.env.filters["when"] = when
        self.env.filters["day"] = day

    def render(self, *, template: str, medium: str, context: Mapping[str, Any]) -> Rendered:
        name = f"{template}.{medium}.txt"
        try:
            compiled = self.env.get_template(name)
            # One context for the subject block and the whole template (what
            # Template.render does inside); blocks do not change the context.
            ctx = compiled.new_context(dict(context))
            if medium == "email":
                subject = " ".join("".join(compiled.blocks["subject"](ctx)).split())
                body = "".join(compiled.root_render_func(ctx)).strip() + "\n"
                return Rendered(subject=subject, body=body)
            body = "".join(compiled.root_render_func(ctx)).strip()
        except TemplateError as error:
            raise FamilyFlowTemplateError(template=name, reason=str(error)) from None
        except KeyError as error:
            raise FamilyFlowTemplateError(template=name, reason=f"missing block {error}") from None
        if sms_fragments(body) > MAX_SMS_FRAGMENTS:
            raise FamilyFlowTemplateError(
                template=name,
                reason=f"text needs {sms_fragments(body)} SMS fragments; at most "
                f"{MAX_SMS_FRAGMENTS} are allowed",
            )
        return Rendered(subject=None, body=body)
