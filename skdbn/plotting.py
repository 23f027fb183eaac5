"""Figures for RBMs and DBNs: filters, samples, reconstructions, learning curves.

matplotlib is an optional dependency (``pip install matplotlib``, or the
``plot`` extra from a checkout: ``pip install ".[plot]"``), imported
inside each function. Every function returns a :class:`matplotlib.figure.Figure`
(save it with ``fig.savefig(path)``); images are drawn as one mosaic per axes, so
even a thousand tiles draw quickly.
"""

import numpy as np

__all__ = [
    "plot_filters",
    "plot_learning_curves",
    "plot_reconstructions",
    "plot_samples",
]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "skdbn.plotting needs matplotlib: pip install matplotlib"
        ) from exc
    return plt


def _final_step(estimator):
    steps = getattr(estimator, "steps", None)
    return steps[-1][1] if steps else estimator


def _image_shape(n_features, image_shape):
    if image_shape is not None:
        if int(np.prod(image_shape)) != n_features:
            raise ValueError(
                f"image_shape {tuple(image_shape)} does not hold {n_features} values."
            )
        return tuple(image_shape)
    side = int(round(np.sqrt(n_features)))
    if side * side != n_features:
        raise ValueError(
            f"{n_features} features are not a square image: pass image_shape."
        )
    return side, side


def _check_counts(n_rows, what, **counts):
    """Clear errors for nothing to draw or a count below 1 (not a ZeroDivision)."""
    for name, value in counts.items():
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}.")
    if n_rows == 0:
        raise ValueError(f"nothing to draw: {what} holds no rows.")


def _mosaic(tiles, shape, n_cols, pad=1, fill=np.nan):
    """Tiles of shape ``shape`` laid out in a grid, separated by ``pad`` pixels."""
    n = tiles.shape[0]
    n_cols = max(1, min(n_cols, n))
    n_rows = -(-n // n_cols)
    h, w = shape
    grid = np.full((n_rows * (h + pad) + pad, n_cols * (w + pad) + pad), fill)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, n_cols)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        grid[top : top + h, left : left + w] = tile.reshape(shape)
    return grid


def _show_grid(ax, grid, cmap, vmin, vmax):
    cm = _pyplot().get_cmap(cmap).with_extremes(bad="white")
    ax.imshow(
        np.ma.masked_invalid(grid),
        cmap=cm,
        vmin=vmin,
        vmax=vmax,
        interpolation="nearest",
    )
    ax.set_axis_off()


def _first_layer(estimator):
    """First-layer weights as (n_units, n_features) from an array, an estimator
    or a pipeline (its first step with weights: the RBM before a classifier)."""
    steps = [step for _, step in getattr(estimator, "steps", [])] or [estimator]
    for est in steps:
        if hasattr(est, "rbms_"):
            return est.rbms_[0].components_
        if hasattr(est, "components_"):
            return est.components_
        if hasattr(est, "coefs_"):
            return est.coefs_[0].T
        if hasattr(est, "coef_"):
            return np.atleast_2d(est.coef_)
    return np.atleast_2d(np.asarray(estimator))


