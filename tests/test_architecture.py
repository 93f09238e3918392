"""The import graph, read from the source: which module may import what.

Every ``import`` in ``src/fanbind`` is read with :mod:`ast`, wherever it stands: at
module top, inside a function (a deferred import), or under ``if TYPE_CHECKING:``.

- The third-party libraries with a large surface stay behind one door each:
  ``ebooklib`` in ``fanbind/epub.py``, ``weasyprint`` in ``fanbind/pdf/layout.py``,
  ``pikepdf`` under ``fanbind/pdf/``. Every kind of import counts here, a type-only one too.
- No cycle among fanbind's modules. Deferred imports count (a function that imports
  its caller's module is a cycle that merely waits to bite); TYPE_CHECKING imports
  do not, since they never run and annotations are strings under
  ``from __future__ import annotations``. Importing ``a.b.c`` runs ``a/__init__``
  and ``a/b/__init__`` first, so a module also depends on its packages.
- A deferred import of a fanbind module says why in a comment on its line or the
  line above (a fast path, or a library too slow to load for every command).
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "fanbind"

#: Third-party top-level packages and the modules allowed to import them.
CONFINED = {
    "ebooklib": ("fanbind.epub",),
    "weasyprint": ("fanbind.pdf.layout", "fanbind.pdf.remake"),
    "pikepdf": ("fanbind.pdf.",),
}


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    target: str  # dotted name as resolved: a module, or a package's attribute
    line: int
    end_line: int
    kind: str  # "top", "deferred" (inside a function) or "typing" (TYPE_CHECKING)


def module_name(path: Path, root: Path = SRC) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST, kind: str) -> Iterator[tuple[ast.Import | ast.ImportFrom, str]]:
    """Every import below *node*, with the kind of place it stands in."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, kind
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _walk(child, "typing" if kind == "typing" else "deferred")
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield from _walk(ast.Module(body=[stmt], type_ignores=[]), "typing")
            for stmt in child.orelse:
                yield from _walk(ast.Module(body=[stmt], type_ignores=[]), kind)
        else:
            yield from _walk(child, kind)


def imports_of(path: Path, root: Path = SRC) -> list[Import]:
    name = module_name(path, root)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node, kind in _walk(tree, "top"):
        end = node.end_lineno or node.lineno
        if isinstance(node, ast.Import):
            found += [Import(name, alias.name, node.lineno, end, kind) for alias in node.names]
            continue
        base = node.module or ""
        if node.level:
            package = name.split(".") if is_package else name.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join(package + ([base] if base else []))
        # ``from fanbind.pdf import layout`` imports the module fanbind.pdf.layout;
        # ``from fanbind.model import Story`` imports fanbind.model.
        found += [Import(name, f"{base}.{alias.name}", node.lineno, end, kind)
                  for alias in node.names]
    return found


def project_modules(root: Path = SRC, package: str = "fanbind") -> dict[str, Path]:
    return {module_name(path, root): path for path in sorted((root / package).rglob("*.py"))}


def _resolve(target: str, modules: dict[str, Path]) -> str | None:
    """The project module *target* names (a module, or the module holding an attribute)."""
    while target:
        if target in modules:
            return target
        target = target.rpartition(".")[0]
    return None


def _contains(package: str, module: str) -> bool:
    return module == package or module.startswith(package + ".")


def dependency_graph(root: Path = SRC, package: str = "fanbind", *,
                     kinds: tuple[str, ...] = ("top", "deferred")) -> dict[str, set[str]]:
    """Module → project modules it runs when imported or called (with their packages)."""
    modules = project_modules(root, package)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for item in imports_of(path, root):
            if item.kind not in kinds:
                continue
            target = _resolve(item.target, modules)
            if target is None:
                continue
            # Importing a.b.c runs a/__init__ and a/b/__init__ too, except the
            # packages the importer itself sits in: they ran before it did.
            parts = target.split(".")
            for depth in range(1, len(parts) + 1):
                dependency = ".".join(parts[:depth])
                if dependency in modules and not _contains(dependency, name):
                    graph[name].add(dependency)
    return graph


