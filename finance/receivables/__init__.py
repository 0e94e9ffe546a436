"""Receivables read out: the aging report's workbook and chart, and the customer statement."""
