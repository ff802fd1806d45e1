"""`lacv calibrate` and the calibration demo step."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from _calib_data import calib_data

from lacv.cli import main
from lacv.geometry.camera import Camera


def run(capsys, *args):
    code = main(["calibrate", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_builtin_sequence_json(capsys):
    code, out, err = run(capsys, "--views", 6, "--json")
    assert code == 0, err
    data = json.loads(out)
    cam, truth = Camera.from_dict(data["camera"]), Camera.from_dict(data["truth"])
    assert abs(cam.fx / truth.fx - 1) < 0.01 and abs(cam.k1 - truth.k1) < 0.03
    assert len(data["view_rms_px"]) == 6 and data["not_found"] == []


def test_builtin_sequence_text_with_preview(capsys, tmp_path):
    preview = tmp_path / "undistorted.png"
    code, out, err = run(capsys, "--views", 5, "--preview", preview, "--fix-k3")
    assert code == 0, err
    assert "truth" in out and "RMS reprojection error" in out and "k3" in out
    assert "(fixed)" in out
    assert cv2.imread(str(preview), cv2.IMREAD_UNCHANGED).shape == (480, 640)


@pytest.fixture
def shots(tmp_path):
    folder = calib_data()
    paths = [folder / f"left0{k}.jpg" for k in range(1, 6)]
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((512, 640), 128, np.uint8))
    return paths, blank


def test_real_images_outputs(capsys, tmp_path, shots):
    paths, blank = shots
    out_json, out_yml = tmp_path / "camera.json", tmp_path / "camera.yml"
    preview = tmp_path / "preview.png"
    code, out, err = run(capsys, *paths, blank, "--square", 1, "-o", out_json,
                         "--undistort", paths[0], "--preview", preview)
    assert code == 0, err
    assert "Board not found in 1 image(s)" in out and "blank.png" in out
    assert "left01.jpg" in out and "Camera written" in out
    data = json.loads(out_json.read_text())
    assert Camera.from_dict(data["camera"]).image_size == (640, 512)
    assert cv2.imread(str(preview), cv2.IMREAD_UNCHANGED).shape[:2] == (512, 640)
    code, out, err = run(capsys, *paths, "--square", 1, "-o", out_yml, "--zero-tangent")
    assert code == 0, err
    cam = Camera.from_opencv_yaml(out_yml)
    assert cam.p1 == 0.0 and cam.p2 == 0.0 and 450 < cam.fx < 600


def test_errors(capsys, tmp_path, shots):
    paths, blank = shots
    code, _, err = run(capsys, paths[0], paths[1], blank)
    assert code == 2 and "found in 2 of 3 images" in err and "blank.png" in err
    code, _, err = run(capsys, "--undistort", paths[0])
    assert code == 2 and "--preview" in err
    code, _, err = run(capsys, "--board", "nine")
    assert code == 2 and "--board" in err
    code, _, err = run(capsys, "--board", "100000x100000", paths[0])  # was a 149 GiB MemoryError
    assert code == 2 and "--board: 100000×100000 = 10000000000 inner corners" in err
    code, _, err = run(capsys, *paths, "-o", paths[0])
    assert code == 2 and "refusing to overwrite" in err
    code, _, err = run(capsys, tmp_path / "missing.png")
    assert code == 2 and "no such file" in err
    code, _, err = run(capsys, "--square", 0)
    assert code == 2 and "--square" in err


def test_demo_step(tmp_path, capsys):
    from lacv.cli._demo_calibration import run as demo_run
    from lacv.cli.demo import DemoContext

    ctx = DemoContext(out_dir=Path(tmp_path), quick=True)
    demo_run(ctx)
    out = capsys.readouterr().out
    assert "Levenberg–Marquardt" in out and "RMS reprojection error" in out
    assert (tmp_path / "calibration-undistorted.png").exists()
    assert Camera.from_opencv_yaml(tmp_path / "calibration-camera.yml").image_size == (640, 480)
    assert any("fx" in line for line in ctx.summary)
