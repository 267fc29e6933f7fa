"""The engine and the CLI must never import Qt: they run headless, in scripts and in tests."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "app" / "kinetoscope"
QT_ROOTS = ("PySide6", "shiboken6", "PyQt5", "PyQt6", "pyqtgraph", "qtpy")


def _headless_modules() -> list[str]:
    names = []
    for path in sorted((PACKAGE / "engine").rglob("*.py")) + sorted((PACKAGE / "cli").glob("*.py")):
        names.append("kinetoscope." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__"))
    names.append("kinetoscope.settings") if (PACKAGE / "settings.py").exists() else None
    return names


def test_engine_and_cli_import_no_qt_at_run_time():
    modules = _headless_modules()
    code = ("import importlib, sys\n"
            f"for name in {modules!r}:\n    importlib.import_module(name)\n"
            f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {QT_ROOTS!r})\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"Qt was imported by the engine or CLI: {out.stdout.strip()}"


def test_engine_source_has_no_qt_import_statements():
    offenders = []
    for path in sorted((PACKAGE / "engine").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in QT_ROOTS]
    assert offenders == []


def test_import_contracts_hold():
    """pyproject.toml's import-linter contracts: no Qt in the engine, the app's and the engine's layers."""
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint)], capture_output=True, text=True, cwd=PACKAGE.parents[1])
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr
    assert "0 broken" in out.stdout
