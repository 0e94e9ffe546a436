"""Alembic environment: runs on the connection the CLI (or a test) hands over."""

from alembic import context

from core.db import Base
from core.models_registry import load_all_models

load_all_models()
target_metadata = Base.metadata


def run() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
