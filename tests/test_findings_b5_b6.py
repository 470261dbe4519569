"""What the pages "Do they prune alike?" (b5) and "Why they agree" (b6) newly state: why random removal is one curve
under both scopes, the per-layer correlations and overlaps behind the pooled ones, and the references of the
Ω·w² figure ranked by themselves."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest
import torch

from paper_code.analysis.pruning import DEFAULT_FRACTIONS, RemovalOrder
from paper_code.analysis.trained import weight_name
from paper_code.importance.random_control import random_importance
from paper_code.model import LAYER_SIZES
from paper_code.studies.findings import read_record
from paper_code.studies.findings.pruning import pruning_record, random_scopes

SEEDS = (0, 1, 2)


def paper_random_control(seed: int, task: int) -> dict[str, torch.Tensor]:
    """The random control of the paper's network, weight matrices only."""
    shapes = {}
    for layer in range(1, len(LAYER_SIZES)):
        shapes[weight_name(layer)] = torch.Size((LAYER_SIZES[layer], LAYER_SIZES[layer - 1]))
        shapes[f"fc{layer}.bias"] = torch.Size((LAYER_SIZES[layer],))
    control = random_importance(shapes, seed, task)
    return {name: value for name, value in control.items() if name.endswith("weight")}


@pytest.mark.parametrize("seed", [0, 3])
def test_random_removal_takes_the_same_weights_under_both_scopes(seed):
    # Each layer's values are rank / n, evenly spread over (0, 1]: ranked together, the lowest fraction of all the
    # weights is that fraction of every layer, the weights the layer-wise ranking removes.
    control = paper_random_control(seed, task=10)
    layer, pooled = RemovalOrder(control, "layer"), RemovalOrder(control, "global")
    for fraction in DEFAULT_FRACTIONS:
        by_layer, together = layer.masks(fraction), pooled.masks(fraction)
        for name in control:
            assert torch.equal(by_layer[name], together[name]), (fraction, name)


def test_an_importance_not_spread_evenly_per_layer_prunes_differently_by_scope():
    # The identity is the random control's: another importance (here one layer scaled up) shifts the removals.
    control = paper_random_control(0, task=10)
    scaled = {name: value * (10.0 if name == weight_name(1) else 1.0) for name, value in control.items()}
    layer, pooled = RemovalOrder(scaled, "layer").masks(0.5), RemovalOrder(scaled, "global").masks(0.5)
    assert not all(torch.equal(layer[name], pooled[name]) for name in scaled)


def pruning_rows(random_shift: float = 0.0) -> pd.DataFrame:
    """Random removal and two importances at one fraction, both scopes, both rankings; ``random_shift`` moves random
    removal's global accuracy."""
    rows = []
    for scope in ("layer", "global"):
        for ranking in ("importance", "saliency"):
            for method, base in (("random", 0.5), ("magnitude", 0.8), ("fis", 0.4), ("mas", 0.45), ("sig", 0.7)):
                for seed in SEEDS:
                    value = base + 0.01 * seed + (random_shift if (method, scope) == ("random", "global") else 0.0)
                    for fraction, accuracy in ((0.0, 0.95), (0.5, value)):
                        for task in (1, 2):
                            rows.append(dict(seed=seed, method=method, ranking=ranking, scope=scope, fraction=fraction,
                                             after_task=2, removed=0, task=task, accuracy=accuracy))
    return pd.DataFrame(rows)


def test_random_scopes_reads_whether_random_removal_is_one_curve():
    same = random_scopes(pruning_rows())
    assert same == {"largest_difference": 0.0, "whole_per_layer": True}  # 0.5 of every paper layer is whole
    assert random_scopes(pruning_rows(0.03))["largest_difference"] == pytest.approx(0.03)
    one_scope = pruning_rows()
    assert random_scopes(one_scope[one_scope.scope == "layer"]) is None


#: Pearson r on layers 1, 2, 3 (every seed alike) and top-10 % Jaccard per layer: SIG with FIS and MAS positive on
#: the middle layer, negative on the last, as on the committed study.
PAIRS = {"mas_fis": ((0.9, 0.9, 0.9), (0.6, 0.6, 0.6)),
         "fis_sig": ((0.1, 0.4, -0.2), (0.08, 0.15, 0.01)), "mas_sig": ((0.15, 0.35, -0.1), (0.09, 0.16, 0.02)),
         "sig_magnitude": ((0.7, 0.8, 0.9), (0.4, 0.4, 0.4)),
         "fis_magnitude": ((-0.05, -0.05, -0.3), (0.03, 0.03, 0.001)),
         "mas_magnitude": ((-0.1, -0.02, -0.25), (0.04, 0.02, 0.002)),
         "fis_random": ((0.0, 0.0, 0.0), (0.05, 0.05, 0.05)), "mas_random": ((0.0, 0.0, 0.0), (0.05, 0.05, 0.05)),
         "sig_random": ((0.0, 0.0, 0.0), (0.05, 0.05, 0.05)), "magnitude_random": ((0.0, 0.0, 0.0), (0.05, 0.05, 0.05))}
