import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import is_classifier
from sklearn.datasets import (
    load_digits,
    make_friedman1,
    make_multilabel_classification,
)
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_val_score,
    train_test_split,
)
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skdbn import DBNClassifier, DBNRegressor, DBNTransformer, RBMTransformer
from skdbn._network import init_gradients, loss_and_gradients
from skdbn._training import DivergenceError

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Quick pre-training: 3 epochs of batches of 10 (the 'auto' values train longer).
SMALL = dict(
    hidden_layer_sizes=(32, 16), rbm_n_iter=3, rbm_batch_size=10, random_state=0
)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float64), y


def test_first_layer_equals_rbm_transformer(digits):
    X, _ = digits
    rbm_params = dict(
        learning_rate=0.05,
        n_iter=3,
        batch_size=10,
        k=2,
        persistent=False,
        momentum=0.5,
        final_momentum=0.9,
        momentum_switch=2,
        weight_decay=1e-4,
        sparsity_target=0.05,
        sparsity_cost=0.1,
    )
    dbn_params = {f"rbm_{k}": v for k, v in rbm_params.items()}
    dbn = DBNTransformer(hidden_layer_sizes=(20, 10), random_state=3, **dbn_params)
    dbn.fit(X)
    rbm = RBMTransformer(n_components=20, random_state=3, **rbm_params).fit(X)
    assert_array_equal(dbn.rbms_[0].components_, rbm.components_)
    assert_array_equal(dbn.rbms_[0].intercept_hidden_, rbm.intercept_hidden_)
    assert_array_equal(dbn.rbms_[0].intercept_visible_, rbm.intercept_visible_)
    clf = DBNClassifier(
        hidden_layer_sizes=(20, 10), random_state=3, max_iter=1, **dbn_params
    ).fit(X, digits[1])
    assert_allclose(clf.pretraining_curves_[0], rbm.loss_curve_)


def test_transformer_layers_are_fitted_rbms(digits):
    X, _ = digits
    dbn = DBNTransformer(**SMALL).fit(X)
    assert [r.components_.shape for r in dbn.rbms_] == [(32, 64), (16, 32)]
    H1 = dbn.rbms_[0].transform(X)
    assert_allclose(dbn.transform(X), dbn.rbms_[1].transform(H1))
    assert dbn.transform(X).shape == (len(X), 16)
    assert_array_equal(
        dbn.get_feature_names_out(), [f"dbntransformer{i}" for i in range(16)]
    )
    # Top-down pass returns data-shaped probabilities.
    X_rec = dbn.inverse_transform(dbn.transform(X))
    assert X_rec.shape == X.shape and X_rec.min() >= 0 and X_rec.max() <= 1
    assert np.mean((X_rec - X) ** 2) < np.mean((X.mean(axis=0) - X) ** 2)


def test_float32_and_sparse(digits):
    X, y = digits
    dbn = DBNTransformer(**SMALL).fit(X.astype(np.float32))
    assert dbn.transform(X.astype(np.float32)).dtype == np.float32
    dense = DBNClassifier(max_iter=5, **SMALL).fit(X, y)
    sparse = DBNClassifier(max_iter=5, **SMALL).fit(sp.csr_matrix(X), y)
    assert_allclose(
        sparse.predict_proba(sp.csr_matrix(X)),
        dense.predict_proba(X),
        rtol=1e-6,
        atol=1e-8,
    )
    c32 = DBNClassifier(max_iter=5, **SMALL).fit(X.astype(np.float32), y)
    assert all(c.dtype == np.float32 for c in c32.coefs_ + c32.intercepts_)
    assert c32.predict_proba(X.astype(np.float32)).dtype == np.float32


def test_sample_passes_means_down_or_draws_every_layer(digits):
    X, _ = digits
    dbn = DBNTransformer(**SMALL).fit(X)
    bottom, top = dbn.rbms_
    # Default: the top RBM's visible means, passed down by mean field.
    means = dbn.sample(5, n_steps=10, random_state=0)
    expected = bottom.inverse_transform(top.sample(5, n_steps=10, random_state=0))
    assert_array_equal(means, expected)
    # draw=True: binary states at every layer, reproducible from random_state.
    V = dbn.sample(3000, n_steps=0, random_state=0, draw=True)
    assert V.shape == (3000, 64) and set(np.unique(V)) <= {0.0, 1.0}
    again = dbn.sample(3000, n_steps=0, random_state=0, draw=True)
    assert_array_equal(V, again)
    # With no Gibbs step, h1 ~ Bernoulli(sigmoid(a_top)), then v ~ P(v | h1):
    # the draws' mean is the mean of the conditional means over draws of h1.
    rng = np.random.RandomState(1)
    p1 = 1 / (1 + np.exp(-top.intercept_visible_))
    H1 = (rng.rand(20000, p1.size) < p1).astype(float)
    assert np.abs(V.mean(axis=0) - bottom.inverse_transform(H1).mean(0)).max() < 0.04


