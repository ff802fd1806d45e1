"""Built-in example scenes with exact ground truth, rendered from real photographs.

The two photographs scikit-learn ships (``load_sample_image``: ``china.jpg``
and ``flower.jpg``, 640×427) are treated as a textured plane and seen through
virtual pinhole cameras. Every view is rendered by one homography of the
photograph, so the homography between any two views is known exactly:

.. math::

    x_i \\sim H_i\\, u, \\qquad x_j \\sim H_j H_i^{-1} x_i ,

where ``u`` is a pixel of the photograph and ``H_i`` maps the photograph into
view ``i`` (Hartley & Zisserman, *Multiple View Geometry*, 2nd ed., §2.3 and
§8.4.2 for a camera rotating about its centre, :math:`H = K R K^{-1}`).

- :func:`panorama_scene`: a panorama sequence from a camera panning about its
  centre, with small exposure changes and sensor noise between the views.
- :func:`planar_scene`: views of the photograph as a plane in space, from
  cameras at different positions and tilts (strong perspective).

Rendering resamples through OpenCV (``warpPerspective``, bilinear), whose
pixel convention (integer coordinates at pixel centres) is the project's.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cv2
import numpy as np

from lacv._validate import as_rng, check_choice, check_int, check_positive, describe
from lacv.errors import InputError

__all__ = [
    "PHOTOS",
    "Scene",
    "corner_errors_px",
    "image_corners",
    "load_photo",
    "panorama_scene",
    "planar_scene",
]

#: the photographs scikit-learn ships
PHOTOS = ("china.jpg", "flower.jpg")


@dataclass(frozen=True)
class Scene:
    """Views of a photograph with their exact homographies.

    Attributes
    ----------
    name : str
        A short name (``"panorama"``, ``"planar"``).
    images : tuple of (H, W, 3) uint8 ndarray
        The rendered views, RGB.
    homographies : tuple of (3, 3) ndarray
        ``homographies[i]`` maps a pixel of the photograph into view ``i``
        (normalised to ``H[2, 2] = 1``).
    photo_shape : tuple of int
        ``(height, width)`` of the photograph.
    description : str
        How the scene was rendered.
    focal_px : float or None
        The views' focal length, for a rotating camera (None otherwise).
    """

    name: str
    images: tuple[np.ndarray, ...]
    homographies: tuple[np.ndarray, ...]
    photo_shape: tuple[int, int]
    description: str
    focal_px: float | None = None

    def __len__(self) -> int:
        return len(self.images)

    def relative(self, i: int, j: int) -> np.ndarray:
        """The exact homography mapping pixels of view ``i`` to view ``j``: ``H_j H_i^{-1}``."""
        n = len(self.images)
        for name, k in (("i", i), ("j", j)):
            check_int(k, name, minimum=0)
            if k >= n:
                raise InputError(f"{name}: expected a view index below {n}, got {k}")
        H = self.homographies[j] @ np.linalg.inv(self.homographies[i])
        return H / H[2, 2]


@lru_cache(maxsize=4)
def _photo(name: str) -> np.ndarray:
    from sklearn.datasets import load_sample_image

    image = load_sample_image(name)
    image.setflags(write=False)
    return image


def load_photo(name: str = "china.jpg") -> np.ndarray:
    """One of scikit-learn's sample photographs, ``(427, 640, 3)`` uint8 RGB (a copy)."""
    check_choice(name, "photo", PHOTOS)
    return _photo(name).copy()


def check_shape(shape: Any, name: str = "shape") -> tuple[int, int]:
    """``(height, width)`` from an image shape ``(H, W, ...)`` of positive integers.

    Raises :class:`InputError` naming ``name`` for anything else (a raw
    IndexError, KeyError or OverflowError came from ``int(shape[0])`` before).
    """
    ok = (not isinstance(shape, (str, bytes, dict)) and hasattr(shape, "__len__")
          and len(shape) >= 2)
    if ok:
        dims = list(shape)[:2]
        ok = all(isinstance(v, numbers.Real) and not isinstance(v, bool)
                 and math.isfinite(v) and v == int(v) and v >= 1 for v in dims)
    if not ok:
        raise InputError(f"{name}: expected an image shape (height, width, ...) of positive "
                         f"integers, got {describe(shape)}")
    return int(dims[0]), int(dims[1])


