r"""The pinhole camera with OpenCV's lens distortion, and rigid poses.

A world point ``X`` seen by a camera at pose ``(R, t)`` lands at the pixel

.. math::

    X_c = R X + t, \qquad (x, y) = (X_c / Z_c,\; Y_c / Z_c),

    r^2 = x^2 + y^2, \qquad \rho = 1 + k_1 r^2 + k_2 r^4 + k_3 r^6,

    x_d = x \rho + 2 p_1 x y + p_2 (r^2 + 2 x^2), \qquad
    y_d = y \rho + p_1 (r^2 + 2 y^2) + 2 p_2 x y,

    u = f_x x_d + s\, y_d + c_x, \qquad v = f_y y_d + c_y,

the Brown–Conrady model in OpenCV's layout ``(k1, k2, p1, p2, k3)`` (Brown
1966; Zhang 2000, §3.3; H&Z §6.1 and §7.4 for ``K``). ``K = [[fx, s, cx],
[0, fy, cy], [0, 0, 1]]`` acts on column vectors as everywhere in lacv, so
``Camera.K`` and ``Camera.dist_coeffs`` pass to OpenCV unchanged, and the
OpenCV YAML layout is read and written by :meth:`Camera.to_opencv_yaml` /
:meth:`Camera.from_opencv_yaml`.

Rotations travel as rotation vectors (axis × angle, OpenCV's ``rvec``)
through :func:`rotation_from_rvec` and :func:`rvec_from_rotation` (the
exponential and logarithm of SO(3), Rodrigues' formula; the kernels are
:mod:`lacv.geometry.rotations`).

References
----------
.. [1] D. C. Brown, "Decentering distortion of lenses", Photogrammetric
   Engineering 32(3), 1966.
.. [2] Z. Zhang, "A flexible new technique for camera calibration", IEEE
   TPAMI 22(11), 2000.
.. [3] R. Hartley and A. Zisserman, *Multiple View Geometry in Computer
   Vision*, 2nd ed., 2003, §6.1 (the finite camera), §7.4 (radial distortion).
"""

from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from lacv._validate import as_array, as_points, describe
from lacv.errors import DegenerateError, InputError
from lacv.geometry.rotations import _check_angles, _exp_so3, _log_so3, _nearest_rotation

__all__ = [
    "DISTORTION_NAMES",
    "Camera",
    "Pose",
    "project_to_rotation",
    "rotation_from_rvec",
    "rvec_from_rotation",
]

#: OpenCV's order of the five distortion coefficients
DISTORTION_NAMES = ("k1", "k2", "p1", "p2", "k3")

#: largest |residual| (normalised image units) accepted from the inverse-distortion iteration
_UNDISTORT_TOL = 1e-10


# ----------------------------------------------------------------------------- SO(3)


def rotation_from_rvec(rvec: Any) -> np.ndarray:
    r"""The rotation matrix of a rotation vector (Rodrigues' formula, SO(3) exponential).

    .. math:: R = I + \sin\theta\,[n]_\times + (1 - \cos\theta)\,[n]_\times^2,
              \qquad \theta = \|r\|,\; n = r / \theta

    Parameters
    ----------
    rvec : (3,) or (N, 3) array_like
        Axis × angle in radians (OpenCV's ``rvec``).

    Returns
    -------
    (3, 3) or (N, 3, 3) ndarray
    """
    w = as_array(rvec, "rvec", ndim=(1, 2))
    if w.shape[-1] != 3:
        raise InputError(f"rvec: expected shape (3,) or (N, 3), got {describe(w)}")
    return _exp_so3(_check_angles(w, "rvec"))


