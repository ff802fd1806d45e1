"""Helpers shared by the tests: data locations and the PyTorch oracle.

Import them as ``from lacv_testing import shared_data, require_oracle``: a
module named ``conftest`` is ambiguous once a test folder has its own.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: ../shared/data beside the project (absent on some machines: tests skip)
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def require_oracle():
    """Import PyTorch for an oracle test; skip without it unless LACV_REQUIRE_ORACLE=1."""
    try:
        import torch
    except ImportError:
        if os.environ.get("LACV_REQUIRE_ORACLE") == "1":
            pytest.fail("PyTorch (the gradient oracle) is required: LACV_REQUIRE_ORACLE=1")
        pytest.skip("PyTorch is not installed: the oracle comparison is skipped")
    return torch


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, skipping the test where it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared test data not found: {path}")
    return path
