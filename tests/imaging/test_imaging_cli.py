"""``lacv stitch``: the built-in scene, files, and every way of failing cleanly."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from lacv.cli import main
from lacv.imaging.io import read_image, write_image


@pytest.fixture
def view_files(tmp_path, pano4):
    paths = []
    for k in range(3):
        paths.append(str(write_image(tmp_path / f"view{k}.png", pano4.images[k])))
    return paths


def test_no_arguments_stitches_the_builtin_scene(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["stitch", "-q", "--matches", "m.png"]) == 0
    out = capsys.readouterr().out
    assert "built-in scene" in out and "ground truth: corner error" in out
    assert read_image(tmp_path / "panorama.jpg").shape[2] == 3
    assert read_image(tmp_path / "m.png").ndim == 3
    worst = float(out.split("worst ")[1].split(" px")[0])
    assert worst < 1.0


def test_files_with_json_report(tmp_path, view_files, capsys):
    out_path = tmp_path / "pano.png"
    report = tmp_path / "r.json"
    code = main(["stitch", *view_files, "-o", str(out_path), "--json", str(report), "-q",
                 "--blend", "multiband", "--crop"])
    assert code == 0, capsys.readouterr().err
    data = json.loads(report.read_text())
    assert data["images"] == ["view0.png", "view1.png", "view2.png"]
    assert len(data["pairs"]) == 3 and sorted(data["order"]) == [0, 1, 2]
    assert np.asarray(data["transforms"]["1"]).shape == (3, 3)
    assert read_image(out_path).shape[:2] == tuple(reversed(data["size"]))
    printed = capsys.readouterr().out
    assert "0 - 1" in printed and "inliers" in printed


def test_missing_file_exits_2_without_traceback(tmp_path, view_files, capsys):
    code = main(["stitch", view_files[0], str(tmp_path / "nope.jpg"), "-o",
                 str(tmp_path / "p.jpg")])
    err = capsys.readouterr().err
    assert code == 2
    assert "no such file" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "p.jpg").exists()


def test_never_overwrites_an_input(view_files, capsys):
    before = open(view_files[0], "rb").read()
    code = main(["stitch", *view_files, "-o", view_files[0]])
    assert code == 2
    assert "refusing to overwrite the input" in capsys.readouterr().err
    assert open(view_files[0], "rb").read() == before


def test_bad_arguments_exit_2(tmp_path, view_files, capsys):
    assert main(["stitch", view_files[0]]) == 2
    assert "at least two images" in capsys.readouterr().err
    assert main(["stitch", *view_files, "-o", str(tmp_path / "p.xyz")]) == 2
    assert "cannot write the format" in capsys.readouterr().err
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    assert main(["stitch", view_files[0], str(text), "-o", str(tmp_path / "p.jpg")]) == 2
    assert "not an image file" in capsys.readouterr().err


def test_truncated_image_is_one_line_without_opencv_log(tmp_path, view_files):
    # OpenCV logged '[ WARN:0@0.3] ... PNG input buffer is incomplete' as a second stderr line
    cut = tmp_path / "cut.png"
    cut.write_bytes(open(view_files[0], "rb").read()[:300])
    env = {k: v for k, v in os.environ.items() if k != "OPENCV_LOG_LEVEL"}
    proc = subprocess.run([sys.executable, "-m", "lacv", "stitch", "-q", str(cut), view_files[1],
                           "-o", str(tmp_path / "p.png")], capture_output=True, text=True,
                          check=False, env=env)
    assert proc.returncode == 2
    assert proc.stderr.startswith("lacv: error: image") and proc.stderr.count("\n") == 1


def test_images_that_do_not_overlap_are_named(tmp_path, view_files, capsys):
    noise = np.random.default_rng(0).integers(0, 255, (200, 240, 3), dtype=np.uint8)
    other = str(write_image(tmp_path / "noise.png", noise))
    out = str(tmp_path / "p.jpg")
    assert main(["stitch", view_files[0], view_files[1], other, "-o", out, "-q"]) == 2
    err = capsys.readouterr().err
    assert "noise.png" in err and "--partial" in err
    assert main(["stitch", view_files[0], view_files[1], other, "-o", out, "-q",
                 "--partial"]) == 0
    assert "left out" in capsys.readouterr().out
