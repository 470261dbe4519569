"""The page "Reproduce this": how far rounding alone moves a run (the noise band, beside the seed band), and
how this machine's rerun of the book's configuration compares with the committed trial.

Numbers come from :mod:`paper_code.studies.noise`; this module phrases them.
"""

from __future__ import annotations

import json

import pandas as pd

from paper_code.book.render import Markdown
from paper_code.labels import KIND_LABELS, describe, pair_label
from paper_code.locations import shown_path
from paper_code.results import Results
from paper_code.studies.noise import DIFFERENCE_BAND, NoiseMembers, band_summary, noise_by_pair, reproduction_summary


def noise_findings(members: NoiseMembers, both: pd.DataFrame, accuracy: pd.DataFrame, kind: str) -> Markdown:
    """The noise band in words: the members, the spread of final accuracy, of the correlation cells, and against
    the seed band."""
    distinct = members.table[members.table.same_as == ""]
    per_seed = distinct.groupby("seed").member.count()
    seeds = ", ".join(f"seed {int(s)} ({n} distinct members)" for s, n in per_seed.items())
    twins = members.table[members.table.same_as != ""].groupby(["member", "same_as"]).seed.apply(list)
    same = "".join(f" On the machine that ran them, `{member}` gave bitwise the same run as `{twin}` (seed"
                   f"{'s' if len(seeds) > 1 else ''} {', '.join(str(int(s)) for s in seeds)}): that perturbation "
                   "changed nothing there, and the run is counted once." for (member, twin), seeds in twins.items())
    spread = "; ".join(f"seed {int(r.seed)} {r.low:.4f} to {r.high:.4f} (σ = {r.std:.4f})" for r in accuracy.itertuples())
    summary = band_summary(both)
    widest = summary["widest"]
    return Markdown(
        f"**The members:** {seeds}: the same configuration and seed on one and two torch threads, with ATen's "
        f"scalar kernels, with MKL's AVX2 kernels, with task 1's importances moved by one float32 step, and the "
        f"committed study trial computed on another machine. Nothing but rounding differs between them.{same}\n\n"
        f"**Final average accuracy** moves by rounding alone: {spread}.\n\n"
        f"**Correlation cells** ({KIND_LABELS[kind]}, {len(both)} cells: the paper's {both.pair.nunique()} pairs × "
        f"{both.layer.nunique()} layers × {both.task.nunique()} tasks learned): the rounding noise of one "
        f"cell has a median standard deviation of {summary['noise_std']:.3f}; the widest span of one seed's "
        f"members is {widest.noise_range:.3f} ({pair_label(widest.pair)} layer {int(widest.layer)} after task "
        f"{int(widest.task)}). Against the spread over the study's {summary['study_seeds']} seeds, the "
        f"median ratio of the two is {summary['ratio']:.2f}, and in {summary['half_or_more']:.0%} of the cells rounding alone "
        "moves a run by at least half as much as another seed does. A single seed's surface is one draw: read "
        "the seed band, and call a difference real only where it is larger than both."
    )


def noise_table(both: pd.DataFrame) -> pd.DataFrame:
    """Per pair: the noise bands beside the seed band (medians over its cells)."""
    frame = noise_by_pair(both)
    table = pd.DataFrame({
        "pair": frame.pair.map(pair_label),
        "rounding σ": frame.noise_std.map("{:.3f}".format),
        "widest span of one seed's members": frame.noise_range.map("{:.3f}".format),
        "seed spread σ": frame.seed_std.map("{:.3f}".format),
        "rounding / seed spread": frame.ratio.map("{:.2f}".format),
    })
    if "sampling_std" in frame and frame.sampling_std.notna().any():
        table["sampling σ"] = frame.sampling_std.map("{:.3f}".format)
    return table


