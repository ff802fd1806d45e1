"""lacv.linalg against NumPy / SciPy references, worked properties and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lacv import linalg
from lacv.errors import (
    DegenerateError,
    IllConditionedWarning,
    InputError,
    RankDeficientWarning,
)
from tolerances import REF_ATOL, REF_RTOL

# ----------------------------------------------------------------------------- strategies

# magnitudes 1e-6..100 or exactly 0: subnormal entries make solutions overflow float64,
# which has its own test below
finite = st.one_of(st.just(0.0), st.floats(min_value=1e-6, max_value=100),
                   st.floats(min_value=-100, max_value=-1e-6))


@st.composite
def well_conditioned(draw, min_rows=1, max_rows=8, max_cols=6):
    """A tall matrix with singular values in [0.1, 10] (so κ ≤ 100)."""
    n = draw(st.integers(1, max_cols))
    m = draw(st.integers(max(n, min_rows), max(max_rows, n)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.normal(size=(m, n)))[0]
    V = np.linalg.qr(rng.normal(size=(n, n)))[0]
    s = rng.uniform(0.1, 10.0, n)
    return (U * s) @ V.T


def low_rank(rng, m, n, r):
    return rng.normal(size=(m, r)) @ rng.normal(size=(r, n))


# ----------------------------------------------------------------------------- least squares


@settings(max_examples=60, deadline=None)
@given(A=well_conditioned(), seed=st.integers(0, 2**32 - 1), method=st.sampled_from(
    ["svd", "qr", "normal"]))
def test_least_squares_matches_lstsq(A, seed, method):
    b = np.random.default_rng(seed).normal(size=A.shape[0])
    ref, *_ = np.linalg.lstsq(A, b, rcond=None)
    r = linalg.solve_least_squares(A, b, method=method)
    assert r.method == method
    np.testing.assert_allclose(r.x, ref, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(r.residuals, b - A @ r.x, atol=REF_ATOL)
    assert r.residual_norm == pytest.approx(np.linalg.norm(b - A @ ref), rel=1e-7, abs=1e-9)
    assert r.rank == A.shape[1]
    assert r.unique


@settings(max_examples=40, deadline=None)
@given(A=arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=finite),
       seed=st.integers(0, 2**32 - 1))
def test_svd_least_squares_any_matrix_matches_lstsq(A, seed):
    """Any matrix, rank-deficient included: the SVD method is the minimum-norm solution."""
    b = np.random.default_rng(seed).normal(size=A.shape[0])
    ref, *_ = np.linalg.lstsq(A, b, rcond=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IllConditionedWarning)
        r = linalg.solve_least_squares(A, b)
    np.testing.assert_allclose(A @ r.x, A @ ref, atol=1e-6 * (1 + np.abs(b).max()))
    assert np.linalg.norm(r.x) <= np.linalg.norm(ref) * (1 + 1e-6) + 1e-9
    assert r.rank == np.linalg.matrix_rank(A)


def test_multiple_right_hand_sides():
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(7, 3)), rng.normal(size=(7, 4))
    r = linalg.solve_least_squares(A, B)
    assert r.x.shape == (3, 4)
    assert r.residuals.shape == (7, 4)
    assert np.shape(r.residual_norm) == (4,)
    np.testing.assert_allclose(r.x, np.linalg.lstsq(A, B, rcond=None)[0], rtol=REF_RTOL)
    np.testing.assert_allclose(r.residual_norm, np.linalg.norm(B - A @ r.x, axis=0))


@pytest.mark.parametrize("method", ["svd", "qr", "normal"])
def test_stacked_systems(method):
    rng = np.random.default_rng(2)
    A, b = rng.normal(size=(4, 3, 6, 2)), rng.normal(size=(4, 3, 6))
    r = linalg.solve_least_squares(A, b, method=method)
    assert r.x.shape == (4, 3, 2)
    assert r.rank.shape == (4, 3)
    ref = np.stack([np.linalg.lstsq(a, v, rcond=None)[0]
                    for a, v in zip(A.reshape(-1, 6, 2), b.reshape(-1, 6), strict=True)])
    np.testing.assert_allclose(r.x.reshape(-1, 2), ref, rtol=1e-9, atol=1e-12)


def test_lecture_formula_normal_equations():
    """x = (AᵀA)⁻¹Aᵀb, the lecture's formula, on a line fit with a known answer."""
    t = np.arange(5.0)
    A = np.column_stack([np.ones(5), t])
    b = 2.0 + 3.0 * t
    r = linalg.solve_least_squares(A, b, method="normal")
    np.testing.assert_allclose(r.x, [2.0, 3.0], rtol=1e-12)
    assert r.residual_norm == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("method", ["svd", "qr", "normal"])
