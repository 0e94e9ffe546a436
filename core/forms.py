"""Web forms load the same marshmallow schemas as the API.

A submitted HTML form is only text: a werkzeug `MultiDict` of strings. `form_input` turns it into what
a schema reads, and `load_form` loads it through the schema the API resource uses, so a rule of shape
(required, length, a number's places, a choice) is written once, in the schema, and a service receives
validated, typed values whichever way the request came in.

* Strings stay as typed: the schema's strict fields (`core.schemas.DecimalText`, `Int`, `Id`, `Date`)
  parse them, with the same messages an API client gets ("1,50" is refused on a page as in the API).
* A blank input of an optional field is missing (or `None` with `blank_as_none=True`, for an edit form
  that clears a field); a blank required field is missing, so the schema names it. `blank_as_none`
  may instead name the fields a blank clears, nullable or not (the schema refuses `None` where a
  value is needed, so an edit form cannot clear a name without being told).
* A `List` field reads every value sent under its name (`getlist`), blanks dropped.
* A `Nested(many=True)` field (or a `List(Nested)`) reads rows sent as `<name>-<key>-<field>` (the
  numbering every line table here uses); a row left wholly blank is skipped, and an error of a row is
  reported under the row's own key, so the template finds it beside the row that was typed.
* A `Nested` field (one object) reads `<name>-<field>` inputs: present when any of them was sent.
* A `Boolean` field named in `checkboxes` is false when absent (an unticked box sends nothing).

A refusal raises `core.errors.InvalidInput(fields=...)`, the error a service raises for input it
refuses, so a view handles the schema's field errors and a service's refusal in one `except`.
`core/templates/core/_forms.html` shows a field's messages beside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields

from core.errors import InvalidInput

_ROW = re.compile(r"^(?P<name>[^-]+)-(?P<key>[^-]+)-(?P<field>.+)$")


def _schema(schema: Schema | type[Schema], **options) -> Schema:
    return schema(**options) if isinstance(schema, type) else schema


def _rows_field(f: fields.Field) -> Schema | None:
    """The schema of one row when `f` holds a list of rows, else None."""
    if isinstance(f, fields.Nested) and f.many:
        return f.schema
    if isinstance(f, fields.List) and isinstance(f.inner, fields.Nested):
        return f.inner.schema
    return None


def form_input(schema: Schema | type[Schema], formdata: Mapping, *, blank_as_none: bool | Iterable[str] = False,
               checkboxes: Iterable[str] = ()) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The schema's input read from `formdata`, and for each row field the form keys of its rows
    (in the order they were loaded, so row errors can be put back beside their rows)."""
    schema = _schema(schema)
    boxes = set(checkboxes)
    data: dict[str, Any] = {}
    row_keys: dict[str, list[str]] = {}
    for attr, f in schema.load_fields.items():
        name = f.data_key or attr
        row_schema = _rows_field(f)
        if row_schema is not None:
            rows, keys = _read_rows(row_schema, name, formdata)
            if rows or name in formdata:
                data[name], row_keys[name] = rows, keys
            continue
        if isinstance(f, fields.Nested):
            prefix = f"{name}-"
            sent = {key.removeprefix(prefix): formdata.get(key, "") for key in formdata if key.startswith(prefix)}
            if sent:
                data[name], _keys = form_input(f.schema, sent)
            continue
        if isinstance(f, fields.Boolean) and name in boxes:
            data[name] = name in formdata and str(formdata.get(name, "")).strip() not in ("", "0", "false", "off")
            continue
        if name not in formdata:
            continue
        if isinstance(f, fields.List):
            data[name] = [v.strip() for v in _getlist(formdata, name) if v.strip()]
            continue
        value = str(formdata.get(name, "")).strip()
        if value:
            data[name] = value
        elif (blank_as_none is True and f.allow_none and not f.required) or (
                not isinstance(blank_as_none, bool) and name in blank_as_none):
            data[name] = None
    return data, row_keys


def _getlist(formdata: Mapping, name: str) -> list[str]:
    if hasattr(formdata, "getlist"):
        return [str(v) for v in formdata.getlist(name)]
    value = formdata.get(name)
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value or "")]


def _read_rows(row_schema: Schema, name: str, formdata: Mapping) -> tuple[list[dict], list[str]]:
    """Rows sent as `<name>-<key>-<field>`, in the order their keys first appear; blank rows skipped."""
    by_key: dict[str, dict[str, str]] = {}
    for field_name in formdata:
        match = _ROW.match(field_name)
        if match and match["name"] == name:
            by_key.setdefault(match["key"], {})[match["field"]] = str(formdata.get(field_name, ""))
    rows, keys = [], []
    for key, raw in by_key.items():
        row, _ = form_input(row_schema, raw)
        if row:
            rows.append(row)
            keys.append(key)
    return rows, keys


def errors_by_row_key(messages: dict, row_keys: dict[str, list[str]]) -> dict:
    """Field errors with each row's errors under the row's form key, so the page shows them beside the
    row that was typed. marshmallow and the services number a row by its position in the list (an int,
    or its string as in a JSON error body); a position without a form key is kept as a string."""
    out = {}
    for name, errors in messages.items():
        keys = row_keys.get(name, [])
        if isinstance(errors, dict):
            errors = {_row_key(i, keys): e for i, e in errors.items()}
        out[name] = errors
    return out


def _row_key(position: int | str, keys: list[str]) -> str:
    index = int(position) if isinstance(position, int) or str(position).isdigit() else None
    return keys[index] if index is not None and index < len(keys) else str(position)


def load_form(schema: Schema | type[Schema], formdata: Mapping, *, partial: bool = False,
              blank_as_none: bool | Iterable[str] = False, checkboxes: Iterable[str] = (),
              extra: Mapping[str, Any] | None = None, message: str | None = None) -> dict[str, Any]:
    """Load a submitted form through `schema` (the API's input schema) into typed values.

    `extra` adds values the page does not send as form fields (an id from the URL). Raises
    `InvalidInput` with the schema's messages per field (row errors keyed by the row's form key),
    and `message` as its sentence when given."""
    data, row_keys = form_input(schema, formdata, blank_as_none=blank_as_none, checkboxes=checkboxes)
    if extra:
        data.update(extra)
    return load_input(schema, data, partial=partial, row_keys=row_keys, message=message)


def load_input(schema: Schema | type[Schema], data: Mapping[str, Any], *, partial: bool = False,
               row_keys: dict[str, list[str]] | None = None, message: str | None = None) -> dict[str, Any]:
    """Load already gathered input (a page's own parsing, a service's plain dict from a test, a script
    or another service) through `schema`; a refusal is `InvalidInput` with the schema's messages per
    field, as `load_form` raises. Loading what a schema already loaded gives the same values back."""
    try:
        return _schema(schema).load(data, partial=partial)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": list(exc.messages)}
        fields = errors_by_row_key(messages, row_keys or {})
        raise (InvalidInput(fields, message) if message else InvalidInput(fields)) from exc


def check_input(schema: Schema | type[Schema], data: Mapping[str, Any], *,
                partial: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """Load `data` through `schema` without raising: the values that passed, and the schema's messages
    per field for those that did not. For a service that also checks the input against the database
    and names every bad field, the schema's and its own, in one `InvalidInput`."""
    try:
        return _schema(schema).load(data, partial=partial), {}
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": list(exc.messages)}
        valid = exc.valid_data if isinstance(exc.valid_data, dict) else {}
        return dict(valid), errors_by_row_key(messages, {})
