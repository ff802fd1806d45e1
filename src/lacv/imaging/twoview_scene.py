r"""The built-in two-view scene: a curved textured surface seen by two calibrated cameras.

Two kinds of data share one ground truth (cameras ``K₁[I | 0]`` and
``K₂[R | t]``, so ``x2ᵀ F x1 = 0`` with ``F = K₂⁻ᵀ [t]ₓ R K₁⁻¹``):

- :func:`twoview_points` — pure point sets: random 3-D points in front of
  both cameras, projected, with Gaussian noise and planted outliers. It is
  the synthetic protocol of the benchmarks and the tests (no images).
- :func:`twoview_scene` — two *rendered images* of a non-planar surface, a
  smooth height field :math:`Z = z_0 + h(X, Y)` textured with one of the
  photographs scikit-learn ships, plus the exact correspondences of a grid
  of surface points. Each pixel's ray :math:`C + \lambda d` is intersected
  with the surface by the fixed-point iteration
  :math:`\lambda \leftarrow (z_0 + h(C_{xy} + \lambda d_{xy}) - C_z)/d_z`
  (a contraction for the gentle slopes used), and the texture is sampled at
  the hit point's ``(X, Y)`` (OpenCV ``remap``, bilinear). No single
  homography relates the views, so ``F`` is well determined — unlike the
  planar scenes of :mod:`lacv.imaging.scenes`.

References
----------
.. [1] R. Hartley and A. Zisserman, *Multiple View Geometry in Computer
   Vision*, 2nd ed., 2003, §6.1 (cameras), §9.2 (F from a calibrated rig,
   eq. 9.2 and result 9.9).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lacv._validate import as_rng, check_choice, check_int, check_positive, check_probability
from lacv.errors import InputError
from lacv.geometry.epipolar import essential_from_pose, fundamental_from_pose

__all__ = ["TwoViewScene", "twoview_points", "twoview_scene"]


@dataclass(frozen=True)
class TwoViewScene:
    """Two calibrated views of a scene, with exact ground truth.

    Attributes
    ----------
    K1, K2 : (3, 3) ndarray
        Camera matrices.
    R : (3, 3) ndarray
        Rotation of the second camera (``X₂ = R X₁ + t``).
    t : (3,) ndarray
        Translation of the second camera (scene units).
    points3d : (N, 3) ndarray
        The scene points in the first camera's frame.
    x1, x2 : (N, 2) ndarray
        Observed correspondences (noisy, with outliers where requested).
    inliers : (N,) ndarray of bool
        Which correspondences are true (not planted outliers).
    x1_true, x2_true : (N, 2) ndarray
        The noise-free projections of ``points3d``.
    images : tuple of ndarray
        ``(image1, image2)`` RGB ``uint8`` for a rendered scene, else ``()``.
    description : str
    """

    K1: np.ndarray
    K2: np.ndarray
    R: np.ndarray
    t: np.ndarray
    points3d: np.ndarray
    x1: np.ndarray
    x2: np.ndarray
    inliers: np.ndarray
    x1_true: np.ndarray
    x2_true: np.ndarray
    images: tuple[np.ndarray, ...]
    description: str

    @property
    def F(self) -> np.ndarray:
        """(3, 3) ndarray: the true fundamental matrix (unit norm), ``x2ᵀ F x1 = 0``."""
        return fundamental_from_pose(self.R, self.t, self.K1, self.K2)

    @property
    def E(self) -> np.ndarray:
        """(3, 3) ndarray: the true essential matrix ``[t̂]ₓ R`` with ``‖t̂‖ = 1``."""
        return essential_from_pose(self.R, self.t / np.linalg.norm(self.t))

    @property
    def t_unit(self) -> np.ndarray:
        """(3,) ndarray: ``t / ‖t‖``, what a two-view estimate can recover."""
        return self.t / np.linalg.norm(self.t)


def _rotation(rx: float, ry: float, rz: float) -> np.ndarray:
    """``Rz Ry Rx`` from angles in radians."""
    cx, sx, cy, sy, cz, sz = np.cos(rx), np.sin(rx), np.cos(ry), np.sin(ry), np.cos(rz), np.sin(rz)
    Rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    Ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    Rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return Rz @ Ry @ Rx


def _look_at(centre: np.ndarray, target: np.ndarray, roll: float) -> tuple[np.ndarray, np.ndarray]:
    """``(R, t)`` of a camera at ``centre`` whose optical axis points at ``target`` (y down)."""
    z = target - centre
    z = z / np.linalg.norm(z)
    x = np.cross([0.0, 1.0, 0.0], z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    R = _rotation(0.0, 0.0, roll) @ np.stack([x, y, z])
    return R, -R @ centre


def _project(K: np.ndarray, R: np.ndarray, t: np.ndarray, X: np.ndarray) -> np.ndarray:
    Y = X @ R.T + t
    return (Y[:, :2] / Y[:, 2:]) @ K[:2, :2].T + K[:2, 2]


def _intrinsics(f: float, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    return np.array([[f, 0.0, (w - 1) / 2.0], [0.0, f, (h - 1) / 2.0], [0.0, 0.0, 1.0]])


def twoview_points(n_points: int = 200, *, noise_px: float = 0.5, outlier_ratio: float = 0.0,
                   rng: np.random.Generator | int | None = 0, size: tuple[int, int] = (640, 480),
                   focal_px: float = 800.0, planar: bool = False) -> TwoViewScene:
    r"""Random 3-D points in front of two cameras, projected with noise and outliers.

    The points fill a box ``[-1.5, 1.5] × [-1.1, 1.1] × [4, 8]`` in front of the
    first camera (``planar=True`` puts them all on one tilted plane, the
    degenerate case for F); the second camera is moved by a random baseline
    of length about 1 and rotated by a few degrees to look back at the box.
    Inlier pixels get ``N(0, noise_px²)`` noise in both images; the first
    ``round(outlier_ratio · N)`` correspondences (shuffled) get a second
    point uniform in the second image instead.

    Parameters
    ----------
    n_points : int
    noise_px : float
        Standard deviation of the pixel noise, in each coordinate of both images.
    outlier_ratio : float
        In [0, 1).
    rng : numpy.random.Generator, int or None
    size : (int, int)
        ``(width, height)`` of both images.
    focal_px : float
        Focal length of both cameras, pixels (principal point at the centre).
    planar : bool
        All points on one plane.

    Returns
    -------
    TwoViewScene
        Without images.

    Examples
    --------
    >>> s = twoview_points(50, noise_px=0.0, rng=1)
    >>> from lacv.geometry.epipolar import sampson_distance
    >>> bool(sampson_distance(s.F, s.x1, s.x2).max() < 1e-9)
    True
    """
    n = check_int(n_points, "n_points", minimum=1)
    noise = check_positive(noise_px, "noise_px", allow_zero=True)
    ratio = check_probability(outlier_ratio, "outlier_ratio", open_interval=False)
    if ratio >= 1:
        raise InputError("outlier_ratio: expected a number below 1 (some inliers are needed)")
    f = check_positive(focal_px, "focal_px")
    gen = as_rng(rng)
    w, h = int(size[0]), int(size[1])
    K = _intrinsics(f, (w, h))
    X = np.c_[gen.uniform(-1.5, 1.5, n), gen.uniform(-1.1, 1.1, n), gen.uniform(4, 8, n)]
    if planar:
        # the plane 0.3 X − 0.2 Y + Z = 6
        X[:, 2] = 6.0 - 0.3 * X[:, 0] + 0.2 * X[:, 1]
    direction = gen.normal(0, 1, 3) * np.array([1.0, 0.5, 0.3])
    C2 = direction / np.linalg.norm(direction)  # second camera centre, baseline 1
    # look from C2 back towards the middle of the box, plus a small random roll
    R, t = _look_at(C2, np.array([0.0, 0.0, 6.0]), gen.uniform(-0.05, 0.05))
    x1t = _project(K, np.eye(3), np.zeros(3), X)
    x2t = _project(K, R, t, X)
    x1 = x1t + gen.normal(0, noise, x1t.shape) if noise else x1t.copy()
    x2 = x2t + gen.normal(0, noise, x2t.shape) if noise else x2t.copy()
    k = int(round(ratio * n))
    inliers = np.ones(n, dtype=bool)
    if k:
        out = gen.choice(n, k, replace=False)
        x2[out] = np.c_[gen.uniform(0, w - 1, k), gen.uniform(0, h - 1, k)]
        inliers[out] = False
    desc = (f"{n} random points{' on one plane' if planar else ''} at depth 4–8 in front of two "
            f"{w}×{h} cameras (f = {f:g} px, baseline 1), noise {noise:g} px, "
            f"{k} outliers")
    return TwoViewScene(K, K.copy(), R, t, X, x1, x2, inliers, x1t, x2t, (), desc)


def _height(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """The surface's relief: two gentle bumps and a ripple, in scene units."""
    return (0.5 * np.exp(-((X - 0.8) ** 2 + (Y + 0.3) ** 2) / 0.6)
            - 0.4 * np.exp(-((X + 1.0) ** 2 + (Y - 0.4) ** 2) / 0.8)
            + 0.15 * np.sin(1.7 * X) * np.cos(1.3 * Y))