def test_rank_deficient_warns_and_returns_minimum_norm(method):
    rng = np.random.default_rng(3)
    A = low_rank(rng, 8, 4, 2)
    b = rng.normal(size=8)
    with pytest.warns(RankDeficientWarning, match=r"rank 2 < 4.*condition number"):
        r = linalg.solve_least_squares(A, b, method=method)
    assert r.rank == 2
    assert not r.unique
    assert r.method == "svd"  # the minimum-norm solution comes from the SVD, and says so
    np.testing.assert_allclose(r.x, np.linalg.pinv(A) @ b, atol=1e-10)


def test_rank_deficient_strict_raises():
    A = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    with pytest.raises(DegenerateError, match="rank-deficient") as info:
        linalg.solve_least_squares(A, [1.0, 2.0, 3.0], strict=True)
    assert info.value.singular_values is not None


def test_underdetermined_is_rank_deficient():
    A = np.array([[1.0, 1.0, 1.0]])
    with pytest.warns(RankDeficientWarning):
        r = linalg.solve_least_squares(A, [3.0])
    np.testing.assert_allclose(r.x, [1.0, 1.0, 1.0])  # the minimum-norm solution


def test_normal_equations_square_the_condition_number():
    """κ = 1e5: SVD and QR are fine, the normal equations warn (κ² = 1e10) and lose digits."""
    rng = np.random.default_rng(4)
    U = np.linalg.qr(rng.normal(size=(20, 3)))[0]
    V = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    A = (U * [1.0, 1e-2, 1e-5]) @ V.T
    x_true = np.array([1.0, -2.0, 0.5])
    b = A @ x_true
    with warnings.catch_warnings():
        warnings.simplefilter("error", IllConditionedWarning)
        r_svd = linalg.solve_least_squares(A, b, method="svd")
        r_qr = linalg.solve_least_squares(A, b, method="qr")
    assert r_svd.condition_number == pytest.approx(1e5, rel=1e-6)
    with pytest.warns(IllConditionedWarning, match=r"κ\(AᵀA\) = κ\(A\)² = 1e\+10"):
        r_n = linalg.solve_least_squares(A, b, method="normal")
    err = {m: np.abs(r.x - x_true).max() for m, r in
           [("svd", r_svd), ("qr", r_qr), ("normal", r_n)]}
    assert err["svd"] < 1e-9 and err["qr"] < 1e-9
    assert err["normal"] > 100 * err["svd"]
    with pytest.raises(DegenerateError, match="ill-conditioned"):
        linalg.solve_least_squares(A, b, method="normal", strict=True)


def test_overflowing_solution_raises():
    with pytest.raises(DegenerateError, match="overflows float64"):
        linalg.solve_least_squares([[5e-324]], [1.0])


def test_overflowing_pseudo_inverse_raises():
    with pytest.raises(DegenerateError, match="pseudo-inverse overflows float64"):
        linalg.pinv([[5e-324]])


def test_ill_conditioned_svd_warns():
    A = np.vander(np.linspace(0, 1, 30), 14, increasing=True)  # κ ≈ 1e10
    with pytest.warns(IllConditionedWarning, match="ill-conditioned"):
        linalg.solve_least_squares(A, np.ones(30))


# ----------------------------------------------------------------------------- Ax = 0


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 9), extra=st.integers(0, 6))
def test_homogeneous_recovers_exact_null_vector(seed, n, extra):
    rng = np.random.default_rng(seed)
    x_true = rng.normal(size=n)
    x_true /= np.linalg.norm(x_true)
    m = n - 1 + extra
    A = rng.normal(size=(m, n))
    A -= np.outer(A @ x_true, x_true)  # make x_true a null vector, up to rounding
    r = linalg.solve_homogeneous(A)
    assert abs(abs(r.x @ x_true) - 1.0) < 1e-8
    assert np.linalg.norm(r.x) == pytest.approx(1.0)
    assert r.residual < 1e-10 * np.abs(A).max() * n
    assert r.unique
    # the projection above leaves σ_min at a few ε·|A|, which the default tolerance
    # (σ_max·max(m, n)·ε) may or may not count as zero: judge nullity with a tolerance
    # above the construction's rounding
    assert linalg.solve_homogeneous(A, tol=1e-12 * np.abs(A).max()).nullity == 1


