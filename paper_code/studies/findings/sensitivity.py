"""The findings of "What would it take?": each choice the paper leaves open, varied alone around the default, and
what it does to the key numbers the paper's correlation claims turn on.

A key number (:data:`~paper_code.studies.sensitivity.KEY_NUMBERS`) is computed on each seed's own correlation
table and then averaged over the seeds, so "MAS–FIS, each seed's lowest cell" is the mean of every seed's lowest
MAS–FIS, a different statistic from a grade's worst cell, the lowest cell of the seed-mean surface. The record
keeps both for the default (``surface``: every key number computed on the seed-mean table), so a page can name
each one for what it is.

A variant's change from the default is paired by seed, over the tasks the variant can move
(:func:`~paper_code.studies.sensitivity.first_movable_task`), as the mean of variant − default with the half-width
of its 95 % interval (Student's t); whether a variant meets the paper is judged on its mean over every task.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from paper_code.analysis.spread import paired_interval
from paper_code.labels import variant_label
from paper_code.locations import STUDY_DIR
from paper_code.studies.claims import CLAIMS_BY_ID, SIG_INPUT_AT_LEAST
from paper_code.studies.findings.sections import CLAIM_PAGES
from paper_code.studies.grid import DEFAULT_REG, GRID_DIR, best_lambdas, load_study
from paper_code.studies.sensitivity import (
    KEY_NUMBERS,
    KeyNumber,
    KEY_NUMBERS_FILE,
    MEASUREMENT_VARIANTS,
    VARIANT_CHOICES,
    first_movable_task,
    key_numbers,
    read_key_numbers,
    summary,
    toward_paper,
)

#: The claim each key number is the number of.
KEY_CLAIMS: dict[str, str] = {
    "min_mas_fis": "3.1-mas-fis", "fis_mas2_excess": "3.1-fis-mas2", "min_mas_si": "3.2-mas-si",
    "min_fis_si": "3.4-fis-si",
    "mas_sig_layer1": "3.3-mas-sig-input", "mas_sig_layer3": "3.3-mas-sig-output",
    "fis_sig_layer1": "3.5-fis-sig-input", "fis_sig_layer3": "3.5-fis-sig-output",
    "si_sig_layer1": "3.6-si-sig-input", "si_sig_layer3": "3.6-si-sig-output",
}
#: How each variant is named on the page (a λ variant: "λ = 10").
VARIANT_NAMES: dict[str, str] = {
    "default": "default", "per_task": "per-task", "mas_logits": "MAS on logits", "all_rows": "all rows",
    "biases": "biases", "optimizer_reset": "Adam reset", "si_task": "SI task gradient",
}
#: The one choice each variant changes, with the default's beside it.
CHOICES: dict[str, str] = {
    "default": "the library's defaults: one Adam, MAS on the softmax, the last 5,000 rows, weights only, summed",
    "per_task": "each task's own importances, instead of their sum over the tasks learned",
    "mas_logits": "MAS on the logits, instead of the softmax output",
    "all_rows": "importances over all 60,000 training rows, instead of the last 5,000",
    "biases": "biases appended to the correlated vectors, instead of the weights alone",
    "optimizer_reset": "a fresh Adam optimizer at every task, instead of one for the whole sequence",
    "si_task": "SI's path integral with the task loss's gradient (Zenke et al.), instead of the penalised loss's",
}
#: Where each key number's paper condition puts its threshold, and the comparison.
CONDITIONS: dict[str, tuple[float, str]] = {"> 0.8": (0.8, ">"), "> 0": (0.0, ">"), "> 0.75": (0.75, ">"),
                                            "about 0.6 (≥ 0.4)": (SIG_INPUT_AT_LEAST, "≥"), "< 0": (0.0, "<")}


def variant_key(variant: str) -> str:
    """A variant's key in the record: letters, digits and underscores ("lambda=10" -> "lambda_10"), so a page can
    name it in a dotted path."""
    return variant.replace("=", "_").replace(".", "_")


def _value(mean: float, half: float, seeds: int, **extra: Any) -> dict[str, Any] | None:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return None
    return {"mean": mean, "half": half, "seeds": int(seeds), **extra}


def _interval(values: pd.Series, **extra: Any) -> dict[str, Any] | None:
    mean, half, n = paired_interval(values.dropna())
    return _value(mean, half, n, **extra)


def surface_numbers(correlations: pd.DataFrame) -> dict[str, float]:
    """Every key number computed once on the seed-mean table (each cell averaged over the seeds first): for a
    "lowest" number, the lowest cell of the seed-mean surface, which is what a grade's worst cell is."""
    keys = ["pair", "layer", "task"]
    means = correlations.groupby(keys, as_index=False)["pearson"].mean()
    return key_numbers(means)


