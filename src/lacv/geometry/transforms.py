r"""The five 2D transform families of the lecture, as immutable values.

=================  ============================  =====  ===============  ===========
class              matrix (acting on (x, y, 1))  dof    preserves        min_samples
=================  ============================  =====  ===============  ===========
:class:`Translation`  ``[I | t]``                2      orientation      1
:class:`Euclidean`    ``[R | t]``                3      lengths          2
:class:`Similarity`   ``[sR | t]``               4      angles           2
:class:`Affine`       ``[A]`` (2×3)              6      parallelism      3
:class:`Homography`   ``H̃`` (3×3, up to scale)   8      straight lines   4
=================  ============================  =====  ===============  ===========

(Lecture notes, "Estimating geometric transformation"; Szeliski, *Computer
Vision: Algorithms and Applications*, §2.1.2, table 2.1.) Each family also
preserves what the families below it preserve.

Every transform holds a 3×3 ``matrix`` that acts on column vectors,
``x' ~ M @ (x, y, 1)``, exactly as OpenCV's, so matrices pass between the two
unchanged. Transforms are values: they cannot be modified, ``T(points)``
applies them, ``T.inverse`` inverts them, ``A @ B`` composes them (``(A @
B)(x) == A(B(x))``; the result is of the more general of the two families),
and ``np.asarray(T)`` gives the matrix.

Estimation is a classmethod that returns a new value,
``Homography.from_points(src, dst)``:

- translation: the (weighted) mean displacement;
- Euclidean and similarity: Umeyama's closed form (SVD of the 2×2 cross
  covariance, reflections excluded);
- affine: the lecture's 2N×6 least-squares system on Hartley-normalised points;
- homography: the lecture's DLT on Hartley-normalised points, with an exact
  solver for four points;
- ``refine=True`` then minimises the geometric transfer error
  ``Σ |T(xᵢ) − x'ᵢ|²`` by Levenberg–Marquardt (:mod:`lacv.geometry.refine`).

A configuration whose answer is not unique (coincident points, collinear
points for the affine map and the homography) raises
:class:`~lacv.errors.DegenerateError` naming the cause; the test is made on
singular values, with the tolerances stated in each docstring.

References
----------
.. [1] R. Hartley and A. Zisserman, *Multiple View Geometry in Computer
   Vision*, 2nd ed., 2003: §4.1 (DLT, algorithm 4.1), §4.4.4 (normalisation,
   algorithm 4.2), §A5.3 (homogeneous least squares).
.. [2] S. Umeyama, "Least-squares estimation of transformation parameters
   between two point patterns", IEEE TPAMI 13(4), 1991.
.. [3] D. Min, "Basic Linear Algebra for AI and Computer Vision", lecture notes
   (the 2N×6 affine system and the 2N×9 homography system).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from lacv._validate import as_array, as_matrix, as_points, check_same_length, describe
from lacv.errors import DegenerateError, InputError
from lacv.geometry._minimal import homography_4pt
from lacv.geometry.homogeneous import _as_weights, _hartley, normalize_points

__all__ = [
    "TRANSFORMS",
    "Affine",
    "Euclidean",
    "Homography",
    "Similarity",
    "Transform",
    "Translation",
    "transform_class",
]

#: relative tolerance on structural checks of a matrix given by the user
_STRUCTURE_ATOL = 1e-9
#: ratio σ_min/σ_max (of the normalised design or scatter) below which points count
#: as collinear. The DLT works on AᵀA, whose eigenvalues are σ², so rounding leaves
#: σ_min/σ_max near √ε ≈ 1.5e-8 even for exactly degenerate input: the cut sits
#: above that.
_DEGENERATE_RTOL = 1e-7


# --------------------------------------------------------------------------- helpers


def _check_pair(src: Any, dst: Any, min_count: int) -> tuple[np.ndarray, np.ndarray]:
    s = as_points(src, "src", min_count=min_count)
    d = as_points(dst, "dst", min_count=min_count)
    check_same_length(src=s, dst=d)
    return s, d


def _rotation(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def _scatter_check(pts: np.ndarray, name: str, what: str) -> None:
    """DegenerateError when normalised points lie on one line (from the 2×2 scatter's σ)."""
    d = pts - pts.mean(axis=0)
    s = np.linalg.svd(d.T @ d, compute_uv=False)  # σ of the scatter = σ² of the points
    ratio = np.sqrt(s[1] / s[0]) if s[0] > 0 else 0.0
    if ratio < _DEGENERATE_RTOL:
        raise DegenerateError(
            f"{name}: all points lie on one line (singular values of the centred points in the "
            f"ratio {ratio:.2e}), so {what} is not unique", singular_values=np.sqrt(s))


# --------------------------------------------------------------------------- base class


class Transform:
    """Base class of the five families: an immutable 3×3 matrix acting on ``(x, y, 1)``.

    Attributes
    ----------
    kind : str
        ``"translation"``, ``"euclidean"``, ``"similarity"``, ``"affine"`` or
        ``"homography"``.
    dof : int
        Degrees of freedom.
    min_samples : int
        Correspondences needed to determine the transform.
    preserves : str
        What the family keeps invariant (the lecture's column).
    projective : bool
        Whether applying it needs the division by ``w``.
    """

    kind: ClassVar[str] = "transform"
    dof: ClassVar[int]
    min_samples: ClassVar[int]
    preserves: ClassVar[str]
    projective: ClassVar[bool] = False
    #: position in the chain translation ⊂ euclidean ⊂ similarity ⊂ affine ⊂ homography
    _order: ClassVar[int]

    __slots__ = ("_matrix",)
    _matrix: np.ndarray

    # -- construction ----------------------------------------------------------------

    @classmethod
    def _trusted(cls, matrix: np.ndarray) -> Transform:
        """Wrap a matrix already known to belong to the family (no checks)."""
        obj = object.__new__(cls)
        m = np.array(matrix, dtype=np.float64)
        m.setflags(write=False)
        object.__setattr__(obj, "_matrix", m)
        return obj

    @classmethod
    def from_matrix(cls, matrix: Any) -> Transform:
        """The transform of a 3×3 matrix, checked to belong to the family.

        Parameters
        ----------
        matrix : (3, 3) array_like (or (2, 3) for the affine families)

        Raises
        ------
        InputError
            The matrix is not of this family (e.g. a non-orthonormal rotation for
            :class:`Euclidean`) or is singular.
        """
        m = as_matrix(matrix, "matrix")
        if cls is not Homography and m.shape == (2, 3):
            m = np.vstack([m, [0.0, 0.0, 1.0]])
        if m.shape != (3, 3):
            also = "" if cls is Homography else " or (2, 3)"
            raise InputError(f"matrix: expected shape (3, 3){also}, got {describe(m)}")
        return cls._trusted(cls._check_structure(m))

    @classmethod
    def _check_structure(cls, m: np.ndarray) -> np.ndarray:
        scale = max(1.0, float(np.max(np.abs(m))))
        if not np.allclose(m[2], [0.0, 0.0, 1.0], rtol=0, atol=_STRUCTURE_ATOL * scale):
            raise InputError(f"matrix: the last row of a {cls.kind} matrix must be (0, 0, 1), "
                             f"got {np.array2string(m[2], precision=6)}")
        m = m.copy()
        m[2] = (0.0, 0.0, 1.0)
        # det(L / scale) = det(L) / scale²: the same test without overflow for entries near 1e200
        det_scaled = float(np.linalg.det(m[:2, :2] / scale))
        if abs(det_scaled) <= _STRUCTURE_ATOL:
            det = det_scaled * scale * scale
            raise InputError(f"matrix: singular linear part (det = {det:.3g}); a {cls.kind} "
                             "transform must be invertible")
        return m

    @classmethod
    def from_params(cls, params: Any) -> Transform:
        """The transform with the given :attr:`params` vector (see each family)."""
        raise NotImplementedError  # pragma: no cover - every family overrides it

    @classmethod
    def identity(cls) -> Transform:
        """The identity transform of this family."""
        return cls._trusted(np.eye(3))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; build a new one instead")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self)._trusted, (np.array(self._matrix),))

    # -- views -----------------------------------------------------------------------

    @property
    def matrix(self) -> np.ndarray:
        """(3, 3) ndarray, read-only: ``x' ~ matrix @ (x, y, 1)``."""
        return self._matrix

    @property
    def params(self) -> np.ndarray:
        """The family's parameter vector (``dof`` entries), as used by :meth:`from_params`."""
        raise NotImplementedError  # pragma: no cover

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.array(self._matrix, dtype=dtype)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Transform):
            return NotImplemented
        return type(self) is type(other) and bool(np.array_equal(self._matrix, other._matrix))

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._matrix.tobytes()))

    def __repr__(self) -> str:
        body = np.array2string(self._matrix, precision=6, separator=", ", suppress_small=True)
        return f"{type(self).__name__}.from_matrix({body})"

    # -- action ----------------------------------------------------------------------

    def __call__(self, points: Any) -> np.ndarray:
        """Apply the transform to ``points``.

        Parameters
        ----------
        points : (N, 2) or (2,) array_like

        Returns
        -------
        (N, 2) or (2,) ndarray
            Same shape as the input.

        Raises
        ------
        DegenerateError
            (Homography) a point is sent to infinity (``w == 0``).
        """
        pts = as_points(points, "points", min_count=0)  # first: np.ndim raised on ragged lists
        single = np.ndim(points) == 1
        out = self._apply(pts)
        return out[0] if single else out

    def _apply(self, pts: np.ndarray) -> np.ndarray:
        m = self._matrix
        return pts @ m[:2, :2].T + m[:2, 2]

    def residuals(self, src: Any, dst: Any) -> np.ndarray:
        """Transfer errors ``|T(srcᵢ) − dstᵢ|`` in pixels.

        Parameters
        ----------
        src, dst : (N, 2) array_like

        Returns
        -------
        (N,) ndarray
            Euclidean distances; ``inf`` where a homography sends ``srcᵢ`` to
            infinity.
        """
        s, d = _check_pair(src, dst, 1)
        with np.errstate(over="ignore"):
            r = np.sqrt(self._errors_sq(s, d))
        if not self.projective:
            # squares of errors beyond 1e154 overflowed (inf with a RuntimeWarning): hypot does not
            over = np.flatnonzero(np.isinf(r))
            if over.size:
                with np.errstate(over="ignore"):
                    e = self._apply(s[over]) - d[over]
                    r[over] = np.hypot(e[:, 0], e[:, 1])
        return r

    def _errors_sq(self, s: np.ndarray, d: np.ndarray) -> np.ndarray:
        e = self._apply(s) - d
        return e[:, 0] ** 2 + e[:, 1] ** 2

    @property
    def inverse(self) -> Transform:
        """The inverse transform, of the same family."""
        return type(self)._post_compose(np.linalg.inv(self._matrix))

    def __matmul__(self, other: Any) -> Transform:
        if not isinstance(other, Transform):
            return NotImplemented
        cls = type(self) if self._order >= other._order else type(other)
        with np.errstate(over="ignore", invalid="ignore"):
            m = self._matrix @ other._matrix
        if not np.all(np.isfinite(m)):  # entries near 1e200 squared: an inf matrix and a warning
            raise InputError("self @ other: the product of the two matrices overflows float64 "
                             f"(largest entries {np.abs(self._matrix).max():.3g} and "
                             f"{np.abs(other._matrix).max():.3g})")
        return cls._post_compose(m)

    @classmethod
    def _post_compose(cls, m: np.ndarray) -> Transform:
        m = m.copy()
        m[2] = (0.0, 0.0, 1.0)  # exact: products of affine matrices keep the last row
        return cls._trusted(m)

    # -- estimation ------------------------------------------------------------------

    @classmethod
    def from_points(cls, src: Any, dst: Any, weights: Any = None, *,
                    refine: bool = False) -> Transform:
        """Estimate the transform that maps ``src`` onto ``dst`` (see each family).

        Parameters
        ----------
        src, dst : (N, 2) array_like
            Corresponding points, ``N >= min_samples``.
        weights : (N,) array_like, optional
            Non-negative weights of the correspondences.
        refine : bool
            Polish the closed-form answer by Levenberg–Marquardt on the
            geometric transfer error (:func:`lacv.geometry.refine.refine_transform`).

        Returns
        -------
        Transform
            A new transform of this family.

        Raises
        ------
        InputError
            Too few points, mismatched lengths, NaN, bad weights.
        DegenerateError
            The points do not determine the transform uniquely.
        """
        s, d = _check_pair(src, dst, cls.min_samples)
        w = None if weights is None else _as_weights(weights, s.shape[0])
        model = cls._fit(s, d, w)
        if refine:
            model = model._refined(s, d, w)
        return model

    def _refined(self, s: np.ndarray, d: np.ndarray, w: np.ndarray | None) -> Transform:
        from lacv.geometry.refine import refine_transform

        return refine_transform(self, s, d, weights=w).model

    @classmethod
    def _fit(cls, s: np.ndarray, d: np.ndarray, w: np.ndarray | None) -> Transform:
        raise NotImplementedError  # pragma: no cover


