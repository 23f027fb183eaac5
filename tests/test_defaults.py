"""The defaults: what a user who sets nothing but random_state gets (issue #17).

Each test here is a failure the defaults study found with the earlier defaults
(pre-training in 10 epochs of batches of 10 at rate 0.05, fine-tuning batches of
min(200, n)), kept as a regression test on small data.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skdbn import DBNClassifier, DBNRegressor, DBNTransformer, RBMTransformer
from skdbn._cd import resolve_auto


@pytest.mark.parametrize(
    "n, batch_size, n_iter",
    [
        (112, 12, 100),  # iris' training rows: 10 batches an epoch, 1,000 updates
        (1500, 40, 27),
        (8000, 40, 10),  # MNIST-sized: the floor of 10 epochs
        (3, 1, 334),
    ],
)
def test_auto_pretraining_rule(n, batch_size, n_iter):
    resolved = resolve_auto(n, batch_size="auto", n_iter="auto")
    assert resolved == (batch_size, n_iter, 0.1)
    # Explicit values pass through; a fixed batch size sets the epochs' count.
    assert resolve_auto(n, batch_size=5, n_iter=3, learning_rate=0.2) == (5, 3, 0.2)
    assert resolve_auto(100, batch_size=10, n_iter="auto")[1] == 100


def test_auto_learning_rate_follows_the_visible_units():
    rate = lambda units: resolve_auto(  # noqa: E731
        10, batch_size=1, n_iter=1, learning_rate="auto", visible_units=units
    )[2]
    assert rate("bernoulli") == 0.15
    assert rate("gaussian") == 0.01


def test_rbm_auto_values_equal_the_resolved_ones():
    X = MinMaxScaler().fit_transform(load_iris().data)
    auto = RBMTransformer(
        8, batch_size="auto", n_iter="auto", learning_rate="auto", random_state=0
    ).fit(X)
    explicit = RBMTransformer(
        8, batch_size=15, n_iter=100, learning_rate=0.15, random_state=0
    ).fit(X)
    assert auto.n_iter_ == 100
    np.testing.assert_array_equal(auto.components_, explicit.components_)


@pytest.mark.filterwarnings("ignore::skdbn.exceptions.NoProgressWarning")  # old rate
def test_small_data_is_pre_trained():
    """Ten epochs of batches of ten on iris left the weights at their initial
    scale: every row got the same top-layer features (std 2e-4 across rows),
    and fine-tuning from them could collapse to one class."""
    X = MinMaxScaler().fit_transform(load_iris().data)
    H = DBNTransformer(random_state=0).fit(X).transform(X)
    old = DBNTransformer(
        rbm_learning_rate=0.05, rbm_n_iter=10, rbm_batch_size=10, random_state=0
    )
    H_old = old.fit(X).transform(X)
    assert H.std(axis=0).mean() > 20 * H_old.std(axis=0).mean()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_iris_with_the_defaults_does_not_collapse(seed):
    """DBNClassifier() after a MinMaxScaler predicted one class on iris (seed 0:
    0.316) with full-batch fine-tuning and barely pre-trained layers."""
    X, y = load_iris(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=y
    )
    model = make_pipeline(MinMaxScaler(), DBNClassifier(random_state=seed))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # no collapse warning
        warnings.filterwarnings("ignore", "Stochastic", ConvergenceWarning)
        warnings.filterwarnings("ignore", ".*maximum", ConvergenceWarning)
        model.fit(X_train, y_train)
    assert np.unique(model.predict(X_test)).size == 3
    assert model.score(X_test, y_test) > 0.9


@pytest.mark.parametrize(
    "data",
    [
        lambda: load_diabetes(return_X_y=True),
        lambda: make_friedman1(n_samples=300, noise=1.0, random_state=0),
    ],
)
@pytest.mark.parametrize("scaler", [StandardScaler, MinMaxScaler])
@pytest.mark.parametrize("units", ["gaussian", "bernoulli"])
def test_regressor_defaults_do_not_diverge(data, scaler, units):
    """Gaussian pre-training at the old default rate 0.05 raised a
    DivergenceError on standardised diabetes and Friedman #1."""
    X, y = data()
    model = make_pipeline(
        scaler(), DBNRegressor(visible_units=units, max_iter=20, random_state=0)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 20 epochs
        warnings.filterwarnings("ignore", ".*expects data in", UserWarning)
        model.fit(X, y)
    assert np.isfinite(model.predict(X)).all()
    assert model.score(X, y) > 0.2
