"""SO(3) kernels: exp/log round trips (near 0 and π), Jacobians, scipy's Rotation as the oracle."""

from __future__ import annotations

import numpy as np
import pytest
from _geom_tol import JAC_RTOL
from scipy.spatial.transform import Rotation

from lacv.calculus import check_jacobian
from lacv.errors import InputError
from lacv.geometry.rotations import (
    SO3_GENERATORS,
    exp_so3,
    exp_so3_derivatives,
    left_jacobian,
    log_so3,
    nearest_rotation,
    right_jacobian,
    skew,
)

#: rounding-level agreement of the matrices (and of rotation vectors away from π)
ROUND = 1e-14

AXIS = np.array([1.0, -2.0, 0.5]) / np.linalg.norm([1.0, -2.0, 0.5])
#: 0, inside every series branch, on both sides of every switch, and up to π
ANGLES = [0.0, 1e-12, 1e-9, 1e-8, 2e-8, 1e-6, 9e-5, 1.1e-4, 1e-3, 0.09, 0.11, 0.5, 2.0,
          2.6, np.pi - 1e-3, np.pi - 1e-6, np.pi - 1e-9, np.pi]


def _random_vectors(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    axes = rng.normal(size=(n, 3))
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    return axes * rng.uniform(0.0, np.pi, n)[:, None]


@pytest.mark.parametrize("angle", ANGLES)
def test_exp_matches_scipy_and_is_a_rotation(angle):
    w = AXIS * angle
    R = exp_so3(w)
    assert np.max(np.abs(R - Rotation.from_rotvec(w).as_matrix())) < ROUND
    assert np.max(np.abs(R @ R.T - np.eye(3))) < ROUND
    assert abs(np.linalg.det(R) - 1.0) < ROUND


@pytest.mark.parametrize("angle", ANGLES)
def test_log_inverts_exp_near_zero_and_pi(angle):
    w = AXIS * angle
    back = log_so3(exp_so3(w))
    # the axis near π is read from the symmetric part: 1e-8 relative there, rounding elsewhere
    tol = 1e-7 if angle > np.pi - 1e-5 else 1e-13 * max(angle, 1e-300) + 1e-300
    if angle < np.pi - 1e-9:
        assert np.max(np.abs(back - w)) <= tol
    else:  # at π itself ±axis is the same rotation
        assert min(np.max(np.abs(back - w)), np.max(np.abs(back + w))) <= tol
    assert np.max(np.abs(exp_so3(back) - exp_so3(w))) < 1e-12


def test_log_matches_scipy_on_random_rotations():
    w = _random_vectors(200)
    R = Rotation.from_rotvec(w).as_matrix()
    assert np.max(np.abs(log_so3(R) - Rotation.from_matrix(R).as_rotvec())) < 1e-12
    assert np.max(np.abs(log_so3(R) - w)) < 1e-12


def test_stacks_equal_one_at_a_time():
    """The scalar fast path and the batched path are the same formulas."""
    w = np.concatenate([_random_vectors(40), AXIS * np.array(ANGLES)[:, None]])
    R = exp_so3(w.reshape(2, -1, 3))
    assert R.shape == (2, len(w) // 2, 3, 3)
    R = R.reshape(-1, 3, 3)
    one = np.array([exp_so3(v) for v in w])
    assert np.max(np.abs(R - one)) < 1e-15
    assert np.max(np.abs(log_so3(R) - np.array([log_so3(m) for m in R]))) < 1e-15
    J = left_jacobian(w)
    assert np.max(np.abs(J - np.array([left_jacobian(v) for v in w]))) < 1e-15
    Rb, dRb = exp_so3_derivatives(w)
    for k, v in enumerate(w):
        Rs, dRs = exp_so3_derivatives(v)
        assert np.max(np.abs(Rb[k] - Rs)) < 1e-15 and np.max(np.abs(dRb[k] - dRs)) < 1e-15


def test_skew_is_the_cross_product():
    rng = np.random.default_rng(1)
    v, u = rng.normal(size=(2, 5, 3))
    assert np.allclose(np.einsum("nij,nj->ni", skew(v), u), np.cross(v, u), rtol=0, atol=1e-14)
    assert np.array_equal(skew([1.0, 2.0, 3.0]), [[0, -3, 2], [3, 0, -1], [-2, 1, 0]])
    assert np.array_equal(SO3_GENERATORS, skew(np.eye(3)))
    with pytest.raises(ValueError):
        SO3_GENERATORS[0, 0, 0] = 1.0


@pytest.mark.parametrize("angle", [0.0, 1e-7, 0.05, 0.7, 2.5, np.pi - 1e-4])
def test_derivatives_of_exp_match_central_differences(angle):
    w = AXIS * angle + (0.0 if angle == 0.0 else 1e-3 * angle * np.array([0.3, 0.2, -0.1]))

    def jac(x):
        return exp_so3_derivatives(x)[1].reshape(3, 9).T

    assert check_jacobian(lambda x: exp_so3(x).ravel(), jac, w) < JAC_RTOL
    R, dR = exp_so3_derivatives(w)
    Jr = right_jacobian(w)
    # the two forms of ∂R/∂w_k agree: [J_l e_k]ₓ R = R [J_r e_k]ₓ
    assert np.max(np.abs(dR - R @ skew(Jr.T))) < 1e-14


def test_derivative_checker_catches_the_wrong_side():
    """Negative: ``R [J_l e_k]ₓ`` (the Jacobian on the wrong side) fails the same check."""
    w = np.array([0.4, -0.7, 0.2])

    def wrong(x):
        return (exp_so3(x) @ skew(left_jacobian(x).T)).reshape(3, 9).T

    assert check_jacobian(lambda x: exp_so3(x).ravel(), wrong, w) > 0.05


@pytest.mark.parametrize("angle", [0.0, 1e-9, 0.05, 0.11, 1.3, 3.0])
def test_left_and_right_jacobians_are_the_group_derivatives(angle):
    w = AXIS * angle

    def right(d):  # log(exp(w)ᵀ exp(w + δ)) ≈ J_r δ
        return log_so3(exp_so3(w).T @ exp_so3(w + d))

    def left(d):  # log(exp(w + δ) exp(w)ᵀ) ≈ J_l δ
        return log_so3(exp_so3(w + d) @ exp_so3(w).T)

    assert check_jacobian(right, lambda d: right_jacobian(w), np.zeros(3)) < JAC_RTOL
    assert check_jacobian(left, lambda d: left_jacobian(w), np.zeros(3)) < JAC_RTOL
    assert np.max(np.abs(right_jacobian(w) - left_jacobian(w).T)) < 1e-15


def test_jacobian_checker_catches_the_swapped_jacobian():
    """Negative: J_l offered as the right Jacobian (or the identity) is caught."""
    w = AXIS * 1.3

    def right(d):
        return log_so3(exp_so3(w).T @ exp_so3(w + d))

    assert check_jacobian(right, lambda d: left_jacobian(w), np.zeros(3)) > 0.05
    assert check_jacobian(right, lambda d: np.eye(3), np.zeros(3)) > 0.05


def test_nearest_rotation():
    rng = np.random.default_rng(2)
    R = Rotation.from_rotvec(_random_vectors(20)).as_matrix()
    noisy = R + 1e-3 * rng.normal(size=R.shape)
    P = nearest_rotation(noisy)
    assert np.max(np.abs(P @ np.swapaxes(P, 1, 2) - np.eye(3))) < 1e-14
    assert np.allclose(np.linalg.det(P), 1.0, rtol=0, atol=1e-14)
    assert np.max(np.abs(P - R)) < 5e-3
    # the Frobenius-nearest among rotations: no nearby rotation is closer to M
    for k in range(3):
        for d in np.eye(3) * 1e-4:
            for sgn in (1.0, -1.0):
                Q = exp_so3(sgn * d) @ P[k]
                assert np.linalg.norm(Q - noisy[k]) >= np.linalg.norm(P[k] - noisy[k])
    # a reflection goes to a rotation, not to itself
    F = nearest_rotation(np.diag([1.0, 1.0, -1.0]))
    assert np.isclose(np.linalg.det(F), 1.0) and np.allclose(F @ F.T, np.eye(3))
    assert np.array_equal(nearest_rotation(np.eye(3)), np.eye(3))


def test_bad_input_names_the_argument():
    with pytest.raises(InputError, match="w: expected shape"):
        exp_so3([1.0, 2.0])
    with pytest.raises(InputError, match="v: expected shape"):
        skew(np.zeros((3, 4)))
    with pytest.raises(InputError, match="w"):
        exp_so3([np.nan, 0.0, 0.0])
    with pytest.raises(InputError, match="R: expected shape"):
        log_so3(np.eye(4))
    with pytest.raises(InputError, match="rotation"):
        log_so3(np.diag([1.0, 1.0, -1.0]))
    with pytest.raises(InputError, match="rotation"):
        log_so3(np.eye(3) * 1.01)
    with pytest.raises(InputError, match="rotation"):
        log_so3(np.eye(3) * 1e200)  # R Rᵀ overflowed with RuntimeWarnings
    with pytest.raises(InputError, match="M: expected"):
        nearest_rotation(np.ones(3))
    with pytest.raises(InputError, match="w: a rotation angle of about 1e\\+200 rad"):
        exp_so3([0.0, 0.0, 1e200])  # θ² overflowed: a math domain error