# --------------------------------------------------------------------------- families


class Translation(Transform):
    """``x' = x + t`` (2 dof, preserves orientation).

    Parameters
    ----------
    translation : (2,) array_like
        ``(tx, ty)`` in pixels.

    Notes
    -----
    ``from_points`` returns the (weighted) mean displacement
    ``t = Σ wᵢ (x'ᵢ − xᵢ) / Σ wᵢ``, the least-squares answer.

    Examples
    --------
    >>> T = Translation((2.0, -1.0))
    >>> T([[0.0, 0.0]])
    array([[ 2., -1.]])
    """

    kind = "translation"
    dof = 2
    min_samples = 1
    preserves = "orientation"
    _order = 0
    __slots__ = ()

    def __init__(self, translation: Any = (0.0, 0.0)) -> None:
        t = as_array(translation, "translation", shape=(2,))
        m = np.eye(3)
        m[:2, 2] = t
        m.setflags(write=False)
        object.__setattr__(self, "_matrix", m)

    @classmethod
    def _check_structure(cls, m: np.ndarray) -> np.ndarray:
        m = super()._check_structure(m)
        scale = max(1.0, float(np.max(np.abs(m))))
        if not np.allclose(m[:2, :2], np.eye(2), rtol=0, atol=_STRUCTURE_ATOL * scale):
            raise InputError("matrix: the linear part of a translation must be the identity, got "
                             f"{np.array2string(m[:2, :2], precision=6)}")
        m[:2, :2] = np.eye(2)
        return m

    @classmethod
    def from_params(cls, params: Any) -> Translation:
        """``params = (tx, ty)``."""
        return cls(as_array(params, "params", shape=(2,)))

    @property
    def translation(self) -> np.ndarray:
        """(2,) ndarray: ``(tx, ty)``."""
        return self._matrix[:2, 2].copy()

    @property
    def params(self) -> np.ndarray:
        return self.translation

    def __repr__(self) -> str:
        tx, ty = self._matrix[:2, 2]
        return f"Translation(({tx:.6g}, {ty:.6g}))"

    @classmethod
    def _fit(cls, s: np.ndarray, d: np.ndarray, w: np.ndarray | None) -> Translation:
        disp = d - s
        t = disp.mean(axis=0) if w is None else (w @ disp) / w.sum()
        return cls(t)


