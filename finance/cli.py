"""`flask --app core.app finance ...`: finance's commands."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

finance_cli = AppGroup("finance", help="Finance: the journal and its checks.")


@finance_cli.command("journal-check")
def journal_check() -> None:
    """Prove the books agree: every entry and the whole journal balance; receivable and customer
    advances per customer equal the open invoices and the unapplied credit; inventory per product
    equals the stock valuation. Exits non-zero with the list of differences."""
    from finance.journal.booking import check

    session = current_app.extensions["db"].sessionmaker()
    try:
        differences = check(session)
    finally:
        session.close()
    for difference in differences:
        click.echo(str(difference), err=True)
    if differences:
        raise click.ClickException(f"{len(differences)} difference(s) between the journal and the books.")
    click.echo("The journal balances and agrees with receivables, customer credit and stock valuation.")


@finance_cli.command("journal-opening")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The opening entry's date (default: today).")
def journal_opening(on) -> None:
    """Book one opening entry that brings the journal level with invoices, payments and stock recorded before
    it existed (after upgrading a database that has history); nothing when they already agree."""
    from core.web import system_uow
    from finance.journal.booking import book_opening_balances

    session = current_app.extensions["db"].sessionmaker()
    try:
        entry = book_opening_balances(system_uow(session), on=on.date() if on else None)
        click.echo(f"Booked {entry.number} with {len(entry.lines)} lines." if entry else
                   "The journal already agrees with the books; nothing booked.")
    finally:
        session.close()
