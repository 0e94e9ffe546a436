"""Quotes: versions, lines priced from the product list with discounts, a manager's approval above
the discount threshold, and the accepted quote becoming a draft sales order with the same lines."""
