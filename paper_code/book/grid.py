"""Tables and sentences of the study pages (the λ grid, the importances inside EWC, seed bands, per-task
correlations), from the tables of :mod:`paper_code.studies.grid`, so the text always matches the data.

Each ``*_findings`` function returns :class:`~paper_code.book.render.Markdown` that states what the numbers
show, with the numbers; the notebooks only place them beside the figures.
"""

from __future__ import annotations

import pandas as pd

from paper_code.book.render import Markdown
from paper_code.config import DEFAULT_LAMBDA
from paper_code.labels import KIND_LABELS, pair_label, plural, reg_label
from paper_code.locations import shown_path
from paper_code.studies.grid import DEFAULT_REG, LambdaChoice, Study, mean_differences

#: Per-task and accumulated correlations "differ" where their seed means are further apart than this.
PER_TASK_DIFFERENCE = 0.1


def _std(std: float) -> float:
    """A standard deviation, 0 where it is undefined (a single seed)."""
    return 0.0 if pd.isna(std) else float(std)


def _pm(mean: float, std: float) -> str:
    return f"{mean:.4f} ± {_std(std):.4f}"


def study_provenance(study: Study) -> Markdown:
    table = study.table
    scale = sorted({(int(t), int(e)) for t, e in zip(table.tasks, table.epochs)})
    scales = ", ".join(f"{plural(t, 'task')} × {plural(e, 'epoch')}" for t, e in scale)
    hours = table.wall_seconds.sum() / 3600
    return Markdown(
        f"**Study shown:** `{shown_path(study.folder)}` · {plural(len(table), 'trial')} ({scales}) · "
        f"{hours:.1f} compute-hours of trials · one row per trial in `sweep.csv`, each trial's CSV files in "
        f"`trials/<key>/`"
    )


def lambda_table(summary: pd.DataFrame, choices: dict[str, LambdaChoice]) -> pd.DataFrame:
    rows = []
    for _, row in summary.iterrows():
        chosen = row.reg in choices and choices[row.reg].lam == row.lam
        rows.append({
            "regularizer": reg_label(row.reg),
            "λ": f"{row.lam:g}" if row.reg != "none" else "–",
            "seeds": int(row.seeds),
            "final accuracy": _pm(row.accuracy_mean, row.accuracy_std),
            "forgetting": _pm(row.forgetting_mean, row.forgetting_std),
            "selected": "✓" if chosen else "",
        })
    return pd.DataFrame(rows)


def lambda_findings(choices: dict[str, LambdaChoice]) -> Markdown:
    parts = []
    for reg, choice in choices.items():
        edge = " (at the edge of the λ tried: widen the grid)" if choice.at_edge else ""
        parts.append(f"- {reg_label(reg)}: λ = **{choice.lam:g}**, mean final accuracy {choice.mean_accuracy:.4f} "
                     f"over {plural(choice.seeds, 'seed')}{edge}")
    text = "Selected λ (best mean final accuracy over seeds):\n\n" + "\n".join(parts)
    if DEFAULT_REG in choices:
        selected = choices[DEFAULT_REG].lam
        agree = "agrees with" if selected == DEFAULT_LAMBDA else "**differs from**"
        text += (f"\n\nThe default of `python -m paper_code run` is λ = {DEFAULT_LAMBDA:g}; it {agree} the λ this "
                 f"page selects for {reg_label(DEFAULT_REG)} ({selected:g}).")
    return Markdown(text)


def lambda_noise(leads: pd.DataFrame) -> Markdown:
    """Whether each selected λ leads the next best by more than rounding could move the comparison."""
    if leads.empty or leads.noise.isna().all():
        return Markdown("The rounding noise of the final accuracy is not measured here (`make noise`), so the leads "
                        "below cannot be set against it.")
    parts = []
    for row in leads.itertuples():
        verdict = "larger than rounding explains" if row.ratio > 2 else "**within the rounding noise**"
        parts.append(f"- {reg_label(row.reg)}: λ = {row.lam:g} leads λ = {row.runner_up:g} by {row.lead:.4f} "
                     f"({plural(row.seeds, 'seed')}; {row.ratio:.1f} × the rounding noise of that difference, "
                     f"{row.noise:.4f}): {verdict}")
    return Markdown(
        "How far each selected λ leads the next best, against what rounding alone does to that comparison: one "
        "run's final accuracy moves by σ under rounding alone (measured on EWC-MAS at λ = 3, page {ref}`reproduce`), "
        "a difference of two means of n seeds by σ·√(2/n). A lead of more than two of those is called larger than "
        "rounding explains.\n\n" + "\n".join(parts))


