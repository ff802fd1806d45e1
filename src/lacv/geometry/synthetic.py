"""Synthetic correspondences with ground truth: the benchmark protocol of issue 3.

A 640×480 image; the true homography sends the image corners to corners
displaced by U(−80, 80) px (the true affine map rotates by up to ±30°,
scales by 0.8–1.2 and shears by up to ±0.1 about the image centre); source
points uniform in the image; inlier targets ``T(src) + N(0, σ²)``; outlier
targets uniform in the image and at least ``outlier_gap_px`` from
``T(src)``. Tests, benchmarks, the demo and ``lacv estimate`` (with no
file) all draw from here, so their figures are comparable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lacv._validate import as_rng, check_int, check_positive, check_probability
from lacv.errors import InputError
from lacv.geometry.transforms import Homography, Transform, Translation, transform_class

__all__ = ["SyntheticScene", "image_corners", "make_correspondences"]


@dataclass(frozen=True)
class SyntheticScene:
    """Correspondences drawn by :func:`make_correspondences`.

    Attributes
    ----------
    src, dst : (N, 2) ndarray
    model : Transform
        The ground truth.
    is_inlier : (N,) ndarray of bool
    image_size : (int, int)
        ``(width, height)``.
    """

    src: np.ndarray
    dst: np.ndarray
    model: Transform
    is_inlier: np.ndarray
    image_size: tuple[int, int]

    @property
    def corners(self) -> np.ndarray:
        """(4, 2) ndarray: the image corners, where accuracy is measured."""
        return image_corners(self.image_size)

    def corner_error(self, model: Transform) -> float:
        """Mean over the four image corners of ``|T_est(c) − T_true(c)|``, pixels."""
        c = self.corners
        return float(np.mean(np.linalg.norm(model(c) - self.model(c), axis=1)))


def image_corners(image_size: tuple[int, int]) -> np.ndarray:
    """(4, 2) ndarray: the corners ``(0, 0), (w, 0), (w, h), (0, h)``."""
    w, h = image_size
    return np.array([[0.0, 0.0], [w, 0.0], [w, h], [0.0, h]])


def _true_model(kind: str, rng: np.random.Generator, image_size: tuple[int, int]) -> Transform:
    corners = image_corners(image_size)
    if kind == "homography":
        return Homography.from_points(corners, corners + rng.uniform(-80.0, 80.0, (4, 2)))
    if kind == "translation":
        return Translation(rng.uniform(-50.0, 50.0, 2))
    angle = np.radians(rng.uniform(-30.0, 30.0))
    c, s = np.cos(angle), np.sin(angle)
    R = np.array([[c, -s], [s, c]])
    if kind == "euclidean":
        L = R
    elif kind == "similarity":
        L = rng.uniform(0.8, 1.2) * R
    else:
        scale = rng.uniform(0.8, 1.2, 2)
        L = R @ np.array([[scale[0], rng.uniform(-0.1, 0.1)], [0.0, scale[1]]])
    centre = np.array(image_size, float) / 2.0
    t = centre - L @ centre + rng.uniform(-20.0, 20.0, 2)
    return transform_class(kind).from_matrix(np.hstack([L, t[:, None]]))


def make_correspondences(kind: str = "homography", n: int = 1000, outlier_ratio: float = 0.5,
                         *, noise_px: float = 1.0, outlier_gap_px: float = 10.0,
                         image_size: tuple[int, int] = (640, 480), rng: Any = None
                         ) -> SyntheticScene:
    """Draw one synthetic scene of the benchmark protocol (see the module docstring).

    Parameters
    ----------
    kind : {"homography", "affine", "similarity", "euclidean", "translation"}
        The family of the ground truth (the rotation, scale and translation
        ranges above, restricted to the family).
    n : int
        Number of correspondences.
    outlier_ratio : float
        Share of outliers in [0, 1); the first ``round(n·ratio)`` rows are the
        outliers.
    noise_px : float
        Standard deviation of the inliers' Gaussian noise (each coordinate).
    outlier_gap_px : float
        Least distance of an outlier target from ``T(src)``.
    image_size : (int, int)
        ``(width, height)``.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    SyntheticScene
    """
    kind = transform_class(kind).kind
    n = check_int(n, "n", minimum=1)
    ratio = check_probability(outlier_ratio, "outlier_ratio", open_interval=False)
    if ratio >= 1.0:
        raise InputError("outlier_ratio: expected a number below 1 (some inliers are needed)")
    noise = check_positive(noise_px, "noise_px", allow_zero=True)
    gap = check_positive(outlier_gap_px, "outlier_gap_px", allow_zero=True)
    gen = as_rng(rng)
    w, h = image_size
    model = _true_model(kind, gen, image_size)
    src = gen.uniform((0.0, 0.0), (w, h), (n, 2))
    dst = model(src) + gen.normal(0.0, noise, (n, 2))
    n_out = int(round(ratio * n))
    target = model(src[:n_out])
    out = gen.uniform((0.0, 0.0), (w, h), (n_out, 2))
    bad = np.linalg.norm(out - target, axis=1) < gap
    while bad.any():
        out[bad] = gen.uniform((0.0, 0.0), (w, h), (int(bad.sum()), 2))
        bad = np.linalg.norm(out - target, axis=1) < gap
    dst[:n_out] = out
    is_inlier = np.arange(n) >= n_out
    return SyntheticScene(src, dst, model, is_inlier, (int(w), int(h)))
