"""`flask --app core.app reports ...`: the reports' commands."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from reports import cube

reports_cli = AppGroup("reports", help="Management reports: their aggregates.")


@reports_cli.command("refresh")
def refresh() -> None:
    """Roll the sales entries written since the last roll-up into the cubes (what the beat does)."""
    with current_app.extensions["db"].sessionmaker() as session:
        click.echo(f"{cube.roll_up(session)} sales entries rolled up.")


@reports_cli.command("rebuild")
def rebuild() -> None:
    """Build the sales cubes again from every sales entry (after a restore or a bulk load)."""
    with current_app.extensions["db"].sessionmaker() as session:
        click.echo(f"The cubes were rebuilt; {cube.rebuild(session)} entries were still waiting for a roll-up.")
