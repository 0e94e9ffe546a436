"""CSV and Excel import of customers and products.

Customers may carry `source` (an acquisition source: its code, or its label in English or Chinese)
and `industry`; products `product_line` (a product line's code). The services check them as for a
record typed by hand, and a refused row names the column and why.

A dry run checks every row through the same services that the API and the
web forms use, inside savepoints, reports each row's errors and rolls
everything back. A commit does the same and keeps the valid rows, in one
transaction. A row whose code (or sku) exists updates that record."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import select

from core import services
from core.errors import DomainError, Forbidden, InvalidInput
from core.models import Customer, Product, Supplier, User
from core.schemas import CustomerFormSchema, Int, ProductFormSchema
from core.sources import source_of_label
from core.uow import UnitOfWork

MAX_ROWS = 20000


class ImportError_(DomainError):
    status = 422
    code = "import_unreadable"


def read_table(filename: str, content: bytes) -> list[dict[str, str]]:
    """Rows of a .csv, .xlsx or .xls file as text, header names lower-cased."""
    name = (filename or "").lower()
    try:
        if name.endswith((".xlsx", ".xlsm", ".xls")):
            frame = pd.read_excel(io.BytesIO(content), dtype=str, keep_default_na=False)
        else:
            text = _decode(content)
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except Exception as exc:  # pandas raises many kinds; the user needs one clear answer
        raise ImportError_(f"The file could not be read as CSV or Excel: {exc}") from exc
    if len(frame) > MAX_ROWS:
        raise ImportError_(f"At most {MAX_ROWS} rows per file.")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return [{k: (v.strip() if isinstance(v, str) else v) for k, v in row.items()} for row in frame.to_dict("records")]


def decode_text(content: bytes) -> str | None:
    """An uploaded file's text: UTF-8 (with or without a byte order mark), else GB18030 (what Chinese
    Excel and banks export); None when it is neither."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _decode(content: bytes) -> str:
    text = decode_text(content)
    if text is None:
        raise ImportError_("The file is neither UTF-8 nor GB18030 text.")
    return text


@dataclass(frozen=True)
class Importer:
    resource: str
    model: type
    key: str
    schema: type[Schema]
    resolve: Callable[[UnitOfWork, dict[str, Any]], dict[str, list[str]]]
    create: Callable[[UnitOfWork, dict], Any]
    update: Callable[[UnitOfWork, int, dict], Any]


def _reference(uow: UnitOfWork, row: dict[str, Any], field: str, column, target: str, what: str) -> dict:
    """Replace a human reference (a username, a supplier code) by the record's id."""
    value = row.pop(field, None)
    if not value:
        return {}
    found = uow.session.scalar(select(column.class_.id).where(column == value))
    if found is None:
        return {field: [f"No {what} {value!r}."]}
    row[target] = found
    return {}


def _resolve_customer(uow: UnitOfWork, row: dict[str, Any]) -> dict[str, list[str]]:
    if isinstance(row.get("tags"), str):
        row["tags"] = [t.strip() for t in re.split(r"[,;，；]", row["tags"]) if t.strip()]
    if isinstance(row.get("source"), str):
        row["source"] = source_of_label(row["source"])
    return _reference(uow, row, "owner", User.username, "owner_id", "user named")


def _resolve_product(uow: UnitOfWork, row: dict[str, Any]) -> dict[str, list[str]]:
    return _reference(uow, row, "default_supplier", Supplier.code, "default_supplier_id", "supplier with code")


IMPORTERS: dict[str, Importer] = {
    "customers": Importer("customer", Customer, "code", CustomerFormSchema, _resolve_customer,
                          services.create_customer, services.update_customer),
    "products": Importer("product", Product, "sku", ProductFormSchema, _resolve_product,
                         services.create_product, services.update_product),
}


class RowErrorSchema(Schema):
    field = fields.String()
    reason = fields.String()


class RowReportSchema(Schema):
    row = Int()
    key = fields.String(allow_none=True)
    action = fields.String(metadata={"description": "create, update or error"})
    errors = fields.List(fields.Nested(RowErrorSchema))


class ImportReportSchema(Schema):
    committed = fields.Boolean()
    total = Int()
    valid = Int()
    invalid = Int()
    created = Int()
    updated = Int()
    rows = fields.List(fields.Nested(RowReportSchema))


def _errors(messages: dict) -> list[dict[str, str]]:
    out = []
    for field, reasons in messages.items():
        for reason in reasons if isinstance(reasons, list) else [reasons]:
            out.append({"field": field, "reason": str(reason)})
    return out


def _import_row(uow: UnitOfWork, importer: Importer, raw: dict[str, Any], seen: set) -> str:
    row = {k: v for k, v in raw.items() if v not in ("", None)}
    problems = importer.resolve(uow, row)
    try:
        data = importer.schema().load(row)
    except ValidationError as exc:
        problems |= exc.messages
        data = {}
    if problems:
        raise InvalidInput(problems)
    key = data[importer.key]
    if key in seen:
        raise InvalidInput({importer.key: ["This value appears twice in the file."]})
    seen.add(key)
    existing = uow.session.scalar(select(importer.model.id).where(getattr(importer.model, importer.key) == key))
    if existing is None:
        importer.create(uow, data)
        return "create"
    importer.update(uow, existing, data)
    return "update"


def run_import(uow: UnitOfWork, importer: Importer, rows: list[dict[str, Any]], *, commit: bool) -> dict:
    uow.authorize("create", importer.resource)
    uow.authorize("update", importer.resource)
    report: list[dict] = []
    seen: set = set()
    with uow.batch():
        for index, raw in enumerate(rows):
            entry = {"row": index + 2, "key": raw.get(importer.key) or None, "errors": []}
            try:
                with uow.session.begin_nested():
                    entry["action"] = _import_row(uow, importer, raw, seen)
            except (InvalidInput, Forbidden, DomainError) as exc:
                entry["action"] = "error"
                entry["errors"] = _errors(exc.fields or {"row": [exc.message]})
            report.append(entry)
    valid = [r for r in report if r["action"] != "error"]
    if commit and valid:
        uow.commit()
    else:
        uow.rollback()
    return {
        "committed": bool(commit and valid),
        "total": len(report),
        "valid": len(valid),
        "invalid": len(report) - len(valid),
        "created": sum(r["action"] == "create" for r in report),
        "updated": sum(r["action"] == "update" for r in report),
        "rows": report,
    }
