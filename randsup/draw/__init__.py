"""draw: see docs/draw.md."""