def test_sampling_generates_recognisable_digits(digits):
    X, y = digits
    X_bin = (X > 0.5).astype(float)
    judge = LogisticRegression(max_iter=2000).fit(X_bin, y)
    confident = lambda Z: np.mean(judge.predict_proba(Z).max(axis=1) > 0.9)  # noqa: E731
    assert confident(X_bin) > 0.65  # the judge is sure of ~71% of real digits
    dbn = DBNTransformer(
        hidden_layer_sizes=(200, 100),
        # 100 epochs: over seeds 0-5 the share of confident samples is 0.61-0.92
        # (50 epochs: 0.35-0.70, too close to the threshold).
        rbm_n_iter=100,
        rbm_batch_size=10,
        rbm_persistent=True,
        rbm_learning_rate=0.01,
        random_state=0,
    ).fit(X_bin)
    samples = dbn.sample(100, n_steps=200, random_state=0)
    assert samples.shape == (100, 64)
    assert confident(samples) > 0.5
    # Broken samplers fail the same test: independent pixels with the data's
    # marginals, uniform noise, or the mean digit.
    rng = np.random.RandomState(0)
    assert confident(rng.rand(100, 64) < X_bin.mean(axis=0)) < 0.25
    assert confident(rng.rand(100, 64)) < 0.25
    assert confident(np.tile(X_bin.mean(axis=0), (100, 1))) < 0.25
    # Different chains produce different digits.
    assert len(set(judge.predict(samples))) >= 7


def test_digits_cross_validation_with_defaults(digits):
    # Shuffled, stratified 5-fold CV (with unshuffled folds every model loses 2-4
    # points: the folds then separate writers). Same protocol, for reference:
    # MLPClassifier() 0.978, SVC(gamma=0.05, C=10) 0.987.
    X, y = digits
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    scores = cross_val_score(DBNClassifier(random_state=0), X, y, cv=cv)
    assert scores.mean() >= 0.98, scores


def test_pretraining_helps_on_small_data(digits):
    X, y = digits
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=300, random_state=0, stratify=y
    )
    params = dict(hidden_layer_sizes=(100,), max_iter=100, random_state=0)
    pre = DBNClassifier(**params).fit(X_train, y_train).score(X_test, y_test)
    raw = DBNClassifier(pretrain=False, **params).fit(X_train, y_train)
    assert raw.pretraining_curves_ is None
    assert pre > raw.score(X_test, y_test)


def test_fine_tuning_gradient_matches_finite_differences(digits):
    X, y = digits
    clf = DBNClassifier(max_iter=2, **SMALL).fit(X[:200], y[:200])
    Xs, Ys = X[:7], clf._label_binarizer.transform(y[:7]).astype(float)
    coefs = [c.copy() for c in clf.coefs_]
    intercepts = [b.copy() for b in clf.intercepts_]
    grads = init_gradients(coefs, intercepts)
    loss_and_gradients(Xs, Ys, None, coefs, intercepts, *grads, alpha=1e-3)
    rng = np.random.RandomState(0)
    eps = 1e-6
    for layer in range(3):
        for _ in range(5):
            idx = tuple(rng.randint(s) for s in coefs[layer].shape)
            old = coefs[layer][idx]
            values = []
            for step in (eps, -eps):
                coefs[layer][idx] = old + step
                g = init_gradients(coefs, intercepts)
                values.append(
                    loss_and_gradients(Xs, Ys, None, coefs, intercepts, *g, alpha=1e-3)
                )
            coefs[layer][idx] = old
            numeric = (values[0] - values[1]) / (2 * eps)
            assert_allclose(grads[0][layer][idx], numeric, rtol=1e-5, atol=1e-9)


def test_binary_and_multilabel_outputs(digits):
    X, y = digits
    binary = DBNClassifier(max_iter=30, **SMALL).fit(X, y > 4)
    assert binary.out_activation_ == "sigmoid" and binary.n_outputs_ == 1
    proba = binary.predict_proba(X)
    assert proba.shape == (len(X), 2)
    assert_allclose(proba.sum(axis=1), 1)
    assert_allclose(binary.predict_log_proba(X), np.log(proba), atol=1e-6)
    assert binary.score(X, y > 4) > 0.9

    Xm, Ym = make_multilabel_classification(n_samples=300, n_classes=4, random_state=0)
    Xm = MinMaxScaler().fit_transform(Xm)
    multi = DBNClassifier(max_iter=200, **SMALL).fit(Xm, Ym)
    assert multi.predict(Xm).shape == Ym.shape
    assert set(np.unique(multi.predict(Xm))) <= {0, 1}
    assert multi.predict_proba(Xm).shape == Ym.shape
    assert (multi.predict(Xm) == Ym).mean() > 0.8


def test_multiclass_probabilities_and_labels(digits):
    X, y = digits
    labels = np.array(list("abcdefghij"))[y]
    clf = DBNClassifier(max_iter=30, **SMALL).fit(X, labels)
    proba = clf.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1)
    assert_allclose(clf.predict_log_proba(X), np.log(proba), atol=1e-6)
    assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert clf.transform(X).shape == (len(X), 16)


def test_regressor_multi_output_against_mlp():
    X, y = make_friedman1(n_samples=600, noise=0.1, random_state=0)  # X in [0, 1]
    Y = np.column_stack([y, 10 * X[:, 3] - 5 * X[:, 4]])
    Y = (Y - Y.mean(axis=0)) / Y.std(axis=0)
    X_train, X_test, Y_train, Y_test = X[:400], X[400:], Y[:400], Y[400:]
    params = dict(hidden_layer_sizes=(64,), max_iter=1000, random_state=0)
    reg = DBNRegressor(**params).fit(X_train, Y_train)
    assert reg.predict(X_test).shape == (200, 2)
    mlp = MLPRegressor(activation="logistic", learning_rate_init=0.01, **params)
    mlp.fit(X_train, Y_train)
    # Measured: DBNRegressor 0.875, MLPRegressor 0.876 (mean R2 of both outputs).
    assert reg.score(X_test, Y_test) > 0.85
    assert reg.score(X_test, Y_test) > mlp.score(X_test, Y_test) - 0.02
    single = DBNRegressor(rbm_n_iter=2, **params).fit(X_train, Y_train[:, 1])
    assert single.predict(X_test).shape == (200,)
    assert single.score(X_test, Y_test[:, 1]) > 0.95


