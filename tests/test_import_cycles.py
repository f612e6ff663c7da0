"""No import circles in `app/`: a module never (directly or through others) imports itself.

The graph is read from the source with `ast`: every `import` and `from ... import` is an edge, including
imports inside functions. A lazy import inside a function does not fail at import time, but it still ties
the two modules together (each needs the other to work, and neither can move or be tested alone), which is
what this test is about; so it counts. Imports under `if TYPE_CHECKING:` are left out: they never run.
An edge goes to the module an import names (`from app.asr.pipeline import stitch` names
`app.asr.pipeline.stitch`); the
package `__init__` a Python import also runs on the way is not an edge of its own, since Verbatim's
`__init__` files hold no imports that could close a circle (the test checks that too).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.test_layers import APP, module_name

STRICT_LAYERS = ("app.asr", "app.core", "app.audio", "app.server")


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module name `source` imports (absolute), leaving out `if TYPE_CHECKING:` blocks."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                visit(ast.Module(body=child.orelse, type_ignores=[]))
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - (child.level - 1)] + ([child.module] if child.module else []))
                else:
                    base = child.module or ""
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in child.names if alias.name != "*")
            visit(child)

    visit(ast.parse(source))
    return found


def import_graph(root: Path = APP) -> dict[str, set[str]]:
    """Module -> the app modules it imports (a name is cut back to the longest app module it starts with)."""
    files = {module_name(f, root): f for f in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        targets: set[str] = set()
        for imported in imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py"):
            while imported and imported not in files:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (each holds at least one circle), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan's algorithm (the graph has a few hundred nodes: recursion is fine)
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return sorted(found)


def _in(group: list[str], layers: tuple[str, ...]) -> bool:
    return any(m == lay or m.startswith(lay + ".") for m in group for lay in layers)


def test_no_circles_in_asr_core_audio_server() -> None:
    graph = import_graph()
    assert "app.asr.catalog" in graph and graph["app.asr.engines.factory"]  # the graph was read
    bad = [group for group in cycles(graph) if _in(group, STRICT_LAYERS)]
    assert bad == [], "import circles: " + "; ".join(" <-> ".join(g) for g in bad)


def test_no_circles_anywhere_in_app() -> None:
    assert cycles(import_graph()) == []


def test_package_inits_close_no_circle() -> None:
    """A package's `__init__` importing its own submodule is what would make the parent-package edge matter."""
    graph = import_graph()
    for name, targets in graph.items():
        path = APP.parent / Path(*name.split("."))
        if (path / "__init__.py").is_file():
            for target in targets:
                if target.startswith(name + "."):
                    assert name not in _reachable(graph, target), f"{name} <-> {target}"


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@pytest.mark.parametrize("source, expect", [
    ("import app.b", {"app.b"}),
    ("def f():\n    from app import b\n", {"app", "app.b"}),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import app.b\nelse:\n    import app.c\n",
     {"typing", "typing.TYPE_CHECKING", "app.c"}),
    ("import typing\nif typing.TYPE_CHECKING:\n    import app.b\n", {"typing"}),
    ("from . import b", {"app.pkg", "app.pkg.b"}),
])
def test_imports_are_read_as_edges(source: str, expect: set[str]) -> None:
    assert imports_of(source, "app.pkg.mod") == expect


def test_cycle_finder_finds_a_circle_through_three_modules() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
