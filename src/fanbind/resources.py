"""Where the package's own styles and fonts live.

The files sit inside the package (``fanbind/styles``) so an installed fanbind
typesets the same everywhere; the repository's top-level ``styles/`` is a link to
that folder so users find them where the design card says.
"""

from __future__ import annotations

from pathlib import Path

STYLES_DIR = Path(__file__).resolve().parent / "styles"
FONTS_DIR = STYLES_DIR / "fonts"
EPUB_CSS = STYLES_DIR / "epub.css"
PRINT_CSS = STYLES_DIR / "print.css"
FONT_FILES = ("EBGaramond12-Regular.otf", "EBGaramond12-Italic.otf")
