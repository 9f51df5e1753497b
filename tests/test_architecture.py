"""The house rules, checked on the source: imports point down the pipeline, no import
loops, no private name borrowed from another module, no module over 800 lines.

Imports are read with ``ast`` (every ``import`` statement: at module level, inside
functions and under ``if TYPE_CHECKING``), so nothing is executed.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = "personae"
MAX_LINES = 800

#: the floors of the house, bottom first: a top-level package or module of personae may
#: import only those below it (and itself). ARCHITECTURE.md lists the same order.
LAYERS = (
    "errors",
    "sql",
    "catalog",
    "config",
    "protect",
    "engine",
    "project",
    "lock",
    "stage",
    "query",
    "collect",
    "ingest",
    "clean",
    "unify",
    "profile",
    "segment",
    "activate",
    "serving",
    "stream",
    "privacy",
    "pipeline",
    "ui",
    "demo",
    "cli",
    "__main__",
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((SRC / PACKAGE).rglob("*.py"))}


def _resolve(name: str) -> str | None:
    """The personae module ``name`` refers to (a module, or the package holding it)."""
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


@cache
def imports() -> dict[str, list[tuple[str, int, list[str]]]]:
    """module -> (imported module, line, names taken) for every import of personae."""
    found: dict[str, list[tuple[str, int, list[str]]]] = {}
    for module, path in modules().items():
        tree = ast.parse(path.read_text(), str(path))
        edges = found.setdefault(module, [])
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == PACKAGE:
                        target = _resolve(alias.name)
                        if target:
                            edges.append((target, node.lineno, []))
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.split(".")[0] != PACKAGE:
                    continue
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    if submodule in modules():
                        edges.append((submodule, node.lineno, []))
                    else:
                        target = _resolve(node.module)
                        if target:
                            edges.append((target, node.lineno, [alias.name]))
    return found


def _floor(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_every_top_level_package_has_a_floor() -> None:
    floors = {_floor(m) for m in modules() if m != PACKAGE}
    assert floors <= set(LAYERS), f"add {sorted(floors - set(LAYERS))} to LAYERS"
    assert set(LAYERS) <= floors, f"LAYERS names what does not exist: {set(LAYERS) - floors}"


def test_imports_point_down_the_pipeline() -> None:
    wrong = []
    for module, edges in imports().items():
        if module == PACKAGE:
            continue
        mine = LAYERS.index(_floor(module))
        for target, line, _ in edges:
            if target == PACKAGE:
                continue
            theirs = LAYERS.index(_floor(target))
            if theirs > mine:
                wrong.append(f"{module}:{line} imports {target}, which sits above it")
    assert not wrong, "\n".join(wrong)


def test_no_import_loops() -> None:
    graph = {m: sorted({t for t, _, _ in edges if t != m}) for m, edges in imports().items()}
    loops = [c for c in _strongly_connected(graph) if len(c) > 1]
    assert not loops, "import loops: " + "; ".join(" <-> ".join(sorted(c)) for c in loops)


def test_no_private_name_is_imported_from_another_module() -> None:
    borrowed = [
        f"{module}:{line} takes {name} from {target}"
        for module, edges in imports().items()
        for target, line, names in edges
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert not borrowed, "\n".join(borrowed)


@pytest.mark.parametrize("folder", ["src", "tests", "benchmarks"])
def test_no_module_over_800_lines(folder: str) -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in sorted((ROOT / folder).rglob("*.py"))
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"split these modules (over {MAX_LINES} lines): {long}"


def test_architecture_md_lists_the_same_floors() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text()
    block = re.search(r"<!-- floors -->\n```\n(.*?)```", text, re.S)
    assert block, "ARCHITECTURE.md needs the floors block (<!-- floors --> then a code block)"
    listed = [
        line.split()[0].rstrip("/").removesuffix(".py")
        for line in block.group(1).split("\n")
        if line.strip()
    ]
    assert listed == list(reversed(LAYERS)), "ARCHITECTURE.md's floors differ from LAYERS"


def _strongly_connected(graph: dict[str, list[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph.get(root, [])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph.get(child, []))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components
