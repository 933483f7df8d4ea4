"""Render a message from its template. Rendering happens when a message is
queued, so what is stored in the outbox is exactly what will be sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
    select_autoescape,
)

from engine.clock import local
from engine.errors import TemplateError as FamilyFlowTemplateError
from notifications import sms

MAX_SMS_FRAGMENTS = sms.MAX_FRAGMENTS


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    body: str
    # Why a text could not be made to fit, even in its short form: it is queued
    # as `needs_review` for business support to shorten, never refused.
    needs_review: str | None = None


def sms_fragments(text: str) -> int:
    """How many SMS parts Notify bills for `text`, after sanitising it as Notify does."""
    return sms.fragments(text)


def one_line(value: Any) -> Any:
    """Every `{{ value }}` in a message: a value's own line breaks become spaces, so
    that data (a note, a reason) can never start a Markdown list, heading or inset
    line in Notify's email, nor split a text."""
    if isinstance(value, str) and ("\n" in value or "\r" in value):
        return " ".join(value.split())
    return value


def _in_the_uk(value: datetime | str) -> datetime:
    """An instant (or its ISO text, as a case's data keeps it) in UK time."""
    return local(datetime.fromisoformat(value) if isinstance(value, str) else value)


def when(value: datetime | str | None) -> str:
    """A date and time as people in the UK write it: Tuesday 5 January 2027 at 10:00."""
    if value is None:
        return "to be confirmed"
    moment = _in_the_uk(value)
    return f"{moment:%A} {moment.day} {moment:%B %Y} at {moment:%H:%M}"


def day(value: datetime | date | str) -> str:
    """A day as people in the UK write it: Tuesday 5 January 2027 (an instant's day in
    the UK; a date as it is)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        moment = value
    else:
        moment = local_date(value)
    return f"{moment:%A} {moment.day} {moment:%B %Y}"


def local_date(value: datetime | str) -> date:
    """An instant's day in the UK (a digest's "due by", counted in calendar days)."""
    return _in_the_uk(value).date()


def plus_days(value: date, days: int) -> date:
    return value + timedelta(days=days)


def short_when(value: datetime | str | None) -> str:
    """The short forms of texts: Tue 12 Jan 10:00."""
    if value is None:
        return "to be confirmed"
    moment = _in_the_uk(value)
    return f"{moment:%a} {moment.day} {moment:%b} {moment:%H:%M}"


def short_day(value: datetime | str) -> str:
    moment = _in_the_uk(value)
    return f"{moment:%a} {moment.day} {moment:%b}"


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(Environment):
    """Jinja's own, but `{{ case.reference }}` on a plain dict (every message's context
    is one) looks up the key at once: Jinja tries the attribute first, and the
    exception of its absence was a fifth of rendering's cost. A name a dict does
    have as an attribute (`items`, `get`) still gives the attribute, as in Jinja."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


class Renderer:
    def __init__(self, *, directory: Path) -> None:
        self.directory = Path(directory)
        self.env = _Environment(
            loader=FileSystemLoader(directory),
            # Templates ship with the release: no stat of the file before every message
            # (deadline firing renders thousands at a time).
            auto_reload=False,
            undefined=StrictUndefined,
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            finalize=one_line,
        )
        self.env.filters["when"] = when
        self.env.filters["day"] = day
        self.env.filters["local_date"] = local_date
        self.env.filters["plus_days"] = plus_days
        self.env.filters["short_when"] = short_when
        self.env.filters["short_day"] = short_day
        # Each template once, with its globals as one plain dict: a message's context
        # is built from them without walking Jinja's ChainMap of globals each time,
        # a third of rendering's cost when firing renders thousands (issue 11).
        self._compiled: dict[str, tuple[Template, dict[str, Any]]] = {}

    def _template(self, name: str) -> tuple[Template, dict[str, Any]]:
        found = self._compiled.get(name)
        if found is None:
            compiled = self.env.get_template(name)
            found = self._compiled[name] = (compiled, dict(compiled.globals))
        return found

    def render(self, *, template: str, medium: str, context: Mapping[str, Any]) -> Rendered:
        if medium != "sms":
            return self._render_email(template=template, medium=medium, context=context)
        # A text is what Notify will send: sanitised, then counted. Too long, and the
        # template's short form (`<name>.short.sms.txt`) is tried; too long even
        # then, it is queued for business support to shorten (never refused).
        text = sms.measure(self._render_text(f"{template}.sms.txt", context))
        if text.fits:
            return Rendered(subject=None, body=text.text)
        short_name = f"{template}.short.sms.txt"
        if (self.directory / short_name).is_file():
            short = sms.measure(self._render_text(short_name, context))
            if short.fits:
                return Rendered(subject=None, body=short.text)
            text = short
        return Rendered(
            subject=None,
            body=text.text,
            needs_review=f"text needs {text.fragments} SMS fragments ({text.encoding}); "
            f"at most {MAX_SMS_FRAGMENTS} are allowed: shorten it to send it",
        )

    def _render_text(self, name: str, context: Mapping[str, Any]) -> str:
        try:
            compiled, _ = self._template(name)
            return compiled.render(dict(context)).strip()
        except TemplateError as error:
            raise FamilyFlowTemplateError(template=name, reason=str(error)) from None

    def _render_email(self, *, template: str, medium: str, context: Mapping[str, Any]) -> Rendered:
        name = f"{template}.{medium}.txt"
        try:
            compiled, template_globals = self._template(name)
            # One context for the subject block and the whole template (what
            # Template.render does inside); blocks do not change the context.
            ctx = compiled.new_context({**template_globals, **context}, shared=True)
            subject = " ".join("".join(compiled.blocks["subject"](ctx)).split())
            body = "".join(compiled.root_render_func(ctx)).strip() + "\n"
        except TemplateError as error:
            raise FamilyFlowTemplateError(template=name, reason=str(error)) from None
        except KeyError as error:
            raise FamilyFlowTemplateError(template=name, reason=f"missing block {error}") from None
        return Rendered(subject=subject, body=body)
