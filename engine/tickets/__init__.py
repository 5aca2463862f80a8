"""Tickets: requests routed by a routing script to specialist groups, with SLA times."""
