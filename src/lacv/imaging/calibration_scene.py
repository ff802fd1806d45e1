r"""The built-in calibration sequence: a chessboard seen through a known, distorted camera.

A printed chessboard (``pattern`` inner corners, ``square_size`` squares, a
white border one square wide) lies on the plane ``Z = 0`` of its own frame.
For every view a pose ``(R_i, t_i)`` is drawn — the board's centre at a
distance in ``distance``, tilted about both board axes by up to
``max_tilt_deg``, rolled, and placed anywhere in the image where it fits
whole — and the image is rendered *exactly* through the camera model of
:class:`lacv.geometry.camera.Camera`:

.. math::

    \text{pixel } u \;\xrightarrow{K^{-1}}\; x_d \;\xrightarrow{\text{undistort}}\; x
    \;\xrightarrow{[r_1\, r_2\, t]^{-1}}\; (X, Y) \text{ on the board}

(the inverse of the projection in :mod:`lacv.geometry.camera`), sampled
bilinearly from a fine texture of the board with OpenCV's ``remap``, then
blurred (a Gaussian lens / sensor blur) and given Gaussian noise. The true
corners are ``camera.project(board_points, pose)``, so the sequence comes
with its ground truth: intrinsics, distortion, poses and corner positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lacv._validate import as_rng, check_int, check_positive
from lacv.errors import InputError
from lacv.geometry.camera import Camera, Pose, _undistort, rotation_from_rvec
from lacv.imaging.chessboard import board_points, parse_pattern

__all__ = [
    "DEFAULT_CAMERA",
    "CalibrationSequence",
    "calibration_poses",
    "calibration_sequence",
]

#: the built-in sequence's camera: 640×480, a mild barrel lens with a little decentring
DEFAULT_CAMERA = Camera(fx=812.0, fy=806.0, cx=324.5, cy=236.0, k1=-0.12, k2=0.08,
                        p1=0.0008, p2=-0.0005, k3=0.0, image_size=(640, 480))

#: texture resolution of the rendered board (pixels per square)
_TEXELS_PER_SQUARE = 40


@dataclass(frozen=True)
class CalibrationSequence:
    """Rendered views of a chessboard with their exact ground truth.

    Attributes
    ----------
    images : tuple of (H, W) uint8 ndarray
        Grey views.
    camera : Camera
        The true intrinsics and distortion.
    poses : tuple of Pose
        Board-to-camera motion of each view.
    object_points : (N, 3) ndarray
        The board's inner corners on ``Z = 0`` (:func:`board_points` order).
    image_points : tuple of (N, 2) ndarray
        The exact (noise-free) pixels of the corners in each view.
    pattern : (int, int)
        Inner corners ``(columns, rows)``.
    square_size : float
        Side of a square, in the units of the poses' translations (metres).
    description : str
    """

    images: tuple[np.ndarray, ...]
    camera: Camera
    poses: tuple[Pose, ...]
    object_points: np.ndarray
    image_points: tuple[np.ndarray, ...]
    pattern: tuple[int, int]
    square_size: float
    description: str

    def __len__(self) -> int:
        return len(self.images)

    @property
    def image_size(self) -> tuple[int, int]:
        """``(width, height)``."""
        h, w = self.images[0].shape[:2]
        return (w, h)


def _board_outline(pattern: tuple[int, int], square: float) -> np.ndarray:
    """The printed sheet's corners (board plus a one-square white border), ``(4, 3)``."""
    cols, rows = pattern
    lo_x, hi_x = -2.0 * square, (cols + 1) * square
    lo_y, hi_y = -2.0 * square, (rows + 1) * square
    return np.array([[lo_x, lo_y, 0.0], [hi_x, lo_y, 0.0], [hi_x, hi_y, 0.0],
                     [lo_x, hi_y, 0.0]])


