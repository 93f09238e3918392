"""The rule tables of the ``structure`` stage, kept apart from the code that applies them.

Every rule is a row: a stable name (it shows up in ``DroppedLine.reason`` and in
diagnostics), a one-line *why*, a pattern compiled once at import, examples it
must recognise and look-alikes it must leave alone. The examples are the spec:
``tests/test_structure.py`` turns every one of them into its own test case.

Line patterns are matched against a *stripped* line with ``fullmatch`` and only
when the line is at most :data:`MAX_RULE_LINE` characters long, so a 500 KB
paragraph never reaches a regular expression that could backtrack on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

#: Lines longer than this are prose: no heading, label or ornament is this long.
MAX_RULE_LINE = 200


class Action(StrEnum):
    """What the parser does with a line a rule matched."""

    DROP = "drop"  # export debris: drop the line, keep going
    BODY_START = "body-start"  # AO3 "Chapter Text": what follows is the story
    SUMMARY = "summary"  # opens a summary section
    NOTES = "notes"  # opens a notes section (end notes once the text has begun)
    END_NOTES = "end-notes"  # opens an end-notes section
    SEE_END = "see-end"  # "(See the end of the chapter for more notes.)": closes notes
    CLOSE = "close"  # drop, and close an open end-notes section
    AFTERWORD = "afterword"  # AO3 "Afterword": debris only right before end notes
    HEADER = "header"  # one field of the AO3 work header (top of file only)
    CHROME = "chrome"  # AO3's page chrome in a whole-page paste (its top and end only)
    BYLINE = "byline"  # "by Someone" right after the title
    SUMMARY_INLINE = "summary-inline"  # "Summary: text": the text is the summary
    NOTES_INLINE = "notes-inline"  # "A/N: text": the text is a note
    CHAPTER = "chapter"  # starts a chapter
    ORNAMENT = "ornament"  # a scene-break ornament line
    GUTENBERG_START = "gutenberg-start"
    GUTENBERG_END = "gutenberg-end"
    GUTENBERG_CREDITS = "gutenberg-credits"


@dataclass(frozen=True)
class Example:
    """One case of a rule: the source ``text`` and, where it means more than
    "matched", what it ``expect``s to become (a normalised chapter title, an
    emphasis rendering with ``[…]`` around emphasised text)."""

    text: str
    expect: str = ""


@dataclass(frozen=True)
class StructureRule:
    """A named, documented, tested rule. ``pattern`` is ``None`` for rules that are
    decided by code rather than by one expression (emphasis pairing, blank-line
    scene breaks); their examples are then whole snippets."""

    name: str
    why: str
    pattern: re.Pattern[str] | None
    examples: tuple[Example, ...]
    non_examples: tuple[str, ...] = ()
    action: Action = Action.DROP
    preface_only: bool = False  # only before the story text begins
    #: The label is the author's words ("Disclaimer:"), not the archive's: it stays at
    #: the head of the note it opens instead of being dropped.
    keep_label: bool = False

    def matches(self, stripped: str) -> bool:
        """Whether the rule's pattern matches the whole (stripped, short) line."""
        return (
            self.pattern is not None
            and len(stripped) <= MAX_RULE_LINE
            and self.pattern.fullmatch(stripped) is not None
        )


