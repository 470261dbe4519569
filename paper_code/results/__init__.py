"""The results folder: its format (:mod:`.folder`), what a run may do with a folder it finds (:mod:`.plan`),
and the lock that keeps one writer per folder (:mod:`.lock`).

The format is the contract between an experiment and everything that reads it, so its names are
re-exported here: ``from paper_code.results import load_results, CORRELATIONS_FILE``.
"""

from paper_code.results.folder import (
    ACCURACY_COLUMNS,
    ACCURACY_FILE,
    CHECKPOINTS_DIR,
    CONFIG_FILE,
    CORRELATIONS_FILE,
    EXPLANATION_AGREEMENT_FILE,
    EXPLANATION_P_FILE,
    IMPORTANCES_DIR,
    OPTIMIZER_DIR,
    PER_TASK_CORRELATIONS_FILE,
    PERMUTATIONS_FILE,
    PRUNING_FILE,
    RESULT_ENTRIES,
    TOPK_OVERLAP_FILE,
    TRAINING_COLUMNS,
    TRAINING_FILE,
    VARIANTS_FILE,
    Results,
    load_results,
    read_csv_rows,
    read_meta,
    task_file,
    write_csv,
    write_json,
    write_tensor_file,
)

__all__ = [
    "ACCURACY_COLUMNS", "ACCURACY_FILE", "CHECKPOINTS_DIR", "CONFIG_FILE", "CORRELATIONS_FILE", "EXPLANATION_AGREEMENT_FILE",
    "EXPLANATION_P_FILE", "IMPORTANCES_DIR",
    "OPTIMIZER_DIR", "PER_TASK_CORRELATIONS_FILE", "PERMUTATIONS_FILE", "PRUNING_FILE", "RESULT_ENTRIES",
    "TOPK_OVERLAP_FILE", "TRAINING_COLUMNS", "TRAINING_FILE", "VARIANTS_FILE", "Results", "load_results", "read_csv_rows", "read_meta",
    "task_file", "write_csv", "write_json", "write_tensor_file",
]
