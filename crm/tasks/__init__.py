"""Tasks and reminders: follow-ups with a due time and an optional reminder, owned by a sales user,
related to a customer, a lead or an opportunity; created by hand, from an activity's next step, or by
jobs (dormant customers, stalled deals)."""
