r"""How far correspondences are from satisfying an epipolar geometry, in pixels.

Convention (OpenCV's): ``x2ᵀ F x1 = 0`` for a point ``x1`` of the first image
and its match ``x2`` in the second. The epipolar line of ``x1`` in the second
image is :math:`l_2 = F \tilde x_1`, that of ``x2`` in the first image is
:math:`l_1 = F^T \tilde x_2` (H&Z §9.2).

- :func:`epipolar_lines`: lines ``(a, b, c)`` scaled so that ``a² + b² = 1``;
  then ``a x + b y + c`` is the signed distance of ``(x, y)`` to the line.
- :func:`symmetric_epipolar_distance`: the mean of the two point-to-line
  distances, :math:`\tfrac12\,(d(x_2, F x_1) + d(x_1, F^T x_2))`.
- :func:`sampson_distance`: the first-order approximation of the geometric
  (reprojection) error, in pixels (H&Z eq. 11.9):

  .. math:: d_S = \frac{|x_2^T F x_1|}
            {\sqrt{(F x_1)_1^2 + (F x_1)_2^2 + (F^T x_2)_1^2 + (F^T x_2)_2^2}}

  It is the distance in the joint 4-D space ``(x1, y1, x2, y2)`` from the
  correspondence to the nearest point of the first-order variety, so a
  correspondence with 1 px of noise in each coordinate of both images has a
  Sampson distance of about 1 px. (OpenCV's ``cv2.sampsonDistance`` returns
  its square.)

References
----------
.. [1] R. Hartley and A. Zisserman, *Multiple View Geometry in Computer
   Vision*, 2nd ed., 2003, §9.2.2, §11.4.3 (Sampson error, eq. 11.9), eq. 11.10
   (symmetric epipolar distance).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lacv._validate import as_points, check_int, check_same_length
from lacv.errors import DegenerateError, InputError
from lacv.geometry.epipolar.fundamental import _check_fundamental

__all__ = ["epipolar_lines", "sampson_distance", "symmetric_epipolar_distance"]


def _pair(F: Any, x1: Any, x2: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    M = _check_fundamental(F)
    a = as_points(x1, "x1")
    b = as_points(x2, "x2")
    check_same_length(x1=a, x2=b)
    return M, a, b


def _lines(M: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``M x̃`` for each row of ``p`` as ``(N, 3)`` (no normalisation)."""
    return p @ M[:, :2].T + M[:, 2]


def epipolar_lines(F: Any, points: Any, image: int = 1) -> np.ndarray:
    r"""Epipolar lines in the *other* image, with ``a² + b² = 1`` (``x₂ᵀ F x₁ = 0``).

    For points of image 1 the lines live in image 2, :math:`l_2 = F \tilde
    x_1`; for points of image 2 they live in image 1, :math:`l_1 = F^T \tilde
    x_2` (H&Z §9.2.2; OpenCV's ``computeCorrespondEpilines``).

    Parameters
    ----------
    F : (3, 3) array_like
        The fundamental matrix.
    points : (N, 2) array_like
        Pixels of image ``image``.
    image : {1, 2}
        Which image ``points`` belong to.

    Returns
    -------
    (N, 3) ndarray
        Lines ``(a, b, c)`` with ``a² + b² = 1``: ``a x + b y + c`` is the
        signed distance in pixels of ``(x, y)`` from the line.

    Raises
    ------
    DegenerateError
        A point is the epipole, whose epipolar line is undefined (``F x̃ = 0``).

    Examples
    --------
    >>> F = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # a pure x shift
    >>> epipolar_lines(F, [[10.0, 20.0]])
    array([[ 0., -1., 20.]])
    """
    M = _check_fundamental(F)
    p = as_points(points, "points")
    image = check_int(image, "image")
    if image not in (1, 2):
        raise InputError(f"image: expected 1 or 2 (the image the points are in), got {image}")
    lines = _lines(M if image == 1 else M.T, p)
    norm = np.hypot(lines[:, 0], lines[:, 1])
    bad = norm <= 1e-15 * np.abs(M).max() * max(1.0, float(np.abs(p).max()))
    if bad.any():
        raise DegenerateError(f"points: {int(bad.sum())} point(s) at the epipole (first at row "
                              f"{int(np.flatnonzero(bad)[0])}) have no epipolar line")
    return lines / norm[:, None]