def calibration_poses(camera: Camera, pattern: tuple[int, int] = (9, 6),
                      square_size: float = 0.03, n_views: int = 15, *,
                      distance: tuple[float, float] = (0.45, 0.75),
                      max_tilt_deg: float = 35.0, max_roll_deg: float = 15.0,
                      margin_px: float = 8.0,
                      rng: np.random.Generator | int | None = 0) -> tuple[Pose, ...]:
    """Random board poses that keep the whole printed sheet inside the image.

    The board's centre is placed on the ray of a random pixel at a distance
    drawn from ``distance``; the board is turned by ``R = R_z(roll) R_x(α)
    R_y(β)`` with ``α, β`` uniform in ``±max_tilt_deg``; a draw whose sheet
    (with its white border) leaves the image by less than ``margin_px`` is
    redrawn.

    Parameters
    ----------
    camera : Camera
        With ``image_size`` set.
    pattern : (int, int)
    square_size : float
    n_views : int
    distance : (float, float)
        Range of the board centre's depth (same unit as ``square_size``).
    max_tilt_deg, max_roll_deg : float
    margin_px : float
    rng : numpy.random.Generator, int or None

    Returns
    -------
    tuple of Pose
    """
    cols, rows = parse_pattern(pattern)
    check_positive(square_size, "square_size")
    check_int(n_views, "n_views", minimum=1)
    if camera.image_size is None:
        raise InputError("camera: needs image_size to place the board in the image")
    d_lo, d_hi = (check_positive(distance[0], "distance[0]"),
                  check_positive(distance[1], "distance[1]"))
    if d_hi < d_lo:
        raise InputError(f"distance: expected (near, far) with near <= far, got {distance!r}")
    gen = as_rng(rng)
    w, h = camera.image_size
    outline = _board_outline((cols, rows), float(square_size))
    center = np.array([(cols - 1) * square_size / 2.0, (rows - 1) * square_size / 2.0, 0.0])
    poses: list[Pose] = []
    for _ in range(200 * n_views):
        if len(poses) == n_views:
            break
        depth = gen.uniform(d_lo, d_hi)
        tilt_x, tilt_y = np.radians(gen.uniform(-max_tilt_deg, max_tilt_deg, 2))
        roll = np.radians(gen.uniform(-max_roll_deg, max_roll_deg))
        R = (rotation_from_rvec([0.0, 0.0, roll]) @ rotation_from_rvec([tilt_x, 0.0, 0.0])
             @ rotation_from_rvec([0.0, tilt_y, 0.0]))
        u, v = gen.uniform(0.3 * w, 0.7 * w), gen.uniform(0.3 * h, 0.7 * h)
        ray = np.array([(u - camera.cx) / camera.fx, (v - camera.cy) / camera.fy, 1.0])
        t = depth * ray - R @ center
        pose = Pose(R, t)
        Xc = pose.apply(outline)
        if np.any(Xc[:, 2] <= 0):
            continue
        px = camera.project(outline, pose)
        if (px.min(axis=0) >= margin_px).all() and (px[:, 0].max() <= w - 1 - margin_px
                                                   and px[:, 1].max() <= h - 1 - margin_px):
            poses.append(pose)
    if len(poses) < n_views:
        raise InputError(f"could not fit {n_views} views of the board in the image; bring "
                         "the board closer to the camera's field of view (distance) or lower "
                         "the tilts")
    return tuple(poses)


def _board_texture(pattern: tuple[int, int]) -> np.ndarray:
    """The printed sheet at ``_TEXELS_PER_SQUARE`` texels per square, float32 in [0, 255]."""
    cols, rows = pattern
    n = _TEXELS_PER_SQUARE
    # squares indexed from the one left of / above the first inner corner; border of 1 square
    sq_x = np.arange((cols + 3) * n) // n - 1
    sq_y = np.arange((rows + 3) * n) // n - 1
    black = ((sq_x[None, :] + sq_y[:, None]) % 2 == 0)
    inside = ((sq_x[None, :] >= 0) & (sq_x[None, :] <= cols)
              & (sq_y[:, None] >= 0) & (sq_y[:, None] <= rows))
    tex = np.full(black.shape, 235.0, dtype=np.float32)
    tex[black & inside] = 25.0
    return tex


def _render_view(camera: Camera, pose: Pose, rays: np.ndarray, pattern: tuple[int, int],
                 square: float, texture: np.ndarray) -> np.ndarray:
    """Sample the board texture at the board point seen by every pixel (exact model)."""
    w, h = camera.image_size  # type: ignore[misc]
    Hn = np.column_stack([pose.rotation[:, 0], pose.rotation[:, 1], pose.translation])
    q = rays @ np.linalg.inv(Hn).T  # board (X, Y, 1) up to scale, per pixel
    wq = q[:, 2]
    ok = wq > 0
    n = _TEXELS_PER_SQUARE
    with np.errstate(divide="ignore", invalid="ignore"):
        X = np.where(ok, q[:, 0] / np.where(ok, wq, 1.0), -1e6)
        Y = np.where(ok, q[:, 1] / np.where(ok, wq, 1.0), -1e6)
    # the texel k covers [k, k + 1) from the sheet's edge at −2 squares; centres at k + ½
    map_x = ((X / square + 2.0) * n - 0.5).astype(np.float32).reshape(h, w)
    map_y = ((Y / square + 2.0) * n - 0.5).astype(np.float32).reshape(h, w)
    return cv2.remap(texture, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                     borderValue=110.0)