def test_dropout_and_early_stopping(digits):
    X, y = digits
    a = DBNClassifier(max_iter=20, dropout=0.3, **SMALL).fit(X, y)
    b = DBNClassifier(max_iter=20, **SMALL).fit(X, y)
    assert not np.allclose(a.coefs_[0], b.coefs_[0])
    assert a.score(X, y) > 0.9
    es = DBNClassifier(
        max_iter=300, early_stopping=True, n_iter_no_change=3, **SMALL
    ).fit(X, y)
    assert len(es.validation_scores_) == es.n_iter_ < 300
    assert es.best_validation_score_ == max(es.validation_scores_)


def test_partial_fit_and_warm_start(digits):
    X, y = digits
    clf = DBNClassifier(**SMALL)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X, y, classes=np.arange(10))
    first = clf.score(X, y)
    for _ in range(10):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 11 and clf.score(X, y) > first
    warm = DBNClassifier(max_iter=5, warm_start=True, **SMALL).fit(X, y)
    coefs = [c.copy() for c in warm.coefs_]
    warm.fit(X, y)
    assert len(warm.loss_curve_) == 10 and warm.n_iter_ == 5
    assert not np.allclose(coefs[0], warm.coefs_[0])  # went on from there


@pytest.mark.parametrize("odd_row", [None, 1])
def test_collapse_check_looks_at_every_row(digits, odd_row):
    # The check first looks at a spread of rows (every second one here); a single
    # other prediction anywhere, even outside that spread, means no collapse.
    X, y = digits
    X, y = X[:1000], y[:1000]
    clf = DBNClassifier(max_iter=1, **SMALL).fit(X, y)
    seen = []

    def forward(rows, check_input):
        seen.append(rows.shape[0])
        P = np.zeros((rows.shape[0], clf.classes_.size))
        P[:, 3] = 1
        if odd_row is not None and rows.shape[0] == X.shape[0]:
            P[odd_row] = np.roll(P[odd_row], 1)
        return P

    clf._forward = forward
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf._check_collapse(X, y)
    assert seen == [500, 1000]
    collapsed = [w for w in caught if "collapsed" in str(w.message)]
    assert len(collapsed) == (odd_row is None)


def test_collapse_is_reported(digits):
    X, y = digits
    clf = DBNClassifier(
        hidden_layer_sizes=(16,),
        rbm_n_iter=1,
        learning_rate_init=50.0,
        solver="sgd",
        momentum=0.0,
        max_iter=3,
        random_state=0,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    messages = [str(w.message) for w in caught]
    assert any("collapsed" in m for m in messages), messages


def test_bad_input(digits):
    X, y = digits
    clf = DBNClassifier(max_iter=2, **SMALL)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(X_nan, y)
    with pytest.raises(ValueError, match="only one class: 0.$"):  # not np.int64(0)
        clf.fit(X, np.zeros_like(y))
    with pytest.raises(ValueError, match="only one class: 'a'.$"):
        clf.fit(X, np.full(len(y), "a"))
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.fit(X, y + 0.5)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :10])
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        DBNClassifier(hidden_layer_sizes=(10, 0)).fit(X, y)
    with pytest.warns(UserWarning, match=r"\[0, 1\]"):
        DBNTransformer(**SMALL).fit(X * 16)