def _rx(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(pattern, flags)


def _wordset(words: str) -> frozenset[str]:
    """A set of words written as one space-separated string (easier to read)."""
    return frozenset(words.split())


def _ex(*texts: str) -> tuple[Example, ...]:
    return tuple(Example(t) for t in texts)


# --------------------------------------------------------------- Project Gutenberg

GUTENBERG_RULES: tuple[StructureRule, ...] = (
    StructureRule(
        "gutenberg-header",
        "Everything up to the START marker is the Gutenberg licence header, not the story.",
        _rx(r"\*{3}\s*START OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK\b.*"
            r"|\*END\*THE SMALL PRINT!.*"),
        _ex(
            "*** START OF THE PROJECT GUTENBERG EBOOK THE LANTERN KEEPER ***",
            "*** START OF THIS PROJECT GUTENBERG EBOOK MOSS ***",
            "***START OF THE PROJECT GUTENBERG EBOOK A SMALL TALE***",
            "*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*",
        ),
        ("The project started at dawn.", "*** * ***"),
        Action.GUTENBERG_START,
    ),
    StructureRule(
        "gutenberg-footer",
        "The END marker (or the 'End of the Project Gutenberg EBook' line) starts the "
        "licence footer.",
        _rx(r"\*{3}\s*END OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK\b.*"
            r"|End of (?:the )?Project Gutenberg(?:'s|’s)?\b.*"),
        _ex(
            "*** END OF THE PROJECT GUTENBERG EBOOK THE LANTERN KEEPER ***",
            "*** END OF THIS PROJECT GUTENBERG EBOOK MOSS ***",
            "End of the Project Gutenberg EBook of Moss, by A. Writer",
            "End of Project Gutenberg's Moss, by A. Writer",
        ),
        ("The end of the project was near.", "End of story"),
        Action.GUTENBERG_END,
    ),
    StructureRule(
        "gutenberg-credits",
        "A 'Produced by …' paragraph right after the header credits the transcribers, "
        "not the author.",
        _rx(r"(?:Produced by|E-?text prepared by|This e-?book was produced by"
            r"|Transcribed from)\b.*"),
        _ex(
            "Produced by Jane Doe and the Online Distributed",
            "E-text prepared by the volunteers",
            "Transcribed from the 1899 edition by A. Reader",
        ),
        ("He produced a knife.", "Produce the scroll"),
        Action.GUTENBERG_CREDITS,
    ),
)

# ------------------------------------------------------------ AO3 export debris

#: A capitalised name in a byline ("Wren", "A.", "O'Hara").
_NAME = r"(?-i:[A-Z])[\w.'’-]*"

_AO3_HEADER_FIELDS = (
    r"rating|archive warnings?|categor(?:y|ies)|fandoms?|relationships?|characters?"
    r"|additional tags|language|series|collections?|stats|published|updated|completed"
    r"|words|chapters|comments|kudos|bookmarks|hits"
)

AO3_RULES: tuple[StructureRule, ...] = (
    StructureRule(
        "ao3-chapter-text",
        "AO3's hidden 'Chapter Text' / 'Work Text:' landmark marks where the story text starts.",
        _rx(r"(?:chapter|work)\s+text\s*:?"),
        _ex("Chapter Text", "Work Text:", "chapter text"),
        ("Chapter Text was missing", "Chapter 1: Text"),
        Action.BODY_START,
    ),
    StructureRule(
        "ao3-summary",
        "An AO3 'Summary:' label: the paragraphs under it are the summary, not the story.",
        _rx(r"summary\s*:|chapter\s+summary\s*:?"),
        _ex("Summary:", "Chapter Summary", "SUMMARY:"),
        ("Summary: he left.", "In summary"),
        Action.SUMMARY,
    ),
    StructureRule(
        "ao3-summary-bare",
        "The AO3 HTML download labels the summary 'Summary' without a colon, in the preface only.",
        _rx(r"summary"),
        _ex("Summary"),
        ("Summary of events",),
        Action.SUMMARY,
        preface_only=True,
    ),
    StructureRule(
        "ao3-notes",
        "An AO3 'Notes:' / 'Chapter Notes' label: author's notes, moved out of the body.",
        _rx(r"notes\s*:|chapter\s+notes\s*:?"),
        _ex("Notes:", "Chapter Notes", "NOTES:"),
        ("Notes: bring milk", "Notes were passed"),
        Action.NOTES,
    ),
    StructureRule(
        "ao3-notes-bare",
        "The AO3 HTML download labels notes 'Notes' without a colon, in the preface only.",
        _rx(r"notes"),
        _ex("Notes"),
        ("Notes from the field",),
        Action.NOTES,
        preface_only=True,
    ),
    StructureRule(
        "ao3-end-notes",
        "'Chapter End Notes' / 'End Notes' come after the text and belong in the end notes.",
        _rx(r"(?:chapter\s+)?end\s+notes\s*:?"),
        _ex("Chapter End Notes", "End Notes", "End Notes:"),
        ("End notes are nice", "The end notes"),
        Action.END_NOTES,
    ),
    StructureRule(
        "ao3-see-end-notes",
        "A pointer to the end notes: it closes the notes before the text.",
        _rx(r"\(?\s*see the end of the (?:chapter|work) for\s+(?:more\s+)?notes\s*\.?\s*\)?"),
        _ex(
            "See the end of the chapter for more notes",
            "(See the end of the chapter for more notes.)",
            "(See the end of the work for more notes.)",
            "(See the end of the chapter for  notes.)",
        ),
        ("See the end of the road",),
        Action.SEE_END,
    ),
    StructureRule(
        "ao3-chapter-byline",
        "AO3 names a chapter's creators under its title when they differ from the work's "
        "('Chapter by A, B'): a header line, not the chapter's text.",
        # Up to three words a name, names joined by commas or "and"/"&", no sentence end.
        _rx(r"(?-i:Chapter) by\s+[^\s,.!?…;:]+(?:\s+[^\s,.!?…;:]+){0,2}"
            r"(?:(?:\s*,\s*|\s+(?:and|&)\s+)[^\s,.!?…;:]+(?:\s+[^\s,.!?…;:]+){0,2})*"),
        _ex("Chapter by veresk, osoka", "Chapter by Wren Alder and Fen Marsh",
            "Chapter by orphan_account"),
        ("Chapter by chapter, the story grew.", "chapter by chapter", "Chapter by the sea."),
    ),
    StructureRule(
        "ao3-posted-originally",
        "AO3's download banner names the archive, not the story.",
        _rx(r"posted originally on the archive of our own(?:\s+at\s+\S.*)?\.?"),
        _ex(
            "Posted originally on the Archive of Our Own at http://archiveofourown.org/works/1234.",
            "Posted originally on the Archive of Our Own at https://archiveofourown.org/works/99",
        ),
        ("Posted originally on my blog.",),
    ),
    StructureRule(
        "ao3-comment-plea",
        "AO3's closing 'please comment' banner; it also ends the end notes.",
        _rx(r"please drop by the archive and comment\b.*"),
        _ex(
            "Please drop by the Archive and comment to let the creator know if you enjoyed "
            "their work!",
            "Please drop by the archive and comment",
        ),
        ("Please drop by the house.",),
        Action.CLOSE,
    ),
    StructureRule(
        "ao3-afterword",
        "The AO3 HTML download heads its end notes with 'Afterword'; elsewhere it is a word.",
        _rx(r"afterword"),
        _ex("Afterword"),
        ("Afterwords",),
        Action.AFTERWORD,
    ),
    StructureRule(
        "ao3-work-header",
        "The AO3 work header (rating, warnings, tags, stats) is metadata, not story text.",
        _rx(rf"(?:{_AO3_HEADER_FIELDS})\s*:(?:\s.*)?"),
        _ex(
            "Rating:",
            "Rating: Teen And Up Audiences",
            "Archive Warning: No Archive Warnings Apply",
            "Category: M/M",
            "Fandom: Naruto",
            "Relationship: Hatake Kakashi/Umino Iruka",
            "Characters: Hatake Kakashi, Umino Iruka",
            "Additional Tags: Fluff, Pining",
            "Language: English",
            "Stats:",
            "Published: 2020-01-01",
            "Words: 1,234",
        ),
        ("Rating the soup, he frowned.", "Language is hard."),
        Action.HEADER,
        preface_only=True,
    ),
    StructureRule(
        "byline",
        "'by Author' right under the title repeats metadata the book prints itself.",
        # One handle after a lower-case "by", as AO3 writes it ("by orphan_account"),
        # or up to five capitalised names ("By Wren Alder and Fen Marsh"), never a
        # sentence ("By the river bank") or a first line of prose ("By morning").
        _rx(r"(?:written\s+)?(?:(?-i:by)\s+[^\s.!?…,;:]\S{0,40}(?<![.!?…,;:])"
            rf"|by\s+{_NAME}(?:\s+(?:{_NAME}|and|&)){{0,5}})"),
        _ex("by Anonymous", "by orphan_account", "Written by A. Writer",
            "by Wren Alder and Fen Marsh", "By Kira Lane", "by nianeyna"),
        ("By the time he woke, it was dark.", "by the river.", "By the river bank",
         "by morning he was gone", "By morning", "By nightfall"),
        Action.BYLINE,
        preface_only=True,
    ),
    StructureRule(
        "author-note",
        "An 'A/N:' or \"Author's Note:\" label alone on a line opens author's notes; the "
        "label heads the note's first paragraph ('A/N: …', a colon added if it had none).",
        _rx(r"(?:a/n|author[’']?s[’']?\s+notes?)\s*:?"),
        _ex("A/N:", "A/N", "Author's Note:", "Author’s Notes"),
        ("A/Nope", "Author's Notebook"),
        Action.NOTES,
        keep_label=True,
    ),
    StructureRule(
        "author-note-inline",
        "'A/N: text' on one line is an author's note wherever it stands; it moves to the "
        "notes (end notes once the story has begun) with its label, so a disclaimer still "
        "says it is one.",
        _rx(r"(?:a/n|author[’']?s[’']?\s+notes?|disclaimer)\s*:\s*(?P<rest>\S.*)"),
        _ex("A/N: Thanks for reading!", "Author's Note: This took a year.",
            "Disclaimer: I own nothing."),
        ("A/N:", "Disclaimers are boring."),
        Action.NOTES_INLINE,
        keep_label=True,
    ),
    StructureRule(
        "summary-inline",
        "'Summary: text' on one line before the story's text is the summary.",
        _rx(r"summary\s*:\s*(?P<rest>\S.*)"),
        _ex("Summary: Two couriers, one road.", "SUMMARY: A bet."),
        ("Summary:", "In summary: no."),
        Action.SUMMARY_INLINE,
        preface_only=True,
    ),
    StructureRule(
        "notes-inline",
        "'Notes: text' on one line before the story's text is a note.",
        _rx(r"notes\s*:\s*(?P<rest>\S.*)"),
        _ex("Notes: Written for a friend.",),
        ("Notes:", "Notes were passed: two."),
        Action.NOTES_INLINE,
        preface_only=True,
    ),
)

# ------------------------------------------------------- AO3 page chrome (pastes)

#: The words AO3's page chrome lines start with (the pre-filter's share of them).
_CHROME_WORDS = (
    r"actions|work header|top of work|entire work|view entire work|chapter by chapter"
    r"|chapter index|full-page index|share|download|bookmark|edit bookmark|mark for later"
    r"|mark as read|subscribe|unsubscribe|comments|hide comments|kudos|post comment"
    r"|hide creator[’']s style|show creator[’']s style|epub|mobi|pdf|html|azw3|add chapter"
    r"|edit|edit tags|delete|previous chapter|next chapter|series this work belongs to"
    r"|preface"
)

#: The words of AO3's kudos line, which starts with readers' names (a substring test).
KUDOS_MARK = "kudos on this work"

AO3_PAGE_RULES: tuple[StructureRule, ...] = (
    StructureRule(
        "ao3-page-navigation",
        "A whole AO3 page pasted as text brings its buttons and landmarks along, one per "
        "line: they are the archive's, not the story's. Dropped only in a paste (a file "
        "with AO3's work header), above its title or after its last text line.",
        _rx(rf"(?:[←→]\s*)?(?:{_CHROME_WORDS})(?:\s*(?:\(\d[\d,]*\)|♥|[←→]))?"),
        _ex("Actions", "Work Header", "Top of Work", "Entire Work", "Chapter Index",
            "Share", "Download", "Bookmark", "Mark for Later", "Comments", "Comments (12)",
            "Hide Comments (1,204)", "Kudos ♥", "Kudos", "Post Comment", "EPUB",
            "← Previous Chapter", "Next Chapter →", "Hide Creator's Style",
            "Series this work belongs to", "Preface"),
        ("Actions speak louder.", "Share the bread", "Comments were unkind",
         "Kudos to you", "Next Chapter soon!", "Edit the letter"),
        Action.CHROME,
    ),
    StructureRule(
        "ao3-page-kudos",
        "The kudos list under a pasted AO3 work names readers, not the story.",
        _rx(r"\S.{0,160}\bleft kudos on this work!?"),
        _ex("Fen, Ash, and 86 more users as well as 120 guests left kudos on this work!",
            "12 guests left kudos on this work!"),
        ("They left kudos on this work, she said, and smiled.",),
        Action.CHROME,
    ),
    StructureRule(
        "ao3-page-series-navigation",
        "The series links under a pasted AO3 work ('← Previous Work Part 2 of X Next "
        "Work →') point at other works.",
        _rx(r"(?:←\s*)?previous work\b.{0,200}|part \d+ of (?:the )?.{1,160}? series"
            r"(?:\s*next work\s*→?)?|next work\s*→?"),
        _ex("← Previous Work Part 2 of the Border Roads series Next Work →",
            "Part 1 of the Border Roads series Next Work →", "Next Work →"),
        ("Part of the series was lost at sea.",),
        Action.CHROME,
    ),
)

#: Cheap pre-filter: a line can only be AO3 debris or a chapter heading if it starts
#: with one of these words (or holds :data:`KUDOS_MARK`); everything else skips the
#: per-rule patterns.
RULE_TRIGGER = re.compile(
    r"\(?\s*(?:chapter|chap|ch|work|summary|notes|end|see|posted|please|afterword|part|book"
    r"|prologue|epilogue|interlude|prelude|coda|written|by|a/n|author|disclaimer|"
    + _AO3_HEADER_FIELDS
    + "|"
    + _CHROME_WORDS
    + r"|previous work|next work)\b|[←→第]",
    re.IGNORECASE,
)

# ------------------------------------------------------------------ chapter lines

_WORD_NUMBERS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    "|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy"
    "|eighty|ninety|hundred"
)
#: Roman numerals are matched case-sensitively (all capitals or all small) and only
#: up to C, so "Chapter Mix" or "Part Civil" never pass for numbers.
_NUMBER = (
    r"\d{1,4}|(?-i:[IVXLC]{1,9}|[ivxlc]{1,9})"
    rf"|(?:{_WORD_NUMBERS})(?:[\s-](?:{_WORD_NUMBERS}))?"
)
#: A title after a separator may be anything short; a title after bare whitespace
#: must look like a title (capital or quote first, no sentence ending), so prose
#: such as "Chapter three was the worst." stays prose.
_TITLE_TAIL = (
    r"(?:\s*[:.|\-–—]+\s*(?P<title>\S.{0,90}?)"
    r"|\s+(?P<title2>(?-i:[A-Z\"“'‘(\[])[^.!?,;]{0,90}?))?"
)