#: the largest noise σ in grey levels: rendered views are float32 (σ = 1e200 overflowed the cast)
_MAX_NOISE = 1e6


def check_noise(noise_std: Any, name: str = "noise_std") -> float:
    """A noise σ in grey levels: ``0 <= σ <= 1e6`` (beyond it every pixel saturates anyway)."""
    sigma = check_positive(noise_std, name, allow_zero=True)
    if sigma > _MAX_NOISE:
        raise InputError(f"{name}: expected at most {_MAX_NOISE:.0e} grey levels, got {sigma:g}")
    return sigma


def image_corners(shape: tuple[int, ...]) -> np.ndarray:
    """The centres of an image's four corner pixels, ``(4, 2)``: TL, TR, BR, BL."""
    h, w = check_shape(shape)
    return np.array([[0.0, 0.0], [w - 1.0, 0.0], [w - 1.0, h - 1.0], [0.0, h - 1.0]])


def corner_errors_px(estimated: np.ndarray, truth: np.ndarray,
                     shape: tuple[int, ...]) -> np.ndarray:
    """Distances between where two homographies send an image's four corners.

    .. math:: e_k = \\lVert \\pi(\\hat H c_k) - \\pi(H c_k) \\rVert_2,\\quad k = 1..4

    with :math:`\\pi(x, y, w) = (x/w, y/w)` and :math:`c_k` the corner pixel
    centres of an image of ``shape`` (the usual accuracy measure of a
    homography, e.g. DeTone et al. 2016, "Deep Image Homography Estimation").

    Parameters
    ----------
    estimated, truth : (3, 3) array_like or transform with ``.matrix``
        Homographies mapping the image into the same target frame.
    shape : tuple
        ``(height, width, ...)`` of the image whose corners are mapped.

    Returns
    -------
    (4,) ndarray
        Errors in target pixels, corners in the order TL, TR, BR, BL.
    """
    from lacv.imaging.warp import as_homography, transform_points

    H_est = as_homography(estimated, "estimated")
    H_true = as_homography(truth, "truth")
    corners = image_corners(shape)
    return np.linalg.norm(transform_points(H_est, corners)
                          - transform_points(H_true, corners), axis=1)


def _rotation(pan_deg: float, tilt_deg: float, roll_deg: float) -> np.ndarray:
    """R = R_z(roll) R_x(tilt) R_y(pan): camera axes in world coordinates (rows)."""
    a, b, c = np.radians([pan_deg, tilt_deg, roll_deg])
    Ry = np.array([[np.cos(a), 0.0, np.sin(a)], [0.0, 1.0, 0.0], [-np.sin(a), 0.0, np.cos(a)]])
    Rx = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(b), -np.sin(b)], [0.0, np.sin(b), np.cos(b)]])
    Rz = np.array([[np.cos(c), -np.sin(c), 0.0], [np.sin(c), np.cos(c), 0.0], [0.0, 0.0, 1.0]])
    return Rz @ Rx @ Ry


def _intrinsics(f: float, width: int, height: int) -> np.ndarray:
    return np.array([[f, 0.0, (width - 1) / 2.0], [0.0, f, (height - 1) / 2.0], [0.0, 0.0, 1.0]])


def _render(photo: np.ndarray, H: np.ndarray, size: tuple[int, int], gain: float,
            noise_std: float, rng: np.random.Generator) -> np.ndarray:
    view = cv2.warpPerspective(photo, H, size, flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REFLECT_101).astype(np.float32)
    view *= np.float32(gain)
    if noise_std > 0:
        view += rng.normal(0.0, noise_std, view.shape).astype(np.float32)
    return np.clip(np.rint(view), 0, 255).astype(np.uint8)


