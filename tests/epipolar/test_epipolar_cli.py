"""`lacv two-view`, the epipolar-lines figure and the built-in two-view scene."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lacv.cli import main
from lacv.errors import InputError
from lacv.geometry.epipolar import sampson_distance
from lacv.imaging.draw_epipolar import draw_epipolar_lines
from lacv.imaging.io import read_image, write_image
from lacv.imaging.twoview_scene import twoview_points, twoview_scene


@pytest.fixture(scope="module")
def scene():
    return twoview_scene()


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_scene_ground_truth_is_exact(scene):
    assert len(scene.images) == 2 and scene.images[0].shape == (480, 640, 3)
    assert sampson_distance(scene.F, scene.x1, scene.x2).max() < 1e-9
    # the surface is not a plane: no homography maps the views onto each other
    from lacv.geometry.transforms import Homography

    H = Homography.from_points(scene.x1, scene.x2)
    assert H.residuals(scene.x1, scene.x2).max() > 2.0
    # the texture is there in both views (not black)
    assert scene.images[0].mean() > 40 and scene.images[1].mean() > 40


def test_points_scene_options():
    s = twoview_points(100, noise_px=0.0, outlier_ratio=0.2, rng=3)
    assert np.count_nonzero(~s.inliers) == 20
    assert sampson_distance(s.F, s.x1[s.inliers], s.x2[s.inliers]).max() < 1e-9
    assert sampson_distance(s.F, s.x1[~s.inliers], s.x2[~s.inliers]).max() > 1.0
    with pytest.raises(InputError, match="outlier_ratio"):
        twoview_points(10, outlier_ratio=1.0)
    with pytest.raises(InputError, match="n_points"):
        twoview_points(0)


def test_figure(scene):
    fig = draw_epipolar_lines(scene.images[0], scene.images[1], scene.F, scene.x1, scene.x2,
                              max_lines=10)
    assert fig.shape == (480, 1280, 3) and fig.dtype == np.uint8
    # lines change pixels relative to the plain images
    plain = np.concatenate(scene.images, axis=1)
    assert np.count_nonzero(np.any(fig != plain, axis=2)) > 5000
    with pytest.raises(InputError, match="inliers"):
        draw_epipolar_lines(scene.images[0], scene.images[1], scene.F, scene.x1, scene.x2,
                            inliers=np.ones(3, dtype=bool))


def test_cli_builtin_scene(capsys, tmp_path):
    lines = tmp_path / "lines.png"
    code, out, err = run(capsys, "two-view", "--lines", str(lines), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["n_inliers"] > 500
    truth = data["ground_truth"]
    assert truth["sym_epipolar_px_of_true_points"] < 0.2
    assert truth["rotation_error_deg"] < 0.2 and truth["translation_error_deg"] < 1.0
    assert data["n_triangulated"] > 500
    assert read_image(lines).shape == (480, 1280, 3)


def test_cli_images_and_camera(capsys, tmp_path, scene):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    write_image(a, scene.images[0])
    write_image(b, scene.images[1])
    K = tmp_path / "K.txt"
    np.savetxt(K, scene.K1)
    code, out, err = run(capsys, "two-view", str(a), str(b), "--K", str(K))
    assert code == 0, err
    assert "F (x2ᵀ F x1 = 0)" in out and "triangulated" in out
    cam = tmp_path / "camera.json"
    cam.write_text(json.dumps({"camera": {"fx": scene.K1[0, 0], "fy": scene.K1[1, 1],
                                          "cx": scene.K1[0, 2], "cy": scene.K1[1, 2]}}))
    code, out, err = run(capsys, "two-view", str(a), str(b), "--camera", str(cam), "--json")
    assert code == 0, err
    R = np.array(json.loads(out)["R"])
    chord = np.linalg.norm(R - scene.R)
    assert np.degrees(2 * np.arcsin(chord / (2 * np.sqrt(2)))) < 0.2


@pytest.mark.parametrize("args, message", [
    (["only-one.png"], "two images"),
    (["missing1.png", "missing2.png"], "missing1.png"),
    (["--K", "nope.txt"], "--K"),
    (["--threshold", "-1"], "--threshold"),
    (["--threshold", "1e300"], "--threshold: expected a threshold between"),  # was an OverflowError
])
def test_cli_bad_input_exits_2(capsys, tmp_path, args, message):
    code, _, err = run(capsys, "two-view", *args)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_cli_textureless_images(capsys, tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    write_image(a, np.full((100, 120), 128, np.uint8))
    write_image(b, np.full((100, 120), 128, np.uint8))
    code, _, err = run(capsys, "two-view", str(a), str(b))
    assert code == 2 and "at least 8" in err
