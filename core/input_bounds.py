"""The input-bounds layer: what no request may carry, whichever page or API resource it reaches.

Schemas check the shape of the fields they know. Some input is wrong before any schema reads it, and
would otherwise reach the database or the JSON parser and come back as a 500: a NUL character
(PostgreSQL text cannot hold one), half of a UTF-16 surrogate pair (`"\\ud800"` in JSON: no UTF-8 text
can encode it), or JSON nested thousands deep (the parser's recursion). `check_request` runs before
every view, web and API alike, and refuses such a request with 400/422 in the error shape (the API) or
on the error page (the web), naming the offending field; nothing has been read or changed yet.
Ids, whole numbers, decimals and dates are bounded by their schema fields (`core.schemas.Int`, `Id`,
`DecimalText`, `Date`) and by the routes' `<int:...>` converter (`core.web.IdConverter`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from flask import request
from flask_babel import gettext as _

from core.errors import DomainError, InvalidInput

#: How deep a JSON body may nest objects and arrays; the deepest body the API reads nests four levels.
MAX_JSON_DEPTH = 32
API_PREFIX = "/api/"

_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class MalformedInput(DomainError):
    """A request body that cannot be read at all (HTTP 400)."""

    status = 400
    code = "bad_request"


def _for_api() -> bool:
    return request.path.startswith(API_PREFIX)


def _refusal(fields: dict) -> InvalidInput:
    """The API speaks English, as its other messages do; a page speaks the reader's language and names
    the fields on the error page itself."""
    if _for_api():
        return InvalidInput(fields)
    return InvalidInput(fields, _("Remove the NUL character or the unpaired UTF-16 surrogate from %(fields)s; "
                                  "nothing was changed.", fields=", ".join(fields)))


def _forbidden_text_message() -> str:
    if _for_api():
        return "Remove the NUL character or the unpaired UTF-16 surrogate from this value."
    return _("Remove the NUL character or the unpaired UTF-16 surrogate from this value.")


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text `body` nests arrays and objects deeper than `limit`, counted without parsing
    it (the parser itself is what deep nesting breaks). Brackets inside strings do not count."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub(b'""', body)):
        depth += 1 if bracket in (b"[", b"{") else -1
        if depth > limit:
            return True
    return False


def _bad_strings(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The paths (key by key) of the strings in parsed JSON that hold a forbidden character."""
    if isinstance(value, str):
        if _FORBIDDEN.search(value):
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            name = str(key)
            if _FORBIDDEN.search(name):
                yield (*path, _FORBIDDEN.sub("?", name))
            else:
                yield from _bad_strings(item, (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _bad_strings(item, (*path, str(index)))


def _nest(paths: list[tuple[str, ...]], message: str) -> dict:
    """Field errors in the shape schemas give them: a row's field under the row's position."""
    fields: dict = {}
    for path in paths:
        node = fields
        parts = path or ("_body",)
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = [message]
    return fields


def check_request() -> None:
    """A `before_request` hook: refuse what no view can take (see the module's docstring)."""
    paths: list[tuple[str, ...]] = []
    for name, value in request.headers.items():
        if "\x00" in value:
            paths.append((name,))
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and _FORBIDDEN.search(value):
            paths.append((name,))
    fields = [*request.args.items(multi=True)]
    if request.mimetype in _FORM_TYPES:
        fields += request.form.items(multi=True)
    for name, value in fields:
        name, value = str(name or ""), str(value or "")  # a part of a multipart body may come without either
        if _FORBIDDEN.search(name) or _FORBIDDEN.search(value):
            paths.append((_FORBIDDEN.sub("?", name),))
    if request.mimetype in _FORM_TYPES:
        for name, upload in request.files.items(multi=True):
            if upload.filename and _FORBIDDEN.search(str(upload.filename)):
                paths.append((_FORBIDDEN.sub("?", str(name or "")),))
    elif request.is_json:
        if json_too_deep(request.get_data(cache=True)):
            if _for_api():
                raise MalformedInput(f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.")
            raise MalformedInput(_("The JSON body nests deeper than %(levels)s levels.", levels=MAX_JSON_DEPTH))
        body = request.get_json(silent=True)  # broken JSON is the view's 400, as before
        paths.extend(_bad_strings(body))
    if paths:
        raise _refusal(_nest(paths, _forbidden_text_message()))
