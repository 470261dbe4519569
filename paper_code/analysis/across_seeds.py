"""One configuration analysed across its seeds: the tables behind the pages "Do they prune alike?" and
"Why they agree".

Paper-scale runs with their checkpoints and importance tensors live only on the machine that ran
them. :func:`write_analysis` reads several such runs (one configuration, several seeds) and writes
what the pages need into ``study/analysis/<key>/``, where ``<key>`` is the cache key of that
configuration with seed 0 (for the paper's setup: ``Config().key``). The pages read only these
files, through :func:`load_analysis`.

Files (every table has a ``seed`` column; tasks count from 1; layers 1-3):

- ``config.json``: the configuration the runs share, with seed 0 (``{"config": ..., "key": ...}``);
- ``runs.csv``: one row per run analysed (seed, key, scale, final accuracy, versions);
- ``correlations.csv``: ``seed, pair, layer, task, pearson, spearman`` on accumulated importances, for the
  paper's pairs and every other pair of the methods and baselines (:func:`~paper_code.analysis.pairs.analysis_pairs`);
- ``structure.csv`` and ``structure_pairs.csv``: the rank-1 analysis (:mod:`~paper_code.analysis.structure`)
  after every task, on accumulated and per-task importances;
- ``pruning.csv`` and ``topk_overlap.csv``: pruning and top-k overlap after the last task;
- ``eq23.csv``: the paper's eqs. (2)-(3) checked on each task's network (``comparison``: the short ids of
  :data:`~paper_code.analysis.explanation.EQ23_IDS`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from paper_code.analysis.explanation import EQ23_IDS, explanation_check
from paper_code.analysis.overlap import DEFAULT_TOP_PERCENTS, OVERLAP_COLUMNS, topk_overlap_table
from paper_code.analysis.pairs import analysis_pairs
from paper_code.analysis.pruning import DEFAULT_FRACTIONS, PRUNING_COLUMNS, SCOPES, pruning_table
from paper_code.analysis.structure import PAIR_STRUCTURE_COLUMNS, STRUCTURE_COLUMNS, pair_sides, structure_tables
from paper_code.analysis.trained import load_trained, open_results
from paper_code.config import Config, parse_pair
from paper_code.correlation import CORRELATION_COLUMNS, correlate
from paper_code.errors import ConfigError, ResultsError
from paper_code.locations import STUDY_DIR
from paper_code.results import CONFIG_FILE, Results, write_csv, write_json

#: Where the committed analyses live, one folder per configuration.
ANALYSIS_DIR = STUDY_DIR / "analysis"

RUN_COLUMNS: tuple[str, ...] = (
    "seed", "key", "tasks", "epochs", "reg", "lam", "train_size", "test_size", "importance_samples",
    "final_accuracy", "created", "paper_code", "eq23_stored_mismatch",
)
EQ23_COLUMNS: tuple[str, ...] = ("task", "layer", "comparison", "pearson", "spearman")

#: File name → columns after ``seed``.
TABLES: dict[str, tuple[str, ...]] = {
    "correlations.csv": CORRELATION_COLUMNS,
    "structure.csv": STRUCTURE_COLUMNS,
    "structure_pairs.csv": PAIR_STRUCTURE_COLUMNS,
    "pruning.csv": PRUNING_COLUMNS,
    "topk_overlap.csv": OVERLAP_COLUMNS,
    "eq23.csv": EQ23_COLUMNS,
}
RUNS_FILE = "runs.csv"
#: Decimals kept in the committed tables.
DECIMALS = 6


def shared_config(configs: Sequence[Config]) -> Config:
    """The configuration the runs share, with seed 0; runs of different configurations are refused."""
    if not configs:
        raise ConfigError("no results folder given: name the runs to analyse (one configuration, several seeds)")
    base = configs[0].replace(seed=0)
    for config in configs[1:]:
        if config.replace(seed=0).identity() != base.identity():
            raise ConfigError(
                f"the runs differ in more than their seed ({config.key} vs {configs[0].key}): "
                "analyse one configuration at a time"
            )
    seeds = [c.seed for c in configs]
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"two runs share a seed ({sorted(seeds)}): give each seed once")
    return base


def analysis_key(configs: Sequence[Config]) -> str:
    """The folder name of an analysis: the key of the shared configuration with seed 0."""
    return shared_config(configs).key


def structure_pairs(methods: Sequence[str]) -> tuple[str, ...]:
    """The pairs of the structure analysis: every analysis pair without the random control (it has no units)."""
    return tuple(p for p in analysis_pairs(methods) if "random" not in p.split("_"))


def eq23_rows(results: Results, data_root: str | os.PathLike[str] | None) -> tuple[list[dict], float]:
    """The eqs. (2)-(3) check on every task's network (see :func:`paper_code.analysis.explanation.explanation_check`)."""
    if not {"fis", "mas"} <= set(results.config.methods):
        return [], float("nan")
    check = explanation_check(results, data_root=data_root)
    ids = {label: short for short, label in EQ23_IDS.items()}
    rows = [dict(task=int(r.task), layer=int(r.layer), comparison=ids[r.comparison], pearson=float(r.pearson),
                 spearman=float(r.spearman)) for r in check.agreement.itertuples() if r.comparison in ids]
    return rows, float(check.stored_mismatch)


