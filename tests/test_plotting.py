"""skdbn.plotting: every function returns a Figure whose image is not blank."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from skdbn import (  # noqa: E402
    DBNClassifier,
    DBNTransformer,
    LogisticRegressionGD,
    RBMTransformer,
)
from skdbn.plotting import (  # noqa: E402
    plot_filters,
    plot_learning_curves,
    plot_reconstructions,
    plot_samples,
)


@pytest.fixture(scope="module")
def X():
    return load_digits().data[:300] / 16


@pytest.fixture(scope="module")
def y():
    return load_digits().target[:300]


@pytest.fixture(scope="module")
def dbn(X):
    return DBNTransformer((16, 8), rbm_n_iter=3, random_state=0).fit(X)


@pytest.fixture(scope="module")
def clf(X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return DBNClassifier(
            (16,), rbm_n_iter=3, max_iter=15, early_stopping=True, random_state=0
        ).fit(X, y)


def _pixels(fig):
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float)
    plt.close(fig)
    return image


def assert_not_blank(fig):
    assert isinstance(fig, matplotlib.figure.Figure)
    image = _pixels(fig)
    # Not a single colour, and a fair share of the canvas is drawn on.
    assert image.std() > 10
    assert (image.mean(axis=2) < 200).mean() > 0.02


def test_plot_filters_from_arrays_and_estimators(X, y, dbn, clf):
    rbm = RBMTransformer(25, n_iter=2, random_state=0).fit(X)
    assert_not_blank(plot_filters(rbm))
    assert_not_blank(plot_filters(rbm.components_, n_filters=10, n_cols=5))
    assert_not_blank(plot_filters(dbn))
    assert_not_blank(plot_filters(clf, title="fine-tuned"))
    logistic = LogisticRegressionGD(max_iter=50, tol=0.1).fit(X, y)
    assert_not_blank(plot_filters(logistic))
    # A pipeline shows its first weights: the RBM's 25 filters, not the
    # classifier's coefficients on them (10 x 25, also a drawable square).
    pipe = make_pipeline(RBMTransformer(25, n_iter=2, random_state=0), logistic)
    fig = plot_filters(pipe.fit(X, y))
    assert any("(25 hidden units)" in text.get_text() for text in fig.texts)
    # Fewer shown than the layer has: the title says both (not "(10 hidden units)").
    fig = plot_filters(rbm.components_, n_filters=10, n_cols=5)
    titles = [text.get_text() for text in fig.texts]
    assert titles == ["First-layer filters (10 of 25 hidden units)"]


def test_learning_curves_mark_whole_epochs(dbn):
    fig = plot_learning_curves(dbn)
    for ax in fig.axes:
        low, high = ax.get_xlim()
        ticks = [t for t in ax.get_xticks() if low <= t <= high]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks


def test_plot_samples(dbn):
    assert_not_blank(plot_samples(dbn.sample(20, n_steps=20, random_state=0)))
    with pytest.raises(ValueError, match="not a square"):
        plot_samples(np.zeros((3, 10)))
    rng = np.random.RandomState(0)
    assert_not_blank(plot_samples(rng.rand(12, 10), image_shape=(2, 5), n_cols=4))


def test_plot_reconstructions(X, dbn):
    assert_not_blank(plot_reconstructions(dbn, X, n_images=6))
    assert_not_blank(plot_reconstructions(dbn.rbms_[0], X))


def test_plot_learning_curves(dbn, clf):
    fig = plot_learning_curves(clf)
    assert len(fig.axes) == 3  # pre-training, fine-tuning and its validation twin
    assert_not_blank(fig)
    assert_not_blank(plot_learning_curves(dbn))
    assert_not_blank(plot_learning_curves(dbn.rbms_[0]))
    with pytest.raises(ValueError, match="no learning curves"):
        plot_learning_curves(RBMTransformer())


def test_nothing_to_draw_is_a_clear_error(dbn):
    # These divided by zero.
    with pytest.raises(ValueError, match="X holds no rows"):
        plot_samples(np.zeros((0, 64)))
    with pytest.raises(ValueError, match="n_cols must be at least 1, got 0"):
        plot_samples(np.zeros((3, 64)), n_cols=0)
    with pytest.raises(ValueError, match="n_samples must be at least 1"):
        plot_samples(np.zeros((3, 64)), n_samples=0)
    with pytest.raises(ValueError, match="n_filters must be at least 1, got 0"):
        plot_filters(dbn, n_filters=0)
    with pytest.raises(ValueError, match="n_cols must be at least 1"):
        plot_filters(dbn, n_cols=0)
