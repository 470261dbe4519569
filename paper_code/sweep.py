"""Sweeps: one ordinary run per point of a parameter grid, on Ray Tune or one after another.

Every trial is a plain results folder, ``DIR/trials/<config key>``, written by
:func:`paper_code.run_experiment`; a trial already complete is skipped and an
unfinished one resumes, so a killed sweep picks up where it stopped. After
the trials, ``DIR/sweep.csv`` gets one row per trial with its parameters and
its final average accuracy, average forgetting and compute time. The table
describes the folder, not one command: several sweeps written into the same
``DIR`` (say, one λ grid per regularizer) share its trials and one table, and
a trial that two of them ask for runs once.

Ray Tune is the engine when installed (``pip install -e .[sweep]``): locally it
runs as many trials at once as there are cores (one CPU each by default), or
it joins a running cluster with ``address``. Torch in each trial uses as many
threads as the CPUs the trial reserved, so concurrent trials do not
oversubscribe the machine. Without Ray the trials run in turn.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
import torch

from paper_code.config import Config
from paper_code.errors import ConfigError, PaperCodeError, UnresumableRun
from paper_code.experiment import run_experiment
from paper_code.results import load_results, read_meta, write_csv
from paper_code.results.lock import locked

SWEEP_FILE = "sweep.csv"
TRIALS_DIR = "trials"
#: Parameters that may take several values in one sweep.
SWEEP_PARAMETERS = ("reg", "lam", "seed")
METRIC_COLUMNS = ("final_accuracy", "average_forgetting", "wall_seconds", "trial_dir")


class SweepError(PaperCodeError, RuntimeError):
    """The sweep cannot start: the engine is missing or the cluster cannot be reached."""


def expand_grid(base: Config, grid: dict[str, Iterable[Any]]) -> list[Config]:
    """Every combination of the listed values on top of ``base``; each one validated, duplicates dropped."""
    unknown = sorted(set(grid) - set(SWEEP_PARAMETERS))
    if unknown:
        raise ConfigError(f"cannot sweep over {', '.join(unknown)}: only {', '.join(SWEEP_PARAMETERS)} take lists")
    names = [name for name in SWEEP_PARAMETERS if name in grid]
    values = [list(grid[name]) for name in names]
    for name, options in zip(names, values):
        if not options:
            raise ConfigError(f"--{name} is an empty list: give at least one value")
    configs: list[Config] = []
    for combination in itertools.product(*values):
        changes = dict(zip(names, combination))
        reg = changes.get("reg", base.reg)
        if reg == "none":  # without a regularizer λ changes nothing: run fine-tuning once, recorded with λ = 0
            changes["lam"] = 0.0
        changes.pop("reg", None)
        config = base.regularized(reg, **changes)  # EWC needs the importance it regularizes with
        if config not in configs:
            configs.append(config)
    return configs


def trial_folder(out: Path, config: Config) -> Path:
    return Path(out) / TRIALS_DIR / config.key


def _is_complete(folder: Path) -> bool:
    try:
        return bool(read_meta(folder).get("complete"))
    except PaperCodeError:
        return False


def run_trial(config_dict: dict[str, Any], folder: str, threads: int, data_root: str | None) -> dict[str, float]:
    """Run one trial in this process (a Ray worker or the driver) and return its metrics."""
    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, threads))
    try:
        # wait=True: a trial that another sweep sharing this folder is computing is waited for, then reused.
        config = Config.from_dict(config_dict)
        try:
            results = run_experiment(config, folder, resume=True, quiet=True, data_root=data_root, wait=True)
        except UnresumableRun:
            # Only its tables are left (a checkout keeps a trial's small files): nothing there can go on.
            results = run_experiment(config, folder, force=True, quiet=True, data_root=data_root, wait=True)
    finally:
        torch.set_num_threads(previous)
    return {"final_accuracy": results.final_average_accuracy(), "average_forgetting": results.average_forgetting()}


def _ray_trainable(params: dict[str, Any], out: str, threads: int, data_root: str | None) -> None:
    from ray import tune  # noqa: PLC0415

    folder = trial_folder(Path(out), Config.from_dict(params["config"]))
    tune.report(run_trial(params["config"], str(folder), threads, data_root))


def ray_available() -> bool:
    return importlib.util.find_spec("ray") is not None


def check_address(address: str, timeout: float = 5.0) -> None:
    """Fail fast, in one line, when a Ray cluster address does not answer."""
    if address == "auto":
        return
    host, _, port = address.rpartition(":")
    host = host.removeprefix("ray://") or "127.0.0.1"
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except (OSError, ValueError) as exc:
        raise SweepError(
            f"cannot reach a Ray cluster at --address {address} ({exc}): start one with `ray start --head` "
            "or leave --address out to run locally"
        ) from None


@dataclass(frozen=True)
class SweepPlan:
    configs: list[Config]
    engine: str
    cpus_per_trial: float | None
    gpus_per_trial: float
    address: str | None

    @property
    def threads(self) -> int:
        """Torch threads per trial: the CPUs it reserved; one after another, all cores."""
        if self.cpus_per_trial is not None:
            return max(1, int(self.cpus_per_trial))
        return 1 if self.engine == "ray" else torch.get_num_threads()


def plan_sweep(
    configs: list[Config],
    *,
    engine: str = "auto",
    address: str | None = None,
    cpus_per_trial: float | None = None,
    gpus_per_trial: float = 0,
) -> SweepPlan:
    """Check everything that can be checked before a trial starts."""
    if engine not in ("auto", "ray", "sequential"):
        raise ConfigError(f"engine={engine!r} is unknown: use auto, ray or sequential")
    if (cpus_per_trial is not None and cpus_per_trial <= 0) or gpus_per_trial < 0:
        raise ConfigError("cpus per trial must be > 0 and gpus per trial >= 0")
    if engine == "auto":
        engine = "ray" if ray_available() else "sequential"
    if engine == "ray" and not ray_available():
        raise SweepError("the ray engine needs Ray: `pip install -e .[sweep]` (or use --engine sequential)")
    if address is not None:
        if engine != "ray":
            raise SweepError("--address needs Ray: `pip install -e .[sweep]`")
        check_address(address)
    return SweepPlan(configs, engine, cpus_per_trial, gpus_per_trial, address)


def run_sweep(
    plan: SweepPlan,
    out: str | os.PathLike[str],
    *,
    quiet: bool = False,
    data_root: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Run every missing trial of ``plan`` under ``out`` and write ``out/sweep.csv``."""
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    root = str(Path(data_root).resolve()) if data_root is not None else None
    pending = [c for c in plan.configs if not _is_complete(trial_folder(out, c))]
    if not quiet:
        print(f"{len(plan.configs)} trials, {len(plan.configs) - len(pending)} already complete; engine: {plan.engine}")
    if pending and plan.engine == "ray":
        _run_on_ray(plan, pending, out, root, quiet)
    elif pending:
        if not quiet and not ray_available():
            print("Ray is not installed: trials run one after another (`pip install -e .[sweep]` runs them in parallel)")
        for index, config in enumerate(pending, start=1):
            start = time.perf_counter()
            metrics = run_trial(config.to_dict(), str(trial_folder(out, config)), plan.threads, root)
            if not quiet:
                print(f"[{index}/{len(pending)}] {_label(config)}: final accuracy {metrics['final_accuracy']:.4f} "
                      f"({time.perf_counter() - start:.0f} s)")
    return write_sweep_table(out)


