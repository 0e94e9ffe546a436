"""Every marshmallow schema of the suite reads whole numbers, ids and dates through the bounded fields of
`core.schemas` (`Int`, `Id`, `Date`, `DateTime`, `AwareDateTime`), so no schema, old or new, lets an id
beyond the database's INTEGER, a truncated 1.5 or a date whose due date overflows reach a service."""

from __future__ import annotations

from marshmallow import Schema, fields

from core import schemas

PACKAGES = ("core", "crm", "inventory", "production", "purchasing", "finance", "api")
# Output fields named like ids that hold something else than a record's id.
NOT_IDS = {"finance.schemas.AgingRowSchema.customer_id"}  # 0 in the aging's totals row
BOUNDED = {fields.Integer: schemas.Int, fields.AwareDateTime: schemas.AwareDateTime,
           fields.DateTime: schemas.DateTime, fields.Date: schemas.Date}


def _suite_schemas():
    """Every Schema subclass the suite defines (`Schema.from_dict` ones included), once."""
    seen, todo = set(), [Schema]
    while todo:
        for schema in todo.pop().__subclasses__():
            if schema not in seen:
                seen.add(schema)
                todo.append(schema)
                if schema.__module__.split(".")[0] in PACKAGES or schema.__module__ == "marshmallow.schema":
                    yield schema


def _fields(name: str, field: fields.Field):
    yield name, field
    if isinstance(field, fields.List):
        yield from _fields(name, field.inner)
    if isinstance(field, fields.Dict) and field.value_field is not None:
        yield from _fields(f"{name} values", field.value_field)


def _unbounded(name: str, field: fields.Field) -> str | None:
    for plain, bounded in BOUNDED.items():  # the most specific first: an AwareDateTime is a DateTime too
        if isinstance(field, plain):
            if not isinstance(field, bounded):
                return f"{name}: {type(field).__name__} instead of core.schemas.{bounded.__name__}"
            break
    is_id = name == "id" or name.endswith(("_id", "_ids"))
    if is_id and isinstance(field, fields.Integer) and not isinstance(field, schemas.Id):
        return f"{name}: an id field that is not core.schemas.Id"
    return None


def test_every_schema_bounds_its_numbers_ids_and_dates(app):  # the app has imported every module
    problems = []
    for schema in _suite_schemas():
        for name, declared in schema._declared_fields.items():
            for field_name, field in _fields(name, declared):
                problem = _unbounded(field_name, field)
                if problem and f"{schema.__module__}.{schema.__name__}.{field_name}" not in NOT_IDS:
                    problems.append(f"{schema.__module__}.{schema.__name__}.{problem}")
    assert problems == []
    assert len(list(_suite_schemas())) > 100  # the registry does hold the suite's schemas
