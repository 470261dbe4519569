"""Tables and sentences of the pages "Do they prune alike?" and "Why they agree".

Everything here reads the committed tables of :mod:`paper_code.analysis.study_files` (several seeds of
one configuration) and returns DataFrames or :class:`~paper_code.render.Markdown` whose numbers come
from those tables, so the text of the pages always matches the data they show. Seed means are taken
first, then any mean over layers or fractions.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from paper_code.analysis.overlap import chance_jaccard
from paper_code.analysis.pairs import unordered
from paper_code.analysis.study_files import Analysis
from paper_code.locations import project_root
from paper_code.provenance import describe
from paper_code.render import Markdown, plural
from paper_code.config import DEFAULT_METHODS, METHOD_NAMES, PAPER_PAIRS, Config
from paper_code.model import LAYER_SIZES
from paper_code.plots import method_label, pair_label

#: A gap between two seed-mean curves no larger than this many pooled standard deviations is "within the seed spread".
SPREAD_MULTIPLE = 2.0
#: Top-k percentage used when one number has to stand for the overlap of two importances.
HEADLINE_K = 10.0
#: Below this |r| a pair's agreement is too weak to be split into a unit-level part and the rest.
WEAK_CORRELATION = 0.2
#: "Most of the agreement": a covariance share at least this large.
MOST = 0.8
#: Residuals correlated at least this much: the two importances also agree weight by weight.
RESIDUAL_AGREEMENT = 0.5
SCOPE_NAMES = {"layer": "layer-wise", "global": "global"}


def _std(values: pd.Series) -> float:
    value = values.std()
    return 0.0 if pd.isna(value) else float(value)


def _order(methods) -> list[str]:
    return [m for m in METHOD_NAMES if m in set(methods)]


# --------------------------------------------------------------------------- provenance
def analysis_provenance(analysis: Analysis) -> Markdown:
    """Which runs the page shows, and whether they are at the paper's scale."""
    runs = analysis.runs
    try:
        shown = analysis.folder.resolve().relative_to(project_root()).as_posix()
    except ValueError:  # an analysis outside the repository
        shown = analysis.folder.as_posix()
    config = analysis.config
    scale = describe(config).replace(f", seed {config.seed}", "")
    text = (f"**Analysis shown:** `{shown}` · {plural(len(runs), 'run')} (seeds "
            f"{', '.join(str(s) for s in analysis.seeds)}; {scale}, {config.test_size} test rows per task) · "
            f"run keys {', '.join(f'`{k}`' for k in runs.key)} · tables written by `scripts/analyze_study.py`")
    if analysis.key != Config().key:
        text += ("\n\n**These are not the paper-scale runs.** The tables come from small runs of the configuration "
                 "above; `make analysis RUNS=\"…\"` on the paper-scale runs (with their checkpoints) rewrites this "
                 "page's numbers.")
    return Markdown(text)


