"""Fixtures of the imaging tests: the built-in scenes, rendered once per session."""

from __future__ import annotations

import pytest

from lacv.imaging.scenes import panorama_scene, planar_scene


@pytest.fixture(scope="session")
def pano4():
    return panorama_scene(4, rng=0)


@pytest.fixture(scope="session")
def planar3():
    return planar_scene(3, rng=0)