def components(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def shortest_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """A shortest cycle through the component's first module, as a closed path."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    raise AssertionError(f"no cycle in {component}")


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One shortest cycle for each knot of modules that import each other."""
    return [shortest_cycle(graph, component) for component in components(graph)]


def describe_cycles(graph: dict[str, set[str]]) -> str:
    lines = []
    for component in components(graph):
        lines.append(" -> ".join(shortest_cycle(graph, component)))
        if len(component) > 2:
            lines.append(f"    (one knot of {len(component)}: {', '.join(component)})")
    return "\n".join(lines)


def _comments(path: Path) -> dict[int, str]:
    source = path.read_text(encoding="utf-8")
    return {token.start[0]: token.string
            for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type == tokenize.COMMENT}


def deferred_imports(root: Path = SRC, package: str = "fanbind") -> dict[str, bool]:
    """Each function-level import statement of the project's own modules
    (``path:line imports names``) and whether a comment says why it waits: on one of
    its lines, or above it or above the imports stacked directly on top of it."""
    modules = project_modules(root, package)
    found: dict[str, bool] = {}
    for path in modules.values():
        comments = _comments(path)
        items = imports_of(path, root)
        import_lines = {n for item in items for n in range(item.line, item.end_line + 1)}
        statements: dict[int, list[Import]] = {}
        for item in items:
            if item.kind == "deferred" and _resolve(item.target, modules) is not None:
                statements.setdefault(item.line, []).append(item)
        for line, stated in sorted(statements.items()):
            above = line - 1
            while above in import_lines and above not in comments:
                above -= 1
            own = range(line, stated[0].end_line + 1)
            key = (f"{path.relative_to(root)}:{line} imports "
                   + ", ".join(item.target for item in stated))
            found[key] = above in comments or any(number in comments for number in own)
    return found


def undocumented_deferred_imports(root: Path = SRC, package: str = "fanbind") -> list[str]:
    return [key for key, documented in deferred_imports(root, package).items() if not documented]


# ---------------------------------------------------------------------- the tests


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_reader_finds_every_kind_of_import(tmp_path: Path) -> None:
    _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/sub/__init__.py": "",
        "pkg/sub/b.py": "from .. import a\nfrom . import c\n",
        "pkg/sub/c.py": "",
        "pkg/a.py": (
            "from typing import TYPE_CHECKING\n"
            "import os\n"
            "from pkg.sub import b\n"
            "if TYPE_CHECKING:\n"
            "    from pkg.sub.c import Thing\n"
            "def f():\n"
            "    import pikepdf\n"
            "    from .sub.c import other  # deferred: a fast path\n"
        ),
    })
    found = {(i.importer, i.target, i.kind)
             for path in (tmp_path / "pkg").rglob("*.py") for i in imports_of(path, tmp_path)}
    assert found == {
        ("pkg.a", "typing.TYPE_CHECKING", "top"),
        ("pkg.a", "os", "top"),
        ("pkg.a", "pkg.sub.b", "top"),
        ("pkg.a", "pkg.sub.c.Thing", "typing"),
        ("pkg.a", "pikepdf", "deferred"),
        ("pkg.a", "pkg.sub.c.other", "deferred"),
        ("pkg.sub.b", "pkg.a", "top"),
        ("pkg.sub.b", "pkg.sub.c", "top"),
    }


def test_cycle_finder_reports_cycles_and_ignores_type_checking(tmp_path: Path) -> None:
    _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from pkg import b\n",
        "pkg/b.py": "def f():\n    from pkg.c import x\n",
        "pkg/c.py": "import pkg.a\n",
        "pkg/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.e\n",
        "pkg/e.py": "import pkg.d\n",
    })
    assert cycles(dependency_graph(tmp_path, "pkg")) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]
    # A package's __init__ may import its own modules: they do not depend on it.
    _write(tmp_path, {"pkg/__init__.py": "from pkg import e\n"})
    assert cycles(dependency_graph(tmp_path, "pkg")) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]
    # But importing a module runs its package's __init__ first.
    _write(tmp_path, {"pkg/sub/__init__.py": "import pkg.sub.f\n", "pkg/sub/f.py": "",
                      "pkg/e.py": "import pkg.sub.f\n", "pkg/sub/g.py": "import pkg.e\n"})
    graph = dependency_graph(tmp_path, "pkg")
    assert graph["pkg.e"] == {"pkg.sub", "pkg.sub.f"}
    assert undocumented_deferred_imports(tmp_path, "pkg") == ["pkg/b.py:2 imports pkg.c.x"]
    # One comment serves the imports stacked under it, not those after a blank line.
    _write(tmp_path, {"pkg/b.py": ("def f():\n    # on use: c is slow\n    from pkg.c import x, y\n"
                                   "    import pkg.a\n\n    import pkg.d\n")})
    assert deferred_imports(tmp_path, "pkg") == {"pkg/b.py:3 imports pkg.c.x, pkg.c.y": True,
                                                 "pkg/b.py:4 imports pkg.a": True,
                                                 "pkg/b.py:6 imports pkg.d": False}


def test_reader_sees_the_whole_package() -> None:
    modules = project_modules()
    assert {"fanbind.build", "fanbind.epub", "fanbind.cli"} <= modules.keys()
    graph = dependency_graph()
    assert "fanbind.diagnostics" in graph["fanbind.build"]
    assert sum(len(targets) for targets in graph.values()) > 50


@pytest.mark.parametrize("library", sorted(CONFINED))
def test_heavy_libraries_are_imported_only_where_they_belong(library: str) -> None:
    allowed = CONFINED[library]
    importers = {item.importer
                 for path in project_modules().values() for item in imports_of(path)
                 if item.target.split(".")[0] == library}
    assert importers, f"nothing imports {library}: is the rule still needed?"
    stray = sorted(name for name in importers
                   if not any(name == rule or (rule.endswith(".") and name.startswith(rule))
                              for rule in allowed))
    assert not stray, f"{library} imported outside {allowed}: {stray}"


def test_no_import_cycle_among_fanbind_modules() -> None:
    graph = dependency_graph()
    assert not components(graph), "import cycles:\n" + describe_cycles(graph)


def test_deferred_imports_of_fanbind_modules_say_why() -> None:
    missing = undocumented_deferred_imports()
    assert not missing, (f"{len(missing)} function-level imports of fanbind modules without a "
                         "comment saying why they wait (or move them to the top):\n"
                         + "\n".join(missing))
