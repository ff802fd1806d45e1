"""Helpers shared by the subcommands: reading user files, printing, JSON output.

Everything here turns a problem with a user's file into an
:class:`~lacv.errors.InputError` that names the file, which ``lacv.cli.main``
prints as one line and exits with status 2.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click
import numpy as np

from lacv._fileio import atomic_write
from lacv.errors import InputError

__all__ = ["echo_json", "json_ready", "read_matrix_file", "write_json"]


def read_matrix_file(path: str | Path, name: str) -> np.ndarray:
    """Read a numeric matrix from ``.npy``, or from CSV / whitespace-separated text.

    Text files may use commas, semicolons, tabs or spaces; lines starting with
    ``#`` are comments, and one header row of non-numbers is skipped.

    Raises
    ------
    InputError
        The file is missing, unreadable, empty, ragged or not numeric; the
        message names ``name`` and the path.
    """
    p = Path(path)
    label = f"{name} ({str(p)!r})"
    if not p.exists():
        raise InputError(f"{label}: no such file")
    if p.is_dir():
        raise InputError(f"{label}: is a folder, expected a file")
    if p.suffix.lower() == ".npy":
        try:
            arr = np.load(p, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise InputError(f"{label}: not a readable .npy file ({exc})") from None
        if arr.dtype.kind not in "biuf":
            raise InputError(f"{label}: expected numbers, found dtype {arr.dtype}")
        return np.asarray(arr, dtype=np.float64)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{label}: not a text file (expected CSV or .npy)") from None
    except OSError as exc:
        raise InputError(f"{label}: cannot be read ({exc.strerror})") from None
    rows: list[list[float]] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        for sep in (",", ";", "\t"):
            line = line.replace(sep, " ")
        fields = line.split()
        try:
            rows.append([float(f) for f in fields])
        except ValueError:
            if not rows and not any(_is_number(f) for f in fields):
                continue  # a header row
            bad = next(f for f in fields if not _is_number(f))
            raise InputError(f"{label}: line {lineno}: {bad!r} is not a number") from None
    if not rows:
        raise InputError(f"{label}: contains no numbers")
    widths = {len(r) for r in rows}
    if len(widths) > 1:
        raise InputError(f"{label}: rows have different numbers of columns {sorted(widths)}")
    arr = np.array(rows, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise InputError(f"{label}: non-finite value at row {where[0] + 1}, column {where[1] + 1}")
    return arr


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def json_ready(value: Any) -> Any:
    """Convert arrays, NumPy scalars and non-finite floats to JSON-ready values."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_ready(value.tolist())
    if isinstance(value, np.generic):
        return json_ready(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, Path):
        return str(value)
    return value


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    click.echo(json.dumps(json_ready(data), indent=2))


def write_json(path: str | Path, data: Any) -> Path:
    """Write ``data`` as JSON atomically."""
    text = json.dumps(json_ready(data), indent=2) + "\n"
    return atomic_write(path, lambda fh: fh.write(text))
