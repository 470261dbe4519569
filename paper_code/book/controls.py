"""Tables and sentences of "Does the importance matter?": each regularizer's gain over fine-tuning and the share
of EWC-MAS's gain each control keeps, read from :func:`paper_code.studies.controls.regularizer_comparison`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from paper_code.analysis.spread import above_zero, excludes_zero
from paper_code.book.render import Markdown
from paper_code.labels import method_label, plural, reg_label
from paper_code.locations import shown_path
from paper_code.studies.claims import EWC_METHODS
from paper_code.studies.controls import COMPARISON_SEEDS, REFERENCE_REG
from paper_code.studies.grid import Study, best_lambdas


#: How close (final accuracy) a control's whole 95 % interval against the reference must lie to zero for the page
#: to call the two equal: one point of accuracy, a few seed standard deviations of the default run.
EQUIVALENCE_MARGIN = 0.01


def _interval(mean: float, half_width: float, digits: int = 4, percent: bool = False) -> str:
    if pd.isna(mean):
        return "–"
    scale, unit = (100.0, " %") if percent else (1.0, "")
    sign = "" if percent else "+"
    text = f"{mean * scale:{sign}.{digits}f}"
    return text + ("" if pd.isna(half_width) else f" ± {half_width * scale:.{digits}f}") + unit


def _name(row, seeds: int) -> str:
    """A regularizer's name, with its seed count where it has fewer than the others."""
    return reg_label(row.reg) + ("" if row.seeds >= seeds else f" ({plural(int(row.seeds), 'seed')})")


def comparison_table(frame: pd.DataFrame, reference: str = REFERENCE_REG) -> pd.DataFrame:
    seeds = int(frame.seeds.max())
    return pd.DataFrame({
        "regularizer": [_name(r, seeds) for r in frame.itertuples()],
        "λ": [f"{r.lam:g}" if r.reg != "none" else "–" for r in frame.itertuples()],
        "final accuracy": [f"{r.accuracy_mean:.4f} ± {0.0 if pd.isna(r.accuracy_std) else r.accuracy_std:.4f}"
                           for r in frame.itertuples()],
        "forgetting": [f"{r.forgetting_mean:.4f}" for r in frame.itertuples()],
        "gain over fine-tuning": [_interval(r.gain, r.gain_ci) for r in frame.itertuples()],
        f"share of {reg_label(reference)}'s gain": ["reference" if r.reg == reference else
                                                    _interval(r.share_kept, r.share_kept_ci, 1, percent=True)
                                                    for r in frame.itertuples()],
        f"− {reg_label(reference)}": [_interval(r.versus_reference, r.versus_reference_ci)
                                      for r in frame.itertuples()],
    })


def _against_reference(row, reference: str) -> str:
    delta = _interval(row.versus_reference, row.versus_reference_ci)
    if pd.isna(row.versus_reference_ci):
        return f"against {reg_label(reference)} {delta} (one seed: no interval)"
    if not excludes_zero(row.versus_reference, row.versus_reference_ci):
        return f"not measurably different from {reg_label(reference)} ({delta})"
    side = "ahead of" if row.versus_reference > 0 else "behind"
    return f"measurably {side} {reg_label(reference)} ({delta})"


def comparison_findings(frame: pd.DataFrame, reference: str = REFERENCE_REG) -> Markdown:
    """Each regularizer's gain and share of the reference's gain, its standing against the reference, and what
    the plainest control (uniform: anchoring with no importance) says about the paper's question."""
    if frame.empty or not (frame.reg == reference).any():
        return Markdown(f"The study holds no {reg_label(reference)} trial at its selected λ, so nothing is compared.")
    rows = frame.set_index("reg", drop=False)
    base = rows.loc["none"] if "none" in rows.index else None
    ref = rows.loc[reference]
    seeds = sorted(set(frame.seeds))
    lines = [f"On {plural(int(max(seeds)), 'seed')} per regularizer"
             + (" (fewer where the table says so)" if len(seeds) > 1 else "")
             + (f", fine-tuning ends at {base.accuracy_mean:.4f} and {reg_label(reference)} at {ref.accuracy_mean:.4f}: "
                f"a gain of {_interval(ref.gain, ref.gain_ci)} (paired by seed, 95 % interval)." if base is not None else ".")]
    for group, title in (("control", "The controls"), ("importance", "The importances")):
        part = frame[(frame.group == group) & (frame.reg != reference)]
        if part.empty:
            continue
        lines.append(f"\n{title}:\n")
        for row in part.sort_values("share_kept", ascending=False).itertuples():
            beats = "above fine-tuning" if above_zero(row.gain, row.gain_ci) else "**not measurably above fine-tuning**"
            lines.append(f"- **{reg_label(row.reg)}** (λ = {row.lam:g}) keeps "
                         f"{_interval(row.share_kept, row.share_kept_ci, 1, percent=True)} of "
                         f"{reg_label(reference)}'s gain ({beats}); {_against_reference(row, reference)}.")
    lines.append("\n" + control_answer(frame, reference).text)
    return Markdown("\n".join(lines))


