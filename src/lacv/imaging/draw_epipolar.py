r"""The epipolar-lines figure: both images side by side, each point with its partner's line.

For a correspondence ``x1 ↔ x2`` and ``x2ᵀ F x1 = 0`` (OpenCV's convention),
the second image shows ``x2`` and the epipolar line :math:`l_2 = F \tilde
x_1`, the first image shows ``x1`` and :math:`l_1 = F^T \tilde x_2` (H&Z
§9.2.2). With a good ``F`` every point lies on the line of its own colour,
and all lines of an image meet at its epipole. Lines are drawn with OpenCV
(anti-aliased, sub-pixel), clipped to each image.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from lacv._validate import as_rng, check_int, check_same_length
from lacv.geometry.epipolar import epipolar_lines
from lacv.geometry.epipolar.fundamental import _check_fundamental
from lacv.imaging.draw import (
    _check_thickness,
    _inlier_mask,
    _points_or_empty,
    _side_by_side,
    to_rgb_u8,
)

__all__ = ["draw_epipolar_lines"]

_SHIFT = 8  # sub-pixel drawing: coordinates in 1/256 pixel


def _colours(n: int) -> list[tuple[int, int, int]]:
    """``n`` well-separated saturated colours (hues around the circle)."""
    if n == 0:
        return []
    hues = (np.arange(n) * 180.0 / n).astype(np.uint8)
    hsv = np.stack([hues, np.full(n, 230, np.uint8), np.full(n, 255, np.uint8)], axis=1)
    rgb = cv2.cvtColor(hsv[None], cv2.COLOR_HSV2RGB)[0]
    return [tuple(int(c) for c in row) for row in rgb]


def _segment(line: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The part of the line ``a x + b y + c = 0`` inside ``[0, w−1] × [0, h−1]``, or None."""
    a, b, c = line
    pts = []
    if abs(b) > 1e-12:
        for x in (0.0, width - 1.0):
            pts.append((x, -(a * x + c) / b))
    if abs(a) > 1e-12:
        for y in (0.0, height - 1.0):
            pts.append((-(b * y + c) / a, y))
    inside = [p for p in pts if -1e-6 <= p[0] <= width - 1 + 1e-6
              and -1e-6 <= p[1] <= height - 1 + 1e-6]
    if len(inside) < 2:
        return None
    inside.sort()
    return np.array(inside[0]), np.array(inside[-1])


def draw_epipolar_lines(image1: Any, image2: Any, F: Any, points1: Any, points2: Any, *,
                        inliers: Any = None, max_lines: int = 30, thickness: int = 1,
                        rng: np.random.Generator | int | None = 0) -> np.ndarray:
    r"""Two images side by side with each point and the epipolar line of its match.

    Parameters
    ----------
    image1, image2 : (H, W) or (H, W, 3) array_like
    F : (3, 3) array_like
        ``x2ᵀ F x1 = 0`` (``points1`` in ``image1``, ``points2`` in ``image2``).
    points1, points2 : (N, 2) array_like
        Correspondences.
    inliers : (N,) array_like of bool, optional
        Draw only these (e.g. the inliers of a robust fit).
    max_lines : int
        At most this many correspondences (a random subset keeps the figure legible).
    thickness : int
        Line thickness in pixels.
    rng : numpy.random.Generator, int or None
        Randomness of the subset.

    Returns
    -------
    (max(H1, H2), W1 + W2, 3) uint8 ndarray
        RGB, ready for :func:`lacv.imaging.write_image`.

    Raises
    ------
    InputError
        Bad images, points or mask.
    DegenerateError
        A point is an epipole (its line is undefined).
    """
    a = to_rgb_u8(image1, "image1")
    b = to_rgb_u8(image2, "image2")
    M = _check_fundamental(F)
    p1 = _points_or_empty(points1, "points1")
    p2 = _points_or_empty(points2, "points2")
    n = check_same_length(points1=p1, points2=p2)
    check_int(max_lines, "max_lines", minimum=1)
    _check_thickness(thickness)
    chosen = np.flatnonzero(_inlier_mask(inliers, n))
    if chosen.size > max_lines:
        chosen = np.sort(as_rng(rng).choice(chosen, max_lines, replace=False))
    canvas = _side_by_side(a, b)
    if chosen.size == 0:
        return canvas
    l2 = epipolar_lines(M, p1[chosen], image=1)  # in image 2
    l1 = epipolar_lines(M, p2[chosen], image=2)  # in image 1
    scale = float(1 << _SHIFT)
    offset = np.array([a.shape[1], 0.0])
    for k, colour in enumerate(_colours(chosen.size)):
        for line, point, shape, shift in ((l1[k], p1[chosen[k]], a.shape, np.zeros(2)),
                                          (l2[k], p2[chosen[k]], b.shape, offset)):
            seg = _segment(line, shape[1], shape[0])
            if seg is not None:
                start = tuple(int(round(v)) for v in (seg[0] + shift) * scale)
                end = tuple(int(round(v)) for v in (seg[1] + shift) * scale)
                cv2.line(canvas, start, end, colour, thickness, cv2.LINE_AA, _SHIFT)
            centre = tuple(int(round(v)) for v in (point + shift) * scale)
            cv2.circle(canvas, centre, int(4 * scale), colour, -1, cv2.LINE_AA, _SHIFT)
            cv2.circle(canvas, centre, int(4 * scale), (0, 0, 0), 1, cv2.LINE_AA, _SHIFT)
    return canvas
