"""Command line: `flask --app core.app db|users|demo|outbox ...`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from marshmallow import ValidationError

from core import migrate, services
from core.errors import DomainError
from core.models import Role
from core.schemas import CreateUserSchema
from core.web import system_uow

db_cli = AppGroup("db", help="Database schema.")
users_cli = AppGroup("users", help="User accounts.")
demo_cli = AppGroup("demo", help="The demo company.")
outbox_cli = AppGroup("outbox", help="The transactional outbox.")


def _engine():
    return current_app.extensions["db"].engine


@db_cli.command("upgrade")
@click.argument("revision", default="heads")
def db_upgrade(revision: str) -> None:
    """Build or upgrade the schema (and the default warehouse and units)."""
    migrate.upgrade(_engine(), revision)
    click.echo(f"Database at {revision}.")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    migrate.downgrade(_engine(), revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--head", default="head", help="the revision to build on when several heads exist")
def db_revision(message: str, head: str) -> None:
    """Write a new migration from the difference between models and database."""
    migrate.revision(_engine(), message, head)


@db_cli.command("check")
def db_check() -> None:
    """Fail when the models have changes that no migration holds."""
    changes = migrate.pending_changes(_engine())
    if changes:
        raise click.ClickException(f"Models and migrations differ: {changes}")
    click.echo("Migrations match the models.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--password", required=True, help="At least 10 characters, and not a common password.")
@click.option("--full-name", default="")
@click.option("--team", default=None)
def users_create(username: str, role: str, password: str, full_name: str, team: str | None) -> None:
    """Create a user with a role."""
    try:
        data = CreateUserSchema().load({"username": username, "role": role, "password": password,
                                        "full_name": full_name, "team": team})
        user = services.create_user(system_uow(), data)
    except ValidationError as exc:
        raise click.ClickException(f"Invalid: {exc.messages}") from exc
    except DomainError as exc:
        raise click.ClickException(f"{exc.message} {exc.fields or ''}") from exc
    click.echo(f"Created user {user.username} ({user.role}).")


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo company (idempotent: a second run changes nothing)."""
    from core.demo import load_demo

    summary = load_demo(system_uow(), current_app.extensions["demo_loaders"])
    click.echo(summary)


@outbox_cli.command("relay")
def outbox_relay() -> None:
    """Deliver pending outbox messages now (the worker does this on its own)."""
    from core.outbox import relay_pending

    ext = current_app.extensions
    click.echo(f"Delivered {relay_pending(ext['db'].sessionmaker, ext['outbox_consumers'])} messages.")


def init_app(app: Flask) -> None:
    app.extensions.setdefault("demo_loaders", [])
    for group in (db_cli, users_cli, demo_cli, outbox_cli):
        app.cli.add_command(group)