#: A full stop or colon closing a chapter line is dropped, but not the last dot of
#: an ellipsis: a title ending in two dots or more keeps them all, so the title
#: read again from fanbind's own output stays the same.
_TITLE_END = r"(?:(?<![.\s])\s*[.:])?"

CHAPTER_RULES: tuple[StructureRule, ...] = (
    StructureRule(
        "chapter-numbered",
        "'Chapter 3', 'CHAPTER III', 'Part Two: X' alone on a line start a chapter.",
        re.compile(
            rf"(?:(?P<kw>chapter|part|book)\s+|(?P<kwa>chap\.?|ch\.)\s*)(?P<num>{_NUMBER})"
            rf"(?P<of>\s+of\s+(?:{_NUMBER}))?"
            rf"{_TITLE_TAIL}{_TITLE_END}",
            re.IGNORECASE,
        ),
        (
            Example("Chapter 3", "Chapter 3"),
            Example("Chapter 3: The Gate", "Chapter 3: The Gate"),
            Example("Chapter 3 - The Gate", "Chapter 3: The Gate"),
            Example("Chapter 3 — The Gate", "Chapter 3: The Gate"),
            Example("Chapter Three", "Chapter Three"),
            Example("chapter twenty-one", "Chapter Twenty-One"),
            Example("CHAPTER III", "Chapter III"),
            Example("CHAPTER III.", "Chapter III"),
            Example("CHAPTER IV. THE RIVER", "Chapter IV: THE RIVER"),
            Example("Ch. 7", "Ch. 7"),
            Example("chap. 2", "Chap. 2"),
            Example("Part Two", "Part Two"),
            Example("Part 1 of 3", "Part 1 of 3"),
            Example("Book One: Spring", "Book One: Spring"),
            Example("Chapter 12 The Long Night", "Chapter 12: The Long Night"),
            Example("Chapter 5: The Gate.", "Chapter 5: The Gate"),
            Example("Chapter 5: And then...", "Chapter 5: And then..."),
            Example("Chapter 1990-1995 ...", "Chapter 1990: 1995 ..."),
        ),
        (
            "Chapter three was the worst.",
            "Chapter Text",
            "Part of me wanted to stay.",
            "Chapter 3 was where it all went wrong.",
            "Chapter Mix",
            "Book",
            "Party",
        ),
        Action.CHAPTER,
    ),
    StructureRule(
        "chapter-named",
        "'Prologue', 'Epilogue', 'Interlude' (optionally numbered or titled) start a chapter.",
        re.compile(
            rf"(?P<kw>prologue|epilogue|interlude|prelude|coda)(?:\s+(?P<num>{_NUMBER}))?"
            rf"{_TITLE_TAIL}{_TITLE_END}",
            re.IGNORECASE,
        ),
        (
            Example("Prologue", "Prologue"),
            Example("Epilogue", "Epilogue"),
            Example("EPILOGUE", "Epilogue"),
            Example("Interlude", "Interlude"),
            Example("Interlude 2", "Interlude 2"),
            Example("Epilogue: Ten Years Later", "Epilogue: Ten Years Later"),
            Example("Prologue - The Fall", "Prologue: The Fall"),
        ),
        ("Prologues are boring.", "Epilogue was short, he thought.", "Interludes"),
        Action.CHAPTER,
    ),
    StructureRule(
        "chapter-cjk",
        "'第一章', '第1章 风起', '第十二章 「风起」' (chapter, also 回 节 話 卷 部 篇) start a "
        "chapter as 'Chapter 1' does; the line is the title as written.",
        re.compile(
            r"(?P<cjk>第\s*(?:[0-9０-９]{1,4}|[一二三四五六七八九十百千零〇两]{1,6})\s*"
            r"[章回节節话話卷部篇])"
            r"(?:[\s:：、.．·—-]*(?P<cjktitle>[^\s。！？!?，,；;].{0,60}?))?"
            r"(?<![。！？!?，,；;…])"
        ),
        (
            Example("第一章", "第一章"),
            Example("第1章", "第1章"),
            Example("第十二章 风起", "第十二章 风起"),
            Example("第一章 「风起」", "第一章 「风起」"),
            Example("第三章：夜雨", "第三章：夜雨"),
            Example("第２回", "第２回"),
        ),
        ("第一章就很好看。", "第一次见面", "第三章的结尾让我哭了。", "第一章，他说，不要读。"),
        Action.CHAPTER,
    ),
)

