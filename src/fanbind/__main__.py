"""Allow ``python -m fanbind``."""

from fanbind.cli import main

main()
