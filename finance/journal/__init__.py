"""The double-entry journal: the chart of accounts, what each act books, and the check."""
