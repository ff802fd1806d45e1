"""Atomic file output shared by every writer in lacv.

Outputs are written to a temporary file in the destination folder and renamed
over the destination only once complete, so a crash or an error never leaves a
partial file, and a reader never sees one. :func:`check_not_input` refuses to
write over a file the same run read from.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from lacv._validate import describe
from lacv.errors import InputError

__all__ = ["atomic_path", "atomic_write", "check_not_input"]


def check_not_input(path: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]],
                    name: str = "output") -> Path:
    """Raise :class:`InputError` when ``path`` is one of ``inputs`` (same file on disk)."""
    out = Path(path)
    for item in inputs:
        src = Path(item)
        same = out.resolve() == src.resolve()
        if not same and out.exists() and src.exists():
            with contextlib.suppress(OSError):
                same = os.path.samefile(out, src)
        if same:
            raise InputError(f"{name}: refusing to overwrite the input file {str(src)!r}")
    return out


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    The temporary file keeps ``path``'s suffix (or ``suffix``) so writers that
    choose a format from the extension (OpenCV, matplotlib, NumPy) still work.
    On any exception the temporary file is removed and ``path`` is untouched.
    """
    dest = _as_path(path)
    folder = dest.parent if str(dest.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{name_of(dest)}: the folder {str(folder)!r} does not exist")
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{dest.name}.", suffix=suffix if suffix is not None else dest.suffix,
        dir=folder,
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp makes 0600 files; give the output the mode a plain open() would
        # (or keep the mode of the file it replaces)
        try:
            mode = dest.stat().st_mode & 0o7777
        except OSError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _as_path(path: Any) -> Path:
    """``Path(path)`` for a str or path-like; Path(None) raised a raw TypeError."""
    if not isinstance(path, (str, os.PathLike)) or (isinstance(path, str) and not path):
        raise InputError(f"path: expected a file path, got {describe(path)}")
    return Path(path)


def name_of(path: Path) -> str:
    return f"output {str(path)!r}"


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[Any]], None], *,
                 binary: bool = False) -> Path:
    """Write a file atomically: ``write(fileobj)`` fills a temporary file that is then renamed."""
    dest = _as_path(path)
    with atomic_path(dest) as tmp:
        mode = "wb" if binary else "w"
        kwargs: dict[str, Any] = {} if binary else {"encoding": "utf-8", "newline": "\n"}
        with open(tmp, mode, **kwargs) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
    return dest
