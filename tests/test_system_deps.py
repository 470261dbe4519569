"""scripts/system_deps.sh against stub apt-get / chromium / npm / id commands, in every combination.

The stubs live alone on PATH, so the script sees exactly the machine each case describes: which programs
exist, whether apt-get exists, whether the user is root. The apt-get stub records every call it gets.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "system_deps.sh"
BASH = shutil.which("bash")
#: Real programs the script itself uses besides the stubs.
TOOLS = ("mkdir", "rm", "dirname")


def _stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!" + BASH + "\n" + body + "\n")
    path.chmod(0o755)


def run_setup(tmp_path: Path, *, chromium: bool, npm: bool, apt: bool, root: bool, apt_installs: bool = True):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        os.symlink(shutil.which(tool), bin_dir / tool)
    log = tmp_path / "apt.log"
    _stub(bin_dir, "id", f'[ "$1" = -u ] && echo {0 if root else 1000}')
    if chromium:
        _stub(bin_dir, "chromium", "exit 0")
    if npm:
        _stub(bin_dir, "npm", "exit 0")
    if apt:
        # A working apt-get puts the asked-for program on PATH, as the real one does.
        install = f'[ "$1" = install ] && for p in "$@"; do case "$p" in chromium|npm) ' \
                  f'printf "#!{BASH}\\nexit 0\\n" > "{bin_dir}/$p"; {shutil.which("chmod")} 755 "{bin_dir}/$p";; esac; done; exit 0'
        _stub(bin_dir, "apt-get", f'echo "$*" >> "{log}"\n' + (install if apt_installs else '[ "$1" = update ] || exit 100'))
    missing = tmp_path / "venv" / "system-deps-missing"
    result = subprocess.run([BASH, str(SCRIPT), str(missing)], env={"PATH": str(bin_dir)},
                            capture_output=True, text=True)
    calls = log.read_text().splitlines() if log.exists() else []
    return result, calls, missing.read_text() if missing.exists() else ""


@pytest.mark.parametrize("chromium, npm", list(itertools.product([True, False], repeat=2)))
def test_as_root_with_apt_each_missing_program_gets_its_own_install(tmp_path, chromium, npm):
    result, calls, missing = run_setup(tmp_path, chromium=chromium, npm=npm, apt=True, root=True)
    assert result.returncode == 0, result.stderr
    expected_installs = [f"install -y -qq {p}" for p, present in (("chromium", chromium), ("npm", npm)) if not present]
    assert [c for c in calls if c.startswith("install")] == expected_installs
    assert calls.count("update -qq") == (1 if expected_installs else 0)
    assert not any("chromium" in c and "npm" in c for c in calls)  # never both in one apt call
    assert missing == ""


@pytest.mark.parametrize("apt, root", [(False, True), (True, False), (False, False)])
@pytest.mark.parametrize("chromium, npm", [(False, True), (True, False), (False, False)])
def test_without_root_or_apt_it_names_what_to_install_and_asks_nothing(tmp_path, chromium, npm, apt, root):
    result, calls, missing = run_setup(tmp_path, chromium=chromium, npm=npm, apt=apt, root=root)
    assert result.returncode == 0, result.stderr
    assert calls == []
    absent = [p for p, present in (("chromium", chromium), ("npm", npm)) if not present]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == len(absent)
    for program, line in zip(absent, lines):
        assert f"{program} is missing" in line and f"apt-get install {program}" in line
        assert ("not running as root" if apt else "no apt-get") in line
    assert [line.split(":")[0] for line in missing.splitlines()] == absent


def test_a_failing_apt_install_fails_the_setup_rather_than_skipping_tests(tmp_path):
    result, calls, missing = run_setup(tmp_path, chromium=False, npm=True, apt=True, root=True, apt_installs=False)
    assert result.returncode == 1
    assert calls == ["update -qq", "install -y -qq chromium"]
    assert "apt-get could not install chromium" in result.stderr and missing == ""


def test_everything_present_touches_nothing(tmp_path):
    result, calls, missing = run_setup(tmp_path, chromium=True, npm=True, apt=True, root=False)
    assert (result.returncode, calls, missing, result.stderr) == (0, [], "", "")
