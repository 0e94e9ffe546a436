"""The migrations build the same schema as the models, on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import migrate
from core.db import make_engine
from core.models import UoM, Warehouse
from tests.conftest import fresh_database


def _check(url):
    engine = make_engine(url)
    try:
        differences = migrate.pending_changes(engine)
        with Session(engine) as session:
            default = session.scalars(select(Warehouse.code).where(Warehouse.is_default.is_(True))).all()
            units = set(session.scalars(select(UoM.code)))
    finally:
        engine.dispose()
    return differences, default, units


def test_migrations_match_the_models_on_sqlite(tmp_path):
    with fresh_database(tmp_path, postgres=False) as url:
        differences, default, units = _check(url)
    assert differences == []
    assert default == ["WH"]
    assert {"pcs", "kg"} <= units


@pytest.mark.postgres
def test_migrations_match_the_models_on_postgresql(tmp_path):
    with fresh_database(tmp_path, postgres=True) as url:
        differences, default, _units = _check(url)
    assert differences == []
    assert default == ["WH"]


def test_every_migration_downgrades_and_upgrades_again(tmp_path):
    with fresh_database(tmp_path, postgres=False) as url:
        engine = make_engine(url)
        migrate.downgrade(engine, "base")
        migrate.upgrade(engine)
        assert migrate.pending_changes(engine) == []
        engine.dispose()


def test_parallel_lines_of_migrations_are_merged_into_one_head():
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
    assert len(heads) == 1, f"merge the heads {heads} with a merge revision before landing"