#: Chapter headings with no keyword at all ("1. The Storm", "II", "「风起」", a title
#: from the file's own contents list). A short line alone could as well be a line of
#: dialogue or a list item, so no line is one on its own: the parser takes a shape
#: only when it REPEATS as a pattern. All of these must hold for a shape:
#:
#: * every candidate stands alone, a blank line above and below it;
#: * there are at least two, with story text between each two and after the last
#:   (for the quoted shape three paragraphs or more: dialogue comes closer together);
#: * no story text comes before the first one (text under an explicit heading such
#:   as "Prologue" may) — chapter 1 opens the story;
#: * numbered shapes count up by one from 1 (or I) in file order;
#: * a contents title is one of two or more short lines listed together at the top
#:   of the text (the file's own contents, which is dropped) and comes back later,
#:   alone, in the same order.
#:
#: The examples are single lines; the counter-examples are in tests/test_paste.py.
HEADING_PATTERN_RULES: tuple[StructureRule, ...] = (
    StructureRule(
        "heading-numbered",
        "'1. The Storm', '2) The Bridge': AO3's chapter index and many writers number "
        "titles without 'Chapter'.",
        re.compile(r"(?P<num>\d{1,3})[.)]\s+(?P<title>[^\s.!?,;:].{0,80}?)"
                   r"(?<![.!?,;:…\"”’])"),
        (Example("1. The Storm", "1. The Storm"), Example("2) The Bridge", "2) The Bridge")),
        ("1. He ran.", "1999. It rained.", "1.5 miles"),
        Action.CHAPTER,
    ),
    StructureRule(
        "heading-roman",
        "'I', 'II.', 'III. The Bridge': Roman numerals alone number sections.",
        re.compile(r"(?P<num>(?=[IVXLC])C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3}))"
                   r"(?:\.|\.?\s+(?P<title>[A-Z\"“‘'(][^.!?]{0,80}?))?\.?"),
        (Example("I", "I"), Example("II.", "II"), Example("III. The Bridge",
                                                           "III. The Bridge")),
        ("I.. I don't know", "I think so", "Iv", "IIII"),
        Action.CHAPTER,
    ),
    StructureRule(
        "heading-quoted",
        "'「风起」' alone: Chinese works set chapter titles in corner brackets.",
        re.compile(r"[「『](?P<title>[^」』。！？!?，,；;…\s]{1,30})[」』]"),
        (Example("「风起」", "「风起」"), Example("『夜雨』", "『夜雨』")),
        ("「走吧。」", "「好，我们走」", "“走吧”"),
        Action.CHAPTER,
    ),
    StructureRule(
        "heading-contents",
        "A short line alone that the file's own contents list at its top names (the "
        "contents list itself is dropped: the book prints its own).",
        None,
        (Example("The Storm", "The Storm"),),
        (),
        Action.CHAPTER,
    ),
    StructureRule(
        "contents-list",
        "The file's own contents list, matched by the chapter titles it names.",
        None,
        (Example("The Storm"),),
        (),
        Action.DROP,
    ),
)

