r"""Two-view (epipolar) geometry: F and E, relative pose, triangulation.

Convention, the same as OpenCV's and used in every function here: a point
``x1`` of the first image and its match ``x2`` in the second satisfy

.. math:: \tilde x_2^T F \tilde x_1 = 0, \qquad \hat x_2^T E \hat x_1 = 0,
          \qquad E = [t]_\times R = K_2^T F K_1,

with the first camera ``K₁[I | 0]``, the second ``K₂[R | t]`` (a point ``X`` of
the first camera's frame is ``R X + t`` in the second's), pixels ``x̃ = (x, y,
1)`` and calibrated coordinates ``x̂ = K⁻¹ x̃`` (H&Z §9.2, §9.6).

- :mod:`~lacv.geometry.epipolar.fundamental` — :func:`eight_point`
  (normalised, rank 2), :func:`seven_point` (up to three solutions).
- :mod:`~lacv.geometry.epipolar.distances` — :func:`sampson_distance`,
  :func:`symmetric_epipolar_distance`, :func:`epipolar_lines`.
- :mod:`~lacv.geometry.epipolar.essential` — :func:`essential_from_points`,
  :func:`essential_from_fundamental`, :func:`fundamental_from_essential`,
  :func:`fundamental_from_pose`, :func:`project_to_essential`.
- :mod:`~lacv.geometry.epipolar.fivepoint` — the five-point essential-matrix
  solver (Nistér; Stewénius' action matrix), batched.
- :mod:`~lacv.geometry.epipolar.pose` — :func:`decompose_essential`,
  :func:`recover_pose` (cheirality).
- :mod:`~lacv.geometry.epipolar.models` — :class:`Fundamental`,
  :class:`Essential`: values with ``from_points`` and ``robust_fit``, whose
  estimator (:mod:`~lacv.geometry.epipolar.robust_fit`) drives the project's
  RANSAC loop with the seven-point solver, Sampson scoring, LO and a final
  Gauss–Newton / Levenberg–Marquardt refinement of the Sampson error.
- :mod:`~lacv.geometry.epipolar.refinement` — :func:`refine_fundamental`
  (Sampson error over rank-2 matrices, Bartoli–Sturm parametrisation).
- :mod:`~lacv.geometry.epipolar.triangulation` — :func:`triangulate_points`
  (linear DLT, optional refinement), :func:`reprojection_error`.
"""

from lacv.geometry.epipolar.distances import (
    epipolar_lines,
    sampson_distance,
    symmetric_epipolar_distance,
)
from lacv.geometry.epipolar.essential import (
    calibrate_points,
    essential_from_fundamental,
    essential_from_points,
    essential_from_pose,
    fundamental_from_essential,
    fundamental_from_pose,
    project_to_essential,
    skew,
)
from lacv.geometry.epipolar.fundamental import eight_point, nearest_rank2, seven_point
from lacv.geometry.epipolar.models import CalibratedEssential, Essential, Fundamental
from lacv.geometry.epipolar.pose import PoseResult, decompose_essential, recover_pose
from lacv.geometry.epipolar.refinement import FundamentalRefinement, refine_fundamental
from lacv.geometry.epipolar.triangulation import (
    projection_matrix,
    reprojection_error,
    triangulate_points,
)

__all__ = [
    "CalibratedEssential",
    "Essential",
    "Fundamental",
    "FundamentalRefinement",
    "PoseResult",
    "calibrate_points",
    "decompose_essential",
    "eight_point",
    "epipolar_lines",
    "essential_from_fundamental",
    "essential_from_points",
    "essential_from_pose",
    "fundamental_from_essential",
    "fundamental_from_pose",
    "nearest_rank2",
    "project_to_essential",
    "projection_matrix",
    "recover_pose",
    "refine_fundamental",
    "reprojection_error",
    "sampson_distance",
    "seven_point",
    "skew",
    "symmetric_epipolar_distance",
    "triangulate_points",
]
