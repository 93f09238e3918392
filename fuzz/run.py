"""The long fuzz run: the properties of ``tests/test_fuzz.py`` with many more examples.

Not part of CI (it runs for as long as you let it). Each target is run in rounds
of ``--round`` examples with fresh randomness until its share of ``--minutes`` is
used up; every input is counted, and every failure is printed with the input that
caused it (Hypothesis shrinks it first) and kept in ``fuzz/.hypothesis`` so the
next run tries it again first.

    python fuzz/run.py                          # 10 minutes over all targets
    python fuzz/run.py --minutes 60 pipeline-bytes cli
    python fuzz/run.py --list

Targets:

* ``pipeline-unicode`` / ``pipeline-bytes``: decode → normalize → parse →
  typography → lint → render; every XHTML document must parse with lxml, the
  only error allowed is StoryFileError;
* ``metadata-documents`` / ``metadata-text``: parse_config gives a config or a
  MetadataError naming metadata.yaml and a line;
* ``cli``: ``fanbind build -f epub`` on a random project (random story bytes,
  random metadata) exits 0, 3 or 4 with a message, never with a traceback, and
  leaves no partial file;
* ``pdf``: the PDF of a random story (slow: under a second each).

"All the way" counts the inputs that were not refused: a book was made, a
config was valid. The rest were refused with the tool's own error, as they
should be; the property checks that too.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")

import yaml  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.database import DirectoryBasedExampleDatabase  # noqa: E402
from tests import test_fuzz as props  # noqa: E402

DATABASE = DirectoryBasedExampleDatabase(str(Path(__file__).parent / ".hypothesis"))


@dataclass
class Tally:
    """What one target did: inputs run, rounds, failures (with their shrunk input)."""

    inputs: int = 0
    completed: int = 0  # inputs that went all the way (a book, a config), not refused
    rounds: int = 0
    failures: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------- targets


def _through(data: bytes) -> bool:
    """The pipeline property; True when the input made a book (not a StoryFileError)."""
    from fanbind.errors import StoryFileError

    try:
        roots = props.pipeline(data)
    except StoryFileError as error:
        assert error.file == "fuzz.txt" and error.hint
        return False
    assert roots
    return True


def _pipeline_unicode(text: str, encoding: str) -> bool:
    return _through(text.encode(encoding))


def _pipeline_bytes(data: bytes) -> bool:
    return _through(data)


def _metadata_documents(document: dict, cuts: list, flow: bool) -> bool:
    text = props._mutate(yaml.safe_dump(document, allow_unicode=True, default_flow_style=flow),
                         cuts)
    return _metadata(text)


def _metadata(text: str) -> bool:
    """The metadata property; True when the text was a valid config."""
    from fanbind.errors import MetadataError
    from fanbind.settings import parse_config

    try:
        parse_config(text, file="metadata.yaml")
    except MetadataError as error:
        assert error.file == "metadata.yaml" and error.line is not None, str(error)
        assert error.hint, str(error)
        return False
    return True


def _metadata_text(text: str) -> bool:
    return _metadata(text)


def _cli(story: bytes, document: dict, cuts: list) -> bool:
    """A whole build through the CLI on a random project: exit 0, 3 or 4, no traceback."""
    from typer.testing import CliRunner

    from fanbind.cli import app

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "a.txt").write_bytes(story)
        document = dict(document)
        document.setdefault("title", "Fuzz")
        document.setdefault("stories", [{"file": "a.txt", "authors": ["A"]}])
        text = props._mutate(yaml.safe_dump(document, allow_unicode=True), cuts)
        (root / "metadata.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        result = CliRunner().invoke(app, ["build", str(root), "-f", "epub", "-q"])
        crash = result.exception
        assert crash is None or isinstance(crash, SystemExit), (
            "".join(traceback.format_exception(crash)) if crash else "")
        assert result.exit_code in (0, 3, 4), result.output
        assert "Traceback" not in result.output
        if result.exit_code:
            assert result.stderr.count("error: ") == 1 and "Hint:" in result.stderr, \
                result.output
        dist = root / "dist"
        leftovers = [p.name for p in dist.iterdir() if p.name.endswith(".part")] \
            if dist.exists() else []
        assert not leftovers, leftovers
        return result.exit_code == 0


def _pdf(text: str) -> bool:
    from fanbind.build import build
    from fanbind.errors import StoryFileError

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        # A title and a last line around the random text, so most inputs reach the layout.
        (root / "a.txt").write_bytes(f"Fuzzed\n\n{text}\n\nThe end.\n".encode())
        (root / "metadata.yaml").write_text(
            'title: "Fuzz"\nstories:\n  - file: a.txt\n    authors: [A]\n')
        try:
            result = build(root, formats=("pdf",), cache=False) if _takes_cache() else \
                build(root, formats=("pdf",))
        except StoryFileError:
            return False
        assert result.pages and result.pages > 0
        return True


def _takes_cache() -> bool:
    import inspect

    from fanbind.build import build

    return "cache" in inspect.signature(build).parameters


#: Text a person could put in a value: anything printable that is not blank.
_words = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1,
                 max_size=40).filter(str.strip)
#: metadata.yaml documents that should be valid, with hostile text in every value.
valid_documents = st.fixed_dictionaries(
    {"title": _words,
     "stories": st.fixed_dictionaries(
         {"file": st.just("a.txt"), "authors": st.lists(_words, min_size=1, max_size=3)},
         optional={"title": _words, "summary": _words, "tags": st.lists(_words, max_size=4),
                   "rating": st.sampled_from(["General Audiences", "Mature", "Explicit"]),
                   "language": st.sampled_from(["en", "de", "fr", "ja", "he", "ar-EG"]),
                   "published": st.dates().map(str)}).map(lambda story: [story])},
    optional={"subtitle": _words, "description": _words, "editors": st.lists(_words, max_size=3),
              "date": st.dates().map(str), "rights": _words,
              "language": st.sampled_from(["en", "de", "fr", "ja", "he", "ar-EG"]),
              "dash_style": st.sampled_from(["em", "spaced-en"])})
#: Story text with a title line, so most of it gets past "the story would be blank".
_stories = st.one_of(props.noisy_bytes, props.story_text.map(str.encode),
                     props.story_text.map(lambda t: f"A Title\n\n{t}\n\nThe end.\n".encode()))

TARGETS: dict[str, tuple[Callable[..., bool], dict[str, st.SearchStrategy], float]] = {
    # name: (function, strategies, share of the time)
    "pipeline-unicode": (_pipeline_unicode, {"text": props.story_text,
                                             "encoding": st.sampled_from(props.ENCODINGS)}, 3),
    "pipeline-bytes": (_pipeline_bytes, {"data": st.one_of(st.binary(max_size=3000),
                                                           props.noisy_bytes)}, 3),
    "metadata-documents": (_metadata_documents, {
        "document": st.one_of(props.documents, valid_documents),
        "cuts": st.one_of(st.just([]), props.edits), "flow": st.booleans()}, 2),
    "metadata-text": (_metadata_text, {"text": st.text(max_size=600)}, 1),
    "cli": (_cli, {"story": _stories, "document": st.one_of(props.documents, valid_documents),
                   "cuts": st.one_of(st.just([]), props.edits)}, 2),
    "pdf": (_pdf, {"text": props.story_text}, 1),
}


def run_target(name: str, seconds: float, per_round: int) -> Tally:
    function, strategies, _ = TARGETS[name]
    tally = Tally()
    deadline = time.monotonic() + seconds

    def counted(**kwargs: object) -> None:
        tally.inputs += 1
        if function(**kwargs):
            tally.completed += 1

    while time.monotonic() < deadline:
        test = settings(max_examples=per_round, deadline=None, database=DATABASE,
                        suppress_health_check=list(HealthCheck), print_blob=True)(
            given(**strategies)(counted))
        tally.rounds += 1
        try:
            test()
        except Exception as exc:  # a property failed: record it, keep fuzzing the others
            tally.failures.append(f"{type(exc).__name__}: {exc}"[:2000])
            print(f"[{name}] FAILURE:\n{traceback.format_exc()[-3000:]}", flush=True)
            break
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help="targets to run (default: all)")
    parser.add_argument("--minutes", type=float, default=10.0, help="total time budget")
    parser.add_argument("--round", type=int, default=500, help="examples per Hypothesis run")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    options = parser.parse_args()
    if options.list:
        print("\n".join(TARGETS))
        return
    names = options.targets or list(TARGETS)
    unknown = [name for name in names if name not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s): {', '.join(unknown)}; see --list")
    shares = sum(TARGETS[name][2] for name in names)
    started = time.monotonic()
    results = {}
    for name in names:
        seconds = options.minutes * 60 * TARGETS[name][2] / shares
        print(f"[{name}] fuzzing for {seconds / 60:.1f} min", flush=True)
        results[name] = run_target(name, seconds, options.round)
        tally = results[name]
        print(f"[{name}] {tally.inputs:,} inputs ({tally.completed:,} went all the way) in "
              f"{tally.rounds} rounds, {len(tally.failures)} failure(s)", flush=True)
    total = sum(t.inputs for t in results.values())
    print(f"\n{total:,} inputs in {(time.monotonic() - started) / 60:.1f} min")
    for name, tally in results.items():
        status = "ok" if not tally.failures else "FAILED: " + tally.failures[0][:200]
        print(f"  {name:20} {tally.inputs:>8,} inputs {tally.completed:>8,} all the way  "
              f"{status}")
    sys.exit(1 if any(t.failures for t in results.values()) else 0)


if __name__ == "__main__":
    main()
