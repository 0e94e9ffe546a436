"""Customer payments, their allocation to invoices, and refunds of unapplied credit."""
