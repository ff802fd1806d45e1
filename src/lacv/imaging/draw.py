"""Pictures for people: matches side by side, and a panorama with each image's outline.

The pictures are RGB ``uint8`` arrays, ready for
:func:`lacv.imaging.write_image`; lines are drawn with OpenCV (anti-aliased).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from lacv._validate import as_array, as_points, check_int, check_same_length, describe
from lacv.errors import InputError
from lacv.imaging.io import as_image
from lacv.imaging.warp import warped_corners

__all__ = [
    "INLIER_COLOUR",
    "OUTLIER_COLOUR",
    "draw_matches",
    "draw_outlines",
    "draw_pair_matches",
    "to_rgb_u8",
]

INLIER_COLOUR = (40, 200, 40)
OUTLIER_COLOUR = (230, 40, 40)
_PALETTE = [(255, 200, 0), (0, 200, 255), (255, 80, 200), (120, 255, 80), (255, 140, 40),
            (160, 120, 255), (255, 255, 255), (0, 255, 180)]


def to_rgb_u8(image: Any, name: str = "image") -> np.ndarray:
    """An RGB ``uint8`` copy of an image (grey is repeated, uint16 scaled, float × 255)."""
    img = as_image(image, name)
    if img.dtype == np.uint16:
        img = (img.astype(np.float32) / 257.0 + 0.5).astype(np.uint8)
    elif img.dtype.kind == "f":
        img = np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if img.ndim == 2:
        img = np.repeat(img[:, :, np.newaxis], 3, axis=2)
    return np.ascontiguousarray(img)


def draw_matches(image1: Any, image2: Any, points1: Any, points2: Any,
                 inliers: Any = None, *, max_lines: int = 400, thickness: int = 1,
                 rng: np.random.Generator | int | None = 0) -> np.ndarray:
    """Two images side by side, with a line for each match.

    Inliers are green and outliers red (all matches green when ``inliers`` is
    not given). When there are more than ``max_lines`` matches a random subset
    keeps the picture legible; inliers and outliers are subsampled alike.

    Parameters
    ----------
    image1, image2 : (H, W) or (H, W, 3) array_like
    points1, points2 : (N, 2) array_like
        ``points1[k]`` in ``image1`` matches ``points2[k]`` in ``image2``.
    inliers : (N,) array_like of bool, optional
    max_lines : int
        Draw at most this many matches.
    thickness : int
        Line thickness in pixels.
    rng : numpy.random.Generator, int or None
        Randomness of the subset.

    Returns
    -------
    (max(H1, H2), W1 + W2, 3) uint8 ndarray
    """
    from lacv._validate import as_rng

    a = to_rgb_u8(image1, "image1")
    b = to_rgb_u8(image2, "image2")
    p1 = _points_or_empty(points1, "points1")
    p2 = _points_or_empty(points2, "points2")
    n = check_same_length(points1=p1, points2=p2)
    check_int(max_lines, "max_lines", minimum=1)
    _check_thickness(thickness)
    good = _inlier_mask(inliers, n)
    canvas = _side_by_side(a, b)
    chosen = np.arange(n)
    if n > max_lines:
        chosen = np.sort(as_rng(rng).choice(n, max_lines, replace=False))
    # outliers first, so the inliers are drawn on top
    chosen = chosen[np.argsort(good[chosen], kind="stable")]
    shift = 16  # sub-pixel drawing: coordinates in 1/65536 pixel
    scale = float(1 << shift)
    for k in chosen:
        colour = INLIER_COLOUR if good[k] else OUTLIER_COLOUR
        x1, y1 = p1[k]
        x2, y2 = p2[k]
        start = (int(round(x1 * scale)), int(round(y1 * scale)))
        end = (int(round((x2 + a.shape[1]) * scale)), int(round(y2 * scale)))
        cv2.line(canvas, start, end, colour, thickness, cv2.LINE_AA, shift)
        cv2.circle(canvas, start, int(2 * scale), colour, thickness, cv2.LINE_AA, shift)
        cv2.circle(canvas, end, int(2 * scale), colour, thickness, cv2.LINE_AA, shift)
    return canvas


def draw_outlines(image: Any, shapes: Sequence[tuple[int, ...]], transforms: Sequence[Any], *,
                  labels: Sequence[str] | None = None, thickness: int = 2) -> np.ndarray:
    """A panorama with the outline of each input image drawn on it.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) array_like
        The panorama.
    shapes : sequence of tuple
        ``shape`` of each input image.
    transforms : sequence of transform or (3, 3) array_like
        Each input's map into the panorama's pixels.
    labels : sequence of str, optional
        A label written at each outline's centre (default: the image index).
    thickness : int

    Returns
    -------
    (H, W, 3) uint8 ndarray
    """
    out = to_rgb_u8(image).copy()
    for value, name in ((shapes, "shapes"), (transforms, "transforms")):
        if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__"):
            raise InputError(f"{name}: expected a sequence (one per image), got {describe(value)}")
    if len(shapes) != len(transforms):
        raise InputError(f"shapes and transforms: expected one transform per shape, got "
                         f"{len(shapes)} and {len(transforms)}")
    if labels is None:
        labels = [str(i) for i in range(len(shapes))]
    elif len(labels) != len(shapes):
        raise InputError(f"labels: expected {len(shapes)} labels, got {len(labels)}")
    _check_thickness(thickness)
    for k, (shape, transform) in enumerate(zip(shapes, transforms, strict=True)):
        corners = warped_corners(shape, transform)
        colour = _PALETTE[k % len(_PALETTE)]
        poly = np.round(corners * 16).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(out, [poly], True, colour, thickness, cv2.LINE_AA, 4)
        cx, cy = corners.mean(axis=0)
        cv2.putText(out, labels[k], (int(cx) - 6, int(cy) + 6), cv2.FONT_HERSHEY_SIMPLEX, 0.7,
                    colour, 2, cv2.LINE_AA)
    return out


def draw_pair_matches(images: Sequence[Any], pairs: Sequence[Any], *,
                      max_width: int = 1600, max_lines: int = 300) -> np.ndarray:
    """The matches of several pairs of images, one pair per row (inliers green).

    Parameters
    ----------
    images : sequence of (H, W) or (H, W, 3) array_like
    pairs : sequence of PairMatch
        From :func:`lacv.imaging.stitch.stitch` (``Panorama.pairs``) or
        :func:`~lacv.imaging.stitch.match_pairs`; each row shows
        ``images[pair.i]`` beside ``images[pair.j]``.
    max_width : int
        Rows wider than this are scaled down.
    max_lines : int
        At most this many matches drawn per pair.

    Returns
    -------
    (H, W, 3) uint8 ndarray
    """
    check_int(max_width, "max_width", minimum=16)
    for value, name in ((images, "images"), (pairs, "pairs")):
        if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__"):
            raise InputError(f"{name}: expected a sequence, got {describe(value)}")  # len(None)
    if len(pairs) == 0:
        raise InputError("pairs: expected at least one pair to draw")
    rows = []
    for k, p in enumerate(pairs):
        if not all(hasattr(p, a) for a in ("i", "j", "points_i", "points_j", "inliers")):
            raise InputError(f"pairs[{k}]: expected a PairMatch (from stitch or match_pairs), "
                             f"got {describe(p)}")
        if not all(isinstance(v, numbers.Integral) and 0 <= v < len(images) for v in (p.i, p.j)):
            raise InputError(f"pairs[{k}]: images {p.i} and {p.j}, but there are "
                             f"{len(images)} images")
        row = draw_matches(images[p.i], images[p.j], p.points_i, p.points_j, p.inliers,
                           max_lines=max_lines)
        label = f"{p.i} - {p.j}: {p.n_inliers} inliers of {p.n_matches} matches"
        cv2.putText(row, label, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 3,
                    cv2.LINE_AA)
        cv2.putText(row, label, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1,
                    cv2.LINE_AA)
        if row.shape[1] > max_width:
            scale = max_width / row.shape[1]
            row = cv2.resize(row, (max_width, max(1, round(row.shape[0] * scale))),
                             interpolation=cv2.INTER_AREA)
        rows.append(row)
    width = max(r.shape[1] for r in rows)
    gap = np.zeros((4, width, 3), np.uint8)
    padded = []
    for r in rows:
        padded += [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0))), gap]
    return np.vstack(padded[:-1])


def _inlier_mask(inliers: Any, n: int) -> np.ndarray:
    """``inliers`` checked as an ``(n,)`` boolean mask; all True when None."""
    if inliers is None:
        return np.ones(n, dtype=bool)
    mask = np.asarray(inliers)
    if mask.dtype != bool or mask.shape != (n,):
        raise InputError(f"inliers: expected a boolean array of shape ({n},), "
                         f"got {describe(mask)}")
    return mask


def _side_by_side(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two RGB uint8 images on one black canvas, ``a`` left, ``b`` right, top-aligned."""
    canvas = np.zeros((max(a.shape[0], b.shape[0]), a.shape[1] + b.shape[1], 3), dtype=np.uint8)
    canvas[:a.shape[0], :a.shape[1]] = a
    canvas[:b.shape[0], a.shape[1]:] = b
    return canvas


def _points_or_empty(points: Any, name: str) -> np.ndarray:
    # as_array first: np.asarray(float) raised NumPy's errors on ragged lists, dicts, objects
    arr = as_array(points, name, allow_empty=True)
    if arr.size == 0:
        return np.zeros((0, 2))
    return as_points(arr, name)


#: OpenCV's largest line thickness (CV_MAX_THICKNESS); beyond it cv2 raised its own error
_MAX_THICKNESS = 32767


def _check_thickness(thickness: Any) -> int:
    t = check_int(thickness, "thickness", minimum=1)
    if t > _MAX_THICKNESS:
        raise InputError(f"thickness: expected at most {_MAX_THICKNESS} pixels, got {t}")
    return t
