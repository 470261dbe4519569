"""The numerical-noise band: how far one configuration and seed moves when nothing changes but rounding.

Training is chaotic in the rounding. The same seed run with another thread count, another CPU, another matmul
kernel, or with task 1's importances moved by one unit in the last place, ends in another network: its
correlation surface is one draw among many that the code, the data and the seed all allow. ``make noise``
(``scripts/noise_band.py``) runs such *members* of the default configuration for a few seeds into
``study/noise/seed<k>/<member>/``; the committed study trial of the same key, computed on another machine, is
one more member.

Two spreads are then set side by side, cell by cell (pair, layer, tasks learned):

* the **noise band**: the spread of one seed's members, pooled over the seeds (the root mean square of the
  per-seed standard deviations), and the widest range any seed's members span;
* the **seed band**: the spread over the study's seeds of the same configuration;
* the **sampling band** (:mod:`paper_code.analysis.sampling`): the spread of one run's surface when its importance
  rows are drawn again (bootstrap) on the networks it saved, pooled over the seeds. Every seed estimates its
  importances on the same rows, so the seed band does not hold this noise.

A difference between two runs, or two configurations, says something about the method only where it is larger
than the noise band; a page says which.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from paper_code.config import Config
from paper_code.errors import ResultsError
from paper_code.labels import pair_label
from paper_code.locations import STUDY_DIR, shown_path
from paper_code.results import Results, load_results, write_csv
from paper_code.studies.grid import GRID_DIR
from paper_code.sweep import TRIALS_DIR

#: Where the members live, and the table that says how each was run.
NOISE_DIR = STUDY_DIR / "noise"
MEMBERS_FILE = "members.csv"
MEMBER_COLUMNS = ("seed", "member", "folder", "threads", "environment", "nudge", "machine_seconds")
#: The member that is the committed study trial (run on the machine that computed the study).
STUDY_MEMBER = "study"
#: The bootstrap over importance rows: its table, the member whose networks it redraws on, and the draws per seed.
SAMPLING_FILE = "sampling.csv"
SAMPLING_MEMBER = "threads2"
SAMPLING_DRAWS = 40


def write_members(path: Path, rows: Iterable[dict], members: dict[str, dict]) -> pd.DataFrame:
    """Merge ``rows`` (members just computed) into ``members.csv``, and list each seed's study trial as a member."""
    path = Path(path)
    table = pd.read_csv(path) if path.is_file() else pd.DataFrame(columns=list(MEMBER_COLUMNS))
    new = pd.DataFrame(list(rows), columns=list(MEMBER_COLUMNS))
    table = pd.concat([table, new], ignore_index=True).drop_duplicates(["seed", "member"], keep="last")
    for seed in sorted(set(table.seed)):
        folder = (GRID_DIR / TRIALS_DIR / Config(seed=int(seed)).key).as_posix()
        study = dict(seed=int(seed), member=STUDY_MEMBER, folder=folder, threads=1,
                     environment=json.dumps({"machine": "the study's"}), nudge=False, machine_seconds=None)
        table = pd.concat([table[~((table.seed == seed) & (table.member == STUDY_MEMBER))], pd.DataFrame([study])])
    order = {name: i for i, name in enumerate([*members, STUDY_MEMBER])}
    table = table.sort_values(["seed", "member"], key=lambda c: c.map(order) if c.name == "member" else c)
    write_csv(path, MEMBER_COLUMNS, table.to_dict("records"))
    return table.reset_index(drop=True)


@dataclass(frozen=True)
class NoiseMembers:
    """The members of the noise study: how each was run (``table``, with ``same_as`` naming an earlier member of
    the same seed that gave bitwise the same run), and the correlations and final accuracy of the distinct ones.

    A perturbation that changes nothing on the machine it ran on (for instance MKL's AVX2 kernels on a CPU where
    MKL uses them anyway) gives the same run twice; it is counted once, so it does not narrow the band."""

    table: pd.DataFrame
    correlations: pd.DataFrame
    accuracy: pd.DataFrame