@pytest.mark.parametrize("method", ["svd", "eig"])
def test_homogeneous_noisy_is_smallest_singular_vector(method):
    rng = np.random.default_rng(5)
    A = rng.normal(size=(30, 5))
    r = linalg.solve_homogeneous(A, method=method)
    _, s, Vt = np.linalg.svd(A)
    assert abs(abs(r.x @ Vt[-1]) - 1.0) < 1e-9
    assert r.residual == pytest.approx(s[-1], rel=1e-9)
    np.testing.assert_allclose(r.singular_values, s, rtol=1e-8)
    assert r.nullity == 0 and r.method == method
    # the Rayleigh quotient of AᵀA is minimised there, at σ_min²
    assert linalg.rayleigh_quotient(A.T @ A, r.x) == pytest.approx(s[-1] ** 2, rel=1e-8)


def test_homogeneous_deterministic_sign():
    A = np.array([[1.0, 1.0, -2.0], [2.0, -1.0, -1.0]])
    for M in (A, -A, 3 * A):
        x = linalg.solve_homogeneous(M).x
        np.testing.assert_allclose(x, np.ones(3) / np.sqrt(3), atol=1e-12)
    x_eig = linalg.solve_homogeneous(A, method="eig").x
    np.testing.assert_allclose(x_eig, np.ones(3) / np.sqrt(3), atol=1e-8)


def test_homogeneous_stacked():
    rng = np.random.default_rng(6)
    A = rng.normal(size=(10, 8, 9))  # 10 systems of 8 equations in 9 unknowns
    r = linalg.solve_homogeneous(A)
    assert r.x.shape == (10, 9) and np.shape(r.nullity) == (10,)
    np.testing.assert_allclose(np.linalg.norm(A @ r.x[..., None], axis=(1, 2)), 0, atol=1e-12)
    np.testing.assert_array_equal(r.nullity, 1)


def test_homogeneous_not_unique_warns_or_raises():
    A = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])  # null space of dimension 2
    with pytest.warns(RankDeficientWarning, match="dimension 2"):
        r = linalg.solve_homogeneous(A)
    assert r.nullity == 2 and not r.unique
    assert np.linalg.norm(A @ r.x) < 1e-12
    with pytest.raises(DegenerateError, match="no unique solution"):
        linalg.solve_homogeneous(A, strict=True)


def test_homogeneous_eig_flags_degeneracy_svd_sees():
    """The eig route works with AᵀA (σ²): a null space of dimension 2 is still reported."""
    rng = np.random.default_rng(7)
    A = low_rank(rng, 10, 5, 3)
    with pytest.warns(RankDeficientWarning):
        r = linalg.solve_homogeneous(A, method="eig")
    assert r.nullity == 2


# ----------------------------------------------------------------------------- SVD toolkit


@settings(max_examples=50, deadline=None)
@given(A=arrays(np.float64, st.tuples(st.integers(1, 7), st.integers(1, 7)), elements=finite))
def test_toolkit_matches_references(A):
    np.testing.assert_allclose(linalg.pinv(A), np.linalg.pinv(A), atol=1e-8 * (1 + np.abs(
        np.linalg.pinv(A)).max()))
    assert linalg.rank(A) == np.linalg.matrix_rank(A)
    assert linalg.frobenius_norm(A) == pytest.approx(np.linalg.norm(A, "fro"), rel=1e-10,
                                                     abs=1e-12)
    N = linalg.null_space(A)
    ref = scipy.linalg.null_space(A)
    assert N.shape == ref.shape
    if N.shape[1]:
        # same subspace: the projectors agree
        np.testing.assert_allclose(N @ N.T, ref @ ref.T, atol=1e-8)
        np.testing.assert_allclose(A @ N, 0, atol=1e-8 * (1 + np.abs(A).max()))
        np.testing.assert_allclose(N.T @ N, np.eye(N.shape[1]), atol=1e-10)
    R = linalg.range_space(A)
    ref_r = scipy.linalg.orth(A)
    assert R.shape == ref_r.shape
    if R.shape[1]:
        np.testing.assert_allclose(R @ R.T, ref_r @ ref_r.T, atol=1e-8)


