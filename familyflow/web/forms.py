"""Forms for a trigger's data, made from its pydantic model, and read back (issue 10).

Every field becomes the GOV.UK control a person expects, never JSON or ISO text:

- text and text areas; whole numbers; yes/no radios; radios (or a select, for long
  lists) for a fixed set; checkboxes for numbers to choose (sessions);
- the date input (day, month, year, and a time where the moment matters), read
  UK day-first, pasted dates too (familyflow/web/dates.py);
- a 0 to 10 scale as radios (Signs of Safety, objectives' scores);
- "add another" rows for lists (session times, objectives, officers, judges): N rows
  are rendered, and an "Add another" submit button renders one more, so it works
  without JavaScript;
- a contact: someone of the case's team, picked from a list (with their caseload
  when the action allocates), or anyone else by name, email and mobile;
- a nested model (the Signs of Safety of a joint visit) as a group of its fields;
  the three Signs of Safety columns side by side.

Form keys are `data.<field>`, `data.<list>.<row>.<field>`, `data.<date>.day` and so on.
`read` collects every problem at once, and `validate` maps the model's errors to the
same keys in plain English (GOV.UK error messages), so the page shows them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from familyflow.web import dates
from familyflow.web.core import humanise

CONTACT_PARTS = (("name", "Name"), ("email", "Email address"), ("mobile", "Mobile number"))
SOS_COLUMNS = ("worried", "working_well", "needs_to_happen")
LONG_TEXT = (
    "referral_reason",
    "need",
    "reason",
    "summary",
    "text",
    "notes",
    "outcome",
    "analysis",
    "plan",
    "decision",
)
MAX_ROWS = 50  # "add another" stops here: a form is not a spreadsheet
RADIOS_UP_TO = 6  # more options than this are a select


@dataclass
class Field:
    name: str
    label: str
    kind: str  # text textarea number yesno radios select checkboxes date datetime scale
    #            contact group rows columns
    required: bool
    hint: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    children: list[Field] = field(default_factory=list)  # group, rows, columns
    min_rows: int = 1
    low: int | None = None  # a scale's or number's bounds
    high: int | None = None
    noun: str | None = None  # what one row is called, when not the label's singular

    def __post_init__(self) -> None:
        if self.kind == "scale" and not self.options:
            self.options = [(str(n), str(n)) for n in range(self.low or 0, (self.high or 10) + 1)]

    def numbered(self, n: int) -> Field:
        """The field of row n of a list: "Session time 2"."""
        return replace(self, label=f"{self.label} {n}")

    @property
    def scalar_rows(self) -> bool:
        """Rows of one value each (session times, names), not of several fields."""
        return self.kind == "rows" and len(self.children) == 1 and not self.children[0].name

    @property
    def item(self) -> str:
        """What one row is called: "Add another objective"."""
        if self.noun:
            return self.noun
        singular = {"children": "child", "people": "person"}.get(self.label.lower())
        if singular:
            return singular
        singular = self.label.lower()
        if singular.endswith("s") and not singular.endswith("ss"):
            singular = singular[:-1]
        return singular


def key_of(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if name else prefix


def id_of(key: str) -> str:
    return key.replace(".", "-").replace("_", "-")


def _plain(schema: dict[str, Any], defs: Mapping[str, Any]) -> dict[str, Any]:
    """The schema without `null` alternatives, with a local $ref resolved."""
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        if len(options) == 1:
            schema = {**options[0], **{k: v for k, v in schema.items() if k != "anyOf"}}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        schema = {**defs[ref.split("/")[-1]], **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _label(name: str, description: str | None) -> tuple[str, str | None]:
    """A question as its label ("What are we worried about?"), else the humanised name."""
    if description and description.rstrip().endswith("?"):
        return description.strip(), None
    return humanise(name), description


def _object_fields(schema: dict[str, Any], defs: Mapping[str, Any]) -> list[Field]:
    required = set(schema.get("required", ()))
    found = [
        _field(name, raw, defs, required=name in required)
        for name, raw in schema.get("properties", {}).items()
        if not name.startswith("_")
    ]
    names = [f.name for f in found]
    if all(column in names for column in SOS_COLUMNS):  # the three columns, side by side
        first = names.index(SOS_COLUMNS[0])
        columns = [replace(f, kind="textarea") for f in found if f.name in SOS_COLUMNS]
        rest = [f for f in found if f.name not in SOS_COLUMNS]
        group = Field(name="", label="Signs of Safety", kind="columns", required=True)
        group.children = columns
        found = [*rest[:first], group, *rest[first:]]
    return found


def _field(name: str, raw: dict[str, Any], defs: Mapping[str, Any], *, required: bool) -> Field:
    spec = _plain(raw, defs)
    label, hint = _label(name, raw.get("description") or spec.get("description"))
    title = raw.get("title")
    if isinstance(title, str) and title != name.replace("_", " ").title():
        label = title  # a title the model gives: "Child or family name"
    made = Field(name=name, label=label, kind="text", required=required, hint=hint)
    names = raw.get("labels") or spec.get("labels") or {}
    kind_of = spec.get("type")
    if "enum" in spec or "const" in spec:
        values = [str(v) for v in spec.get("enum", [spec.get("const")])]
        made.options = [(v, str(names.get(v, humanise(v)))) for v in values]
        made.kind = "radios" if len(values) <= RADIOS_UP_TO else "select"
    elif kind_of == "string":
        made.kind = {"date": "date", "date-time": "datetime"}.get(spec.get("format", ""), "text")
        if made.kind == "text" and name in LONG_TEXT:
            made.kind = "textarea"
    elif kind_of == "integer":
        made.low, made.high = spec.get("minimum"), spec.get("maximum")
        made.kind = "scale" if (made.low, made.high) == (0, 10) else "number"
        made.__post_init__()
    elif kind_of == "boolean":
        made.kind = "yesno"
    elif kind_of == "array":
        items = _plain(spec.get("items", {}), defs)
        made.min_rows = max(1, int(spec.get("minItems", 1)))
        low, high = items.get("minimum"), items.get("maximum")
        if items.get("type") == "integer" and low is not None and high is not None:
            if (low, high) == (0, 10):  # one score per row
                made.kind = "rows"
                made.children = [
                    Field(name="", label="Score", kind="scale", required=True, low=0, high=10)
                ]
            else:  # numbers to choose, such as session numbers
                made.kind = "checkboxes"
                made.options = [(str(n), str(n)) for n in range(int(low), int(high) + 1)]
        elif "enum" in items:
            made.kind = "checkboxes"
            made.options = [(str(v), humanise(str(v))) for v in items["enum"]]
        elif items.get("type") == "object":
            made.kind = "rows"
            if items.get("title") == "Contact":
                one = Field(name="", label=made.item.capitalize(), kind="contact", required=True)
                made.children = [one]
            elif items.get("title") == "Scale":  # Signs of Safety: a 0-10 scale per judge
                made.label, made.noun = "Safety scales", "judge"
                made.children = _object_fields(items, defs)
            else:
                made.children = _object_fields(items, defs)
        else:
            made.kind = "rows"
            one = _field("", items, defs, required=True)
            one.label = made.item.capitalize()
            made.children = [one]
    elif kind_of == "object" and spec.get("title") == "Contact":
        made.kind = "contact"
    elif kind_of == "object":
        made.kind = "group"
        made.children = _object_fields(spec, defs)
    return made


def fields_for(model: type[BaseModel] | None) -> list[Field]:
    if model is None:
        return []
    schema = model.model_json_schema()
    return _object_fields(schema, schema.get("$defs", {}))


def walk(fields: list[Field]) -> list[Field]:
    """Every field, nested ones included (tests: no JSON anywhere)."""
    out = []
    for f in fields:
        out.append(f)
        out.extend(walk(f.children))
    return out


# -- reading a submitted form -----------------------------------------------------------


def _one(form: Mapping[str, Any], key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def _enter(f: Field) -> str:
    return f"the {f.label.lower()}" if not f.label.endswith("?") else f.label.lower()


def row_count(f: Field, form: Mapping[str, Any] | None) -> int:
    """How many rows a list shows: what was sent (or the minimum), one more on "Add another"."""
    key_count = f"{f.name}.count"
    sent = form.get(key_count) if form is not None else None
    count = int(sent) if isinstance(sent, str) and sent.isdigit() else f.min_rows
    return max(1, min(count, MAX_ROWS))


@dataclass
class Reader:
    """Reads a form into trigger data, keeping every problem (form key -> message) and
    where each piece of data came from (data path -> form key), for the model's errors."""

    form: Mapping[str, Any]
    people: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # email -> person
    errors: dict[str, str] = field(default_factory=dict)
    where: dict[tuple[Any, ...], str] = field(default_factory=dict)
    anchors: dict[str, str] = field(default_factory=dict)  # form key -> element id
    data: dict[str, Any] = field(default_factory=dict)

    def fields(self, fields: list[Field], prefix: str, loc: tuple[Any, ...] = ()) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for f in fields:
            if f.kind == "columns":
                data.update(self.fields(f.children, prefix, loc))
                continue
            key = key_of(prefix, f.name)
            self.where[(*loc, f.name)] = key
            value = self.value(f, key, (*loc, f.name))
            if value is not None:
                data[f.name] = value
        return data

    def fail(self, key: str, message: str, anchor: str | None = None) -> None:
        self.errors.setdefault(key, message)
        self.anchors.setdefault(key, anchor or id_of(key))

    def value(self, f: Field, key: str, loc: tuple[Any, ...]) -> Any:
        form = self.form
        if f.kind == "contact":
            return self.contact(key)
        if f.kind == "group":
            inner = self.fields(f.children, key, loc)
            return inner or None
        if f.kind == "rows":
            return self.rows(f, key, loc)
        if f.kind == "checkboxes":
            chosen = form.getlist(key) if hasattr(form, "getlist") else form.get(key) or []
            picked = [v for v in chosen if isinstance(v, str) and v]
            if not picked:
                return None
            return [int(v) if v.isdigit() else v for v in picked]
        if f.kind in ("date", "datetime"):
            typed = typed_date(form, key)
            if typed.empty:
                return None
            try:
                moment = dates.read(
                    typed, label=f.label, enter=_enter(f), with_time=f.kind == "datetime"
                )
            except dates.DateProblem as problem:
                self.fail(key, str(problem), id_of(key) + "-day")
                return None
            if isinstance(moment, datetime):
                return moment.isoformat(timespec="minutes")
            return moment.isoformat()
        raw = _one(form, key)
        if not raw:
            return None
        if f.kind in ("number", "scale"):
            if not raw.lstrip("-").isdigit():
                self.fail(key, f"{f.label} must be a whole number")
                return None
            return int(raw)
        if f.kind == "yesno":
            return raw == "yes"
        return raw

    def contact(self, key: str) -> dict[str, str] | None:
        picked = _one(self.form, f"{key}.pick")
        person = self.people.get(picked.lower()) if picked else None
        if person is not None:
            return {"name": str(person["name"]), "email": str(person["email"])}
        parts = {part: _one(self.form, f"{key}.{part}") for part, _ in CONTACT_PARTS}
        return {k: v for k, v in parts.items() if v} or None

    def rows(self, f: Field, key: str, loc: tuple[Any, ...]) -> list[Any] | None:
        out: list[Any] = []
        for row in range(row_count(replace(f, name=key), self.form)):
            row_key = f"{key}.{row}"
            if f.scalar_rows:
                one = f.children[0]
                self.where[(*loc, len(out))] = row_key
                value = self.value(one, row_key, (*loc, len(out)))
            else:
                before = dict(self.where)
                value = self.fields(f.children, row_key, (*loc, len(out))) or None
                if value is None:  # a blank row is left out; forget where it would be
                    self.where = before
                else:
                    self.where[(*loc, len(out))] = row_key
            if value is not None:
                out.append(value)
        return out or None


