"""fanbind.text.lint."""