ORDER = ("fis", "mas", "sig", "magnitude", "random")


def analysis() -> SimpleNamespace:
    correlations = [dict(seed=s, pair=pair, layer=layer, task=2, pearson=rs[layer - 1], spearman=rs[layer - 1])
                    for pair, (rs, _) in PAIRS.items() for s in SEEDS for layer in (1, 2, 3)]
    # A squared side (FIS–MAS²) is no method pair: it must not enter the per-layer values.
    correlations += [dict(seed=s, pair="fis_mas2", layer=layer, task=2, pearson=-1.0, spearman=-1.0)
                     for s in SEEDS for layer in (1, 2, 3)]
    overlap = []
    for pair, (_, js) in PAIRS.items():
        a, b = sorted(pair.split("_"), key=ORDER.index)
        overlap += [dict(seed=s, method_a=a, method_b=b, layer=layer, k=k, jaccard=js[layer - 1] if k == 10.0 else 0.5)
                    for s in SEEDS for layer in (1, 2, 3) for k in (1.0, 10.0)]
    return SimpleNamespace(seeds=list(SEEDS), key="hand", config=SimpleNamespace(tasks=2, epochs=1, reg="mas", lam=3.0),
                           runs=pd.DataFrame(dict(seed=list(SEEDS), final_accuracy=[0.95, 0.95, 0.95])),
                           pruning=pruning_rows(), correlations=pd.DataFrame(correlations),
                           topk_overlap=pd.DataFrame(overlap))


def test_the_pruning_record_gives_each_layer_beside_the_mean_over_layers():
    record = pruning_record(analysis())
    agreement = record["agreement"]
    fis_sig = agreement["pairs"]["fis_sig"]
    assert fis_sig["pearson_by_layer"] == pytest.approx({"1": 0.1, "2": 0.4, "3": -0.2})
    assert fis_sig["pearson"] == pytest.approx((0.1 + 0.4 - 0.2) / 3)  # the mean over the layers the table gives
    assert fis_sig["jaccard_by_layer"] == pytest.approx({"1": 0.08, "2": 0.15, "3": 0.01})
    assert "fis_mas2" not in agreement["pairs"]
    sig = agreement["groups"]["sig_gradient"]
    # Pooled, SIG with FIS and MAS spans 0.1 to 0.133 (means of 0.1, 0.4, −0.2 and 0.15, 0.35, −0.1); per layer it is positive on layer 2 and negative on layer 3.
    assert sig["pearson"] == pytest.approx({"low": 0.1, "high": 0.4 / 3})
    expected = {"1": {"low": 0.1, "high": 0.15}, "2": {"low": 0.35, "high": 0.4}, "3": {"low": -0.2, "high": -0.1}}
    assert sig["pearson_by_layer"].keys() == expected.keys()
    assert all(sig["pearson_by_layer"][layer] == pytest.approx(span) for layer, span in expected.items())
    assert sig["jaccard_by_layer"]["3"] == pytest.approx({"low": 0.01, "high": 0.02})
    magnitude = agreement["groups"]["magnitude_gradient"]
    assert magnitude["jaccard_layer_span"] == pytest.approx({"low": 0.001, "high": 0.04})
    assert record["random_scopes"] == {"largest_difference": 0.0, "whole_per_layer": True}
    assert record["thresholds"]["moderate"] == 0.5


def test_the_committed_b5_record_separates_the_layers_the_pooled_r_mixes():
    record = read_record("b5")
    sig = record["agreement"]["groups"]["sig_gradient"]
    # The researcher's report: pooled 0.12-0.13 mixes about +0.35 on the middle layer and -0.15 on the output layer.
    assert sig["pearson_by_layer"]["2"]["low"] > 0.3 and sig["pearson_by_layer"]["3"]["high"] < 0
    for pair in record["agreement"]["pairs"].values():
        layers = pair["pearson_by_layer"].values()
        assert pair["pearson"] == pytest.approx(sum(layers) / len(layers), abs=1e-5)
    assert record["random_scopes"]["largest_difference"] == 0.0 and record["random_scopes"]["whole_per_layer"]


def test_the_saliency_figure_keeps_random_removal_and_magnitude_ranked_by_themselves():
    pytest.importorskip("plotly")
    from paper_code.figures.analysis import pruning_curves

    rows = pruning_rows()
    # Ranked by Ω·w², "random" would be a random rank times w²: give it another accuracy to tell the two apart.
    rows.loc[(rows.method == "random") & (rows.ranking == "saliency") & (rows.fraction > 0), "accuracy"] = 0.9
    figure = pruning_curves(rows, ranking="saliency")
    random_means = [list(t.y) for t in figure.data if t.name == "random"]
    assert random_means and all(y[-1] == pytest.approx(0.51) for y in random_means)  # mean of 0.50, 0.51, 0.52
    fis = [list(t.y) for t in figure.data if t.name == "FIS"]
    assert all(y[-1] == pytest.approx(0.41) for y in fis)  # an importance keeps its Ω·w² rows
