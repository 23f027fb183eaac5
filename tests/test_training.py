import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from skdbn import _training
from skdbn._optimizers import SGD


class Quadratic:
    """Loss 0.5 * mean_i ||w - x_i||^2: the optimum is the mean of the batch."""

    def __init__(self, n_features, interrupt_at=None):
        self.params = [np.zeros(n_features)]
        self.grads = [np.zeros(n_features)]
        self.calls = 0
        self.batches = []
        self.interrupt_at = interrupt_at

    def __call__(self, X, y=None, sw=None, scale=1.0):
        self.calls += 1
        if self.calls == self.interrupt_at:
            raise KeyboardInterrupt
        self.batches.append(X.copy())
        diff = self.params[0] - X
        self.grads[0][:] = scale * diff.mean(axis=0)
        return 0.5 * float((diff**2).sum(axis=1).mean())


class Est:
    pass


def _train(objective, X, **kwargs):
    est = Est()
    _training.init_history(est, early_stopping=kwargs.get("validation") is not None)
    options = dict(
        max_iter=50, batch_size=X.shape[0], shuffle=False, rng=np.random.RandomState(0)
    )
    options.update(kwargs)
    lr = options.pop("lr", 0.5)
    _training.train(est, objective, SGD(objective.params, lr, momentum=0), X, **options)
    return est


def test_full_batch_converges_to_mean_and_gtol_stops():
    X = np.random.RandomState(0).normal(size=(20, 3))
    objective = Quadratic(3)
    est = _train(objective, X, gtol=1e-8, max_iter=1000)
    assert_allclose(objective.params[0], X.mean(axis=0), atol=1e-7)
    assert est.n_iter_ < 1000
    assert est.t_ == 20 * est.n_iter_
    assert len(est.loss_curve_) == est.n_iter_
    assert np.all(np.diff(est.loss_curve_) <= 1e-12)


def test_tol_rule_stops_when_loss_plateaus():
    X = np.random.RandomState(0).normal(size=(20, 3))
    est = _train(Quadratic(3), X, tol=1e-3, n_iter_no_change=2, max_iter=1000)
    assert 3 <= est.n_iter_ < 100


def test_max_iter_warns():
    X = np.random.RandomState(0).normal(size=(20, 3))
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(3\\)"):
        est = _train(Quadratic(3), X, max_iter=3, lr=0.01)
    assert est.n_iter_ == 3


