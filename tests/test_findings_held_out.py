"""The held-out record on a hand-made study: λ from seeds 0-2, numbers from seeds 3-7, shares and splits by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from paper_code.studies.findings.held_out import held_out_record
from paper_code.studies.held_out import Arm

#: Final accuracy by regularizer on the held-out seeds 3-7 (at the selected λ), and fine-tuning's.
HELD = {"none": [0.50, 0.52, 0.48, 0.50, 0.50], "mas": [0.90, 0.92, 0.88, 0.91, 0.89],
        "fis": [0.88, 0.90, 0.86, 0.89, 0.87], "uniform": [0.80, 0.82, 0.78, 0.80, 0.80],
        "rank1": [0.90, 0.92, 0.88, 0.90, 0.90], "shuffled:fis": [0.70, 0.72, 0.68, 0.70, 0.70]}


def study(tmp_path, regs, held=HELD):
    rows = []
    for reg in regs:
        lams = (0.0,) if reg == "none" else (1.0, 3.0, 10.0)
        for lam in lams:
            for seed in (0, 1, 2):  # λ = 3 is best on the selection seeds, and λ = 10 is best on no held-out seed
                rows.append(dict(reg=reg, lam=lam, seed=seed, key=f"{reg}-{lam}-{seed}", average_forgetting=0.1,
                                 final_accuracy=0.5 if reg == "none" else (0.9 if lam == 3.0 else 0.8),
                                 wall_seconds=100.0, trial_dir=f"trials/{reg}-{lam}-{seed}"))
        for seed, value in zip((3, 4, 5, 6, 7), held[reg]):
            lam = 0.0 if reg == "none" else 3.0
            rows.append(dict(reg=reg, lam=lam, seed=seed, key=f"{reg}-{lam}-{seed}", final_accuracy=value,
                             average_forgetting=0.2 if reg == "uniform" else 0.05, wall_seconds=100.0,
                             trial_dir=f"trials/{reg}-{lam}-{seed}"))
        # A held-out seed at another λ, better than all: it must not count.
        if reg != "none":
            rows.append(dict(reg=reg, lam=10.0, seed=3, key=f"{reg}-x", final_accuracy=0.99, average_forgetting=0.0,
                             wall_seconds=100.0, trial_dir="trials/x"))
    folder = tmp_path / "study" / "held_out"  # the held-out study's own folder; grid/ and controls/ are absent
    folder.mkdir(parents=True)
    pd.DataFrame(rows).to_csv(folder / "sweep.csv", index=False)
    return {reg: Arm(reg, (1.0, 3.0, 10.0), root=tmp_path / "study") for reg in regs}


def test_record_by_hand(tmp_path):
    record = held_out_record(study(tmp_path, list(HELD)))
    assert record["seeds"] == [3, 4, 5, 6, 7] and record["lambda_seeds"] == [0, 1, 2]
    r = record["regularizers"]
    assert r["mas"]["lam"] == 3.0 and r["mas"]["accuracy"]["mean"] == pytest.approx(0.90)
    # uniform: gains 0.30 of MAS's 0.40 on every seed... per seed (0.8-0.5)/(0.9-0.5) etc.
    shares = [(u - n) / (m - n) for u, n, m in zip(HELD["uniform"], HELD["none"], HELD["mas"])]
    assert r["uniform"]["share_kept"]["mean"] == pytest.approx(sum(shares) / 5)
    assert r["uniform"]["versus_reference"]["mean"] == pytest.approx(-0.10)
    assert r["uniform"]["forgetting_ratio"] == pytest.approx(4.0)
    assert r["rank1"]["versus_anchoring"]["mean"] == pytest.approx(0.10) and "versus_anchoring" not in r["uniform"]
    assert r["uniform"]["group"] == "control" and r["fis"]["group"] == "importance"
    assert r["rank1"]["equivalent"] and r["uniform"]["measurably_different"]
    # The split of FIS's gain: uniform and FIS's shuffled values, each as a share of FIS's own gain.
    fis = record["split"]["fis"]
    assert set(fis) == {"anchoring", "shuffled"}  # no rank1:fis in this study
    assert fis["shuffled"]["reg"] == "shuffled:fis"
    expected = [(s - n) / (f - n) for s, n, f in zip(HELD["shuffled:fis"], HELD["none"], HELD["fis"])]
    assert fis["shuffled"]["share"]["mean"] == pytest.approx(sum(expected) / 5)
    # What FIS's shuffled values add to anchoring, paired by seed: 0.70 - 0.80 etc., -0.10 on every seed.
    assert fis["shuffled"]["versus_anchoring"]["mean"] == pytest.approx(-0.10)
    assert "versus_anchoring" not in fis["anchoring"]
    assert record["split"]["mas"]["units"]["reg"] == "rank1"
    # MAS's controls are judged in the family of every arm against MAS; FIS's and SIG's in a second family of eight
    # declared tests, two of them finished here (FIS: uniform, shuffled), the rest counted as rejecting nothing.
    assert record["split"]["mas"]["units"]["p_holm"] == r["rank1"]["p_holm"]
    assert (record["split_compared"], record["split_done"]) == (8, 2)
    smallest = min((fis["shuffled"], fis["anchoring"]), key=lambda part: part["p_value"])
    assert smallest["p_holm"] == pytest.approx(min(1.0, 8 * smallest["p_value"]))  # Holm's first step over all eight

def test_an_unfinished_arm_is_pending_not_stated(tmp_path):
    arms = study(tmp_path, list(HELD))
    table = pd.read_csv(tmp_path / "study" / "held_out" / "sweep.csv")
    table = table[~((table.reg == "fis") & (table.seed == 7))]
    table.to_csv(tmp_path / "study" / "held_out" / "sweep.csv", index=False)
    record = held_out_record(arms)
    assert "fis" not in record["regularizers"] and record["pending"]["fis"]["held_out"] == [3, 4, 5, 6]
    assert "fis" not in record["split"]
    # FIS is still declared: the family keeps its size, and every other arm is corrected for it.
    assert (record["compared"], record["compared_done"]) == (4, 3)


def test_the_fishers_are_read_against_the_empirical_one(tmp_path):
    batched = [0.89, 0.90, 0.87, 0.88, 0.86]  # FIS's values moved by hand: +0.01, 0, +0.01, -0.01, -0.01
    held = {**HELD, "fis_batch": batched}
    arms = study(tmp_path, list(held), held)
    arms["fis_true"] = Arm("fis_true", (1.0, 3.0, 10.0), root=tmp_path / "study")  # declared, never run
    record = held_out_record(arms)
    batch = record["fishers"]["fis_batch"]
    assert set(record["fishers"]) == {"fis_batch"} and record["fishers_compared"] == 2
    assert batch["versus_source"]["mean"] == pytest.approx(0.0)
    gains = [(b - n) / (f - n) for b, n, f in zip(batched, HELD["none"], HELD["fis"])]
    assert batch["share"]["mean"] == pytest.approx(sum(gains) / 5)
    # Both chose λ = 3 on the selection seeds; the one finished Fisher spans the range of shares alone.
    assert batch["lambda_ratio"] == 1.0
    assert record["fishers_share_range"] == {"low": batch["share"]["mean"], "high": batch["share"]["mean"]}
    # One of two declared tests finished: Holm's first step doubles its p.
    assert batch["p_holm"] == pytest.approx(min(1.0, 2 * batch["p_value"])) and not batch["measurably_different"]
    # The page's table: FIS first, the true Fisher as running, the batched Fisher with its numbers.
    from paper_code.book.theory_tables import fishers_table
    lines = fishers_table(record)._repr_markdown_().splitlines()
    assert lines[2].startswith("| FIS | 3 | 0.880") and "running: no trial yet" in lines[3]
    # Paired differences +0.01, 0, +0.01, -0.01, -0.01: sd 0.01, half-width t(0.975, 4)·0.01/√5 = 0.012, well
    # inside a tenth of FIS's gain (0.038): equivalent.
    assert lines[4].startswith("| batched Fisher | 3 | 0.880") and "0.000\xa0±\xa00.012\xa0≈ |" in lines[4]


def test_a_control_is_marked_by_how_it_compares_with_its_source():
    from paper_code.book.tables import comparison_marks, marked

    def entry(equivalent, measurable, mean):
        return {"equivalent": equivalent, "measurably_different": measurable, "versus_source": {"mean": mean}}

    assert comparison_marks(entry(True, False, -0.01)) == "≈"
    assert comparison_marks(entry(False, True, -0.10)) == "↓"
    assert comparison_marks(entry(True, True, +0.005)) == "≈↑"  # a small, sure lead
    assert comparison_marks(entry(False, False, -0.02)) == ""
    assert marked("1.0", "≈") == "1.0\u00a0≈" and marked("1.0", "≈", wrap=True) == "1.0 ≈"
    assert marked("1.0", "") == "1.0"  # no mark, no trailing space