# --------------------------------------------------------------------------- pruning
def pruning_summary(pruning: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds of the pruned accuracy, per method, scope and fraction."""
    grouped = pruning.groupby(["method", "scope", "fraction"])
    summary = grouped.accuracy.agg(mean="mean", std="std", seeds="count").reset_index()
    summary["std"] = summary["std"].fillna(0.0)
    return summary


def pruning_ranking(summary: pd.DataFrame, scope: str) -> pd.DataFrame:
    """Methods ranked by their mean accuracy over the pruned fractions (> 0): the area under the curve."""
    rows = summary[(summary.scope == scope) & (summary.fraction > 0)]
    ranking = rows.groupby("method")["mean"].mean().sort_values(ascending=False)
    return ranking.rename("mean_accuracy").reset_index()


def pruning_gaps(pruning: pd.DataFrame) -> pd.DataFrame:
    """For every two methods and scope: the mean absolute gap between their seed-mean curves over the pruned
    fractions, the pooled seed standard deviation, and whether the gap lies within :data:`SPREAD_MULTIPLE` of it."""
    summary = pruning_summary(pruning)
    summary = summary[summary.fraction > 0]
    rows = []
    for scope, part in summary.groupby("scope"):
        means = part.pivot(index="fraction", columns="method", values="mean")
        stds = part.pivot(index="fraction", columns="method", values="std")
        for a, b in combinations(_order(means.columns), 2):
            gap = float((means[a] - means[b]).abs().mean())
            spread = float(np.sqrt((stds[a] ** 2 + stds[b] ** 2) / 2).mean())
            rows.append(dict(method_a=a, method_b=b, scope=scope, gap=gap, spread=spread,
                             alike=gap <= SPREAD_MULTIPLE * spread))
    return pd.DataFrame(rows)


def _at_last_task(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame.task == frame.task.max()]


def pair_agreement(analysis: Analysis) -> pd.DataFrame:
    """One row per two methods: their correlation after the last task (seed mean, then the mean over layers),
    their top-k overlaps (mean over seeds and layers) and how far apart they prune, per scope."""
    correlations = _at_last_task(analysis.correlations)
    correlations = correlations[~correlations.pair.str.endswith("2")]  # squared sides are not method pairs
    by_pair = correlations.groupby(["pair", "layer"])[["pearson", "spearman"]].mean().groupby("pair").mean()
    overlap = analysis.topk_overlap.groupby(["method_a", "method_b", "k", "layer"]).jaccard.mean()
    overlap = overlap.groupby(["method_a", "method_b", "k"]).mean()
    gaps = pruning_gaps(analysis.pruning).set_index(["method_a", "method_b", "scope"])
    rows = []
    for pair, values in by_pair.iterrows():
        a, b = _order(unordered(pair))
        row = dict(pair=pair, method_a=a, method_b=b, pearson=float(values.pearson), spearman=float(values.spearman))
        for k in sorted(analysis.topk_overlap.k.unique()):
            row[f"jaccard_{k:g}"] = float(overlap.get((a, b, k), np.nan))
        for scope in ("layer", "global"):
            if (a, b, scope) in gaps.index:
                row[f"gap_{scope}"] = float(gaps.loc[(a, b, scope), "gap"])
                row[f"alike_{scope}"] = bool(gaps.loc[(a, b, scope), "alike"])
        rows.append(row)
    return pd.DataFrame(rows).sort_values("pearson", ascending=False).reset_index(drop=True)


def _name(method: str) -> str:
    return method_label(method)


def _pair_name(a: str, b: str) -> str:
    return f"{_name(a)}–{_name(b)}"


def pruning_findings(pruning: pd.DataFrame) -> Markdown:
    summary = pruning_summary(pruning)
    after = int(pruning.after_task.max())
    seeds = int(pruning.seed.nunique())
    unpruned = summary[summary.fraction == 0]["mean"]
    lines = []
    if not unpruned.empty:
        lines.append(f"Unpruned, the networks score {float(unpruned.iloc[0]):.4f} on average over the {after} tasks "
                     f"learned (mean over {plural(seeds, 'seed')}).")
    for scope in ("layer", "global"):
        if not (summary.scope == scope).any():
            continue
        ranking = pruning_ranking(summary, scope)
        rows = summary[(summary.scope == scope) & (summary.fraction > 0)]
        widest = rows.groupby("fraction")["mean"].agg(lambda v: v.max() - v.min()).idxmax()
        at = rows[rows.fraction == widest].sort_values("mean", ascending=False)
        listed = ", ".join(f"{_name(r.method)} {r.mean:.3f} ± {r.std:.3f}" for r in at.itertuples())
        best, worst = ranking.iloc[0], ranking.iloc[-1]
        lines.append(
            f"**{SCOPE_NAMES[scope].capitalize()} pruning:** averaged over the pruned fractions, {_name(best.method)} keeps the "
            f"most accuracy ({best.mean_accuracy:.3f}) and {_name(worst.method)} the least ({worst.mean_accuracy:.3f}); "
            f"the methods are furthest apart at {100 * widest:g}% removed: {listed}."
        )
        data_based = ranking[ranking.method.isin(DEFAULT_METHODS)]
        magnitude = ranking[ranking.method == "magnitude"]
        random = ranking[ranking.method == "random"]
        if not data_based.empty and not magnitude.empty:
            beaten = data_based[data_based.mean_accuracy > float(magnitude.mean_accuracy.iloc[0])].method.tolist()
            lines.append(
                f"Against the magnitude baseline ({float(magnitude.mean_accuracy.iloc[0]):.3f}): "
                + (f"{', '.join(_name(m) for m in beaten)} prune{'s' if len(beaten) == 1 else ''} better."
                   if beaten else "no importance of the paper prunes better than |w|.")
            )
        if not data_based.empty and not random.empty:
            below = data_based[data_based.mean_accuracy < float(random.mean_accuracy.iloc[0])].method.tolist()
            if below:
                lines.append(f"Below the random control ({float(random.mean_accuracy.iloc[0]):.3f}): "
                             f"{', '.join(_name(m) for m in below)}.")
    return Markdown("\n\n".join(lines))


def overlap_findings(overlap: pd.DataFrame) -> Markdown:
    """The pairs that share most and least of their top-k% weights, against the chance level."""
    means = overlap.groupby(["method_a", "method_b", "k"]).jaccard.mean().reset_index()
    lines = []
    for k in sorted(means.k.unique()):
        rows = means[(means.k == k) & (means.method_a != "random") & (means.method_b != "random")]
        if rows.empty:
            continue
        rows = rows.sort_values("jaccard", ascending=False)
        chance = chance_jaccard(k, LAYER_SIZES[0] * LAYER_SIZES[1])
        top = ", ".join(f"{_pair_name(r.method_a, r.method_b)} {r.jaccard:.2f}" for r in rows.head(3).itertuples())
        low = rows.iloc[-1]
        lines.append(f"- **top {k:g}%** (chance {chance:.3f}): most shared {top}; least shared "
                     f"{_pair_name(low.method_a, low.method_b)} {low.jaccard:.2f}")
    return Markdown("Jaccard overlap of the top-k% weights, mean over seeds and layers:\n\n" + "\n".join(lines))


def _spearman(x: pd.Series, y: pd.Series) -> float:
    return float(x.rank().corr(y.rank()))


def agreement_table(agreement: pd.DataFrame) -> pd.DataFrame:
    """The pairs with their correlation, top-k overlaps and pruning gaps, formatted for the page."""
    table = pd.DataFrame({"pair": [_pair_name(a, b) for a, b in zip(agreement.method_a, agreement.method_b)],
                          "Pearson r": agreement.pearson.map("{:.2f}".format)})
    for column in [c for c in agreement.columns if c.startswith("jaccard_")]:
        table[f"top {column.split('_')[1]}% Jaccard"] = agreement[column].map("{:.2f}".format)
    for scope in ("layer", "global"):
        if f"gap_{scope}" in agreement:
            table[f"pruning gap ({scope})"] = [f"{g:.3f}" + (" ✓" if alike else "")
                                               for g, alike in zip(agreement[f"gap_{scope}"], agreement[f"alike_{scope}"])]
    return table


def agreement_findings(agreement: pd.DataFrame) -> Markdown:
    """Does a higher correlation go with shared top weights and alike pruning? Rank correlations across pairs."""
    if len(agreement) < 3:
        return Markdown("Fewer than three pairs of importances: nothing to relate.")
    jaccard = f"jaccard_{HEADLINE_K:g}"
    lines = [f"Across the {len(agreement)} pairs of importances (baselines included), ranked by their correlation "
             f"after the last task:"]
    if jaccard in agreement:
        rho = _spearman(agreement.pearson, agreement[jaccard])
        lines.append(f"- the correlation orders the pairs' top-{HEADLINE_K:g}% overlap with Spearman ρ = {rho:+.2f};")
    for scope in ("layer", "global"):
        if f"gap_{scope}" not in agreement:
            continue
        rho = _spearman(agreement.pearson, agreement[f"gap_{scope}"])
        alike = agreement[agreement[f"alike_{scope}"]]
        lines.append(f"- with {SCOPE_NAMES[scope]} pruning, the correlation orders the pruning gap with ρ = {rho:+.2f} "
                     f"(negative: more correlated pairs prune more alike); {len(alike)} of {len(agreement)} pairs prune "
                     f"alike within {SPREAD_MULTIPLE:g} seed standard deviations"
                     + (f" ({', '.join(_pair_name(r.method_a, r.method_b) for r in alike.itertuples())})" if len(alike) else "")
                     + ";")
    high = agreement[agreement.pearson >= 0.7]
    exceptions = []
    for scope in ("layer", "global"):
        if f"alike_{scope}" in agreement:
            exceptions += [f"{_pair_name(r.method_a, r.method_b)} (r = {r.pearson:.2f}, {scope} gap "
                           f"{getattr(r, f'gap_{scope}'):.3f})" for r in high.itertuples() if not getattr(r, f"alike_{scope}")]
    if not high.empty:
        lines.append(f"- pairs correlated at r ≥ 0.7 that still prune apart: {', '.join(exceptions) or 'none'}.")
    return Markdown("\n".join(lines))


# --------------------------------------------------------------------------- baselines
def baseline_table(correlations: pd.DataFrame) -> pd.DataFrame:
    """Each method's correlation with |w| and with the random control, per layer, after the last task."""
    last = _at_last_task(correlations)
    rows = []
    for method in [m for m in DEFAULT_METHODS]:
        for layer in sorted(last.layer.unique()):
            row = {"importance": _name(method), "layer": int(layer)}
            found = False
            for baseline in ("magnitude", "random"):
                pair = f"{method}_{baseline}"
                values = last[(last.pair == pair) & (last.layer == layer)]
                if values.empty:
                    continue
                found = True
                row[f"r with {_name(baseline)}"] = f"{values.pearson.mean():.3f} ± {_std(values.pearson):.3f}"
                row[f"ρ with {_name(baseline)}"] = f"{values.spearman.mean():.3f}"
            if found:
                rows.append(row)
    return pd.DataFrame(rows)


def _mean_at_last(correlations: pd.DataFrame, pair: str, column: str = "pearson") -> pd.Series:
    last = _at_last_task(correlations)
    return last[last.pair == pair].groupby("layer")[column].mean()


def baseline_findings(correlations: pd.DataFrame) -> Markdown:
    last = _at_last_task(correlations)
    lines = []
    random_pairs = last[last.pair.str.endswith("_random")]
    if not random_pairs.empty:
        means = random_pairs.groupby(["pair", "layer"]).pearson.mean()
        lines.append(f"The random control correlates with every importance at |r| ≤ {means.abs().max():.3f} "
                     f"(seed means): the floor against which an agreement is read.")
    magnitude = {m: _mean_at_last(correlations, f"{m}_magnitude") for m in DEFAULT_METHODS}
    magnitude = {m: v for m, v in magnitude.items() if not v.empty}
    if magnitude:
        parts = ", ".join(f"{_name(m)} {' / '.join(f'{x:.2f}' for x in v)}" for m, v in magnitude.items())
        lines.append(f"Correlation with the magnitude |w| (layers 1 / 2 / 3, Pearson): {parts}.")
        strongest = max(magnitude, key=lambda m: float(magnitude[m].mean()))
        lines.append(f"{_name(strongest)} is the closest to |w| (mean over layers {float(magnitude[strongest].mean()):.2f})"
                     + (" — SIG is |w| times the input activity, so part of this holds by construction." if strongest == "sig" else "."))
    paper = []
    for pair, values, (left, right) in _paper_pairs_at_last(correlations):
        mag = max(float(magnitude.get(left, pd.Series([np.nan])).mean()), float(magnitude.get(right, pd.Series([np.nan])).mean()))
        paper.append(f"{pair_label(pair)} {float(values.mean()):.2f} (the closer of the two to |w|: {mag:.2f})")
    if paper:
        lines.append("The paper's pairs, mean over layers: " + "; ".join(paper) + ". "
                     + _baseline_verdict(correlations, magnitude))
    return Markdown("\n\n".join(lines))


def _paper_pairs_at_last(correlations: pd.DataFrame) -> list[tuple[str, pd.Series, list[str]]]:
    """The paper's pairs (FIS–MAS² left out: it pairs the same two importances as MAS–FIS) with their seed-mean
    correlations after the last task and their two members, for the pairs the table holds."""
    found = []
    for pair in PAPER_PAIRS:
        if pair.endswith("2"):
            continue
        values = _mean_at_last(correlations, pair)
        if not values.empty:
            found.append((pair, values, sorted(unordered(pair))))
    return found


def _baseline_verdict(correlations: pd.DataFrame, magnitude: dict[str, pd.Series]) -> str:
    above = []
    for pair, values, (left, right) in _paper_pairs_at_last(correlations):
        ceiling = max(float(magnitude[m].mean()) for m in (left, right) if m in magnitude) if magnitude else np.nan
        if float(values.mean()) > ceiling:
            above.append(pair_label(pair))
    return (f"{len(above)} of the paper's pairs agree with each other more than either member agrees with |w|"
            + (f" ({', '.join(above)})." if above else "."))


# --------------------------------------------------------------------------- unit structure
def structure_summary(structure: pd.DataFrame, kind: str = "accumulated") -> pd.DataFrame:
    """Seed means of the rank-1 shares per method and layer after the last task."""
    rows = _at_last_task(structure[structure.importances == kind])
    return rows.groupby(["method", "layer"])[["energy_share", "variance_share", "pearson_fit"]].mean().reset_index()


def structure_findings(structure: pd.DataFrame) -> Markdown:
    summary = structure_summary(structure)
    by_method = summary.groupby("method").variance_share.agg(["min", "max"])
    order = [m for m in list(METHOD_NAMES) + [f"{m}2" for m in METHOD_NAMES] if m in by_method.index]
    parts = ", ".join(f"{_side(m)} {by_method.loc[m, 'min']:.2f}–{by_method.loc[m, 'max']:.2f}" for m in order)
    close = [m for m in order if by_method.loc[m, "min"] >= MOST]
    return Markdown(
        f"Share of each importance's variation (around its mean) that the best row × column product explains, "
        f"lowest–highest over the layers, after the last task: {parts}. "
        + (f"At least {MOST:g} on every layer: {', '.join(_side(m) for m in close)}." if close
           else f"No importance reaches {MOST:g} on every layer.")
    )


def _side(side: str) -> str:
    return method_label(side[:-1], 2) if side.endswith("2") and side[:-1] in METHOD_NAMES else method_label(side)


def unit_share(structure_pairs: pd.DataFrame, pairs=PAPER_PAIRS, kind: str = "accumulated") -> pd.DataFrame:
    """Per pair and layer after the last task (seed means): observed r, the r of the rank-1 fits, the r of
    what the fits leave out, and the share of the covariance in the rank-1 parts."""
    rows = _at_last_task(structure_pairs[structure_pairs.importances == kind])
    rows = rows[rows.pair.isin(pairs)]
    columns = ["pearson", "pearson_rank1", "pearson_residual", "rank1_share", "spearman", "spearman_rank1"]
    frame = rows.groupby(["pair", "layer"])[columns].mean().reset_index()
    order = {p: i for i, p in enumerate(pairs)}
    return frame.sort_values(["pair", "layer"], key=lambda c: c.map(order) if c.name == "pair" else c).reset_index(drop=True)


def unit_share_table(share: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "pair": share.pair.map(pair_label),
        "layer": share.layer.astype(int),
        "observed r": share.pearson.map("{:.2f}".format),
        "r of the rank-1 fits": share.pearson_rank1.map("{:.2f}".format),
        "r of the residuals": share.pearson_residual.map("{:.2f}".format),
        "covariance in the rank-1 parts": share.rank1_share.map("{:.0%}".format),
    })


