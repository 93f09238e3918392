"""A story without chapters is planned as its parts' rows arrive (issue 15;
:class:`fanbind.pdf.makeup.PageSearch`, :class:`fanbind.pdf.running.StoryPlanner`).

The page search run on the rows known so far must never settle a page start
that the search run on the whole flow would not choose (for either parity: the
planner may take the other one), and, once every row is in, must give the same
plans, step for step. Pure Python over synthetic flows (tests/test_makeup.py's
paragraphs): hypothesis draws 150 flows and where they are cut into pieces.
The layouts themselves (the book the parts make is the one-piece book) are
compared page for page by tests/test_running_parts.py.
"""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from fanbind.pdf import makeup
from fanbind.pdf.makeup import Flow, PageSearch
from test_makeup import laid_out, paragraph_rows


def _pieces(rows: list[makeup.Row], cuts: list[int]) -> list[list[makeup.Row]]:
    bounds = sorted({0, len(rows), *(c % (len(rows) + 1) for c in cuts)})
    return [rows[a:b] for a, b in itertools.pairwise(bounds)]


def _searched(rows: list[makeup.Row], capacity: float, first_verso: bool,
              pieces: list[list[makeup.Row]], whole: list[makeup.FlowPlan]) -> list[list[int]]:
    """Run the search piece by piece; every settled beginning is checked against
    ``whole`` (the plans of the search run whole); returns them."""
    search = PageSearch(Flow((), (), first_verso, capacity), complete=False)
    settled = []
    for k, piece in enumerate(pieces):
        search.extend(piece)
        if k == len(pieces) - 1:
            search.finish()
        search.run()
        known = search.settled()
        for plan in whole:
            assert plan.starts[:len(known)] == known
        settled.append(known)
    got = search.plans()
    assert [(p.starts, p.forced, p.cost, p.faults) for p in got] == \
        [(p.starts, p.forced, p.cost, p.faults) for p in whole]
    return settled


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(1, 14), min_size=1, max_size=160), st.integers(12, 36),
       st.booleans(), st.lists(st.integers(0, 2_000), max_size=6))
def test_the_search_as_rows_arrive_is_the_search_run_whole(lengths, capacity, first_verso,
                                                           cuts):
    rows = paragraph_rows(lengths)
    flow = laid_out(rows, capacity, first_verso)
    _searched(rows, capacity, first_verso, _pieces(rows, cuts), makeup.flow_plans(flow))


def test_the_first_pages_are_settled_before_the_last_rows_arrive():
    """A flow of 400 paragraphs in four pieces: the plans still open meet again a few
    pages into the third piece, and the pages before that are settled then, the
    same as the whole plan's. (Regular flows can keep two equally good chains apart
    to the end; this one, drawn once, does not.)"""
    r = random.Random(24)
    capacity = r.randint(20, 36)
    rows = paragraph_rows([r.randint(1, 14) for _ in range(400)])
    whole = makeup.flow_plans(laid_out(rows, capacity))
    size = len(rows) // 4 + 1
    settled = _searched(rows, capacity, False,
                        [rows[i:i + size] for i in range(0, len(rows), size)], whole)
    assert len(settled[1]) > 1 and len(settled[2]) > 1
