"""bench: see docs/bench.md."""