def rvec_from_rotation(R: Any) -> np.ndarray:
    r"""The rotation vector of a rotation matrix (SO(3) logarithm), ``θ ∈ [0, π]``.

    .. math:: \cos\theta = \tfrac12(\operatorname{tr} R - 1), \qquad
              [n]_\times \sin\theta = \tfrac12 (R - R^T)

    Near ``θ = π`` (where ``sin θ → 0``) the axis is read from ``R + I``
    instead, which stays accurate there.

    Parameters
    ----------
    R : (3, 3) array_like
        A rotation matrix (checked: orthonormal with determinant +1 to 1e-6).

    Returns
    -------
    (3,) ndarray
    """
    M = as_array(R, "R", shape=(3, 3))
    if np.abs(M).max() > 1.0 + 1e-6 or not np.allclose(M @ M.T, np.eye(3), atol=1e-6) \
            or np.linalg.det(M) < 0:  # entries beyond 1 first: M Mᵀ overflowed at 1e200
        raise InputError("R: expected a rotation matrix (orthonormal, det +1); use "
                         "project_to_rotation first for a noisy one")
    return _log_so3(M)


def project_to_rotation(M: Any) -> np.ndarray:
    r"""The rotation nearest to ``M`` in the Frobenius norm: ``U diag(1, 1, det UVᵀ) Vᵀ``.

    The orthogonal Procrustes answer (Zhang 2000, appendix C; H&Z §A4.1.2):
    with ``M = U Σ Vᵀ``, the closest orthogonal matrix is ``U Vᵀ``; the last
    sign flip keeps the determinant at +1.

    Parameters
    ----------
    M : (3, 3) array_like

    Returns
    -------
    (3, 3) ndarray
        A rotation matrix.
    """
    return _nearest_rotation(as_array(M, "M", shape=(3, 3)))


@dataclass(frozen=True, eq=False)
class Pose:
    """A rigid motion ``X_c = R X + t`` (world to camera), immutable.

    Parameters
    ----------
    rotation : (3, 3) array_like
        A rotation matrix (orthonormal, det +1 to 1e-6).
    translation : (3,) array_like

    Examples
    --------
    >>> p = Pose.from_rvec([0.0, 0.0, np.pi / 2], [1.0, 0.0, 0.0])
    >>> np.round(p.apply([[1.0, 0.0, 0.0]]), 12)
    array([[1., 1., 0.]])
    """

    rotation: np.ndarray
    translation: np.ndarray

    def __post_init__(self) -> None:
        R = as_array(self.rotation, "rotation", shape=(3, 3), copy=True)
        t = as_array(self.translation, "translation", shape=(3,), copy=True)
        # entries of a rotation are at most 1: larger ones fail at once (R Rᵀ overflowed at 1e200)
        if np.abs(R).max() > 1.0 + 1e-6 or not np.allclose(R @ R.T, np.eye(3), atol=1e-6) \
                or np.linalg.det(R) < 0:
            with np.errstate(over="ignore", invalid="ignore"):
                det, err = np.linalg.det(R), np.abs(R @ R.T - np.eye(3)).max()
            raise InputError("rotation: expected a rotation matrix (orthonormal, det +1), got "
                             f"det {det:.6g}, |RRᵀ − I| = {err:.2e}")
        R.setflags(write=False)
        t.setflags(write=False)
        object.__setattr__(self, "rotation", R)
        object.__setattr__(self, "translation", t)

    @classmethod
    def _trusted(cls, R: np.ndarray, t: np.ndarray) -> Pose:
        """A pose from an exact rotation computed inside lacv (no checks)."""
        obj = object.__new__(cls)
        R = np.array(R, dtype=np.float64)
        t = np.array(t, dtype=np.float64)
        R.setflags(write=False)
        t.setflags(write=False)
        object.__setattr__(obj, "rotation", R)
        object.__setattr__(obj, "translation", t)
        return obj

    @classmethod
    def from_rvec(cls, rvec: Any, tvec: Any) -> Pose:
        """From OpenCV's ``rvec`` (rotation vector) and ``tvec``."""
        w = np.ravel(as_array(rvec, "rvec"))
        t = np.ravel(as_array(tvec, "tvec"))
        if w.size != 3 or t.size != 3:
            raise InputError(f"rvec, tvec: expected 3 numbers each, got {w.size} and {t.size}")
        return cls(_exp_so3(_check_angles(w, "rvec")), t)

    @classmethod
    def identity(cls) -> Pose:
        return cls(np.eye(3), np.zeros(3))

    @property
    def rvec(self) -> np.ndarray:
        """(3,) ndarray: the rotation vector (OpenCV's ``rvec``)."""
        return _log_so3(self.rotation)

    @property
    def matrix(self) -> np.ndarray:
        """(3, 4) ndarray: ``[R | t]``."""
        return np.column_stack([self.rotation, self.translation])

    @property
    def center(self) -> np.ndarray:
        """(3,) ndarray: the camera centre in world coordinates, ``−Rᵀ t``."""
        return -self.rotation.T @ self.translation

    @property
    def inverse(self) -> Pose:
        """The inverse motion ``X = Rᵀ X_c − Rᵀ t``."""
        return Pose(self.rotation.T, -self.rotation.T @ self.translation)

    def __matmul__(self, other: Pose) -> Pose:
        """Composition: ``(a @ b).apply(X) == a.apply(b.apply(X))``."""
        if not isinstance(other, Pose):
            return NotImplemented
        return Pose(self.rotation @ other.rotation,
                    self.rotation @ other.translation + self.translation)

    def apply(self, points3d: Any) -> np.ndarray:
        """``R X + t`` for ``(N, 3)`` points."""
        X = as_points(points3d, "points3d", dim=3)
        return X @ self.rotation.T + self.translation

    def angle_to(self, other: Pose) -> float:
        """The angle of ``R_self R_otherᵀ`` in degrees (how far apart the two rotations are)."""
        if not isinstance(other, Pose):
            raise InputError(f"other: expected a Pose, got {describe(other)}")
        return float(np.degrees(np.linalg.norm(_log_so3(self.rotation @ other.rotation.T))))

    def __repr__(self) -> str:
        r = np.array2string(self.rvec, precision=5, separator=", ")
        t = np.array2string(self.translation, precision=5, separator=", ")
        return f"Pose(rvec={r}, t={t})"


