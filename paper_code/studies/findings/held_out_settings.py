"""Plain anchoring and MAS's unit structure beyond permuted MNIST, on held-out seeds.

On permuted MNIST uniform anchoring keeps about three quarters of EWC-MAS's gain over fine-tuning and MAS's
rank-1 fit all of it. Whether that is a fact about EWC or about permuted tasks is asked in the two settings that
change the task stream (split MNIST: five two-digit tasks; rotated MNIST: ten rotations), by the same design as
the paper's setting: each arm's λ chosen on seeds 0-2, fine-tuning, EWC-MAS, ``uniform`` and ``rank1`` compared on
seeds 3-7, paired by seed. Each control's share of MAS's own gain in that setting has its 95 % interval, its
equivalence to MAS is tested within a tenth of that gain, and its difference from MAS is one test of a declared
family (every setting's two controls) corrected by Holm's method, an unfinished arm counting as p = 1.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from paper_code.studies.findings.held_out import REFERENCE, arm_status, correct_declared, gain_parts, held_out_values, \
    own_trials
from paper_code.studies.findings.record import interval
from paper_code.studies.held_out import ARMS, Arm, arm_rows, read_table

#: What each control keeps of MAS's gain in a setting.
SETTING_CONTROLS: tuple[tuple[str, str], ...] = (("anchoring", "uniform"), ("units", "rank1"))


def setting_record(setting: str, arms: dict[str, Arm]) -> dict[str, Any]:
    """One setting: its finished arms' accuracies at their selected λ, each control's share of MAS's gain, and
    the arms still pending (with what they have)."""
    members = {arm.reg: arm for arm in arms.values() if arm.setting == setting}
    tables = {reg: read_table(arm) for reg, arm in members.items()}
    status = {reg: arm_status(arm, tables[reg]) for reg, arm in members.items()}
    done = [reg for reg in members if status[reg]["done"]]
    entry: dict[str, Any] = {
        "arms": list(members), "done": done, "pending": {reg: status[reg] for reg in members if reg not in done},
        **own_trials(pd.concat([arm_rows(members[r], tables[r]) for r in members])),
    }
    if "none" not in done or REFERENCE not in done:
        return entry
    accuracy, _ = held_out_values(members, tables, status, done)
    gain = accuracy.sub(accuracy["none"], axis=0)
    entry["seeds"] = [int(s) for s in accuracy.index]
    entry["fine_tuning"] = interval(accuracy["none"])
    entry["regularizers"] = {reg: {"lam": status[reg]["lam"], "lambdas": status[reg]["lambdas"],
                                   "accuracy": interval(accuracy[reg]), "gain": interval(gain[reg], signed=True)}
                             for reg in done if reg != "none"}
    entry["controls"] = gain_parts(REFERENCE, accuracy, gain, SETTING_CONTROLS)
    return entry


def settings_record(arms: dict[str, Arm] = ARMS) -> dict[str, Any]:
    """Every setting other than the paper's, with the controls' differences from MAS corrected as one family."""
    settings = list(dict.fromkeys(arm.setting for arm in arms.values() if arm.setting != "paper"))
    records = {setting: setting_record(setting, arms) for setting in settings}
    tests = [part for record in records.values() for part in record.get("controls", {}).values()]
    declared = len(settings) * len(SETTING_CONTROLS)
    correct_declared(tests, declared)
    return {"settings": records, "compared": declared, "compared_done": len(tests),
            "complete": all(not record["pending"] for record in records.values())}