def _umeyama(s: np.ndarray, d: np.ndarray, w: np.ndarray | None, with_scale: bool
             ) -> tuple[float, float, np.ndarray]:
    r"""Umeyama's least-squares rotation, scale and translation (no reflection).

    .. math::

        \Sigma = \tfrac{1}{W}\sum_i w_i (y_i - \mu_y)(x_i - \mu_x)^T = U D V^T,\quad
        R = U S V^T,\; S = \mathrm{diag}(1, \det U \det V),\quad
        c = \frac{\mathrm{tr}(D S)}{\sigma_x^2},\quad t = \mu_y - c R \mu_x

    (Umeyama 1991, eqs. 39–42). In 2-D it has a closed form: with
    ``Σ = [[p, q], [r, s]]`` the rotation maximising ``tr(RᵀΣ)`` has the
    angle ``atan2(r − q, p + s)``, ``tr(DS) = |(p + s, r − q)|``, and the
    singular values are ``(h₁ ± h₂)/2`` with ``h₁ = |(p + s, r − q)|``,
    ``h₂ = |(p − s, q + r)|`` — no SVD or determinant (LAPACK calls cost
    more than the rest for a 2×2), and the sums run over coordinate columns.
    Returns ``(angle, scale, t)``.
    """
    x, y, u, v = s[:, 0], s[:, 1], d[:, 0], d[:, 1]
    if w is None:
        W = float(s.shape[0])
        mx, my, mu, mv = float(x.sum()) / W, float(y.sum()) / W, float(u.sum()) / W, float(
            v.sum()) / W
    else:
        W = float(w.sum())
        mx, my, mu, mv = float(w @ x) / W, float(w @ y) / W, float(w @ u) / W, float(w @ v) / W
    a, b, du, dv = x - mx, y - my, u - mu, v - mv
    wa, wb = (a, b) if w is None else (a * w, b * w)
    var_s = (float(wa @ a) + float(wb @ b)) / W
    extent = max(1.0, float(np.max(np.abs(s))))
    if var_s <= (1e-12 * extent) ** 2:
        raise DegenerateError("src: all points coincide, so the rotation is not determined "
                              f"(variance {var_s:.3g})")
    p, q = float(du @ wa) / W, float(du @ wb) / W
    r, t_ = float(dv @ wa) / W, float(dv @ wb) / W
    wdu, wdv = (du, dv) if w is None else (du * w, dv * w)
    var_d = (float(wdu @ du) + float(wdv @ dv)) / W
    h1, h2 = math.hypot(p + t_, r - q), math.hypot(p - t_, q + r)
    D = np.array([0.5 * (h1 + h2), 0.5 * abs(h1 - h2)])
    if D[0] <= _DEGENERATE_RTOL * np.sqrt(var_s * var_d) or var_d == 0:
        raise DegenerateError("dst: the cross-covariance of src and dst vanishes (singular "
                              f"values {D[0]:.3g}, {D[1]:.3g}): the points do not determine "
                              "the rotation (all dst points coincide?)", singular_values=D)
    angle = math.atan2(r - q, p + t_)
    scale = h1 / var_s if with_scale else 1.0
    c, sn = scale * math.cos(angle), scale * math.sin(angle)
    t = np.array([mu - (c * mx - sn * my), mv - (sn * mx + c * my)])
    return angle, scale, t


