"""The five transform families as estimators of the generic RANSAC loop.

:class:`_TransformEstimator` adapts :mod:`lacv.geometry.transforms` to the
:class:`~lacv.geometry.robust.RobustEstimator` interface: points are
Hartley-normalised once per call, minimal samples are solved in batches by
the closed forms of :mod:`lacv.geometry._minimal`, errors are transfer
errors in the normalised frame (a similarity, so thresholds scale), and
non-minimal fits are the weighted least squares / DLT of the transforms, with
a Gauss–Newton step for the sigma-consensus rounds. :func:`lacv.geometry.ransac`
is its only user.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from lacv.errors import DegenerateError
from lacv.geometry import _minimal
from lacv.geometry.homogeneous import _hartley
from lacv.geometry.transforms import (
    Affine,
    Euclidean,
    Homography,
    Similarity,
    Transform,
    Translation,
    _dlt_columns,
    _moment_rows,
    _umeyama,
)


def _frobenius(M: np.ndarray) -> float:
    # np.linalg.norm's own computation (sqrt of x·x) without its dispatch overhead
    x = M.ravel()
    return math.sqrt(float(x @ x))


#: ``det M / (tr M)³`` above which :func:`_solve_spd3` trusts its Cholesky factor
_SPD3_FAST = 1e-8


def _solve_spd3(M: np.ndarray, R: np.ndarray) -> np.ndarray | None:
    r"""The affine map ``[(M⁻¹R)ᵀ; 0 0 1]`` for a well-conditioned 3×3 SPD ``M``, else ``None``.

    The normal equations of the affine fit (``M = XWXᵀ`` on normalised
    points) are solved by a Cholesky factor in scalar arithmetic: two
    LAPACK calls through NumPy (``eigvalsh`` for the degeneracy test and
    ``solve``) cost ~10 µs each for a 3×3, the scalar factor ~2 µs. It
    serves only matrices with ``det M / (tr M)³ > 10⁻⁸``, which bounds the
    eigenvalue ratio ``λ_min/λ_max ≥ det M / (tr M)³`` well away from the
    degeneracy test's ``10⁻¹⁴``; every other matrix returns ``None`` for
    the LAPACK path (Golub & Van Loan, *Matrix Computations*, §4.2).

    Parameters
    ----------
    M : (3, 3) ndarray
        Symmetric positive semi-definite.
    R : (3, 2) ndarray
        Right-hand sides.

    Returns
    -------
    (3, 3) ndarray or None
    """
    (m00, m01, m02), (_, m11, m12), (_, _, m22) = M.tolist()
    tr = m00 + m11 + m22
    if not m00 > 0.0:
        return None
    l00 = math.sqrt(m00)
    l10, l20 = m01 / l00, m02 / l00
    d1 = m11 - l10 * l10
    if not d1 > 0.0:
        return None
    l11 = math.sqrt(d1)
    l21 = (m12 - l20 * l10) / l11
    d2 = m22 - l20 * l20 - l21 * l21
    if not m00 * d1 * d2 > _SPD3_FAST * tr * tr * tr:  # det M = m00 d1 d2
        return None
    l22 = math.sqrt(d2)
    out = []
    for b0, b1, b2 in zip(*R.tolist(), strict=True):  # the two right-hand sides (R columns)
        # L y = b, then Lᵀ x = y
        y0 = b0 / l00
        y1 = (b1 - l10 * y0) / l11
        y2 = (b2 - l20 * y0 - l21 * y1) / l22
        x2 = y2 / l22
        x1 = (y1 - l21 * x2) / l11
        out.append(((y0 - l10 * x1 - l20 * x2) / l00, x1, x2))
    return np.array([out[0], out[1], (0.0, 0.0, 1.0)])


_MINIMAL: dict[type[Transform], Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]]
_MINIMAL = {
    Translation: _minimal.translation_1pt,
    Euclidean: _minimal.euclidean_2pt,
    Similarity: _minimal.similarity_2pt,
    Affine: _minimal.affine_3pt,
    Homography: _minimal.homography_4pt,
}


class _TransformEstimator:
    """A :class:`RobustEstimator` for the five transform families.

    Works in globally Hartley-normalised coordinates (so the batched solvers
    and the least-squares fits are well conditioned); errors are converted
    back to pixels² by the destination's scale, so thresholds stay in pixels.
    """

    def __init__(self, cls: type[Transform], src: np.ndarray, dst: np.ndarray):
        self.cls = cls
        self.sample_size = cls.min_samples
        self.n_points = src.shape[0]
        self.src_px, self.dst_px = src, dst
        self.sn, self.Ts = _hartley(src)
        self.dn, self.Td = _hartley(dst)
        if cls in (Translation, Euclidean):
            # these families are closed under translations but not under scaling:
            # both sides get one common scale so the family is the same when normalised
            k = np.sqrt(self.Ts[0, 0] * self.Td[0, 0])
            for pts, T in ((self.sn, self.Ts), (self.dn, self.Td)):
                pts *= k / T[0, 0]
                T[:2] *= k / T[0, 0]
        self.scale2 = 1.0 / self.Td[0, 0] ** 2  # normalised² -> pixels²
        # Td = [[k, 0, a], [0, k, b], [0, 0, 1]] has the inverse [[1/k, 0, -a/k], ...]
        k_d = self.Td[0, 0]
        self.Td_inv = np.array([[1.0 / k_d, 0.0, -self.Td[0, 2] / k_d],
                                [0.0, 1.0 / k_d, -self.Td[1, 2] / k_d], [0.0, 0.0, 1.0]])
        self.src_h = np.empty((3, self.n_points))  # (3, N)
        self.src_h[:2] = self.sn.T
        self.src_h[2] = 1.0
        self.dst_t = np.ascontiguousarray(self.dn.T)  # (2, N)
        self._sub_idx: np.ndarray | None = None
        self._sub: tuple[np.ndarray, np.ndarray] = (self.src_h, self.dst_t)
        self._solver = _MINIMAL[cls]
        self._Z: np.ndarray | None = None

    def solve_minimal(self, samples: np.ndarray) -> np.ndarray:
        if self.cls is Homography:
            return _minimal.homography_4pt(self.sn[samples], self.dn[samples],
                                           only_valid=True)[0]
        H, ok = self._solver(self.sn[samples], self.dn[samples])
        return H[ok]

    def errors_sq(self, models: np.ndarray, idx: np.ndarray | None) -> np.ndarray:
        if idx is None:
            e = _minimal.transfer_errors_sq(models, self.src_h, self.dst_t, self.cls.projective)
            e *= self.scale2
            return e
        # The preemptive subset only ranks a batch's hypotheses against each other and the
        # best: single precision (7 digits) ranks them the same and halves the memory
        # traffic of the (B, 3, m) products that dominate the loop at high outlier ratios.
        if idx is not self._sub_idx:
            self._sub_idx = idx
            self._sub = (self.src_h.take(idx, axis=1).astype(np.float32),
                         self.dst_t.take(idx, axis=1).astype(np.float32))
        sh, dt = self._sub
        e = _minimal.transfer_errors_sq(models.astype(np.float32), sh, dt, self.cls.projective)
        e *= np.float32(self.scale2)
        return e

    def _rows(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The (3, n) homogeneous source and (2, n) destination rows of the points ``idx``.

        ``take`` along axis 1 (~4× faster than ``[:, idx]``), and no copy at all when
        ``idx`` is every point (the common case without outliers).
        """
        if idx.size == self.n_points:
            return self.src_h, self.dst_t
        return self.src_h.take(idx, axis=1), self.dst_t.take(idx, axis=1)

    def _moments(self, idx: np.ndarray) -> np.ndarray | None:
        """The monomial rows (:func:`_moment_rows`) of all points, computed once; else None.

        Without outliers every local optimisation and IRLS round uses every point.
        """
        if idx.size != self.n_points:
            return None
        if self._Z is None:
            self._Z = _moment_rows(self.src_h[0], self.src_h[1])
        return self._Z

    def fit_nonminimal(self, idx: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        cls = self.cls
        if cls is Homography:
            sh, dt = self._rows(idx)
            H = _dlt_columns(sh[0], sh[1], dt[0], dt[1], weights, self._moments(idx))
            return H / _frobenius(H)
        if cls is Affine:
            # the 2N×6 least squares as two 3-unknown systems sharing XᵀWX (see Affine)
            X, D = self._rows(idx)  # (3, n), (2, n)
            Xw = X if weights is None else X * weights
            M = Xw @ X.T
            R = Xw @ D.T  # (3, 2)
            A = _solve_spd3(M, R)
            if A is None:  # not clearly well conditioned: LAPACK judges and solves
                ev = np.linalg.eigvalsh(M)
                if not ev[0] > 1e-14 * ev[-1]:
                    raise DegenerateError("the inliers are collinear: no unique affine map")
                A = np.eye(3)
                A[:2] = np.linalg.solve(M, R).T
            return A
        sn, dn = (self.sn, self.dn) if idx.size == self.n_points else (self.sn[idx], self.dn[idx])
        if cls is Translation:
            disp = dn - sn
            t = disp.mean(axis=0) if weights is None else weights @ disp / weights.sum()
            M = np.eye(3)
            M[:2, 2] = t
            return M
        angle, scale, t = _umeyama(sn, dn, weights, with_scale=cls is Similarity)
        c, si = scale * np.cos(angle), scale * np.sin(angle)
        return np.array([[c, -si, t[0]], [si, c, t[1]], [0.0, 0.0, 1.0]])

    def to_pixels(self, model: np.ndarray) -> Transform:
        M = self.Td_inv @ (model @ self.Ts)
        if self.cls is Homography:
            return Homography._trusted(M)
        return self.cls._post_compose(M) if self.cls is Affine else _project_family(self.cls, M)

    def refine_weighted(self, model: np.ndarray, idx: np.ndarray, weights: np.ndarray
                        ) -> np.ndarray:
        """One IRLS round: the weighted least-squares transfer-error fit, started from ``model``."""
        if self.cls is not Homography:
            # closed forms that minimise the (weighted) transfer error exactly: least squares
            # for the linear families, Umeyama's for the rigid and similarity ones (an LM
            # started there takes no step)
            return self.fit_nonminimal(idx, weights)
        from lacv.geometry.refine import _homography_gauss_newton_step

        # one Gauss–Newton step per round: the rounds' loss test verifies it, and with the
        # weights fixed the problem is so nearly linear that a full LM solve would take the
        # same step (one pass over the points instead of two or three)
        H = _homography_gauss_newton_step(model, *self._rows(idx), weights, self._moments(idx))
        return H / _frobenius(H)

    def refine(self, model: np.ndarray, idx: np.ndarray) -> np.ndarray:
        if self.cls is not Homography:
            # the closed-form fit on the inliers minimises the transfer error (see above)
            return self.fit_nonminimal(idx, None)
        from lacv.geometry.refine import _refine_homography_fast

        # LM starts from the current model (already a least-squares fit after LO)
        H = _refine_homography_fast(model, *self._rows(idx), ftol=1e-6, predicted_stop=True)
        return H / _frobenius(H)


def _project_family(cls: type[Transform], M: np.ndarray) -> Transform:
    """A matrix known to be of the family (up to rounding) as an exact member of it."""
    if cls is Translation:
        return Translation(M[:2, 2])
    if cls is Euclidean:
        return Euclidean(float(np.arctan2(M[1, 0], M[0, 0])), M[:2, 2])
    if cls is Similarity:
        return Similarity(float(np.hypot(M[0, 0], M[1, 0])), float(np.arctan2(M[1, 0], M[0, 0])),
                          M[:2, 2])
    return cls._post_compose(M)
