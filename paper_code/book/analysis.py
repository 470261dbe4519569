"""Tables and sentences of the pages "Do they prune alike?" and "Why they agree".

The numbers come from :mod:`paper_code.analysis.summaries` (seed means first, then any mean over layers or
fractions); this module only phrases them, so the text of the pages always matches the data they show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from paper_code.analysis import summaries as s
from paper_code.analysis.across_seeds import Analysis
from paper_code.analysis.overlap import chance_jaccard
from paper_code.analysis.spread import SPREAD_MULTIPLE, above_zero, excludes_zero, reaches_zero_from_below
from paper_code.book.render import Markdown
from paper_code.config import DEFAULT_METHODS, Config
from paper_code.labels import describe, method_label, pair_label, plural, side_label
from paper_code.locations import shown_path
from paper_code.model import LAYER_SIZES

SCOPE_NAMES = {"layer": "layer-wise", "global": "global"}
#: The references a pruning ranking is measured against, ranked by themselves.
BASELINES = ("magnitude", "random")


def _pair_name(a: str, b: str) -> str:
    return f"{method_label(a)}–{method_label(b)}"


# --------------------------------------------------------------------------- provenance
def analysis_provenance(analysis: Analysis) -> Markdown:
    """Which runs the page shows, and whether they are at the paper's scale."""
    runs = analysis.runs
    config = analysis.config
    scale = describe(config).replace(f", seed {config.seed}", "")
    text = (f"**Analysis shown:** `{shown_path(analysis.folder)}` · {plural(len(runs), 'run')} (seeds "
            f"{', '.join(str(seed) for seed in analysis.seeds)}; {scale}, {config.test_size} test rows per task) · "
            f"run keys {', '.join(f'`{k}`' for k in runs.key)} · tables written by `scripts/analyze_study.py`")
    if analysis.key != Config().key:
        text += ("\n\n**These are not the paper-scale runs.** The tables come from small runs of the configuration "
                 "above; `make analysis RUNS=\"…\"` on the paper-scale runs (with their checkpoints) rewrites this "
                 "page's numbers.")
    return Markdown(text)


# --------------------------------------------------------------------------- pruning
def pruning_findings(pruning: pd.DataFrame) -> Markdown:
    summary = s.pruning_summary(pruning)
    change = s.ranking_change(pruning)
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
        ranking = s.pruning_ranking(summary, scope)
        widest = s.widest_fraction(summary, scope)
        at = summary[(summary.scope == scope) & (summary.fraction == widest)].sort_values("mean", ascending=False)
        listed = ", ".join(f"{method_label(r.method)} {r.mean:.3f} ± {r.std:.3f}" for r in at.itertuples())
        best, worst = ranking.iloc[0], ranking.iloc[-1]
        lines.append(
            f"**{SCOPE_NAMES[scope].capitalize()} pruning:** averaged over the pruned fractions, "
            f"{method_label(best.method)} keeps the most accuracy ({best.mean_accuracy:.3f}) and "
            f"{method_label(worst.method)} the least ({worst.mean_accuracy:.3f}); "
            f"the methods are furthest apart at {100 * widest:g}% removed: {listed}."
        )
        data_based = ranking[ranking.method.isin(DEFAULT_METHODS)]
        magnitude = ranking[ranking.method == "magnitude"]
        random = ranking[ranking.method == "random"]
        if not data_based.empty and not magnitude.empty:
            beaten = data_based[data_based.mean_accuracy > float(magnitude.mean_accuracy.iloc[0])].method.tolist()
            lines.append(
                f"Against the magnitude baseline ({float(magnitude.mean_accuracy.iloc[0]):.3f}): "
                + (f"{', '.join(method_label(m) for m in beaten)} prune{'s' if len(beaten) == 1 else ''} better."
                   if beaten else "no importance of the paper prunes better than |w|.")
            )
        if not data_based.empty and not random.empty:
            lines.append(_against_random(change[change.scope == scope], float(random.mean_accuracy.iloc[0]),
                                         "importance"))
    return Markdown("\n\n".join(lines))


