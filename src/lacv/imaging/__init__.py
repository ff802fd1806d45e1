"""Images: reading and writing, features and matches, warping, stitching, built-in scenes.

Images are NumPy arrays, grey ``(H, W)`` or colour ``(H, W, 3)`` in RGB order,
``uint8`` or ``uint16``. Transforms follow the package convention
``x' ~ H @ x`` (pixels, x right, y down, origin at the centre of the top-left
pixel), the same as OpenCV's.

- :mod:`~lacv.imaging.io` — :func:`read_image`, :func:`write_image` (atomic).
- :mod:`~lacv.imaging.features` — :func:`detect_features`,
  :func:`match_features` (SIFT / ORB / ASIFT by OpenCV, ratio test, mutual check).
- :mod:`~lacv.imaging.warp` — :func:`warp_image`, :func:`canvas_bounds`.
- :mod:`~lacv.imaging.stitch` — :func:`stitch` (a :class:`Panorama`),
  :func:`register_pair`; :mod:`~lacv.imaging.adjust` (joint refinement) and
  :mod:`~lacv.imaging.blend` (gains, blends, crop) behind it.
- :mod:`~lacv.imaging.scenes` — :func:`panorama_scene`, :func:`planar_scene`
  with exact ground truth.
- :mod:`~lacv.imaging.draw` — :func:`draw_matches`, :func:`draw_outlines`;
  :mod:`~lacv.imaging.draw_epipolar` — :func:`draw_epipolar_lines`.
- :mod:`~lacv.imaging.chessboard` — :func:`find_chessboard` (OpenCV's
  detector and sub-pixel refinement); :mod:`~lacv.imaging.calibration_scene`
  and :mod:`~lacv.imaging.twoview_scene` — the built-in calibration sequence
  and two-view scene, with ground truth.
"""

from lacv.imaging.calibration_scene import calibration_sequence
from lacv.imaging.chessboard import BoardNotFoundError, find_chessboard
from lacv.imaging.draw import draw_matches, draw_outlines, draw_pair_matches
from lacv.imaging.draw_epipolar import draw_epipolar_lines
from lacv.imaging.features import Features, Matches, detect_features, match_features
from lacv.imaging.io import read_image, write_image
from lacv.imaging.scenes import Scene, corner_errors_px, panorama_scene, planar_scene
from lacv.imaging.stitch import PairMatch, Panorama, register_pair, stitch
from lacv.imaging.warp import Canvas, Warped, canvas_bounds, warp_image, warped_corners

__all__ = [
    "BoardNotFoundError",
    "Canvas",
    "Features",
    "Matches",
    "PairMatch",
    "Panorama",
    "Scene",
    "Warped",
    "calibration_sequence",
    "canvas_bounds",
    "corner_errors_px",
    "detect_features",
    "draw_epipolar_lines",
    "draw_matches",
    "draw_outlines",
    "draw_pair_matches",
    "find_chessboard",
    "match_features",
    "panorama_scene",
    "planar_scene",
    "read_image",
    "register_pair",
    "stitch",
    "warp_image",
    "warped_corners",
    "write_image",
]
