"""Shared test configuration: the oracle fixture, hypothesis profiles.

Helpers live in ``lacv_testing``. Under CI (``CI`` set) hypothesis runs
derandomised, so a landing never depends on the draw; local runs keep
exploring new examples.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from lacv_testing import SHARED_DATA, require_oracle, shared_data

__all__ = ["SHARED_DATA", "require_oracle", "shared_data"]

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def torch_oracle():
    return require_oracle()
