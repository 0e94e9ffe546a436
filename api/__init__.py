"""The REST API under /api/v1 (flask-smorest), one blueprint per domain.

This package maps domain errors to HTTP in one place, authenticates bearer
tokens, and offers pagination and `Idempotency-Key` to the resources. A
database that cannot be reached is 503 with `Retry-After` (web and API alike),
never an unexpected 500."""

from __future__ import annotations

import hashlib
import logging
from functools import wraps

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_smorest import Api as BaseApi
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from werkzeug.exceptions import HTTPException

from core.auth import user_for_token
from core.errors import DomainError
from core.models import IdempotencyRecord
from core.schemas import DecimalText, Int
from core.web import (
    DATABASE_RETRY_AFTER,
    database_unavailable_page,
    database_unreachable,
    get_session,
    request_act,
)

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
PUBLIC_ENDPOINTS = {"auth.Token", "api-docs.openapi_json", "api-docs.openapi_swagger_ui"}


def error_body(code: str, message: str, fields: dict | None = None, **extra) -> dict:
    body = {"code": code, "message": message, "fields": fields or {}}
    body.update(extra)
    return {"error": body}


def _flatten_webargs(messages: dict) -> dict:
    """webargs nests errors by location ({"json": {...}}, {"query": {...}}): drop that level."""
    fields: dict = {}
    for location, errors in (messages or {}).items():
        if isinstance(errors, dict):
            for name, why in errors.items():
                fields[name] = why if isinstance(why, list | dict) else [str(why)]
        else:
            fields[location] = errors
    return fields


# What went wrong: a snake_case `code`, a sentence, the reasons per input field (a field's reasons are
# a list of sentences, or the same mapping again for a nested row) and, for some refusals, `details`.
ErrorDetailSchema = Schema.from_dict({
    "code": fields.String(required=True),
    "message": fields.String(required=True),
    "fields": fields.Dict(keys=fields.String(), values=fields.Raw(), required=True),
    "details": fields.Dict(keys=fields.String(), values=fields.Raw()),
}, name="ErrorDetailSchema")


class ErrorSchema(Schema):
    """The one error shape of the API: `{"error": {"code", "message", "fields"}}`."""

    error = fields.Nested(ErrorDetailSchema, required=True)


class Api(BaseApi):
    # Every operation documents its errors (the `default` response, 401, 409, 422, ...) in the API's own
    # shape rather than flask-smorest's `{code, status, message, errors}`.
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):
        if not request.path.startswith(PREFIX):
            return error
        data = getattr(error, "data", None) or {}
        if error.code == 422:
            fields = _flatten_webargs(data.get("messages", {}))
            return jsonify(error_body("validation_error", "The input is not valid.", fields)), 422
        code = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 409: "conflict", 413: "too_large", 429: "too_many_requests"}
        message = data.get("message") or error.description or error.name
        if error.code >= 500:
            message = "An unexpected error occurred; nothing was changed."
        return jsonify(error_body(code.get(error.code, "error"), message)), error.code


def handle_domain_error(exc: DomainError):
    """A refusal no resource caught; `core.web.request_act` has already rolled back what it did."""
    if not request.path.startswith(PREFIX):  # a web view that did not catch it
        return render_template("core/error.html", code=exc.status, message=exc.message), exc.status
    extra = {"details": exc.details} if exc.details else {}
    return jsonify(error_body(exc.code, exc.message, exc.fields, **extra)), exc.status


def handle_integrity_error(exc: IntegrityError):
    message = "The change conflicts with existing data; nothing was changed."
    if not request.path.startswith(PREFIX):
        return render_template("core/error.html", code=409, message=message), 409
    return jsonify(error_body("conflict", message)), 409


def handle_database_unavailable(exc: DBAPIError):
    """A database that cannot be reached (connection refused or lost) is 503 with `Retry-After`, in the
    error shape for the API and on a plain translated page for the web: the client may simply try
    again. Any other database error is re-raised and stays the unexpected 500 it was."""
    if not database_unreachable(exc):
        raise exc
    log.error("Database unavailable on %s %s: %s", request.method, request.path, str(exc).splitlines()[0])
    if not request.path.startswith(PREFIX):
        return database_unavailable_page()
    body = error_body("database_unavailable", "The database cannot be reached right now; try again in a moment.")
    return jsonify(body), 503, {"Retry-After": str(DATABASE_RETRY_AFTER)}


def authenticate_request():
    if not request.path.startswith(PREFIX):
        return None
    if request.endpoint in PUBLIC_ENDPOINTS or request.method == "OPTIONS":
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = user_for_token(get_session(), token.strip()) if scheme.lower() == "bearer" and token else None
    if user is None:
        return jsonify(error_body("unauthorized", "A valid bearer token is required.")), 401
    g.actor = user
    return None


