"""After-sales tickets: linked to a customer (and optionally a sales order and a product), with a
priority, an SLA due time computed from it, an assignee, a status with a transition table, the
resolution and the customer's satisfaction score."""
