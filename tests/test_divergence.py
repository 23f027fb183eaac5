"""A diverging fit stops with a message naming the learning rate; no NaN model."""

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
