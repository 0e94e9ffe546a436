"""CSV and Excel import of leads, with the dry-run and commit of `core.imports`.

The file is read by `core.imports.read_table`; each row is checked with the capture schema and then
captured by `crm.leads.bulk.capture_leads`, so an imported lead is matched, scored and assigned as one
captured through the API (a row repeating an earlier row of the same file is flagged as its duplicate).
A dry run does everything and rolls back: its report shows what loading would do. A commit keeps the
valid rows in one transaction; a row with errors is reported with its row number, field and reason
and changes nothing."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select

from core.imports import ImportError_
from core.models import User
from core.uow import UnitOfWork
from crm.leads.bulk import capture_leads
from crm.leads.models import LeadSource
from crm.leads.schemas import CaptureLeadSchema

#: Header names understood (after lower-casing and turning spaces and dashes into underscores).
COLUMNS = {
    "company": "company", "company_name": "company", "公司": "company", "公司名称": "company", "企业名称": "company",
    "contact_name": "contact_name", "contact": "contact_name", "name": "contact_name", "联系人": "contact_name",
    "姓名": "contact_name",
    "title": "title", "job_title": "title", "职务": "title", "职位": "title",
    "phone": "phone", "mobile": "phone", "telephone": "phone", "电话": "phone", "手机": "phone",
    "email": "email", "e_mail": "email", "邮箱": "email", "电子邮件": "email",
    "industry": "industry", "行业": "industry",
    "region": "region", "地区": "region", "区域": "region",
    "company_size": "company_size", "size": "company_size", "employees": "company_size", "公司规模": "company_size",
    "人数": "company_size",
    "channel": "channel", "source": "channel", "source_channel": "channel", "来源": "channel", "渠道": "channel",
    "utm_source": "utm_source", "utm_medium": "utm_medium", "utm_campaign": "utm_campaign",
    "note": "note", "notes": "note", "备注": "note",
}


def _header(name: str) -> str:
    return re.sub(r"[\s\-/]+", "_", name.strip().lower())


def map_columns(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows keyed by lead field, and the header names that were not understood (ignored)."""
    headers = list(rows[0].keys()) if rows else []
    mapping = {h: COLUMNS.get(_header(h)) for h in headers}
    if rows and not any(mapping.values()):
        raise ImportError_("No known column in the file: use company, contact name, phone, email and the others "
                           "listed on the import page.")
    mapped = [{mapping[h]: v for h, v in row.items() if mapping[h] and v not in ("", None)} for row in rows]
    return mapped, [h for h, target in mapping.items() if target is None]


def _messages(messages: dict) -> dict[str, list[str]]:
    return {k: [str(v) for v in (vs if isinstance(vs, list) else [vs])] for k, vs in messages.items()}


def import_leads(uow: UnitOfWork, rows: list[dict[str, Any]], *, commit: bool,
                 now: datetime | None = None) -> dict[str, Any]:
    """Check (dry run) or load rows of a lead file; the report has one entry per row (row 2 is the first
    data row, under the header), each with its errors or with the lead it makes."""
    mapped, ignored = map_columns(rows)
    schema = CaptureLeadSchema()
    loaded: list[dict[str, Any]] = []
    problems: dict[int, dict[str, list[str]]] = {}
    for position, row in enumerate(mapped):
        try:
            loaded.append(schema.load(row))
        except ValidationError as exc:
            problems[position] = _messages(exc.messages)
            loaded.append({})
    with uow.batch():
        outcomes = capture_leads(uow, loaded, source=LeadSource.IMPORT.value, now=now, errors=problems)
        owners = {o.lead.owner_id for o in outcomes if o.lead is not None and o.lead.owner_id}
        names = {u.id: u.display_name for u in uow.session.scalars(select(User).where(User.id.in_(owners)))} \
            if owners else {}
        report = [_entry(outcome, names) for outcome in outcomes]
    valid = sum(entry["action"] == "create" for entry in report)
    committed = bool(commit and valid)
    if committed:
        uow.commit()
    else:
        uow.rollback()
    return {"committed": committed, "total": len(report), "valid": valid, "invalid": len(report) - valid,
            "created": valid if committed else 0,
            "duplicates": sum(bool(entry.get("duplicate")) for entry in report),
            "ignored_columns": ignored, "rows": report}


def _entry(outcome, names: dict[int, str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"row": outcome.index + 2}
    if outcome.errors:
        entry.update(action="error", errors=[{"field": f, "reason": r} for f, rs in outcome.errors.items()
                                             for r in rs])
        return entry
    lead = outcome.lead
    entry.update(action="create", errors=[], number=lead.number, company=lead.company,
                 contact_name=lead.contact_name, score=lead.score, grade=lead.grade, status=lead.status,
                 owner=names.get(lead.owner_id), owner_id=lead.owner_id)
    if lead.is_duplicate:
        entry["duplicate"] = {"kind": lead.duplicate_kind, "id": lead.duplicate_id, "matched_on": lead.duplicate_on,
                              "row": outcome.duplicate_of_index + 2 if outcome.duplicate_of_index is not None
                              else None}
    return entry