def _by_side(entries, words: dict[str, str], parenthesized: bool = False) -> list[tuple[str, list[str]]]:
    """Each ``(name, mean, half_width)`` of a paired difference under the word of its side of zero: ``words`` maps
    ``below``, ``neither`` (the 95 % interval reaches 0) and ``above`` to the page's words, in the order the page
    lists them. An entry without a mean is left out; a side without entries too."""
    groups: dict[str, list[str]] = {key: [] for key in words}
    for name, mean, half in entries:
        if pd.isna(mean):
            continue
        key = "neither" if not excludes_zero(mean, half) else "above" if mean > 0 else "below"
        groups[key].append(f"{name} ({_paired(mean, half)})" if parenthesized else f"{name} {_paired(mean, half)}")
    return [(words[key], names) for key, names in groups.items() if names]


def _against_random(change: pd.DataFrame, random_mean: float, ranking: str) -> str:
    """The paper's importances against the random control, paired by seed: measurably below, above, or neither."""
    rows = change[change.method.isin(DEFAULT_METHODS)]
    sides = _by_side([(method_label(r.method), getattr(r, f"{ranking}_vs_random"), getattr(r, f"{ranking}_vs_random_ci"))
                      for r in rows.itertuples()],
                     {"below": "measurably below", "neither": "not measurably different from",
                      "above": "measurably above"})
    parts = [f"{side} it: {', '.join(names)}" for side, names in sides]
    return (f"Against random removal ({random_mean:.3f}; each importance's mean accuracy over the pruned fractions "
            f"minus random's, paired by seed, 95 % interval): " + "; ".join(parts) + ".")


def top_weights_note(overlap: pd.DataFrame, pairs=(("fis", "mas"), ("fis", "si"), ("mas", "si")),
                     k: float = 1.0) -> Markdown:
    """How many of their most important weights the importances that "give approximately the same importances"
    share: a correlation over a whole layer can be high while the top weights differ."""
    means = s.overlap_means(overlap)
    rows = means[np.isclose(means.k, k)]
    found = []
    for a, b in pairs:
        hit = rows[((rows.method_a == a) & (rows.method_b == b)) | ((rows.method_a == b) & (rows.method_b == a))]
        if not hit.empty:
            found.append(f"{_pair_name(a, b)} {float(hit.jaccard.iloc[0]):.2f}")
    if not found:
        return Markdown("")
    seeds = int(overlap.seed.nunique())
    return Markdown(f"Correlated is not the same: their top-{k:g} % weights overlap at Jaccard {', '.join(found)} "
                    f"(mean over layers and {plural(seeds, 'seed')} of the paper's configuration after the last task; "
                    f"two random rankings: {chance_jaccard(k, LAYER_SIZES[0] * LAYER_SIZES[1]):.3f}; page "
                    "{ref}`prune-alike`).")


def ranking_table(change: pd.DataFrame) -> pd.DataFrame:
    """Per importance and scope: mean accuracy over the pruned fractions ranked by Ω and by Ω·w², the paired
    change, and each ranking's difference from random removal (the baselines, ranked by themselves, are the
    references and get no row)."""
    change = change[~change.method.isin(BASELINES)]
    return pd.DataFrame({
        "importance": change.method.map(method_label),
        "scope": change.scope.map(SCOPE_NAMES),
        "ranked by Ω": change.importance.map("{:.3f}".format),
        "ranked by Ω·w²": change.saliency.map("{:.3f}".format),
        "Ω·w² − Ω (95 %)": [_paired(m, h) for m, h in zip(change.change, change.change_ci)],
        "Ω − random": [_paired(m, h) for m, h in zip(change.importance_vs_random, change.importance_vs_random_ci)],
        "Ω·w² − random": [_paired(m, h) for m, h in zip(change.saliency_vs_random, change.saliency_vs_random_ci)],
        "Ω·w² − |w|": [_paired(m, h) for m, h in zip(change.saliency_vs_magnitude, change.saliency_vs_magnitude_ci)],
    })