class Euclidean(Transform):
    """``x' = R(θ) x + t``, a rotation and a translation (3 dof, preserves lengths).

    Parameters
    ----------
    angle : float
        Rotation angle θ in radians, counter-clockwise in (x right, y up)
        axes — clockwise on screen, where y points down.
    translation : (2,) array_like

    Notes
    -----
    ``from_points`` is Umeyama's closed form without scale: with the
    (weighted) centroids μ and the cross-covariance
    ``Σ = (1/W) Σᵢ wᵢ (x'ᵢ − μ')(xᵢ − μ)ᵀ = U D Vᵀ``, the rotation is
    ``R = U diag(1, det U det V) Vᵀ`` (never a reflection) and
    ``t = μ' − R μ``. Collinear points are fine; coincident ones raise
    :class:`~lacv.errors.DegenerateError`.

    Examples
    --------
    >>> E = Euclidean(np.pi / 2, (1.0, 0.0))
    >>> np.round(E([[1.0, 0.0]]), 12)
    array([[1., 1.]])
    """

    kind = "euclidean"
    dof = 3
    min_samples = 2
    preserves = "lengths"
    _order = 1
    __slots__ = ()

    def __init__(self, angle: float = 0.0, translation: Any = (0.0, 0.0)) -> None:
        a = as_array(angle, "angle", ndim=0)
        t = as_array(translation, "translation", shape=(2,))
        m = np.eye(3)
        m[:2, :2] = _rotation(float(a))
        m[:2, 2] = t
        m.setflags(write=False)
        object.__setattr__(self, "_matrix", m)

    @classmethod
    def _check_structure(cls, m: np.ndarray) -> np.ndarray:
        m = super()._check_structure(m)
        L = m[:2, :2]
        if not np.allclose(L.T @ L, np.eye(2), rtol=0, atol=1e3 * _STRUCTURE_ATOL) or \
                np.linalg.det(L) < 0:
            raise InputError("matrix: the linear part of a Euclidean transform must be a rotation "
                             f"(orthonormal, det +1), got {np.array2string(L, precision=6)}")
        return m

    @classmethod
    def from_params(cls, params: Any) -> Euclidean:
        """``params = (angle, tx, ty)``."""
        p = as_array(params, "params", shape=(3,))
        return cls(p[0], p[1:])

    @property
    def angle(self) -> float:
        """Rotation angle in radians, in (−π, π]."""
        return float(np.arctan2(self._matrix[1, 0], self._matrix[0, 0]))

    @property
    def rotation(self) -> np.ndarray:
        """(2, 2) ndarray: the rotation matrix R."""
        return self._matrix[:2, :2].copy()

    @property
    def translation(self) -> np.ndarray:
        """(2,) ndarray: t."""
        return self._matrix[:2, 2].copy()

    @property
    def params(self) -> np.ndarray:
        return np.array([self.angle, *self._matrix[:2, 2]])

    def __repr__(self) -> str:
        tx, ty = self._matrix[:2, 2]
        return f"Euclidean(angle={self.angle:.6g}, translation=({tx:.6g}, {ty:.6g}))"

    @classmethod
    def _fit(cls, s: np.ndarray, d: np.ndarray, w: np.ndarray | None) -> Euclidean:
        angle, _, t = _umeyama(s, d, w, with_scale=False)
        return cls(angle, t)


