"""The structure of the package, checked from its source: layers without cycles, no borrowed
private names, one error contract.

The import graph is read from the syntax tree of every module under ``src/copfactors``, imports
inside functions included (they are cycles all the same, only delayed); imports under
``if TYPE_CHECKING:`` are left out, since they never run and only name types for annotations.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "copfactors"

#: The layers of docs/architecture.md, bottom first: a module imports only from lower layers
#: (or from its own subpackage). ``copfactors`` itself (the lazy ``__init__``, which imports
#: nothing at run time) may be imported from anywhere, e.g. for ``__version__``.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors",),
    ("_utils",),
    ("schema",),
    ("plans", "mapping"),
    ("io", "datasets", "features", "models", "instrument"),
    ("formula",),
    ("inspection", "replicate", "persist", "parallel", "report", "plot"),
    ("claims", "scoring"),
    ("distributed", "analysis", "preflight"),
    ("htmlreport", "wordtables"),
    ("pipeline",),
    ("demo",),
    ("cli",),
)

#: exceptions a user could trigger that must be copfactors errors instead
FORBIDDEN_RAISES = frozenset({"ValueError", "TypeError", "Exception", "KeyError", "RuntimeError"})


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted((SRC / PACKAGE).rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                stack.extend(child.orelse)
                continue
            stack.append(child)


def _owning_module(dotted: str) -> str | None:
    parts = dotted.split(".")
    while parts:
        name = ".".join(parts)
        if name in MODULES:
            return name
        parts.pop()
    return None


def _package_of(module: str) -> str:
    return module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]


def imports(module: str) -> list[tuple[str, str, int]]:
    """``(imported module, imported name or '', line)`` for each copfactors import of a module."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out = []
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            out.extend((a.name, "", node.lineno) for a in node.names if a.name.startswith(PACKAGE))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package_of(module).split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            if source.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                full = f"{source}.{alias.name}"
                if full in MODULES:  # ``from copfactors.models import _solver``: a module
                    out.append((full, "", node.lineno))
                else:
                    out.append((source, alias.name, node.lineno))
    return out


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module in MODULES:
        targets = {_owning_module(source) for source, _, _ in imports(module)}
        graph[module] = {t for t in targets if t and t != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
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
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def private_imports(module: str, found: list[tuple[str, str, int]] | None = None) -> list[str]:
    """Private names or modules imported from outside the subpackage that owns them."""
    bad = []
    package = _package_of(module)
    for source, name, line in imports(module) if found is None else found:
        parts = [*source.split("."), *([name] if name else [])]
        private = [i for i, p in enumerate(parts) if p.startswith("_") and not p.startswith("__")]
        if not private:
            continue
        first = private[0]
        owner = ".".join(parts[:first])  # the package whose private member this is
        if first == len(parts) - 1 and name:
            # a private name of a module: only that module's own package may take it, and only
            # if the module is itself private to that package (models._solver's helpers)
            source_private = any(p.startswith("_") for p in source.split(".")[1:])
            allowed = source_private and (package == owner or package.startswith(owner + "."))
            allowed = allowed and _owning_module(source) != owner
        else:
            allowed = package == owner or package.startswith(owner + ".")
        if not allowed:
            bad.append(f"{module}:{line} imports {'.'.join(parts)}")
    return bad


def forbidden_raises(module: str) -> list[str]:
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id in FORBIDDEN_RAISES:
                bad.append(f"{module}:{node.lineno} raises {exc.id}")
    return bad


# ---------------------------------------------------------------------------------------------
def test_the_checks_see_the_package():
    assert {"copfactors", "copfactors.errors", "copfactors.models._ordinal"} <= set(MODULES)
    graph = import_graph()
    assert "copfactors.models._solver" in graph["copfactors.models._ordinal"]
    assert "copfactors.errors" in graph["copfactors.schema"]


def test_no_import_cycle():
    assert cycles(import_graph()) == []


def test_no_private_name_imported_from_outside_its_subpackage():
    bad = [line for module in MODULES for line in private_imports(module)]
    assert bad == []


def test_no_builtin_exception_raised_for_users():
    bad = [line for module in MODULES for line in forbidden_raises(module)]
    assert bad == []


def test_the_bottom_layer_imports_only_errors():
    for module in MODULES:
        if module == "copfactors._utils" or module.startswith("copfactors._utils."):
            targets = import_graph()[module]
            assert targets <= {"copfactors.errors"} | {
                m for m in MODULES if m.startswith("copfactors._utils")
            }, module
    assert import_graph()["copfactors.errors"] == set()


def _layer(module: str) -> int:
    top = module.split(".")[1]
    return next(i for i, layer in enumerate(LAYERS) if top in layer)


def test_every_module_has_a_layer():
    tops = {m.split(".")[1] for m in MODULES if m != PACKAGE}
    assert tops == {name for layer in LAYERS for name in layer}


def test_imports_point_down_the_layers():
    bad = []
    for module, targets in import_graph().items():
        if module == PACKAGE:
            continue
        for target in targets:
            if target == PACKAGE or target.split(".")[1] == module.split(".")[1]:
                continue  # the lazy package, or within one subpackage (no cycle: see above)
            if _layer(target) >= _layer(module):
                bad.append(f"{module} -> {target}")
    assert bad == []


# the checks themselves, on small made-up graphs and modules
def test_cycle_finder():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize(
    "module, source, name, expected",
    [
        ("copfactors.claims", "copfactors.models._links", "get_link", False),
        ("copfactors.models._ordinal", "copfactors.models._links", "get_link", True),
        ("copfactors.models._ordinal", "copfactors.models._solver", "", True),
        ("copfactors.persist", "copfactors.models._links", "", False),
        ("copfactors.persist", "copfactors.features", "_missing_frame", False),
        ("copfactors.distributed", "copfactors.scoring", "_level_index", False),
        ("copfactors.claims", "copfactors._utils.parallel", "check_n_jobs", True),
        ("copfactors.claims", "copfactors.models", "get_link", True),
    ],
)
def test_private_rule(module, source, name, expected):
    assert (private_imports(module, [(source, name, 1)]) == []) is expected