def test_condition_number_and_rank_known():
    assert linalg.condition_number(np.diag([10.0, 2.0, 0.5])) == pytest.approx(20.0)
    assert linalg.condition_number([[1.0, 2.0], [2.0, 4.0]]) > 1e15
    assert linalg.condition_number(np.zeros((2, 2))) == np.inf
    assert linalg.rank(np.diag([1.0, 1e-7, 0.0])) == 2
    assert linalg.rank(np.diag([1.0, 1e-7, 0.0]), tol=1e-6) == 1  # the lecture's fixed ε
    assert linalg.condition_number(np.stack([np.eye(2), np.diag([4.0, 1.0])])).tolist() == [
        1.0, 4.0]


def test_svd_property_5_correct_pairing():
    """A vₖ = σₖ uₖ and Aᵀ uₖ = σₖ vₖ (the notes swap u and v)."""
    rng = np.random.default_rng(8)
    A = rng.normal(size=(5, 3))
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    np.testing.assert_allclose(A @ Vt.T, U * s, atol=1e-12)
    np.testing.assert_allclose(A.T @ U, Vt.T * s, atol=1e-12)
    # and AᵀA has eigenvalues σ² with eigenvectors V (property 5)
    evals = np.linalg.eigvalsh(A.T @ A)[::-1]
    np.testing.assert_allclose(evals, linalg.singular_values(A) ** 2, rtol=1e-10)


def test_rayleigh_quotient_bounds_and_errors():
    M = np.array([[2.0, 1.0], [1.0, 3.0]])
    lo, hi = np.linalg.eigvalsh(M)
    rng = np.random.default_rng(9)
    q = linalg.rayleigh_quotient(M, rng.normal(size=(100, 2)))
    assert q.shape == (100,) and np.all(q >= lo - 1e-12) and np.all(q <= hi + 1e-12)
    with pytest.raises(InputError, match="symmetric"):
        linalg.rayleigh_quotient([[1.0, 2.0], [0.0, 1.0]], [1.0, 0.0])
    with pytest.raises(InputError, match="non-zero"):
        linalg.rayleigh_quotient(M, [0.0, 0.0])
    with pytest.raises(InputError, match="length 2"):
        linalg.rayleigh_quotient(M, [1.0, 0.0, 0.0])
    with pytest.raises(InputError, match="symmetric_tol: expected a finite number"):
        linalg.rayleigh_quotient(M, [1.0, 0.0], symmetric_tol=None)


def test_rayleigh_quotient_and_norms_at_extreme_scales():
    # x near 1e200 overflowed xᵀx (NaN and RuntimeWarnings); R(M, x) does not depend on |x|
    M = np.array([[2.0, 1.0], [1.0, 3.0]])
    x = np.array([1.0, 2.0])
    ref = linalg.rayleigh_quotient(M, x)
    for k in (1e200, 1e-200):
        assert linalg.rayleigh_quotient(M, x * k) == pytest.approx(ref, rel=1e-14)
    # ‖A‖_F from singular values near 1e200 overflowed to inf, near 1e-200 underflowed to 0
    A = np.array([[3.0, 0.0], [0.0, 4.0]])
    for k in (1e200, 1e-200):
        assert linalg.frobenius_norm(A * k) == pytest.approx(5.0 * k, rel=1e-14)
        assert linalg.svd_report(A * k).frobenius_norm == pytest.approx(5.0 * k, rel=1e-14)
    np.testing.assert_allclose(linalg.frobenius_norm(np.stack([A, 2 * A, 0 * A])), [5, 10, 0])


