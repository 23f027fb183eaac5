"""Small synthetic data sets for examples and tests."""

import itertools
from numbers import Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from .._validation import Count

# make_bars_and_stripes(n_samples=None) refuses to enumerate a larger X (bytes):
# the 2 ** (size + 1) patterns grow so fast that size=22 already exhausts memory.
MAX_ENUMERATED_BYTES = 2**28  # 256 MiB: size=16 (131,070 patterns) fits


@validate_params(
    {
        "n_samples": [Count(1)],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_xor(n_samples=200, *, noise=0.0, random_state=None):
    """The XOR problem: two binary inputs, the label is their exclusive or.

    No straight line separates the classes, so logistic regression on ``(x1, x2)``
    cannot exceed 75% accuracy, while adding the product ``x1 * x2`` (or a hidden
    layer) solves it exactly.

    Parameters
    ----------
    n_samples : int, default=200
        Number of points, drawn uniformly from the four corners of the unit square.
    noise : float, default=0.0
        Standard deviation of Gaussian jitter added to the inputs.
    random_state : int, RandomState instance or None, default=None
        Seeds the corners and the jitter.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        The points.
    y : ndarray of shape (n_samples,)
        ``int(x1 != x2)`` for the corner each point was drawn from.

    Examples
    --------
    >>> from skdbn.datasets import make_xor
    >>> X, y = make_xor(4, random_state=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((4, 2), [0, 1])
    """
    rng = check_random_state(random_state)
    corners = rng.randint(2, size=(n_samples, 2))
    y = (corners[:, 0] != corners[:, 1]).astype(int)
    X = corners + noise * rng.standard_normal(size=(n_samples, 2))
    return X, y


def _all_bars_and_stripes(size):
    bits = np.array(list(itertools.product([0, 1], repeat=size)), dtype=np.float64)
    # Bars: every column constant; all 2**size column patterns (empty and full too).
    bars = np.repeat(bits[:, None, :], size, axis=1)
    # Stripes: every row constant; empty and full are already among the bars.
    stripes = np.repeat(bits[1:-1, :, None], size, axis=2)
    X = np.concatenate([bars, stripes]).reshape(-1, size * size)
    y = np.r_[np.zeros(len(bars), int), np.ones(len(stripes), int)]
    return X, y


def _enumerated_bytes(size):
    """Bytes of X holding every bars-and-stripes pattern of side ``size``."""
    return (2 ** (size + 1) - 2) * size * size * np.dtype(np.float64).itemsize


@validate_params(
    {
        "n_samples": [Count(1), None],
        "size": [Count(1)],
        "noise": [Interval(Real, 0, 1, closed="both")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_bars_and_stripes(n_samples=None, *, size=4, noise=0.0, random_state=None):
    """Binary images made of vertical bars or horizontal stripes.

    The classic toy distribution for Boltzmann machines (MacKay, 2003): on a
    ``size x size`` grid, either every column is all on or all off (bars) or every
    row is (stripes). It is small enough for exact computations (there are
    ``2 ** (size + 1) - 2`` distinct patterns) yet has the long-range structure
    an RBM's hidden units must capture.

    Parameters
    ----------
    n_samples : int or None, default=None
        None returns every distinct pattern once; an int draws that many images,
        bars or stripes with equal probability and each line on with
        probability 1/2 (patterns repeat). None is refused when the patterns
        would take more than 256 MiB (``size`` above 16): pass ``n_samples``.
    size : int, default=4
        Side of the square images.
    noise : float, default=0.0
        Probability of flipping each pixel independently, in [0, 1].
    random_state : int, RandomState instance or None, default=None
        Seeds the draws and the noise.

    Returns
    -------
    X : ndarray of shape (n_samples, size * size)
        Pixels in {0, 1}, row-major (reshape to ``(size, size)`` to view).
    y : ndarray of shape (n_samples,)
        0 for bars (constant columns), 1 for stripes (constant rows). The empty
        and the full image are labelled 0.

    Examples
    --------
    >>> from skdbn.datasets import make_bars_and_stripes
    >>> X, y = make_bars_and_stripes(size=3)
    >>> X.shape, int(y.sum())
    ((14, 9), 6)
    >>> X[3].reshape(3, 3)
    array([[0., 1., 1.],
           [0., 1., 1.],
           [0., 1., 1.]])
    """
    if n_samples is None and _enumerated_bytes(size) > MAX_ENUMERATED_BYTES:
        largest = max(
            s for s in range(1, 64) if _enumerated_bytes(s) <= MAX_ENUMERATED_BYTES
        )
        raise ValueError(
            f"make_bars_and_stripes(size={size}) with n_samples=None enumerates all "
            f"2 ** {size + 1} - 2 patterns, {_enumerated_bytes(size) / 2**30:.3g} GiB "
            f"of pixels, more than the limit of {MAX_ENUMERATED_BYTES // 2**20} MiB "
            f"(size <= {largest}). Pass n_samples to draw that many images instead."
        )
    rng = check_random_state(random_state)
    if n_samples is None:
        X, y = _all_bars_and_stripes(size)
    else:
        y = rng.randint(2, size=n_samples)
        lines = rng.randint(2, size=(n_samples, size)).astype(np.float64)
        images = np.repeat(lines[:, None, :], size, axis=1)  # bars
        stripes = y == 1
        images[stripes] = np.transpose(images[stripes], (0, 2, 1))
        X = images.reshape(n_samples, size * size)
        y = np.where(lines.min(axis=1) == lines.max(axis=1), 0, y)
    if noise:
        flip = rng.random_sample(X.shape) < noise
        X = np.where(flip, 1.0 - X, X)
    return X, y