def ranking_findings(change: pd.DataFrame, overlap: pd.DataFrame | None = None, k: float = 10.0) -> Markdown:
    """What ranking by EWC's own cost of removal changes, per scope, read from
    :func:`paper_code.analysis.summaries.ranking_change`; with ``overlap``, how much each importance's top-k%
    shares with the top-k% by |w| first (the reason the ranking can matter)."""
    if change.empty:
        return Markdown("The analysis holds no pruning ranked by the saliency Ω·w².")
    seeds = int(change.seeds.min())
    lines = []
    if overlap is not None:
        means = s.overlap_means(overlap)
        with_w = means[(means.k == k) & ((means.method_a == "magnitude") | (means.method_b == "magnitude"))]
        shares = {(r.method_b if r.method_a == "magnitude" else r.method_a): r.jaccard for r in with_w.itertuples()}
        named = [f"{method_label(m)} {shares[m]:.3f}" for m in DEFAULT_METHODS if m in shares]
        if named:
            lines.append(f"The top-{k:g} % weights of each importance and the top-{k:g} % by |w| overlap at Jaccard "
                         f"{', '.join(named)} (mean over layers and seeds; two random rankings: "
                         f"{chance_jaccard(k, LAYER_SIZES[0] * LAYER_SIZES[1]):.3f}).\n")
    lines.append(f"Averaged over the pruned fractions, {plural(seeds, 'seed')}, differences paired by seed with 95 % "
                 "intervals (random removal is the random control ranked by itself):")
    for scope in ("layer", "global"):
        rows = change[(change.scope == scope) & change.method.isin(DEFAULT_METHODS)]
        if rows.empty:
            continue
        better = [r for r in rows.itertuples() if above_zero(r.change, r.change_ci)]
        worse = [r for r in rows.itertuples() if not reaches_zero_from_below(r.change, r.change_ci)]
        same = [r for r in rows.itertuples() if r not in better and r not in worse]
        parts = []
        for title, group in (("keeps measurably more accuracy with", better), ("measurably less with", worse),
                             ("not measurably different with", same)):
            if group:
                parts.append(f"{title} Ω·w²: " + ", ".join(f"{method_label(r.method)} ({_paired(r.change, r.change_ci)})"
                                                            for r in group))
        above = [method_label(r.method) for r in rows.itertuples()
                 if above_zero(r.saliency_vs_random, r.saliency_vs_random_ci)]
        versus_w = _by_side([(method_label(r.method), r.saliency_vs_magnitude, r.saliency_vs_magnitude_ci)
                             for r in rows.itertuples()],
                            {"above": "measurably ahead of", "below": "measurably behind",
                             "neither": "not measurably different from"}, parenthesized=True)
        reference = change[(change.scope == scope) & change.method.isin(BASELINES)].set_index("method").importance
        against_w = "; ".join(f"{side} it: {', '.join(names)}" for side, names in versus_w)
        lines.append(f"- **{SCOPE_NAMES[scope].capitalize()}:** " + "; ".join(parts) + ". Ranked by Ω·w², "
                     + (f"{', '.join(above)} measurably beat{'s' if len(above) == 1 else ''} random removal"
                        if above else "no importance measurably beats random removal")
                     + f" ({len(above)} of {len(rows)})"
                     + (f". Against pruning by |w| ({reference['magnitude']:.3f}): {against_w}"
                        if against_w and "magnitude" in reference.index else "") + ".")
    return Markdown("\n".join(lines))


def task_findings(gap: pd.DataFrame, scope: str, fraction: float) -> Markdown:
    """Whether the pruned network loses its oldest or its newest task first, per importance, paired by seed."""
    if gap.empty:
        return Markdown("")
    first, last = int(gap.first_task.iloc[0]), int(gap.last_task.iloc[0])
    sides = _by_side([(method_label(r.method), r.difference, r.difference_ci) for r in gap.itertuples()],
                     {"below": "lower", "above": "higher", "neither": "not measurably different"})
    parts = [f"{side} for {', '.join(names)}" for side, names in sides]
    return Markdown(f"With {100 * fraction:g}% of the weights removed ({SCOPE_NAMES[scope]} pruning), the accuracy on task {first} "
                    f"(learned first) against that on task {last} (learned last), paired by seed with 95 % intervals: "
                    + "; ".join(parts) + ".")


