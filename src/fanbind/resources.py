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
#: The bold faces: EB Garamond 12 has only a 127-glyph bold, so these are Octavio
#: Pardo's EB Garamond at weight 700, fitted to the 12 (see tools/bold_faces.py and
#: fonts/OFL-Bold.txt). An EPUB embeds them only when its text has bold.
BOLD_FONT_FILES = ("EBGaramond-Bold.otf", "EBGaramond-BoldItalic.otf")
#: Every bundled face, the roman first (pdf/advance.py measures with it).
FONT_FILES = ("EBGaramond12-Regular.otf", "EBGaramond12-Italic.otf", *BOLD_FONT_FILES)