class Similarity(Transform):
    """``x' = s R(θ) x + t`` (4 dof, preserves angles and ratios of lengths).

    Parameters
    ----------
    scale : float
        ``s > 0``.
    angle : float
        θ in radians (see :class:`Euclidean`).
    translation : (2,) array_like

    Notes
    -----
    ``from_points`` is Umeyama's closed form (Umeyama 1991, eq. 42): as for
    :class:`Euclidean`, with the scale ``s = tr(D S) / σ²ₓ`` where
    ``S = diag(1, det U det V)`` and ``σ²ₓ`` is the (weighted) variance of
    ``src``.
    """

    kind = "similarity"
    dof = 4
    min_samples = 2
    preserves = "angles"
    _order = 2
    __slots__ = ()

    def __init__(self, scale: float = 1.0, angle: float = 0.0,
                 translation: Any = (0.0, 0.0)) -> None:
        sc = float(as_array(scale, "scale", ndim=0))
        if not sc > 0:
            raise InputError(f"scale: expected a number > 0, got {sc!r}")
        a = as_array(angle, "angle", ndim=0)
        t = as_array(translation, "translation", shape=(2,))
        m = np.eye(3)
        m[:2, :2] = sc * _rotation(float(a))
        m[:2, 2] = t
        m.setflags(write=False)
        object.__setattr__(self, "_matrix", m)

    @classmethod
    def _check_structure(cls, m: np.ndarray) -> np.ndarray:
        m = super()._check_structure(m)
        L = m[:2, :2]
        scale = max(1.0, float(np.max(np.abs(L))))
        if not (abs(L[0, 0] - L[1, 1]) <= _STRUCTURE_ATOL * scale
                and abs(L[0, 1] + L[1, 0]) <= _STRUCTURE_ATOL * scale):
            raise InputError("matrix: the linear part of a similarity must be s·R "
                             f"([[a, -b], [b, a]]), got {np.array2string(L, precision=6)}")
        return m

    @classmethod
    def from_params(cls, params: Any) -> Similarity:
        """``params = (scale, angle, tx, ty)``."""
        p = as_array(params, "params", shape=(4,))
        return cls(p[0], p[1], p[2:])

    @property
    def scale(self) -> float:
        """The scale factor s > 0."""
        return float(np.hypot(self._matrix[0, 0], self._matrix[1, 0]))

    @property
    def angle(self) -> float:
        """Rotation angle in radians, in (−π, π]."""
        return float(np.arctan2(self._matrix[1, 0], self._matrix[0, 0]))

    @property
    def translation(self) -> np.ndarray:
        """(2,) ndarray: t."""
        return self._matrix[:2, 2].copy()

    @property
    def params(self) -> np.ndarray:
        return np.array([self.scale, self.angle, *self._matrix[:2, 2]])

    def __repr__(self) -> str:
        tx, ty = self._matrix[:2, 2]
        return (f"Similarity(scale={self.scale:.6g}, angle={self.angle:.6g}, "
                f"translation=({tx:.6g}, {ty:.6g}))")

    @classmethod
    def _fit(cls, s: np.ndarray, d: np.ndarray, w: np.ndarray | None) -> Similarity:
        angle, scale, t = _umeyama(s, d, w, with_scale=True)
        return cls(scale, angle, t)


