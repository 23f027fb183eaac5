"""Random draws for Gibbs sampling and dropout, straight from the bit generator.

``Generator.random`` spends most of its time converting one number at a time;
reading raw 64-bit words from the generator's bit generator (two draws per word,
four for dropout) and converting them with whole-array operations is faster
(the docs' Benchmarks page has the timings). Sampling is the largest cost of
contrastive divergence after the matrix products. Every function takes a
:class:`numpy.random.Generator` and draws from its bit generator only, so the
same generator state gives the same draws.

NumPy has no ``out=`` for raw words, so each draw returns a new array; the
allocator hands back the same block every time, which costs next to nothing.
"""

import math

import numpy as np

from ._backend import ops

_ONE_FLOAT32 = np.uint32(0x3F800000)  # the bits of 1.0f
_TWO_FLOAT32 = np.uint32(0x40000000)  # the bits of 2.0f


def random_bits(generator, shape, dtype=np.uint32):
    """Independent uniform unsigned integers of ``dtype`` (``uint8`` to ``uint64``)
    and the given shape, in a new array."""
    size = math.prod(shape)
    per_word = 8 // np.dtype(dtype).itemsize
    words = generator.bit_generator.random_raw(-(-size // per_word))
    return words.view(dtype)[:size].reshape(shape)


def uniform(generator, shape, order="C", signed=False):
    """Uniform float32 values on ``[0, 1)``, multiples of ``2**-23``, in a new array.

    The 23 high bits of a random word become the mantissa of a float in ``[1, 2)``,
    from which 1 is subtracted exactly. ``order`` is the memory layout, to match
    the array the values are compared with. ``signed``: ``2 u - 1`` instead, on
    ``[-1, 1)`` (a float in ``[2, 4)`` minus 3), from the same bits.
    """
    bits = random_bits(generator, (math.prod(shape),))
    bits >>= 9
    bits |= _TWO_FLOAT32 if signed else _ONE_FLOAT32
    values = bits.view(np.float32)
    values -= 3 if signed else 1
    return values.reshape(shape, order=order)


def bernoulli(P, generator, out=None, signed=False):
    """Binary states, 1 with probability ``P``, in ``P``'s dtype (``out`` may be ``P``).

    A probability is rounded up to a multiple of ``2**-23`` (it is never made
    smaller, and 0 stays 0). ``signed``: ``P`` holds ``2 p - 1`` instead, as
    ``tanh(z / 2)`` does for ``p = sigmoid(z)``; it is compared with ``2 u - 1``,
    the same draw from the same bits without the two passes that make ``p``.
    """
    xp = ops(P)
    if xp is not np:  # the array's own device and generator
        return xp.bernoulli(P, generator, out=out, signed=signed)
    order = "F" if P.ndim > 1 and P.strides[0] < P.strides[1] else "C"
    noise = uniform(generator, P.shape, order, signed=signed)
    if out is None:
        out = np.empty_like(P)
    return np.less(noise, P, out=out)


def keep_mask(generator, out, rate):
    """Fill ``out`` with inverted-dropout factors: 0 with probability ``rate``,
    else ``1 / (1 - rate)``.

    Each decision uses 16 random bits (four per word, half the cost of 32), so the
    rate is rounded to a multiple of ``2**-16``: 0.3 drops 30.0003% of the units.
    """
    xp = ops(out)
    if xp is not np:
        return xp.keep_mask(generator, out, rate)
    threshold = np.uint16(min(round(rate * 2**16), 2**16 - 1))
    np.greater_equal(random_bits(generator, out.shape, np.uint16), threshold, out=out)
    out *= 1 / (1 - rate)
    return out
