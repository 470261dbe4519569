"""One environment, three doors: the Makefile, environment.yml and the lock file all follow pyproject.toml."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

from paper_code.data import HUB_REQUIREMENT

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def declared() -> list[Requirement]:
    specs = list(PROJECT["dependencies"])
    for extra in ("test", "book", "sweep"):
        specs += PROJECT["optional-dependencies"][extra]
    return [Requirement(spec) for spec in specs]


def test_environment_yml_is_what_pyproject_gives():
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "environment.py"), "--check"], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stderr


def test_the_makefile_reads_its_pins_from_pyproject():
    pins = subprocess.run(["make", "-s", "pins"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert pins == [d for d in PROJECT["dependencies"] if d.split("==")[0] in ("torch", "torchvision")]
    makefile = (ROOT / "Makefile").read_text()
    assert not re.search(r'"torch(vision)?==', makefile), "a torch pin written into the Makefile by hand"
    assert f'"{HUB_REQUIREMENT}"' in makefile  # the MNIST source the data module checks


def test_the_lock_pins_every_declared_dependency_within_its_range():
    locked = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if match:
            locked[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    for requirement in declared():
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        assert name in locked, f"{requirement.name} is not in requirements/lock.txt: run `make lock`"
        assert requirement.specifier.contains(locked[name], prereleases=True), (requirement, locked[name])
