import re
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    make_classification,
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skdbn import LogisticRegressionGD
from skdbn.datasets import make_xor

# Converge tightly: full-batch GD stopped only by the gradient norm.
EXACT = dict(
    learning_rate_init=1.0, tol=0.0, n_iter_no_change=10_000, gtol=1e-7, max_iter=20_000
)


def _standardised(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def digits():
    return _standardised(load_digits)


@pytest.mark.parametrize("loader", [load_breast_cancer, load_digits])
def test_full_batch_gd_matches_lbfgs(loader):
    X, y = _standardised(loader)
    C = 1.0
    ref = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, y)
    # The documented mapping: alpha = 1 / (C * n_samples).
    clf = LogisticRegressionGD(alpha=1 / (C * X.shape[0]), **EXACT).fit(X, y)
    scale = np.abs(ref.coef_).max()
    assert_allclose(clf.coef_, ref.coef_, rtol=1e-3, atol=1e-3 * scale)
    # Softmax intercepts are defined up to a constant shift.
    shift = (clf.intercept_ - ref.intercept_).mean() if len(clf.intercept_) > 1 else 0
    assert_allclose(
        clf.intercept_ - shift, ref.intercept_, rtol=1e-3, atol=1e-3 * scale
    )
    assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-4)


def test_sample_weight_mapping_matches_lbfgs():
    X, y = _standardised(load_breast_cancer)
    sw = np.random.RandomState(0).uniform(0.2, 2.0, size=len(y))
    ref = LogisticRegression(C=0.5, tol=1e-10, max_iter=10_000).fit(
        X, y, sample_weight=sw
    )
    clf = LogisticRegressionGD(alpha=1 / (0.5 * sw.sum()), **EXACT)
    clf.fit(X, y, sample_weight=sw)
    assert_allclose(
        clf.coef_, ref.coef_, rtol=1e-3, atol=1e-3 * np.abs(ref.coef_).max()
    )


def test_cross_validated_accuracy_close_to_logistic_regression(digits):
    X, y = digits
    ours = cross_val_score(LogisticRegressionGD(), X, y, cv=5).mean()
    ref = cross_val_score(LogisticRegression(max_iter=1000), X, y, cv=5).mean()
    assert ours >= ref - 0.005, (ours, ref)


