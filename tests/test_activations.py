import numpy as np
import pytest
from numpy.testing import assert_allclose

from skdbn._activations import (
    ACTIVATIONS,
    DERIVATIVES,
    log_sigmoid,
    log_softmax,
    sigmoid,
    softmax,
)

DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_finite_and_dtype_preserving_at_extremes(name, dtype):
    z = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]], dtype=dtype)
    out = ACTIVATIONS[name](z.copy())
    assert out.dtype == dtype
    assert np.isfinite(out).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_functions_are_finite_and_accurate(dtype):
    z = np.array([[-1e4, -30.0, 0.0, 30.0, 1e4]], dtype=dtype)
    ls = log_sigmoid(z)
    assert ls.dtype == dtype and np.isfinite(ls).all()
    assert_allclose(ls[0, 0], -1e4, rtol=1e-6)  # log(sigmoid(z)) ~ z for z << 0
    lsm = log_softmax(z)
    assert np.isfinite(lsm).all()
    assert_allclose(lsm[0, -1], 0.0, atol=1e-6)
    assert_allclose(np.exp(lsm).sum(), 1.0, rtol=1e-6)


def test_values_match_definitions():
    rng = np.random.RandomState(0)
    z = rng.normal(scale=3, size=(7, 4))
    assert_allclose(sigmoid(z), 1 / (1 + np.exp(-z)))
    assert_allclose(log_sigmoid(z), np.log(1 / (1 + np.exp(-z))))
    e = np.exp(z)
    assert_allclose(softmax(z), e / e.sum(axis=1, keepdims=True))
    assert_allclose(log_softmax(z), np.log(e / e.sum(axis=1, keepdims=True)))
    assert_allclose(ACTIVATIONS["relu"](z), np.maximum(z, 0))
    assert_allclose(ACTIVATIONS["tanh"](z), np.tanh(z))


def test_in_place():
    z = np.linspace(-5, 5, 12).reshape(3, 4)
    expected = softmax(z.copy())
    out = softmax(z, out=z)
    assert out is z
    assert_allclose(z, expected)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "identity"])
def test_derivatives_match_finite_differences(name):
    rng = np.random.RandomState(1)
    z = rng.normal(size=(5, 3))
    z[np.abs(z) < 1e-3] = 0.5  # keep relu away from its kink
    f = ACTIVATIONS[name]
    eps = 1e-6
    numeric = (f(z + eps) - f(z - eps)) / (2 * eps)
    delta = np.ones_like(z)
    analytic = DERIVATIVES[name](f(z.copy()), delta, np.empty_like(z))
    assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
