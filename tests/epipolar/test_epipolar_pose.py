"""Essential matrix, decomposition, cheirality, triangulation, reprojection error."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from _epi_tol import EXACT_DEG, EXACT_PX, EXACT_REL

from lacv.errors import DegenerateError, InputError
from lacv.geometry.epipolar import (
    Essential,
    decompose_essential,
    essential_from_fundamental,
    essential_from_points,
    essential_from_pose,
    fundamental_from_essential,
    project_to_essential,
    projection_matrix,
    recover_pose,
    reprojection_error,
    triangulate_points,
)
from lacv.imaging.twoview_scene import twoview_points


def angle_deg(Ra, Rb):
    # from the chord ‖Ra − Rb‖_F = 2√2 sin(θ/2): accurate for tiny angles, unlike arccos
    chord = np.linalg.norm(Ra - Rb)
    return float(np.degrees(2 * np.arcsin(min(chord / (2 * np.sqrt(2)), 1.0))))


def same_up_to_sign(A, B):
    A = A / np.linalg.norm(A)
    B = B / np.linalg.norm(B)
    return min(np.abs(A - B).max(), np.abs(A + B).max())


@pytest.mark.parametrize("seed", range(4))
def test_essential_from_points_noise_free(seed):
    s = twoview_points(40, noise_px=0.0, rng=seed)
    E = essential_from_points(s.x1, s.x2, s.K1, s.K2)
    sv = np.linalg.svd(E, compute_uv=False)
    np.testing.assert_allclose(sv, [1 / np.sqrt(2), 1 / np.sqrt(2), 0], atol=1e-12)
    assert same_up_to_sign(E, s.E) < EXACT_REL


def test_essential_fundamental_round_trip():
    s = twoview_points(10, rng=1)
    E = essential_from_fundamental(s.F, s.K1, s.K2)
    assert same_up_to_sign(E, s.E) < 1e-12
    assert same_up_to_sign(fundamental_from_essential(E, s.K1, s.K2), s.F) < 1e-12
    # E = [t]ₓR directly
    assert same_up_to_sign(essential_from_pose(s.R, s.t), s.E) < 1e-12
    with pytest.raises(InputError, match="R: not a rotation matrix"):
        essential_from_pose(s.R * 1e200, s.t)  # RᵀR overflowed with RuntimeWarnings


def test_project_to_essential():
    M = np.random.default_rng(0).normal(size=(3, 3))
    E = project_to_essential(M)
    sv = np.linalg.svd(E, compute_uv=False)
    np.testing.assert_allclose(sv, [2 ** -0.5, 2 ** -0.5, 0], atol=1e-14)
    U, _, Vt = np.linalg.svd(M)
    np.testing.assert_allclose(E, U @ np.diag([1, 1, 0]) @ Vt / np.sqrt(2), atol=1e-14)


@pytest.mark.parametrize("seed", range(4))
def test_decompose_contains_the_true_pose_and_cheirality_picks_it(seed):
    s = twoview_points(50, noise_px=0.0, rng=seed)
    Rs, ts = decompose_essential(s.E)
    assert np.allclose([np.linalg.det(R) for R in Rs], 1.0)
    found = [angle_deg(R, s.R) < 1e-8 and np.allclose(t, s.t_unit, atol=1e-10)
             for R, t in zip(Rs, ts, strict=True)]
    assert sum(found) == 1
    pose = recover_pose(s.E, s.x1, s.x2, s.K1, s.K2)
    assert angle_deg(pose.R, s.R) < EXACT_DEG
    np.testing.assert_allclose(pose.t, s.t_unit, atol=1e-10)
    assert pose.n_in_front == 50 and pose.in_front.all()
    assert sorted(pose.candidate_counts)[-2] < 50  # the other candidates lose
    # the points are the scene up to the baseline's scale
    np.testing.assert_allclose(pose.points * np.linalg.norm(s.t), s.points3d, rtol=1e-8)


def test_recover_pose_matches_opencv():
    s = twoview_points(100, noise_px=0.3, rng=7)
    E = essential_from_points(s.x1, s.x2, s.K1, s.K2)
    mine = recover_pose(E, s.x1, s.x2, s.K1, s.K2)
    _, R, t, _ = cv2.recoverPose(E, s.x1, s.x2, s.K1)
    assert angle_deg(mine.R, R) < 1e-6
    np.testing.assert_allclose(mine.t, t.ravel(), atol=1e-6)


def test_recover_pose_with_mask_and_errors():
    s = twoview_points(30, noise_px=0.0, rng=2)
    mask = np.zeros(30, dtype=bool)
    mask[:10] = True
    pose = recover_pose(s.E, s.x1, s.x2, s.K1, s.K2, mask=mask)
    assert pose.candidate_counts.max() == 10
    with pytest.raises(InputError, match="mask"):
        recover_pose(s.E, s.x1, s.x2, s.K1, s.K2, mask=np.ones(3, dtype=bool))
    with pytest.raises(DegenerateError, match="rank"):
        decompose_essential(np.diag([1.0, 0.0, 0.0]))
    with pytest.raises(InputError, match="K1"):
        recover_pose(s.E, s.x1, s.x2, np.ones((3, 3)), s.K2)


def test_triangulation_exact_and_against_opencv():
    s = twoview_points(80, noise_px=0.0, rng=3)
    P1 = projection_matrix(s.K1, np.eye(3), np.zeros(3))
    P2 = projection_matrix(s.K2, s.R, s.t)
    X = triangulate_points(P1, P2, s.x1, s.x2)
    np.testing.assert_allclose(X, s.points3d, rtol=1e-10)
    assert reprojection_error(P1, X, s.x1).max() < EXACT_PX
    ref = cv2.triangulatePoints(P1, P2, s.x1.T, s.x2.T)
    np.testing.assert_allclose(X, (ref[:3] / ref[3]).T, rtol=1e-6)


def test_triangulation_refinement_lowers_reprojection_error():
    s = twoview_points(200, noise_px=1.0, rng=4)
    P1 = projection_matrix(s.K1, np.eye(3), np.zeros(3))
    P2 = projection_matrix(s.K2, s.R, s.t)
    lin = triangulate_points(P1, P2, s.x1, s.x2)
    ref = triangulate_points(P1, P2, s.x1, s.x2, refine=True)

    def cost(X):
        return reprojection_error(P1, X, s.x1) ** 2 + reprojection_error(P2, X, s.x2) ** 2

    assert np.all(cost(ref) <= cost(lin) + 1e-12)
    assert cost(ref).sum() < 0.999 * cost(lin).sum()
    # a point's optimal reprojection error has vanishing gradient: compare with a nudge
    nudged = ref + 1e-4
    assert cost(nudged).sum() > cost(ref).sum()


def test_triangulation_at_infinity_and_bad_cameras():
    P = np.c_[np.eye(3), np.zeros(3)]
    Q = np.c_[np.eye(3), [-1.0, 0.0, 0.0]]
    with pytest.raises(DegenerateError, match="infinity"):
        triangulate_points(P, Q, [[0.1, 0.2]], [[0.1, 0.2]])
    with pytest.raises(DegenerateError, match="coincide"):
        triangulate_points(P, P, [[0.1, 0.2]], [[0.1, 0.2]])
    with pytest.raises(InputError, match="P2"):
        triangulate_points(P, np.eye(3), [[0.1, 0.2]], [[0.1, 0.2]])
    with pytest.raises(InputError, match="X"):
        reprojection_error(P, [[1.0, 2.0]], [[0.0, 0.0]])


def test_reprojection_error_on_principal_plane_is_inf():
    P = np.c_[np.eye(3), np.zeros(3)]
    e = reprojection_error(P, [[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]], [[0.0, 0.0], [0.0, 0.0]])
    assert np.isinf(e[0]) and e[1] == 0.0


def test_essential_value_rejects_non_essential():
    with pytest.raises(InputError, match="s, s, 0"):
        Essential(np.diag([1.0, 0.5, 0.0]))
    E = Essential.from_pose(np.eye(3), [0.0, 1.0, 0.0])
    assert np.allclose(np.linalg.svd(E.matrix, compute_uv=False), [2 ** -0.5, 2 ** -0.5, 0])