def sampson_distance(F: Any, x1: Any, x2: Any) -> np.ndarray:
    r"""Sampson distance of each correspondence from ``x₂ᵀ F x₁ = 0``, in pixels.

    .. math:: d_S = \frac{|x_2^T F x_1|}
              {\sqrt{(F x_1)_1^2 + (F x_1)_2^2 + (F^T x_2)_1^2 + (F^T x_2)_2^2}}

    (H&Z eq. 11.9.) The first-order approximation of the distance, in the
    joint space of both images' coordinates, to the nearest correspondence
    that satisfies the epipolar constraint exactly. The square root of
    OpenCV's ``cv2.sampsonDistance``.

    Parameters
    ----------
    F : (3, 3) array_like
    x1, x2 : (N, 2) array_like
        Matching pixels of the first and second image.

    Returns
    -------
    (N,) ndarray
        Non-negative distances in pixels. A correspondence at both epipoles
        (denominator zero) satisfies the constraint trivially and has
        distance 0.

    Examples
    --------
    >>> F = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # a pure x shift
    >>> sampson_distance(F, [[10.0, 20.0]], [[15.0, 22.0]])  # 2 px off the row: √2 each way
    array([1.41421356])
    """
    M, a, b = _pair(F, x1, x2)
    l2 = _lines(M, a)  # F x1
    l1 = _lines(M.T, b)  # Fᵀ x2
    num = b[:, 0] * l2[:, 0] + b[:, 1] * l2[:, 1] + l2[:, 2]
    den = l2[:, 0] ** 2 + l2[:, 1] ** 2 + l1[:, 0] ** 2 + l1[:, 1] ** 2
    out = np.zeros(len(a))
    ok = den > 0
    out[ok] = np.abs(num[ok]) / np.sqrt(den[ok])
    return out


def symmetric_epipolar_distance(F: Any, x1: Any, x2: Any) -> np.ndarray:
    r"""Mean of the two point-to-epipolar-line distances, in pixels (``x₂ᵀ F x₁ = 0``).

    .. math:: d_{sym} = \tfrac12 \left( \frac{|x_2^T F x_1|}{\|(F x_1)_{1,2}\|}
              + \frac{|x_2^T F x_1|}{\|(F^T x_2)_{1,2}\|} \right)

    — the average of the distance of ``x2`` from the epipolar line of ``x1``
    and of ``x1`` from that of ``x2`` (H&Z eq. 11.10 sums their squares; the
    mean of the distances keeps pixel units).

    Parameters
    ----------
    F : (3, 3) array_like
    x1, x2 : (N, 2) array_like

    Returns
    -------
    (N,) ndarray
        Distances in pixels.

    Raises
    ------
    DegenerateError
        A point is an epipole, so one of its lines is undefined.
    """
    M, a, b = _pair(F, x1, x2)
    l2 = _lines(M, a)
    l1 = _lines(M.T, b)
    num = np.abs(b[:, 0] * l2[:, 0] + b[:, 1] * l2[:, 1] + l2[:, 2])
    n2 = np.hypot(l2[:, 0], l2[:, 1])
    n1 = np.hypot(l1[:, 0], l1[:, 1])
    bad = (n1 == 0) | (n2 == 0)
    if bad.any():
        raise DegenerateError(f"x1, x2: {int(bad.sum())} correspondence(s) at an epipole (first "
                              f"at row {int(np.flatnonzero(bad)[0])}): the epipolar line is "
                              "undefined")
    return 0.5 * (num / n2 + num / n1)