def _explanation(row) -> str:
    if abs(row.pearson) < WEAK_CORRELATION:
        return f"r = {row.pearson:.2f}, too weak to split"
    share = row.rank1_share
    text = f"r = {row.pearson:.2f}, {share:.0%} of the covariance in the rank-1 parts, residuals r = {row.pearson_residual:.2f}"
    if share >= MOST and row.pearson_residual < RESIDUAL_AGREEMENT:
        return text + ": **unit structure**"
    if share >= MOST:
        return text + ": **unit structure, and weight by weight as well**"
    if share < 0.5:
        return text + ": **mostly beyond unit structure**"
    return text + ": **partly unit structure**"


def unit_share_findings(share: pd.DataFrame) -> Markdown:
    """Pair by pair and layer by layer: how much of the agreement the row × column structure carries."""
    lines = []
    for pair in share.pair.unique():
        rows = share[share.pair == pair]
        parts = "; ".join(f"layer {int(r.layer)}: {_explanation(r)}" for r in rows.itertuples())
        lines.append(f"- **{pair_label(pair)}** — {parts}.")
    strong = share[share.pearson.abs() >= WEAK_CORRELATION]
    carried = strong[strong.rank1_share >= MOST]
    only = carried[carried.pearson_residual < RESIDUAL_AGREEMENT]
    beyond = strong[strong.pearson_residual >= RESIDUAL_AGREEMENT]
    summary = ""
    if len(strong):
        summary = (f"\n\nOf the {len(strong)} (pair, layer) cells with |r| ≥ {WEAK_CORRELATION:g}, the rank-1 parts carry at "
                   f"least {MOST:.0%} of the covariance in {len(carried)}; in {len(only)} of these the residuals correlate "
                   f"below {RESIDUAL_AGREEMENT:g}, so the agreement there is the unit structure and little else. "
                   + (f"The residuals agree (r ≥ {RESIDUAL_AGREEMENT:g}) in {len(beyond)} cells: "
                      + ", ".join(f"{pair_label(r.pair)} layer {int(r.layer)}" for r in beyond.itertuples())
                      + ": there the two importances agree weight by weight, beyond their units." if len(beyond)
                      else "In no cell do the residuals agree: unit structure is all the agreement there is."))
    return Markdown("\n".join(lines) + summary)


