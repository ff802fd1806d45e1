"""Atomic writes: no partial files, never over an input."""

from __future__ import annotations

import pytest

from lacv._fileio import atomic_path, atomic_write, check_not_input
from lacv.errors import InputError


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    atomic_write(target, lambda fh: fh.write("new"))
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_failed_write_leaves_nothing_behind(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("precious")

    def explode(fh):
        fh.write("partial")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write(target, explode)
    assert target.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_path_keeps_suffix(tmp_path):
    with atomic_path(tmp_path / "pic.png") as tmp:
        assert tmp.suffix == ".png" and tmp.parent == tmp_path
        tmp.write_bytes(b"x")
    assert (tmp_path / "pic.png").read_bytes() == b"x"


def test_missing_folder_and_inputs(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        atomic_write(tmp_path / "nope" / "out.txt", lambda fh: fh.write("x"))
    for path in (None, 3, ""):  # Path(None): a raw TypeError (Camera.to_opencv_yaml, save, ...)
        with pytest.raises(InputError, match="path: expected a file path"):
            atomic_write(path, lambda fh: fh.write("x"))
    src = tmp_path / "in.csv"
    src.write_text("1")
    with pytest.raises(InputError, match="refusing to overwrite the input"):
        check_not_input(tmp_path / "." / "in.csv", [src])
    assert check_not_input(tmp_path / "other.csv", [src]).name == "other.csv"


def test_outputs_get_ordinary_permissions(tmp_path):
    import os

    out = tmp_path / "new.txt"
    atomic_write(out, lambda fh: fh.write("x"))
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
    out.chmod(0o640)
    atomic_write(out, lambda fh: fh.write("y"))  # replacing keeps the file's mode
    assert out.stat().st_mode & 0o777 == 0o640
