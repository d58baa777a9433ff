"""publish: see docs/publish.md."""