def panorama_scene(n_views: int = 4, *, photo: str = "china.jpg",
                   view_size: tuple[int, int] = (240, 200), overlap: float = 0.55,
                   fov_deg: float = 28.0, tilt_deg: float = 12.0, exposure: float = 0.06,
                   noise_std: float = 1.0,
                   rng: np.random.Generator | int | None = 0) -> Scene:
    """A panorama sequence: a camera panning about its centre over a photograph.

    The photograph is the image of a reference camera ``K_p`` (focal length
    ``f_p``, principal point at its centre); view ``i`` is a camera
    ``K_v R_i`` at the same centre, so

    .. math:: H_i = K_v R_i K_p^{-1}

    (H&Z §8.4.2). The pans are spaced so neighbouring views overlap by about
    ``overlap`` of their width; each view also gets a small random tilt and
    roll (within ±2° of ``tilt_deg`` and ±1°), an exposure gain within
    ``1 ± exposure`` and Gaussian noise of ``noise_std`` grey levels. ``f_p``
    is the largest focal length that keeps every view inside the photograph,
    so no view sees past its border (the photograph is magnified ``f_v / f_p``).

    Parameters
    ----------
    n_views : int
        3 to 5 views (2 is allowed, for a pair).
    photo : {"china.jpg", "flower.jpg"}
        The photograph.
    view_size : (int, int)
        ``(width, height)`` of every view, in pixels.
    overlap : float
        Fraction of a view's width shared with its neighbour, in (0.2, 0.9).
    fov_deg : float
        Horizontal field of view of every view, 10° to 90°.
    tilt_deg : float
        Mean tilt of the camera below the photograph's centre, degrees.
    exposure : float
        Largest relative gain change between views, in [0, 0.5].
    noise_std : float
        Standard deviation of the added noise, in grey levels.
    rng : numpy.random.Generator, int or None
        Randomness of the tilts, rolls, gains and noise.

    Returns
    -------
    Scene
        Views from left to right.
    """
    check_int(n_views, "n_views", minimum=2)
    if n_views > 7:
        raise InputError(f"n_views: expected 2 to 7 views, got {n_views}")
    width, height = _check_size(view_size)
    if not 0.2 <= float(overlap) <= 0.9:
        raise InputError(f"overlap: expected a fraction in [0.2, 0.9], got {overlap!r}")
    check_positive(exposure, "exposure", allow_zero=True)
    if exposure > 0.5:
        raise InputError(f"exposure: expected at most 0.5, got {exposure!r}")
    check_noise(noise_std)
    if not 10.0 <= float(fov_deg) <= 90.0:
        raise InputError(f"fov_deg: expected 10 to 90 degrees, got {fov_deg!r}")
    if not -20.0 <= float(tilt_deg) <= 20.0:
        raise InputError(f"tilt_deg: expected -20 to 20 degrees, got {tilt_deg!r}")
    gen = as_rng(rng)
    image = _photo(check_choice(photo, "photo", PHOTOS))
    ph, pw = image.shape[:2]
    f = (width / 2.0) / np.tan(np.radians(float(fov_deg)) / 2.0)
    K_v = _intrinsics(f, width, height)
    step = np.degrees(np.arctan((1.0 - float(overlap)) * width / f))
    pans = (np.arange(n_views) - (n_views - 1) / 2.0) * step
    # the camera looks below the photograph's centre, where its texture is
    tilts = tilt_deg + gen.uniform(-2.0, 2.0, n_views)
    rolls = gen.uniform(-1.0, 1.0, n_views)
    gains = 1.0 + gen.uniform(-exposure, exposure, n_views)
    rotations = [_rotation(-pan, tilt, roll) for pan, tilt, roll in zip(pans, tilts, rolls,
                                                                        strict=True)]
    # the photograph's focal length: the largest that keeps every view inside it
    # (a camera turned right by `pan` sees the world turned left: R_y(-pan))
    corners = np.column_stack([image_corners((height, width)), np.ones(4)])
    rays = np.vstack([(R.T @ np.linalg.inv(K_v) @ corners.T).T for R in rotations])
    if np.any(rays[:, 2] <= 0):
        raise InputError("fov_deg, overlap: the views turn too far to see one photograph")
    reach = np.abs(rays[:, :2] / rays[:, 2:3]).max(axis=0)
    f_p = 0.99 * min((pw - 1) / 2.0 / reach[0], (ph - 1) / 2.0 / reach[1])
    K_p = _intrinsics(f_p, pw, ph)
    homographies, views = [], []
    for R, gain in zip(rotations, gains, strict=True):
        H = K_v @ R @ np.linalg.inv(K_p)
        H /= H[2, 2]
        homographies.append(H)
        views.append(_render(image, H, (width, height), gain, float(noise_std), gen))
    return Scene(
        name="panorama",
        images=tuple(views),
        homographies=tuple(homographies),
        photo_shape=(ph, pw),
        description=(f"{n_views} views {width}×{height} of {photo}, a camera panning "
                     f"{pans[0]:+.1f}° to {pans[-1]:+.1f}° about its centre "
                     f"(f = {f:.0f} px, the photograph magnified {f / f_p:.2f}×), "
                     f"gains {gains.min():.3f}–{gains.max():.3f}, "
                     f"noise σ = {noise_std:g}"),
        focal_px=float(f),
    )


