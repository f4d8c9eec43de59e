"""The house's layout, checked: every arrow points inward (doors -> parts -> storage/assessment ->
framework), the doors hold no SQL and no long functions, no import cycle exists, imports stand
at the top of modules unless a comment says why not, and errors map to statuses by type."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import distillgov
from distillgov import errors
from distillgov.cli import app as cli_app

PACKAGE = Path(distillgov.__file__).parent
DOORS = ("distillgov.cli", "distillgov.api", "distillgov.web")
MAX_DOOR_FUNCTION_LINES = 70
SQL = re.compile(
    r"\b(SELECT\b.+\bFROM|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE TABLE)\b", re.S
)


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # what it imports (a module, or a name's module)
    line: int
    in_function: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {
    module_name(p): p
    for p in sorted(PACKAGE.rglob("*.py"))
    # Alembic's scripts are loaded by Alembic, not imported; __main__ runs the command line.
    if "migrations" not in p.parts and p.name != "__main__.py"
}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str) -> Iterator[Import]:
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))

    def walk(node: ast.AST, in_function: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue  # annotations only: never imported at run time
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(name, alias.name, child.lineno, in_function)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                for alias in child.names:
                    full = f"{child.module}.{alias.name}"
                    target = full if full in MODULES else child.module
                    yield Import(name, target, child.lineno, in_function)
            yield from walk(child, inside)

    yield from walk(tree, False)


ALL_IMPORTS = [i for name in MODULES for i in imports_of(name)]


def test_the_framework_imports_nothing_from_outside_itself() -> None:
    outward = [
        f"{i.module}:{i.line} imports {i.target}"
        for i in ALL_IMPORTS
        if i.module.startswith("distillgov.framework")
        and i.target.startswith("distillgov")
        and not i.target.startswith("distillgov.framework")
    ]
    assert outward == []


def _is_door(name: str) -> bool:
    return any(name == d or name.startswith(d + ".") for d in DOORS)


def test_doors_hold_no_sql() -> None:
    found = [
        f"{i.module}:{i.line}"
        for i in ALL_IMPORTS
        if _is_door(i.module) and i.target.startswith("sqlalchemy")
    ]
    for name, path in MODULES.items():
        if not _is_door(name):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and SQL.search(node.value)
            ):
                found.append(f"{name}:{node.lineno} {node.value[:40]!r}")
    assert found == []


def test_no_function_in_the_doors_is_long() -> None:
    long = []
    for name, path in MODULES.items():
        if not _is_door(name):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_DOOR_FUNCTION_LINES:
                    long.append(f"{name}.{node.name}: {lines} lines")
    assert long == []


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_there_is_no_import_cycle() -> None:
    edges: dict[str, set[str]] = {}
    for i in ALL_IMPORTS:
        if i.target in MODULES and i.target != i.module:
            edges.setdefault(i.module, set()).add(i.target)
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_imports_inside_functions_say_why() -> None:
    """An import is at the top of its module unless the comment just above it gives the
    reason (a measured start-up cost, an optional dependency)."""
    silent = []
    for i in ALL_IMPORTS:
        if not i.in_function:
            continue
        lines = MODULES[i.module].read_text(encoding="utf-8").splitlines()
        above = [line.strip() for line in lines[max(0, i.line - 4) : i.line - 1]]
        if not any(line.startswith("#") for line in above):
            silent.append(f"{i.module}:{i.line} imports {i.target}")
    assert silent == []


def test_every_cli_command_is_named_at_the_root_and_loads() -> None:
    import importlib

    from typer import Typer

    holders = {(module, attr) for module, attr in cli_app.COMMANDS.values()}
    for name in MODULES:
        if not name.startswith("distillgov.cli.") or name in (
            "distillgov.cli.app",
            "distillgov.cli.common",
        ):
            continue
        module = importlib.import_module(name)
        short = name.rsplit(".", 1)[1]
        for attr, value in vars(module).items():
            if isinstance(value, Typer):
                assert (short, attr) in holders, f"{name}.{attr} is not wired in cli/app.py"
    for command in cli_app.COMMANDS:
        assert cli_app.load_command(command).name == command


@pytest.mark.parametrize(
    ("error", "http", "exit_code"),
    [
        (errors.NotFound("anything at all"), 404, 2),
        (errors.Conflict("no such words decide"), 409, 2),
        (errors.InvalidCase("already exists, says the text, but the type decides"), 422, 2),
        (errors.Unauthorized("x"), 401, 2),
        (errors.Forbidden("x"), 403, 2),
        (errors.RateLimited("x", 3), 429, 2),
        (errors.IncompleteRules("x"), 500, 3),
    ],
)
def test_status_is_chosen_by_type_not_by_words(
    error: errors.DistillgovError, http: int, exit_code: int
) -> None:
    status = errors.status_of(error)
    assert (status.http, status.exit_code) == (http, exit_code)


def test_every_part_error_has_a_status_and_not_found_errors_are_404() -> None:
    import importlib

    for name in MODULES:
        importlib.import_module(name)

    def all_subclasses(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from all_subclasses(sub)

    kinds = set(all_subclasses(errors.DistillgovError))
    assert len(kinds) > 20
    for kind in kinds:
        status = errors.status_of(kind("x") if kind is not errors.RateLimited else kind("x", 1))
        if issubclass(kind, errors.NotFound):
            assert status.http == 404, kind
        elif issubclass(kind, errors.Conflict):
            assert status.http == 409, kind
