"""``lacv solve``: least squares ``Ax = b`` and the homogeneous ``Ax = 0`` from files."""

from __future__ import annotations

import warnings

import click
import numpy as np

from lacv import linalg
from lacv.cli._common import echo_json, read_matrix_file
from lacv.errors import IllConditionedWarning, InputError


@click.command()
@click.argument("a_file", metavar="A", type=click.Path(dir_okay=False, path_type=str))
@click.argument("b_file", metavar="[B]", required=False,
                type=click.Path(dir_okay=False, path_type=str))
@click.option("--homogeneous", is_flag=True, help="Solve Ax = 0 (unit x minimising |Ax|).")
@click.option("--method", type=click.Choice(["svd", "qr", "normal", "eig"]), default=None,
              help="svd (default), qr or normal for Ax = b; svd (default) or eig for Ax = 0.")
@click.option("--rcond", type=float, default=None,
              help="Relative cut-off for small singular values.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def solve(a_file: str, b_file: str | None, homogeneous: bool, method: str | None,
          rcond: float | None, as_json: bool) -> None:
    """Solve Ax = b in the least-squares sense, or Ax = 0 with --homogeneous.

    A and B are CSV / text files (commas or spaces) or .npy files; B may hold
    several right-hand sides as columns. The solution is printed with the
    diagnostics of the SVD of A.

    \b
    Examples:
      lacv solve A.csv b.csv
      lacv solve --homogeneous A.csv --json
    """
    A = read_matrix_file(a_file, "A")
    if A.ndim == 1:
        A = A[np.newaxis, :]
    if homogeneous:
        if b_file is not None:
            raise InputError("B: not used with --homogeneous (Ax = 0 has no right-hand side)")
        method = method or "svd"
        if method not in ("svd", "eig"):
            raise InputError(
                f"--method: expected 'svd' or 'eig' with --homogeneous, got {method!r}")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", IllConditionedWarning)
            result = linalg.solve_homogeneous(A, method=method)  # type: ignore[arg-type]
        report = linalg.svd_report(A)
        data = {
            "problem": "Ax = 0",
            "method": result.method,
            "x": result.x,
            "residual": result.residual,
            "nullity": result.nullity,
            "unique": result.unique,
            "warnings": [str(w.message) for w in caught],
            "svd": report.to_dict(),
        }
    else:
        if b_file is None:
            raise InputError("B: missing; give a file for b, or --homogeneous to solve Ax = 0")
        b = read_matrix_file(b_file, "B")
        if b.ndim == 2 and b.shape[1] == 1:
            b = b[:, 0]
        elif b.ndim == 2 and b.shape[0] == 1 and b.shape[1] == A.shape[0] and A.shape[0] > 1:
            b = b[0]  # a single row: b written on one line
        if b.shape[0] != A.shape[0]:
            raise InputError(f"B ({b_file!r}): has {b.shape[0]} rows, but A ({a_file!r}) has "
                             f"{A.shape[0]}; they must match")
        method = method or "svd"
        if method == "eig":
            raise InputError("--method: 'eig' applies to --homogeneous only; use svd, qr or normal")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", IllConditionedWarning)
            result_ls = linalg.solve_least_squares(A, b, method=method, rcond=rcond)  # type: ignore[arg-type]
        report = linalg.svd_report(A)
        data = {
            "problem": "Ax = b (least squares)",
            "method": result_ls.method,
            "x": result_ls.x,
            "residual_norm": result_ls.residual_norm,
            "rank": result_ls.rank,
            "condition_number": result_ls.condition_number,
            "unique": result_ls.unique,
            "warnings": [str(w.message) for w in caught],
            "svd": report.to_dict(),
        }
    if as_json:
        echo_json(data)
        return
    click.echo(f"{data['problem']} — {A.shape[0]}×{A.shape[1]} system, method {data['method']}")
    x = np.asarray(data["x"])
    click.echo("x =")
    click.echo(np.array2string(x, precision=8, suppress_small=False, separator=", ",
                               max_line_width=100))
    if homogeneous:
        click.echo(f"|Ax| = {data['residual']:.6g}   (x is a unit vector, sign fixed)")
    else:
        norm = np.asarray(data["residual_norm"])
        click.echo(f"|Ax - b| = {np.array2string(norm, precision=6)}")
    for w in data["warnings"]:
        click.echo(f"warning: {w}")
    click.echo()
    click.echo(str(report))