# ------------------------------------------------------------- scene-break lines

#: Characters an ornament line may be built from (plus spaces).
ORNAMENT_CHARS = frozenset(
    "*~-_=+#§❦⁂•·°◦○●◇◆□■☆★✦✧✶✷✸✹✺❧❀❁✿♥♡❤♦♠♣※¤|/\\^<>.:,…–—―"
)
#: Lines made only of these are speech (a silent "…", "?!"), never ornaments.
SPEECH_PUNCTUATION = frozenset(".,:;!?…")
#: The letters of letter ornaments (oOo, o0o, xXx, -x-).
ORNAMENT_LETTERS = frozenset("oO0xX")
#: An ornament line has at most this many visible characters, unless it is one
#: character repeated (a rule of dashes or equals signs of any length).
MAX_ORNAMENT = 20

ORNAMENT_RULES: tuple[StructureRule, ...] = (
    StructureRule(
        "scene-break",
        "A line of ornament symbols, with no words, marks a change of scene.",
        None,
        _ex(
            "***", "* * *", "~~~", "---", "___", "###", "#", "+++", "===", "~*~", "§", "❦",
            "⁂", "* ~ *", "        * * *", "-----------------------------------------------",
            "•••", "—", "--",
            # The archive marks with spaces in them, as some archives and
            # editors space them out.
            "~ * ~", "⁂ ⁂ ⁂", "_ _ _", "= = =", "- - -",
        ),
        ("...", "…", "?!", "“…”", "* a *", "2 * 3"),
        Action.ORNAMENT,
    ),
    StructureRule(
        "scene-break-letters",
        "Fan-fiction letter ornaments (oOo, o0o, xXx, -x-) mark a change of scene too, and "
        "so does a run of three or more x alone on its line (FanFiction.net's 'xxx', which "
        "strips other ornaments); 'OOO', 'XOXO' or a lone 'x' stay text.",
        None,
        _ex("oOo", "o0o", "OoO", "xXx", "XxX", "-x-", "~o~", "* x *", "   oOoOo", "xxx",
            "XXX", "x x x", "xxxxxxxxxx", "X x X", "- x -", "o 0 o", "o O o"),
        ("XOXO", "ooo", "OOO", "x", "xx", "0", "ox.", "xxx.", "Xx Xx Xx Xx Xx Xx Xx Xx"),
        Action.ORNAMENT,
    ),
)


