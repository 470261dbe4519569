"""Uniform anchoring and MAS's rank-1 fit in other settings, on a hand-made study: shares and Holm by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from paper_code.studies.findings.held_out_settings import settings_record
from paper_code.studies.held_out import Arm

#: Final accuracy on the held-out seeds 3-7 at the selected λ, by setting and regularizer.
HELD = {"split": {"none": [0.60, 0.62, 0.58, 0.60, 0.60], "mas": [0.80, 0.82, 0.78, 0.81, 0.79],
                  "uniform": [0.70, 0.71, 0.69, 0.70, 0.70], "rank1": [0.80, 0.81, 0.79, 0.80, 0.80]},
        "rotated": {"none": [0.40, 0.42, 0.38, 0.40, 0.40], "mas": [0.90, 0.91, 0.89, 0.90, 0.90],
                    "uniform": [0.85, 0.85, 0.84, 0.86, 0.85]}}


def study(tmp_path, held):
    arms = {}
    for setting, by_reg in held.items():
        rows = []
        for reg in ("none", "mas", "uniform", "rank1"):
            arms[f"{setting}/{reg}"] = Arm(reg, (1.0, 3.0, 10.0), setting, {"stream": setting},
                                           root=tmp_path / "study")
            if reg not in by_reg:
                continue  # an arm that has not started
            for lam in (0.0,) if reg == "none" else (1.0, 3.0, 10.0):
                for seed in (0, 1, 2):  # λ = 3 wins on the selection seeds
                    rows.append(dict(reg=reg, lam=lam, seed=seed, stream=setting, key=f"{setting}{reg}{lam}{seed}",
                                     final_accuracy=0.9 if lam == 3.0 else 0.7, average_forgetting=0.1,
                                     wall_seconds=60.0, trial_dir=f"trials/{reg}{lam}{seed}"))
            for seed, value in zip((3, 4, 5, 6, 7), by_reg[reg]):
                lam = 0.0 if reg == "none" else 3.0
                rows.append(dict(reg=reg, lam=lam, seed=seed, stream=setting, key=f"{setting}{reg}{lam}{seed}",
                                 final_accuracy=value, average_forgetting=0.1, wall_seconds=60.0,
                                 trial_dir=f"trials/{reg}{lam}{seed}"))
        folder = tmp_path / "study" / "held_out" / setting
        folder.mkdir(parents=True)
        pd.DataFrame(rows).to_csv(folder / "sweep.csv", index=False)
    return arms


def test_shares_of_mas_gain_in_each_setting(tmp_path):
    record = settings_record(study(tmp_path, HELD))
    split = record["settings"]["split"]
    assert split["done"] == ["none", "mas", "uniform", "rank1"] and not split["pending"]
    assert split["regularizers"]["uniform"]["lam"] == 3.0
    shares = [(u - n) / (m - n) for u, n, m in zip(HELD["split"]["uniform"], HELD["split"]["none"], HELD["split"]["mas"])]
    assert split["controls"]["anchoring"]["share"]["mean"] == pytest.approx(sum(shares) / 5)
    assert split["controls"]["anchoring"]["versus_source"]["mean"] == pytest.approx(-0.10)
    assert split["controls"]["units"]["equivalent"] and not split["controls"]["anchoring"]["equivalent"]
    # The margin: a tenth of MAS's mean gain, (0.20 + 0.20 + 0.20 + 0.21 + 0.19) / 5 / 10 = 0.020 in accuracy.
    assert split["controls"]["units"]["margin"] == pytest.approx(0.020)
    # Three of the four declared tests finished; the fourth (rotated rank-1) counts as p = 1 in Holm's family.
    assert (record["compared"], record["compared_done"], record["complete"]) == (4, 3, False)
    rotated = record["settings"]["rotated"]
    assert set(rotated["pending"]) == {"rank1"} and set(rotated["controls"]) == {"anchoring"}
    tests = [split["controls"]["anchoring"], split["controls"]["units"], rotated["controls"]["anchoring"]]
    smallest = min(tests, key=lambda t: t["p_value"])
    assert smallest["p_holm"] == pytest.approx(min(1.0, 4 * smallest["p_value"]))
    # Fine-tuning's 3 + 5 trials and each λ-regularizer's 3 λ × 3 selection seeds + 5 held-out seeds, a minute each.
    assert split["new_trials"] == 8 + 3 * 14 and split["new_hours"] == pytest.approx(50 / 60)


def test_a_setting_without_fine_tuning_states_nothing(tmp_path):
    held = {"split": {k: v for k, v in HELD["split"].items() if k != "none"}}
    record = settings_record(study(tmp_path, held))
    split = record["settings"]["split"]
    assert "controls" not in split and "none" in split["pending"] and record["compared_done"] == 0


def test_the_settings_table_reads_each_setting_and_marks_what_is_running(tmp_path):
    from paper_code.book.theory_tables import settings_table

    beyond = settings_record(study(tmp_path, HELD))
    interval = {"mean": 0.5, "half": 0.01, "seeds": 5}
    permuted = {"fine_tuning": {"accuracy": interval},
                "regularizers": {"mas": {"lam": 3.0, "accuracy": {"mean": 0.95, "half": 0.007, "seeds": 5}},
                                 "uniform": {"lam": 0.001}, "rank1": {"lam": 3.0}},
                "split": {"mas": {"anchoring": {"share": {"mean": 0.73, "half": 0.05, "seeds": 5, "percent": True},
                                                "equivalent": False, "measurably_different": True,
                                                "versus_source": {"mean": -0.13}}}},
                "beyond": beyond}
    lines = settings_table(permuted)._repr_markdown_().replace("\u00a0", " ").splitlines()[2:]
    rows = [line.split(" | ") for line in lines]
    assert [row[0].strip("| ") for row in rows] == ["permuted MNIST", "split MNIST", "rotated MNIST"]
    # Permuted MNIST: anchoring measurably behind MAS (↓) at its own λ; its rank-1 entry is absent, so pending.
    assert rows[0][3] == "73 ± 5 % ↓ (λ 0.001)" and rows[0][4].strip("| ") == "pending"
    # Split MNIST: MAS at 0.80 (sd 0.0158, half-width t(0.975, 4)·sd/√5 = 0.020), λ = 3 chosen on the selection
    # seeds; the rank-1 fit (0.80, 0.81, 0.79, 0.80, 0.80 against MAS's 0.80, 0.82, 0.78, 0.81, 0.79) is equivalent.
    assert rows[1][2] == "0.800 ± 0.020 (λ 3)" and rows[1][4].strip("| ").endswith("≈ (λ 3)")
    # Rotated MNIST has no rank-1 trial yet: its anchoring share is stated (0.45/0.50 etc., 90 %), its rank-1 is not.
    assert rows[2][3].startswith("90") and rows[2][4].strip("| ") == "pending"


def test_the_pending_section_shows_only_while_an_arm_runs(tmp_path):
    from paper_code.book.theory_tables import pending_section

    beyond = settings_record(study(tmp_path, HELD))
    running = pending_section({"pending": {}, "beyond": beyond})._repr_markdown_()
    # Rotated MNIST's rank-1 fit has no trial: the section names it and what it still needs.
    assert running.startswith("**Still running.**") and "| rotated MNIST | MAS rank-1 | no trial yet |" in running
    finished = {"pending": {}, "beyond": {"settings": {"split": {"pending": {}}, "rotated": {"pending": {}}},
                                          "complete": True}}
    assert pending_section(finished) is None
    # An arm still running on permuted MNIST is enough to show it.
    one = {"pending": {"fis": {"lam": None, "trials": 2}}, "beyond": finished["beyond"]}
    assert "| permuted MNIST | FIS | 2 trials of its λ grid |" in pending_section(one)._repr_markdown_()
