"""Random draws from raw bits: distribution, exact ends, layout, reproducibility."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skdbn import _random


def _gen(seed=0):
    return np.random.Generator(np.random.SFC64(seed))


def test_uniform_range_resolution_and_mean():
    u = _random.uniform(_gen(), (200_000,))
    assert u.dtype == np.float32
    assert u.min() >= 0 and u.max() < 1
    assert_array_equal(u * 2**23, np.floor(u * 2**23))  # multiples of 2**-23
    assert abs(u.mean() - 0.5) < 4 / np.sqrt(12 * u.size)
    assert abs((u < 0.25).mean() - 0.25) < 0.005


def test_uniform_uses_every_bit_of_the_words():
    # Two draws per 64-bit word: an odd count must still be uniform and new.
    u = _random.uniform(_gen(), (3, 5))
    assert u.shape == (3, 5) and len(np.unique(u)) == 15


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bernoulli_frequencies_and_exact_ends(dtype):
    P = np.tile(np.array([0.0, 1e-3, 0.3, 0.5, 0.9, 1.0], dtype), (40_000, 1))
    S = _random.bernoulli(P, _gen())
    assert S.dtype == dtype and set(np.unique(S)) <= {0.0, 1.0}
    freq = S.mean(axis=0)
    assert freq[0] == 0 and freq[-1] == 1  # never on at 0, always on at 1
    se = np.sqrt(P[0] * (1 - P[0]) / P.shape[0])
    assert np.all(np.abs(freq - P[0]) <= 4 * se + 1e-12)


def test_signed_uniform_is_two_u_minus_one_from_the_same_bits():
    s = _random.uniform(_gen(3), (1001,), signed=True)
    u = _random.uniform(_gen(3), (1001,))
    assert s.dtype == np.float32 and s.min() >= -1 and s.max() < 1
    assert_array_equal(s, 2 * u - 1)  # exact: the same draws, rescaled


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_signed_bernoulli_makes_the_draws_of_bernoulli(dtype):
    # 1 with probability (1 + T) / 2: the same states as bernoulli of that
    # probability from the same generator state, ends included.
    T = np.linspace(-1, 1, 3000).astype(dtype).reshape(3, 1000, order="F")
    S = _random.bernoulli(T, _gen(4), signed=True)
    assert S.dtype == dtype and S.flags.f_contiguous
    assert_array_equal(S, _random.bernoulli((1 + T.astype(np.float64)) / 2, _gen(4)))
    ends = np.tile(np.array([-1, 1], dtype), (1000, 1))
    many = _random.bernoulli(ends, _gen(5), signed=True)
    assert many[:, 0].max() == 0 and many[:, 1].min() == 1


def test_bernoulli_in_place_and_column_major():
    P = np.asfortranarray(np.full((500, 8), 0.25))
    out = _random.bernoulli(P, _gen(1), out=P)
    assert out is P and abs(P.mean() - 0.25) < 0.02
    # A column-major input draws its noise in column-major order: the same
    # states as the row-major array of its transpose.
    Q = np.full((8, 500), 0.25)
    assert_array_equal(
        _random.bernoulli(np.asfortranarray(Q.T), _gen(2)),
        _random.bernoulli(Q, _gen(2)).T,
    )


def test_same_generator_state_same_draws():
    P = np.linspace(0, 1, 70).reshape(7, 10)
    assert_array_equal(_random.bernoulli(P, _gen(5)), _random.bernoulli(P, _gen(5)))
    g = _gen(5)
    first = _random.bernoulli(P, g)
    assert not np.array_equal(first, _random.bernoulli(P, g))  # the state advanced


@pytest.mark.parametrize("rate", [0.0, 0.2, 0.5, 0.9])
def test_keep_mask_rate_and_scale(rate):
    out = np.empty((300, 400), np.float32)
    mask = _random.keep_mask(_gen(3), out, rate)
    assert mask is out
    keep = 1 / (1 - rate)
    assert set(np.unique(mask)) <= {0.0, np.float32(keep)}
    dropped = (mask == 0).mean()
    assert abs(dropped - rate) < 4 * np.sqrt(max(rate * (1 - rate), 1e-12) / mask.size)
    assert abs(mask.mean() - 1) < 0.02  # inverted dropout keeps the mean


def test_keep_mask_rounds_the_rate_to_sixteen_bits():
    # Each decision compares 16 random bits with round(rate * 2**16).
    out = np.empty((200, 500), np.float32)
    assert _random.keep_mask(_gen(4), out, 2.0**-18).min() > 0  # rounds to 0
    first = _random.keep_mask(_gen(5), out, 0.3).copy()
    words = _gen(5).bit_generator.random_raw(out.size // 4).view(np.uint16)
    assert_array_equal(first == 0, (words < round(0.3 * 2**16)).reshape(out.shape))
