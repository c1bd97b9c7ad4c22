"""Local stand-ins for the upstream side: the source table and producer-shaped ticks."""