class Affine(Transform):
    r"""``x' = A x + t`` with any invertible 2×2 ``A`` (6 dof, preserves parallelism).

    Parameters
    ----------
    matrix : (2, 3) or (3, 3) array_like, optional
        ``[[a, b, c], [d, e, f]]`` (and a last row ``(0, 0, 1)``); identity
        by default.

    Notes
    -----
    ``from_points`` solves the lecture's least-squares system, one pair of
    rows per correspondence,

    .. math::

        \begin{pmatrix} x_i & y_i & 1 & 0 & 0 & 0 \\ 0 & 0 & 0 & x_i & y_i & 1
        \end{pmatrix} (a, b, c, d, e, f)^T = \begin{pmatrix} x'_i \\ y'_i
        \end{pmatrix},

    on Hartley-normalised points (undone afterwards). Its normal matrix is
    block-diagonal, ``diag(XᵀWX, XᵀWX)`` with ``X = [x y 1]``, so the 2N×6
    system is solved exactly as the two 3-unknown systems that share ``X``.
    Collinear points (``σ₃/σ₁`` of the normalised ``X`` below 1e-7, or of
    ``dst``) leave it singular and raise :class:`~lacv.errors.DegenerateError`.
    """

    kind = "affine"
    dof = 6
    min_samples = 3
    preserves = "parallelism"
    _order = 3
    __slots__ = ()

    def __init__(self, matrix: Any = None) -> None:
        if matrix is None:
            m = np.eye(3)
        else:
            m = as_matrix(matrix, "matrix")
            if m.shape == (2, 3):
                m = np.vstack([m, [0.0, 0.0, 1.0]])
            if m.shape != (3, 3):
                raise InputError(f"matrix: expected shape (2, 3) or (3, 3), got {describe(m)}")
            m = self._check_structure(m)
        m = np.array(m)
        m.setflags(write=False)
        object.__setattr__(self, "_matrix", m)

    @classmethod
    def from_params(cls, params: Any) -> Affine:
        """``params = (a, b, c, d, e, f)``: the first two rows, row-major."""
        p = as_array(params, "params", shape=(6,))
        return cls(p.reshape(2, 3))

    @property
    def linear(self) -> np.ndarray:
        """(2, 2) ndarray: A."""
        return self._matrix[:2, :2].copy()

    @property
    def translation(self) -> np.ndarray:
        """(2,) ndarray: t."""
        return self._matrix[:2, 2].copy()

    @property
    def params(self) -> np.ndarray:
        return self._matrix[:2].ravel().copy()

    @classmethod
    def _fit(cls, s: np.ndarray, d: np.ndarray, w: np.ndarray | None) -> Affine:
        sn, Ts = normalize_points(s, w)
        dn, Td = normalize_points(d, w)
        X = np.empty((s.shape[0], 3))
        X[:, :2] = sn
        X[:, 2] = 1.0
        Xw = X if w is None else X * w[:, None]
        M = Xw.T @ X
        evals = np.linalg.eigvalsh(M)
        ratio = np.sqrt(max(evals[0], 0.0) / evals[-1])
        if ratio < _DEGENERATE_RTOL:
            raise DegenerateError(
                f"src: the points are collinear (σ_min/σ_max of the normalised design matrix "
                f"{ratio:.2e}), so the affine map is not unique",
                singular_values=np.sqrt(np.clip(evals[::-1], 0, None)))
        P = np.linalg.solve(M, Xw.T @ dn)  # (3, 2): columns (a, b, c), (d, e, f)
        An = np.eye(3)
        An[:2] = P.T
        A = np.linalg.solve(Td, An @ Ts)
        A[2] = (0.0, 0.0, 1.0)
        if abs(np.linalg.det(An[:2, :2])) <= _DEGENERATE_RTOL:
            raise DegenerateError("dst: the points are collinear, so the affine map that fits "
                                  "them best is singular (not invertible)")
        return cls._trusted(A)


def _normalize_h(H: np.ndarray) -> np.ndarray:
    """Scale a homography so that ``H[2, 2] == 1`` (OpenCV's convention) where possible."""
    big = np.max(np.abs(H))
    # the Frobenius norm from H / max|H|: its squares overflowed for entries near 1e200
    n = big * np.linalg.norm(H / big) if big > 0 else 0.0
    if abs(H[2, 2]) > 1e-12 * n:
        return H / H[2, 2]
    # H[2, 2] = 0: the origin maps to infinity; keep unit norm with a fixed sign
    k = np.argmax(np.abs(H))
    return H / (n * np.sign(H.flat[k]))


