"""The user guide's code examples are tests too.

Every Python example in ``docs/user_guide/*.rst`` is written as a doctest
(``>>>`` prompts and the output they print), and each page runs here as one
doctest session, in a temporary folder, so the text cannot drift from the code.
A page may rely on a few names stated in its text (``scaling.rst``: "``X`` holds
features scaled to [0, 1] and ``y`` class labels"); :data:`SETUP` provides them.
"""

import doctest
import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "user_guide"
PAGES = sorted(GUIDE.glob("*.rst"))
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _scaling_setup():
    """What scaling.rst assumes: X in [0, 1], labels y, and the files it opens."""
    da = pytest.importorskip("dask.array")
    pytest.importorskip("dask_ml")
    pytest.importorskip("distributed")
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    np.save("pixels.npy", X)
    da.to_npy_stack("features/", da.from_array(X[:1200], chunks=(300, 64)))
    da.to_npy_stack("labels/", da.from_array(y[:1200], chunks=300))
    return {"X": X[:1200], "y": y[:1200], "X_val": X[1200:]}


def _gpu_setup():
    """gpu.rst runs on PyTorch's CPU build; skipped where PyTorch is absent."""
    pytest.importorskip("torch")
    return {}


SETUP = {"scaling": _scaling_setup, "gpu": _gpu_setup}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.stem)
def test_user_guide_examples(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    globs = SETUP.get(page.stem, dict)()
    result = doctest.testfile(
        str(page), module_relative=False, globs=globs, optionflags=FLAGS
    )
    assert result.failed == 0, f"{result.failed} example(s) failed in {page.name}"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.stem)
def test_every_python_example_is_a_doctest(page):
    """A Python block without ``>>>`` prompts would not run: refuse it."""
    blocks = re.split(r"^\s*\.\. code-block::", page.read_text(), flags=re.M)[1:]
    untested = [
        block.splitlines()[0].strip()
        for block in blocks
        if block.split(None, 1)[0] in ("python", "py", "python3")
    ]
    assert not untested, f"{page.name}: use '.. code-block:: pycon' with >>> prompts"
