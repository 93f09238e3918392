"""fanbind.settings."""