def planar_scene(n_views: int = 2, *, photo: str = "flower.jpg",
                 view_size: tuple[int, int] = (320, 240), max_tilt_deg: float = 30.0,
                 noise_std: float = 1.0,
                 rng: np.random.Generator | int | None = 0) -> Scene:
    """Views of the photograph as a plane in space, under strong perspective.

    The photograph lies on the plane ``Z = 0`` with its pixel ``u`` at
    ``(X, Y) = s (u - c)``; a camera ``K [R | -R C]`` looking at the plane's
    centre from a distance ``d`` gives

    .. math:: H_i = K [r_1\\; r_2\\; -R C]\\, A,
              \\quad A = \\begin{pmatrix} s & 0 & -s c_x \\\\ 0 & s & -s c_y
              \\\\ 0 & 0 & 1 \\end{pmatrix}

    (H&Z §8.1.1, the homography of a plane, and §2.3). View 0 faces the plane;
    the others are tilted and panned by up to ``max_tilt_deg`` and rolled.

    Parameters
    ----------
    n_views : int
        Number of views, 2 to 6.
    photo : {"china.jpg", "flower.jpg"}
        The photograph.
    view_size : (int, int)
        ``(width, height)`` of every view.
    max_tilt_deg : float
        Largest tilt / pan of a view, in degrees (0 to 50).
    noise_std : float
        Noise added to each view, in grey levels.
    rng : numpy.random.Generator, int or None
        Randomness of the poses and the noise.

    Returns
    -------
    Scene
    """
    check_int(n_views, "n_views", minimum=2)
    if n_views > 6:
        raise InputError(f"n_views: expected 2 to 6 views, got {n_views}")
    width, height = _check_size(view_size)
    check_positive(max_tilt_deg, "max_tilt_deg", allow_zero=True)
    if max_tilt_deg > 50:
        raise InputError(f"max_tilt_deg: expected at most 50 degrees, got {max_tilt_deg!r}")
    check_noise(noise_std)
    gen = as_rng(rng)
    image = _photo(check_choice(photo, "photo", PHOTOS))
    ph, pw = image.shape[:2]
    f = 1.2 * width
    K = _intrinsics(f, width, height)
    s = 1.0 / pw  # the plane is one unit wide
    A = np.array([[s, 0.0, -s * (pw - 1) / 2.0], [0.0, s, -s * (ph - 1) / 2.0], [0.0, 0.0, 1.0]])
    # distance at which the facing view sees ~70 % of the photograph's width
    d = f * 0.7 / width
    homographies, views = [], []
    for k in range(n_views):
        if k == 0:
            pan = tilt = roll = 0.0
        else:
            pan, tilt = gen.uniform(-max_tilt_deg, max_tilt_deg, 2)
            roll = gen.uniform(-10.0, 10.0)
        R = _rotation(pan, tilt, roll)
        # the optical axis (third row of R) passes through the plane's centre
        C = -d * R[2]
        H = K @ np.column_stack([R[:, 0], R[:, 1], -R @ C]) @ A
        H /= H[2, 2]
        homographies.append(H)
        views.append(_render(image, H, (width, height), 1.0, float(noise_std), gen))
    return Scene(
        name="planar",
        images=tuple(views),
        homographies=tuple(homographies),
        photo_shape=(ph, pw),
        description=(f"{n_views} views {width}×{height} of {photo} as a plane, "
                     f"tilted by up to {max_tilt_deg:g}°"),
    )


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    try:
        width, height = size
    except (TypeError, ValueError):
        raise InputError(f"view_size: expected (width, height), got {size!r}") from None
    check_int(width, "view_size[0]", minimum=32)
    check_int(height, "view_size[1]", minimum=32)
    if width > 2000 or height > 2000:
        raise InputError(f"view_size: expected at most 2000×2000, got {width}×{height}")
    return int(width), int(height)


from lacv.imaging.calibration_scene import CalibrationSequence, calibration_sequence  # noqa: E402, F401
