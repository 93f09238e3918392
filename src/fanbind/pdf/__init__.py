"""fanbind.pdf."""
