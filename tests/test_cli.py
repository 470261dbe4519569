"""Bad command lines: one line naming the problem, exit status 2, and nothing written."""

from __future__ import annotations

import subprocess
import sys

import pytest

from paper_code.__main__ import main


def cli(*args):
    """The real command, in a subprocess: exit status and output exactly as a user sees them."""
    return subprocess.run([sys.executable, "-m", "paper_code", *args], capture_output=True, text=True)


def cli_in_process(capsys, *args):
    """The same entry point called in-process (fast): returns (exit status, stderr)."""
    try:
        status = main(list(args))
    except SystemExit as exit_:
        status = exit_.code
    return status, capsys.readouterr().err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--methods", "fis,ewc"], "unknown importance method 'ewc'"),
        (["--reg", "l2"], "unknown regularizing method (--reg) 'l2'"),
        (["--tasks", "0"], "tasks=0 is out of range"),
        (["--epochs", "-1"], "epochs=-1 is out of range"),
        (["--lam", "-1"], "lam=-1.0 is out of range"),
        (["--importance-samples", "0"], "importance_samples=0 is out of range"),
        (["--importance-samples", "70000"], "importance_samples=70000 is out of range"),
        (["--pairs", "mas_foo"], "unknown correlation pair 'mas_foo'"),
        (["--tasks", "three"], "argument --tasks: invalid int value: 'three'"),
        (["--si-grad", "both"], "argument --si-grad: invalid choice"),
        (["--methods", ","], "expected a comma-separated list"),
    ],
)
def test_bad_parameter_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "out"
    status, stderr = cli_in_process(capsys, "run", "--out", str(out), *args)
    assert status == 2
    assert message in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "Traceback" not in stderr
    assert not out.exists()


def test_bad_parameter_in_a_real_process(tmp_path):
    result = cli("run", "--out", str(tmp_path / "out"), "--epochs", "-1")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: epochs=-1 is out of range: it must be >= 1"
    assert not (tmp_path / "out").exists()


def test_unwritable_out_is_refused_before_work(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    status, stderr = cli_in_process(capsys, "run", "--out", str(blocker / "results"), "--tasks", "1")
    assert status == 2
    assert "is not a folder" in stderr and len(stderr.strip().splitlines()) == 1


def test_non_results_folder_is_refused(tmp_path, capsys):
    (tmp_path / "thesis.tex").write_text("keep me")
    status, stderr = cli_in_process(capsys, "run", "--out", str(tmp_path), "--tasks", "1")
    assert status == 2 and "holds no results" in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis.tex"]


def test_missing_command_and_help(capsys):
    assert cli_in_process(capsys)[0] == 2
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    help_text = capsys.readouterr().out
    for flag in ("--tasks", "--epochs", "--lam", "--reg", "--seed", "--methods", "--importance-samples", "--resume"):
        assert flag in help_text


def test_sweep_adds_each_regularizing_method_to_methods(tmp_path, capsys):
    # --methods fis with --reg mas,none is valid for a sweep (mas is added for its trials); the only
    # problem here is the negative lambda, which must be what is reported, before any work.
    status, stderr = cli_in_process(
        capsys, "sweep", "--out", str(tmp_path / "s"), "--reg", "mas,none", "--methods", "fis",
        "--pairs", "fis_fis2", "--lam", "1,-1", "--tasks", "1",
    )
    assert status == 2 and "lam=-1.0 is out of range" in stderr
    assert not (tmp_path / "s").exists()


def test_version_names_the_distribution_and_the_numerics(capsys):
    import tomllib
    from pathlib import Path

    from paper_code._version import NUMERICS_VERSION

    with pytest.raises(SystemExit):
        main(["--version"])
    version = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]["version"]
    assert capsys.readouterr().out.strip() == f"importance-correlations {version} (numerics version {NUMERICS_VERSION})"


def test_help_shows_defaults_as_typed_and_examples(capsys):
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default 3, a comma-separated list)" in text and "(3.0,)" not in text and "examples:" in text
    with pytest.raises(SystemExit):
        main(["prune", "--help"])
    assert "./data" not in capsys.readouterr().out


def test_a_folder_of_an_older_numerics_version_is_refused_as_current(tmp_path, capsys):
    import json

    from paper_code.config import Config

    old = Config(tasks=1, numerics=1)
    (tmp_path / "config.json").write_text(json.dumps({"config": old.to_dict(), "key": old.key, "complete": True,
                                                      "completed_tasks": 1}))
    status, stderr = cli_in_process(capsys, "run", "--out", str(tmp_path), "--tasks", "1")
    assert status == 2 and "numerics version 1" in stderr and "--force" in stderr and "\n" not in stderr.strip()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]
    assert Config(tasks=1).key != old.key  # the numerics version is part of the key


def test_numerics_the_library_does_not_compute_are_named(tmp_path):
    from paper_code import run_experiment
    from paper_code._version import NUMERICS_VERSION
    from paper_code.config import Config
    from paper_code.errors import ConfigError

    with pytest.raises(ConfigError, match="numerics="):
        Config(numerics=NUMERICS_VERSION + 1)
    with pytest.raises(ConfigError, match="numerics version 1 is not what this library computes"):
        run_experiment(Config(tasks=1, numerics=1), tmp_path / "x")
    assert not (tmp_path / "x").exists()
