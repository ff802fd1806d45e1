"""`lacv estimate` and the geometry demo step."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lacv.cli import main
from lacv.geometry import Affine
from lacv.geometry.synthetic import make_correspondences
from lacv_testing import shared_data


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_builtin_example_prints_matrix_inliers_and_truth(capsys):
    code, out, err = run(capsys, "estimate")
    assert code == 0, err
    assert "matrix =" in out and "inliers:" in out and "RMS" in out
    assert "ground truth: mean corner error" in out


def test_csv_affine_json(capsys, tmp_path):
    scene = make_correspondences("affine", 200, 0.3, rng=1)
    path = tmp_path / "m.csv"
    np.savetxt(path, np.c_[scene.src, scene.dst], delimiter=",", header="x1,y1,x2,y2")
    code, out, err = run(capsys, "estimate", str(path), "--model", "affine", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["model"] == "affine" and data["n_points"] == 200
    assert scene.corner_error(Affine(np.array(data["matrix"]))) < 1.0
    assert data["n_inliers"] >= 135


def test_csv_with_a_score_column_ranks_the_samples(capsys, tmp_path):
    scene = make_correspondences("homography", 500, 0.8, rng=4)
    scores = np.where(scene.is_inlier, 1.0, 0.0) + np.random.default_rng(0).normal(0, 1, 500)
    path = tmp_path / "m.csv"
    np.savetxt(path, np.c_[scene.src, scene.dst, scores], delimiter=",",
               header="x1,y1,x2,y2,score")
    code, out, err = run(capsys, "estimate", str(path), "--json")
    assert code == 0, err
    ranked = json.loads(out)
    assert ranked["sampling"] == "PROSAC" and ranked["input"]["format"] == "x1,y1,x2,y2,score"
    code, out, _ = run(capsys, "estimate", str(path))
    assert code == 0 and "samples ranked by score (PROSAC)" in out
    np.savetxt(path, np.c_[scene.src, scene.dst], delimiter=",")
    code, out, _ = run(capsys, "estimate", str(path), "--json")
    uniform = json.loads(out)
    assert uniform["sampling"] == "uniform"
    assert 5 * ranked["n_trials"] <= uniform["n_trials"]
    assert abs(ranked["n_inliers"] - uniform["n_inliers"]) <= 2


def test_no_robust_uses_all_points(capsys, tmp_path):
    scene = make_correspondences("similarity", 50, 0.0, rng=2)
    path = tmp_path / "m.csv"
    np.savetxt(path, np.c_[scene.src, scene.dst], delimiter=",")
    code, out, _ = run(capsys, "estimate", str(path), "--model", "similarity", "--no-robust")
    assert code == 0 and "least squares, all points" in out and "model: Similarity(" in out


@pytest.mark.data
def test_shared_data_format_reports_validation(capsys):
    path = shared_data("homography", "graf_pts.txt")
    code, out, err = run(capsys, "estimate", str(path), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["validation"]["n_points"] == 8 and data["validation"]["mean_error_px"] < 2.0


@pytest.mark.parametrize("content, message", [
    ("1,2,3\n4,5,6\n", "expected 4 columns"),
    ("1,2,3,x\n", "not a number"),
    ("1 2 1 3 4 1 7\n", "label column"),
    ("", "no numbers"),
])
def test_bad_files_exit_2_with_one_line(capsys, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    code, out, err = run(capsys, "estimate", str(path))
    assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err


def test_missing_file_and_too_few_points(capsys, tmp_path):
    code, _, err = run(capsys, "estimate", str(tmp_path / "none.csv"))
    assert code == 2 and "no such file" in err
    path = tmp_path / "three.csv"
    np.savetxt(path, np.arange(12.0).reshape(3, 4), delimiter=",")
    code, _, err = run(capsys, "estimate", str(path))
    assert code == 2 and "at least 4" in err


@pytest.mark.parametrize("threshold", ["1e200", "1e-300"])
def test_threshold_whose_square_leaves_float64_exits_2(capsys, tmp_path, threshold):
    # threshold² overflowed (OverflowError) or underflowed to 0 (ZeroDivisionError) in RANSAC
    code, _, err = run(capsys, "estimate", "--threshold", threshold)
    assert code == 2 and "threshold_px: expected a threshold between" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_demo_step(capsys, tmp_path):
    from lacv.cli._demo_geometry import run as demo_run
    from lacv.cli.demo import DemoContext

    ctx = DemoContext(out_dir=tmp_path, quick=True)
    demo_run(ctx)
    out = capsys.readouterr().out
    assert "ground truth" in out and "corner error" in ctx.summary[-1]
