"""Chessboard corner detection for calibration: OpenCV's detector, sub-pixel refinement.

OpenCV finds the board (``findChessboardCorners``: adaptive threshold,
quadrangle grouping) and refines every corner to sub-pixel accuracy
(``cornerSubPix``: the corner is where the image gradient is orthogonal to
the vector from it within a window, Förstner & Gülch 1987). ``lacv`` adds a
clear failure and a fixed corner order; the estimation that follows
(:func:`lacv.geometry.calibration.calibrate_camera`) is ``lacv``'s own.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from lacv._validate import check_int, describe
from lacv.errors import InputError, LacvError
from lacv.imaging.io import to_gray_u8

__all__ = ["BoardNotFoundError", "board_points", "find_chessboard", "parse_pattern"]

#: cornerSubPix stops after this many iterations or a move below this many pixels
_SUBPIX_CRITERIA = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 40, 1e-3)


class BoardNotFoundError(LacvError):
    """The chessboard was not found in an image (a normal outcome for a bad view)."""


def parse_pattern(pattern: Any, name: str = "pattern") -> tuple[int, int]:
    """``(columns, rows)`` of inner corners from a pair of ints or a string like ``"9x6"``."""
    if isinstance(pattern, str):
        parts = pattern.lower().replace("×", "x").split("x")
        try:
            pattern = tuple(int(p) for p in parts)
        except ValueError:
            raise InputError(f"{name}: expected 'COLSxROWS' such as '9x6', got {pattern!r}"
                             ) from None
    try:
        cols, rows = pattern
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected (columns, rows) of inner corners, got "
                         f"{describe(pattern)}") from None
    check_int(cols, f"{name}[0]", minimum=2)
    check_int(rows, f"{name}[1]", minimum=2)
    if cols * rows > _MAX_CORNERS:
        # at a few pixels per square such a board needs more pixels than read_image accepts
        raise InputError(f"{name}: {cols}×{rows} = {cols * rows} inner corners; at most "
                         f"{_MAX_CORNERS} are supported")
    return int(cols), int(rows)


#: the least image side findChessboardCorners accepts (smaller ones fail its adaptive threshold)
_MIN_SIDE = 15

#: most inner corners of a board: 10⁶ corners at 10 px per square are read_image's 10⁸ pixels
_MAX_CORNERS = 1_000_000


def board_points(pattern: Any = (9, 6), square_size: float = 1.0) -> np.ndarray:
    """The inner corners of a chessboard on its plane ``Z = 0``, in OpenCV's order.

    Corner ``(i, j)`` (column ``i``, row ``j``) is at ``(i s, j s, 0)``, row
    after row: the order :func:`find_chessboard` returns.

    Returns
    -------
    (cols · rows, 3) ndarray
    """
    cols, rows = parse_pattern(pattern)
    if not (isinstance(square_size, (int, float)) and np.isfinite(square_size)
            and square_size > 0):
        raise InputError(f"square_size: expected a length > 0, got {describe(square_size)}")
    j, i = np.mgrid[0:rows, 0:cols]
    return np.column_stack([i.ravel() * float(square_size), j.ravel() * float(square_size),
                            np.zeros(cols * rows)])


def find_chessboard(image: Any, pattern: Any = (9, 6), *, subpixel: bool = True,
                    window: int | None = None) -> np.ndarray:
    """The inner corners of a chessboard, refined to sub-pixel accuracy.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) ndarray
        Grey or RGB (uint8, uint16 or float in [0, 1]).
    pattern : (int, int) or str
        Inner corners ``(columns, rows)``, e.g. ``(9, 6)`` or ``"9x6"``.
    subpixel : bool
        Refine with ``cornerSubPix`` (default).
    window : int, optional
        Half-size of the refinement window in pixels. By default 40 % of the
        smallest spacing between neighbouring corners, between 2 and 11 (a
        window wider than half a square would see the next corner).

    Returns
    -------
    (cols · rows, 2) ndarray
        Corners row after row, as :func:`board_points` orders the board. The
        board's 180° symmetry leaves two valid orders; the one whose first
        corner is nearer the image's top-left (smaller ``x + y``) is returned,
        so two cameras of a rig label the corners alike.

    Raises
    ------
    BoardNotFoundError
        The board is not in the image (or not all of its corners are).
    InputError
        Not an image, or a bad pattern.
    """
    cols, rows = parse_pattern(pattern)
    gray = to_gray_u8(image)
    if min(gray.shape) < _MIN_SIDE:
        # OpenCV's adaptive threshold asserted (a raw cv2.error) on smaller images
        raise BoardNotFoundError(f"chessboard {cols}×{rows} not found: the image is only "
                                 f"{gray.shape[1]}×{gray.shape[0]} pixels (OpenCV's detector "
                                 f"needs at least {_MIN_SIDE} on each side)")
    flags = cv2.CALIB_CB_ADAPTIVE_THRESH | cv2.CALIB_CB_NORMALIZE_IMAGE
    found, corners = cv2.findChessboardCorners(gray, (cols, rows), flags=flags)
    if not found or corners is None:
        raise BoardNotFoundError(f"chessboard {cols}×{rows} not found in the "
                                 f"{gray.shape[1]}×{gray.shape[0]} image (is the whole board "
                                 "with its white border in view, and sharp?)")
    pts = corners.reshape(-1, 2).astype(np.float32)
    if subpixel:
        grid = pts.reshape(rows, cols, 2)
        spacing = min(float(np.min(np.linalg.norm(np.diff(grid, axis=1), axis=2))),
                      float(np.min(np.linalg.norm(np.diff(grid, axis=0), axis=2))))
        if window is None:
            half = int(np.clip(round(0.4 * spacing), 2, 11))
        else:
            half = check_int(window, "window", minimum=1)
        pts = cv2.cornerSubPix(gray, pts.reshape(-1, 1, 2), (half, half), (-1, -1),
                               _SUBPIX_CRITERIA).reshape(-1, 2)
    out = pts.astype(np.float64)
    if out[0].sum() > out[-1].sum():
        out = out[::-1].copy()
    return out
