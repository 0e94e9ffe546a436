"""Opportunities in a pipeline of stages with exit rules, lost reasons, and activities."""
