"""Demo step: a homography estimated robustly from correspondences with outliers."""

from __future__ import annotations

import time

import numpy as np

from lacv.cli.demo import DemoContext
from lacv.geometry import Homography, ransac
from lacv.geometry.synthetic import make_correspondences


def _rows(a: np.ndarray) -> list[str]:
    return [" ".join(f"{v:12.6g}" for v in row) for row in a]


def run(ctx: DemoContext) -> None:
    n = 400 if ctx.quick else 2000
    scene = make_correspondences("homography", n, 0.5, rng=3)
    t0 = time.perf_counter()
    res = ransac(scene.src, scene.dst, Homography, threshold_px=3.0, rng=0)
    ms = (time.perf_counter() - t0) * 1e3
    dlt = Homography.from_points(scene.src, scene.dst)  # no robustness: ruined by outliers
    recall = np.count_nonzero(res.inliers & scene.is_inlier) / np.count_nonzero(scene.is_inlier)
    precision = np.count_nonzero(res.inliers & scene.is_inlier) / max(res.n_inliers, 1)
    ctx.echo(f"{n} correspondences in a 640×480 image, 50 % outliers, inlier noise 1 px")
    ctx.echo(f"{'estimated H (RANSAC)':>40}    {'ground truth':>40}")
    for a, b in zip(_rows(res.model.matrix), _rows(scene.model.matrix), strict=True):
        ctx.echo(f"{a}    {b}")
    ctx.note(f"Homography by RANSAC from {n} matches with 50 % outliers: mean corner error "
             f"{scene.corner_error(res.model):.3f} px (plain DLT on all points: "
             f"{scene.corner_error(dlt):.1f} px); {res.n_inliers} inliers, recall "
             f"{recall:.3f}, precision {precision:.3f}; {res.n_trials} samples, {ms:.1f} ms")
