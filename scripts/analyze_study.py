"""Write the small tables of the pages "Do they prune alike?" and "Why they agree" (``make analysis``).

Give the results folders of one configuration run with several seeds, each with its
``checkpoints/`` and ``importances/`` (the paper-scale study keeps them on the machine that ran it):

    .venv/bin/python scripts/analyze_study.py results/seed0 results/seed1 results/seed2
    make analysis RUNS="results/seed0 results/seed1 results/seed2"

The tables go to ``study/analysis/<key>/`` (``<key>``: the configuration's key with seed 0) and
are small enough to commit; the book's pages read nothing else. See
:mod:`paper_code.analysis.across_seeds` for the files and README ("The analysis of trained networks").
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from paper_code.analysis.overlap import DEFAULT_TOP_PERCENTS
from paper_code.analysis.pruning import DEFAULT_FRACTIONS
from paper_code.analysis.across_seeds import ANALYSIS_DIR, write_analysis
from paper_code.errors import PaperCodeError


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(item) for item in text.split(",") if item.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="results folders (one configuration, several seeds)")
    parser.add_argument("--root", type=Path, default=ANALYSIS_DIR, help="where <key>/ is written (default %(default)s)")
    parser.add_argument("--fractions", type=_floats, default=DEFAULT_FRACTIONS, help="pruned fractions, each in [0, 1)")
    parser.add_argument("--top", type=_floats, default=DEFAULT_TOP_PERCENTS, help="top-k percentages (default 1,10,50)")
    parser.add_argument("--data-root", type=Path, default=None, help="MNIST folder (default: the user cache, or $PAPER_CODE_DATA)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        out = write_analysis(args.folders, args.root, args.fractions, args.top, args.data_root,
                             progress=lambda message: print(f"  {message}", flush=True))
    except PaperCodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"analysis of {len(args.folders)} runs in {out} ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