def ornament_kind(stripped: str) -> str | None:
    """The ornament rule a stripped line matches (``scene-break`` or
    ``scene-break-letters``), or ``None`` for a line with words in it.

    Plain code rather than a regex: it looks at each character once.
    """
    if not stripped:
        return None
    visible = stripped.replace(" ", "")
    chars = set(visible)
    if len(visible) > MAX_ORNAMENT and len(chars) != 1:
        return None
    if chars <= SPEECH_PUNCTUATION:
        return None
    if chars <= ORNAMENT_CHARS:
        return "scene-break"
    letters = chars & ORNAMENT_LETTERS
    symbols = chars - ORNAMENT_LETTERS
    if not letters or not symbols <= ORNAMENT_CHARS or len(visible) > MAX_ORNAMENT:
        return None
    letter_run = "".join(c for c in visible if c in ORNAMENT_LETTERS)
    if not symbols and len(letter_run) >= 3 and (chars == {"x"} or chars == {"X"}):
        return "scene-break-letters"  # FanFiction.net's "xxx"
    # oOo / xXx / o0o mix small letters, capitals and zeros; "OOO" does not.
    cases = (
        any(c.islower() for c in letter_run)
        + any(c.isupper() for c in letter_run)
        + ("0" in letter_run)
    )
    mixed = cases > 1
    strong_symbols = symbols - SPEECH_PUNCTUATION
    if (mixed or strong_symbols) and len(letter_run) <= 8:
        return "scene-break-letters"
    return None


