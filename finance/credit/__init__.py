"""Credit control: a customer's exposure, finance's approvals and the automatic credit hold."""
