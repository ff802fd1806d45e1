"""Images: reading and writing, features and matches, warping, stitching, built-in scenes.

Images are NumPy arrays, grey ``(H, W)`` or colour ``(H, W, 3)`` in RGB order,
``uint8`` or ``uint16``. Transforms follow the package convention
``x' ~ H @ x`` (pixels, x right, y down, origin at the centre of the top-left
pixel), the same as OpenCV's.
"""

from lacv.imaging.chessboard import BoardNotFoundError, find_chessboard  # noqa: F401
from lacv.imaging.draw_epipolar import draw_epipolar_lines  # noqa: F401 (two-view figure)
from lacv.imaging.io import read_image, write_image
from lacv.imaging.scenes import Scene, corner_errors_px, panorama_scene, planar_scene
from lacv.imaging.warp import Canvas, Warped, canvas_bounds, warp_image, warped_corners

__all__ = [
    "Canvas",
    "Scene",
    "Warped",
    "canvas_bounds",
    "corner_errors_px",
    "panorama_scene",
    "planar_scene",
    "read_image",
    "warp_image",
    "warped_corners",
    "write_image",
]