def stability_table(band: pd.DataFrame, pairs: list[str]) -> pd.DataFrame:
    """Per pair and layer: the range of seed means, the largest std, and the cells whose sign is unstable."""
    rows = []
    for pair in pairs:
        for layer, cells in band[band.pair == pair].groupby("layer"):
            unstable = cells[~cells.sign_stable].task.tolist()
            rows.append({
                "pair": pair_label(pair), "layer": int(layer),
                "seed mean, min–max over tasks": f"{cells['mean'].min():.2f} to {cells['mean'].max():.2f}",
                "largest std": f"{cells['std'].max():.3f}",
                "tasks where the sign is not stable": ", ".join(map(str, unstable)) or "none",
            })
    return pd.DataFrame(rows)


def stability_findings(band: pd.DataFrame, kind: str) -> Markdown:
    seeds = int(band.seeds.min())
    unstable = band[~band.sign_stable]
    negative = band[band.sign_stable & (band.high < 0)]
    if seeds < 2:
        return Markdown(f"Only {plural(seeds, 'seed')} per cell: a seed band needs at least two (the study uses five).")
    text = (f"Over {plural(seeds, 'seed')}, {len(unstable)} of {len(band)} (pair, layer, task) cells "
            f"change the sign of {KIND_LABELS[kind]} from seed to seed.")
    if not unstable.empty:
        where = unstable.groupby(["pair", "layer"]).task.apply(sorted)
        text += " They lie in: " + ", ".join(
            f"{pair_label(p)} layer {int(layer)} ({'task' if len(t) == 1 else 'tasks'} {', '.join(map(str, t))})"
            for (p, layer), t in where.items()) + "."
    if negative.empty:
        text += " No cell is negative for every seed."
    else:
        where = negative.groupby(["pair", "layer"]).size()
        text += (" Negative for every seed (a sign the seeds agree on): "
                 + ", ".join(f"{pair_label(p)} layer {int(layer)} ({n} of its tasks)" for (p, layer), n in where.items()) + ".")
    return Markdown(text)


def per_task_findings(frame: pd.DataFrame, kind: str) -> Markdown:
    later = frame[frame.task > frame.task.min()]
    if later.empty:
        return Markdown("With a single task the per-task and accumulated importances are the same.")
    differ = later[later.difference.abs() > PER_TASK_DIFFERENCE]
    top = mean_differences(later).head(4)
    listed = ", ".join(f"{pair_label(p)} layer {int(layer)} ({v:+.3f})" for (p, layer), v in top.items())
    text = (f"After task 1 the two agree by construction. Over the later tasks, {len(differ)} of {len(later)} cells "
            f"differ by more than {PER_TASK_DIFFERENCE:g} in {KIND_LABELS[kind]}. The largest mean differences "
            f"(per-task minus accumulated; positive: a task's own importances agree more than the sums) are "
            f"{listed}.")
    signs = later[(later.per_task * later.accumulated) < 0]
    if not signs.empty:
        text += " The sign itself flips in " + ", ".join(
            f"{pair_label(p)} layer {int(layer)} ({plural(int(n), 'cell')})"
            for (p, layer), n in signs.groupby(["pair", "layer"]).size().items()
        ) + "."
    else:
        text += " No cell changes sign."
    return Markdown(text)


def author_table(side: pd.DataFrame) -> pd.DataFrame:
    """This study beside the paper author's logs, at the λ both tried."""
    return pd.DataFrame({
        "regularizer": [reg_label(r) for r in side.reg],
        "λ": [f"{v:g}" for v in side.lam],
        "this study": [f"{_pm(m, s)} ({int(n)} seeds)" for m, s, n in zip(side.accuracy_mean, side.accuracy_std, side.seeds)],
        "author's logs": [f"{_pm(m, s)} ({int(n)} runs)" for m, s, n in
                          zip(side.accuracy_mean_author, side.accuracy_std_author, side.runs)],
        "difference": [f"{a - b:+.4f}" for a, b in zip(side.accuracy_mean, side.accuracy_mean_author)],
    })


def author_findings(side: pd.DataFrame, best: pd.DataFrame) -> Markdown:
    """How far this study's accuracies lie from the author's at the same λ, and where the author's grid peaked."""
    if side.empty:
        return Markdown("No λ of this study was also run by the paper author.")
    difference = side.accuracy_mean - side.accuracy_mean_author
    peaks = ", ".join(f"{reg_label(r.reg)} at λ = {r.lam:g} ({r.accuracy_mean:.4f}, {int(r.runs)} runs)"
                      for r in best.itertuples())
    return Markdown(
        f"At the {plural(len(side), 'value')} of λ both grids ran, this study's final average accuracy lies "
        f"{difference.min():+.4f} to {difference.max():+.4f} from the author's (mean {difference.mean():+.4f}). "
        f"The author's finer grids peak at: {peaks}."
    )
