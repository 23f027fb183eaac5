"""A diverging fit stops with a message naming the learning rate; no NaN model."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skdbn import (
    DBNClassifier,
    DBNRegressor,
    DBNTransformer,
    LogisticRegressionGD,
    RBMTransformer,
)

# (estimator with a learning rate far too large, what the message must say)
CASES = {
    "logistic": (
        LogisticRegressionGD(learning_rate_init=1e30),
        "LogisticRegressionGD: training diverged.*learning_rate_init=1e\\+30",
    ),
    "rbm-gaussian": (
        RBMTransformer(learning_rate=1e3, visible_units="gaussian"),
        "RBMTransformer: training diverged.*learning_rate=1000.0",
    ),
    "dbn-transformer": (
        DBNTransformer(rbm_learning_rate=1e30),
        "DBNTransformer: pre-training layer 1/2 diverged.*rbm_learning_rate=1e\\+30",
    ),
    "dbn-classifier-pretraining": (
        DBNClassifier(rbm_learning_rate=1e30),
        "DBNClassifier: pre-training layer 1/2 diverged.*rbm_learning_rate=1e\\+30",
    ),
    "dbn-classifier-fine-tuning": (
        DBNClassifier(learning_rate_init=1e30, rbm_n_iter=1),
        "DBNClassifier: fine-tuning diverged.*learning_rate_init=1e\\+30",
    ),
    "dbn-regressor": (
        DBNRegressor(learning_rate_init=1e30, rbm_n_iter=1),
        "DBNRegressor: fine-tuning diverged.*learning_rate_init=1e\\+30",
    ),
}


def arrays(value):
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from arrays(item)
    elif hasattr(value, "get_params"):  # a fitted layer
        for name, attr in vars(value).items():
            if name.endswith("_"):
                yield from arrays(attr)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_divergence_names_the_learning_rate_and_leaves_no_nan(case):
    est, message = CASES[case]
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    with pytest.raises(ValueError, match=message):
        est.fit(X, y)
    for name, value in vars(est).items():
        for array in arrays(value):
            assert np.isfinite(array).all(), f"{name} has non-finite values"


def _breast_cancer():
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("lr", [10.0, 1e6])
def test_a_loss_that_rises_but_stays_finite_is_reported(lr):
    """Too large a step can make the loss grow without overflowing: the tol rule
    used to stop such a fit after 11 epochs and return it (accuracy 0.07 at
    1e6) without a word. A warning, not an error: scikit-learn's checks fit
    unscaled data with the default learning rate and expect a model back."""
    from sklearn.exceptions import ConvergenceWarning

    X, y = _breast_cancer()
    with pytest.warns(
        ConvergenceWarning, match="made no progress: the loss rose from 0.6931"
    ):
        LogisticRegressionGD(learning_rate_init=lr).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert LogisticRegressionGD().fit(X, y).score(X, y) > 0.98


def test_a_failed_warm_start_keeps_the_previous_model():
    X, y = _breast_cancer()
    est = LogisticRegressionGD(warm_start=True).fit(X, y)
    coef, intercept, curve = est.coef_.copy(), est.intercept_.copy(), est.loss_curve_[:]
    n_iter = est.n_iter_
    with pytest.raises(ValueError, match="diverged"):
        est.set_params(learning_rate_init=1e30).fit(X, y)
    np.testing.assert_array_equal(est.coef_, coef)
    np.testing.assert_array_equal(est.intercept_, intercept)
    assert est.loss_curve_ == curve and est.n_iter_ == n_iter


def test_adam_state_overflow_is_divergence():
    """Squared gradients of float32 inputs around 1e22 overflow Adam's second
    moments while the weights stay finite: the steps became 0 and the fit
    stopped at chance with no warning."""
    X, y = _breast_cancer()
    X = (X * 1e22).astype(np.float32)
    with pytest.raises(ValueError, match="optimiser's state became infinite"):
        LogisticRegressionGD(solver="adam").fit(X, y)
    est = LogisticRegressionGD(solver="adam", batch_size=100, random_state=0)
    est.partial_fit(X[:100] / 1e22, y[:100], classes=[0, 1])
    with pytest.raises(ValueError, match="diverged"):
        est.partial_fit(X[100:200], y[100:200])
    # The broken state is not kept: a later chunk of sane data trains again.
    before = est.coef_.copy()
    est.partial_fit(X[200:300] / 1e22, y[200:300])
    assert np.isfinite(est.coef_).all() and not np.array_equal(est.coef_, before)
