"""Credit policies, their levels and assignment rules, the daily run and its decisions."""
