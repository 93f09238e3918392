"""A page's styles and its margin boxes' shared by every page the same ``@page``
rules match: WeasyPrint's ``set_page_type_computed_styles``, remembered.

WeasyPrint gives each page a page type of its own (it carries the page's place
in its named page group, for ``:nth()``), and computes for each one the page's
style and the sixteen margin boxes' styles: every page of a book pays for the
cascade of the ``@page`` rules and then, value by value, for the computed styles
its margin boxes read — about a tenth of a render of the sample, where every
page draws a running head and a folio (a page of a part, whose margin boxes are
drawn later, pays for the cascade only).

Two page types that the same ``@page`` selectors match get the same
declarations, so the same styles (a page's style inherits from the root element
only). :class:`PageStyles` computes them for the first page type of each kind
(an opening, a recto, a verso, a blank page…) and files the later ones under
the same style objects. What WeasyPrint writes into them is the same for every
page: ``overflow`` from the root box, and the page-based counters it
standardises (a second pass changes nothing). The first page's styles are
WeasyPrint's own and shared with no other: they are computed before the page
size that viewport units refer to is known.

The same rule is used where the folios are stamped on later
(:func:`fanbind.pdf.layout.stamp_folios`). Nothing here imports WeasyPrint
(pdf/layout.py is its only importer): layout.py puts
:meth:`PageStyles.set_page_type_computed_styles` in place of WeasyPrint's for
the run (``layout._remembered_styles``); tests/test_page_styles.py checks what
it relies on against WeasyPrint's source.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any


def page_selectors(style_for: Any) -> list[Any]:
    """Every ``@page`` selector of the stylesheets ``style_for`` cascades, in order."""
    return [selector[2] for sheet, _origin, _specificity in style_for._sheets
            for _rule, selector_list, _declarations in sheet.page_rules
            for selector in selector_list]


class PageStyles:
    """WeasyPrint's ``set_page_type_computed_styles``, computed once per kind of page.

    ``made``: page types WeasyPrint computed; ``shared``: page types given the
    styles of an earlier one.
    """

    def __init__(self, set_page_type_computed_styles: Callable[[Any, Any, Any], None]) -> None:
        self._set = set_page_type_computed_styles
        # The cascade of the render under way (WeasyPrint's StyleFor, not kept alive:
        # it holds the whole document's styles), its @page selectors, and per set of
        # selectors matched, the page type computed and the pseudo-types it has.
        self._cascade: tuple[weakref.ref[Any], list[Any],
                             dict[tuple[bool, ...], tuple[Any, list[Any]]]] | None = None
        self.made = 0
        self.shared = 0

    def set_page_type_computed_styles(self, page_type: Any, html: Any, style_for: Any) -> None:
        """WeasyPrint's ``set_page_type_computed_styles``: the styles of ``page_type``
        and its margin boxes, in ``style_for``."""
        if style_for.initial_page_sizes["box"] is None:  # the first page: its own
            self.made += 1
            self._set(page_type, html, style_for)
            return
        cascade = self._cascade
        if cascade is None or cascade[0]() is not style_for:
            cascade = self._cascade = (weakref.ref(style_for), page_selectors(style_for), {})
        _style_for, selectors, kinds = cascade
        match = style_for._page_type_match
        kind = tuple(match(selector, page_type) for selector in selectors)
        computed = style_for._computed_styles
        cascaded = style_for._cascaded_styles
        known = kinds.get(kind)
        if known is None:
            self.made += 1
            self._set(page_type, html, style_for)
            pseudo_types = [pseudo for element, pseudo in computed if element == page_type]
            kinds[kind] = (page_type, pseudo_types)
            return
        self.shared += 1
        first, pseudo_types = known
        for pseudo in pseudo_types:
            computed[page_type, pseudo] = computed[first, pseudo]
            if (first, pseudo) in cascaded:
                cascaded[page_type, pseudo] = cascaded[first, pseudo]
