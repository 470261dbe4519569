"""The held-out design: λ chosen on seeds 0-2 only, widened at an edge, compared on seeds 3-7."""

from __future__ import annotations

import pandas as pd

from paper_code.studies.held_out import ARMS, HELD_OUT_SEEDS, SELECTION_SEEDS, held_out_configs, selection, \
    selection_configs, widening_configs


def table(rows):
    return pd.DataFrame([dict(reg=r, lam=lam, seed=s, final_accuracy=a) for r, lam, s, a in rows],
                        columns=["reg", "lam", "seed", "final_accuracy"])


def test_lambda_is_chosen_on_the_selection_seeds_alone():
    arm = ARMS["fis"]
    rows = [("fis", lam, s, acc) for lam, acc in ((10.0, 0.90), (30.0, 0.93), (100.0, 0.92)) for s in SELECTION_SEEDS]
    # Held-out seeds at λ = 100 that would make it the best if they counted, and a λ lacking seed 2.
    rows += [("fis", 100.0, s, 0.99) for s in HELD_OUT_SEEDS] + [("fis", 3.0, 0, 0.99), ("fis", 3.0, 1, 0.99)]
    choice = selection(arm, table(rows))
    assert (choice.lam, choice.chosen_on, choice.at_edge) == (30.0, SELECTION_SEEDS, False)
    assert [(c.lam, c.seed) for c in held_out_configs(arm, table(rows))] == [(30.0, s) for s in HELD_OUT_SEEDS]
    assert widening_configs(arm, table(rows)) == []
    # Every λ tried, on every selection seed (the half-done λ = 3 included).
    planned = {(c.lam, c.seed) for c in selection_configs(arm, table(rows))}
    assert planned == {(lam, s) for lam in (3.0, 10.0, 30.0, 100.0) for s in SELECTION_SEEDS}


def test_a_best_lambda_at_an_edge_widens_the_grid_by_a_half_decade():
    arm = ARMS["rank1:fis"]
    rows = [("rank1:fis", lam, s, acc) for lam, acc in ((10.0, 0.90), (30.0, 0.91), (100.0, 0.95))
            for s in SELECTION_SEEDS]
    extra = widening_configs(arm, table(rows))
    assert [(c.reg, c.lam, c.seed) for c in extra] == [("rank1:fis", 300.0, s) for s in SELECTION_SEEDS]
    assert all("rank1:fis" in c.methods for c in extra)


def test_fine_tuning_has_no_lambda_and_runs_every_seed():
    arm = ARMS["none"]
    assert [(c.reg, c.lam, c.seed) for c in selection_configs(arm, table([]))] == [("none", 0.0, s) for s in
                                                                                  SELECTION_SEEDS]
    assert [c.seed for c in held_out_configs(arm, table([]))] == list(HELD_OUT_SEEDS)


def test_another_settings_arms_reuse_its_beyond_trials():
    """EWC-MAS on split MNIST at λ = 300, seeds 0-4, is a trial of study/beyond/split already: the held-out study
    reads it rather than running it again, and reads nothing of the paper's grid for that setting."""
    from paper_code.studies.held_out import reusable

    arm = ARMS["split/mas"]
    assert [p.name for p in arm.reused] == ["split"] and arm.folder.name == "split"
    assert all(reusable(arm, arm.config(300.0, seed)) for seed in range(5))
    assert not reusable(arm, arm.config(300.0, 5)) and not reusable(ARMS["mas"], arm.config(300.0, 0))


def test_the_held_out_trials_of_one_setting_do_not_mix_with_another():
    """Fine-tuning has λ = 0 in every setting: the paper's matrices must average its five held-out seeds on
    permuted MNIST (ten tasks), not those and split MNIST's five (five tasks) together."""
    from paper_code.studies.held_out import held_out_study

    for setting, tasks in (("paper", 10), ("split", 5)):
        study = held_out_study(setting=setting)
        fine_tuning = study.results("none", 0.0)
        assert [r.config.seed for r in fine_tuning] == list(HELD_OUT_SEEDS)
        assert {r.config.tasks for r in fine_tuning} == {tasks}
