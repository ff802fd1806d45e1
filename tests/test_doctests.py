"""The examples in the docstrings run and print what they show."""

import doctest
import importlib
import pkgutil

import pytest

import lacv

MODULES = sorted(m.name for m in pkgutil.walk_packages(lacv.__path__, "lacv.")
                 if ".cli" not in m.name)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_the_examples_are_collected():
    # the check above cannot pass by finding nothing: the linear-algebra examples are there
    import lacv.linalg

    assert doctest.testmod(lacv.linalg).attempted >= 5