class Homography(Transform):
    r"""A projective transform ``x' ~ H x`` (8 dof, preserves straight lines).

    Parameters
    ----------
    matrix : (3, 3) array_like, optional
        Any invertible 3×3 matrix; it is scaled so that ``H[2, 2] == 1``
        (OpenCV's convention) unless ``H[2, 2] == 0``. Identity by default.

    Notes
    -----
    ``from_points`` is the lecture's DLT (H&Z algorithm 4.2): with
    Hartley-normalised points, each correspondence gives two rows of the
    2N×9 system ``A h = 0``,

    .. math::

        \begin{pmatrix} x_i & y_i & 1 & 0 & 0 & 0 & -x'_i x_i & -x'_i y_i & -x'_i \\
        0 & 0 & 0 & x_i & y_i & 1 & -y'_i x_i & -y'_i y_i & -y'_i \end{pmatrix} h = 0,

    and ``h`` is its unit null vector: the right singular vector of the
    smallest singular value, computed (as the lecture writes it) as the
    eigenvector of the smallest eigenvalue of the 9×9 ``AᵀA`` — the same
    vector, 200× faster than the SVD of the tall ``A`` for N = 10⁴, and
    accurate because normalisation keeps ``A`` well conditioned. Then
    ``H = T'⁻¹ Ĥ T``.

    With exactly four correspondences an exact closed form is used (the
    projective basis through the four points; see
    :mod:`lacv.geometry._minimal`), which needs no decomposition.

    Degenerate input raises :class:`~lacv.errors.DegenerateError`: all points
    on one line in either image, three of four points collinear, or more
    generally a second (numerically) zero singular value of ``A``
    (``σ₈/σ₁ < 1e-7``), which leaves ``h`` non-unique.
    """

    kind = "homography"
    dof = 8
    min_samples = 4
    preserves = "straight lines"
    projective = True
    _order = 4
    __slots__ = ()

    def __init__(self, matrix: Any = None) -> None:
        m = np.eye(3) if matrix is None else self._check_structure(self._as_3x3(matrix))
        m = np.array(m)
        m.setflags(write=False)
        object.__setattr__(self, "_matrix", m)

    @staticmethod
    def _as_3x3(matrix: Any) -> np.ndarray:
        m = as_matrix(matrix, "matrix")
        if m.shape != (3, 3):
            raise InputError(f"matrix: expected shape (3, 3), got {describe(m)}")
        return m

    @classmethod
    def _check_structure(cls, m: np.ndarray) -> np.ndarray:
        n = np.max(np.abs(m))  # not the 2-norm: its squares overflowed for entries near 1e200
        if n == 0:
            raise InputError("matrix: all zeros is not a homography")
        s = np.linalg.svd(m / n, compute_uv=False)
        if s[-1] <= _STRUCTURE_ATOL * s[0]:
            raise InputError(f"matrix: singular (σ₃/σ₁ = {s[-1] / s[0]:.2e}); a homography must "
                             "be invertible")
        return _normalize_h(m)

    @classmethod
    def _trusted(cls, matrix: np.ndarray) -> Homography:
        return super()._trusted(_normalize_h(np.asarray(matrix, dtype=np.float64)))

    @classmethod
    def _post_compose(cls, m: np.ndarray) -> Transform:
        return cls._trusted(m)

    @classmethod
    def from_params(cls, params: Any) -> Homography:
        """``params = (h11, h12, h13, h21, h22, h23, h31, h32)`` with ``h33 = 1``."""
        p = as_array(params, "params", shape=(8,))
        return cls(np.append(p, 1.0).reshape(3, 3))

    @property
    def params(self) -> np.ndarray:
        """(8,) ndarray: the entries h11 … h32 with ``h33 = 1``.

        Raises
        ------
        DegenerateError
            ``H[2, 2] == 0`` (the origin maps to infinity): no such scaling.
        """
        if self._matrix[2, 2] == 0:
            raise DegenerateError("H[2, 2] == 0: the homography cannot be scaled to h33 = 1")
        return self._matrix.ravel()[:8].copy()

    def _apply(self, pts: np.ndarray) -> np.ndarray:
        from lacv.geometry.homogeneous import from_homogeneous

        ph = pts @ self._matrix[:, :2].T + self._matrix[:, 2]
        return from_homogeneous(ph)

    def _errors_sq(self, s: np.ndarray, d: np.ndarray) -> np.ndarray:
        from lacv.geometry._minimal import transfer_errors_sq

        src_h = np.vstack([s.T, np.ones(s.shape[0])])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return transfer_errors_sq(self._matrix[None], src_h, d.T, True)[0]

    def _refined(self, s: np.ndarray, d: np.ndarray, w: np.ndarray | None) -> Transform:
        # the same LM as refine_transform, with the normal equations built from moments
        # (no Jacobian array): from_points(refine=True) needs no covariance
        from lacv.geometry.refine import _refine_homography_fast

        sn, Ts = _hartley(s)
        dn, Td = _hartley(d)
        Hn = Td @ self._matrix @ np.linalg.inv(Ts)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            Hn = _refine_homography_fast(Hn, np.vstack([sn.T, np.ones(sn.shape[0])]), dn.T,
                                         weights=w, max_iterations=30, ftol=1e-10)
        return type(self)._trusted(np.linalg.solve(Td, Hn @ Ts))

    @classmethod
    def _fit(cls, s: np.ndarray, d: np.ndarray, w: np.ndarray | None) -> Homography:
        sn, Ts = normalize_points(s, w)
        dn, Td = normalize_points(d, w)
        _scatter_check(sn if w is None else sn[w > 0], "src", "the homography")
        _scatter_check(dn if w is None else dn[w > 0], "dst", "the homography")
        if s.shape[0] == 4 and w is None:
            Hn, ok = homography_4pt(sn[None], dn[None])
            if not ok[0]:
                raise DegenerateError(
                    "src, dst: three of the four points are collinear in one image (or the "
                    "correspondence folds the plane), so no unique homography maps them")
            H = np.linalg.solve(Td, Hn[0] @ Ts)
            return cls._trusted(H)
        Hn = dlt_normalized(sn, dn, w)
        return cls._trusted(np.linalg.solve(Td, Hn @ Ts))


def _dlt_design(sn: np.ndarray, dn: np.ndarray) -> np.ndarray:
    """The 2N×9 DLT matrix, rows interleaved as in the lecture (x-row, y-row per point)."""
    n = sn.shape[0]
    x, y = sn[:, 0], sn[:, 1]
    u, v = dn[:, 0], dn[:, 1]
    A = np.zeros((n, 2, 9))
    A[:, 0, 0] = x
    A[:, 0, 1] = y
    A[:, 0, 2] = 1.0
    A[:, 0, 6] = -u * x
    A[:, 0, 7] = -u * y
    A[:, 0, 8] = -u
    A[:, 1, 3] = x
    A[:, 1, 4] = y
    A[:, 1, 5] = 1.0
    A[:, 1, 6] = -v * x
    A[:, 1, 7] = -v * y
    A[:, 1, 8] = -v
    return A.reshape(2 * n, 9)