def plot_filters(
    weights, *, image_shape=None, n_filters=100, n_cols=10, cmap="gray", title=None
):
    """First-layer weights drawn as images, one tile per hidden unit.

    Each tile shows what one hidden unit responds to: the weights from every
    pixel, scaled to the tile's own range (light for positive weights).

    Parameters
    ----------
    weights : ndarray of shape (n_units, n_features) or fitted estimator
        An array (e.g. ``rbm.components_``), or a fitted RBMTransformer,
        DBNTransformer (its first RBM), DBNClassifier or DBNRegressor (the first
        layer's fine-tuned weights), LogisticRegressionGD, or a pipeline (its
        first step with weights: the RBM of RBM -> classifier).
    image_shape : tuple of int, default=None
        Shape of one image; None takes a square.
    n_filters : int, default=100
        Draw at most this many units (the first ones).
    n_cols : int, default=10
        Tiles per row.
    cmap : str, default='gray'
        Colormap.
    title : str, default=None
        Figure title; None describes the content.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure.
    """
    plt = _pyplot()
    W = np.asarray(_first_layer(weights), dtype=np.float64)
    _check_counts(len(W), "weights", n_filters=n_filters, n_cols=n_cols)
    n_units, W = len(W), W[:n_filters]
    shape = _image_shape(W.shape[1], image_shape)
    low = W.min(axis=1, keepdims=True)
    span = np.ptp(W, axis=1, keepdims=True)
    tiles = (W - low) / np.where(span > 0, span, 1.0)
    n_cols = min(n_cols, len(tiles))
    n_rows = -(-len(tiles) // n_cols)
    fig, ax = plt.subplots(figsize=(0.8 * n_cols + 0.4, 0.8 * n_rows + 0.6))
    _show_grid(ax, _mosaic(tiles, shape, n_cols), cmap, 0.0, 1.0)
    shown = f"{len(W)} of {n_units}" if len(W) < n_units else f"{n_units}"
    fig.suptitle(title or f"First-layer filters ({shown} hidden units)")
    return fig


def plot_samples(
    X, *, image_shape=None, n_samples=100, n_cols=10, cmap="gray_r", title=None
):
    """Images (e.g. generated by ``sample``) drawn as a grid of tiles.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        One image per row, with values in [0, 1] (probabilities or pixels).
    image_shape : tuple of int, default=None
        Shape of one image; None takes a square.
    n_samples : int, default=100
        Draw at most this many rows (the first ones).
    n_cols : int, default=10
        Tiles per row.
    cmap : str, default='gray_r'
        Colormap (dark ink on white, like the digits).
    title : str, default=None
        Figure title.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure.
    """
    plt = _pyplot()
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (one image per row), got shape {X.shape}.")
    _check_counts(len(X), "X", n_samples=n_samples, n_cols=n_cols)
    X = X[:n_samples]
    shape = _image_shape(X.shape[1], image_shape)
    n_cols = min(n_cols, len(X))
    n_rows = -(-len(X) // n_cols)
    fig, ax = plt.subplots(figsize=(0.8 * n_cols + 0.4, 0.8 * n_rows + 0.6))
    low, high = min(0.0, X.min()), max(1.0, X.max())
    _show_grid(ax, _mosaic(X, shape, n_cols), cmap, low, high)
    fig.suptitle(title or f"{len(X)} samples")
    return fig


def plot_reconstructions(
    model, X, *, image_shape=None, n_images=10, cmap="gray_r", title=None
):
    """Images above their reconstructions ``inverse_transform(transform(X))``.

    Parameters
    ----------
    model : fitted estimator
        Anything with ``transform`` and ``inverse_transform``: an RBMTransformer
        (one up-down pass), a DBNTransformer (up the whole stack and back), or a
        pipeline of them.
    X : array-like of shape (n_samples, n_features)
        Images to reconstruct, one per row.
    image_shape : tuple of int, default=None
        Shape of one image; None takes a square.
    n_images : int, default=10
        Use the first ``n_images`` rows.
    cmap : str, default='gray_r'
        Colormap.
    title : str, default=None
        Figure title.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure: originals on the top row, reconstructions below.
    """
    plt = _pyplot()
    X = np.asarray(X, dtype=np.float64)[:n_images]
    X_rec = np.asarray(model.inverse_transform(model.transform(X)), dtype=np.float64)
    shape = _image_shape(X.shape[1], image_shape)
    fig, axes = plt.subplots(2, 1, figsize=(0.8 * len(X) + 0.6, 2.4))
    low, high = min(0.0, X.min()), max(1.0, X.max())
    for ax, images, label in zip(
        axes, (X, X_rec), ("original", "reconstruction"), strict=True
    ):
        _show_grid(ax, _mosaic(images, shape, len(X)), cmap, low, high)
        ax.set_title(label, fontsize=9)
    error = float(np.mean(np.sum((X - X_rec) ** 2, axis=1)))
    fig.suptitle(title or f"Reconstructions (mean squared error {error:.3g})")
    fig.tight_layout()  # the row titles would overlap the figure's title
    return fig


def _integer_ticks(ax):
    """Epochs are whole numbers: no ticks at 1.25 or 2.5 on short runs."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _pretraining_curves(est):
    curves = getattr(est, "pretraining_curves_", None)
    if curves:
        return list(curves)
    if hasattr(est, "rbms_"):
        return [rbm.loss_curve_ for rbm in est.rbms_]
    if hasattr(est, "components_"):  # a single RBM
        return [est.loss_curve_]
    return []


def plot_learning_curves(estimator, *, title=None):
    """Training curves of a fitted estimator, one panel per kind.

    Pre-training: each RBM layer's reconstruction error per epoch. Fine-tuning:
    the training loss per epoch and, with early stopping, the validation score
    (on a second axis).

    Parameters
    ----------
    estimator : fitted estimator
        A DBNClassifier, DBNRegressor, DBNTransformer, RBMTransformer or
        LogisticRegressionGD (or a pipeline ending in one).
    title : str, default=None
        Figure title.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure.
    """
    plt = _pyplot()
    est = _final_step(estimator)
    pre = _pretraining_curves(est)
    tuned = [] if hasattr(est, "components_") else list(getattr(est, "loss_curve_", []))
    panels = int(bool(pre)) + int(bool(tuned))
    if panels == 0:
        raise ValueError(f"{type(est).__name__} has no learning curves (not fitted?).")
    fig, axes = plt.subplots(1, panels, figsize=(5.0 * panels, 3.6), squeeze=False)
    axes = list(axes[0])
    if pre:
        ax = axes.pop(0)
        for i, curve in enumerate(pre):
            epochs = np.arange(1, len(curve) + 1)
            ax.plot(epochs, curve, marker=".", label=f"layer {i + 1}")
        ax.set(xlabel="epoch", ylabel="reconstruction error", title="Pre-training")
        _integer_ticks(ax)
        ax.legend()
    if tuned:
        ax = axes.pop(0)
        ax.plot(np.arange(1, len(tuned) + 1), tuned, color="C0", label="training loss")
        ax.set(xlabel="epoch", ylabel="loss", title="Fine-tuning")
        _integer_ticks(ax)
        scores = getattr(est, "validation_scores_", None)
        if scores:
            twin = ax.twinx()
            twin.plot(
                np.arange(1, len(scores) + 1),
                scores,
                color="C1",
                label="validation score",
            )
            twin.set_ylabel("validation score")
            twin.legend(loc="center right")
        ax.legend(loc="upper right")
    fig.suptitle(title or f"Learning curves of {type(est).__name__}")
    fig.tight_layout()
    return fig
