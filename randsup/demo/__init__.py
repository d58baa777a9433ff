"""demo: see docs/demo.md."""