# --------------------------------------------------------------------------- against eqs. (2)-(3)
def eq23_comparison(analysis: Analysis) -> pd.DataFrame:
    """Per layer, after the last task, on each task's own importances (what eqs. (2)-(3) describe), seed means:
    how closely each explanation's surrogate reproduces FIS and MAS, and the FIS–MAS² correlation each implies."""
    eq = _at_last_task(analysis.eq23).groupby(["comparison", "layer"]).pearson.mean().unstack(0)
    fits = structure_summary(analysis.structure, "per_task").set_index(["method", "layer"]).pearson_fit
    pairs = _at_last_task(analysis.structure_pairs[analysis.structure_pairs.importances == "per_task"])
    pairs = pairs[pairs.pair == "fis_mas2"].groupby("layer")[["pearson", "pearson_rank1"]].mean()
    rows = []
    for layer in sorted(eq.index):
        rows.append(dict(
            layer=int(layer),
            eq2=float(eq.loc[layer, "eq2"]), eq3=float(eq.loc[layer, "eq3"]),
            rank1_fis=float(fits.get(("fis", layer), np.nan)), rank1_mas=float(fits.get(("mas", layer), np.nan)),
            fis_mas2=float(pairs.pearson.get(layer, np.nan)), fis_mas2_rank1=float(pairs.pearson_rank1.get(layer, np.nan)),
        ))
    return pd.DataFrame(rows)


