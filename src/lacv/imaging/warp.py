"""Warping images by a transform onto a canvas that holds every warped image.

A transform maps input pixels ``x`` to panorama coordinates ``x' ~ H x``
(H&Z §2.3). The canvas is the smallest integer box containing every warped
image corner, so no content is cropped; canvas pixel ``(0, 0)`` sits at
panorama coordinates ``(x0, y0)``, i.e. the image goes through
``T(-x0, -y0) H``. Resampling is inverse mapping: for each canvas pixel
OpenCV's ``warpPerspective`` reads the image at the source position
``H^{-1} x'``. The feathering weight, the distance of the source position to
the image border plus one, is the same warp of the image's border-distance map
(built once per image, bilinear, zero outside), and the validity mask (source
position inside the image) is where that weight is at least one. Where part of
a box has no source position (``w <= 0`` beyond the horizon) the maps are
computed here and read by ``remap``.

Any ``lacv`` transform (an object with a 3×3 ``.matrix``) or a 3×3 array is
accepted.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from lacv._validate import as_points, check_choice, describe
from lacv.errors import DegenerateError, InputError
from lacv.imaging.io import as_image

__all__ = [
    "Canvas",
    "Warped",
    "as_homography",
    "canvas_bounds",
    "transform_points",
    "warp_image",
    "warp_region",
    "warped_corners",
]

#: the largest canvas :func:`canvas_bounds` accepts by default (pixels)
DEFAULT_MAX_CANVAS_PIXELS = 60_000_000

_INTERPOLATION = {
    "nearest": cv2.INTER_NEAREST,
    "linear": cv2.INTER_LINEAR,
    "cubic": cv2.INTER_CUBIC,
    "lanczos": cv2.INTER_LANCZOS4,
}


def as_homography(transform: Any, name: str = "transform") -> np.ndarray:
    """The 3×3 matrix of a transform: an object with ``.matrix`` or a 3×3 array_like.

    Returns a float64 copy, unscaled (the homogeneous scale does not change
    the mapping). Raises :class:`InputError` for a wrong shape, a non-finite
    entry or a singular matrix.
    """
    value = getattr(transform, "matrix", transform)
    if value is None or isinstance(value, (str, bytes)):
        raise InputError(f"{name}: expected a transform or a 3×3 matrix, got {describe(value)}")
    try:
        H = np.asarray(value)
        if H.dtype.kind not in "biuf":  # complex warned and dropped its imaginary part
            raise TypeError
        H = H.astype(np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected a transform or a 3×3 matrix, "
                         f"got {describe(transform)}") from None
    if H.shape != (3, 3):
        raise InputError(f"{name}: expected a 3×3 matrix, got {describe(H)}")
    if not np.all(np.isfinite(H)):
        raise InputError(f"{name}: expected finite entries, got {H.tolist()}")
    scale = np.abs(H).max()
    if scale == 0 or abs(np.linalg.det(H / scale)) < 1e-14:
        raise InputError(f"{name}: the matrix is singular (not an invertible transform)")
    return H


def transform_points(transform: Any, points: Any) -> np.ndarray:
    """Apply ``x' ~ H x`` to points, ``(N, 2)`` in, ``(N, 2)`` out.

    Raises :class:`DegenerateError` when a point maps to infinity (``w = 0``).
    """
    H = as_homography(transform)
    pts = as_points(points, "points")
    xh = pts @ H[:, :2].T + H[:, 2]
    w = xh[:, 2]
    at_infinity = np.abs(w) <= 1e-12 * np.maximum(np.abs(xh[:, :2]).max(axis=1), 1.0)
    if np.any(at_infinity):
        k = int(np.argmax(at_infinity))
        raise DegenerateError(f"the transform sends point {k} {pts[k].tolist()} to infinity")
    return xh[:, :2] / w[:, np.newaxis]


def warped_corners(shape: tuple[int, ...], transform: Any) -> np.ndarray:
    """Where the transform sends the four corner pixel centres of an image of ``shape``.

    Returns ``(4, 2)`` (TL, TR, BR, BL). Raises :class:`DegenerateError` when
    the image crosses the line at infinity (some corner has ``w <= 0``), whose
    warp would be unbounded.
    """
    from lacv.imaging.scenes import image_corners

    H = as_homography(transform)
    corners = image_corners(shape)
    xh = corners @ H[:, :2].T + H[:, 2]
    # the sign of w must agree at every corner (else the line at infinity crosses the image)
    w = xh[:, 2] * np.sign(xh[0, 2] if xh[0, 2] != 0 else 1.0)
    if np.any(w <= 1e-9 * np.abs(xh[:, 2]).max()):
        raise DegenerateError("the transform sends part of the image to infinity "
                              "(the image crosses the horizon); it cannot be warped")
    return xh[:, :2] / xh[:, 2:3]


@dataclass(frozen=True)
class Canvas:
    """An integer pixel box in panorama coordinates.

    Canvas pixel ``(0, 0)`` is panorama point ``(x0, y0)``; the canvas is
    ``width × height`` pixels.
    """

    x0: int
    y0: int
    width: int
    height: int

    def __post_init__(self) -> None:
        # a negative width reached NumPy's 'negative dimensions' ValueError in warp_image
        for name in ("x0", "y0", "width", "height"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise InputError(f"{name}: expected an integer, got {describe(value)}")
        for name in ("width", "height"):
            if getattr(self, name) < 1:
                raise InputError(f"{name}: expected a canvas of at least 1 pixel, got "
                                 f"{getattr(self, name)}")

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)``."""
        return self.height, self.width

    @property
    def offset(self) -> np.ndarray:
        """The translation taking panorama coordinates to canvas pixels, 3×3."""
        return np.array([[1.0, 0.0, -self.x0], [0.0, 1.0, -self.y0], [0.0, 0.0, 1.0]])


