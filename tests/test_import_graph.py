"""The form service's layout holds: its modules import one another without a cycle (imports inside functions
count too), the content model never imports the service, and no package takes a private name from another.

The imports are read from the source with `ast`, not by importing anything, so a cycle that only bites at run
time, or only in one order of imports, is caught before it does.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

SERVICE = "form_service"
CONTENT_MODEL = "quality_mark"


@dataclass(frozen=True)
class Import:
    """One name that `importer` takes from `module` (`name` is None for `import module`), at `line`."""

    importer: str
    module: str
    name: str | None
    line: int


def module_names(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Every module of `packages` under `root`, by dotted name (a package by its own name)."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> Iterator[Import]:
    """The imports in one module, at module level and inside functions, relative ones resolved. `from a import b`
    names the module `a.b` when there is one, else the name `b` of `a`."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, None, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                drop = node.level - 1 if is_package else node.level
                base = base[: len(base) - drop] if drop else base
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            for alias in node.names:
                if f"{module}.{alias.name}" in modules:
                    yield Import(name, f"{module}.{alias.name}", None, node.lineno)
                else:
                    yield Import(name, module, alias.name, node.lineno)


def all_imports(root: Path, packages: Iterable[str] = (SERVICE, CONTENT_MODEL)) -> tuple[list[Import], set[str]]:
    modules = module_names(root, packages)
    return [found for name, path in modules.items() for found in imports_of(name, path, modules)], set(modules)


def cycles(edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (or a module importing itself), each sorted
    (Tarjan's algorithm, iterative)."""
    graph: dict[str, set[str]] = {}
    for source, target in edges:
        graph.setdefault(source, set()).add(target)
        graph.setdefault(target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1 or node in graph[node]:
                        found.append(sorted(group))
    return sorted(found)


def service_edges(imports: Iterable[Import], modules: set[str]) -> set[tuple[str, str]]:
    """Which service module imports which: only modules of the service, each import counted once."""
    return {
        (found.importer, found.module)
        for found in imports
        if found.importer.startswith(SERVICE) and found.module in modules and found.module.startswith(SERVICE)
    }


def area(module: str) -> str:
    """The package of the service a module belongs to: `form_service.actions.views` is in `form_service.actions`,
    and a module straight under `form_service` is an area of its own."""
    return ".".join(module.split(".")[:2])


def content_model_imports_of_service(imports: Iterable[Import]) -> list[str]:
    return [
        f"{found.importer}:{found.line} imports {found.module}"
        for found in imports
        if found.importer.split(".")[0] == CONTENT_MODEL and found.module.split(".")[0] == SERVICE
    ]


def private_names_across_areas(imports: Iterable[Import]) -> list[str]:
    """`_private` names (or modules) that one area of the service imports from another."""
    return [
        f"{found.importer}:{found.line} imports {found.name or found.module} from {area(found.module)}"
        for found in imports
        if found.importer.startswith(SERVICE)
        and found.module.startswith(SERVICE)
        and area(found.importer) != area(found.module)
        and any(part.startswith("_") and part != "__init__" for part in (found.name or found.module).split("."))
    ]


def describe(groups: list[list[str]]) -> str:
    return "; ".join(" <-> ".join(group) for group in groups)


# The service as it is ------------------------------------------------------------------------------------------


def test_the_service_imports_itself_without_a_cycle() -> None:
    imports, modules = all_imports(REPO_ROOT)
    edges = service_edges(imports, modules)
    assert len(edges) > 100
    found = cycles(edges)
    assert found == [], f"modules that import each other, directly or round a loop: {describe(found)}"


def test_the_content_model_never_imports_the_service() -> None:
    imports, _ = all_imports(REPO_ROOT)
    assert any(found.importer.startswith(CONTENT_MODEL) for found in imports)
    assert content_model_imports_of_service(imports) == []


def test_no_area_takes_a_private_name_from_another() -> None:
    imports, _ = all_imports(REPO_ROOT)
    assert private_names_across_areas(imports) == []


# The checker itself, on made-up trees: each rule can fail ----------------------------------------------------


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_cycle_through_an_import_inside_a_function_is_found(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "form_service/__init__.py": "",
            "form_service/stages.py": "def draft():\n    from .stage_input import Draft\n    return Draft\n",
            "form_service/stage_input.py": "from form_service import stages\n",
            "form_service/clock.py": "import datetime\n",
            "quality_mark/__init__.py": "",
        },
    )
    imports, modules = all_imports(root)
    found = cycles(service_edges(imports, modules))
    assert found == [["form_service.stage_input", "form_service.stages"]]
    assert "form_service.stage_input <-> form_service.stages" in describe(found)


def test_a_longer_loop_and_a_module_importing_itself_are_cycles() -> None:
    assert cycles([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]) == [["a", "b", "c"]]
    assert cycles([("a", "a"), ("a", "b")]) == [["a"]]
    assert cycles([("a", "b"), ("b", "c"), ("a", "c")]) == []


def test_relative_imports_in_a_package_resolve_to_its_modules(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "form_service/__init__.py": "from .actions import views\n",
            "form_service/core/__init__.py": "",
            "form_service/core/clock.py": "from ..actions.plan import Plan\n",
            "form_service/actions/__init__.py": "from . import plan\n",
            "form_service/actions/plan.py": "from ..core import clock\nfrom .views import page\n",
            "form_service/actions/views.py": "from .plan import Plan\n",
            "quality_mark/__init__.py": "",
        },
    )
    imports, modules = all_imports(root)
    edges = service_edges(imports, modules)
    assert ("form_service.core.clock", "form_service.actions.plan") in edges
    assert ("form_service.actions", "form_service.actions.plan") in edges
    assert ("form_service", "form_service.actions.views") in edges
    assert cycles(edges) == [["form_service.actions.plan", "form_service.actions.views", "form_service.core.clock"]]


def test_the_content_model_importing_the_service_is_found(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "form_service/__init__.py": "",
            "form_service/clock.py": "",
            "quality_mark/__init__.py": "",
            "quality_mark/model.py": "def now():\n    from form_service.clock import now\n    return now()\n",
        },
    )
    imports, _ = all_imports(root)
    assert content_model_imports_of_service(imports) == ["quality_mark.model:2 imports form_service.clock"]


def test_a_private_name_taken_from_another_area_is_found(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "form_service/__init__.py": "",
            "form_service/core/__init__.py": "",
            "form_service/core/clock.py": "def _today(): ...\n",
            "form_service/actions/__init__.py": "",
            "form_service/actions/plan.py": "from ..core.clock import _today\nfrom ._rules import limit\n",
            "form_service/actions/_rules.py": "limit = 1\n",
            "form_service/actions/views.py": "from ..core import _secret\n",
            "quality_mark/__init__.py": "",
        },
    )
    imports, _ = all_imports(root)
    assert private_names_across_areas(imports) == [
        "form_service.actions.plan:1 imports _today from form_service.core",
        "form_service.actions.views:1 imports _secret from form_service.core",
    ]


@pytest.mark.parametrize("module", ["form_service.actions.views", "form_service.actions"])
def test_an_area_is_the_first_package_under_the_service(module: str) -> None:
    assert area(module) == "form_service.actions"
