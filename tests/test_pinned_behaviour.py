"""Behaviour pinned by a mutation audit: each test fails on a plausible slip
(a Gibbs step too many, a leaked validation row, a schedule that decays from the
wrong value) that the other tests let through."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from skdbn import RBMTransformer, _cd, _network, _outofcore, _random, _training
from skdbn._optimizers import SGD, Adam


class _ConstantGenerator:
    class bit_generator:
        @staticmethod
        def random_raw(size):
            return np.full(size, 0x8000000080000000, dtype=np.uint64)


class _ZeroGenerator:
    class bit_generator:
        @staticmethod
        def random_raw(size):
            return np.zeros(size, dtype=np.uint64)


def _sig(x):
    return 1 / (1 + np.exp(-x))


V = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
W = np.array([[0.1, -0.2, 0.3], [0.0, 0.5, -0.5]])
b, a = np.array([0.0, 0.1]), np.array([-0.1, 0.0, 0.1])


def ph(v):
    return _sig(v @ W.T + b)


def pv(h):
    return _sig(h @ W + a)


def test_gibbs_step_samples_hidden():
    h = np.zeros((50, 2))
    v = np.empty((50, 3))
    _cd.gibbs_step(h, W, b, a, np.random.default_rng(0), "bernoulli", v_out=v)
    assert set(np.unique(h)) <= {0.0, 1.0}
    assert set(np.unique(v)) <= {0.0, 1.0}


def test_cd2_by_hand():
    pos = ph(V)
    h0 = (pos > 0.5) * 1.0
    rec1 = pv(h0)
    v1 = (rec1 > 0.5) * 1.0  # intermediate visible SAMPLED
    h1 = (ph(v1) > 0.5) * 1.0
    rec2 = pv(h1)
    neg = ph(rec2)  # last reconstruction: probabilities
    gW = -(pos.T @ V - neg.T @ rec2) / 2
    error = ((V - rec1) ** 2).sum() / 2  # error of the FIRST step
    obj = _cd.RBMObjective(
        W.copy(), b.copy(), a.copy(), generator=_ConstantGenerator(), k=2
    )
    assert obj(V.copy()) == pytest.approx(error, rel=1e-12)
    assert_allclose(obj.grads[0], gW, rtol=1e-12)


def test_pcd1_by_hand():
    # chains start at h = 0: one visible sample v = [a > 0], no other Gibbs step.
    W = np.array(
        [[0.4, 0.3, 0.3], [0.0, 0.5, -0.5]]
    )  # one extra Gibbs step would change v

    def ph(v):
        return _sig(v @ W.T + b)

    def pv(h):
        return _sig(h @ W + a)

    obj = _cd.RBMObjective(
        W.copy(),
        b.copy(),
        a.copy(),
        generator=_ConstantGenerator(),
        k=1,
        persistent=True,
        n_chains=2,
    )
    vneg = np.tile((a > 0) * 1.0, (2, 1))
    pos, neg = ph(V), ph(vneg)
    gW = -(pos.T @ V / 2 - neg.T @ vneg / 2)
    err = obj(V.copy())
    assert_allclose(obj.grads[0], gW, rtol=1e-12)
    # PCD's error: first row, hidden SAMPLED then visible means
    rec = pv((pos[:1] > 0.5) * 1.0)
    assert err == pytest.approx(((V[:1] - rec) ** 2).sum(), rel=1e-12)


def test_linear_schedule_floor_beyond_n_iter():
    X = (np.random.RandomState(0).rand(50, 8) > 0.5) * 1.0
    rbm = RBMTransformer(
        n_components=3,
        learning_rate=0.1,
        learning_rate_schedule="linear",
        n_iter=2,
        random_state=0,
    )
    for _ in range(4):
        before = rbm.components_.copy() if hasattr(rbm, "components_") else None
        rbm.partial_fit(X)
    assert rbm._trainer.optimizer.learning_rate == pytest.approx(0.05)
    assert not np.array_equal(before, rbm.components_)


def test_partial_fit_schedules_are_used_by_the_next_epoch(monkeypatch):
    X = (np.random.RandomState(0).rand(40, 8) > 0.5) * 1.0
    used = []
    original = _cd.SGD.update_params

    def spy(self, *args, **kwargs):
        used.append((self.momentum, self.learning_rate))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(_cd.SGD, "update_params", spy)
    rbm = RBMTransformer(
        n_components=3,
        batch_size=40,
        momentum=0.5,
        final_momentum=0.9,
        momentum_switch=1,
        learning_rate=0.2,
        learning_rate_schedule="invscaling",
        power_t=0.5,
        random_state=0,
    )
    for _ in range(3):
        rbm.partial_fit(X)
    assert_allclose(used, [(0.5, 0.2), (0.9, 0.2 / 2**0.5), (0.9, 0.2 / 3**0.5)])


def test_monitored_rows():
    X = (np.random.RandomState(0).rand(60, 10) > 0.5).astype(np.float64)
    tr = _cd.fit_rbm(
        X,
        5,
        rng=np.random.RandomState(7),
        n_iter=2,
        validation_fraction=0.2,
        batch_size=10,
    )
    order = np.random.RandomState(7).permutation(60)
    W, b, a = tr.objective.params
    assert_allclose(
        tr.validation_free_energy_[-1], _cd.free_energy(X[order[:12]], W, a, b).mean()
    )
    assert_allclose(
        tr.train_free_energy_[-1], _cd.free_energy(X[order[12:24]], W, a, b).mean()
    )
    assert tr.t_ == 2 * 48


def test_cd_hidden_samples_are_last_batch():
    X = (np.random.RandomState(0).rand(25, 8) > 0.5) * 1.0
    rbm = RBMTransformer(
        n_components=3, batch_size=10, persistent=False, n_iter=1, random_state=0
    ).fit(X)
    assert rbm.h_samples_.shape == (5, 3)


def test_data_loss_weights_are_normalised():
    rs = np.random.RandomState(0)
    X = rs.rand(10, 3)
    Y = np.eye(2)[rs.randint(2, size=10)]
    coefs, ints = [rs.randn(3, 2)], [np.zeros(2)]
    sw = rs.rand(10) + 0.5
    l1 = _network.data_loss(X, Y, sw, coefs, ints, "sigmoid", "softmax")
    l2 = _network.data_loss(X, Y, 3 * sw, coefs, ints, "sigmoid", "softmax")
    assert l1 == pytest.approx(l2)


def test_invscaling_twice():
    opt = SGD([np.zeros(2)], 0.5, lr_schedule="invscaling", power_t=0.5)
    opt.iteration_ends(99)
    opt.iteration_ends(399)
    assert_allclose(opt.learning_rate, 0.5 / 400**0.5)


def test_reset_is_a_fresh_optimizer():
    rs = np.random.RandomState(0)
    for make in (lambda p: Adam(p, 0.01), lambda p: SGD(p, 0.1, momentum=0.9)):
        p1 = [rs.randn(3)]
        p2 = [p1[0].copy()]
        used = make(p1)
        for _ in range(3):
            used.update_params(p1, [rs.randn(3)])
        used.reset()
        fresh = make(p2)
        p1[0][:] = p2[0]
        g = rs.randn(3)
        used.update_params(p1, [g.copy()])
        fresh.update_params(p2, [g.copy()])
        assert_allclose(p1[0], p2[0])
        assert pickle.loads(pickle.dumps(used)).__dict__.keys()
        if isinstance(used, SGD):
            used.reset()
            assert used._held_factor == 0


def _scored_run(scores):
    """A bare estimator history, a one-weight objective and a validation tuple
    whose score function returns ``scores`` in turn."""
    est = type("Estimator", (), {})()
    _training.init_history(est, early_stopping=True)
    objective = type("Objective", (), {"params": [np.zeros(1)]})()
    scores = iter(scores)
    return est, objective, (None, None, None, lambda *args: next(scores))


def test_validation_improvement_smaller_than_tol_is_none():
    est, obj, val = _scored_run([0.5, 0.505])
    best = _training._record_validation(est, obj, val, 0.01, None)
    _training._record_validation(est, obj, val, 0.01, best)
    assert est._no_improvement_count == 1


def test_loss_that_dipped_does_not_warn():
    assert not _training._loss_rose([1.0, 0.5, 1.2, 1.3], 2)


def test_adaptive_resets_the_count():
    class Obj:
        def __init__(self):
            self.params = [np.zeros(1)]
            self.grads = [np.zeros(1)]

        def __call__(self, X, y, sw, scale=1.0):
            self.grads[0][:] = 0
            return 1.0

    class E:
        pass

    est = E()
    _training.init_history(est)
    opt = SGD([np.zeros(1)], 1.0, lr_schedule="adaptive", momentum=0)
    obj = Obj()
    opt = SGD(obj.params, 1.0, lr_schedule="adaptive", momentum=0)
    _training.train(
        est,
        obj,
        opt,
        np.zeros((4, 1)),
        max_iter=7,
        batch_size=4,
        shuffle=False,
        rng=np.random.RandomState(0),
        tol=1e-4,
        n_iter_no_change=2,
        convergence_warning=False,
    )
    assert opt.learning_rate == pytest.approx(1 / 25)


def test_stratified_split():
    X = np.arange(100.0)[:, None]
    y = np.array([0] * 90 + [1] * 10)
    for seed in range(5):
        _, (Xv, yv, _) = _training.split_validation(
            X, y, None, fraction=0.2, rng=np.random.RandomState(seed), stratify=True
        )
        assert (yv == 1).sum() == 2


def test_zero_probability_never_on():
    P = np.zeros((4, 4))
    assert not _random.bernoulli(P, _ZeroGenerator()).any()


def test_column_sums_rows_sparse():
    X = np.random.RandomState(0).rand(20, 4)
    rows = np.array([3, 5, 7])
    assert_allclose(_outofcore.column_sums(sp.csr_matrix(X), rows), X[rows].sum(0))


def test_value_range_all_blocks(monkeypatch):
    X = np.full((100, 4), 0.5)
    X[0, 0] = -3.0
    X[1, 1] = 7.0
    monkeypatch.setattr(_outofcore, "BLOCK_BYTES", 64)
    assert _outofcore.value_range(X) == (-3.0, 7.0)


def test_final_momentum_zero_is_honoured():
    X = (np.random.RandomState(0).rand(40, 8) > 0.5) * 1.0
    rbm = RBMTransformer(
        n_components=3,
        momentum=0.5,
        final_momentum=0.0,
        momentum_switch=1,
        random_state=0,
    )
    rbm.partial_fit(X)
    assert rbm._trainer.optimizer.momentum == 0.0


def test_marginal_biases_of_rows():
    X = (np.random.RandomState(0).rand(40, 8) > 0.5) * 1.0
    rows = np.arange(0, 40, 4)
    p = np.clip(X[rows].mean(0), 1e-3, 1 - 1e-3)
    assert_allclose(_cd.marginal_visible_biases(X, rows=rows), np.log(p / (1 - p)))


def test_validation_size_rounds():
    X = (np.random.RandomState(0).rand(10, 4) > 0.5) * 1.0
    tr = _cd.fit_rbm(
        X, 2, rng=np.random.RandomState(0), n_iter=1, validation_fraction=0.19
    )
    assert tr.t_ == 8  # round(1.9) = 2 held out


def test_ties_keep_the_first_best():
    est, obj, val = _scored_run([0.5, 0.5])
    best = _training._record_validation(est, obj, val, 1e-4, None)
    obj.params[0][:] = 1.0
    best = _training._record_validation(est, obj, val, 1e-4, best)
    assert best[0][0] == 0.0


def test_negative_bernoulli_data_warns():
    X = np.random.RandomState(0).rand(20, 4) - 0.5
    with pytest.warns(UserWarning, match="expects data in"):
        RBMTransformer(n_components=2, n_iter=1, random_state=0).fit(X)


def test_caller_rows_untouched():
    X = np.random.RandomState(0).rand(20, 3)
    rows = np.arange(2, 18)
    kept = rows.copy()

    class Obj:
        def __init__(self):
            self.params = [np.zeros(1)]
            self.grads = [np.zeros(1)]

        def __call__(self, X, y, sw, scale=1.0):
            return 1.0

    class E:
        pass

    est = E()
    _training.init_history(est)
    _training.train(
        est,
        Obj(),
        SGD([np.zeros(1)], 0.1),
        X,
        max_iter=2,
        batch_size=4,
        shuffle=True,
        rng=np.random.RandomState(0),
        rows=rows,
        convergence_warning=False,
    )
    np.testing.assert_array_equal(rows, kept)
