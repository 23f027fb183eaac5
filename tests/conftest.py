"""Test-session setup."""

import os

# scikit-learn's array_api_dispatch needs SciPy's Array API support, which SciPy
# reads from the environment when it is first imported: before anything else.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np
import pytest
import scipy.linalg  # noqa: F401  (load SciPy's BLAS before limiting it)
from threadpoolctl import threadpool_limits

from skdbn import _random

# One BLAS thread: results do not depend on the machine's thread count (OpenBLAS
# sums in a different order with more threads), and the suite's many small matrix
# products run fastest single-threaded, even more so on a busy machine.
threadpool_limits(1)


def _threshold(P, generator, out=None, signed=False):
    """``_random.bernoulli`` without randomness: 1 where the probability
    exceeds 1/2 (``signed``: where ``2 p - 1`` exceeds 0)."""
    threshold = 0.0 if signed else 0.5
    states = np.greater(P, threshold)
    if out is None:
        return states.astype(P.dtype)
    np.copyto(out, states)
    return out


@pytest.fixture
def deterministic_draws(monkeypatch):
    """Every Bernoulli draw of contrastive divergence thresholds at 1/2.

    A row with weight 3 then gets the Gibbs states its three copies get, so a
    fit with integer weights and a fit on repeated rows can be compared
    exactly: what is left to differ is the weighting itself.
    """
    monkeypatch.setattr(_random, "bernoulli", _threshold)
