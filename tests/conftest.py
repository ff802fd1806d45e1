"""Shared test configuration: the oracle fixture. Helpers live in ``lacv_testing``."""

from __future__ import annotations

import pytest

from lacv_testing import SHARED_DATA, require_oracle, shared_data

__all__ = ["SHARED_DATA", "require_oracle", "shared_data"]


@pytest.fixture
def torch_oracle():
    return require_oracle()