def overlap_findings(overlap: pd.DataFrame) -> Markdown:
    """The pairs that share most and least of their top-k% weights, against the chance level."""
    means = s.overlap_means(overlap)
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
    jaccard = f"jaccard_{s.HEADLINE_K:g}"
    lines = [f"Across the {len(agreement)} pairs of importances (baselines included), ranked by their correlation "
             f"after the last task:"]
    if jaccard in agreement:
        rho = s.rank_correlation(agreement.pearson, agreement[jaccard])
        lines.append(f"- the correlation orders the pairs' top-{s.HEADLINE_K:g}% overlap with Spearman ρ = {rho:+.2f};")
    for scope in ("layer", "global"):
        if f"gap_{scope}" not in agreement:
            continue
        rho = s.rank_correlation(agreement.pearson, agreement[f"gap_{scope}"])
        alike = agreement[agreement[f"alike_{scope}"]]
        lines.append(f"- with {SCOPE_NAMES[scope]} pruning, the correlation orders the pruning gap with ρ = {rho:+.2f} "
                     f"(negative: more correlated pairs prune more alike); {len(alike)} of {len(agreement)} pairs prune "
                     f"alike within {SPREAD_MULTIPLE:g} seed standard deviations"
                     + (f" ({', '.join(_pair_name(r.method_a, r.method_b) for r in alike.itertuples())})" if len(alike) else "")
                     + ";")
    high = agreement[agreement.pearson >= s.HIGH_CORRELATION]
    exceptions = []
    for r in high.itertuples():  # one entry per pair, naming every scope in which it prunes apart
        apart = [f"{SCOPE_NAMES[scope]} gap {getattr(r, f'gap_{scope}'):.3f}" for scope in ("layer", "global")
                 if f"alike_{scope}" in agreement and not getattr(r, f"alike_{scope}")]
        if apart:
            exceptions.append(f"{_pair_name(r.method_a, r.method_b)} (r = {r.pearson:.2f}; {', '.join(apart)})")
    if not high.empty:
        lines.append(f"- pairs correlated at r ≥ {s.HIGH_CORRELATION:g} that still prune apart: "
                     f"{', '.join(exceptions) or 'none'}.")
    return Markdown("\n".join(lines))


# --------------------------------------------------------------------------- baselines
def baseline_table(correlations: pd.DataFrame) -> pd.DataFrame:
    """Each method's correlation with |w| and with the random control, per layer, after the last task."""
    rows = []
    for (method, layer), cells in s.baseline_summary(correlations).groupby(["method", "layer"], sort=False):
        row = {"importance": method_label(method), "layer": int(layer)}
        for cell in cells.itertuples():
            row[f"r with {method_label(cell.baseline)}"] = f"{cell.pearson_mean:.3f} ± {cell.pearson_std:.3f}"
            row[f"ρ with {method_label(cell.baseline)}"] = f"{cell.spearman_mean:.3f}"
        rows.append(row)
    return pd.DataFrame(rows)