def typed_date(form: Mapping[str, Any], key: str) -> dates.Typed:
    return dates.Typed(
        **{part: _one(form, f"{key}.{part}") for part in ("day", "month", "year", "time")}
    )


def read(
    fields: list[Field],
    form: Mapping[str, Any],
    *,
    people: Mapping[str, Mapping[str, Any]] | None = None,
) -> Reader:
    reader = Reader(form=form, people=people or {})
    reader.data = reader.fields(fields, "data")
    return reader


# -- the model's errors, in plain English --------------------------------------------------


def _find(fields: list[Field], loc: tuple[Any, ...]) -> Field | None:
    """The field a data path names (rows and groups walked into)."""
    found: Field | None = None
    current = fields
    for part in loc:
        if isinstance(part, int):
            if found is not None and found.scalar_rows:
                found = found.children[0]
                current = []
            continue
        flat = [c for f in current for c in (f.children if f.kind == "columns" else [f])]
        found = next((f for f in flat if f.name == part), None)
        if found is None:
            return None
        current = found.children
    return found


def plain_message(error: Mapping[str, Any], f: Field | None) -> str:
    """One pydantic error as GOV.UK would word it: "Enter the reason"."""
    kind = str(error.get("type", ""))
    text = str(error.get("msg", "")).removeprefix("Value error, ")
    ctx = error.get("ctx") or {}
    label = f.label if f else "This"
    part = str(error["loc"][-1]) if error.get("loc") else ""
    if part in ("email", "mobile", "name") and (f is None or f.kind == "contact"):
        if part == "email":
            return "Enter an email address in the correct format, like name@example.com"
        if part == "mobile":
            return "Enter a UK mobile number, like 07700 900 982"
        return "Enter the person's name"
    if f is None:
        return text[:1].upper() + text[1:]
    chooses = f.kind in ("yesno", "radios", "select", "checkboxes", "scale")
    if kind in ("missing", "string_too_short") or (kind == "too_short" and f.kind != "rows"):
        if f.kind == "contact":
            return f"Choose the {f.label.lower()} from the team, or enter their name"
        if f.kind in ("date", "datetime"):
            return f"Enter {_enter(f)}"
        if f.kind == "checkboxes":
            return f"Select at least one of the {f.label.lower()}"
        if f.kind == "yesno":
            return f"Select yes or no for {f.label.lower()}"
        return f"Select {_enter(f)}" if chooses else f"Enter {_enter(f)}"
    if kind == "too_short":
        return f"Add at least one {f.item}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        if f.low is not None and f.high is not None:
            return f"{label} must be between {f.low} and {f.high}"
        bound = ctx.get("ge", ctx.get("gt", ctx.get("le", ctx.get("lt"))))
        more = kind.startswith("greater")
        return f"{label} must be {bound} or {'more' if more else 'less'}"
    if kind in ("int_parsing", "int_type"):
        return f"{label} must be a whole number"
    if kind in ("literal_error", "enum"):
        return f"Select {_enter(f)}"
    if kind.startswith(("date", "datetime")):
        return f"{label} must be a real date"
    return f"{label}: {text}" if kind != "value_error" else text[:1].upper() + text[1:]


