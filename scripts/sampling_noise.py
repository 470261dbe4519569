"""The sampling band: each noise-study seed's surfaces recomputed on bootstrap draws of its importance rows.

    .venv/bin/python scripts/sampling_noise.py            # seeds 0 and 1, 40 draws each (about 6 minutes a seed)

Reads the networks the ``threads2`` member of ``study/noise/seed<k>/`` saved after each task (``make noise``
computes them), redraws the 5,000 importance rows of every task with replacement, and writes every draw's
correlation rows into ``study/noise/sampling.csv`` (:mod:`paper_code.analysis.sampling`). Nothing is trained.
A seed already in the table with every draw is skipped; the table is replaced whole, never half-written.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
import torch

from paper_code.analysis.sampling import SAMPLING_COLUMNS, drawn_correlations, row_draws
from paper_code.atomic import write_bytes_atomically
from paper_code.results import load_results
from paper_code.studies.noise import NOISE_DIR, SAMPLING_DRAWS, SAMPLING_FILE, SAMPLING_MEMBER, load_sampling

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1", help="seeds (default 0,1)")
    parser.add_argument("--draws", type=int, default=SAMPLING_DRAWS, help=f"draws per seed (default {SAMPLING_DRAWS})")
    args = parser.parse_args()
    root = ROOT / NOISE_DIR
    table = load_sampling(root)
    table = table if table is not None else pd.DataFrame(columns=list(SAMPLING_COLUMNS))
    for seed in (int(s) for s in args.seeds.split(",")):
        if table[table.seed == seed].draw.nunique() >= args.draws:
            print(f"seed {seed}: {args.draws} draws already in {SAMPLING_FILE}", flush=True)
            continue
        results = load_results(root / f"seed{seed}" / SAMPLING_MEMBER)
        start = time.perf_counter()
        drawn = drawn_correlations(results, row_draws(results.config.importance_samples, args.draws, seed))
        print(f"seed {seed}: {args.draws} draws in {time.perf_counter() - start:.0f} s", flush=True)
        table = pd.concat([table[table.seed != seed], drawn], ignore_index=True).sort_values(
            ["seed", "draw", "task", "pair", "layer"], kind="stable")
        write_bytes_atomically(root / SAMPLING_FILE, table.to_csv(index=False, float_format="%.6f").encode())


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