_Z0 = 6.0  # depth of the surface's base plane in the first camera


def _render(photo: np.ndarray, K: np.ndarray, R: np.ndarray, t: np.ndarray,
            size: tuple[int, int], extent: float) -> np.ndarray:
    """Ray-cast the textured height field into a ``size`` image (module docstring)."""
    w, h = size
    u, v = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    rays = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones_like(u)], axis=-1)
    d = rays @ R  # Rᵀ applied to each ray: world direction
    C = -R.T @ t
    lam = (_Z0 - C[2]) / d[..., 2]
    for _ in range(12):
        Xw = C[0] + lam * d[..., 0]
        Yw = C[1] + lam * d[..., 1]
        lam = (_Z0 + _height(Xw, Yw) - C[2]) / d[..., 2]
    Xw = C[0] + lam * d[..., 0]
    Yw = C[1] + lam * d[..., 1]
    ph, pw = photo.shape[:2]
    # the photo spans X ∈ [-extent, extent], Y scaled alike, centred
    scale = (pw - 1) / (2.0 * extent)
    map_x = (Xw * scale + (pw - 1) / 2.0).astype(np.float32)
    map_y = (Yw * scale + (ph - 1) / 2.0).astype(np.float32)
    return cv2.remap(photo, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                     borderValue=(0, 0, 0))