def validate(
    model: type[BaseModel], fields: list[Field], reader: Reader, data: Mapping[str, Any]
) -> None:
    """Every error the model finds, at the form key it came from (added to the reader)."""
    try:
        model.model_validate(dict(data))
    except ValidationError as error:
        for problem in error.errors():
            loc = tuple(problem["loc"])
            key = ""
            for end in range(len(loc), 0, -1):
                if loc[:end] in reader.where:
                    key = reader.where[loc[:end]]
                    break
            f = _find(fields, loc)
            if f is None and loc and isinstance(loc[-1], str) and loc[-1] in ("name", "email"):
                f = _find(fields, loc[:-1])
            if f and f.kind == "contact" and loc and loc[-1] in ("name", "email", "mobile"):
                key = f"{key}.{loc[-1]}"  # at its box: the email, say
            if key and key in reader.errors:
                continue  # already said (a date the form could not read)
            anchor = id_of(key) + ("-day" if f and f.kind in ("date", "datetime") else "")
            if f and f.kind in ("yesno", "radios", "scale", "checkboxes", "group"):
                anchor = id_of(key)
            if f and f.kind == "contact":
                anchor = (
                    id_of(key)
                    if key.endswith((".name", ".email", ".mobile"))
                    else (id_of(key) + ("-pick" if reader.people else "-name"))
                )
            reader.fail(key, plain_message(problem, f), anchor)


