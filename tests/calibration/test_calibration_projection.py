"""P by the normalised DLT, and its RQ decomposition into K, R, t."""

from __future__ import annotations

import numpy as np
import pytest
from _calib_tol import EXACT_REL

from lacv.errors import DegenerateError, InputError
from lacv.geometry.calibration import decompose_projection_matrix, projection_matrix_dlt
from lacv.geometry.camera import rotation_from_rvec

K_TRUE = np.array([[700.0, 1.5, 310.0], [0.0, 690.0, 250.0], [0.0, 0.0, 1.0]])
R_TRUE = rotation_from_rvec([0.3, -0.2, 0.5])
T_TRUE = np.array([0.1, -0.3, 4.0])
P_TRUE = K_TRUE @ np.column_stack([R_TRUE, T_TRUE])


def project(P, X):
    xh = np.column_stack([X, np.ones(len(X))]) @ P.T
    return xh[:, :2] / xh[:, 2:]


def cloud(n=30, seed=0):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (n, 3))


def same_up_to_scale(A, B):
    a, b = A / np.linalg.norm(A), B / np.linalg.norm(B)
    return min(np.max(np.abs(a - b)), np.max(np.abs(a + b)))


@pytest.mark.parametrize("n", [6, 7, 30])
def test_dlt_round_trip_exact(n):
    X = cloud(n)
    P = projection_matrix_dlt(X, project(P_TRUE, X))
    assert same_up_to_scale(P, P_TRUE) < EXACT_REL
    assert np.isclose(np.linalg.norm(P), 1.0)
    assert np.all(np.column_stack([X, np.ones(n)]) @ P[2] > 0)  # points in front
    assert np.max(np.abs(project(P, X) - project(P_TRUE, X))) < 1e-7


def test_dlt_with_noise_is_close():
    X = cloud(200, seed=1)
    x = project(P_TRUE, X) + np.random.default_rng(2).normal(0, 0.5, (200, 2))
    K, R, t = decompose_projection_matrix(projection_matrix_dlt(X, x))
    assert np.allclose(K, K_TRUE, rtol=0.02, atol=2.0)
    assert np.degrees(np.linalg.norm(R - R_TRUE)) < 0.5


def test_decomposition_properties_and_round_trip():
    for scale in (3.7, -0.02):
        K, R, t = decompose_projection_matrix(scale * P_TRUE)
        assert np.allclose(np.tril(K, -1), 0) and np.all(np.diag(K) > 0) and K[2, 2] == 1.0
        assert np.allclose(R @ R.T, np.eye(3), atol=1e-12)
        assert np.isclose(np.linalg.det(R), 1.0)
        assert np.allclose(K, K_TRUE, rtol=1e-12) and np.allclose(R, R_TRUE, atol=1e-12)
        assert np.allclose(t, T_TRUE, atol=1e-12)
        assert same_up_to_scale(K @ np.column_stack([R, t]), P_TRUE) < 1e-12
    # P near 1e200: det(M) overflowed (a RuntimeWarning); the factors do not depend on the scale
    K, R, t = decompose_projection_matrix(1e200 * P_TRUE)
    assert np.allclose(K, K_TRUE, rtol=1e-12) and np.allclose(t, T_TRUE, atol=1e-12)
    with pytest.raises(InputError, match="P: all zeros"):
        decompose_projection_matrix(np.zeros((3, 4)))


def test_decomposition_of_a_dlt_estimate():
    X = cloud(20, seed=3)
    K, R, t = decompose_projection_matrix(projection_matrix_dlt(X, project(P_TRUE, X)))
    assert np.allclose(K, K_TRUE, rtol=1e-6) and np.allclose(t, T_TRUE, atol=1e-6)


def test_coplanar_points_are_degenerate():
    X = cloud(20)
    X[:, 2] = 0.3 * X[:, 0] - 0.1 * X[:, 1] + 2.0
    with pytest.raises(DegenerateError, match="coplanar"):
        projection_matrix_dlt(X, project(P_TRUE, X))


def test_bad_input():
    X = cloud(10)
    x = project(P_TRUE, X)
    with pytest.raises(InputError, match="at least 6"):
        projection_matrix_dlt(X[:5], x[:5])
    with pytest.raises(InputError, match="same number"):
        projection_matrix_dlt(X, x[:8])
    with pytest.raises(InputError, match=r"points3d"):
        projection_matrix_dlt(X[:, :2], x)
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(InputError, match="points2d"):
        projection_matrix_dlt(X, bad)
    with pytest.raises(InputError, match="P"):
        decompose_projection_matrix(np.eye(3))
    with pytest.raises(DegenerateError, match="singular"):
        decompose_projection_matrix(np.column_stack([np.ones((3, 3)), [1.0, 2.0, 3.0]]))
