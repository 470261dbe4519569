"""Every human name the library prints: methods, pairs, regularizers, coefficients, variants, a run.

Figures, page text and the dashboard all name things the same way because they all ask here. Nothing in
this module draws or imports plotly, so page text (:mod:`paper_code.book`) needs no plotting library.
"""

from __future__ import annotations

from paper_code.config import PAPER_HIDDEN, Config, parse_pair

#: The two correlation coefficients, as axis titles and buttons name them.
KIND_LABELS: dict[str, str] = {"pearson": "Pearson r", "spearman": "Spearman ρ"}

#: Importance methods whose printed name is not their id in upper case.
METHOD_LABELS: dict[str, str] = {"fis": "FIS", "fis_true": "true Fisher", "mas": "MAS", "si": "SI", "sig": "SIG",
                                 "magnitude": "|w|", "random": "random", "uniform": "uniform",
                                 "shuffled": "MAS shuffled", "rank1": "MAS rank-1", "fis_sample": "sampled Fisher",
                                 "fis_batch": "batched Fisher", "adam": "Adam's v", "sig_activity": "SIG's activity",
                                 "si_task": "SI (task gradient)"}
#: How a control made of another importance is printed: ``rank1:fis`` -> ``FIS rank-1``.
DERIVED_LABELS: dict[str, str] = {"shuffled": "{} shuffled", "rank1": "{} rank-1"}


def plural(count: int, noun: str) -> str:
    """``1 task``, ``2 tasks``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def method_label(name: str, power: int = 1) -> str:
    """``mas`` -> ``MAS``; ``mas`` with power 2 -> ``MAS²``."""
    control, colon, source = name.partition(":")
    if colon and control in DERIVED_LABELS:
        label = DERIVED_LABELS[control].format(method_label(source))
    else:
        label = METHOD_LABELS.get(name, name.upper())
    return label + ("²" if power == 2 else "" if power == 1 else f"^{power}")


def side_label(side: str) -> str:
    """One side of a pair id: ``mas2`` -> ``MAS²``, ``fis`` -> ``FIS``."""
    if side.endswith("2") and side[:-1] in METHOD_LABELS:
        return method_label(side[:-1], 2)
    return method_label(side)


def pair_label(pair_id: str) -> str:
    """``mas_fis`` -> ``MAS–FIS``; ``fis_mas2`` -> ``FIS–MAS²``."""
    pair = parse_pair(pair_id)
    return f"{method_label(pair.left, pair.left_power)}–{method_label(pair.right, pair.right_power)}"


def reg_label(reg: str) -> str:
    """The importance inside the EWC penalty: ``EWC-MAS``; ``none`` is fine-tuning."""
    return "fine-tuning (no penalty)" if reg == "none" else f"EWC-{method_label(reg)}"


def variant_label(variant: str) -> str:
    """A sensitivity variant: ``lambda=10`` -> ``λ = 10``, ``mas_logits`` -> ``mas logits``."""
    if variant.startswith("lambda="):
        return f"λ = {variant.split('=', 1)[1]}"
    return variant.replace("_", " ")


def describe(config: Config) -> str:
    """A run in one line: ``10 tasks × 6 epochs, EWC-MAS, λ = 3, seed 0``."""
    reg = "no penalty" if config.reg == "none" or config.lam == 0 else f"EWC-{config.reg.upper()}, λ = {config.lam:g}"
    size = "" if config.train_size == 60_000 else f", {config.train_size} training rows"
    setting = setting_label(config)
    return (f"{setting + ', ' if setting else ''}{plural(config.tasks, 'task')} × {plural(config.epochs, 'epoch')}, "
            f"{reg}, seed {config.seed}{size}")


def setting_label(config: Config) -> str:
    """What sets a run apart from the paper's stream and network (``rotated MNIST``, ``784-300-300-150-150-10``,
    ``ReLU``); empty for the paper's own."""
    parts = [] if config.stream == "permuted" else [f"{config.stream} MNIST"]
    if config.network == "conv":
        parts += ["convolutional, " + "-".join(map(str, config.hidden)) + "-10"]
    elif tuple(config.hidden) != PAPER_HIDDEN:
        parts += ["784-" + "-".join(map(str, config.hidden)) + "-10"]
    parts += ["ReLU"] if config.leaky_slope == 0 else []
    return ", ".join(parts)
