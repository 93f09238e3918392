"""Allow ``python -m fanbind``."""

from fanbind.cli import main

if __name__ == "__main__":  # only when run, never when imported
    main()
