"""inputs: see docs/inputs.md."""
