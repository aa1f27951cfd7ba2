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