# ------------------------------------------------------- paragraph-level context

#: Sentence punctuation: a title or label line ending in (labels: containing) one
#: of these is a sentence, not a heading.
SENTENCE_PUNCTUATION = frozenset(".,;:!?…")
QUOTE_CHARS = frozenset("\"“”„«»‹›'‘’`")
BRACKETS = frozenset("()[]{}")

#: Short lines that are speech, not labels, even alone after a scene break.
NOT_LABEL_WORDS = _wordset(
    "yes no okay ok fine what why how oh ah hm hmm huh well fuck shit damn please thanks "
    "sorry maybe wait stop run and but so then nothing silence"
)
#: A multi-word label must be Title Case, end in POV, or say when (time-skip labels).
LABEL_TIME_WORDS = _wordset(
    "later earlier ago before after now then meanwhile today tonight tomorrow yesterday "
    "present past flashback"
)
LABEL_SMALL_WORDS = _wordset("of the a an and or in on at to for with vs")

LABEL_RULE = StructureRule(
    "label-heading",
    "A 1-3 word label at a chapter start or after a scene break (a POV name, a time "
    "skip) is a heading, not a paragraph.",
    None,
    _ex("Kakashi", "Iruka's POV", "Three years later", "Present Day", "Konoha",
        "Konoha — Present Day", "Konoha--Present Day"),
    (
        "Heat. Oh hell.",
        "Tenzō sighed.",
        "Well, fuck.",
        "To Iruka-sensei no less!",
        "He nodded",
        "“Kakashi”",
        "yes",
        "No",
        "Four words are too many",
        "Kakashi—really",
        "Kakashi -- really",
    ),
)