def eq23_table(comparison: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "layer": comparison.layer,
        "FIS vs (Σ∂p/∂θ)² [eq. 2]": comparison.eq2.map("{:.2f}".format),
        "FIS vs its rank-1 fit": comparison.rank1_fis.map("{:.2f}".format),
        "MAS vs |Σ∂p/∂θ| [eq. 3]": comparison.eq3.map("{:.2f}".format),
        "MAS vs its rank-1 fit": comparison.rank1_mas.map("{:.2f}".format),
        "FIS–MAS² observed": comparison.fis_mas2.map("{:.2f}".format),
        "FIS–MAS² of the rank-1 fits": comparison.fis_mas2_rank1.map("{:.2f}".format),
    })


def eq23_findings(comparison: pd.DataFrame) -> Markdown:
    if comparison.empty:
        return Markdown("The runs did not compute both FIS and MAS, so eqs. (2)-(3) cannot be checked.")
    lines = []
    closer = 0
    for row in comparison.itertuples():
        eq_worst = min(row.eq2, row.eq3)
        unit_worst = min(row.rank1_fis, row.rank1_mas)
        closer += unit_worst > eq_worst
        lines.append(
            f"- layer {row.layer}: the eq. (2)-(3) surrogates reproduce FIS at r = {row.eq2:.2f} and MAS at "
            f"r = {row.eq3:.2f}; the rank-1 fits at r = {row.rank1_fis:.2f} and {row.rank1_mas:.2f}. The observed "
            f"FIS–MAS² correlation is {row.fis_mas2:.2f}; the rank-1 fits alone give {row.fis_mas2_rank1:.2f}."
        )
    verdict = (f"On {closer} of {len(comparison)} layers the row × column structure reproduces both importances more "
               f"closely than the paper's eqs. (2)-(3) do" + (
                   ": the unit-level explanation carries more of the data." if closer * 2 > len(comparison)
                   else ": the paper's equations carry at least as much of the data."))
    return Markdown("On each task's own importances after the last task (seed means):\n\n" + "\n".join(lines)
                    + "\n\n" + verdict)