def calibration_sequence(n_views: int = 15, *, camera: Camera | None = None,
                         pattern: tuple[int, int] = (9, 6), square_size: float = 0.03,
                         distance: tuple[float, float] = (0.45, 0.75),
                         max_tilt_deg: float = 35.0, blur_sigma: float = 0.8,
                         noise_std: float = 2.0,
                         rng: np.random.Generator | int | None = 0) -> CalibrationSequence:
    """Render the built-in calibration sequence (module docstring) with its ground truth.

    Parameters
    ----------
    n_views : int
        Number of views (3 to 60).
    camera : Camera, optional
        The camera to render through (with ``image_size``); default
        :data:`DEFAULT_CAMERA` (640×480, fx 812, fy 806, k1 −0.12, k2 0.08,
        small tangential terms).
    pattern : (int, int)
        Inner corners of the board.
    square_size : float
        Metres.
    distance : (float, float)
        Range of the board's distance, metres.
    max_tilt_deg : float
        Largest tilt about each board axis.
    blur_sigma : float
        Gaussian blur, pixels (0 for none).
    noise_std : float
        Gaussian noise, grey levels.
    rng : numpy.random.Generator, int or None
        Randomness of the poses and the noise.

    Returns
    -------
    CalibrationSequence
    """
    check_int(n_views, "n_views", minimum=3)
    if n_views > 60:
        raise InputError(f"n_views: expected at most 60 views, got {n_views}")
    cam = DEFAULT_CAMERA if camera is None else camera
    if not isinstance(cam, Camera) or cam.image_size is None:
        raise InputError("camera: expected a Camera with image_size set")
    pat = parse_pattern(pattern)
    from lacv.imaging.scenes import check_noise  # here: scenes imports this module at its end

    check_positive(blur_sigma, "blur_sigma", allow_zero=True)
    if blur_sigma > max(cam.image_size):
        # a blur wider than the image erases the board; OpenCV's kernel size overflowed at 1e10
        raise InputError(f"blur_sigma: expected at most the image's larger side "
                         f"({max(cam.image_size)} px), got {blur_sigma:g}")
    check_noise(noise_std)
    gen = as_rng(rng)
    poses = calibration_poses(cam, pat, square_size, n_views, distance=distance,
                              max_tilt_deg=max_tilt_deg, rng=gen)
    w, h = cam.image_size
    # the ideal (undistorted) normalised ray of every pixel, shared by all views
    u, v = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    yd = (v.ravel() - cam.cy) / cam.fy
    xd = (u.ravel() - cam.cx - cam.skew * yd) / cam.fx
    x, y, _ = _undistort(xd, yd, cam.dist_coeffs)
    rays = np.column_stack([x, y, np.ones_like(x)])
    texture = _board_texture(pat)
    obj = board_points(pat, square_size)
    images, truth = [], []
    for pose in poses:
        img = _render_view(cam, pose, rays, pat, float(square_size), texture)
        if blur_sigma > 0:
            img = cv2.GaussianBlur(img, (0, 0), float(blur_sigma))
        if noise_std > 0:
            img = img + gen.normal(0.0, noise_std, img.shape).astype(np.float32)
        images.append(np.clip(np.rint(img), 0, 255).astype(np.uint8))
        truth.append(cam.project(obj, pose))
    return CalibrationSequence(
        images=tuple(images), camera=cam, poses=poses, object_points=obj,
        image_points=tuple(truth), pattern=pat, square_size=float(square_size),
        description=(f"{n_views} views {w}×{h} of a {pat[0]}×{pat[1]} chessboard with "
                     f"{square_size * 1000:g} mm squares, {distance[0]:g}–{distance[1]:g} m "
                     f"away, tilted up to ±{max_tilt_deg:g}°, blur σ = {blur_sigma:g} px, "
                     f"noise σ = {noise_std:g}"),
    )