def page_body(page) -> dict:
    """A list answer; the route's page schema serializes the items."""
    return {"items": page.items, "total": page.total, "page": page.page, "per_page": page.per_page}


def page_schema(item_schema: type[Schema]) -> type[Schema]:
    """The `{items, total, page, per_page}` shape of every list, named after its items."""
    name = f"{item_schema.__name__.removesuffix('Schema')}PageSchema"
    if name not in _PAGE_SCHEMAS:
        _PAGE_SCHEMAS[name] = Schema.from_dict({
            "items": fields.List(fields.Nested(item_schema)),
            "total": Int(), "page": Int(), "per_page": Int(),
        }, name=name)
    return _PAGE_SCHEMAS[name]


_PAGE_SCHEMAS: dict[str, type[Schema]] = {}


class PageArgs(Schema):
    """The query arguments of every paged list: `page` from 1, `per_page` up to 200 (25 unless a
    list says otherwise). A list's own filters subclass it."""

    page = Int(load_default=1, validate=validate.Range(min=1))
    per_page = Int(load_default=25, validate=validate.Range(min=1, max=200))


def decimal_as_string(self, field, **kwargs) -> dict:
    """An OpenAPI attribute function: a decimal that JSON carries as a string (`"12.50"`) is documented
    as one, whichever Decimal field a schema declares it with."""
    if isinstance(field, fields.Decimal) and field.as_string:
        return {"type": "string", "format": "decimal"}
    return {}


def idempotent(view):
    """Honour `Idempotency-Key` on a creating POST: the same key and body return the
    first answer and create nothing; the same key with another body is refused."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if not key:
            return view(*args, **kwargs)
        session = get_session()
        digest = hashlib.sha256(request.get_data() or b"").hexdigest()
        endpoint = f"{request.method} {request.path}"
        found = session.scalar(select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == g.actor.id, IdempotencyRecord.key == key))
        if found is not None:
            return _replay(found, digest, endpoint)
        session.add(IdempotencyRecord(user_id=g.actor.id, key=key[:200], endpoint=endpoint, request_hash=digest))
        try:
            with request_act():  # a conflict rolls the act back before the key is read again
                result = view(*args, **kwargs)  # the service's commit stores the key with the document
        except IntegrityError:
            found = session.scalar(select(IdempotencyRecord).where(
                IdempotencyRecord.user_id == g.actor.id, IdempotencyRecord.key == key))
            if found is None:
                raise
            return _replay(found, digest, endpoint)
        response = current_app.make_response(result)
        record = session.scalar(select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == g.actor.id, IdempotencyRecord.key == key))
        if record is not None and response.status_code < 300:
            record.status_code = response.status_code
            record.response = response.get_json()
            session.commit()
        return response

    return wrapper


def _replay(found: IdempotencyRecord, digest: str, endpoint: str):
    if found.request_hash != digest or found.endpoint != endpoint:
        return jsonify(error_body("idempotency_key_reused",
                                  "This Idempotency-Key was used with a different request.")), 422
    if found.status_code is None:
        return jsonify(error_body("request_in_progress", "The first request with this key is still running.")), 409
    return jsonify(found.response), found.status_code


def init_app(app: Flask, csrf) -> Api:
    app.config.update(
        API_TITLE="Suite API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/static/vendor/swagger-ui/",
    )
    rest = Api(app, spec_kwargs={
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    })
    rest.register_field(DecimalText, "string", "decimal")
    rest.ma_plugin.converter.add_attribute_function(decimal_as_string)
    from api import (
        audit,
        auth,
        bank,
        contacts,
        credit_notes,
        customers_admin,
        finance,
        inventory,
        leads,
        master,
        opportunities,
        production,
        purchasing,
        quotes,
        report_funnel,
        report_operations,
        reports,
        sales,
        segments,
        targets,
        tasks,
        tickets,
        timeline,
    )

    app.before_request(authenticate_request)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(DBAPIError, handle_database_unavailable)
    for module in (auth, master, audit, sales, inventory, production, purchasing, finance, bank, leads, opportunities,
                   quotes, tickets, customers_admin, contacts, segments, credit_notes, reports):
        csrf.exempt(module.blp)
        rest.register_blueprint(module.blp, url_prefix=PREFIX)
    for module in (targets,):
        csrf.exempt(module.blp)
        rest.register_blueprint(module.blp, url_prefix=PREFIX)
    for module in (report_funnel,):
        csrf.exempt(module.blp)
        rest.register_blueprint(module.blp, url_prefix=PREFIX)
    for module in (report_operations,):
        csrf.exempt(module.blp)
        rest.register_blueprint(module.blp, url_prefix=PREFIX)
    for module in (tasks, timeline):
        csrf.exempt(module.blp)
        rest.register_blueprint(module.blp, url_prefix=PREFIX)
    return rest
