"""The house rules that keep core headless and start-up fast, checked the way Harlequin does:
import each module in a fresh interpreter and look at what got loaded."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import timebill.core

UI_PACKAGES = ("textual", "rich", "timebill.tui")


def core_modules() -> list[str]:
    return sorted(
        info.name for info in pkgutil.walk_packages(timebill.core.__path__, prefix="timebill.core.")
    )


def loaded_after_import(modules: list[str]) -> dict[str, list[str]]:
    script = (
        "import importlib, json, sys\n"
        "out = {}\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"    out[name] = sorted(m for m in sys.modules if any(m == p or m.startswith(p + '.') for p in {UI_PACKAGES!r}))\n"
        "print(json.dumps(out))\n"
    )
    # One interpreter per module would be exact but slow; importing in order and reporting the
    # first module after which a UI package appears names the culprit just as well.
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_no_core_module_imports_textual_or_rich() -> None:
    modules = core_modules()
    assert len(modules) > 10
    loaded = loaded_after_import(modules)
    offenders = {name: ui for name, ui in loaded.items() if ui}
    assert not offenders, f"core modules pulled in UI packages: {offenders}"


def test_help_does_not_load_textual() -> None:
    script = (
        "import sys\n"
        "from timebill.tui.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('textual' in sys.modules, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert "usage: timebill" in result.stdout
    assert result.stderr.strip().endswith("False")


def test_the_apps_first_screen_loads_neither_pydantic_nor_httpx() -> None:
    """The first frame waits for every module the app and its entries screen import: the
    settings' validation (pydantic) and the HTTP clients (httpx) load after it, in a worker."""
    script = (
        "import sys\n"
        "import timebill.tui.main, timebill.tui.app\n"
        "print(sorted(m for m in ('pydantic', 'httpx', 'sqlite3') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_no_core_source_file_names_a_ui_package() -> None:
    """The static half of the guard: also catches imports inside functions, which the import
    test above only sees when they run. (import-linter would do this too, but it pulls in click,
    and with click installed httpx loads its CLI and rich on import.)"""
    import ast
    from pathlib import Path

    root = Path(timebill.core.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            offenders += [
                f"{path.relative_to(root)}: {n}"
                for n in names
                if any(n == p or n.startswith(p + ".") for p in UI_PACKAGES)
            ]
    assert not offenders


# -- every layer's direction, read from the source (ast) ------------------------------------
#
#   timebill.tui  ->  timebill.core (not core.cli)  <-  timebill.core.cli
#   timebill.core.sandbox: its own modules, the standard library and third-party packages only
#
# The one place the app meets the command line is the console script, timebill.tui.main: it
# hands the arguments to timebill.core.cli.main and passes the app in as a callback (core never
# imports the UI). The sandbox is started by the product only from `timebill sandbox` (in
# timebill.core.cli.main) and `timebill demo` (timebill.core.cli.demo).

import ast  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import timebill.tui  # noqa: E402

PACKAGE_ROOTS = {
    "timebill.core": Path(timebill.core.__file__).parent,
    "timebill.tui": Path(timebill.tui.__file__).parent,
}
CONSOLE_SCRIPT = "timebill.tui.main"
SANDBOX_STARTERS = {"timebill.core.cli.demo"}


@dataclass(frozen=True)
class ImportStatement:
    module: str  # the importing module
    target: str  # the module or package named (for `from P import n`: P.n when that is a module)
    top_level: bool  # runs on import (not inside a function, nor only for type checkers)
    node: ast.stmt


def _module_name(prefix: str, root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([prefix, *parts])


def product_modules() -> dict[str, Path]:
    found = {}
    for prefix, root in PACKAGE_ROOTS.items():
        for path in sorted(root.rglob("*.py")):
            found[_module_name(prefix, root, path)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(tree: ast.Module) -> list[tuple[ast.stmt, bool, list[ast.AST]]]:
    """Every import statement with whether it runs at import time, and its ancestors."""
    out: list[tuple[ast.stmt, bool, list[ast.AST]]] = []

    def visit(node: ast.AST, top: bool, ancestors: list[ast.AST]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                out.append((child, top, ancestors))
                continue
            inner = top
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                inner = False
            elif isinstance(child, ast.If) and _is_type_checking(child):
                inner = False
            visit(child, inner, [*ancestors, child])

    visit(tree, True, [])
    return out


def import_statements() -> list[ImportStatement]:
    modules = product_modules()
    found = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node, top, _ in _statements(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:  # relative: resolved against the importing package
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [base]
                targets += [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
            found += [ImportStatement(module, target, top, node) for target in targets]
    return found


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _offenders(statements: list[ImportStatement]) -> list[str]:
    return sorted(f"{s.module} imports {s.target} (line {s.node.lineno})" for s in statements)


def test_import_statements_are_found() -> None:
    statements = import_statements()
    assert len(product_modules()) > 80
    assert any(
        s.module == "timebill.tui.flow" and s.target == "timebill.core.billing.service"
        for s in statements
    )


def test_core_never_imports_the_app() -> None:
    bad = [
        s
        for s in import_statements()
        if _within(s.module, "timebill.core")
        and any(_within(s.target, p) for p in ("timebill.tui", "textual", "rich"))
    ]
    assert not bad, _offenders(bad)


def test_only_the_command_line_imports_the_command_line() -> None:
    """core.cli is a front-end like the app: nothing in core below it, and nothing of the app
    but its console script, imports it."""
    bad = [
        s
        for s in import_statements()
        if _within(s.target, "timebill.core.cli")
        and not _within(s.module, "timebill.core.cli")
        and s.module != CONSOLE_SCRIPT
    ]
    assert not bad, _offenders(bad)


def test_the_sandbox_imports_nothing_of_the_product() -> None:
    bad = [
        s
        for s in import_statements()
        if _within(s.module, "timebill.core.sandbox")
        and _within(s.target, "timebill")
        and not _within(s.target, "timebill.core.sandbox")
    ]
    assert not bad, _offenders(bad)


def _starts_the_sandbox_command(ancestors: list[ast.AST]) -> bool:
    """Inside a function, under `if command == "sandbox":`."""
    in_function = any(isinstance(a, ast.FunctionDef) for a in ancestors)
    guarded = any(
        isinstance(a, ast.If)
        and isinstance(a.test, ast.Compare)
        and any(isinstance(c, ast.Constant) and c.value == "sandbox" for c in a.test.comparators)
        for a in ancestors
    )
    return in_function and guarded


def test_the_product_imports_the_sandbox_only_for_the_demo_and_sandbox_commands() -> None:
    bad = [
        s
        for s in import_statements()
        if _within(s.target, "timebill.core.sandbox")
        and not _within(s.module, "timebill.core.sandbox")
        and s.module not in SANDBOX_STARTERS
        and s.module != "timebill.core.cli.main"
    ]
    assert not bad, _offenders(bad)
    main = product_modules()["timebill.core.cli.main"]
    for node, _, ancestors in _statements(ast.parse(main.read_text(encoding="utf-8"))):
        names = (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        )
        if any(_within(n, "timebill.core.sandbox") for n in names):
            assert _starts_the_sandbox_command(ancestors), f"main.py line {node.lineno}"


def import_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                connect(nxt)
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
            if len(component) > 1 or node in edges.get(node, ()):
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return cycles


def test_import_cycles_are_found() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_cycles(edges) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_among_modules() -> None:
    """Between modules at import time (imports inside functions and for type checkers only
    do not count: they run after both modules are loaded)."""
    modules = product_modules()
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for s in import_statements():
        if s.top_level and s.target in modules and s.target != s.module:
            edges[s.module].add(s.target)
    assert import_cycles(edges) == []