# ------------------------------------------------------------------ distortion kernels


def _distort(x: np.ndarray, y: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalised ideal ``(x, y)`` → distorted ``(x_d, y_d)``; ``d = (k1, k2, p1, p2, k3)``."""
    k1, k2, p1, p2, k3 = d
    xx, yy, xy = x * x, y * y, x * y
    r2 = xx + yy
    rho = 1.0 + r2 * (k1 + r2 * (k2 + r2 * k3))
    xd = x * rho + 2.0 * p1 * xy + p2 * (r2 + 2.0 * xx)
    yd = y * rho + p1 * (r2 + 2.0 * yy) + 2.0 * p2 * xy
    return xd, yd


def _distort_jacobian(x: np.ndarray, y: np.ndarray, d: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``∂(x_d, y_d)/∂(x, y)`` as four arrays ``(a, b, c, e)`` = [[a, b], [c, e]]."""
    k1, k2, p1, p2, k3 = d
    r2 = x * x + y * y
    rho = 1.0 + r2 * (k1 + r2 * (k2 + r2 * k3))
    drho = 2.0 * (k1 + r2 * (2.0 * k2 + 3.0 * k3 * r2))  # ∂ρ/∂x = drho·x, ∂ρ/∂y = drho·y
    a = rho + drho * x * x + 2.0 * p1 * y + 6.0 * p2 * x
    b = drho * x * y + 2.0 * p1 * x + 2.0 * p2 * y
    c = drho * x * y + 2.0 * p1 * x + 2.0 * p2 * y
    e = rho + drho * y * y + 6.0 * p1 * y + 2.0 * p2 * x
    return a, b, c, e


def _undistort(xd: np.ndarray, yd: np.ndarray, d: np.ndarray, max_iter: int = 30
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Invert :func:`_distort` by Newton's method; returns ``(x, y, residual)``."""
    x, y = xd.copy(), yd.copy()
    if not np.any(d):
        return x, y, np.zeros_like(x)
    res = np.zeros_like(x)
    for _ in range(max_iter):
        fx, fy = _distort(x, y, d)
        ex, ey = fx - xd, fy - yd
        res = np.maximum(np.abs(ex), np.abs(ey))
        # quadratic convergence: once below 1e-14 (normalised) the next step is rounding noise
        if not np.any(res > 1e-14):
            break
        a, b, c, e = _distort_jacobian(x, y, d)
        det = a * e - b * c
        ok = np.abs(det) > 1e-12
        det = np.where(ok, det, 1.0)
        # a singular Jacobian (fold of the lens model) leaves the point where it is
        x = x - np.where(ok, (e * ex - b * ey) / det, 0.0)
        y = y - np.where(ok, (a * ey - c * ex) / det, 0.0)
    fx, fy = _distort(x, y, d)
    res = np.maximum(np.abs(fx - xd), np.abs(fy - yd))
    return x, y, res


# ----------------------------------------------------------------------------- Camera


def _finite(value: Any, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected a number, got {describe(value)}") from None
    if not math.isfinite(v):
        raise InputError(f"{name}: expected a finite number, got {v}")
    return v


@dataclass(frozen=True)
class Camera:
    """A pinhole camera with OpenCV's five-coefficient distortion; immutable.

    Parameters
    ----------
    fx, fy : float
        Focal lengths in pixels (> 0).
    cx, cy : float
        Principal point in pixels (origin at the centre of the top-left pixel).
    skew : float
        ``K[0, 1]``; 0 for every real sensor (OpenCV has no skew).
    k1, k2, p1, p2, k3 : float
        Radial (k) and tangential (p) distortion, OpenCV's order.
    image_size : (int, int), optional
        ``(width, height)`` of the images, where known.

    Notes
    -----
    The projection model is stated in the module docstring. ``K`` and
    ``dist_coeffs`` are exactly OpenCV's ``cameraMatrix`` and ``distCoeffs``.

    Examples
    --------
    >>> cam = Camera(800.0, 800.0, 320.0, 240.0, k1=-0.1)
    >>> cam.project([[0.1, 0.0, 1.0]]).round(3)
    array([[399.92, 240.  ]])
    """

    fx: float
    fy: float
    cx: float
    cy: float
    skew: float = 0.0
    k1: float = 0.0
    k2: float = 0.0
    p1: float = 0.0
    p2: float = 0.0
    k3: float = 0.0
    image_size: tuple[int, int] | None = field(default=None)

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name == "image_size":
                continue
            object.__setattr__(self, f.name, _finite(getattr(self, f.name), f.name))
        for name in ("fx", "fy"):
            if getattr(self, name) <= 0:
                raise InputError(f"{name}: expected a focal length > 0, got {getattr(self, name)}")
        if self.image_size is not None:
            size = self.image_size
            try:
                # real numbers only: int() of a complex entry warned, of a dict raised KeyError
                ok = (len(size) == 2 and not isinstance(size, (str, bytes, dict))
                      and all(isinstance(v, numbers.Real) and not isinstance(v, bool)
                              for v in size))
                w, h = (int(size[0]), int(size[1])) if ok else (0, 0)
                ok = ok and w == size[0] and h == size[1] and w > 0 and h > 0
            except (TypeError, ValueError, IndexError, KeyError, OverflowError):
                ok = False
            if not ok:
                raise InputError(f"image_size: expected (width, height) of positive integers, "
                                 f"got {describe(size)}")
            object.__setattr__(self, "image_size", (w, h))

    # -- constructors and views ----------------------------------------------------

    @classmethod
    def from_matrix(cls, K: Any, dist_coeffs: Any = None,
                    image_size: tuple[int, int] | None = None) -> Camera:
        """From OpenCV's ``cameraMatrix`` (3×3) and ``distCoeffs`` (4, 5 or more, zeros after 5).

        Raises
        ------
        InputError
            ``K`` is not upper triangular with ``K[2, 2] = 1``, or ``dist_coeffs``
            uses terms beyond OpenCV's first five (the rational / thin-prism /
            tilted models, which this camera does not represent).
        """
        M = as_array(K, "K", shape=(3, 3))
        if abs(M[1, 0]) > 0 or abs(M[2, 0]) > 0 or abs(M[2, 1]) > 0 or M[2, 2] == 0:
            raise InputError(f"K: expected an upper-triangular camera matrix, got "
                             f"{np.array2string(M, precision=4)}")
        M = M / M[2, 2]
        d = np.zeros(5)
        if dist_coeffs is not None:
            dc = np.ravel(as_array(dist_coeffs, "dist_coeffs"))
            if dc.size not in (4, 5, 8, 12, 14):
                raise InputError(f"dist_coeffs: expected 4, 5, 8, 12 or 14 coefficients "
                                 f"(OpenCV's layouts), got {dc.size}")
            if np.any(dc[5:] != 0):
                raise InputError("dist_coeffs: terms beyond (k1, k2, p1, p2, k3) are non-zero "
                                 f"({np.array2string(dc[5:], precision=4)}); the rational and "
                                 "thin-prism models are not supported")
            d[: min(5, dc.size)] = dc[:5]
        return cls(M[0, 0], M[1, 1], M[0, 2], M[1, 2], M[0, 1], *d, image_size=image_size)

    @property
    def K(self) -> np.ndarray:
        """(3, 3) ndarray: ``[[fx, skew, cx], [0, fy, cy], [0, 0, 1]]``."""
        return np.array([[self.fx, self.skew, self.cx], [0.0, self.fy, self.cy],
                         [0.0, 0.0, 1.0]])

    @property
    def dist_coeffs(self) -> np.ndarray:
        """(5,) ndarray: ``(k1, k2, p1, p2, k3)``, OpenCV's ``distCoeffs``."""
        return np.array([self.k1, self.k2, self.p1, self.p2, self.k3])

    @property
    def params(self) -> np.ndarray:
        """(10,) ndarray: ``(fx, fy, cx, cy, skew, k1, k2, p1, p2, k3)``."""
        return np.array([self.fx, self.fy, self.cx, self.cy, self.skew, self.k1, self.k2,
                         self.p1, self.p2, self.k3])

    @classmethod
    def from_params(cls, params: Any, image_size: tuple[int, int] | None = None) -> Camera:
        """Inverse of :attr:`params`."""
        p = as_array(params, "params", shape=(10,))
        return cls(*p, image_size=image_size)

    def replace(self, **changes: Any) -> Camera:
        """A copy with some fields changed."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        unknown = set(changes) - set(data)
        if unknown:
            raise InputError(f"unknown camera field(s) {sorted(unknown)}")
        data.update(changes)
        return Camera(**data)

    @property
    def has_distortion(self) -> bool:
        return bool(np.any(self.dist_coeffs != 0))

    # -- projection ------------------------------------------------------------------

    def _to_pixels(self, xd: np.ndarray, yd: np.ndarray) -> np.ndarray:
        return np.column_stack([self.fx * xd + self.skew * yd + self.cx, self.fy * yd + self.cy])

    def _to_normalized(self, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        yd = (pts[:, 1] - self.cy) / self.fy
        xd = (pts[:, 0] - self.cx - self.skew * yd) / self.fx
        return xd, yd

    def project(self, points3d: Any, pose: Pose | None = None) -> np.ndarray:
        """Pixels of 3-D points: ``K · distort(π(R X + t))`` (module docstring).

        Parameters
        ----------
        points3d : (N, 3) array_like
            World points (camera coordinates when ``pose`` is None).
        pose : Pose, optional
            World-to-camera motion.

        Returns
        -------
        (N, 2) ndarray

        Raises
        ------
        DegenerateError
            A point lies on or behind the camera's plane (``Z_c ≤ 0``).
        """
        X = as_points(points3d, "points3d", dim=3)
        if pose is not None:
            if not isinstance(pose, Pose):
                raise InputError(f"pose: expected a Pose, got {describe(pose)}")
            X = X @ pose.rotation.T + pose.translation
        Z = X[:, 2]
        if np.any(Z <= 0):
            rows = np.flatnonzero(Z <= 0)
            raise DegenerateError(f"points3d: {rows.size} point(s) on or behind the camera "
                                  f"(Z ≤ 0) at rows {rows[:10].tolist()}; they have no image")
        xd, yd = _distort(X[:, 0] / Z, X[:, 1] / Z, self.dist_coeffs)
        return self._to_pixels(xd, yd)

    def distort_points(self, points: Any) -> np.ndarray:
        """Where the lens moves ideal (undistorted) pixels: ``K · distort(K⁻¹ x)``.

        Parameters
        ----------
        points : (N, 2) array_like
            Pixels of a distortion-free camera with the same ``K``.

        Returns
        -------
        (N, 2) ndarray
        """
        pts = as_points(points, "points")
        x, y = self._to_normalized(pts)
        with np.errstate(over="ignore", invalid="ignore"):  # r⁶ of points near 1e70 overflowed
            out = self._to_pixels(*_distort(x, y, self.dist_coeffs))
        bad = ~np.all(np.isfinite(out), axis=1)
        if np.any(bad):
            rows = np.flatnonzero(bad)
            raise DegenerateError(f"points: the distortion polynomial overflows at {rows.size} "
                                  f"point(s), rows {rows[:10].tolist()} (are they far outside "
                                  "the image?)")
        return out

    def undistort_points(self, points: Any) -> np.ndarray:
        """Ideal pixels of observed (distorted) pixels: the inverse of :meth:`distort_points`.

        The distortion has no closed-form inverse; each point is found by
        Newton's method on the 2×2 Jacobian of the model (to ~1e-15 in
        normalised units, i.e. far below 1e-6 px), OpenCV's
        ``undistortPoints(..., P=K)`` in one call.

        Raises
        ------
        DegenerateError
            Some points lie where the lens model folds over (far outside the
            image for typical lenses), so they have no unique inverse.
        """
        pts = as_points(points, "points")
        xd, yd = self._to_normalized(pts)
        with np.errstate(over="ignore", invalid="ignore"):  # such points fail the test below
            x, y, res = _undistort(xd, yd, self.dist_coeffs)
        bad = ~(res <= _UNDISTORT_TOL)
        if np.any(bad):
            rows = np.flatnonzero(bad)
            raise DegenerateError(f"points: the distortion model cannot be inverted at "
                                  f"{rows.size} point(s), rows {rows[:10].tolist()} (the lens "
                                  "model folds over there; are they far outside the image?)")
        return self._to_pixels(x, y)

    def undistort_image(self, image: Any, *, interpolation: str = "linear") -> np.ndarray:
        """The image a distortion-free camera with the same ``K`` would take.

        For every output pixel ``x``, the source pixel is ``distort_points(x)``;
        the resampling is OpenCV's ``remap`` (pixels whose source falls outside
        the input are black).

        Parameters
        ----------
        image : (H, W) or (H, W, 3) ndarray
        interpolation : {"linear", "cubic", "nearest"}

        Returns
        -------
        ndarray
            Same shape and dtype as ``image``.
        """
        import cv2

        from lacv._validate import as_image, check_choice

        img = as_image(image)
        modes = {"linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC,
                 "nearest": cv2.INTER_NEAREST}
        check_choice(interpolation, "interpolation", tuple(modes))
        h, w = img.shape[:2]
        u, v = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
        src = self.distort_points(np.column_stack([u.ravel(), v.ravel()]))
        map_x = src[:, 0].reshape(h, w).astype(np.float32)
        map_y = src[:, 1].reshape(h, w).astype(np.float32)
        return cv2.remap(img, map_x, map_y, modes[interpolation],
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    # -- serialisation ---------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain numbers, JSON-ready; :meth:`from_dict` reads it back."""
        data: dict[str, Any] = {"model": "pinhole+brown-conrady (opencv k1 k2 p1 p2 k3)"}
        for f in fields(self):
            if f.name != "image_size":
                data[f.name] = float(getattr(self, f.name))
        data["image_size"] = None if self.image_size is None else list(self.image_size)
        return data

    @classmethod
    def from_dict(cls, data: Any) -> Camera:
        """Inverse of :meth:`to_dict` (``skew``, the distortion and ``image_size`` optional)."""
        if not isinstance(data, dict):
            raise InputError(f"data: expected a dict, got {describe(data)}")
        required = ("fx", "fy", "cx", "cy")
        missing = [k for k in required if k not in data]
        if missing:
            raise InputError(f"data: missing camera field(s) {missing}")
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        size = kwargs.pop("image_size", None)
        return cls(**kwargs, image_size=None if size is None else tuple(size))

    def to_opencv_yaml(self, path: str | os.PathLike[str]) -> None:
        """Write OpenCV's calibration YAML (``camera_matrix``, ``distortion_coefficients``).

        The layout of OpenCV's calibration sample, readable by
        ``cv2.FileStorage(path, cv2.FILE_STORAGE_READ)``; written atomically.
        """
        import cv2

        from lacv._fileio import atomic_path

        with atomic_path(path) as tmp:
            fs = cv2.FileStorage(str(tmp), cv2.FILE_STORAGE_WRITE)
            if not fs.isOpened():
                raise InputError(f"path: cannot open {str(path)!r} for writing")
            try:
                if self.image_size is not None:
                    fs.write("image_width", int(self.image_size[0]))
                    fs.write("image_height", int(self.image_size[1]))
                fs.write("camera_matrix", self.K)
                fs.write("distortion_coefficients", self.dist_coeffs.reshape(5, 1))
            finally:
                fs.release()

    @classmethod
    def from_opencv_yaml(cls, path: str | os.PathLike[str], *,
                         matrix_key: str = "camera_matrix",
                         dist_key: str = "distortion_coefficients") -> Camera:
        """Read a camera from an OpenCV YAML / XML file (``cv2.FileStorage``).

        Parameters
        ----------
        path : str or path-like
        matrix_key, dist_key : str
            Node names of ``K`` and the distortion (``"M1"``, ``"D1"`` for
            OpenCV's stereo sample).

        Raises
        ------
        InputError
            Missing or unreadable file, missing nodes, or a distortion model
            beyond five coefficients.
        """
        import cv2

        p = os.fspath(path)
        if not os.path.isfile(p):
            raise InputError(f"path: no such file {p!r}")
        try:
            fs = cv2.FileStorage(p, cv2.FILE_STORAGE_READ)
        except cv2.error as exc:
            raise InputError(f"path: {p!r} is not an OpenCV YAML/XML file ({exc.err})") from None
        except SystemError:  # how OpenCV's binding reports some parse errors (e.g. /etc/passwd)
            raise InputError(f"path: {p!r} is not an OpenCV YAML/XML file") from None
        if not fs.isOpened():
            raise InputError(f"path: {p!r} is not an OpenCV YAML/XML file")
        try:
            K = fs.getNode(matrix_key).mat()
            D = fs.getNode(dist_key).mat()
            wn, hn = fs.getNode("image_width"), fs.getNode("image_height")
            size = None
            if not wn.empty() and not hn.empty():
                size = (int(wn.real()), int(hn.real()))
        finally:
            fs.release()
        if K is None:
            raise InputError(f"path: {p!r} has no matrix node {matrix_key!r}")
        return cls.from_matrix(K, D, image_size=size)

    def __str__(self) -> str:
        size = "" if self.image_size is None else f", {self.image_size[0]}×{self.image_size[1]}"
        return (f"Camera(fx={self.fx:.4f}, fy={self.fy:.4f}, cx={self.cx:.4f}, "
                f"cy={self.cy:.4f}, skew={self.skew:.4g}, k1={self.k1:.6g}, k2={self.k2:.6g}, "
                f"p1={self.p1:.6g}, p2={self.p2:.6g}, k3={self.k3:.6g}{size})")