def sensitivity_record(numbers: pd.DataFrame, lam: float, lambda_seeds: list[int],
                       surface: dict[str, float] | None = None) -> dict[str, Any]:
    """Everything the page states, from the key-number table (``variant, key, seed, from_task, value, paired``,
    :func:`~paper_code.studies.sensitivity.key_number_table`); ``lam`` and ``lambda_seeds``: the default's λ and
    the seeds it was chosen on; ``surface``: the default's key numbers on its seed-mean table
    (:func:`surface_numbers`)."""
    if "from_task" not in numbers:
        numbers = numbers.assign(from_task=1)
    frame = summary(numbers)
    whole = numbers[numbers.from_task == 1]
    variants = [v for v in dict.fromkeys(frame.variant) if v != "default"]
    present = [number for number in KEY_NUMBERS if (numbers.key == number.key).any()]
    record_numbers: dict[str, dict[str, Any]] = {}
    record_variants: dict[str, dict[str, Any]] = {}
    for variant in ["default", *variants]:
        rows = whole[whole.variant == variant]
        seeds = sorted(int(s) for s in rows.seed.unique())
        cells = frame[frame.variant == variant].set_index("key", drop=False)
        entry: dict[str, Any] = {
            "name": VARIANT_NAMES.get(variant, variant_label(variant)), "seeds": seeds,
            "choice": CHOICES.get(variant, VARIANT_CHOICES.get(
                variant, f"EWC strength λ = {variant.split('=', 1)[-1]}, instead of {lam:g}")),
            "group": "default" if variant == "default" else "measured" if variant in MEASUREMENT_VARIANTS
            else "trained",
            "paired": variant == "default" or not bool(cells.unpaired.all()),
            "from_task": 1 if variant == "default" else int(numbers[numbers.variant == variant].from_task.max()),
            "numbers": {},
        }
        for number in present:
            values = rows[rows.key == number.key].set_index("seed").value
            row = cells.loc[number.key] if number.key in cells.index else None
            value = _interval(values)
            found: dict[str, Any] = {
                "value": value,
                "low": None if value is None else float(values.min()),
                "meets": None if value is None else bool(number.holds(value["mean"])),
            }
            if variant != "default":
                change = None
                if row is not None and not pd.isna(row["change"]):
                    change = _value(float(row["change"]), float(row["change_ci"]),
                                    _paired_seeds(numbers, variant, number.key), signed=True)
                found["change"] = change
                found["unchanged"] = change is not None and change["mean"] == 0 and (change["half"] or 0) == 0
                found["measurable"] = (change is not None and change["half"] is not None
                                       and abs(change["mean"]) > change["half"])
                found["toward"] = None if row is None else toward_paper(row)
            entry["numbers"][number.key] = found
        record_variants[variant_key(variant)] = entry
    default = record_variants["default"]["numbers"]
    for number in present:
        threshold, op = CONDITIONS[number.paper]
        claim = CLAIMS_BY_ID[KEY_CLAIMS[number.key]]
        base = default[number.key]
        measured = {v: record_variants[variant_key(v)]["numbers"][number.key] for v in variants}
        computed = {v: n for v, n in measured.items() if n["value"] is not None}
        toward = {v: n for v, n in computed.items() if n.get("toward") and n["change"] is not None}
        furthest = max(toward, key=lambda v: abs(toward[v]["change"]["mean"])) if toward else None
        closest = max(computed, key=lambda v: _margin(computed[v]["value"]["mean"], threshold, op)) if computed else None
        record_numbers[number.key] = {
            "section": number.claim, "label": number.label, "paper": number.paper, "threshold": threshold, "op": op,
            "statement": claim.statement, "page": CLAIM_PAGES[claim.section],
            "default": base["value"], "default_meets": base["meets"],
            "surface": None if surface is None else surface.get(number.key),
            "met_under": [variant_key(v) for v, n in computed.items() if n["meets"]],
            "broken_under": [variant_key(v) for v, n in computed.items() if base["meets"] and not n["meets"]],
            "not_computed_under": [variant_key(v) for v in measured if v not in computed],
            "furthest": None if furthest is None else variant_key(furthest),
            "closest": None if closest is None else variant_key(closest),
            "lowest_in_first_task": _lowest_in_first_task(numbers, number),
        }
    keys = [n.key for n in present]
    met = [k for k in keys if record_numbers[k]["default_meets"]]
    reproduced = [k for k in keys if not record_numbers[k]["default_meets"] and record_numbers[k]["met_under"]]
    return {
        "lam": lam,
        "lambda_seeds": list(lambda_seeds),
        "default_seeds": record_variants["default"]["seeds"],
        "variant_order": [variant_key(v) for v in variants],
        "measured_variants": [variant_key(v) for v in variants if v in MEASUREMENT_VARIANTS],
        "trained_variants": [variant_key(v) for v in variants if v not in MEASUREMENT_VARIANTS],
        "unpaired_variants": [variant_key(v) for v in variants if not record_variants[variant_key(v)]["paired"]],
        "variants": record_variants,
        "numbers": record_numbers,
        "met_by_default": met,
        "reproduced": reproduced,
        "never_met": [k for k in keys if k not in met and k not in reproduced],
        "broken": [k for k in keys if record_numbers[k]["broken_under"]],
        "counts": {"numbers": len(keys), "variants": len(variants), "met_by_default": len(met),
                   "reproduced": len(reproduced), "never_met": len(keys) - len(met) - len(reproduced),
                   "broken": sum(bool(record_numbers[k]["broken_under"]) for k in keys)},
    }