def analyze_run(
    folder: str | os.PathLike[str],
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    percents: Sequence[float] = DEFAULT_TOP_PERCENTS,
    data_root: str | os.PathLike[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict, dict[str, pd.DataFrame]]:
    """Every table of one run, each with a ``seed`` column, and its ``runs.csv`` row."""
    say = progress or (lambda message: None)
    results = open_results(folder)
    seed = results.config.seed
    last = load_trained(results)
    pairs = analysis_pairs(last.methods)
    unit_pairs = structure_pairs(last.methods)
    sides = pair_sides(unit_pairs) + [(m, 1) for m in last.methods if (m, 1) not in pair_sides(unit_pairs)]
    correlations, fits, pair_fits = [], [], []
    for task in range(1, last.task + 1):
        trained = last if task == last.task else load_trained(results, task)
        correlations += [vars(r) for r in correlate(trained.accumulated, [parse_pair(p) for p in pairs], task)]
        f, p = structure_tables(trained, unit_pairs, sides)
        fits.append(f)
        pair_fits.append(p)
        say(f"seed {seed}: correlations and structure after task {task}")
    pruning = pruning_table(last, fractions, SCOPES, data_root=data_root)
    say(f"seed {seed}: pruning table ({len(pruning)} rows)")
    overlap = topk_overlap_table(last, percents)
    eq23, mismatch = eq23_rows(results, data_root)
    say(f"seed {seed}: eq. (2)-(3) check")
    tables = {
        "correlations.csv": pd.DataFrame(correlations, columns=list(CORRELATION_COLUMNS)),
        "structure.csv": pd.concat(fits, ignore_index=True),
        "structure_pairs.csv": pd.concat(pair_fits, ignore_index=True),
        "pruning.csv": pruning,
        "topk_overlap.csv": overlap,
        "eq23.csv": pd.DataFrame(eq23, columns=list(EQ23_COLUMNS)),
    }
    config = results.config
    run = dict(seed=seed, key=results.meta.get("key", config.key), tasks=config.tasks, epochs=config.epochs,
               reg=config.reg, lam=config.lam, train_size=config.train_size, test_size=config.test_size,
               importance_samples=config.importance_samples, final_accuracy=results.final_average_accuracy(),
               created=str(results.meta.get("created", "")),
               paper_code=str(results.meta.get("versions", {}).get("paper_code", "")),
               eq23_stored_mismatch=mismatch)
    return run, {name: frame.assign(seed=seed)[["seed", *TABLES[name]]] for name, frame in tables.items()}


def write_analysis(
    folders: Sequence[str | os.PathLike[str]],
    root: str | os.PathLike[str] = ANALYSIS_DIR,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    percents: Sequence[float] = DEFAULT_TOP_PERCENTS,
    data_root: str | os.PathLike[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Analyse every run and write the tables into ``root/<key>/``; returns that folder.

    Every run is checked and analysed before any file is written; each file is written atomically.
    """
    opened = [open_results(folder) for folder in folders]
    for results in opened:
        if not results.complete:
            raise ResultsError(f"{results.path} holds an unfinished run: finish it with --resume before analysing it")
    shared = shared_config([r.config for r in opened])
    for results in opened:
        load_trained(results)  # every folder has its checkpoints and importances, or a one-line error now
    runs, tables = [], {name: [] for name in TABLES}
    for results in sorted(opened, key=lambda r: r.config.seed):
        run, frames = analyze_run(results.path, fractions, percents, data_root, progress)
        runs.append(run)
        for name, frame in frames.items():
            tables[name].append(frame)
    out = Path(root) / shared.key
    for name, frames in tables.items():
        # Six decimals are far below any difference the pages discuss and halve the committed size.
        frame = pd.concat(frames, ignore_index=True).round(DECIMALS)
        write_csv(out / name, frame.columns, frame.to_dict("records"))
    write_csv(out / RUNS_FILE, RUN_COLUMNS, runs)
    write_json(out / CONFIG_FILE, {"config": shared.to_dict(), "key": shared.key})
    return out


# --------------------------------------------------------------------------- reading, for the pages
@dataclass(frozen=True)
class Analysis:
    """One configuration's committed analysis: ``runs`` and every table of :data:`TABLES`, by file stem."""

    folder: Path
    config: Config
    runs: pd.DataFrame
    tables: dict[str, pd.DataFrame]

    @property
    def correlations(self) -> pd.DataFrame:
        return self.tables["correlations"]

    @property
    def structure(self) -> pd.DataFrame:
        return self.tables["structure"]

    @property
    def structure_pairs(self) -> pd.DataFrame:
        return self.tables["structure_pairs"]

    @property
    def pruning(self) -> pd.DataFrame:
        return self.tables["pruning"]

    @property
    def topk_overlap(self) -> pd.DataFrame:
        return self.tables["topk_overlap"]

    @property
    def eq23(self) -> pd.DataFrame:
        return self.tables["eq23"]

    @property
    def key(self) -> str:
        return self.folder.name

    @property
    def seeds(self) -> list[int]:
        return sorted(int(s) for s in self.runs.seed)


def analysis_folders(root: str | os.PathLike[str] = ANALYSIS_DIR) -> list[Path]:
    root = Path(root)
    return sorted(p for p in root.iterdir() if (p / RUNS_FILE).is_file()) if root.is_dir() else []


def load_analysis(root: str | os.PathLike[str] = ANALYSIS_DIR, key: str | None = None) -> Analysis:
    """The analysis of configuration ``key``; by default the paper's setup if present, else the only one."""
    folders = {p.name: p for p in analysis_folders(root)}
    if not folders:
        raise ResultsError(
            f"{root} holds no analysis: run `make analysis RUNS=\"<results folders>\"` on runs with checkpoints"
        )
    if key is None:
        default = Config().key
        if default in folders:
            key = default
        elif len(folders) == 1:
            key = next(iter(folders))
        else:
            raise ResultsError(f"{root} holds several analyses ({', '.join(folders)}): choose one with analysis_key")
    if key not in folders:
        raise ResultsError(f"{root} has no analysis {key!r} (found: {', '.join(folders)})")
    folder = folders[key]
    missing = [name for name in (CONFIG_FILE, *TABLES) if not (folder / name).is_file()]
    if missing:
        raise ResultsError(f"{folder / missing[0]} is missing: rerun `make analysis` for this configuration")
    tables = {Path(name).stem: pd.read_csv(folder / name) for name in TABLES}
    for name, columns in TABLES.items():
        lacking = [c for c in ("seed", *columns) if c not in tables[Path(name).stem].columns]
        if lacking:
            raise ResultsError(f"{folder / name} lacks the columns {', '.join(lacking)} (written by an older "
                               "version): rerun `make analysis` for this configuration")
    meta = json.loads((folder / CONFIG_FILE).read_text())
    return Analysis(folder, Config.from_dict(meta["config"]), pd.read_csv(folder / RUNS_FILE), tables)