def _label(config: Config) -> str:
    return " ".join(f"{name}={getattr(config, name)}" for name in SWEEP_PARAMETERS)


#: Ray's switch for multi-machine clusters. On Linux Ray replaces 127.0.0.1 by the machine's network address and
#: listens on every interface; with the switch off it keeps a cluster on the loopback address.
RAY_CLUSTER_SWITCH = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


def on_this_machine(address: str | None) -> bool:
    """A local cluster (no address), or one at a loopback address of this machine."""
    if address is None:
        return True
    host = address.removeprefix("ray://").rpartition(":")[0]
    return host in ("127.0.0.1", "localhost", "::1", "[::1]")


def _run_on_ray(plan: SweepPlan, pending: list[Config], out: Path, root: str | None, quiet: bool) -> None:
    if on_this_machine(plan.address):
        # Read by Ray when it is imported: a local cluster, and a driver joining one on this machine, stay on the
        # loopback address (a sweep can run code, so it is not offered to the network). A user who set the
        # switch keeps their choice.
        os.environ.setdefault(RAY_CLUSTER_SWITCH, "0")
    import ray  # noqa: PLC0415
    from ray import tune  # noqa: PLC0415

    init_args: dict[str, Any] = {"include_dashboard": False, "log_to_driver": not quiet}
    if plan.address:
        init_args["address"] = plan.address
    else:
        init_args["num_cpus"] = os.cpu_count()
        init_args["_node_ip_address"] = "127.0.0.1"
    ray.init(**init_args)
    try:
        trainable = tune.with_parameters(_ray_trainable, out=str(out), threads=plan.threads, data_root=root)
        resources = {"cpu": plan.cpus_per_trial or 1, "gpu": plan.gpus_per_trial}
        tuner = tune.Tuner(
            tune.with_resources(trainable, resources),
            param_space={"config": tune.grid_search([c.to_dict() for c in pending])},
            run_config=tune.RunConfig(storage_path=str(out / ".ray"), name="sweep", verbose=0 if quiet else 1),
        )
        grid = tuner.fit()
        errors = [r.error for r in grid if r.error is not None]
        if errors:
            raise SweepError(f"{len(errors)} trial(s) failed, first: {errors[0]}; rerun the sweep to retry them")
    finally:
        ray.shutdown()


def write_sweep_table(out: Path) -> pd.DataFrame:
    """``sweep.csv``: one row per complete trial under ``out``, parameters first, then metrics and its folder.

    Sweeps sharing ``out`` take the folder's lock in turn to rewrite the table, so each sees the others' trials.
    """
    with locked(out, wait=True):
        return _write_sweep_table(Path(out))


def _write_sweep_table(out: Path) -> pd.DataFrame:
    rows = []
    trials = Path(out) / TRIALS_DIR
    for folder in sorted(trials.iterdir()) if trials.is_dir() else []:
        if not _is_complete(folder):
            continue
        results = load_results(folder)
        config = results.config
        row = {name: getattr(config, name) for name in SWEEP_PARAMETERS}
        row.update(tasks=config.tasks, epochs=config.epochs, key=config.key)
        row.update(
            final_accuracy=results.final_average_accuracy(),
            average_forgetting=results.average_forgetting(),
            wall_seconds=round(sum(results.meta.get("seconds", {}).values()), 3),
            trial_dir=str(folder.relative_to(out)),
        )
        rows.append(row)
    columns = list(SWEEP_PARAMETERS) + ["tasks", "epochs", "key"] + list(METRIC_COLUMNS)
    rows.sort(key=lambda r: (r["reg"], r["lam"], r["seed"], r["tasks"], r["epochs"], r["key"]))
    write_csv(out / SWEEP_FILE, columns, rows)
    return pd.read_csv(out / SWEEP_FILE)