def twoview_scene(*, photo: str = "china.jpg", size: tuple[int, int] = (640, 480),
                  n_points: int = 400, rng: np.random.Generator | int | None = 0
                  ) -> TwoViewScene:
    r"""Two rendered views of a curved textured surface, with exact correspondences.

    The surface :math:`Z = 6 + h(X, Y)` (two bumps and a ripple, relief up to
    about ±0.5 scene units at a distance of 6) carries the photograph; the
    first camera looks at it along ``+Z`` and the second is moved 1 unit to
    the right and 0.2 forward and turned about 8° back towards it. Ground
    truth: ``n_points`` random surface points visible in both views, projected
    without noise.

    Parameters
    ----------
    photo : {"china.jpg", "flower.jpg"}
        The texture (scikit-learn's sample photographs).
    size : (int, int)
        ``(width, height)`` of the views.
    n_points : int
        Ground-truth correspondences.
    rng : numpy.random.Generator, int or None
        Randomness of the ground-truth points (the images are deterministic).

    Returns
    -------
    TwoViewScene
        With ``images``; ``x1``, ``x2`` equal the noise-free projections.
    """
    from lacv.imaging.scenes import PHOTOS, load_photo

    check_choice(photo, "photo", PHOTOS)
    n = check_int(n_points, "n_points", minimum=1)
    w, h = int(size[0]), int(size[1])
    if w < 32 or h < 32:
        raise InputError(f"size: expected at least 32×32 pixels, got {w}×{h}")
    gen = as_rng(rng)
    f = 0.9 * w
    K = _intrinsics(f, (w, h))
    R, t = _look_at(np.array([1.0, 0.05, 0.2]), np.array([0.0, 0.0, _Z0]), 0.02)
    image_photo = load_photo(photo)
    extent = 3.4
    img1 = _render(image_photo, K, np.eye(3), np.zeros(3), (w, h), extent)
    img2 = _render(image_photo, K, R, t, (w, h), extent)
    # ground truth: surface points visible (inside both images, on the texture)
    Xs = gen.uniform(-2.2, 2.2, 4 * n)
    Ys = gen.uniform(-1.6, 1.6, 4 * n)
    P = np.c_[Xs, Ys, _Z0 + _height(Xs, Ys)]
    x1 = _project(K, np.eye(3), np.zeros(3), P)
    x2 = _project(K, R, t, P)
    inside = np.all((x1 >= 0) & (x1 <= [w - 1, h - 1]) & (x2 >= 0) & (x2 <= [w - 1, h - 1]),
                    axis=1)
    P, x1, x2 = P[inside][:n], x1[inside][:n], x2[inside][:n]
    desc = (f"a curved surface textured with {photo} (relief ±0.5 at depth 6) seen by two "
            f"{w}×{h} cameras (f = {f:g} px) 1 unit apart; {len(P)} exact correspondences")
    return TwoViewScene(K, K.copy(), R, t, P, x1, x2, np.ones(len(P), dtype=bool), x1.copy(),
                        x2.copy(), (img1, img2), desc)
