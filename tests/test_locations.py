"""Where files live: page parameters resolved from the checkout, folders shown relative to it."""

from __future__ import annotations

from pathlib import Path

from paper_code.locations import checkout_path, project_root, shown_path

ROOT = Path(__file__).resolve().parents[1]


def test_paths_resolve_from_the_checkout_and_show_relative_to_it(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT / "book")  # JupyterLab runs a page from book/
    assert project_root() == ROOT
    assert checkout_path("study/grid") == ROOT / "study" / "grid"
    assert checkout_path(tmp_path) == tmp_path
    assert shown_path(ROOT / "study" / "grid") == "study/grid"
    assert shown_path(tmp_path / "x") == (tmp_path / "x").as_posix()