def shown_errors(reader: Reader | None) -> dict[str, Any]:
    """What a form page's template needs of its errors: the summary at the top and each
    field's own message (none on a page shown afresh)."""
    if reader is None:
        return {"errors": [], "field_errors": {}}
    return {"errors": summary(reader), "field_errors": reader.errors}


def summary(reader: Reader) -> list[dict[str, str]]:
    """The error summary: each message, linking to its field, in the order of the form."""
    keys = list(dict.fromkeys(reader.form.keys()))

    def place(key: str) -> int:
        found = [i for i, k in enumerate(keys) if k == key or k.startswith(f"{key}.")]
        return min(found) if found else (-1 if not key else len(keys))

    ordered = sorted(reader.errors.items(), key=lambda item: place(item[0]))
    return [
        {
            "text": text,
            "href": f"#{reader.anchors.get(key, id_of(key))}" if key else "",
            "field": key,
        }
        for key, text in ordered
    ]


# -- what the form shows --------------------------------------------------------------------


def values(form: Mapping[str, Any] | None) -> dict[str, Any]:
    """What was typed, to put back in the form after an error (checkboxes as lists)."""
    if form is None:
        return {}
    out: dict[str, Any] = {}
    for key in form:
        many = form.getlist(key) if hasattr(form, "getlist") else [form.get(key)]
        strings = [v for v in many if isinstance(v, str)]
        out[key] = strings if len(strings) > 1 else (strings[0] if strings else "")
    return out


def date_values(key: str, moment: date | datetime | str | None) -> dict[str, str]:
    """A date input's boxes filled from a value (a default such as now)."""
    iso = moment.isoformat() if isinstance(moment, date | datetime) else moment
    typed = dates.split(iso)
    return {
        f"{key}.day": typed.day,
        f"{key}.month": typed.month,
        f"{key}.year": typed.year,
        f"{key}.time": typed.time,
    }


def add_another(fields: list[Field], form: Mapping[str, Any]) -> dict[str, Any] | None:
    """On "Add another": the form's values with one more row in that list, else None."""
    target = _one(form, "add_another")
    if not target:
        return None
    shown = values(form)
    sent = _one(form, f"{target}.count")
    shown[f"{target}.count"] = str(min(int(sent) + 1 if sent.isdigit() else 2, MAX_ROWS))
    return shown
