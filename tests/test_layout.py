"""The layout keeps its plan: the import contracts and the linter pass, every module sits in a layer, and page
text, statistics and drawing stay in their own rooms.

The contracts themselves live in pyproject.toml ([tool.importlinter]); these tests run the two checkers and add
what they cannot see: a module outside every layer, plotly reached through ``extras.require`` (a dynamic import
import-linter does not follow), and the book importing plotly at run time.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "paper_code"
#: The packages where drawing happens; everything else stays free of plotly and ipywidgets.
DRAWING = {"figures", "dashboard"}


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert found, f"{name} is not installed: `make setup` installs the test extra"
    return found


def _layered_modules() -> set[str]:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    stack = next(c for c in contracts if c["type"] == "layers")["layers"]
    return {name.strip() for layer in stack for name in layer.split("|")}


def test_import_contracts_hold():
    result = subprocess.run([_tool("lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_ruff_passes():
    result = subprocess.run([_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_every_module_sits_in_a_layer():
    """A new module or package at the top of paper_code must be placed in the layers contract to exist."""
    top = {f"paper_code.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    top |= {f"paper_code.{p.parent.name}" for p in PACKAGE.glob("*/__init__.py")}
    assert top == _layered_modules()
    assert len([p for p in PACKAGE.glob("*.py")]) <= 15
    assert not [p for p in PACKAGE.rglob("*.py") if re.search(r"_(pages|plots)\.py$", p.name)]
    assert not [p for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"
                and not (p / "__init__.py").is_file()], "a folder without __init__.py escapes the contracts"


def test_only_figures_and_dashboard_ask_for_plotly_or_ipywidgets():
    """``extras.require("plotly...")`` is an import import-linter cannot see: it is checked here."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).parts[0] in DRAWING:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "require"
                    and node.args and isinstance(node.args[0], ast.Constant)
                    and str(node.args[0].value).split(".")[0] in ("plotly", "ipywidgets")):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found


def test_page_text_loads_without_plotly():
    probe = "import sys, paper_code.book, paper_code.book.trained_tables, paper_code.book.grid_tables; " \
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('plotly', 'ipywidgets')))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "[]"