TITLE_RULE = StructureRule(
    "title",
    "A short first line without sentence punctuation, set off by a blank line, is the title.",
    None,
    _ex(
        "Any Alpha Would",
        "Don't Ever Leave Me",
        "This beating heart won't rest",
        "THE LANTERN KEEPER",
        "Unbreakable Bonds (Part 1)",
    ),
    (
        "The alpha above him was in heat.",
        "“Hurry,” Iruka implored.",
        "Heat. Oh hell.",
        "Where are you going?",
        "x" * 90,
    ),
)

#: A line-end hyphen after these stays a hyphen even when the joined word exists:
#: they start compounds ("self-\\nimportant", "well-\\nknown").
HYPHEN_KEEP_PREFIXES = _wordset(
    "self well ill half all ex non co re pre post anti semi quasi multi cross far near "
    "long short high low full part one two three four five six seven eight nine ten "
    "twenty thirty forty fifty sixty seventy eighty ninety great mid much so old new "
    "first second third single double twice life world ever never"
)

# ------------------------------------------------------------------------ emphasis

#: Marker runs that may wrap emphasis: the character and the run lengths allowed.
EMPHASIS_MARKERS: dict[str, tuple[int, ...]] = {"*": (1, 2, 3), "_": (1, 2), "/": (1,)}
#: Characters that may stand right before an opening marker (besides space).
EMPHASIS_OPEN_BEFORE = frozenset("\"'“‘([{<—–-…*_/«„")
#: Characters that may stand right after a closing marker (besides space).
EMPHASIS_CLOSE_AFTER = frozenset(".,;:!?\"'”’)]}>…—–-*_/»")
#: Characters that may end slash-emphasised text (``/word/``, ``/word!/``).
SLASH_CLOSE_BEFORE = frozenset(".!?,…'\"’”")
#: Slash emphasis is for a few words; a longer span is a path or a fraction.
MAX_SLASH_SPAN = 120

EMPHASIS_RULES: tuple[StructureRule, ...] = (
    StructureRule(
        "emphasis-asterisk",
        "*word* and *several words* are the plain-text way to write italics.",
        re.compile(r"\*{1,3}"),
        (
            Example("a *word* here", "a [word] here"),
            Example("*several words* here", "[several words] here"),
            Example("**bold** too", "[bold] too"),
            Example("***both***", "[both]"),
            Example("“*What?*” he said", "“[What?]” he said"),
            Example("*Kakashi*’s book", "[Kakashi]’s book"),
            Example("**very *much* so**", "[very [much] so]"),
            Example("*see http://example.org/a_b_c*", "[see http://example.org/a_b_c]"),
        ),
        (
            "2 * 3 * 4",
            "2*3*4",
            "a * b",
            "* list item",
            "an *unmatched marker",
            "a*b*c",
        ),
    ),
    StructureRule(
        "emphasis-underscore",
        "_word_ is the other plain-text italics; never inside snake_case names.",
        re.compile(r"_{1,2}"),
        (
            Example("a _word_ here", "a [word] here"),
            Example("_two words_", "[two words]"),
            Example("__strong__", "[strong]"),
        ),
        ("snake_case", "file_name_here", "a _lonely marker", "_private_name"),
    ),
    StructureRule(
        "emphasis-slash",
        "/word/ marks thoughts in some fandoms; never in URLs, paths, dates or and/or.",
        re.compile(r"/"),
        (
            Example("he /really/ did", "he [really] did"),
            Example("/Run,/ he thought", "[Run,] he thought"),
        ),
        (
            "http://example.com/a/b/",
            "see www.example.com/path/ now",
            "and/or",
            "1/2/2020",
            "/usr/bin/",
            "he/him or she/her",
            "w/ him /then",
        ),
    ),
)

