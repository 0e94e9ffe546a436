"""`flask --app core.app stock check`: prove that the balances agree with the ledger."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from inventory.services import check_ledger

stock_cli = AppGroup("stock", help="Stock ledger and balances.")


@stock_cli.command("check")
def stock_check() -> None:
    """Compare every balance with the sum of its moves and active reservations."""
    session = current_app.extensions["db"].sessionmaker()
    try:
        mismatches = check_ledger(session)
    finally:
        session.close()
    for mismatch in mismatches:
        click.echo(str(mismatch), err=True)
    if mismatches:
        raise click.ClickException(f"{len(mismatches)} balance(s) disagree with the ledger.")
    click.echo("Balances agree with the stock ledger and the reservations.")