@pytest.mark.parametrize("make", [DBNClassifier, DBNRegressor])
def test_float32_model_on_float64_data_beyond_float32(make):
    """The network computes in X's dtype: huge float64 data gives finite outputs
    (it was cast to the float32 weights' dtype: infinity, then NaN)."""
    rng = np.random.default_rng(0)
    X32 = rng.random((6, 3)).astype(np.float32)
    est = make((3,), max_iter=2, random_state=0).fit(X32, [0, 1, 2] * 2)
    huge = np.full((2, 3), 1e300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outputs = [est.predict(huge), est.transform(huge)]
        if isinstance(est, DBNClassifier):
            outputs += [est.predict_proba(huge), est.predict_log_proba(huge)]
            assert_allclose(outputs[-2].sum(axis=1), 1)
        assert all(np.isfinite(out).all() for out in outputs)
        # the same outputs as with the weights in float64
        X = X32.astype(np.float64)
        expected = 1 / (1 + np.exp(-(X @ est.coefs_[0] + est.intercepts_[0])))
        assert est.transform(X).dtype == np.float64
        assert_allclose(est.transform(X), expected, rtol=1e-12)
        with pytest.raises(ValueError, match="too large for float32"):
            est.partial_fit(huge, [0, 1])


def test_regressor_targets_checked_after_conversion():
    rng = np.random.default_rng(0)
    X = rng.random((4, 3))
    with pytest.raises(ValueError, match="Input y contains NaN"):
        DBNRegressor((3,), max_iter=2).fit(X, np.array([None, 1.0, 2, 3], object))
    with pytest.raises(ValueError, match="y has values too large for float32"):
        DBNRegressor((3,), max_iter=2).fit(X.astype(np.float32), np.full(4, 1e300))


def test_multilabel_indicator_values_must_be_zero_or_one():
    """{0, 2} is an indicator matrix to scikit-learn, and LabelBinarizer passes
    it through: its targets of 2 would drive the cross-entropy to minus infinity."""
    rng = np.random.default_rng(0)
    X, Y = rng.random((6, 3)), np.array([[0, 1], [1, 0], [1, 1]] * 2)
    clf = DBNClassifier((3,), rbm_n_iter=1, max_iter=2, random_state=0)
    for bad in (2 * Y, sp.csr_matrix(2 * Y)):
        with pytest.raises(ValueError, match="must hold only 0 and 1"):
            clf.fit(X, bad)
    assert clf.fit(X, Y.astype(bool)).predict(X).shape == Y.shape


def test_loss_is_the_last_epoch_loss(digits):
    X, y = digits
    clf = DBNClassifier(max_iter=3, **SMALL).fit(X, y)
    assert clf.loss_ == clf.loss_curve_[-1] and len(clf.loss_curve_) == 3
    reg = DBNRegressor((8,), rbm_n_iter=1, max_iter=2, random_state=0)
    reg.partial_fit(X, y / 9.0).partial_fit(X, y / 9.0)
    assert reg.loss_ == reg.loss_curve_[-1] and len(reg.loss_curve_) == 2


def test_partial_fit_multilabel_classes_are_column_indices():
    """As MLPClassifier: ``classes`` of an indicator matrix are its columns."""
    rng = np.random.default_rng(0)
    X, Y = rng.random((6, 3)), np.array([[0, 1], [1, 0], [1, 1]] * 2)
    clf = DBNClassifier((3,), random_state=0).partial_fit(X, Y, classes=[0, 1])
    assert_array_equal(clf.classes_, [0, 1])
    assert clf.out_activation_ == "sigmoid" and clf.n_outputs_ == 2
    clf.partial_fit(X, Y)
    assert clf.predict(X).shape == Y.shape
    with pytest.raises(ValueError, match="was fitted on a multilabel indicator"):
        clf.partial_fit(X, Y[:, 0])
    with pytest.raises(ValueError, match=r"y has labels \[0\] not in classes"):
        DBNClassifier((3,)).partial_fit(X, Y, classes=[1, 2])


def test_partial_fit_classes_and_labels_are_checked():
    rng = np.random.default_rng(0)
    X, y = rng.random((3, 3)), [0, 1, 2]
    clf = DBNClassifier((3,), random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    clf.partial_fit(X, y, classes=[2, 1, 0])  # the same classes, in any order
    with pytest.raises(ValueError, match="not the same as on the first call"):
        clf.partial_fit(X, y, classes=[0, 1, 2, 3])  # as MLPClassifier
    assert_array_equal(clf.classes_, [0, 1, 2])
    with pytest.raises(ValueError, match=r"y has labels \[0\] not in classes"):
        DBNClassifier((3,)).partial_fit(X, y, classes=[1, 2])
    with pytest.raises(ValueError, match="at least 2"):
        DBNClassifier((3,)).partial_fit(X, y, classes=[])
    with pytest.raises(ValueError, match="mixes label types"):
        DBNClassifier((3,)).fit(X, np.array(["a", 1, "a"], dtype=object))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from the cast to int
        with pytest.raises(ValueError, match="Unknown label type: continuous"):
            DBNClassifier((3,)).fit(X, [1e300, 0, 1e300])


@pytest.mark.parametrize(
    "method, kwargs, name",
    [
        ("sample", {"n_samples": 0}, "n_samples"),
        ("sample", {"n_samples": 2.5}, "n_samples"),
        ("sample", {"n_samples": True}, "n_samples"),
        ("sample", {"n_steps": -1}, "n_steps"),
        ("sample", {"random_state": "x"}, "random_state"),
        ("log_likelihood_lower_bound", {"n_samples": 0}, "n_samples"),
        ("log_likelihood_lower_bound", {"n_samples": -1}, "n_samples"),
        ("log_likelihood_lower_bound", {"n_samples": 2.5}, "n_samples"),
        ("log_likelihood_lower_bound", {"n_runs": 0}, "n_runs"),
        ("log_likelihood_lower_bound", {"n_betas": 4.5}, "n_betas"),
        ("log_likelihood_lower_bound", {"n_betas": [0, np.nan, 1]}, "betas"),
    ],
)
def test_generative_arguments_are_validated(digits, method, kwargs, name):
    X = (digits[0][:50] > 0.5).astype(float)
    dbn = DBNTransformer((4, 3), rbm_n_iter=1, random_state=0).fit(X)
    dbn.rbms_[-1].estimate_log_partition()  # log Z known: n_runs, n_betas unused
    args = (X,) if method == "log_likelihood_lower_bound" else ()
    with pytest.raises(ValueError, match=name):
        getattr(dbn, method)(*args, **kwargs)


def test_inverse_transform_names_the_dbn():
    pd = pytest.importorskip("pandas")
    dbn = DBNTransformer((4, 3), rbm_n_iter=1, random_state=0).fit(np.eye(5))
    with pytest.raises(ValueError, match=r"0 feature\(s\).*DBNTransformer"):
        dbn.inverse_transform(pd.DataFrame(np.zeros((2, 0))))
    with pytest.raises(ValueError, match="DBNTransformer has 3 hidden units"):
        dbn.inverse_transform(np.zeros((2, 4)))


def test_pipeline_grid_search_cross_val_and_pickle(tmp_path, digits):
    X, y = digits
    pipe = make_pipeline(
        MinMaxScaler(),
        DBNClassifier(hidden_layer_sizes=(32,), max_iter=30, random_state=0),
    )
    grid = GridSearchCV(
        pipe,
        {"dbnclassifier__rbm_n_iter": [1, 3], "dbnclassifier__alpha": [1e-4, 1e-2]},
        cv=2,
    ).fit(X[:600], y[:600])
    assert set(grid.best_params_) == {
        "dbnclassifier__rbm_n_iter",
        "dbnclassifier__alpha",
    }
    scores = cross_val_score(grid.best_estimator_, X[:600], y[:600], cv=3)
    assert scores.mean() > 0.85
    path = tmp_path / "dbn.joblib"
    joblib.dump(grid.best_estimator_, path)
    loaded = joblib.load(path)
    assert_array_equal(loaded.predict_proba(X), grid.best_estimator_.predict_proba(X))
    features = make_pipeline(
        DBNTransformer(hidden_layer_sizes=(100,), random_state=0),
        LogisticRegression(max_iter=1000),
    )
    assert features.fit(X, y).score(X, y) > 0.95


def test_gaussian_visible_units_and_verbose(digits, capsys):
    X, y = digits
    X_std = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-8)
    dbn = DBNTransformer(
        hidden_layer_sizes=(32, 16),
        visible_units="gaussian",
        rbm_learning_rate=0.005,
        rbm_n_iter=3,
        random_state=0,
        verbose=1,
    ).fit(X_std)
    assert dbn.rbms_[0].visible_units == "gaussian"
    assert dbn.rbms_[1].visible_units == "bernoulli"
    # Gaussian reconstructions are real-valued means, not probabilities.
    X_rec = dbn.inverse_transform(dbn.transform(X_std))
    assert X_rec.min() < 0
    out = capsys.readouterr().out
    assert "pre-training layer 1/2" in out and "pre-training layer 2/2" in out
    assert "[RBMTransformer] Iteration 3" in out
    clf = DBNClassifier(
        visible_units="gaussian", rbm_learning_rate=0.005, max_iter=50, **SMALL
    ).fit(X_std, y)
    assert clf.score(X_std, y) > 0.9
    DBNClassifier((8,), rbm_n_iter=1, max_iter=2, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    header = lines.index("[DBNClassifier] fine-tuning")  # after pre-training
    assert lines[header - 2] == "[DBNClassifier] pre-training layer 1/1"
    assert lines[header + 1].startswith("Iteration 1, loss = ")


@pytest.mark.parametrize(
    "make",
    [
        lambda: DBNClassifier(max_iter=2, batch_size=50, dropout=0.2, **SMALL),
        lambda: __import__("skdbn").LogisticRegressionGD(batch_size=50, random_state=0),
    ],
    ids=["DBNClassifier", "LogisticRegressionGD"],
)
def test_partial_fit_continues_one_generator(digits, make):
    # Reseeding every call would repeat the shuffling order (and dropout masks).
    X, y = digits
    clf = make().partial_fit(X, y, classes=np.arange(10))
    rng = clf._rng
    before = rng.get_state()[1].copy()
    clf.partial_fit(X, y)
    assert clf._rng is rng and not np.array_equal(before, rng.get_state()[1])
    clf.fit(X, y)
    assert clf._rng is not rng  # fit starts afresh from random_state


# --- MLPClassifier's conventions for fit, partial_fit and warm_start -----------


def test_partial_fit_detects_collapse(digits):
    X, y = digits
    clf = DBNClassifier(
        (16,),
        rbm_n_iter=1,
        solver="sgd",
        learning_rate_init=50.0,
        momentum=0.0,
        random_state=0,
    )
    with pytest.warns(Warning) as record:
        for _ in range(3):
            clf.partial_fit(X, y, classes=np.arange(10))
    assert np.unique(clf.predict(X)).size == 1
    assert any("collapsed" in str(w.message) for w in record)


def test_failed_fit_leaves_the_estimator_as_it_was(digits):
    X, y = digits
    bad = X.copy()
    bad[0, 0] = np.nan
    reg = DBNRegressor((8,), rbm_n_iter=1, max_iter=2)
    with pytest.raises(ValueError, match="NaN"):
        reg.fit(bad, y)
    assert vars(reg) == vars(DBNRegressor((8,), rbm_n_iter=1, max_iter=2))
    clf = DBNClassifier((8,), rbm_n_iter=1, max_iter=2, random_state=0).fit(X, y)
    before = clf.predict_proba(X)
    with pytest.raises(ValueError, match="only one class"):
        clf.fit(X[:, :10], np.zeros(len(X)))
    assert clf.n_features_in_ == 64
    assert_array_equal(clf.predict_proba(X), before)


def test_warm_start_continues_or_says_why_not(digits):
    X, y = digits
    clf = DBNClassifier(
        (16,), rbm_n_iter=1, max_iter=5, warm_start=True, random_state=0
    ).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.fit(X[:, :32], y)
    assert clf.n_features_in_ == 64 and clf.coefs_[0].shape == (64, 16)
    clf.fit(X.astype(np.float32), y)  # converted to the model's dtype: continues
    assert len(clf.loss_curve_) == 10 and clf.coefs_[0].dtype == np.float64
    with pytest.raises(ValueError, match=r"hidden_layer_sizes=\(32, 8\)"):
        clf.set_params(hidden_layer_sizes=(32, 8)).fit(X, y)
    reg = DBNRegressor((8,), rbm_n_iter=1, max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="number of targets=2"):
        reg.partial_fit(X, np.c_[y, y])
    with pytest.raises(ValueError, match="number of targets=2"):
        reg.set_params(warm_start=True).fit(X, np.c_[y, y])


def test_early_stopping_history_follows_mlp(digits):
    X, y = digits
    clf = DBNClassifier(
        (16,),
        rbm_n_iter=1,
        max_iter=8,
        early_stopping=True,
        n_iter_no_change=2,
        random_state=0,
    )
    with pytest.raises(ValueError, match="early_stopping"):
        clf.partial_fit(X, y, classes=np.arange(10))
    assert not hasattr(clf, "coefs_")  # refused before any work
    clf.fit(X, y)
    assert clf.best_loss_ is None  # as MLPClassifier: the validation score decides
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    # A warm refit starts its stopping rule afresh: its best score is its own.
    n_before = len(clf.validation_scores_)
    clf.set_params(warm_start=True, solver="sgd", learning_rate_init=1.0).fit(X, y)
    assert clf.best_validation_score_ == max(clf.validation_scores_[n_before:])


def test_alpha_is_divided_by_each_batchs_rows(digits, monkeypatch):
    from skdbn import _network

    X, y = digits
    seen = []
    original = _network.loss_and_gradients

    def spy(X, *args, alpha, **kwargs):
        seen.append((X.shape[0], alpha))
        return original(X, *args, alpha=alpha, **kwargs)

    monkeypatch.setattr(_network, "loss_and_gradients", spy)
    DBNClassifier(
        (8,),
        pretrain=False,
        max_iter=1,
        alpha=1.0,
        batch_size=None,
        early_stopping=True,
        validation_fraction=0.5,
        random_state=0,
    ).fit(X[:150], y[:150])
    DBNClassifier(
        (8,), pretrain=False, max_iter=1, alpha=1.0, batch_size=100, random_state=0
    ).fit(X[:150], y[:150])
    assert seen == [(75, 1 / 75), (100, 1 / 100), (50, 1 / 50)]


def test_batch_size_larger_than_the_data_warns(digits):
    X, y = digits
    with pytest.warns(UserWarning, match="clipped to 100"):
        DBNClassifier((8,), pretrain=False, max_iter=1, batch_size=500).fit(
            X[:100], y[:100]
        )


def test_regressor_fits_targets_far_from_zero():
    # The output biases start at the targets' means: shifting the targets
    # shifts the predictions and nothing else (MLPRegressor, and this model with
    # zero biases, fit a constant to diabetes' raw targets, 25 to 346).
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    params = dict(hidden_layer_sizes=(32,), rbm_n_iter=2, max_iter=50, random_state=0)
    centred = DBNRegressor(**params).fit(X, y - 150)
    raw = DBNRegressor(**params).fit(X, y)
    assert_allclose(raw.predict(X), centred.predict(X) + 150, atol=1e-6)
    assert raw.score(X, y) > 0.1  # a constant prediction scores 0


def test_regressor_refuses_sparse_targets():
    X = np.random.default_rng(0).random((6, 3))
    y = sp.csr_matrix(np.arange(6.0)[:, None])
    for fit in (DBNRegressor((3,), max_iter=2).fit, DBNRegressor((3,)).partial_fit):
        with pytest.raises(TypeError, match="Sparse data was passed for y"):
            fit(X, y)


def test_regressor_targets_whose_squared_errors_overflow():
    X = np.random.default_rng(0).random((6, 3))
    y = np.arange(6.0) * 1e300
    with pytest.raises(ValueError, match="y has values too far apart for float64"):
        DBNRegressor((3,), max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="too far apart for float32"):
        DBNRegressor((3,), max_iter=2).fit(X.astype(np.float32), y * 1e-280)
    # Within range they train; a divergence's advice names the targets too.
    DBNRegressor((3,), max_iter=2, rbm_n_iter=1).fit(X, y * 1e-150)
    with pytest.raises(DivergenceError, match="scale the input features or the targ"):
        DBNRegressor(
            (3,), max_iter=2, rbm_n_iter=1, learning_rate_init=1e300, solver="sgd"
        ).fit(X, y * 1e-150)


@pytest.mark.parametrize("Estimator", [DBNClassifier, DBNRegressor, DBNTransformer])
def test_numpy_scalar_parameters_train_as_python_numbers(digits, Estimator):
    """A grid from np.arange passes NumPy scalars: the same model, no crash (an
    np.int64 momentum switch used to index a tuple with np.bool_)."""
    X, y = digits[0][:100], digits[1][:100]
    plain = dict(rbm_n_iter=3, rbm_momentum_switch=1, rbm_batch_size=10)
    plain.update(rbm_momentum=0.5, rbm_learning_rate=0.1)
    if Estimator is not DBNTransformer:
        plain["max_iter"] = 2
    numpy = {k: np.asarray(v)[()] for k, v in plain.items()}  # np.int64, np.float64
    models = [
        Estimator((8,), random_state=0, **params).fit(X, y) for params in (plain, numpy)
    ]
    if Estimator is DBNTransformer:
        weights = [m.rbms_[0].components_ for m in models]
    else:
        weights = [np.concatenate([c.ravel() for c in m.coefs_]) for m in models]
    assert_array_equal(*weights)


def _initial_network(monkeypatch, **params):
    """The network fine-tuning starts from: fit with fine-tuning skipped."""
    from skdbn._dbn_network import BaseDBNNetwork

    monkeypatch.setattr(BaseDBNNetwork, "_fine_tune", lambda self, *a, **k: self)
    return params


@pytest.mark.parametrize("sizes", [(12,), (12, 10), (12, 10, 8)])
@pytest.mark.parametrize("Estimator", [DBNClassifier, DBNRegressor])
def test_tanh_starts_from_the_pretrained_network(digits, monkeypatch, sizes, Estimator):
    X, y = digits
    X, y = X[:300], y[:300]
    params = dict(
        hidden_layer_sizes=sizes, rbm_n_iter=3, rbm_batch_size=20, rbm_learning_rate=0.1
    )
    _initial_network(monkeypatch)
    sig = Estimator(activation="logistic", random_state=0, **params).fit(X, y)
    tanh = Estimator(activation="tanh", random_state=0, **params).fit(X, y)
    assert tanh.n_iter_ == 0
    # The weights differ (halved, offsets moved) but the network is the same.
    assert_allclose(tanh.coefs_[0], sig.coefs_[0] / 2, rtol=1e-12, atol=0)
    assert np.abs(sig.coefs_[0]).max() > 0.05  # pre-training moved the weights
    assert_allclose(tanh.transform(X), 2 * sig.transform(X) - 1, atol=1e-12)
    assert_allclose(tanh.predict(X), sig.predict(X), rtol=1e-10, atol=1e-12)
    if Estimator is DBNClassifier:
        assert_allclose(tanh.predict_proba(X), sig.predict_proba(X), atol=1e-12)
        assert_allclose(tanh.predict_log_proba(X), sig.predict_log_proba(X), atol=1e-10)


@pytest.mark.parametrize("activation", ["relu", "identity"])
@pytest.mark.parametrize("Estimator", [DBNClassifier, DBNRegressor])
def test_relu_and_identity_refuse_pretraining(digits, activation, Estimator):
    X, y = digits
    est = Estimator(activation=activation, **SMALL)
    with pytest.raises(ValueError, match="pretrain=False") as info:
        est.fit(X[:100], y[:100])
    assert "binary (sigmoid)" in str(info.value)
    assert not hasattr(est, "coefs_")
    with pytest.raises(ValueError, match="pretrain=False"):
        Estimator(activation=activation, **SMALL).partial_fit(
            X[:100],
            y[:100],
            **({"classes": np.arange(10)} if is_classifier(est) else {}),
        )


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
def test_every_activation_learns_digits(digits, activation):
    X, y = digits
    clf = DBNClassifier(
        hidden_layer_sizes=(32,),
        pretrain=False,
        activation=activation,
        max_iter=30,
        random_state=0,
    ).fit(X[:1200], y[:1200])
    assert clf.score(X[1200:], y[1200:]) > 0.85
    # The hidden layer really uses the activation.
    H = clf.transform(X[:50])
    Z = X[:50] @ clf.coefs_[0] + clf.intercepts_[0]
    expected = {
        "logistic": 1 / (1 + np.exp(-Z)),
        "tanh": np.tanh(Z),
        "relu": np.maximum(Z, 0),
        "identity": Z,
    }[activation]
    assert_allclose(H, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_fine_tuning_gradient_follows_the_activation(digits, activation, monkeypatch):
    # Early stopping's validation score, partial_fit and warm starts all go
    # through the estimator's activation: record what fine-tuning is given.
    import skdbn._network as network

    seen = set()
    original = network.forward

    def recording_forward(X, coefs, intercepts, hidden, *args, **kwargs):
        seen.add(hidden)
        return original(X, coefs, intercepts, hidden, *args, **kwargs)

    monkeypatch.setattr(network, "forward", recording_forward)
    X, y = digits
    params = dict(hidden_layer_sizes=(16,), pretrain=False, activation=activation)
    DBNClassifier(early_stopping=True, max_iter=3, **params).fit(X, y)
    clf = DBNClassifier(warm_start=True, max_iter=2, **params).fit(X, y)
    clf.fit(X, y).partial_fit(X, y)
    clf.predict_proba(X)
    DBNRegressor(early_stopping=True, max_iter=2, **params).fit(X, y / 9.0)
    assert seen == {activation}


def test_activation_survives_model_files(tmp_path, digits):
    from skdbn import io

    X, y = digits
    clf = DBNClassifier(activation="tanh", max_iter=3, **SMALL).fit(X, y)
    path = tmp_path / "tanh.skops"
    io.save(clf, path)
    loaded = io.load(path)
    assert loaded.activation == "tanh"
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_from_weights_computes_xor_and_trains_on():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array(["off", "on", "on", "off"])
    # tanh units: OR, NAND, and their AND at the output (a sigmoid).
    coefs = [[[10, -10], [10, -10]], [[10], [10]]]
    intercepts = [[-5, 15], [-10]]
    clf = DBNClassifier.from_weights(
        coefs, intercepts, classes=["off", "on"], activation="tanh", pretrain=False
    )
    assert_array_equal(clf.predict(X), y)
    assert clf.score(X, y) == 1.0
    H = np.tanh(X @ np.array(coefs[0]) + intercepts[0])
    expected = 1 / (1 + np.exp(-(H @ np.array(coefs[1]) + intercepts[1])))
    assert_allclose(clf.predict_proba(X)[:, 1], expected[:, 0], rtol=1e-12)
    assert clf.hidden_layer_sizes == (2,) and clf.n_iter_ == 0
    assert clf.coefs_[0].dtype == np.float64 and clf.n_features_in_ == 2
    coefs[0][0][0] = 0  # the estimator holds copies
    assert clf.coefs_[0][0, 0] == 10
    # Fine-tuning goes on from the hand-set weights.
    clf.set_params(warm_start=True, max_iter=5, learning_rate_init=1e-3)
    clf.fit(X, y)
    assert clf.n_iter_ == 5 and clf.score(X, y) == 1.0
    clf.partial_fit(X, y, classes=["off", "on"])
    assert_array_equal(clf.predict(X), y)


def test_from_weights_multiclass_and_regressor():
    rng = np.random.RandomState(0)
    coefs = [rng.normal(size=(4, 3)), rng.normal(size=(3, 3))]
    intercepts = [np.zeros(3, dtype=np.float32), np.zeros(3, dtype=np.float32)]
    clf = DBNClassifier.from_weights(coefs, intercepts, classes=[2, 0, 1])
    assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.out_activation_ == "softmax"
    X = rng.rand(5, 4)
    P = 1 / (1 + np.exp(-(X @ coefs[0])))
    Z = P @ coefs[1]
    proba = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    assert_allclose(clf.predict_proba(X), proba, rtol=1e-12)
    reg = DBNRegressor.from_weights(
        [np.ones((4, 2), np.float32), np.ones((2, 1), np.float32)],
        [np.zeros(2, np.float32), np.full(1, 0.5, np.float32)],
        activation="identity",
    )
    assert reg.coefs_[0].dtype == np.float32
    assert_allclose(reg.predict(X), 2 * X.sum(axis=1) + 0.5, rtol=1e-6)
    # Not pre-trained again: pretrain=True does not stop relu units going on.
    reg = DBNRegressor.from_weights(
        [np.ones((4, 2)), np.ones((2, 1))],
        [np.zeros(2), np.zeros(1)],
        activation="relu",
        warm_start=True,
        max_iter=2,
    )
    reg.fit(X, X.sum(axis=1)).partial_fit(X, X.sum(axis=1))
    assert reg.n_iter_ == 3 and reg.t_ == 15  # two epochs, then one


@pytest.mark.parametrize(
    "coefs, intercepts, kwargs, match",
    [
        ([np.ones((2, 3))], [np.zeros(3)], {}, "at least two"),
        ([np.ones((2, 3)), np.ones((4, 1))], [np.zeros(3), np.zeros(1)], {}, "Layer 1"),
        ([np.ones((2, 3)), np.ones((3, 1))], [np.zeros(2), np.zeros(1)], {}, "Layer 0"),
        (
            [np.ones((2, 3)), np.ones((3, 3))],
            [np.zeros(3), np.zeros(3)],
            {},
            "need 1 output",
        ),
        (
            [np.ones((2, 3)), np.ones((3, 1))],
            [np.zeros(3), np.array([np.nan])],
            {},
            "finite",
        ),
        (
            [np.ones((2, 3)), np.ones((3, 1))],
            [np.zeros(3), np.zeros(1)],
            {"hidden_layer_sizes": (4,)},
            "does not match",
        ),
    ],
)
def test_from_weights_checks_the_network(coefs, intercepts, kwargs, match):
    with pytest.raises(ValueError, match=match):
        DBNClassifier.from_weights(coefs, intercepts, classes=[0, 1], **kwargs)


def test_from_weights_validates_parameters():
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="activation"):
        DBNClassifier.from_weights(
            [np.ones((2, 3)), np.ones((3, 1))],
            [np.zeros(3), np.zeros(1)],
            classes=[0, 1],
            activation="softsign",
        )


def test_continuing_cannot_change_the_activation(digits):
    X, y = digits
    clf = DBNClassifier(activation="tanh", max_iter=2, **SMALL).fit(X, y)
    clf.set_params(activation="logistic", warm_start=True)
    with pytest.raises(ValueError, match="activation='logistic'.*'tanh'"):
        clf.fit(X, y)
    with pytest.raises(ValueError, match="activation"):
        clf.partial_fit(X, y)
    clf.set_params(warm_start=False).fit(X, y)  # a new model may
    assert clf._fitted_activation == "logistic"

def test_score_is_the_mean_lower_bound_and_keeps_log_z_unknown(digits):
    from sklearn.base import clone

    X = (digits[0][:200] > 0.5).astype(float)
    dbn = DBNTransformer((12, 6), random_state=0).fit(X)
    score = dbn.score(X)
    assert not hasattr(dbn.rbms_[-1], "log_partition_")  # a score changes nothing
    assert score == dbn.score(X)  # deterministic
    twin = clone(dbn).fit(X)
    bound = twin.log_likelihood_lower_bound(X, random_state=0)
    assert score == pytest.approx(bound.mean(), rel=1e-12)
    # one layer: the bound is the exact mean log-likelihood of the RBM
    one = DBNTransformer((6,), rbm_n_iter=3, random_state=0).fit(X)
    rbm = one.rbms_[0]
    exact = rbm.estimate_log_partition().log_likelihood(X).mean()
    del rbm.log_partition_, rbm.log_partition_bounds_
    assert one.score(X) == pytest.approx(exact, rel=1e-10)
    # a trained stack beats an untrained one
    untrained = DBNTransformer((12, 6), rbm_n_iter=0, random_state=0).fit(X)
    assert score > untrained.score(X) + 1
