"""Invoicing: invoices, credit notes and their printed documents."""
