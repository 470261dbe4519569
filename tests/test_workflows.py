"""The GitHub Actions workflows, checked offline so that a typo fails here and not on GitHub: the schema check
(check-jsonschema's bundled GitHub-workflow schema), and what each workflow must do."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
CHECKER = ROOT / ".venv" / "lint" / "bin" / "check-jsonschema"

#: The first major version of each action that runs on Node 24 (GitHub retired the Node 20 runtime in 2026):
#: an older one fails on today's runners.
NODE24_MAJORS = {"actions/checkout": 5, "actions/setup-python": 6, "actions/configure-pages": 6,
                 "actions/upload-pages-artifact": 5, "actions/deploy-pages": 5}


def check(*files: Path) -> subprocess.CompletedProcess:
    if not CHECKER.is_file():
        pytest.fail(f"{CHECKER} is missing: `make setup` installs check-jsonschema in .venv/lint")
    return subprocess.run([str(CHECKER), "--builtin-schema", "vendor.github-workflows", *map(str, files)],
                          capture_output=True, text=True, timeout=120)


def workflow(name: str) -> dict:
    # YAML 1.1 reads the key `on` as True; the workflow means the string.
    loaded = yaml.safe_load((WORKFLOWS / name).read_text())
    return {("on" if key is True else key): value for key, value in loaded.items()}


def steps(flow: dict) -> list[dict]:
    return [step for job in flow["jobs"].values() for step in job.get("steps", [])]


def test_every_workflow_passes_the_schema_check():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} == {"publish.yml", "tests.yml"}
    result = check(*files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_misspelt_key_fails_the_check(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text((WORKFLOWS / "tests.yml").read_text().replace("runs-on:", "runs-onn:"))
    result = check(broken)
    assert result.returncode != 0 and "runs-onn" in result.stdout + result.stderr


def test_every_action_runs_on_node_24():
    for name in ("publish.yml", "tests.yml"):
        for step in steps(workflow(name)):
            if "uses" in step:
                action, version = step["uses"].split("@")
                major = int(re.match(r"v(\d+)", version).group(1))
                assert action in NODE24_MAJORS and major >= NODE24_MAJORS[action], (name, step["uses"])


def test_publish_builds_the_book_from_the_checkout_and_deploys_it_to_pages():
    flow = workflow("publish.yml")
    assert flow["on"]["push"]["branches"] == ["main"]
    assert flow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    build, deploy = flow["jobs"]["build"], flow["jobs"]["deploy"]
    runs = [step.get("run") for step in build["steps"]]
    assert "make book" in runs
    python = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["python-version"] == "3.11" and python["with"]["cache"] == "pip"
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html"
    assert runs.index("make book") < build["steps"].index(upload)
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")


def test_the_tests_workflow_runs_readmes_test_command_on_pushes_and_pull_requests():
    flow = workflow("tests.yml")
    assert {"push", "pull_request"} <= set(flow["on"])
    assert [s["run"] for s in steps(flow) if "run" in s] == ["bash .ci/run"]
    assert (ROOT / ".ci" / "run").read_text().rstrip().endswith("make test")
