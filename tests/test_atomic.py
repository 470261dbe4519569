"""Atomic writes: the old file or the new one, never half, and the mode a plain open() gives."""

from __future__ import annotations

import os
import stat

import pytest

from paper_code.atomic import write_bytes_atomically


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_an_atomic_write_gets_the_mode_of_a_plain_open(tmp_path, umask):
    previous = os.umask(umask)
    try:
        plain = tmp_path / "plain.csv"
        plain.write_bytes(b"a\n")
        write_bytes_atomically(tmp_path / "atomic.csv", b"a\n")
    finally:
        os.umask(previous)
    mode = stat.S_IMODE((tmp_path / "atomic.csv").stat().st_mode)
    assert mode == stat.S_IMODE(plain.stat().st_mode) == 0o666 & ~umask


def test_an_atomic_write_replaces_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "sub" / "x.json"
    write_bytes_atomically(target, b"old")
    write_bytes_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["x.json"]
