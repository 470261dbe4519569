"""The findings of the page "Reproduce this": how far a run moves when nothing but rounding changes (the noise
band), and when its importance rows are drawn again (the sampling band), each beside the spread over the study's
seeds; and how often the rounding band holds a run it was not measured on (:func:`held_out_coverage`).

Computed from the noise study (``study/noise``: each member a rerun of the paper's configuration and seed with
other threads, kernels or machine; ``sampling.csv``: bootstrap draws of the importance rows) and the study's
trials of the paper's configuration (the seed band). How this machine's own rerun compares with the committed
trial depends on the machine, so it is no part of the record: the page computes it when it is built
(:func:`paper_code.studies.noise.rerun_comparison`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from paper_code.config import Config
from paper_code.labels import pair_label
from paper_code.studies.findings.record import statistic
from paper_code.studies.grid import GRID_DIR, load_study, seed_band
from paper_code.studies.noise import (
    DIFFERENCE_BAND,
    NOISE_DIR,
    STUDY_MEMBER,
    NoiseMembers,
    accuracy_noise,
    accuracy_sd,
    band_summary,
    load_members,
    load_sampling,
    noise_against_seeds,
    noise_band,
    noise_by_pair,
    sampling_summary,
    with_sampling,
)


def _cell(row: pd.Series) -> dict[str, Any]:
    """Where one cell is: its pair (id and name), layer and number of tasks learned."""
    return {"pair": str(row.pair), "pair_name": pair_label(str(row.pair)), "layer": int(row.layer),
            "task": int(row.task)}


def _member_rows(members: NoiseMembers) -> list[dict[str, Any]]:
    rows = members.table.merge(members.accuracy, on=["seed", "member"], how="left")
    out = []
    for row in rows.itertuples():
        twin = str(row.same_as) if isinstance(row.same_as, str) and row.same_as else None
        environment = json.loads(row.environment) if isinstance(row.environment, str) and row.environment else {}
        out.append({"seed": int(row.seed), "member": str(row.member), "threads": int(row.threads),
                    "environment": {str(k): str(v) for k, v in environment.items()}, "nudge": bool(row.nudge),
                    "final_accuracy": None if twin else float(row.final_accuracy), "same_as": twin})
    return out


def _twins(members: NoiseMembers) -> list[dict[str, Any]]:
    """Members that gave bitwise the same run as an earlier member of their seed, with the seeds where they did."""
    table = members.table[members.table.same_as != ""]
    return [{"member": str(member), "same_as": str(twin), "seeds": sorted(int(s) for s in group.seed)}
            for (member, twin), group in table.groupby(["member", "same_as"], sort=False)]


#: The share of cells a difference of two rounding draws keeps within :data:`DIFFERENCE_BAND` noise σ, were the
#: draws normal and σ known: what the band is meant to hold.
NOMINAL_COVERAGE = 0.95


def held_out_coverage(members: NoiseMembers, kind: str = "pearson", other_machine: str = STUDY_MEMBER) -> dict[str, Any]:
    """How often the rounding band holds a run it was not measured on.

    Each distinct member of each seed is held out in turn; the band is measured on the others (:func:`noise_band`,
    pooled over the seeds as the page pools it), and the held-out member is compared with every other member of
    its seed, cell by cell: is their difference within :data:`DIFFERENCE_BAND` σ of the band? ``held_out`` is the
    share of those comparisons that are, over every member, seed and cell; ``other_machine`` the same share where
    the held-out member is ``other_machine`` (the study's trial, the one member computed on another machine), or
    ``None`` where the noise study has no such member. A band that held a new run as it is meant to would keep
    :data:`NOMINAL_COVERAGE` of them. Comparisons in cells whose band cannot be measured without the held-out
    member (no other seed or member to measure it on) are left out."""
    keys = ["pair", "layer", "task"]
    correlations = members.correlations
    wide = correlations.pivot_table(index=[*keys, "seed"], columns="member", values=kind)
    within: list[pd.Series] = []
    of_other: list[pd.Series] = []
    for seed, held in members.accuracy[["seed", "member"]].drop_duplicates().itertuples(index=False):
        rest = correlations[~((correlations.seed == seed) & (correlations.member == held))]
        sd = noise_band(rest, kind).set_index(keys).noise_std
        runs = wide.xs(seed, level="seed").dropna(axis=1, how="all")
        band = DIFFERENCE_BAND * sd.reindex(runs.index)
        for other in runs.columns:
            if other == held:
                continue
            difference = (runs[held] - runs[other]).abs()
            measured = band.notna() & difference.notna()
            found = (difference[measured] <= band[measured]).astype(float)
            within.append(found)
            if held == other_machine:
                of_other.append(found)
    every = pd.concat(within) if within else pd.Series(dtype=float)
    other = pd.concat(of_other) if of_other else pd.Series(dtype=float)
    return {"band": float(DIFFERENCE_BAND), "nominal": NOMINAL_COVERAGE, "comparisons": int(len(every)),
            "held_out": float(every.mean()) if len(every) else None,
            "other_machine": float(other.mean()) if len(other) else None}


def reproduce_record(members: NoiseMembers, study_correlations: pd.DataFrame, study_accuracy: pd.Series,
                     draws: pd.DataFrame | None = None, kind: str = "pearson",
                     rows: int = Config().importance_samples) -> dict[str, Any]:
    """Everything the page states.

    ``members``: the noise study (:func:`~paper_code.studies.noise.load_members`); ``study_correlations``: the
    correlation rows of the study's trials of the same configuration, with a ``seed`` column (the seed band);
    ``study_accuracy``: their final average accuracy, by seed; ``draws``: the bootstrap over importance rows
    (``sampling.csv``) or ``None``; ``rows``: the importance rows each draw resamples."""
    both = _bands(members, study_correlations, draws, kind)
    summary = band_summary(both)
    noise_seeds = sorted(int(s) for s in members.table.seed.unique())
    study_seeds = sorted(int(s) for s in study_correlations.seed.unique())
    distinct = members.table[members.table.same_as == ""].groupby("seed").member.count()

    sd = accuracy_sd(members.accuracy)
    seed_sd = float(study_accuracy.std(ddof=1))
    accuracy: dict[str, Any] = {
        "sd": sd,
        "difference_sd": sd * float(np.sqrt(2)),
        "seed_sd": seed_sd,
        "ratio": sd / seed_sd,
        "by_seed": {str(int(r.seed)): {"mean": float(r.mean), "std": float(r.std), "low": float(r.low),
                                       "high": float(r.high), "members": int(r.members)}
                    for r in accuracy_noise(members.accuracy).itertuples()},
        "label": statistic("rounding σ of final average accuracy", reg=Config().reg, lam=Config().lam,
                           seeds=noise_seeds, trials="noise members"),
    }
    widest = summary["widest"]
    cells: dict[str, Any] = {
        "count": int(len(both)),
        "pairs": int(both.pair.nunique()),
        "layers": int(both.layer.nunique()),
        "tasks": int(both.task.nunique()),
        "members": int(both.members.min()),
        "noise_std": summary["noise_std"],
        "seed_std": float(both.seed_std.median()),
        "ratio": summary["ratio"],
        "half_or_more": summary["half_or_more"],
        "as_much": float((both.ratio >= 1).mean()),
        "widest": {**_cell(widest), "span": float(widest.noise_range), "seed_std": float(widest.seed_std)},
    }
    pairs = {str(r.pair): {"name": pair_label(str(r.pair)), "noise_std": float(r.noise_std),
                           "noise_range": float(r.noise_range), "seed_std": float(r.seed_std),
                           "ratio": float(r.ratio),
                           "sampling_std": float(r.sampling_std) if "sampling_std" in r._fields else None}
             for r in noise_by_pair(both).itertuples()}
    record: dict[str, Any] = {
        "kind": kind,
        "reg": Config().reg,
        "lam": Config().lam,
        "seeds": noise_seeds,
        "study_seeds": study_seeds,
        "members": {"distinct": int(distinct.min()), "rows": _member_rows(members), "twins": _twins(members)},
        "accuracy": accuracy,
        "cells": cells,
        "pairs": pairs,
        "difference_band": float(DIFFERENCE_BAND),
        "coverage": held_out_coverage(members, kind),
        "sampling": None,
    }
    sampling = sampling_summary(both)
    if sampling is not None:
        widest = sampling["widest"]
        record["sampling"] = {
            "draws": sampling["draws"], "seeds": sampling["seeds"], "rows": int(rows),
            "std": sampling["sampling_std"], "first": sampling["first"], "later": sampling["later"],
            "over_rounding": sampling["over_rounding"], "over_seeds": sampling["over_seeds"],
            "widest": {**_cell(widest), "std": float(widest.sampling_std)},
        }
    return record


def _study_inputs(study: Path) -> tuple[NoiseMembers, pd.DataFrame, pd.Series, pd.DataFrame | None]:
    """The noise study of a study folder laid out like ``study/`` (its members' folders are named relative to the
    folder above it, as ``members.csv`` names them), the correlations and final accuracy of the study's trials of the
    paper's configuration by seed, and the bootstrap draws (or ``None``)."""
    study = Path(study)
    members = load_members(Path(study.name) / NOISE_DIR.name, study.parent)
    paper = Config()
    grid = load_study(study / GRID_DIR.name)
    rows = grid.table[(grid.table.reg == paper.reg) & (grid.table.lam == paper.lam)]
    draws = load_sampling(Path(study.name) / NOISE_DIR.name, study.parent)
    return members, grid.correlations(paper.reg, paper.lam), rows.set_index("seed").final_accuracy, draws


def study_bands(study: Path, kind: str = "pearson") -> tuple[NoiseMembers, pd.DataFrame]:
    """The members of a study folder's noise study and, cell by cell, the noise band beside the seed band and the
    sampling band (:func:`~paper_code.studies.noise.with_sampling`): what the page's figures draw."""
    members, correlations, _, draws = _study_inputs(study)
    return members, _bands(members, correlations, draws, kind)


def _bands(members: NoiseMembers, correlations: pd.DataFrame, draws: pd.DataFrame | None, kind: str) -> pd.DataFrame:
    return with_sampling(noise_against_seeds(noise_band(members.correlations, kind), seed_band(correlations, kind)),
                         draws, kind)


def study_reproduce(study: Path) -> dict[str, dict[str, Any]]:
    """The committed record, from a study folder laid out like ``study/``."""
    members, correlations, accuracy, draws = _study_inputs(study)
    return {"reproduce": reproduce_record(members, correlations, accuracy, draws, "pearson",
                                          Config().importance_samples)}
