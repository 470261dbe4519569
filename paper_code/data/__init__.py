"""The data layer: MNIST as tensors (:mod:`.mnist`), the paper's permuted-MNIST tasks (:mod:`.permuted`) and the
other task streams built from the same files (:mod:`.streams`)."""

from paper_code.data.mnist import (
    HUB_REQUIREMENT,
    N_PIXELS,
    RAW_MD5,
    HubMissingError,
    MNISTArrays,
    _NumpyOnlyUnpickler,
    default_data_root,
    ensure_mnist,
    load_mnist,
    md5_of,
    raw_folder,
    rebuild_raw_files,
)
from paper_code.data.permuted import Task, make_permutations, make_tasks

__all__ = [
    "HUB_REQUIREMENT", "N_PIXELS", "RAW_MD5", "HubMissingError", "MNISTArrays", "Task", "_NumpyOnlyUnpickler",
    "default_data_root", "ensure_mnist", "load_mnist", "make_permutations", "make_tasks", "md5_of", "raw_folder",
    "rebuild_raw_files",
]
