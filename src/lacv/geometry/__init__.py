"""Geometry: homogeneous coordinates, the five 2D transform families, their estimation.

- :mod:`~lacv.geometry.homogeneous` — ``to_homogeneous``, ``from_homogeneous``,
  ``normalize_points`` (Hartley).
- :mod:`~lacv.geometry.transforms` — :class:`Translation`, :class:`Euclidean`,
  :class:`Similarity`, :class:`Affine`, :class:`Homography`, each with
  ``from_points`` (closed form / DLT, optional refinement).
- :mod:`~lacv.geometry.refine` — :func:`levenberg_marquardt` (a generic LM
  core with covariance) and :func:`refine_transform`.
- :mod:`~lacv.geometry.robust` — :func:`ransac` (vectorised, preemptive MSAC,
  local optimisation, exact stopping rule) and the generic :func:`run_ransac`;
  :mod:`~lacv.geometry.sampling` (minimal samples, PROSAC's progressive
  sampling, the stopping rule) and :mod:`~lacv.geometry.sigma_consensus`
  (MAGSAC++ weights and loss) behind it.
- :func:`estimate_transform` — one entry point for all of it.
- :mod:`~lacv.geometry.calibration` — :class:`Camera`, :class:`Pose`,
  :func:`calibrate_camera` (Zhang's method), :func:`calibrate_stereo`,
  ``projection_matrix_dlt`` and ``decompose_projection_matrix``
  (:mod:`~lacv.geometry.camera`, :mod:`~lacv.geometry.zhang`,
  :mod:`~lacv.geometry.projection` behind it).
- :mod:`~lacv.geometry.rotations` — SO(3): ``skew``, ``exp_so3`` / ``log_so3``
  (accurate near 0 and π), ``left_jacobian`` / ``right_jacobian``,
  ``nearest_rotation``; the one implementation the modules above share.
- :mod:`~lacv.geometry.epipolar` — :class:`Fundamental`, :class:`Essential`,
  pose recovery and triangulation; ``ransac(x1, x2, model=Fundamental)`` works.
"""

from lacv.geometry.calibration import Camera, Pose, calibrate_camera, calibrate_stereo
from lacv.geometry.epipolar import Essential, Fundamental
from lacv.geometry.estimate import KINDS, estimate_transform
from lacv.geometry.homogeneous import from_homogeneous, normalize_points, to_homogeneous
from lacv.geometry.refine import LMResult, Refinement, levenberg_marquardt, refine_transform
from lacv.geometry.robust import RobustResult, ransac, required_trials, run_ransac
from lacv.geometry.transforms import (
    TRANSFORMS,
    Affine,
    Euclidean,
    Homography,
    Similarity,
    Transform,
    Translation,
    transform_class,
)

__all__ = [
    "KINDS",
    "TRANSFORMS",
    "Affine",
    "Camera",
    "Essential",
    "Euclidean",
    "Fundamental",
    "Homography",
    "LMResult",
    "Pose",
    "Refinement",
    "RobustResult",
    "Similarity",
    "Transform",
    "Translation",
    "calibrate_camera",
    "calibrate_stereo",
    "estimate_transform",
    "from_homogeneous",
    "levenberg_marquardt",
    "normalize_points",
    "ransac",
    "refine_transform",
    "required_trials",
    "run_ransac",
    "to_homogeneous",
    "transform_class",
]
