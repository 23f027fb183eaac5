"""Ctrl-C during fit: a usable model with the weights of the last complete epoch."""

import signal
import threading

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skdbn import (
    DBNClassifier,
    DBNRegressor,
    DBNTransformer,
    LogisticRegressionGD,
    RBMTransformer,
    on_epoch,
)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16)[:600], y[:600]


def interrupt_at(stage, epoch):
    """An on_epoch callback that raises KeyboardInterrupt at ``(stage, epoch)``."""

    def callback(event):
        if event.stage == stage and event.epoch == epoch:
            raise KeyboardInterrupt

    return callback


def weights(est):
    if hasattr(est, "coefs_"):
        return [*est.coefs_, *est.intercepts_]
    if hasattr(est, "rbms_"):
        return [rbm.components_ for rbm in est.rbms_]
    if hasattr(est, "components_"):
        return [est.components_, est.intercept_hidden_, est.intercept_visible_]
    return [est.coef_, est.intercept_]


def assert_same_weights(a, b):
    for wa, wb in zip(weights(a), weights(b), strict=True):
        np.testing.assert_array_equal(wa, wb)


GD_CASES = {
    "logistic": (
        lambda n: LogisticRegressionGD(
            max_iter=n, batch_size=32, tol=0.0, n_iter_no_change=10**6, random_state=0
        ),
        "training",
    ),
    "rbm": (
        lambda n: RBMTransformer(n_components=16, n_iter=n, random_state=0),
        "training",
    ),
    "dbn-classifier": (
        lambda n: DBNClassifier(
            (16,),
            rbm_n_iter=2,
            max_iter=n,
            tol=0.0,
            n_iter_no_change=10**6,
            batch_size=32,
            random_state=0,
        ),
        "fine-tuning",
    ),
    "dbn-regressor": (
        lambda n: DBNRegressor(
            (16,),
            rbm_n_iter=2,
            max_iter=n,
            tol=0.0,
            n_iter_no_change=10**6,
            batch_size=32,
            random_state=0,
        ),
        "fine-tuning",
    ),
}


@pytest.mark.parametrize("case", GD_CASES)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_interrupted_fit_equals_a_fit_that_stopped_there(digits, case):
    """Ctrl-C in epoch 4 keeps epoch 3: the same model as a 3-epoch fit."""
    make, stage = GD_CASES[case]
    X, y = digits
    with (
        on_epoch(interrupt_at(stage, 4)),
        pytest.warns(UserWarning, match=f"{stage} interrupted.*after 3 complete"),
    ):
        interrupted = make(50).fit(X, y)
    assert interrupted.n_iter_ == 3
    assert len(interrupted.loss_curve_) == 3
    assert_same_weights(interrupted, make(3).fit(X, y))
    if hasattr(interrupted, "predict"):
        assert interrupted.predict(X).shape == y.shape


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_interrupted_pretraining_skips_the_rest_and_says_so(digits):
    X, y = digits
    make = lambda: DBNClassifier(  # noqa: E731
        (16, 8), rbm_n_iter=6, max_iter=5, random_state=0
    )
    with (
        on_epoch(interrupt_at("pre-training layer 1/2", 3)),
        pytest.warns(UserWarning) as record,
    ):
        dbn = make().fit(X, y)
    messages = " | ".join(str(w.message) for w in record)
    assert "pre-training layer 1/2 interrupted by the user after 2 complete" in messages
    assert "layer 2 keeps its initial weights and fine-tuning was skipped" in messages
    assert dbn.n_iter_ == 0 and dbn.loss_curve_ == [] and dbn.loss_ is None
    assert [len(c) for c in dbn.pretraining_curves_] == [2, 0]
    # Layer 1 is exactly an RBM trained for the two complete epochs.
    rbm = RBMTransformer(
        n_components=16,
        n_iter=2,
        batch_size="auto",  # the DBN's defaults
        learning_rate="auto",
        persistent=False,
        momentum=0.5,
        final_momentum=0.9,
        weight_decay=1e-4,
        random_state=0,
    ).fit(X)
    np.testing.assert_array_equal(dbn.coefs_[0], rbm.components_.T)
    assert np.isfinite(dbn.predict_proba(X)).all()
    # Fitting again trains everything; an interrupted refit has no stale loss_.
    dbn = make().fit(X, y)
    assert dbn.n_iter_ == 5 and dbn.loss_ == dbn.loss_curve_[-1]
    with (
        on_epoch(interrupt_at("pre-training layer 1/2", 2)),
        pytest.warns(UserWarning),
    ):
        assert dbn.fit(X, y).loss_ is None


def test_interrupted_dbn_transformer_is_usable(digits):
    X = digits[0]
    with (
        on_epoch(interrupt_at("pre-training layer 2/3", 1)),
        pytest.warns(UserWarning) as record,
    ):
        dbn = DBNTransformer((12, 8, 4), rbm_n_iter=3, random_state=0).fit(X)
    messages = [str(w.message) for w in record]
    assert len(messages) == 2
    assert "layer 2/3 interrupted by the user after 0 complete" in messages[0]
    assert "so layer 3 keeps its initial weights. Fit again" in messages[1]
    assert [rbm.n_iter_ for rbm in dbn.rbms_] == [3, 0, 0]
    assert dbn.transform(X).shape == (len(X), 4)


def test_partial_fit_after_an_interruption_goes_on(digits):
    X, y = digits
    clf = LogisticRegressionGD(batch_size=32, random_state=0)
    clf.partial_fit(X, y, classes=np.unique(y))
    with (
        on_epoch(interrupt_at("training", 2)),
        pytest.warns(UserWarning, match="interrupted"),
    ):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 1
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 2 and np.isfinite(clf.coef_).all()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_real_sigint_at_a_random_moment(digits):
    """SIGINT from another thread lands anywhere in an epoch; the model is whole.

    Whatever the moment, the result is the model of a fit that ran exactly
    ``n_iter_`` epochs.
    """
    X, y = digits
    make = GD_CASES["logistic"][0]
    timer = threading.Timer(0.05, signal.raise_signal, args=(signal.SIGINT,))

    def start_timer(event):
        if event.epoch == 1:
            timer.start()

    clf = make(10**4)
    # Python turns SIGINT into KeyboardInterrupt only if its parent did not ignore
    # the signal (background jobs of a non-interactive shell do): install it here.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with on_epoch(start_timer), pytest.warns(UserWarning, match="interrupted"):
            clf.fit(X, y)
    except KeyboardInterrupt:  # pragma: no cover - the failure this test catches
        pytest.fail("KeyboardInterrupt escaped fit")
    finally:
        timer.join()
        signal.signal(signal.SIGINT, previous)
    assert 1 <= clf.n_iter_ < 10**4
    assert len(clf.loss_curve_) == clf.n_iter_
    assert_same_weights(clf, make(clf.n_iter_).fit(X, y))
