"""MAGSAC++ σ-consensus: inlier weights and loss marginalised over the noise level.

Instead of one inlier threshold, the noise scale σ is integrated out up to
``σ_max``: a residual's weight is the expected inverse-variance weight of a
χ-distributed inlier residual (ν = 4 degrees of freedom, as for 2-D transfer
errors), averaged over σ ∈ (0, σ_max], and its loss is the matching marginal
negative log-likelihood. Both are tabulated once from their closed forms in
incomplete gamma functions and looked up by ``e² / σ_max²``.

References
----------
.. [1] D. Barath, J. Noskova, M. Ivashechkin and J. Matas, "MAGSAC++, a fast,
   reliable and accurate robust estimator", CVPR 2020, §3.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gamma as gamma_fn
from scipy.special import gammainc, gammaincc, gammaincinv

__all__ = ["sigma_loss", "sigma_weights"]

#: MAGSAC++ noise model: degrees of freedom ν of the χ-distributed inlier residual ...
_SIGMA_DOF = 4
#: ... the quantile k of that χ distribution (0.99) beyond which a residual is no inlier at σ ...
_SIGMA_K = float(np.sqrt(2.0 * gammaincinv(_SIGMA_DOF / 2.0, 0.99)))


def _sigma_tables(n: int = 16384) -> tuple[np.ndarray, np.ndarray, float]:
    r"""MAGSAC++'s weight and loss tabulated on ``t = r²/σ_max²`` in ``[0, k²]``.

    With the inlier residual χ-distributed with ν degrees of freedom at noise
    σ, ``g(r|σ) = 2C(ν) σ^{-ν} r^{ν-1} e^{-r²/2σ²}``, ``C(ν) = 1/(2^{ν/2}Γ(ν/2))``,
    truncated at ``kσ``, and σ uniform on ``[0, σ_max]``, the marginal weight
    ``w(r) = (1/σ_max)∫_{r/k}^{σ_max} g(r|σ) dσ`` is, with ``a = (ν−1)/2``,
    ``X = r²/(2σ_max²)``,

    .. math:: w(r) \propto \Gamma(a, X) - \Gamma(a, k^2/2)\quad (r < kσ_{max}),
              \qquad \rho(r) \propto σ_{max}^2\,[X\,\Gamma(a, X) + \gamma(a+1, X)
              - X\,\Gamma(a, k^2/2)]

    (Γ, γ the upper and lower incomplete gamma functions); ``ρ`` is the loss
    with ``ρ'(r) = r w(r)`` (so ``w`` is its IRLS weight), constant beyond
    ``kσ_max`` (Barath, Noskova, Ivashechkin & Matas, "MAGSAC++, a fast,
    reliable and accurate robust estimator", CVPR 2020, §3). Both are
    normalised so that ``w(0) = 1``, ``ρ`` in units of ``σ_max²``.

    Returns the two tables at ``t = j k²/n``, ``j = 0 … n`` (entry ``n + 1``
    holds the values beyond ``k σ_max``: weight 0, the loss's plateau) and
    ``n / k²``, the factor from ``t`` to the table index.
    """
    a = (_SIGMA_DOF - 1) / 2.0
    k2 = _SIGMA_K ** 2
    X = np.linspace(0.0, k2, n + 1) / 2.0
    upper_k = gammaincc(a, k2 / 2.0) * gamma_fn(a)
    upper = gammaincc(a, X) * gamma_fn(a)
    c = 1.0 / (gamma_fn(a) - upper_k)
    w = np.zeros(n + 2)
    w[:-1] = np.maximum(c * (upper - upper_k), 0.0)
    rho = np.empty(n + 2)
    rho[:-1] = c * (X * upper + gammainc(a + 1.0, X) * gamma_fn(a + 1.0) - X * upper_k)
    rho[-1] = rho[-2]
    return w, rho, n / k2


_SIGMA_W, _SIGMA_RHO, _SIGMA_SCALE = _sigma_tables()


def _sigma_index(errors_sq: np.ndarray, sigma_max: float) -> np.ndarray:
    # nearest table entry (the tables are fine enough that rounding moves w by < 2e-4);
    # fmin maps nan and everything beyond k σ_max to the last entry
    t = errors_sq * (_SIGMA_SCALE / (sigma_max * sigma_max))
    t += 0.5
    np.fmin(t, _SIGMA_W.size - 1, out=t)
    return t.astype(np.intp)


def sigma_weights(errors_sq: np.ndarray, sigma_max: float) -> np.ndarray:
    """MAGSAC++ IRLS weights of squared residuals (1 at zero, 0 from ``k·σ_max`` on).

    ``inf`` and ``nan`` residuals get weight 0. See :func:`_sigma_tables`.
    """
    return _SIGMA_W[_sigma_index(errors_sq, sigma_max)]


def sigma_loss(errors_sq: np.ndarray, sigma_max: float) -> np.ndarray:
    """MAGSAC++'s marginal loss ``ρ`` of squared residuals, in units of ``σ_max²``."""
    return _SIGMA_RHO[_sigma_index(errors_sq, sigma_max)]
