"""Forms for a trigger's data, made from its pydantic model, and read back.

Each field becomes a GOV.UK control with a label (and the model's description as
hint): text, number, yes/no radios, a select for a fixed set, date and date-time
inputs, one-per-line text areas for lists, a fieldset for a contact, and JSON for
anything deeper. The engine validates what comes back, so its messages (naming
the field) are the ones people see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from starlette.datastructures import FormData

from engine.errors import InputError
from familyflow.web.core import humanise

CONTACT_PARTS = (("name", "Name"), ("email", "Email address"), ("mobile", "Mobile number"))


@dataclass
class Field:
    name: str
    label: str
    kind: str  # text, textarea, number, yesno, select, date, datetime, lines, contact, json
    required: bool
    hint: str | None = None
    options: list[str] = field(default_factory=list)
    item: str = "text"  # for lines: text, integer or datetime

    @property
    def id(self) -> str:
        return "data-" + self.name.replace("_", "-")


def _plain(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """The schema without `null` alternatives, with a local $ref resolved."""
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        if len(options) == 1:
            schema = {**options[0], **{k: v for k, v in schema.items() if k != "anyOf"}}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        schema = {**defs[ref.split("/")[-1]], **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def fields_for(model: type[BaseModel] | None) -> list[Field]:
    if model is None:
        return []
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    required = set(schema.get("required", ()))
    found = []
    for name, raw in schema.get("properties", {}).items():
        spec = _plain(raw, defs)
        hint = raw.get("description") or spec.get("description")
        kind, options, item = "json", [], "text"
        kind_of = spec.get("type")
        if "enum" in spec:
            kind, options = "select", [str(v) for v in spec["enum"]]
        elif kind_of == "string":
            kind = {"date": "date", "date-time": "datetime"}.get(spec.get("format", ""), "text")
            if name in ("reason", "summary", "text", "notes", "outcome") and kind == "text":
                kind = "textarea"
        elif kind_of == "integer":
            kind = "number"
        elif kind_of == "boolean":
            kind = "yesno"
        elif kind_of == "array":
            items = _plain(spec.get("items", {}), defs)
            if items.get("type") in ("string", "integer") and "enum" not in items:
                kind = "lines"
                item = (
                    "datetime"
                    if items.get("format") == "date-time"
                    else "integer"
                    if items.get("type") == "integer"
                    else "text"
                )
                hint = (hint + ". " if hint else "") + "One per line."
        elif kind_of == "object" and spec.get("title") == "Contact":
            kind = "contact"
        if kind == "json":
            hint = (hint + ". " if hint else "") + "Enter as JSON."
        found.append(
            Field(
                name=name,
                label=humanise(name),
                kind=kind,
                required=name in required,
                hint=hint,
                options=options,
                item=item,
            )
        )
    return found


def _one(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def read(fields: list[Field], form: FormData) -> dict[str, Any]:
    """The trigger data from a submitted form; what is left empty is left out."""
    data: dict[str, Any] = {}
    for f in fields:
        key = f"data.{f.name}"
        if f.kind == "contact":
            parts = {part: _one(form, f"{key}.{part}") for part, _ in CONTACT_PARTS}
            if any(parts.values()):
                data[f.name] = {k: v for k, v in parts.items() if v}
            continue
        raw = _one(form, key)
        if not raw:
            continue
        if f.kind == "number":
            try:
                data[f.name] = int(raw)
            except ValueError:
                raise InputError(field=f.name, reason="enter a whole number") from None
        elif f.kind == "yesno":
            data[f.name] = raw == "yes"
        elif f.kind == "lines":
            lines = [line.strip() for line in raw.splitlines() if line.strip()]
            if f.item == "integer":
                try:
                    data[f.name] = [int(line) for line in lines]
                except ValueError:
                    raise InputError(
                        field=f.name, reason="enter whole numbers, one per line"
                    ) from None
            else:
                data[f.name] = lines
        elif f.kind == "json":
            try:
                data[f.name] = json.loads(raw)
            except ValueError:
                raise InputError(field=f.name, reason="this is not valid JSON") from None
        else:
            data[f.name] = raw
    return data


def values(fields: list[Field], form: FormData | None) -> dict[str, str]:
    """What was typed, to put back in the form after an error."""
    if form is None:
        return {}
    out = {}
    for f in fields:
        keys = (
            [f"data.{f.name}.{p}" for p, _ in CONTACT_PARTS]
            if f.kind == "contact"
            else [f"data.{f.name}"]
        )
        for key in keys:
            value = form.get(key)
            if isinstance(value, str):
                out[key] = value
    return out


def error_field(error: Exception) -> str | None:
    """The top-level data field an engine error names, if any."""
    fields = getattr(error, "fields", {})
    name = str(fields.get("field", ""))
    return name.removeprefix("data.").split(".")[0] or None