def _xor(n=200, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X, y


@pytest.mark.parametrize("noise", [0.0, 0.1])
def test_xor_needs_the_product_feature(noise):
    # The seed's exercise: no line separates XOR, the feature x1 * x2 does.
    X, y = make_xor(200, noise=noise, random_state=0)
    linear = LogisticRegressionGD().fit(X, y)
    assert linear.score(X, y) <= 0.75
    X_prod = np.column_stack([X, X[:, 0] * X[:, 1]])
    assert LogisticRegressionGD().fit(X_prod, y).score(X_prod, y) == 1.0


def test_binary_shapes_and_probabilities():
    X, y = _standardised(load_breast_cancer)
    labels = np.array(["benign", "malignant"])[y]
    clf = LogisticRegressionGD().fit(X, labels)
    assert clf.coef_.shape == (1, X.shape[1])
    assert clf.intercept_.shape == (1,)
    scores = clf.decision_function(X)
    assert scores.shape == (len(y),)
    proba = clf.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_allclose(clf.predict_log_proba(X), np.log(proba), atol=1e-10)
    assert_array_equal(clf.predict(X), clf.classes_[(scores > 0).astype(int)])
    assert set(clf.predict(X)) <= {"benign", "malignant"}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_multiclass_shapes_and_probabilities(digits):
    X, y = digits
    clf = LogisticRegressionGD(max_iter=50).fit(X, y)
    assert clf.coef_.shape == (10, X.shape[1])
    proba = clf.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_allclose(clf.predict_log_proba(X), np.log(proba), atol=1e-8)
    assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    scores = clf.decision_function(X)
    assert_allclose(scores, X @ clf.coef_.T + clf.intercept_, rtol=1e-10)
    # penalty=None means no penalty, whatever alpha says.
    free = [
        LogisticRegressionGD(penalty=None, alpha=alpha, max_iter=20).fit(X, y).coef_
        for alpha in (0.0, 1.0)
    ]
    assert_array_equal(free[0], free[1])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_float32_trains_in_float32(digits):
    X, y = digits
    c32 = LogisticRegressionGD(max_iter=100, tol=0).fit(X.astype(np.float32), y)
    c64 = LogisticRegressionGD(max_iter=100, tol=0).fit(X, y)
    assert c32.coef_.dtype == np.float32 and c32.intercept_.dtype == np.float32
    assert c64.coef_.dtype == np.float64
    assert c32.predict_proba(X.astype(np.float32)).dtype == np.float32
    assert_allclose(c32.coef_, c64.coef_, rtol=1e-3, atol=1e-4)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sparse_matches_dense():
    X, y = make_classification(n_samples=120, n_features=20, random_state=0)
    X[np.abs(X) < 0.8] = 0
    dense = LogisticRegressionGD(max_iter=100, tol=0).fit(X, y)
    sparse = LogisticRegressionGD(max_iter=100, tol=0).fit(sp.csr_matrix(X), y)
    assert_allclose(sparse.coef_, dense.coef_, rtol=1e-10)
    assert_allclose(sparse.predict_proba(sp.csr_matrix(X)), dense.predict_proba(X))


def test_minibatch_reproducible_and_seed_dependent(digits):
    X, y = digits
    params = dict(batch_size=64, max_iter=5, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = LogisticRegressionGD(random_state=1, **params).fit(X, y)
        b = LogisticRegressionGD(random_state=1, **params).fit(X, y)
        c = LogisticRegressionGD(random_state=2, **params).fit(X, y)
    assert_array_equal(a.coef_, b.coef_)
    assert not np.allclose(a.coef_, c.coef_)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("schedule", ["constant", "invscaling", "adaptive"])
def test_solvers_and_schedules_learn(digits, solver, schedule):
    X, y = digits
    lr = 0.01 if solver == "adam" else 0.1
    clf = LogisticRegressionGD(
        solver=solver,
        learning_rate=schedule,
        learning_rate_init=lr,
        batch_size=100,
        max_iter=30,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.score(X, y) > 0.95


def test_adaptive_schedule_lowers_learning_rate(capsys):
    X, y = _xor()
    clf = LogisticRegressionGD(learning_rate="adaptive", n_iter_no_change=2, verbose=1)
    clf.fit(X, y)
    out = capsys.readouterr().out
    assert "Setting learning rate to 0.020000" in out


def test_stopping_rules(digits):
    X, y = digits
    by_tol = LogisticRegressionGD(tol=1e-2, gtol=0, n_iter_no_change=3).fit(X, y)
    assert by_tol.n_iter_ < 100
    # It stopped after more than n_iter_no_change (3) epochs in a row that did
    # not beat the best loss before them by tol, and not earlier.
    losses = np.array(by_tol.loss_curve_)
    stalled = [losses[i] > losses[:i].min() - 1e-2 for i in range(1, len(losses))]
    runs = np.convolve(stalled, np.ones(4, dtype=int), mode="valid") == 4
    assert runs[-1] and not runs[:-1].any()
    # gtol measures the gradient itself, whatever the step size.
    for lr in (0.1, 1.0):
        by_gtol = LogisticRegressionGD(
            learning_rate_init=lr, tol=0, gtol=1e-3, max_iter=5000
        ).fit(X, y)
        objective = by_gtol._objective()
        objective(X, by_gtol._label_binarizer.transform(y).astype(X.dtype))
        gradient = max(np.abs(g).max() for g in objective.grads)
        assert by_gtol.n_iter_ < 5000 and gradient < 1e-3
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(5\\)"):
        LogisticRegressionGD(max_iter=5).fit(X, y)


def test_early_stopping_on_held_out_loss(digits):
    X, y = digits
    clf = LogisticRegressionGD(
        early_stopping=True,
        alpha=0,
        n_iter_no_change=5,
        tol=0,
        max_iter=2000,
        random_state=0,
    ).fit(X, y)
    scores = np.array(clf.validation_scores_)
    assert len(scores) == clf.n_iter_ < 2000
    assert clf.best_validation_score_ == scores.max()
    assert np.all(scores < 0)  # negative held-out cross-entropy
    # Held-out loss rose for n_iter_no_change epochs after its best epoch.
    assert scores.argmax() <= len(scores) - 5
    assert LogisticRegressionGD().fit(X, y).validation_scores_ is None


def test_partial_fit(digits):
    X, y = digits
    clf = LogisticRegressionGD(batch_size=50, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:500], y[:500], classes=np.unique(y))
    first = clf.score(X, y)
    for _ in range(5):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 6
    assert clf.score(X, y) > max(first, 0.95)
    with pytest.raises(ValueError, match="not in classes"):
        clf.partial_fit(X[:5], np.full(5, 42))
    with pytest.raises(ValueError, match="early_stopping"):
        LogisticRegressionGD(early_stopping=True).partial_fit(
            X, y, classes=np.unique(y)
        )


def test_warm_start_continues(digits):
    X, y = digits
    clf = LogisticRegressionGD(max_iter=10, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
        loss_first = clf.loss_curve_[-1]
        clf.fit(X, y)
    assert clf.n_iter_ == 10 and len(clf.loss_curve_) == 20
    assert clf.loss_curve_[10] < loss_first  # started from the previous solution
    with pytest.raises(ValueError, match="features"):
        clf.fit(X[:, :10], y)  # continues the fitted model: same features needed
    with pytest.raises(ValueError, match="not in classes"):
        clf.fit(X, y + 10)
    cold = LogisticRegressionGD(max_iter=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cold.fit(X, y)
    assert cold.loss_curve_[0] > loss_first


def test_minibatch_sample_weights_reach_the_weighted_optimum():
    # Each batch's weighted loss is divided by its rows, not by its weights, so
    # the batch gradients average to the weighted objective's gradient (with
    # per-batch normalisation, one row per batch made the weights do nothing).
    X, y = _standardised(load_breast_cancer)
    sw = np.where(y == 0, 10.0, 1.0)
    alpha = 0.01
    ref = LogisticRegression(C=1 / (alpha * sw.sum()), tol=1e-10, max_iter=10000)
    ref.fit(X, y, sample_weight=sw)
    plain = LogisticRegression(C=1 / (alpha * len(y)), tol=1e-10, max_iter=10000)
    plain.fit(X, y)
    clf = LogisticRegressionGD(
        alpha=alpha,
        batch_size=1,
        momentum=0,
        learning_rate_init=0.01,
        max_iter=60,
        tol=0,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y, sample_weight=sw)
    assert np.abs(clf.coef_ - ref.coef_).max() < 0.06
    assert np.abs(clf.coef_ - plain.coef_).max() > 0.1
    assert abs(clf.intercept_[0] - ref.intercept_[0]) < 0.1


def test_zero_weight_batches_and_balanced_partial_fit():
    X, y = _standardised(load_breast_cancer)
    sw = np.ones(len(y))
    sw[:10] = 0  # whole mini-batches of weight 0 contribute nothing, no 0 / 0
    clf = LogisticRegressionGD(batch_size=5, shuffle=False, max_iter=5, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y, sample_weight=sw)
    assert np.isfinite(clf.coef_).all() and clf.score(X, y) > 0.9
    with pytest.raises(ValueError, match="part of the early-stopping split sum"):
        LogisticRegressionGD(early_stopping=True, validation_fraction=0.5).fit(
            X[:4], [0, 1, 0, 1], sample_weight=[1, 0, 0, 0]
        )
    with pytest.raises(ValueError, match="'balanced' is not supported by partial"):
        LogisticRegressionGD(class_weight="balanced").partial_fit(X, y, classes=[0, 1])


def test_class_weight_equals_sample_weight():
    X, y = _standardised(load_breast_cancer)
    a = LogisticRegressionGD(class_weight={0: 3.0, 1: 1.0}).fit(X, y)
    b = LogisticRegressionGD().fit(X, y, sample_weight=np.where(y == 0, 3.0, 1.0))
    assert_allclose(a.coef_, b.coef_)
    balanced = LogisticRegressionGD(class_weight="balanced").fit(X, y)
    assert not np.allclose(balanced.coef_, LogisticRegressionGD().fit(X, y).coef_)


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_l1_penalties_shrink_coefficients(penalty):
    X, y = _standardised(load_breast_cancer)
    plain = LogisticRegressionGD(penalty=None).fit(X, y)
    sparse = LogisticRegressionGD(penalty=penalty, alpha=0.05, l1_ratio=0.9).fit(X, y)
    assert np.abs(sparse.coef_).sum() < 0.5 * np.abs(plain.coef_).sum()
    assert (np.abs(sparse.coef_) < 1e-2).sum() > 5


def _saga(X, y, alpha, l1_ratio):
    """scikit-learn's saga optimum of LogisticRegressionGD's elastic-net objective."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # penalty: 1.8 deprecates
        return LogisticRegression(  # the same in scikit-learn 1.6 and 1.9
            penalty="elasticnet",
            l1_ratio=l1_ratio,
            solver="saga",
            C=1 / (alpha * len(y)),
            tol=1e-10,
            max_iter=100_000,
        ).fit(X, y)


def _l1_objective(clf, X, y, alpha):
    z = X @ clf.coef_.ravel() + clf.intercept_
    return np.mean(np.logaddexp(0, z) - y * z) + alpha * np.abs(clf.coef_).sum()


@pytest.mark.parametrize(
    "params",
    [{}, {"solver": "adam", "learning_rate_init": 0.003, "batch_size": 64}],
    ids=["sgd-nesterov-full-batch", "adam-mini-batch"],
)
def test_l1_by_its_proximal_step_reaches_the_sparse_optimum(params):
    # saga's optimum of the same objective: 0.159307 with 21 of 30 zeros. Ours
    # (3,000 epochs): 0.15952 / 0.15931, 19 zeros each, all of them saga's.
    X, y = _standardised(load_breast_cancer)
    alpha = 0.01
    saga = _saga(X, y, alpha, l1_ratio=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = LogisticRegressionGD(
            penalty="l1", alpha=alpha, max_iter=3000, n_iter_no_change=3000, **params
        ).fit(X, y)
    best = _l1_objective(saga, X, y, alpha)
    assert _l1_objective(clf, X, y, alpha) < best * 1.002
    zeros = np.flatnonzero(clf.coef_ == 0)  # exactly zero
    assert len(zeros) >= 15 and set(zeros) <= set(np.flatnonzero(saga.coef_ == 0))


@pytest.mark.parametrize("loader", [load_breast_cancer, load_iris])
@pytest.mark.parametrize(
    "params",
    [{}, {"nesterovs_momentum": False}, {"solver": "adam", "learning_rate_init": 0.01}],
    ids=["nesterov", "classical", "adam"],
)
def test_elasticnet_matches_saga_with_the_same_zeros(loader, params):
    # Binary and multinomial, each optimiser's threshold and momentum
    # correction: gtol stops at saga's solution (1,300-3,500 epochs).
    X, y = _standardised(loader)
    alpha, l1_ratio = 0.01, 0.5
    saga = _saga(X, y, alpha, l1_ratio)
    clf = LogisticRegressionGD(
        penalty="elasticnet",
        l1_ratio=l1_ratio,
        alpha=alpha,
        max_iter=10_000,
        n_iter_no_change=10_000,
        **params,
    ).fit(X, y)
    assert clf.n_iter_ < clf.max_iter  # gtol fired
    assert (saga.coef_ == 0).sum() >= 3
    assert_array_equal(clf.coef_ == 0, saga.coef_ == 0)
    assert_allclose(clf.coef_, saga.coef_, atol=1e-3)


def test_gtol_stops_at_a_sparse_solution():
    X, y = _standardised(load_breast_cancer)
    clf = LogisticRegressionGD(
        penalty="l1", alpha=0.01, gtol=1e-3, n_iter_no_change=1000
    ).fit(X, y)
    assert clf.n_iter_ < clf.max_iter and (clf.coef_ == 0).sum() >= 10


def test_fit_intercept_false_keeps_zero_intercept():
    X, y = _standardised(load_breast_cancer)
    clf = LogisticRegressionGD(fit_intercept=False).fit(X, y)
    assert_array_equal(clf.intercept_, 0)
    assert clf.score(X, y) > 0.95


@pytest.mark.parametrize(
    "X_change, y_change, match",
    [
        (
            lambda X: np.where(np.arange(X.size).reshape(X.shape) == 3, np.nan, X),
            None,
            "NaN",
        ),
        (
            lambda X: np.where(np.arange(X.size).reshape(X.shape) == 3, np.inf, X),
            None,
            "infinity",
        ),
        (None, lambda y: np.zeros_like(y), "only one class"),
        (None, lambda y: y + 0.5, "Unknown label type"),
        (lambda X: X[:0], lambda y: y[:0], "0 sample"),
    ],
    ids=["nan", "inf", "one-class", "continuous", "empty"],
)
def test_bad_training_input(X_change, y_change, match):
    X, y = _xor(40)
    X = X_change(X) if X_change else X
    y = y_change(y) if y_change else y
    with pytest.raises(ValueError, match=match):
        LogisticRegressionGD().fit(X, y)


def test_bad_prediction_input_and_weights():
    X, y = _xor(40)
    clf = LogisticRegressionGD().fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features.*expecting 2 features"):
        clf.predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="non-zero|sum to zero"):
        LogisticRegressionGD().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match=re.escape("'learning_rate_init' parameter")):
        LogisticRegressionGD(learning_rate_init=-1).fit(X, y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size", [None, 7])
def test_sample_weight_times_a_constant_gives_the_same_model(dtype, batch_size):
    """The objective is the weighted mean loss (penalty apart), so only the ratios
    of the weights matter; weights far beyond float32's range train float32."""
    X, y = _standardised(load_breast_cancer)
    X, y = X[:60].astype(dtype), y[:60]
    weights = np.random.RandomState(0).uniform(0.5, 2, size=len(y))
    clf = LogisticRegressionGD(max_iter=20, batch_size=batch_size, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = clone(clf).fit(X, y, sample_weight=weights)
        for scale in (2.0**-1000, 2.0**1000):  # 1e-301 and 1e301: exact products
            with warnings.catch_warnings():
                warnings.simplefilter("error", RuntimeWarning)
                scaled = clone(clf).fit(X, y, sample_weight=weights * scale)
            assert_array_equal(scaled.coef_, reference.coef_)
            assert_array_equal(scaled.intercept_, reference.intercept_)
            assert scaled.loss_curve_ == reference.loss_curve_
        tiny = clone(clf).fit(X, y, sample_weight=np.full(len(y), 5e-324))
        assert_allclose(tiny.coef_, clone(clf).fit(X, y).coef_)


def test_scores_too_large_to_represent_raise():
    """One epoch on huge data leaves weights whose scores overflow: no inf output."""
    clf = LogisticRegressionGD().partial_fit([[1e300]], [0], classes=[0, 1, 2])
    assert np.isfinite(clf.coef_).all()
    for method in ("decision_function", "predict", "predict_proba", "score"):
        args = ([[1e300]], [0]) if method == "score" else ([[1e300]],)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ValueError, match="too large"):
                getattr(clf, method)(*args)
    assert clf.predict([[1.0]]) in clf.classes_


def test_partial_fit_classes_and_labels_are_checked():
    X = np.random.RandomState(0).rand(3, 2)
    with pytest.raises(ValueError, match="at least 2"):
        LogisticRegressionGD().partial_fit(X, [0, 1, 2], classes=[])
    with pytest.raises(ValueError, match=re.escape("y has labels [0] not in classes")):
        LogisticRegressionGD().partial_fit(X, [0, 1, 2], classes=[1, 2])


def test_mixed_and_huge_labels_are_named():
    X = np.random.RandomState(0).rand(4, 2)
    mixed = np.array(["a", 1, "a", 1], dtype=object)
    with pytest.raises(ValueError, match="mixes label types"):
        LogisticRegressionGD().fit(X, mixed)
    with pytest.raises(ValueError, match="mixes label types"):
        LogisticRegressionGD().partial_fit(X, ["a", "b", "a", "b"], classes=mixed)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from the cast to int
        with pytest.raises(ValueError, match="Unknown label type: continuous"):
            LogisticRegressionGD().fit(X, [1e300, 0, 1e300, 0])


def test_diverging_learning_rate_names_it():
    # The cross-entropy's gradient is bounded, so the weights grow only linearly
    # with the step; float32 features of large magnitude make them overflow.
    X, y = _standardised(load_breast_cancer)
    X = (X * 1e6).astype(np.float32)
    clf = LogisticRegressionGD(learning_rate_init=1e30, penalty=None)
    with pytest.raises(ValueError, match="learning_rate_init=1e\\+30"):
        clf.fit(X, y)
    assert not hasattr(clf, "coef_")  # a failed fit leaves the estimator unfitted
    with pytest.raises(NotFittedError):
        clf.predict(X)
    # partial_fit trains in place: the weights go back to their last finite values
    # (partial_fit keeps its optimiser, as MLPClassifier: set the step there).
    clf = LogisticRegressionGD(solver="sgd", penalty=None)
    clf.partial_fit(X, y, classes=[0, 1])
    clf._optimizer.learning_rate = 1e30
    with pytest.raises(ValueError, match="diverged"):
        for _ in range(5):  # the second epoch overflows
            coef = clf.coef_.copy()
            clf.partial_fit(X, y)
    assert_array_equal(clf.coef_, coef)
    assert np.isfinite(coef).all() and np.abs(coef).max() > 1e30


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_pipeline_grid_search_and_pickle(tmp_path, digits):
    X, y = load_digits(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), LogisticRegressionGD(max_iter=200))
    search = GridSearchCV(
        pipe, {"logisticregressiongd__alpha": [1e-4, 1e-1]}, cv=3
    ).fit(X, y)
    assert search.best_params_ == {"logisticregressiongd__alpha": 1e-4}
    path = tmp_path / "model.joblib"
    joblib.dump(search.best_estimator_, path)
    loaded = joblib.load(path)
    assert_array_equal(loaded.predict_proba(X), search.best_estimator_.predict_proba(X))


def test_verbose_prints_epochs(capsys):
    X, y = _xor(40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        LogisticRegressionGD(max_iter=3, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("Iteration 1, loss = ")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "param, values",
    [
        ("shuffle", [True, False]),
        ("nesterovs_momentum", [True, False]),
        ("momentum", [0.0, 0.9]),
        ("beta_1", [0.9, 0.5]),
        ("beta_2", [0.999, 0.9]),
        ("epsilon", [1e-8, 1e-1]),
        ("power_t", [0.5, 0.1]),
    ],
)
def test_every_optimiser_parameter_changes_the_fit(digits, param, values):
    X, y = digits
    solver = "adam" if param in ("beta_1", "beta_2", "epsilon") else "sgd"
    schedule = "invscaling" if param == "power_t" else "constant"
    fits = [
        LogisticRegressionGD(
            solver=solver,
            learning_rate=schedule,
            batch_size=100,
            max_iter=3,
            random_state=0,
            **{param: value},
        )
        .fit(X, y)
        .coef_
        for value in values
    ]
    assert not np.allclose(fits[0], fits[1])


def test_partial_fit_after_early_stopping_and_checked_set_params(digits):
    X, y = digits
    clf = LogisticRegressionGD(early_stopping=True, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.best_loss_ is None
    clf.set_params(early_stopping=False).partial_fit(X, y)  # best_loss_ was None
    assert np.isfinite(clf.best_loss_)
    # scikit-learn skips parameter validation in a fitted partial_fit; skdbn not.
    with pytest.raises(InvalidParameterError, match="alpha"):
        clf.set_params(alpha=-1.0).partial_fit(X, y)


def test_failed_warm_fit_puts_the_history_back(digits):
    X, y = digits
    clf = LogisticRegressionGD(max_iter=5, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning):
            clf.fit(X, y)
    assert clf.n_iter_ == 5 and len(clf.loss_curve_) == 5 and clf.t_ == 5 * len(y)


def test_class_weight_holds_across_partial_fit_calls(digits):
    # The calls share one weight unit (the first call's mean): chunks of one
    # class each still feel their class weight.
    X, y = digits
    X, y = X[y < 2], y[y < 2]
    coefs = []
    for class_weight in (None, {0: 1, 1: 10}):
        clf = LogisticRegressionGD(class_weight=class_weight, random_state=0)
        for _ in range(3):
            for label in (0, 1):
                rows = y == label
                clf.partial_fit(X[rows], y[rows], classes=[0, 1])
        coefs.append(clf.intercept_[0])
    assert coefs[1] > coefs[0] + 0.1  # class 1 weighs more: a larger intercept


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_switching_fit_intercept_between_calls(digits):
    """The trained arrays change: partial_fit used to crash half-way through a
    step (a zip over the old optimiser's slots), and a warm start kept the
    intercept that fit_intercept=False says is fixed at zero."""
    X, y = digits
    est = LogisticRegressionGD(batch_size=100, random_state=0)
    est.partial_fit(X, y, classes=np.unique(y))
    est.set_params(fit_intercept=False).partial_fit(X, y)
    assert_array_equal(est.intercept_, 0)
    est.set_params(fit_intercept=True).partial_fit(X, y)
    assert np.abs(est.intercept_).max() > 0
    warm = LogisticRegressionGD(warm_start=True, max_iter=20).fit(X, y)
    assert np.abs(warm.intercept_).max() > 0
    warm.set_params(fit_intercept=False).fit(X, y)
    assert_array_equal(warm.intercept_, 0)
    cold = LogisticRegressionGD(fit_intercept=False, max_iter=20).fit(X, y)
    assert warm.score(X, y) >= cold.score(X, y) - 0.01


def test_partial_fit_applies_parameters_set_since(digits):
    """As the RBM's partial_fit does (and as the divergence message advises)."""
    X, y = digits
    est = LogisticRegressionGD(batch_size=200, momentum=0, random_state=0)
    est.partial_fit(X, y, classes=np.unique(y))
    before = est.coef_.copy()
    est.set_params(learning_rate_init=1e-9).partial_fit(X, y)
    assert 0 < np.abs(est.coef_ - before).max() < 1e-6
    est.set_params(solver="adam", learning_rate_init=1e-3).partial_fit(X, y)
    assert type(est._optimizer).__name__ == "Adam"
    assert est._optimizer.learning_rate_init == 1e-3
    # A schedule set since starts from its own value, not from a decayed rate.
    est = LogisticRegressionGD(batch_size=200, learning_rate="invscaling")
    for _ in range(3):
        est.partial_fit(X, y, classes=np.unique(y))
    assert est._optimizer.learning_rate < 0.01
    est.set_params(learning_rate="constant").partial_fit(X, y)
    assert est._optimizer.learning_rate == 0.1


def test_partial_fit_without_weights_means_weights_of_one(digits):
    X, y = digits
    classes = np.unique(y)
    ones, tens = np.ones(len(y)), np.full(len(y), 10.0)

    def fitted(first, second):
        est = LogisticRegressionGD(batch_size=200, random_state=0)
        est.partial_fit(X, y, classes=classes, sample_weight=first)
        return est.partial_fit(X, y, sample_weight=second).coef_

    # An unweighted first call makes 1 the unit: 10 then weighs ten times more.
    assert_array_equal(fitted(None, ones), fitted(None, None))
    assert np.abs(fitted(None, tens) - fitted(None, ones)).max() > 1e-3
    # After a weighted first call, no weights are weights of one.
    assert_array_equal(fitted(tens, None), fitted(tens, ones))


def test_balanced_class_weight_counts_the_sample_weights():
    """'balanced' divides by each class's total weight, as LogisticRegression."""
    X, y = _standardised(load_breast_cancer)
    sw = np.random.RandomState(0).uniform(0.1, 3, len(y))
    totals = np.bincount(y, weights=sw)
    balanced = sw.sum() / (2 * totals)
    by_hand = LogisticRegressionGD(max_iter=300).fit(
        X, y, sample_weight=sw * balanced[y]
    )
    est = LogisticRegressionGD(max_iter=300, class_weight="balanced")
    assert_allclose(est.fit(X, y, sample_weight=sw).coef_, by_hand.coef_, rtol=1e-10)


@pytest.mark.parametrize(
    "weights, message",
    [
        ({0: 1, 1: np.nan}, r"class_weight\[1\] must be finite and >= 0, got nan"),
        ({0: np.inf, 1: 1}, r"class_weight\[0\] must be finite and >= 0, got inf"),
        ({0: -1, 1: 1}, r"class_weight\[0\] must be finite and >= 0"),
        ({0: "a", 1: 1}, r"class_weight\[0\] must be a number, got 'a'"),
    ],
)
def test_class_weight_values_are_checked_by_name(weights, message):
    # They used to surface as "The sample weights sum to zero or less".
    X, y = np.random.default_rng(0).random((10, 2)), np.arange(10) % 2
    with pytest.raises(ValueError, match=message):
        LogisticRegressionGD(class_weight=weights).fit(X, y)