def dlt_normalized(sn: np.ndarray, dn: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """The DLT null vector for already-normalised points, as a 3×3 matrix.

    ``AᵀWA`` of the 2N×9 design matrix (:func:`_dlt_design`) is accumulated
    block by block instead of forming ``A``: with ``X = [x y 1]`` (N×3) the
    rows are ``(X, 0, −uX)`` and ``(0, X, −vX)``, so

    .. math::

        A^T W A = \\begin{pmatrix} X^TWX & 0 & -X^TW_uX \\\\ 0 & X^TWX & -X^TW_vX \\\\
        -X^TW_uX & -X^TW_vX & X^TW_{u^2+v^2}X \\end{pmatrix}

    with ``W_f = diag(wᵢ fᵢ)``: four 3×3 moment matrices, whose distinct
    entries come from one product ``Z Wᵀ`` of the six monomials
    ``Z = (x², xy, x, y², y, 1)`` (6×N) and the four weights
    ``W = w·(1, u, v, u²+v²)`` (4×N). It is the same matrix as ``AᵀWA``,
    from a dozen length-N operations instead of a 2N×9 array.

    Parameters
    ----------
    sn, dn : (N, 2) ndarray
        Hartley-normalised correspondences, ``N >= 4``.
    w : (N,) ndarray, optional
        Weights (each correspondence's two rows are scaled by ``√wᵢ``).

    Returns
    -------
    (3, 3) ndarray
        ``Ĥ`` with unit Frobenius norm.

    Raises
    ------
    DegenerateError
        The second-smallest singular value of ``A`` is numerically zero.
    """
    return _dlt_columns(sn[:, 0], sn[:, 1], dn[:, 0], dn[:, 1], w)


def _dlt_columns(x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray,
                 w: np.ndarray | None = None, Z: np.ndarray | None = None) -> np.ndarray:
    """:func:`dlt_normalized` from the coordinate columns ``x, y`` (src) and ``u, v`` (dst).

    ``Z`` is ``_moment_rows(x, y)`` when the caller already has it.
    """
    n = x.shape[0]
    if Z is None:
        Z = _moment_rows(x, y)
    Wt = np.empty((4, n))  # the weights 1, u, v, u² + v² (times w)
    if w is None:
        Wt[0] = 1.0
        Wt[1] = u
        Wt[2] = v
    else:
        Wt[0] = w
        np.multiply(w, u, out=Wt[1])
        np.multiply(w, v, out=Wt[2])
    np.multiply(u, u, out=Wt[3])
    Wt[3] += v * v
    if w is not None:
        Wt[3] *= w
    M = _assemble_dlt_normal(Z @ Wt.T)
    evals, evecs = np.linalg.eigh(M)  # ascending: λ = σ² of A
    top = evals[-1]
    if not evals[1] > (_DEGENERATE_RTOL ** 2) * top:
        ratio = np.sqrt(max(evals[1], 0.0) / top)
        raise DegenerateError(
            "src, dst: the DLT system has a null space of dimension ≥ 2 (σ₈/σ₁ = "
            f"{ratio:.2e}), so the homography is not unique (too many points on one line?)",
            singular_values=np.sqrt(np.clip(evals[::-1], 0.0, None)))
    return evecs[:, 0].reshape(3, 3)


def _moment_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(6, N): the distinct entries x², xy, x, y², y, 1 of X Xᵀ for X = (x, y, 1)."""
    Z = np.empty((6, x.size))
    np.multiply(x, x, out=Z[0])
    np.multiply(x, y, out=Z[1])
    Z[2] = x
    np.multiply(y, y, out=Z[3])
    Z[4] = y
    Z[5] = 1.0
    return Z


def _dlt_normal_index() -> tuple[np.ndarray, np.ndarray]:
    # entry (r, c) of the 9×9 matrix as (index into the flattened 6×4 moments, sign)
    row_of = np.array([[0, 1, 2], [1, 3, 4], [2, 4, 5]])  # X Xᵀ entry -> monomial row of Z
    col_of = {(0, 0): 0, (1, 1): 0, (0, 2): 1, (2, 0): 1, (1, 2): 2, (2, 1): 2, (2, 2): 3}
    idx = np.full((9, 9), 24)  # 24: the appended zero
    sign = np.ones((9, 9))
    for (bi, bj), k in col_of.items():
        idx[3 * bi:3 * bi + 3, 3 * bj:3 * bj + 3] = row_of * 4 + k
        if k in (1, 2):
            sign[3 * bi:3 * bi + 3, 3 * bj:3 * bj + 3] = -1.0
    return idx, sign


_DLT_IDX, _DLT_SIGN = _dlt_normal_index()


def _assemble_dlt_normal(Mo: np.ndarray) -> np.ndarray:
    """The 9×9 ``AᵀWA`` from moments ``Mo = Z Wᵀ`` (6 × 4, see :func:`dlt_normalized`).

    Blocks ``(0,0) = (1,1) = S₀``, ``(0,2) = (2,0) = −S₁``, ``(1,2) = (2,1) = −S₂``,
    ``(2,2) = S₃``, ``(0,1) = (1,0) = 0`` with ``Sₖ = Σ wₖ X Xᵀ``, gathered
    from the 24 moments by one precomputed index table.
    """
    flat = np.empty(25)
    flat[:24] = Mo.ravel()
    flat[24] = 0.0
    return flat[_DLT_IDX] * _DLT_SIGN


#: the five families by name
TRANSFORMS: dict[str, type[Transform]] = {
    "translation": Translation,
    "euclidean": Euclidean,
    "similarity": Similarity,
    "affine": Affine,
    "homography": Homography,
}


def transform_class(kind: Any) -> type[Transform]:
    """The transform class for a family name or class (``"affine"`` → :class:`Affine`)."""
    if isinstance(kind, type) and issubclass(kind, Transform) and kind is not Transform:
        return kind
    if isinstance(kind, str) and kind.lower() in TRANSFORMS:
        return TRANSFORMS[kind.lower()]
    names = ", ".join(repr(k) for k in TRANSFORMS)
    raise InputError(f"kind: expected one of {names} (or a Transform class), got {describe(kind)}")
