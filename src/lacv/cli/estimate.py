"""``lacv estimate``: fit a 2D transform to point correspondences from a file."""

from __future__ import annotations

import time

import click
import numpy as np

from lacv.cli._common import echo_json, read_matrix_file
from lacv.errors import InputError
from lacv.geometry import KINDS, estimate_transform
from lacv.geometry.synthetic import make_correspondences


def _read_correspondences(path: str
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None,
                                     str]:
    """(src, dst, validation rows or None, match scores or None, format) from a CSV / data file."""
    rows = read_matrix_file(path, "CORRESPONDENCES")
    if rows.ndim == 1:
        rows = rows[np.newaxis, :]
    if rows.shape[1] == 4:
        return rows[:, 0:2], rows[:, 2:4], None, None, "x1,y1,x2,y2"
    if rows.shape[1] == 5:
        return rows[:, 0:2], rows[:, 2:4], None, rows[:, 4], "x1,y1,x2,y2,score"
    if rows.shape[1] == 7:
        labels = rows[:, 6]
        if not np.all(np.isin(labels, (0.0, 1.0))):
            raise InputError(f"CORRESPONDENCES ({path!r}): the label column (7th) must be 0 "
                             "(tentative match) or 1 (validation)")
        if not (np.allclose(rows[:, 2], 1.0) and np.allclose(rows[:, 5], 1.0)):
            raise InputError(f"CORRESPONDENCES ({path!r}): 7 columns are read as "
                             "'xA yA 1 xB yB 1 label', but columns 3 and 6 are not all 1")
        fit = rows[labels == 0]
        val = rows[labels == 1]
        return (fit[:, 0:2], fit[:, 3:5], (val if len(val) else None), None,
                "xA yA 1 xB yB 1 label")
    raise InputError(f"CORRESPONDENCES ({path!r}): expected 4 columns (x1,y1,x2,y2), 5 "
                     f"(x1,y1,x2,y2,score) or 7 (xA yA 1 xB yB 1 label), got {rows.shape[1]}")


@click.command()
@click.argument("file", metavar="[CORRESPONDENCES]", required=False,
                type=click.Path(dir_okay=False, path_type=str))
@click.option("-m", "--model", "kind", type=click.Choice(list(KINDS)), default="homography",
              show_default=True, help="Transform family.")
@click.option("--robust/--no-robust", default=True, show_default=True,
              help="RANSAC (outliers expected) or least squares on all points.")
@click.option("-t", "--threshold", type=float, default=3.0, show_default=True,
              help="Inlier threshold on the transfer error, pixels (--robust).")
@click.option("--confidence", type=float, default=0.999, show_default=True,
              help="RANSAC confidence (--robust).")
@click.option("--max-trials", type=int, default=10000, show_default=True,
              help="Most RANSAC samples (--robust).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Random seed: the same seed gives the same answer.")
@click.option("--refine/--no-refine", default=True, show_default=True,
              help="Polish the model on all inliers at the end: MAGSAC++ sigma-consensus "
                   "reweighting with --robust, Levenberg–Marquardt on the transfer error "
                   "with --no-robust.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def estimate(file: str | None, kind: str, robust: bool, threshold: float, confidence: float,
             max_trials: int, seed: int, refine: bool, as_json: bool) -> None:
    """Estimate a 2D transform from point correspondences.

    CORRESPONDENCES is a CSV / text file of rows x1,y1,x2,y2, or
    x1,y1,x2,y2,score (a match quality, higher is better: RANSAC then samples
    the best-scored matches first, PROSAC), or of rows 'xA yA 1 xB yB 1
    label' (label 0: estimate from it; label 1: validation points, whose
    transfer error is reported). Without a file, a synthetic example (1000
    points, 40 % outliers, known ground truth) is used.

    \b
    Examples:
      lacv estimate matches.csv --model affine
      lacv estimate pairs_pts.txt --threshold 2 --json
      lacv estimate --no-robust --model similarity matches.csv
    """
    truth = None
    if file is None:
        scene = make_correspondences(kind, 1000, 0.4, rng=seed)
        src, dst, val, fmt = scene.src, scene.dst, None, "built-in synthetic example"
        scores = None
        truth = scene
    else:
        src, dst, val, scores, fmt = _read_correspondences(file)
    options = ({"threshold_px": threshold, "confidence": confidence, "max_trials": max_trials,
                "rng": seed, "refine": refine, "scores": scores} if robust
               else {"refine": refine})
    t0 = time.perf_counter()
    result = estimate_transform(kind, src, dst, robust=robust, **options)
    elapsed = time.perf_counter() - t0
    data = result.summary()
    data["input"] = fmt if file is None else {"file": file, "format": fmt}
    data["time_ms"] = elapsed * 1e3
    data["params"] = result.model.params if result.model.matrix[2, 2] != 0 else None
    if val is not None:
        err = result.model.residuals(val[:, 0:2], val[:, 3:5])
        data["validation"] = {"n_points": int(len(val)), "mean_error_px": float(np.mean(err)),
                              "max_error_px": float(np.max(err))}
    if truth is not None:
        data["ground_truth"] = {"matrix": truth.model.matrix,
                                "corner_error_px": truth.corner_error(result.model),
                                "true_inliers": int(truth.is_inlier.sum())}
    if as_json:
        echo_json(data)
        return
    n = len(src)
    how = "least squares, all points"
    if robust:
        how = "robust, RANSAC" + (" with samples ranked by score (PROSAC)"
                                  if scores is not None else "")
    click.echo(f"{result.model.kind} from {n} correspondences ({how}; input: "
               f"{fmt if file is None else file})")
    click.echo("matrix =")
    click.echo(np.array2string(np.asarray(result.model.matrix), precision=8,
                               suppress_small=True, separator=", ", max_line_width=100))
    if result.model.kind not in ("homography", "affine"):
        click.echo(f"model: {result.model!r}")
    click.echo(f"inliers: {result.n_inliers} / {n} ({100 * result.inlier_ratio:.1f} %)"
               + (f" within {threshold:g} px" if robust else ""))
    click.echo(f"inlier RMS transfer error: {result.inlier_rms_px:.4f} px")
    if robust:
        click.echo(f"trials: {result.n_trials} (needed {result.trials_needed} for confidence "
                   f"{confidence:g}; {result.stopped}), hypotheses scored "
                   f"{result.stats['n_hypotheses']}, local optimisations "
                   f"{result.stats['n_local_optimizations']}")
    click.echo(f"time: {elapsed * 1e3:.2f} ms")
    if val is not None:
        v = data["validation"]
        click.echo(f"validation ({v['n_points']} label-1 points): mean transfer error "
                   f"{v['mean_error_px']:.3f} px, max {v['max_error_px']:.3f} px")
    if truth is not None:
        g = data["ground_truth"]
        click.echo(f"ground truth: mean corner error {g['corner_error_px']:.4f} px; "
                   f"{g['true_inliers']} true inliers")
