"""assign: see docs/assign.md."""
