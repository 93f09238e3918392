"""fanbind.text."""