def baseline_findings(correlations: pd.DataFrame) -> Markdown:
    lines = []
    floor = s.random_floor(correlations)
    if floor is not None:
        lines.append(f"The random control correlates with every importance at |r| ≤ {floor:.3f} "
                     f"(seed means): the floor against which an agreement is read.")
    magnitude = s.magnitude_agreement(correlations)
    if magnitude:
        parts = ", ".join(f"{method_label(m)} {' / '.join(f'{x:.2f}' for x in v)}" for m, v in magnitude.items())
        lines.append(f"Correlation with the magnitude |w| (layers 1 / 2 / 3, Pearson): {parts}.")
        strongest = max(magnitude, key=lambda m: float(magnitude[m].mean()))
        lines.append(f"{method_label(strongest)} is the closest to |w| (mean over layers "
                     f"{float(magnitude[strongest].mean()):.2f})"
                     + (" — SIG is |w| times the input activity, so part of this holds by construction."
                        if strongest == "sig" else "."))
    paper = [f"{pair_label(pair)} {float(values.mean()):.2f} (the closer of the two to |w|: "
             f"{s.closer_to_magnitude(magnitude, members):.2f})"
             for pair, values, members in s.paper_pairs_at_last(correlations)]
    if paper:
        above = s.pairs_above_magnitude(correlations, magnitude)
        lines.append("The paper's pairs, mean over layers: " + "; ".join(paper) + ". "
                     + f"{len(above)} of the paper's pairs agree with each other more than either member agrees with |w|"
                     + (f" ({', '.join(pair_label(p) for p in above)})." if above else "."))
    return Markdown("\n\n".join(lines))


# --------------------------------------------------------------------------- unit structure
def structure_findings(structure: pd.DataFrame) -> Markdown:
    shares = s.structure_range(structure)
    parts = ", ".join(f"{side_label(r.method)} {r.min:.2f}–{r.max:.2f}" for r in shares.itertuples())
    close = [side_label(m) for m in shares.loc[shares.close, "method"]]
    return Markdown(
        f"Share of each importance's variation (around its mean) that the best row × column product explains, "
        f"lowest–highest over the layers, after the last task: {parts}. "
        + (f"At least {s.MOST:g} on every layer: {', '.join(close)}." if close
           else f"No importance reaches {s.MOST:g} on every layer.")
    )


def unit_share_table(share: pd.DataFrame) -> pd.DataFrame:
    """The split of each (pair, layer) correlation into rank-1 parts and residuals; a correlation too weak to split
    (the text says so) shows no share: a share of a near-zero covariance is noise (it ran to −118 %)."""
    weak = [s.unit_share_reading(r.pearson, r.rank1_share, r.pearson_residual) == s.TOO_WEAK
            for r in share.itertuples()]
    return pd.DataFrame({
        "pair": share.pair.map(pair_label),
        "layer": share.layer.astype(int),
        "observed r": share.pearson.map("{:.2f}".format),
        "r of the rank-1 fits": share.pearson_rank1.map("{:.2f}".format),
        "r of the residuals": share.pearson_residual.map("{:.2f}".format),
        "covariance in the rank-1 parts": ["– (r too weak to split)" if w else f"{v:.0%}"
                                           for w, v in zip(weak, share.rank1_share)],
    })


#: How each reading of :func:`paper_code.analysis.summaries.unit_share_reading` is written on the page.
READING_WORDS = {
    s.UNIT_ONLY: "unit structure",
    s.UNIT_AND_WEIGHTS: "unit structure, and weight by weight as well",
    s.MOSTLY_BEYOND: "mostly beyond unit structure",
    s.PARTLY_UNIT: "partly unit structure",
}


def _explanation(row) -> str:
    reading = s.unit_share_reading(row.pearson, row.rank1_share, row.pearson_residual)
    if reading == s.TOO_WEAK:
        return f"r = {row.pearson:.2f}, too weak to split"
    return (f"r = {row.pearson:.2f}, {row.rank1_share:.0%} of the covariance in the rank-1 parts, residuals "
            f"r = {row.pearson_residual:.2f}: **{READING_WORDS[reading]}**")


