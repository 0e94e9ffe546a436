"""Payment plans: an order's installments, invoiced when their trigger happens."""