def load_members(root: Path = NOISE_DIR, checkout: Path = Path(".")) -> NoiseMembers:
    """Every member listed in ``members.csv`` under ``root``; a relative ``root`` and the members' folders are
    taken from ``checkout``."""
    path = Path(checkout) / root / MEMBERS_FILE
    if not path.is_file():
        raise ResultsError(f"{path} is missing: run `make noise` (about 40 minutes on 2 cores)")
    table = pd.read_csv(path)
    correlations, accuracy, same_as = [], [], []
    seen: dict[int, list[tuple[str, pd.DataFrame, pd.DataFrame]]] = {}
    for row in table.itertuples():
        results = load_results(Path(checkout) / row.folder)
        if results.config != Config(seed=int(row.seed)):
            raise ResultsError(f"{row.folder} is not the default configuration with seed {row.seed}")
        earlier = seen.setdefault(int(row.seed), [])
        twin = next((name for name, corr, training in earlier
                     if corr.equals(results.correlations) and training.equals(results.training)), None)
        same_as.append(twin or "")
        if twin is not None:
            continue
        earlier.append((row.member, results.correlations, results.training))
        correlations.append(results.correlations.assign(seed=int(row.seed), member=row.member))
        accuracy.append(dict(seed=int(row.seed), member=row.member, final_accuracy=results.final_average_accuracy(),
                             average_forgetting=results.average_forgetting()))
    return NoiseMembers(table.assign(same_as=same_as), pd.concat(correlations, ignore_index=True),
                        pd.DataFrame(accuracy))


def noise_band(correlations: pd.DataFrame, kind: str = "pearson") -> pd.DataFrame:
    """Per pair, layer and task: the members' spread of one coefficient, pooled over seeds.

    ``noise_std`` is the root mean square over seeds of each seed's standard deviation across its members,
    ``noise_range`` the widest span (max − min) of any seed's members, ``members`` the fewest members a seed had.
    """
    keys = ["pair", "layer", "task"]
    per_seed = correlations.groupby([*keys, "seed"], sort=False)[kind].agg(var="var", low="min", high="max",
                                                                            members="count").reset_index()
    per_seed["span"] = per_seed.high - per_seed.low
    band = per_seed.groupby(keys, sort=False).agg(noise_var=("var", "mean"), noise_range=("span", "max"),
                                                   members=("members", "min"), seeds=("seed", "nunique"))
    band["noise_std"] = np.sqrt(band.pop("noise_var"))
    return band.reset_index()


def sampling_band(draws: pd.DataFrame, kind: str = "pearson") -> pd.DataFrame:
    """Per pair, layer and task: the spread of one coefficient over the bootstrap draws (``sampling.csv``),
    pooled over seeds as :func:`noise_band` pools members: ``sampling_std``, ``sampling_range``, ``draws``."""
    band = noise_band(draws, kind)
    return band.rename(columns={"noise_std": "sampling_std", "noise_range": "sampling_range", "members": "draws"})


def load_sampling(root: Path = NOISE_DIR, checkout: Path = Path(".")) -> pd.DataFrame | None:
    """The bootstrap table under ``root`` (``seed, draw, pair, layer, task, pearson, spearman``), or ``None``
    where it has not been computed."""
    path = Path(checkout) / root / SAMPLING_FILE
    return pd.read_csv(path) if path.is_file() else None


def accuracy_noise(accuracy: pd.DataFrame) -> pd.DataFrame:
    """Per seed: the members' final average accuracy, mean, standard deviation and range."""
    grouped = accuracy.groupby("seed").final_accuracy
    return grouped.agg(mean="mean", std="std", low="min", high="max", members="count").reset_index()


def accuracy_sd(accuracy: pd.DataFrame) -> float:
    """The rounding noise of one run's final average accuracy: the root mean square over seeds of the members'
    standard deviation."""
    return float(np.sqrt(accuracy.groupby("seed").final_accuracy.var().mean()))


def measured_accuracy_sd(root: Path = NOISE_DIR, checkout: Path = Path(".")) -> float | None:
    """:func:`accuracy_sd` of the noise study under ``root``, or ``None`` where it has not been run."""
    if not (Path(checkout) / root / MEMBERS_FILE).is_file():
        return None
    return accuracy_sd(load_members(root, checkout).accuracy)


