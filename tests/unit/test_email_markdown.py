"""Every email survives GOV.UK Notify's Markdown: no line becomes a list, heading,
inset or rule unless the template means a `- ` list (the old `--` footer line
became a nested bullet list in every email)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jinja2 import meta

from familyflow.bootstrap import TEMPLATES
from notifications import markdown
from notifications.render import Renderer

EMAIL_TEMPLATES = sorted(
    str(path.relative_to(TEMPLATES)).removesuffix(".email.txt")
    for path in TEMPLATES.rglob("*.email.txt")
    if not path.name.startswith("_")
)


class Sample:
    """Sample data for any variable: an attribute, item, call or loop of it is more
    sample data, so every branch a template takes on real data renders."""

    def __init__(self, text: str = "Sample value") -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __format__(self, spec: str) -> str:
        return self.text

    def __getattr__(self, name: str) -> Sample:
        if name.startswith("_"):
            raise AttributeError(name)
        return Sample()

    def __getitem__(self, key: object) -> Sample:
        return Sample()

    def __contains__(self, key: object) -> bool:
        return True

    def __call__(self, *args: object, **kwargs: object) -> Sample:
        return Sample()

    def __iter__(self) -> Iterator[Sample]:
        yield Sample()

    def __len__(self) -> int:
        return 1

    def __add__(self, other: object) -> Sample:
        return Sample()

    __radd__ = __sub__ = __rsub__ = __mul__ = __add__

    def __lt__(self, other: object) -> bool:
        return False

    __gt__ = __le__ = __ge__ = __lt__


def _sample_dates(filter_: Any) -> Any:
    def apply(value: Any, *args: Any) -> Any:
        return "Tuesday 5 January 2027" if isinstance(value, Sample) else filter_(value, *args)

    return apply


def _render_with_sample_data(renderer: Renderer, template: str) -> str:
    env = renderer.env
    names: set[str] = set()
    for name in (f"{template}.email.txt", "_layout.email.txt"):
        source = env.loader.get_source(env, name)[0]
        names |= meta.find_undeclared_variables(env.parse(source))
    context = {name: Sample() for name in names}
    first_line = env.loader.get_source(env, f"{template}.email.txt")[0].splitlines()[0]
    rule = re.findall(r"[A-Z0-9]+-[0-9.]+", first_line)[0]
    context.update(service_name="Northshire Council Families Together", rule=rule)
    return renderer.render(template=template, medium="email", context=context).body


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    renderer = Renderer(directory=TEMPLATES)
    for name in ("when", "day", "short_when", "short_day"):
        renderer.env.filters[name] = _sample_dates(renderer.env.filters[name])
    return renderer


def test_there_are_email_templates_to_walk():
    assert len(EMAIL_TEMPLATES) > 100


@pytest.mark.parametrize("template", EMAIL_TEMPLATES)
def test_an_email_body_has_no_markdown_block_its_template_does_not_mean(
    renderer: Renderer, template: str
):
    body = _render_with_sample_data(renderer, template)
    source = (TEMPLATES / f"{template}.email.txt").read_text()
    # A template means a list where it writes "- " at the start of a line (or of a macro).
    lists = re.search(r"(?m)(^|%\})- ", source) is not None
    assert markdown.unintended(body, lists_allowed=lists) == []


def test_the_footer_is_plain_text_not_a_nested_list():
    body = "Dear Sam,\n\nHello.\n\n--\nFamilyFlow\n"
    assert [b.kind for b in markdown.blocks(body)] == ["list"]


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("- item", "list"),
        ("* item", "list"),
        ("• item", "list"),
        ("1. first", "list"),
        ("# Heading", "heading"),
        ("^ inset", "inset"),
        ("---", "rule"),
        ("* * *", "rule"),
        ("    code", "code"),
    ],
)
def test_the_lines_notify_reads_as_markdown_blocks_are_found(line: str, kind: str):
    assert [b.kind for b in markdown.blocks(f"Text\n\n{line}\n")] == [kind]


def test_a_line_underlined_with_equals_or_dashes_is_a_heading():
    assert [b.kind for b in markdown.blocks("Title\n===\n")] == ["heading"]
    assert [b.kind for b in markdown.blocks("Title\n--\n")] == ["heading", "list"]


def test_data_with_line_breaks_cannot_start_a_markdown_line(tmp_path: Path):
    (tmp_path / "t.email.txt").write_text(
        "{% if false %}{% block subject %}S{% endblock %}{% endif %}Reason: {{ reason }}\n"
    )
    body = (
        Renderer(directory=tmp_path)
        .render(template="t", medium="email", context={"reason": "late\n# urgent\n- call"})
        .body
    )
    assert body == "Reason: late # urgent - call\n"
