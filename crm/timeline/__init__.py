"""The customer 360 timeline: everything that happened to one customer, in date order, gathered from
timeline sources that each module registers (crm: activities, tasks, opportunities, quotes, orders,
tickets; downstream modules such as finance add theirs from their own `init_app`, since crm may not
import them)."""
