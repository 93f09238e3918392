"""Internal links of a PDF read back with pypdf (shared by the parts tests)."""

from __future__ import annotations

from pypdf import PdfReader


def internal_links(reader: PdfReader) -> list[tuple[int, tuple[float, ...], int]]:
    """(page with the link, where on it, page it lands on) for every internal link."""
    targets = {name: reader.get_destination_page_number(dest)
               for name, dest in reader.named_destinations.items()}
    found = []
    for index, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") == "/Link" and "/Dest" in annotation:
                found.append((index, tuple(round(float(v), 2) for v in annotation["/Rect"]),
                              targets[str(annotation["/Dest"])]))
    return found