def _paired_seeds(numbers: pd.DataFrame, variant: str, key: str) -> int:
    """How many seeds a variant's change from the default rests on: those with a value of both, on the tasks the
    variant can move, whose runs pair with the default's."""
    scope = numbers[(numbers.key == key) & (numbers.from_task == first_movable_task(variant)) & numbers.value.notna()]
    own = scope[scope.variant == variant]
    if "paired" in own:
        own = own[own.paired.astype(bool)]
    return len(set(own.seed) & set(scope[scope.variant == "default"].seed))


def _lowest_in_first_task(numbers: pd.DataFrame, number: KeyNumber) -> bool | None:
    """Whether every default seed's lowest cell lies in task 1, below every cell of the later tasks (``None`` for a
    number that is not a lowest cell, or where the table holds no scope from task 2). Then a variant that acts from
    task 2 on, as λ does, cannot raise the number: task 1 trains as the default's."""
    if not number.lowest:
        return None
    rows = numbers[(numbers.variant == "default") & (numbers.key == number.key) & numbers.value.notna()]
    whole = rows[rows.from_task == 1].set_index("seed").value
    later = rows[rows.from_task == 2].set_index("seed").value
    if later.empty or set(whole.index) != set(later.index):
        return None
    return bool((whole < later.reindex(whole.index)).all())


def _margin(value: float, threshold: float, op: str) -> float:
    """How far ``value`` lies on the paper's side of its threshold (negative: short of it)."""
    return (value - threshold) if op in (">", "≥") else (threshold - value)


def sensitivity_records(study: Path) -> dict[str, dict[str, Any]]:
    """The record of the page, from a study folder laid out like ``study/``: its key-number table and, for the
    default's λ and seed-mean surface, its main grid."""
    grid = load_study(Path(study) / GRID_DIR.name)
    choice = best_lambdas(grid.table)[DEFAULT_REG]
    numbers = read_key_numbers(Path(study) / KEY_NUMBERS_FILE.relative_to(STUDY_DIR))
    default_seeds = sorted(int(s) for s in numbers[numbers.variant == "default"].seed.unique())
    correlations = grid.correlations(DEFAULT_REG, choice.lam)
    surface = surface_numbers(correlations[correlations.seed.isin(default_seeds)])
    return {"b7": sensitivity_record(numbers, choice.lam, list(choice.chosen_on), surface)}
