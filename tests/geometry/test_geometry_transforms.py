"""Transforms: exact recovery, round trips, composition, OpenCV agreement, degeneracy, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from _geom_tol import EXACT_PX, EXACT_REL, OPENCV_REL

from lacv.errors import DegenerateError, InputError
from lacv.geometry import (
    Affine,
    Euclidean,
    Homography,
    Similarity,
    Translation,
    from_homogeneous,
    normalize_points,
    to_homogeneous,
    transform_class,
)

FAMILIES = [Translation, Euclidean, Similarity, Affine, Homography]


def random_transform(cls, rng):
    if cls is Translation:
        return Translation(rng.uniform(-50, 50, 2))
    if cls is Euclidean:
        return Euclidean(rng.uniform(-np.pi, np.pi), rng.uniform(-50, 50, 2))
    if cls is Similarity:
        return Similarity(rng.uniform(0.5, 2), rng.uniform(-np.pi, np.pi), rng.uniform(-50, 50, 2))
    if cls is Affine:
        L = np.eye(2) + rng.uniform(-0.3, 0.3, (2, 2))
        return Affine(np.hstack([L, rng.uniform(-50, 50, (2, 1))]))
    corners = np.array([[0, 0], [640, 0], [640, 480], [0, 480]], float)
    return Homography.from_points(corners, corners + rng.uniform(-80, 80, (4, 2)))


# --------------------------------------------------------------------------- homogeneous


def test_homogeneous_round_trip():
    pts = np.array([[1.0, 2.0], [-3.0, 4.5]])
    h = to_homogeneous(pts)
    assert h.shape == (2, 3) and np.all(h[:, 2] == 1)
    np.testing.assert_array_equal(from_homogeneous(h * 2.0), pts)


def test_points_at_infinity_are_reported_not_hidden():
    h = np.array([[1.0, 2.0, 0.0], [2.0, 2.0, 2.0]])
    with pytest.raises(DegenerateError, match="row 0"):
        from_homogeneous(h)
    pts, inf = from_homogeneous(h, return_mask=True)
    assert inf.tolist() == [True, False]
    assert np.all(np.isinf(pts[0])) and pts[1].tolist() == [1.0, 1.0]
    # a w so small that u / w overflows returned inf unmarked, with a RuntimeWarning
    h = np.array([[1e300, 2.0, 1e-300], [2.0, 2.0, 2.0]])
    with pytest.raises(DegenerateError, match=r"at infinity \(w == 0 or \|u / w\| beyond"):
        from_homogeneous(h)
    pts, inf = from_homogeneous(h, return_mask=True)
    assert inf.tolist() == [True, False] and np.all(np.isinf(pts[0]))


def test_normalize_points_hartley():
    rng = np.random.default_rng(0)
    pts = rng.uniform(0, 640, (30, 2))
    n, T = normalize_points(pts)
    np.testing.assert_allclose(n.mean(axis=0), 0.0, atol=1e-12)
    assert np.mean(np.linalg.norm(n, axis=1)) == pytest.approx(np.sqrt(2))
    np.testing.assert_allclose(from_homogeneous(to_homogeneous(pts) @ T.T), n, atol=1e-12)
    with pytest.raises(DegenerateError, match="coincide"):
        normalize_points(np.ones((5, 2)))


# --------------------------------------------------------------------------- estimation


@pytest.mark.parametrize("cls", FAMILIES)
@pytest.mark.parametrize("n", ["min", 40])
def test_exact_recovery_noise_free(cls, n):
    rng = np.random.default_rng(hash(cls.kind) % 2**32)
    for _ in range(5):
        T = random_transform(cls, rng)
        count = cls.min_samples if n == "min" else n
        src = rng.uniform(0, 640, (max(count, 2 if cls is not Translation else 1), 2))
        est = cls.from_points(src, T(src))
        assert type(est) is cls
        np.testing.assert_allclose(est.matrix, T.matrix, rtol=EXACT_REL,
                                   atol=EXACT_REL * np.abs(T.matrix).max())
        assert np.max(est.residuals(src, T(src))) < EXACT_PX


@pytest.mark.parametrize("cls", FAMILIES)
def test_weights_select_points(cls):
    rng = np.random.default_rng(5)
    T = random_transform(cls, rng)
    src = rng.uniform(0, 640, (30, 2))
    dst = T(src)
    dst[:10] += rng.uniform(30, 60, (10, 2))  # corrupted rows get zero weight
    w = np.r_[np.zeros(10), np.ones(20)]
    est = cls.from_points(src, dst, weights=w)
    assert np.max(est.residuals(src[10:], dst[10:])) < 1e-7
    assert np.max(cls.from_points(src, dst).residuals(src[10:], dst[10:])) > 1.0
    # only the ratios of the weights matter: subnormal ones gave NaN (RuntimeWarnings)
    for k in (1e-320, 1e300):
        np.testing.assert_allclose(cls.from_points(src, dst, weights=w * k).matrix, est.matrix,
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls", FAMILIES)
def test_round_trip_inverse_and_composition(cls):
    rng = np.random.default_rng(7)
    A, B = random_transform(cls, rng), random_transform(cls, rng)
    pts = rng.uniform(0, 640, (20, 2))
    np.testing.assert_allclose(A.inverse(A(pts)), pts, atol=1e-9)
    assert type(A.inverse) is cls
    np.testing.assert_allclose((A @ B)(pts), A(B(pts)), atol=1e-8)
    assert type(A @ B) is cls
    np.testing.assert_array_equal(np.asarray(A), A.matrix)


def test_composition_takes_the_more_general_family():
    rng = np.random.default_rng(1)
    kinds = [random_transform(c, rng) for c in FAMILIES]
    for i, a in enumerate(kinds):
        for j, b in enumerate(kinds):
            assert type(a @ b) is FAMILIES[max(i, j)]


def test_immutable_and_metadata():
    T = Similarity(2.0, 0.5, (1.0, 2.0))
    with pytest.raises(AttributeError):
        T.foo = 1
    with pytest.raises(ValueError):
        T.matrix[0, 0] = 3.0
    assert (T.scale, T.angle) == pytest.approx((2.0, 0.5))
    np.testing.assert_allclose(Similarity.from_params(T.params).matrix, T.matrix)
    assert [c.dof for c in FAMILIES] == [2, 3, 4, 6, 8]
    assert [c.min_samples for c in FAMILIES] == [1, 2, 2, 3, 4]
    assert [c.preserves for c in FAMILIES] == ["orientation", "lengths", "angles", "parallelism",
                                               "straight lines"]
    assert transform_class("affine") is Affine
    with pytest.raises(InputError, match="kind"):
        transform_class("projective-ish")


def test_single_point_keeps_shape_and_homography_params():
    H = random_transform(Homography, np.random.default_rng(3))
    assert H([1.0, 2.0]).shape == (2,)
    np.testing.assert_allclose(Homography.from_params(H.params).matrix, H.matrix)
    assert H.matrix[2, 2] == 1.0


def test_homography_sending_point_to_infinity():
    H = Homography([[1.0, 0, 0], [0, 1.0, 0], [1.0, 0, 1.0]])  # w = x + 1
    with pytest.raises(DegenerateError, match="infinity"):
        H([[-1.0, 0.0]])
    r = H.residuals([[-1.0, 0.0], [1.0, 1.0]], [[0.0, 0.0], [0.5, 0.5]])
    assert np.isinf(r[0]) and r[1] == pytest.approx(0.0)


def test_from_matrix_checks_the_family():
    with pytest.raises(InputError, match="rotation"):
        Euclidean.from_matrix([[2.0, 0, 0], [0, 2.0, 0], [0, 0, 1]])
    with pytest.raises(InputError, match="s·R"):
        Similarity.from_matrix([[2.0, 0.1, 0], [0, 2.0, 0], [0, 0, 1]])
    with pytest.raises(InputError, match="last row"):
        Affine.from_matrix([[1.0, 0, 0], [0, 1.0, 0], [0.1, 0, 1]])
    with pytest.raises(InputError, match="singular"):
        Homography([[1.0, 2, 3], [2.0, 4, 6], [0, 0, 1]])
    with pytest.raises(InputError, match="identity"):
        Translation.from_matrix(np.diag([2.0, 1.0, 1.0]))
    assert Euclidean.from_matrix(Euclidean(0.3).matrix) == Euclidean(0.3)


def test_matrices_with_huge_entries_are_checked_without_overflow():
    # entries near 1e200: the determinant / norm overflowed (OverflowError for Affine, a
    # misleading 'singular (σ₃/σ₁ = nan)' for Homography, RuntimeWarnings for both)
    H = np.array([[1.0, 0.1, 3.0], [0.2, 1.1, 4.0], [1e-3, 2e-3, 1.0]])
    np.testing.assert_allclose(Homography(H * 1e200).matrix, Homography(H).matrix, rtol=1e-15)
    A = Affine.from_params(np.array([1.0, 0.1, 3.0, 0.2, 1.1, 4.0]) * 1e200)
    assert A.matrix[0, 0] == 1e200 and A.matrix[2].tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(InputError, match="singular linear part"):
        Affine.from_params(np.array([1.0, 2.0, 3.0, 2.0, 4.0, 4.0]) * 1e200)
    # such a map's transfer errors overflowed when squared, its square overflowed when composed
    pts = np.array([[1.0, 2.0], [3.0, 4.0]])
    e = A(pts) - pts
    np.testing.assert_allclose(A.residuals(pts, pts), np.hypot(e[:, 0], e[:, 1]), rtol=1e-15)
    with pytest.raises(InputError, match="self @ other: the product of the two matrices overflows"):
        A @ A  # noqa: B018


def test_ragged_points_raise_input_error():
    with pytest.raises(InputError, match="points: expected a rectangular array"):
        Affine()([[1.0, 2.0], [3.0]])  # np.ndim raised a raw ValueError first


# --------------------------------------------------------------------------- OpenCV


def _f32(a):
    return np.asarray(a, np.float32).astype(np.float64)


def test_homography_matches_opencv_method0():
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(11)
    for n in (4, 8, 100):
        H = random_transform(Homography, rng)
        src = _f32(rng.uniform(0, 640, (n, 2)))
        dst = _f32(H(src))
        Hc, _ = cv2.findHomography(src, dst, 0)
        ours = Homography.from_points(src, dst).matrix
        assert np.linalg.norm(ours - Hc) / np.linalg.norm(Hc) < OPENCV_REL


def test_affine_matches_opencv_least_squares():
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(12)
    A = random_transform(Affine, rng)
    src = _f32(rng.uniform(0, 640, (50, 2)))
    dst = _f32(A(src))
    Ac, _ = cv2.estimateAffine2D(src, dst, method=cv2.LMEDS)
    ours = Affine.from_points(src, dst).matrix[:2]
    assert np.linalg.norm(ours - Ac) / np.linalg.norm(Ac) < OPENCV_REL


# --------------------------------------------------------------------------- degeneracy


def test_collinear_points_are_degenerate_for_affine_and_homography():
    t = np.linspace(0, 100, 10)
    line = np.c_[t, 0.5 * t + 3]
    other = np.random.default_rng(0).uniform(0, 100, (10, 2))
    for cls in (Affine, Homography):
        with pytest.raises(DegenerateError, match="line|collinear"):
            cls.from_points(line, other)
    with pytest.raises(DegenerateError, match="line|collinear"):
        Homography.from_points(other, line)
    # a Euclidean or similarity map is determined by collinear points
    S = Similarity(1.5, 0.2, (3, 4))
    np.testing.assert_allclose(Similarity.from_points(line, S(line)).matrix, S.matrix, atol=1e-10)


def test_three_of_four_collinear_is_degenerate():
    src = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [0.0, 3.0]])
    dst = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    with pytest.raises(DegenerateError):
        Homography.from_points(src, dst)
    # five points, four on one line, consistent with a true H: 5 + 2 = 7 constraints < 8,
    # so the DLT null space is 2-D
    src5 = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [0.0, 3.0]])
    H = random_transform(Homography, np.random.default_rng(2))
    with pytest.raises(DegenerateError, match="null space"):
        Homography.from_points(src5, H(src5))
    # the same points but one more off the line: unique again
    src6 = np.r_[src5, [[3.0, 0.5]]]
    np.testing.assert_allclose(Homography.from_points(src6, H(src6)).matrix, H.matrix,
                               rtol=1e-8, atol=1e-8)


def test_coincident_points_are_degenerate():
    same = np.ones((5, 2))
    other = np.random.default_rng(0).uniform(0, 100, (5, 2))
    for cls in (Euclidean, Similarity, Affine, Homography):
        with pytest.raises(DegenerateError, match="coincide"):
            cls.from_points(same, other)
    with pytest.raises(DegenerateError, match="coincide|rotation"):
        Euclidean.from_points(other, same)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("cls", FAMILIES)
def test_bad_input_raises_input_error(cls):
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 10, (6, 2))
    with pytest.raises(InputError, match="at least"):
        cls.from_points(src[: cls.min_samples - 1] if cls.min_samples > 1 else src[:0],
                        src[: max(cls.min_samples - 1, 0)])
    bad = src.copy()
    bad[2, 1] = np.nan
    with pytest.raises(InputError, match="NaN"):
        cls.from_points(bad, src)
    with pytest.raises(InputError, match="same number"):
        cls.from_points(src, src[:5])
    with pytest.raises(InputError, match=r"\(N, 2\)"):
        cls.from_points(np.ones((6, 3)), src)
    with pytest.raises(InputError, match="weights"):
        cls.from_points(src, src, weights=-np.ones(6))


def test_blockwise_dlt_normal_matrix_equals_the_explicit_design():
    from lacv.geometry.transforms import _dlt_design, dlt_normalized

    rng = np.random.default_rng(8)
    src = rng.uniform(0, 640, (50, 2))
    dst = random_transform(Homography, rng)(src) + rng.normal(0, 1.0, (50, 2))
    sn, _ = normalize_points(src)
    dn, _ = normalize_points(dst)
    w = rng.uniform(0.5, 2.0, 50)
    A = _dlt_design(sn, dn)
    assert A.shape == (100, 9)
    _, V = np.linalg.eigh((A * np.repeat(w, 2)[:, None]).T @ A)
    h = dlt_normalized(sn, dn, w).ravel()
    assert min(np.abs(h - V[:, 0]).max(), np.abs(h + V[:, 0]).max()) < 1e-12
    # negative check: other weights give another vector
    h_other = dlt_normalized(sn, dn, w[::-1]).ravel()
    assert min(np.abs(h_other - V[:, 0]).max(), np.abs(h_other + V[:, 0]).max()) > 1e-9
