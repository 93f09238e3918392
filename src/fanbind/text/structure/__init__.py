"""fanbind.text.structure."""
