"""Fixtures of the calibration tests: the rendered sequence and the real set, built once."""

from __future__ import annotations

import pytest
from _calib_data import calib_data

from lacv.imaging.calibration_scene import calibration_sequence


@pytest.fixture(scope="session")
def sequence():
    return calibration_sequence(12, rng=0)


@pytest.fixture(scope="session")
def real_corners():
    """Corners of the 25 left and right images of ../shared/data/calibration, found once.

    With the 11-pixel refinement window of OpenCV's calibration sample, which the issue's
    reference figures used.
    """
    from lacv.imaging.chessboard import find_chessboard
    from lacv.imaging.io import read_image

    folder = calib_data()
    return {side: [find_chessboard(read_image(folder / f"{side}{k:02d}.jpg", grey=True), (9, 6),
                                   window=11)
                   for k in range(1, 26)] for side in ("left", "right")}
