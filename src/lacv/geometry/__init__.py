"""Geometry: homogeneous coordinates, the five 2D transform families, their estimation.

- :mod:`~lacv.geometry.homogeneous` — ``to_homogeneous``, ``from_homogeneous``,
  ``normalize_points`` (Hartley).
- :mod:`~lacv.geometry.transforms` — :class:`Translation`, :class:`Euclidean`,
  :class:`Similarity`, :class:`Affine`, :class:`Homography`, each with
  ``from_points`` (closed form / DLT).
"""

from lacv.geometry.homogeneous import from_homogeneous, normalize_points, to_homogeneous
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
    "TRANSFORMS",
    "Affine",
    "Euclidean",
    "Homography",
    "Similarity",
    "Transform",
    "Translation",
    "from_homogeneous",
    "normalize_points",
    "to_homogeneous",
    "transform_class",
]
