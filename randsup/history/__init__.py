"""history: see docs/history.md."""
