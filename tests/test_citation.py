"""The project can be reused and cited: an MIT LICENSE that ships, a valid CITATION.cff naming the paper."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CFFCONVERT = ROOT / ".venv" / "tools" / "bin" / "cffconvert"


def test_citation_file_is_valid_and_names_the_paper():
    if not CFFCONVERT.is_file():
        pytest.fail(f"{CFFCONVERT} is missing: `make setup` installs cffconvert in .venv/tools")
    result = subprocess.run([str(CFFCONVERT), "--validate", "-i", str(ROOT / "CITATION.cff")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    text = (ROOT / "CITATION.cff").read_text()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert f"version: {project['version']}" in text
    assert "https://arxiv.org/abs/2211.17012" in text and "family-names: Kutalev" in text


def test_the_license_is_mit_and_ships_with_the_distribution():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