@pytest.mark.parametrize(
    ("A", "verdict"),
    [
        (np.eye(3), "well-conditioned"),
        (np.diag([1.0, 1e-5]), "moderately conditioned"),
        (np.diag([1.0, 1e-9]), "ill-conditioned"),
        ([[1.0, 2.0], [2.0, 4.0]], "rank-deficient"),
        (np.zeros((2, 3)), "zero matrix"),
    ],
)
def test_svd_report_verdicts(A, verdict):
    report = linalg.svd_report(A)
    assert report.verdict == verdict
    text = str(report)
    assert "singular values" in text and verdict in text and "condition number" in text
    d = report.to_dict()
    assert d["verdict"] == verdict and d["rank"] == report.rank
    assert report.nullity == np.shape(A)[1] - report.rank
    # JSON has no infinity: "inf", as the CLI's json_ready writes it, never null
    assert d["condition_number"] == (report.condition_number
                                     if np.isfinite(report.condition_number) else "inf")


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("A", "b", "match"),
    [
        ([[1.0, np.nan], [0.0, 1.0]], [1.0, 2.0],
         r"A: expected finite values, got NaN at index \(0, 1\)"),
        ([[1.0, 0.0], [0.0, 1.0]], [1.0, np.inf],
         r"b: expected finite values, got \+inf at index 1"),
        ([1.0, 2.0], [1.0, 2.0], r"A: expected an array with at least 2 dimensions"),
        (np.zeros((0, 2)), np.zeros(0), r"A: expected a non-empty array"),
        ([[1.0, 0.0], [0.0, 1.0]], [1.0, 2.0, 3.0], r"b: expected shape \(2,\)"),
        ([[1.0, 0.0], [0.0, 1.0]], np.ones((3, 2)), r"b: expected shape"),
        ([["a", "b"], ["c", "d"]], [1.0, 2.0], r"A: expected an array of real numbers"),
        ([[1.0, 2.0], [3.0]], [1.0, 2.0], r"A: expected a rectangular array"),
        (None, [1.0], r"A: expected an array of numbers, got None"),
    ],
)
def test_least_squares_bad_input(A, b, match):
    with pytest.raises(InputError, match=match):
        linalg.solve_least_squares(A, b)


def test_bad_method_and_rcond():
    with pytest.raises(InputError,
                       match=r"method: expected one of 'svd', 'qr', 'normal', got 'lu'"):
        linalg.solve_least_squares(np.eye(2), [1.0, 1.0], method="lu")
    with pytest.raises(InputError, match="rcond"):
        linalg.solve_least_squares(np.eye(2), [1.0, 1.0], rcond=-1.0)
    with pytest.raises(InputError, match="method"):
        linalg.solve_homogeneous(np.eye(2), method="qr")
    with pytest.raises(InputError, match="all zeros"):
        linalg.solve_homogeneous(np.zeros((3, 3)))
    with pytest.raises(InputError, match="at least 2 columns"):
        linalg.solve_homogeneous(np.ones((3, 1)))
    with pytest.raises(InputError, match="A: expected a 2-D array"):
        linalg.null_space(np.ones((2, 2, 2)))


def test_inputs_are_not_modified():
    A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]])
    b = np.array([1.0, 2.0, 3.0])
    A0, b0 = A.copy(), b.copy()
    for method in ("svd", "qr", "normal"):
        linalg.solve_least_squares(A, b, method=method)
    linalg.solve_homogeneous(A)
    np.testing.assert_array_equal(A, A0)
    np.testing.assert_array_equal(b, b0)


def test_integer_input_is_promoted():
    r = linalg.solve_least_squares([[1, 0], [0, 2]], [1, 4])
    assert r.x.dtype == np.float64
    np.testing.assert_allclose(r.x, [1.0, 2.0])


def test_extreme_scales_give_answers_or_clear_errors():
    rng = np.random.default_rng(21)
    A = rng.normal(size=(8, 3))
    # Ax = 0 does not change when A is scaled: entries near 1e±300 give the same null vector
    ref = linalg.solve_homogeneous(A)
    for method in ("svd", "eig"):
        for k in (1e300, 1e-300):
            r = linalg.solve_homogeneous(A * k, method=method)
            np.testing.assert_allclose(r.x, ref.x, atol=1e-7)
            np.testing.assert_allclose(r.singular_values, ref.singular_values * k, rtol=1e-6)
            assert np.isfinite(r.residual)
    # subnormal entries: AᵀA underflows to zero, so the normal equations cannot be solved
    b = rng.normal(size=8)
    with pytest.raises(DegenerateError, match="normal equations .* singular in floating point"):
        linalg.solve_least_squares(A * 1e-320, b, method="normal")
    # a residual beyond float64 is reported, not returned as inf
    with pytest.raises(DegenerateError, match="residual b - Ax overflows"):
        linalg.solve_least_squares(A, b * 1e308)