def sampling_findings(summary: dict | None, kind: str, rows: int) -> Markdown:
    """The sampling band in words (:func:`paper_code.studies.noise.sampling_summary`); ``rows``: the importance
    rows each draw resamples."""
    if summary is None:
        return Markdown("The bootstrap over importance rows has not been computed here (`make noise` runs it after "
                        "the members), so this page cannot say how much of a number is the draw of rows.")
    widest = summary["widest"]
    return Markdown(
        f"**Redrawing the importance rows** ({summary['draws']} bootstrap draws of the {rows:,} rows on each of "
        f"{summary['seeds']} seeds' saved networks, {KIND_LABELS[kind]}) moves a cell by a median σ of "
        f"{summary['sampling_std']:.3f}: {summary['first']:.3f} after the first task, {summary['later']:.3f} after "
        f"the others, where each sum over tasks adds up several tasks' draws. The widest is "
        f"{pair_label(widest.pair)} layer {int(widest.layer)} after task {int(widest.task)} (σ = "
        f"{widest.sampling_std:.3f}). The sampling noise reaches the rounding noise in "
        f"{summary['over_rounding']:.0%} of the cells and the seed spread in {summary['over_seeds']:.0%}. The seed "
        "band need not contain it: every seed estimates its importances on the same rows. The grades on every "
        "results page count it, with the rounding noise, where they say how many cells lie within the noise of "
        "their threshold."
    )


def reproduction_findings(local: Results | None, committed: Results | None, repro: pd.DataFrame | None,
                          accuracy_sd: float | None, kind: str) -> Markdown:
    """This machine's rerun of the book's configuration against the committed trial."""
    if committed is None:
        return Markdown("The committed study holds no trial of this configuration, so the book shows the run "
                        "computed on this machine and there is nothing to compare it with.")
    if local is None:
        return Markdown("This build did not rerun the book's configuration on this machine.")
    difference = local.final_average_accuracy() - committed.final_average_accuracy()
    text = (f"**The rerun** of `{committed.config.key}` ({describe(committed.config)}), in "
            f"`{shown_path(local.path)}`: final average accuracy {local.final_average_accuracy():.4f} against the committed "
            f"trial's {committed.final_average_accuracy():.4f} ({difference:+.4f}")
    if accuracy_sd is not None:
        text += f"; rounding alone moves one run by σ = {accuracy_sd:.4f}, a difference of two by {accuracy_sd * 2 ** 0.5:.4f}"
    text += ")."
    if repro is not None and not repro.empty:
        counts = reproduction_summary(repro)
        largest = counts["largest"]
        text += (f" Of its {counts['cells']} correlation cells ({KIND_LABELS[kind]}), {counts['within']} differ from the committed "
                 f"trial's by no more than {DIFFERENCE_BAND:.2f} rounding-noise deviations, the band that a difference "
                 f"of two rounding draws keeps to 95 % of the time; the largest difference is "
                 f"{largest.difference:+.3f} ({pair_label(largest.pair)} layer {int(largest.layer)} after task "
                 f"{int(largest.task)}).")
    text += (" Everything else in the book shows the committed trial, so it is the same on every machine; this "
             "paragraph is the one that describes the machine that built the book.")
    return Markdown(text)


def _environment(text: str) -> str:
    settings = json.loads(text) if isinstance(text, str) and text else {}
    if "machine" in settings:
        return f"on {settings['machine']} machine"
    # Spaces around "=" let a long variable name and its value wrap in a narrow column.
    return ", ".join(f"{name} = {value}" for name, value in settings.items()) or "default kernels"


def members_table(members: NoiseMembers) -> pd.DataFrame:
    """One row per member (folders: ``study/noise/seed<k>/<member>/``, the study trial in ``study/grid``)."""
    rows = members.table.merge(members.accuracy, on=["seed", "member"], how="left")
    return pd.DataFrame({
        "seed": rows.seed.astype(int),
        "member": rows.member,
        "run with": [f"{n} thread{'s' if n > 1 else ''}, {_environment(env)}"
                     for n, env in zip(rows.threads.astype(int), rows.environment)],
        "task 1 nudged": rows.nudge.map({True: "yes", False: ""}),
        "final accuracy": [f"{a:.4f}" if twin == "" else f"= {twin}" for a, twin in zip(rows.final_accuracy, rows.same_as)],
    })