def unit_share_findings(share: pd.DataFrame) -> Markdown:
    """Pair by pair and layer by layer: how much of the agreement the row × column structure carries."""
    lines = []
    for pair in share.pair.unique():
        rows = share[share.pair == pair]
        parts = "; ".join(f"layer {int(r.layer)}: {_explanation(r)}" for r in rows.itertuples())
        lines.append(f"- **{pair_label(pair)}** — {parts}.")
    cells = s.unit_share_counts(share)
    strong, carried, only, beyond = cells["strong"], cells["carried"], cells["only"], cells["beyond"]
    summary = ""
    if len(strong):
        summary = (f"\n\nOf the {len(strong)} (pair, layer) cells with |r| ≥ {s.WEAK_CORRELATION:g}, the rank-1 parts "
                   f"carry at least {s.MOST:.0%} of the covariance in {len(carried)}; in {len(only)} of these the "
                   f"residuals correlate below {s.RESIDUAL_AGREEMENT:g}, so the agreement there is the unit structure "
                   "and little else. "
                   + (f"The residuals agree (r ≥ {s.RESIDUAL_AGREEMENT:g}) in {len(beyond)} cells: "
                      + ", ".join(f"{pair_label(r.pair)} layer {int(r.layer)}" for r in beyond.itertuples())
                      + ": there the two importances agree weight by weight, beyond their units." if len(beyond)
                      else "In no cell do the residuals agree: unit structure is all the agreement there is."))
    return Markdown("\n".join(lines) + summary)


# --------------------------------------------------------------------------- against eqs. (2)-(3)
def _paired(mean: float, half_width: float) -> str:
    return f"{mean:+.3f}" if pd.isna(half_width) else f"{mean:+.3f} ± {half_width:.3f}"


def eq23_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """One row per importance and layer: r of each description (seed means), and the per-sample reading's lead
    over the rank-1 fit, paired by seed."""
    return pd.DataFrame({
        "importance": comparison.method.map(method_label),
        "layer": comparison.layer,
        "eqs. (2)–(3) summed": comparison.summed.map("{:.3f}".format),
        "eqs. (2)–(3) per sample": comparison.per_sample.map("{:.3f}".format),
        "rank-1 fit": comparison.rank1.map("{:.3f}".format),
        "per sample − rank-1 (95 %)": [_paired(m, h) for m, h in
                                       zip(comparison.per_sample_minus_rank1, comparison.per_sample_minus_rank1_ci)],
    })


def _by_layer(values) -> str:
    return "/".join(f"{v:.2f}" for v in values)


def eq23_findings(comparison: pd.DataFrame) -> Markdown:
    """What each description reproduces, read from :func:`paper_code.analysis.summaries.eq23_comparison`."""
    if comparison.empty:
        return Markdown("The runs did not compute both FIS and MAS, so eqs. (2)–(3) cannot be checked.")
    seeds = int(comparison.seeds.min())
    numbers = sorted(comparison.layer.unique())
    layers = ("layers " if len(numbers) > 1 else "layer ") + "/".join(str(layer) for layer in numbers)
    lines = []
    for method, rows in comparison.groupby("method", sort=False):
        rows = rows.sort_values("layer")
        ahead = [r.layer for r in rows.itertuples() if above_zero(r.per_sample_minus_rank1, r.per_sample_minus_rank1_ci)]
        behind = [r.layer for r in rows.itertuples()
                  if not reaches_zero_from_below(r.per_sample_minus_rank1, r.per_sample_minus_rank1_ci)]
        fit_ahead = [r.layer for r in rows.itertuples() if above_zero(r.rank1_minus_summed, r.rank1_minus_summed_ci)]
        verdict = (f"measurably closer than the rank-1 fit on {_layers(ahead, len(rows))}" if ahead else
                   "not measurably closer than the rank-1 fit on any layer")
        if behind:
            verdict += f", measurably further on {_layers(behind, len(rows))}"
        lines.append(
            f"- **{method_label(method)}** ({layers}): the per-sample reading reproduces it at "
            f"r = {_by_layer(rows.per_sample)}, {verdict}; the rank-1 fit at r = {_by_layer(rows.rank1)}, "
            f"measurably closer than the summed reading (r = {_by_layer(rows.summed)}) on "
            f"{_layers(fit_ahead, len(rows))}.")
    return Markdown(f"After the last task, on each task's own importances ({plural(seeds, 'seed')}, differences "
                    "paired by seed with 95 % intervals):\n\n" + "\n".join(lines))


def _layers(layers: list[int], total: int) -> str:
    if not layers:
        return "no layer"
    if len(layers) == total:
        return "every layer"
    return plural(len(layers), "layer") + " (" + ", ".join(str(layer) for layer in layers) + ")"
