"""Leads: capture (API and the public web form), duplicate detection, scoring, assignment
with follow-up deadlines, the public pool, and conversion into customer, contact and opportunity."""
