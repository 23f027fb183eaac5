"""The examples in the docstrings are tests too (run on the installed package)."""

import doctest
import importlib
import pkgutil

import pytest

import skdbn

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(skdbn.__path__, "skdbn.")
    if name != "skdbn.__main__"
)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", ["skdbn", *MODULES])
def test_docstring_examples(name):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_every_public_class_and_function_has_an_example():
    missing = [
        name
        for name in skdbn.__all__
        if not name.startswith("__")
        and (callable(obj := getattr(skdbn, name)))
        and ">>>" not in (obj.__doc__ or "")
        and name != "EpochEnd"
    ]
    assert not missing, missing