def canvas_bounds(shapes: Sequence[tuple[int, ...]], transforms: Sequence[Any], *,
                  max_pixels: int = DEFAULT_MAX_CANVAS_PIXELS) -> Canvas:
    """The smallest canvas that holds every image warped by its transform.

    The box spans ``floor(min)`` to ``ceil(max)`` of all warped corners.

    Parameters
    ----------
    shapes : sequence of tuple
        ``image.shape`` of each image.
    transforms : sequence of transform or (3, 3) array_like
        One per image, mapping it into panorama coordinates.
    max_pixels : int
        Refuse canvases larger than this (a sign of a wrong transform).

    Returns
    -------
    Canvas

    Raises
    ------
    InputError
        Different numbers of shapes and transforms, or none.
    DegenerateError
        A transform sends an image to infinity, or the canvas is too large.
    """
    for value, name in ((shapes, "shapes"), (transforms, "transforms")):
        if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__"):
            raise InputError(f"{name}: expected a sequence (one per image), got {describe(value)}")
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, numbers.Real) \
            or not max_pixels > 0:
        raise InputError(f"max_pixels: expected a number > 0, got {describe(max_pixels)}")
    if len(shapes) != len(transforms) or len(shapes) == 0:
        raise InputError(f"expected one transform per image and at least one: got "
                         f"{len(shapes)} shapes and {len(transforms)} transforms")
    corners = np.vstack([warped_corners(s, t) for s, t in zip(shapes, transforms, strict=True)])
    lo = np.floor(corners.min(axis=0))
    hi = np.ceil(corners.max(axis=0))
    width, height = hi - lo + 1
    if width * height > max_pixels:
        raise DegenerateError(f"the canvas would be {width:.0f}×{height:.0f} pixels, more than "
                              f"max_pixels = {max_pixels:,}; a transform is probably wrong")
    return Canvas(int(lo[0]), int(lo[1]), int(width), int(height))


@dataclass(frozen=True)
class Warped:
    """An image warped onto (a box of) a canvas.

    Attributes
    ----------
    image : (h, w) or (h, w, 3) ndarray
        The warped pixels (zero outside the mask), dtype of the input.
    mask : (h, w) bool ndarray
        Where the source position lies inside the input image.
    weight : (h, w) float32 ndarray
        Distance of the source position to the nearest image border, in
        source pixels, plus one (zero outside the mask): the feathering weight
        (interpolated bilinearly from the source pixels' distances).
    x, y : int
        Canvas position of ``image[0, 0]``.
    """

    image: np.ndarray
    mask: np.ndarray
    weight: np.ndarray
    x: int
    y: int


def warp_region(image: Any, transform: Any, canvas: Canvas, *,
                interpolation: str = "linear") -> Warped:
    """Warp an image onto the part of ``canvas`` its warped corners cover.

    The result covers the bounding box of the warped corners (clipped to the
    canvas), which is all that an image changes; :func:`warp_image` returns
    the whole canvas instead.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) array_like
    transform : transform or (3, 3) array_like
        Maps the image into panorama coordinates.
    canvas : Canvas
    interpolation : {"linear", "nearest", "cubic", "lanczos"}

    Returns
    -------
    Warped
    """
    img = as_image(image)
    check_choice(interpolation, "interpolation", _INTERPOLATION)
    if not isinstance(canvas, Canvas):
        raise InputError(f"canvas: expected a Canvas, got {describe(canvas)}")
    H = canvas.offset @ as_homography(transform)
    corners = warped_corners(img.shape, H)
    x_lo = max(int(np.floor(corners[:, 0].min())), 0)
    y_lo = max(int(np.floor(corners[:, 1].min())), 0)
    x_hi = min(int(np.ceil(corners[:, 0].max())), canvas.width - 1)
    y_hi = min(int(np.ceil(corners[:, 1].max())), canvas.height - 1)
    if x_hi < x_lo or y_hi < y_lo:
        empty = np.zeros((0, 0), dtype=bool)
        return Warped(img[:0, :0], empty, empty.astype(np.float32), 0, 0)
    flag = _INTERPOLATION[interpolation]
    box = np.array([[1.0, 0.0, -x_lo], [0.0, 1.0, -y_lo], [0.0, 0.0, 1.0]]) @ H
    Hinv = np.linalg.inv(box)
    bw, bh = x_hi - x_lo + 1, y_hi - y_lo + 1
    box_corners = np.array([[0.0, 0.0, 1.0], [bw - 1, 0.0, 1.0], [bw - 1, bh - 1, 1.0],
                            [0.0, bh - 1, 1.0]])
    if np.all(box_corners @ Hinv[2] > 0):
        # the usual case: the source positions H^{-1} x' have w > 0 over the whole box
        # (w is affine in x'), so OpenCV's warpPerspective computes them (its own inverse
        # map, to 1/32 pixel as remap) for the image and for the feathering weight, which
        # is the border distance + 1 of the source image, built once and interpolated:
        # bilinear interpolation of the distance is exact away from the diagonals of the
        # image, and outside the image (border 0) it falls below 1 within a pixel, so
        # weight >= 1 - eps is the validity mask (source position inside the image)
        warped = cv2.warpPerspective(img, box, (bw, bh), flags=flag,
                                     borderMode=cv2.BORDER_REPLICATE)
        weight = cv2.warpPerspective(_border_weight(img.shape[:2]), box, (bw, bh),
                                     flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                     borderValue=0.0)
        mask = weight >= np.float32(1.0 - 1e-3)
        weight *= mask
    else:
        warped, mask, weight = _warp_by_maps(img, Hinv, bw, bh, flag)
    # zero outside the mask (OpenCV's masked copy; NumPy's broadcast over channels is slow)
    warped = cv2.copyTo(warped, np.ascontiguousarray(mask).view(np.uint8))
    return Warped(warped, mask, weight, x_lo, y_lo)


