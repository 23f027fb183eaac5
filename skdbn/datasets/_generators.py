"""Small synthetic data sets for examples and tests."""

from sklearn.utils import check_random_state


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

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
        ``int(x1 != x2)`` for the corner each point was drawn from.

    Examples
    --------
    >>> from skdbn.datasets import make_xor
    >>> X, y = make_xor(4, random_state=0)
    >>> X.shape, sorted(set(y))
    ((4, 2), [0, 1])
    """
    rng = check_random_state(random_state)
    corners = rng.randint(2, size=(n_samples, 2))
    y = (corners[:, 0] != corners[:, 1]).astype(int)
    X = corners + noise * rng.standard_normal(size=(n_samples, 2))
    return X, y