def noise_against_seeds(noise: pd.DataFrame, seeds: pd.DataFrame) -> pd.DataFrame:
    """The noise band beside the seed band (:func:`paper_code.studies.grid.seed_band`), cell by cell, with their
    ratio: where ``ratio`` is near 1, one seed's value is as uncertain from rounding as from the seed itself."""
    keys = ["pair", "layer", "task"]
    both = noise.merge(seeds[[*keys, "mean", "std", "seeds"]].rename(columns={"std": "seed_std", "seeds": "study_seeds"}),
                       on=keys)
    both["ratio"] = both.noise_std / both.seed_std
    return both


#: A difference between two runs that differ only in rounding lies within this many noise standard deviations
#: 95 % of the time, if rounding draws are roughly normal: 2 standard deviations of the difference of two
#: independent draws, each of standard deviation σ (2·√2·σ).
DIFFERENCE_BAND = 2 * np.sqrt(2)


def reproduction(local: pd.DataFrame, committed: pd.DataFrame, noise: pd.DataFrame, kind: str = "pearson") -> pd.DataFrame:
    """A rerun of a committed trial's key (``local``) against the trial (``committed``), cell by cell: the
    difference, the noise band of that cell, and whether the difference lies within the band a difference of
    two rounding draws spans (:data:`DIFFERENCE_BAND` × ``noise_std``)."""
    keys = ["pair", "layer", "task"]
    both = local[[*keys, kind]].merge(committed[[*keys, kind]], on=keys, suffixes=("_local", "_committed"))
    both["difference"] = both[f"{kind}_local"] - both[f"{kind}_committed"]
    both = both.merge(noise[[*keys, "noise_std"]], on=keys, how="left")
    both["within"] = both.difference.abs() <= DIFFERENCE_BAND * both.noise_std
    return both


def measures(config: Config) -> bool:
    """Whether the noise study measured ``config``'s configuration (the paper's setup, whatever the seed)."""
    return config.identity(without=("seed",)) == Config().identity(without=("seed",))


def noise_for(config: Config, root: Path = NOISE_DIR, checkout: Path = Path(".")) -> pd.DataFrame | None:
    """The noise bands of both coefficients when ``config`` is the configuration the noise study measured
    (whatever its seed), else ``None``: a band is not carried over to another configuration.

    ``pair, layer, task, pearson, spearman``: the rounding noise of one run (standard deviations); and, where the
    bootstrap was computed, ``sampling_pearson, sampling_spearman``: the importance-sampling noise of one run."""
    if not measures(config):
        return None
    if not (Path(checkout) / root / MEMBERS_FILE).is_file():
        return None
    members = load_members(root, checkout)
    keys = ["pair", "layer", "task"]
    bands = [noise_band(members.correlations, kind).set_index(keys).noise_std.rename(kind)
             for kind in ("pearson", "spearman")]
    draws = load_sampling(root, checkout)
    if draws is not None:
        bands += [sampling_band(draws, kind).set_index(keys).sampling_std.rename(f"sampling_{kind}")
                  for kind in ("pearson", "spearman")]
    return pd.concat(bands, axis=1).reset_index()


def with_sampling(both: pd.DataFrame, draws: pd.DataFrame | None, kind: str = "pearson") -> pd.DataFrame:
    """A :func:`noise_against_seeds` table with the sampling band of each cell (``sampling_std``, and the fewest
    ``draws`` and ``sampling_seeds`` behind it) where the bootstrap was computed; NaN where not."""
    if draws is None:
        return both.assign(sampling_std=np.nan, draws=0, sampling_seeds=0)
    keys = ["pair", "layer", "task"]
    band = sampling_band(draws, kind)[[*keys, "sampling_std", "draws", "seeds"]]
    return both.merge(band.rename(columns={"seeds": "sampling_seeds"}), on=keys, how="left")


