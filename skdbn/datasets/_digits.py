"""scikit-learn's digits, nudged as in its RBM example."""

import numpy as np
from scipy.ndimage import shift
from sklearn.datasets import load_digits
from sklearn.preprocessing import minmax_scale


def load_nudged_digits(*, scale=True, dtype=np.float32):
    """scikit-learn's 8x8 digits, each also shifted by one pixel four ways.

    The images of scikit-learn's example "Restricted Boltzmann Machine features
    for digit classification": the 1,797 images of
    :func:`sklearn.datasets.load_digits` followed by the same images moved one
    pixel down, up, right and left (zeros fill the vacated border), which
    multiplies the training data by five and teaches translation invariance.
    The example stacks the shifted copies in another order (up, left, right,
    down), so the same ``train_test_split`` draws a different split; the test
    suite rebuilds the example's order where it compares with it. It ships with
    scikit-learn, so nothing is downloaded.

    Parameters
    ----------
    scale : bool, default=True
        Min-max scale every pixel column to [0, 1], as the example does (what
        Bernoulli visible units expect). False keeps the raw grey levels 0-16.
    dtype : float dtype, default=np.float32
        Dtype of the returned pixels. With ``scale=False`` an integer dtype is
        accepted too (the grey levels are whole numbers).

    Returns
    -------
    X : ndarray of shape (8985, 64)
        The original images, then the four shifted copies, in that order.
    y : ndarray of shape (8985,)
        The digit of each image.

    Examples
    --------
    >>> from skdbn.datasets import load_nudged_digits
    >>> X, y = load_nudged_digits()
    >>> X.shape, y.shape, float(X.min()), float(X.max())
    ((8985, 64), (8985,), 0.0, 1.0)
    """
    # Scaled pixels cast to an integer dtype would silently become 0 or 1.
    if scale and not np.issubdtype(dtype, np.floating):
        raise ValueError(
            f"dtype must be a float dtype (pixels in [0, 1]), got {np.dtype(dtype)}; "
            "pass scale=False for the raw grey levels 0-16 in an integer dtype."
        )
    if not scale and not np.issubdtype(dtype, np.number):
        raise ValueError(
            "dtype must be a float or integer dtype (grey levels 0-16), got "
            f"{np.dtype(dtype)}."
        )
    X, y = load_digits(return_X_y=True)
    images = X.reshape(-1, 8, 8)
    moves = [(1, 0), (-1, 0), (0, 1), (0, -1)]  # down, up, right, left
    shifted = [
        shift(images, (0, dy, dx), order=0, mode="constant", cval=0.0)
        for dy, dx in moves
    ]
    X = np.concatenate([images, *shifted]).reshape(-1, 64)
    y = np.tile(y, len(moves) + 1)
    if scale:
        X = minmax_scale(X, feature_range=(0, 1))
    return X.astype(dtype), y
