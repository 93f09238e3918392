"""PDF writer: the only module that imports WeasyPrint.

The rendered XHTML documents are joined into one HTML document (their bodies, in
order, with links between files turned into links inside the document) and laid
out by WeasyPrint with ``print.css``. WeasyPrint fetches only through
:class:`ProjectFetcher`, which serves files from the project folder and the
package's styles and fonts and refuses everything else — no network, ever.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import etree
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from fanbind.errors import BuildError
from fanbind.model import Anthology
from fanbind.render import XHTML_NS, Document, new_document, sub
from fanbind.resources import PRINT_CSS, STYLES_DIR

MIME_TYPES = {
    ".css": "text/css", ".otf": "font/otf", ".ttf": "font/ttf", ".woff": "font/woff",
    ".woff2": "font/woff2", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".svg": "image/svg+xml", ".webp": "image/webp",
}


class RefusedResource(ValueError):
    """A resource outside the allowed folders, or not a local file."""


class ProjectFetcher(URLFetcher):
    """Serve only local files under the allowed roots; record what was refused."""

    def __init__(self, roots: Iterable[Path]):
        super().__init__(allowed_protocols={"file"})
        self.roots = tuple(root.resolve() for root in roots)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file":
            self.refused.append(url)
            raise RefusedResource(f"not fetched (only project files are used): {url}")
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots) or not path.is_file():
            self.refused.append(url)
            raise RefusedResource(f"not fetched (outside the project): {url}")
        content_type = MIME_TYPES.get(path.suffix.lower(), "application/octet-stream")
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": content_type})


@dataclass(frozen=True)
class PdfResult:
    pages: int
    refused: tuple[str, ...]
    warnings: tuple[str, ...]


def join_documents(anthology: Anthology, documents: list[Document]) -> etree._Element:
    """One HTML tree from the print documents' bodies, with in-document links."""
    meta = anthology.meta
    html, body = new_document(meta.title, meta.language, ())
    head = html.find(f"{{{XHTML_NS}}}head")
    authors = list(dict.fromkeys(a for s in anthology.stories for a in s.meta.authors))
    sub(head, "meta", name="author", content=", ".join(authors or meta.editors))
    keywords = dict.fromkeys(t for s in anthology.stories
                             for t in (*s.meta.fandoms, *s.meta.relationships, *s.meta.tags))
    if keywords:
        sub(head, "meta", name="keywords", content=", ".join(keywords))
    if meta.description:
        sub(head, "meta", name="description", content=meta.description)
    sub(head, "meta", name="generator", content="fanbind")
    # Consecutive documents of the same matter share a wrapper, so print.css can
    # give each matter its own named page (roman folios, a page counter reset).
    wrapper = None
    for doc in documents:
        if "pdf" not in doc.formats:
            continue
        if wrapper is None or wrapper.get("class") != f"{doc.matter}matter":
            wrapper = sub(body, "div", class_=f"{doc.matter}matter")
        doc_body = doc.root.find(f"{{{XHTML_NS}}}body")
        for child in doc_body:
            part = copy.deepcopy(child)
            if doc.language != meta.language:
                part.set("lang", doc.language)
            wrapper.append(part)
    for link in body.iter(f"{{{XHTML_NS}}}a"):
        href = link.get("href", "")
        if ".xhtml" in href and "://" not in href:
            filename, _, anchor = href.partition("#")
            link.set("href", "#" + (anchor or filename.removesuffix(".xhtml")))
    return html


def write_pdf(
    anthology: Anthology,
    documents: list[Document],
    target: Path,
    *,
    project_dir: Path,
    extra_stylesheets: tuple[Path, ...] = (),
    created: dt.datetime,
) -> PdfResult:
    """Lay out the book and write it to ``target`` (the caller makes it atomic)."""
    html_root = join_documents(anthology, documents)
    head = html_root.find(f"{{{XHTML_NS}}}head")
    stamp = created.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    sub(head, "meta", name="dcterms.created", content=stamp)
    sub(head, "meta", name="dcterms.modified", content=stamp)
    fetcher = ProjectFetcher([project_dir, STYLES_DIR])
    fonts = FontConfiguration()
    captured = _CaptureWarnings()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(captured)
    try:
        stylesheets = [CSS(filename=str(PRINT_CSS), url_fetcher=fetcher, font_config=fonts)]
        stylesheets += [CSS(filename=str(path), url_fetcher=fetcher, font_config=fonts)
                        for path in extra_stylesheets]
        source = etree.tostring(html_root, encoding="unicode", method="html")
        document = HTML(string=source, base_url=str(project_dir) + "/", url_fetcher=fetcher)
        rendered = document.render(stylesheets=stylesheets, font_config=fonts)
        rendered.write_pdf(target)
    except OSError as exc:
        raise BuildError(f"could not write the PDF: {exc.strerror or exc}", file=str(target)) from exc
    finally:
        logger.removeHandler(captured)
    return PdfResult(len(rendered.pages), tuple(fetcher.refused), tuple(captured.messages))


class _CaptureWarnings(logging.Handler):
    """Collect WeasyPrint's warnings so they reach the user once, not on stderr."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
