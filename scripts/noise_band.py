"""The numerical-noise band: one configuration and seed, run again with nothing changed but rounding.

    .venv/bin/python scripts/noise_band.py                  # every member of study/noise/ that is missing
    .venv/bin/python scripts/noise_band.py --jobs 1         # one member at a time

Training is chaotic in the rounding: the same seed on another thread count, another CPU or another matmul
kernel ends in another network. This script measures how far, at paper scale, for the default configuration
(EWC-MAS, λ = 3) and seeds 0 and 1. Each member runs in its own process, so the environment variables that pick
the CPU kernels take effect before torch starts:

- ``threads1`` and ``threads2``: this machine, one and two torch threads;
- ``aten_default``: ``ATEN_CPU_CAPABILITY=default`` (ATen's scalar kernels instead of the vectorised ones);
- ``mkl_avx2``: ``MKL_ENABLE_INSTRUCTIONS=AVX2`` (MKL's matrix products as on an AVX2 CPU);
- ``nudge``: task 1's importances moved up by one unit in the last place before they enter the penalty.

The committed study trial of the same key (computed on another machine) is a sixth member. Each member is an
ordinary results folder under ``study/noise/seed<k>/<member>/``; ``members.csv`` says how each was run. A member
already complete is skipped, an unfinished one resumes. :mod:`paper_code.studies.noise` reads them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from paper_code import experiment
from paper_code.config import Config
from paper_code.errors import PaperCodeError
from paper_code.results import read_meta
from paper_code.studies.noise import MEMBERS_FILE, NOISE_DIR, write_members

ROOT = Path(__file__).resolve().parents[1]

#: Each member: torch threads, the environment it runs under, and whether task 1's importances are nudged.
MEMBERS: dict[str, dict] = {
    "threads1": dict(threads=1, env={}, nudge=False),
    "threads2": dict(threads=2, env={}, nudge=False),
    "aten_default": dict(threads=1, env={"ATEN_CPU_CAPABILITY": "default"}, nudge=False),
    "mkl_avx2": dict(threads=1, env={"MKL_ENABLE_INSTRUCTIONS": "AVX2"}, nudge=False),
    "nudge": dict(threads=1, env={}, nudge=True),
}


def run_member(seed: int, member: str, out: Path) -> None:
    """One member, in this process (a child process started with the member's environment, so the kernel
    variables were set before torch was imported)."""
    spec = MEMBERS[member]
    torch.set_num_threads(spec["threads"])
    if spec["nudge"]:
        add = experiment.add_task_importances

        def nudged(total, extra):
            if not total:  # the first task: move every importance one float32 step up
                extra = {m: {k: torch.nextafter(v, torch.full_like(v, float("inf"))) for k, v in s.items()}
                         for m, s in extra.items()}
            return add(total, extra)

        experiment.add_task_importances = nudged
    experiment.run_experiment(Config(seed=seed), out, resume=True, quiet=True)


def launch(seed: int, member: str, folder: Path) -> dict:
    spec = MEMBERS[member]
    env = {**os.environ, **spec["env"], "OMP_NUM_THREADS": str(spec["threads"])}
    start = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--one", str(seed), member, str(folder)], env=env, cwd=ROOT, check=True)
    seconds = time.perf_counter() - start
    print(f"seed {seed} {member}: {seconds:.0f} s", flush=True)
    return dict(seed=seed, member=member, folder=folder.relative_to(ROOT).as_posix(), threads=spec["threads"],
                environment=json.dumps(spec["env"], sort_keys=True), nudge=spec["nudge"], machine_seconds=round(seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1", help="seeds (default 0,1)")
    parser.add_argument("--jobs", type=int, default=2, help="members computed at once (default 2)")
    parser.add_argument("--one", nargs=3, metavar=("SEED", "MEMBER", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_member(int(args.one[0]), args.one[1], Path(args.one[2]))
        return

    root = ROOT / NOISE_DIR
    todo = [(int(seed), member, root / f"seed{seed}" / member) for seed in args.seeds.split(",") for member in MEMBERS]

    def complete(folder: Path) -> bool:
        try:
            return bool(read_meta(folder).get("complete"))
        except PaperCodeError:  # missing or unreadable: computed below
            return False

    pending = [item for item in todo if not complete(item[2])]
    print(f"{len(todo)} members, {len(todo) - len(pending)} already complete", flush=True)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        rows = list(pool.map(lambda item: launch(*item), pending))
    write_members(root / MEMBERS_FILE, rows, MEMBERS)
    print(f"members in {root}", flush=True)


if __name__ == "__main__":
    main()
