"""Sales orders: the document that drives everything downstream."""