def noise_by_pair(both: pd.DataFrame) -> pd.DataFrame:
    """Per pair, over its (layer, task) cells (a :func:`noise_against_seeds` table, with :func:`with_sampling`'s
    column where present): the median rounding noise, the widest span of one seed's members, the median seed
    spread, the median ratio of the two, and the median sampling noise."""
    grouped = both.groupby("pair", sort=False)
    columns = dict(noise_std=("noise_std", "median"), noise_range=("noise_range", "max"),
                   seed_std=("seed_std", "median"), ratio=("ratio", "median"))
    if "sampling_std" in both:
        columns["sampling_std"] = ("sampling_std", "median")
    return grouped.agg(**columns).reset_index()


def bands_by_task(both: pd.DataFrame) -> pd.DataFrame:
    """Per number of tasks learned, the median over pairs and layers of the seed spread, the rounding noise and
    (where measured) the sampling noise: where in the task queue each source of spread weighs most."""
    columns = [c for c in ("seed_std", "noise_std", "sampling_std") if c in both]
    return both.groupby("task")[columns].median().reset_index()


def sampling_summary(both: pd.DataFrame) -> dict | None:
    """The numbers a page quotes of the sampling band (a :func:`with_sampling` table), or ``None`` where it was not
    computed: the median over the cells, after the first task and after the others, the widest cell, and the
    shares of cells where it reaches the rounding noise and the seed spread."""
    if "sampling_std" not in both or both.sampling_std.isna().all():
        return None
    first = both.task == both.task.min()
    return dict(sampling_std=float(both.sampling_std.median()), first=float(both.sampling_std[first].median()),
                later=float(both.sampling_std[~first].median()), widest=both.loc[both.sampling_std.idxmax()],
                over_rounding=float((both.sampling_std >= both.noise_std).mean()),
                over_seeds=float((both.sampling_std >= both.seed_std).mean()),
                draws=int(both.draws.min()), seeds=int(both.sampling_seeds.min()))


def band_summary(both: pd.DataFrame) -> dict:
    """The numbers a page quotes of a :func:`noise_against_seeds` table: the median rounding noise, the cell whose
    members span the widest range, the median ratio of rounding noise to seed spread, and the share of cells where
    rounding alone moves a run at least half as much as another seed does."""
    return dict(noise_std=float(both.noise_std.median()), widest=both.loc[both.noise_range.idxmax()],
                ratio=float(both.ratio.median()), half_or_more=float((both.ratio >= 0.5).mean()),
                study_seeds=int(both.study_seeds.min()))


def rerun_comparison(local: Results, committed: Results, members: NoiseMembers | None = None,
                     kind: str = "pearson") -> dict:
    """A run of this machine (``local``) against the committed trial of the same key (``committed``), as plain
    numbers for the page "Reproduce this": their final average accuracy and its difference, and, where the noise
    study measured this configuration (``members``, :func:`measures`), that difference in units of the rounding
    noise of a difference of two runs, and the correlation cells of :func:`reproduction`: how many differ by less
    than :data:`DIFFERENCE_BAND` rounding σ, and the largest difference with its cell.

    Not a findings record: it depends on the machine that computed ``local``."""
    if local.config.key != committed.config.key:
        raise ResultsError(f"{local.path} and {committed.path} are runs of different configurations")
    found = {"key": committed.config.key, "folder": shown_path(local.path),
             "local_accuracy": local.final_average_accuracy(), "committed_accuracy": committed.final_average_accuracy()}
    found["difference"] = found["local_accuracy"] - found["committed_accuracy"]
    found["measured"] = members is not None and measures(committed.config)
    if not found["measured"]:
        return found
    sd = accuracy_sd(members.accuracy) * float(np.sqrt(2))
    found.update(difference_sd=sd, difference_in_sd=abs(found["difference"]) / sd)
    repro = reproduction(local.correlations, committed.correlations, noise_band(members.correlations, kind), kind)
    largest = repro.loc[repro.difference.abs().idxmax()]
    found.update(cells=int(len(repro)), within=int(repro.within.sum()), within_share=float(repro.within.mean()),
                 band=float(DIFFERENCE_BAND),
                 largest={"difference": float(largest.difference), "pair": str(largest.pair),
                          "pair_name": pair_label(str(largest.pair)), "layer": int(largest.layer),
                          "task": int(largest.task), "in_sd": float(abs(largest.difference) / largest.noise_std)})
    return found
