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
    from finance.journal import check

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