def test_incremental_runs_one_epoch_without_warning():
    X = np.random.RandomState(0).normal(size=(20, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = _train(Quadratic(3), X, max_iter=3, incremental=True)
    assert est.n_iter_ == 1


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_minibatches_are_reshuffled_every_epoch():
    X = np.arange(12, dtype=float).reshape(12, 1)
    objective = Quadratic(1)
    _train(objective, X, batch_size=4, shuffle=True, max_iter=2, lr=0.01)
    epochs = [np.concatenate(objective.batches[i : i + 3]).ravel() for i in (0, 3)]
    for order in epochs:
        assert sorted(order) == list(range(12))  # every sample exactly once
    assert not np.array_equal(epochs[0], epochs[1])
    assert not np.array_equal(epochs[0], np.arange(12))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_same_rng_seed_same_order():
    X = np.arange(12, dtype=float).reshape(12, 1)
    runs = []
    for _ in range(2):
        objective = Quadratic(1)
        _train(objective, X, batch_size=5, shuffle=True, max_iter=2, lr=0.01)
        runs.append(np.concatenate(objective.batches))
    assert_allclose(runs[0], runs[1])


def test_divergence_raises_and_keeps_finite_weights():
    X = np.random.RandomState(0).normal(size=(20, 3))
    objective = Quadratic(3)
    with pytest.raises(ValueError, match="learning_rate_init=1e\\+200"):
        _train(objective, X, lr=1e200)
    assert np.isfinite(objective.params[0]).all()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_keyboard_interrupt_keeps_last_complete_epoch():
    X = np.random.RandomState(0).normal(size=(20, 3))
    objective = Quadratic(3, interrupt_at=7)  # 2 batches per epoch: dies in epoch 4
    with pytest.warns(UserWarning, match="interrupted.*after 3 complete"):
        est = _train(objective, X, batch_size=10, max_iter=10, lr=0.1)
    assert est.n_iter_ == 3
    replay = Quadratic(3)
    _train(replay, X, batch_size=10, max_iter=3, lr=0.1, tol=None)
    assert_allclose(objective.params[0], replay.params[0])


def test_early_stopping_restores_best_parameters():
    X = np.random.RandomState(0).normal(size=(20, 3))
    objective = Quadratic(3)
    scores = iter([1.0, 3.0, 2.0, 1.0, 0.5, 0.2, 0.1, 0.0, -1.0, -2.0])
    snapshots = []

    def score(*_):
        snapshots.append(objective.params[0].copy())
        return next(scores)

    est = _train(
        objective,
        X,
        validation=(None, None, None, score),
        tol=0.0,
        n_iter_no_change=3,
        lr=0.1,
    )
    assert est.validation_scores_ == [1.0, 3.0, 2.0, 1.0, 0.5, 0.2]
    assert est.best_validation_score_ == 3.0
    assert_allclose(objective.params[0], snapshots[1])


def test_verbose_line(capsys):
    X = np.random.RandomState(0).normal(size=(8, 2))
    _train(
        Quadratic(2),
        X,
        verbose=1,
        max_iter=1,
        incremental=True,
        epoch_metrics=lambda epoch: {"extra": 1.5},
    )
    out = capsys.readouterr().out
    assert out.startswith("Iteration 1, loss = ")
    assert "extra = 1.5" in out and "time = " in out


@pytest.mark.parametrize(
    "batch_size, n, expected",
    [
        (None, 50, 50),
        ("auto", 5000, 200),  # MLPClassifier's 200 at most
        ("auto", 500, 50),  # at least ten updates an epoch
        ("auto", 55, 6),
        ("auto", 3, 1),
        (64, 50, 50),
        (10, 50, 10),
    ],
)
def test_resolve_batch_size(batch_size, n, expected):
    assert _training.resolve_batch_size(batch_size, n) == expected


def test_validation_split_too_small():
    X = np.zeros((5, 2))
    with pytest.raises(ValueError, match="validation set is too small"):
        _training.split_validation(
            X,
            np.zeros(5),
            None,
            fraction=0.1,
            rng=np.random.RandomState(0),
            stratify=False,
        )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_on_epoch_reports_every_epoch_with_stage_labels():
    from sklearn.datasets import load_digits

    from skdbn import DBNClassifier, EpochEnd, LogisticRegressionGD, on_epoch

    X, y = load_digits(return_X_y=True)
    X = X / 16
    events, outer = [], []
    with on_epoch(outer.append), on_epoch(events.append):
        DBNClassifier((8, 4), rbm_n_iter=2, max_iter=3, tol=0, random_state=0).fit(X, y)
    assert all(isinstance(e, EpochEnd) for e in events)
    assert [(e.stage, e.epoch) for e in events] == [
        ("pre-training layer 1/2", 1),
        ("pre-training layer 1/2", 2),
        ("pre-training layer 2/2", 1),
        ("pre-training layer 2/2", 2),
        ("fine-tuning", 1),
        ("fine-tuning", 2),
        ("fine-tuning", 3),
    ]
    assert {e.estimator for e in events} == {"DBNClassifier"}
    assert events[-1].max_epochs == 3 and np.isfinite(events[-1].loss)
    assert outer == events  # nested callbacks all fire
    with on_epoch(events.append):
        pass
    n = len(events)
    LogisticRegressionGD(max_iter=2, tol=0).fit(X, y)  # outside any block: silent
    assert len(events) == n


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_on_epoch_during_partial_fit():
    """partial_fit has no epoch budget, and an earlier early-stopping fit's
    validation scores are not this epoch's (a bar used to show 4/1, -0.37)."""
    from sklearn.datasets import load_digits

    from skdbn import LogisticRegressionGD, on_epoch

    X, y = load_digits(return_X_y=True)
    est = LogisticRegressionGD(max_iter=3, tol=0, early_stopping=True, random_state=0)
    events = []
    with on_epoch(events.append):
        est.fit(X / 16, y)
        est.set_params(early_stopping=False).partial_fit(X / 16, y)
    assert [(e.epoch, e.max_epochs) for e in events] == [
        (1, 3),
        (2, 3),
        (3, 3),
        (4, None),
    ]
    assert all(e.validation_score is not None for e in events[:3])
    assert events[3].validation_score is None


def test_a_rising_loss_needs_more_epochs_than_the_patience():
    """Two epochs of a converged warm start may wander by more than 10%;
    more than n_iter_no_change epochs without beating the first may not."""
    assert not _training._loss_rose([1.0, 1.2], patience=10)
    assert _training._loss_rose([1.0] + [1.2] * 11, patience=10)
    assert not _training._loss_rose([1.0] + [1.2] * 10 + [0.9], patience=10)
    assert not _training._loss_rose([1.0] + [1.05] * 11, patience=10)