def control_answer(frame: pd.DataFrame, reference: str = REFERENCE_REG, lead: str = "") -> Markdown:
    """What plain anchoring keeps, set against the spread of the paper's importances: the controls' answer to
    the paper's closing question. The importance page and the discussion both give it; ``lead`` opens the
    discussion's version, which points to the page that shows it in full."""
    rows = frame.set_index("reg", drop=False)
    if "uniform" not in rows.index or reference not in rows.index:
        return Markdown(lead + "The study holds no EWC-uniform trial yet (`make controls`), so it cannot say how much of "
                        "the gain plain anchoring gives.")
    uniform = rows.loc["uniform"]
    kept = _interval(uniform.share_kept, uniform.share_kept_ci, 1, percent=True)
    paper = frame[frame.reg.isin(EWC_METHODS) & (frame.reg != reference)]
    spread = (f" The paper's other importances ({', '.join(method_label(r) for r in paper.reg)}) keep between "
              f"{paper.share_kept.min():.1%} and {paper.share_kept.max():.1%} (seed means)." if len(paper) > 1 else "")
    delta = _interval(uniform.versus_reference, uniform.versus_reference_ci)
    low = uniform.versus_reference - uniform.versus_reference_ci
    high = uniform.versus_reference + uniform.versus_reference_ci
    subject = "EWC with no importance at all, plain L2 anchoring to the previous weights,"
    name = reg_label(reference)
    if not excludes_zero(uniform.versus_reference, uniform.versus_reference_ci):
        same = max(abs(low), abs(high)) <= EQUIVALENCE_MARGIN
        verdict = (f"{subject} keeps {kept} of {name}'s gain and is not measurably behind it ({delta}): "
                   + (f"on this benchmark, anchoring alone gives what {name} gives, within "
                      f"{EQUIVALENCE_MARGIN:g} of final accuracy." if same else
                      f"the interval runs from {low:+.4f} to {high:+.4f}, wider than ±{EQUIVALENCE_MARGIN:g}, so these "
                      f"seeds cannot tell anchoring alone from {name}."))
    elif uniform.versus_reference < 0:
        verdict = (f"{subject} keeps {kept} of {name}'s gain but is measurably behind it ({delta}): the anchoring "
                   f"gives that share, {method_label(reference)}'s importance the rest.")
    else:
        verdict = f"{subject} is measurably ahead of {name} ({delta})."
    return Markdown(lead + verdict + spread)


def comparison_provenance(study: Study, comparison: pd.DataFrame) -> Markdown:
    """Where the compared trials come from, how many there are, and their compute time."""
    table = study.table
    used = table.merge(comparison[["reg", "lam"]], on=["reg", "lam"])
    used = used[used.seed.isin(set(COMPARISON_SEEDS))]
    folders = sorted({shown_path(Path(d).parent.parent) for d in table.trial_dir})
    choices = best_lambdas(table)
    chosen_on = pd.Series({reg: choice.seeds for reg, choice in choices.items()})
    edges = [f"{reg_label(reg)} (λ = {choice.lam:g})" for reg, choice in choices.items() if choice.at_edge]
    usual = int(chosen_on.mode().iloc[0]) if len(chosen_on) else 0
    others = ", ".join(f"{reg_label(reg)} {int(n)}" for reg, n in chosen_on.items() if n != usual)
    return Markdown(
        f"**Trials shown:** {plural(len(used), 'trial')} at the selected λ "
        f"({used.wall_seconds.sum() / 3600:.1f} compute-hours), from "
        + " and ".join(f"`{f}`" for f in folders)
        + f"; the λ grids that chose them hold {plural(len(table), 'trial')} in all, each λ selected on the "
        f"{plural(usual, 'seed')} every λ of its grid ran" + (f" ({others})" if others else "") + "."
        + (f" At the edge of the λ tried, so perhaps not the best: {', '.join(edges)}." if edges else ""))