def _border_weight(shape: tuple[int, int]) -> np.ndarray:
    """``min(x, W - 1 - x, y, H - 1 - y) + 1`` at every pixel of an image, float32 (H, W)."""
    h, w = shape
    dx = np.arange(w, dtype=np.float32)
    dy = np.arange(h, dtype=np.float32)
    dx = np.minimum(dx, np.float32(w - 1) - dx)
    dy = np.minimum(dy, np.float32(h - 1) - dy)
    return np.minimum(dy[:, np.newaxis], dx[np.newaxis, :]) + np.float32(1.0)


def _warp_by_maps(img: np.ndarray, Hinv: np.ndarray, bw: int, bh: int, flag: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Warp through explicit maps ``H^{-1} x'`` (float32) where some have ``w <= 0``.

    Such canvas pixels come from no source pixel (every pixel of the image is
    sent to ``w > 0``), and the mask leaves them out.
    """
    xs = np.arange(bw, dtype=np.float32)[np.newaxis, :]
    ys = np.arange(bh, dtype=np.float32)[:, np.newaxis]
    c = Hinv.astype(np.float32)
    w = c[2, 0] * xs + (c[2, 1] * ys + c[2, 2])
    with np.errstate(divide="ignore", invalid="ignore"):
        map_x = (c[0, 0] * xs + (c[0, 1] * ys + c[0, 2])) / w
        map_y = (c[1, 0] * xs + (c[1, 1] * ys + c[1, 2])) / w
        h_src, w_src = img.shape[:2]
        dist = np.minimum(np.minimum(map_x, np.float32(w_src - 1) - map_x),
                          np.minimum(map_y, np.float32(h_src - 1) - map_y))
        mask = (dist >= np.float32(-1e-3)) & (w > 0)
    weight = np.where(mask, np.maximum(dist, 0) + np.float32(1.0), 0).astype(np.float32)
    bad = ~np.isfinite(map_x) | ~np.isfinite(map_y)
    map_x[bad] = -1e4
    map_y[bad] = -1e4
    warped = cv2.remap(img, map_x, map_y, flag, borderMode=cv2.BORDER_REPLICATE)
    return warped, mask, weight


def warp_image(image: Any, transform: Any, canvas: Canvas | None = None, *,
               interpolation: str = "linear") -> Warped:
    """Warp an image by a transform onto a whole canvas.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) array_like
    transform : transform or (3, 3) array_like
        Maps the image into panorama coordinates, ``x' ~ H x``.
    canvas : Canvas, optional
        Defaults to the bounds of this one warped image (nothing cropped).
    interpolation : {"linear", "nearest", "cubic", "lanczos"}

    Returns
    -------
    Warped
        Arrays of the canvas's size, ``x = y = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.full((4, 6), 200, np.uint8)
    >>> out = warp_image(img, np.diag([2.0, 2.0, 1.0]))
    >>> out.image.shape, bool(out.mask.all())
    ((7, 11), True)
    """
    img = as_image(image)
    if canvas is None:
        canvas = canvas_bounds([img.shape], [transform])
    part = warp_region(img, transform, canvas, interpolation=interpolation)
    full = np.zeros(canvas.shape + img.shape[2:], dtype=img.dtype)
    mask = np.zeros(canvas.shape, dtype=bool)
    weight = np.zeros(canvas.shape, dtype=np.float32)
    h, w = part.mask.shape
    full[part.y:part.y + h, part.x:part.x + w] = part.image
    mask[part.y:part.y + h, part.x:part.x + w] = part.mask
    weight[part.y:part.y + h, part.x:part.x + w] = part.weight
    return Warped(full, mask, weight, 0, 0)
