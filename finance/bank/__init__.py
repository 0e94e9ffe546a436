"""Bank reconciliation: bank accounts, statement import and matching."""
