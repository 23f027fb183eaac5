"""Correctness of the RBM arithmetic in skdbn._cd, checked against enumeration."""

import copy
import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from skdbn import _cd
from skdbn._activations import sigmoid
from skdbn._optimizers import SGD


def _states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def _tiny_rbm(n_visible, n_hidden, scale=1.0, seed=0):
    rs = np.random.RandomState(seed)
    W = rs.normal(0.0, scale, (n_hidden, n_visible))
    return W, rs.normal(0.0, 0.5, n_hidden), rs.normal(0.0, 0.5, n_visible)


def _energy(v, h, W, a, b, gaussian=False):
    visible = 0.5 * np.sum((v - a) ** 2) if gaussian else -a @ v
    return visible - b @ h - h @ W @ v


class _ConstantGenerator:
    """Stands in for numpy's Generator: every uniform draw is one half.

    Sampling reads raw 64-bit words from ``bit_generator``; each 32-bit half
    equal to ``2**31`` becomes the uniform number 0.5.
    """

    class bit_generator:
        @staticmethod
        def random_raw(size):
            return np.full(size, 0x8000000080000000, dtype=np.uint64)


def _sig(x):
    return 1.0 / (1.0 + math.exp(-x))


def test_cd1_step_by_hand():
    # 2 samples x 3 visible units, 2 hidden units; uniforms fixed at 0.5 so a
    # hidden unit is on exactly when its probability exceeds one half.
    V = [[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]
    W = [[0.1, -0.2, 0.3], [0.0, 0.5, -0.5]]
    b, a = [0.0, 0.1], [-0.1, 0.0, 0.1]
    lr = 0.5

    def p_hidden(v):
        return [_sig(b[j] + sum(W[j][i] * v[i] for i in range(3))) for j in range(2)]

    def p_visible(h):
        return [_sig(a[i] + sum(W[j][i] * h[j] for j in range(2))) for i in range(3)]

    pos = [p_hidden(v) for v in V]
    h0 = [[1.0 if p > 0.5 else 0.0 for p in row] for row in pos]
    rec = [p_visible(h) for h in h0]
    neg = [p_hidden(v) for v in rec]
    gW = [
        [-sum(pos[n][j] * V[n][i] - neg[n][j] * rec[n][i] for n in range(2)) / 2
         for i in range(3)]
        for j in range(2)
    ]  # fmt: skip
    gb = [-sum(pos[n][j] - neg[n][j] for n in range(2)) / 2 for j in range(2)]
    ga = [-sum(V[n][i] - rec[n][i] for n in range(2)) / 2 for i in range(3)]
    error = sum((V[n][i] - rec[n][i]) ** 2 for n in range(2) for i in range(3)) / 2
    # The hidden states really are mixed: unit 0 is on and unit 1 off for sample 0.
    assert h0 == [[1.0, 0.0], [1.0, 1.0]]

    params = [np.array(W), np.array(b), np.array(a)]
    obj = _cd.RBMObjective(*params, generator=_ConstantGenerator(), k=1)
    assert obj(np.array(V)) == pytest.approx(error, rel=1e-12)
    assert_allclose(obj.grads[0], gW, rtol=1e-12)
    assert_allclose(obj.grads[1], gb, rtol=1e-12)
    assert_allclose(obj.grads[2], ga, rtol=1e-12)
    SGD(obj.params, lr, momentum=0.0).update_params(obj.params, obj.grads)
    assert_allclose(obj.params[0], np.array(W) - lr * np.array(gW), rtol=1e-12)
    assert_allclose(obj.params[1], np.array(b) - lr * np.array(gb), rtol=1e-12)


@pytest.mark.parametrize("units", ["bernoulli", "gaussian"])
def test_free_energy_matches_enumeration(units):
    W, b, a = _tiny_rbm(4, 3)
    gaussian = units == "gaussian"
    V = np.random.RandomState(1).normal(size=(5, 4)) if gaussian else _states(4)
    H = _states(3)
    expected = [
        -np.logaddexp.reduce([-_energy(v, h, W, a, b, gaussian) for h in H]) for v in V
    ]
    assert_allclose(_cd.free_energy(V, W, a, b, units), expected, rtol=1e-12)
    sparse = _cd.free_energy(sp.csr_matrix(V), W, a, b, units)
    assert_allclose(sparse, expected, rtol=1e-12)


def test_pseudo_likelihood_matches_enumeration():
    W, b, a = _tiny_rbm(5, 3)
    V = _states(5)[::3]
    expected = np.zeros(len(V))
    for n, v in enumerate(V):
        for i in range(5):
            flipped = v.copy()
            flipped[i] = 1 - v[i]
            f, f_flip = _cd.free_energy(np.stack([v, flipped]), W, a, b)
            expected[n] += -f - np.logaddexp(-f, -f_flip)
    assert_allclose(_cd.pseudo_likelihood(V, W, a, b), expected, rtol=1e-10)


def test_pseudo_likelihood_of_probabilities_is_the_expected_log_conditional():
    # For x in [0, 1], unit i contributes x_i log P(v_i=1 | x_-i) + (1 - x_i)
    # log P(v_i=0 | x_-i), with the conditionals from the free energies of x
    # with x_i set to 1 and to 0.
    W, b, a = _tiny_rbm(4, 3)
    X = np.random.RandomState(1).uniform(size=(6, 4))
    expected = np.zeros(len(X))
    for n, x in enumerate(X):
        for i in range(4):
            on, off = x.copy(), x.copy()
            on[i], off[i] = 1.0, 0.0
            f_on, f_off = _cd.free_energy(np.stack([on, off]), W, a, b)
            log_p_on = -f_on - np.logaddexp(-f_on, -f_off)
            log_p_off = -f_off - np.logaddexp(-f_on, -f_off)
            expected[n] += x[i] * log_p_on + (1 - x[i]) * log_p_off
    assert_allclose(_cd.pseudo_likelihood(X, W, a, b), expected, rtol=1e-10)
    sparse = _cd.pseudo_likelihood(sp.csr_matrix(X), W, a, b)
    assert_allclose(sparse, expected, rtol=1e-10)


def test_conditionals_and_sampling():
    W, b, a = _tiny_rbm(4, 3)
    V = _states(4)
    P = _cd.hidden_probs(V, W, b)
    assert_allclose(P, 1 / (1 + np.exp(-(V @ W.T + b))), rtol=1e-12)
    M = _cd.visible_means(P, W, a, "gaussian")
    assert_allclose(M, P @ W + a, rtol=1e-12)
    gen = np.random.default_rng(0)
    probs = np.full((20000, 2), [0.2, 0.7])
    S = _cd.sample_bernoulli(probs, gen)
    assert set(np.unique(S)) <= {0.0, 1.0}
    assert_allclose(S.mean(axis=0), [0.2, 0.7], atol=0.01)
    G = _cd.sample_visible(np.full((20000, 1), 3.0), gen, "gaussian")
    assert_allclose([G.mean(), G.std()], [3.0, 1.0], atol=0.03)


@pytest.mark.parametrize("units", ["bernoulli", "gaussian"])
def test_visible_states_are_sampled_means_from_the_same_draws(units):
    # visible_states skips the Bernoulli means (sample_logistic) but makes the
    # same draws as visible_means then sample_visible.
    W, b, a = _tiny_rbm(40, 6, seed=3)
    H = (np.random.default_rng(1).random((500, 6)) < 0.5).astype(float)
    gen = lambda: np.random.Generator(np.random.SFC64(7))  # noqa: E731
    got = _cd.visible_states(H, 3 * W, a, gen(), units)
    means = _cd.visible_means(H, 3 * W, a, units)
    assert_array_equal(got, _cd.sample_visible(means, gen(), units))
    Z = np.linspace(-30, 30, 4001).reshape(1, -1)
    assert_array_equal(
        _cd.sample_logistic(Z, gen()), _cd.sample_bernoulli(sigmoid(Z), gen())
    )


def _exact_gradient(data, W, b, a):
    """Gradient of the mean negative log-likelihood by enumerating every state."""
    V = _states(W.shape[1])
    F = _cd.free_energy(V, W, a, b)
    p = np.exp(-F - np.logaddexp.reduce(-F))
    Pd, Pm = _cd.hidden_probs(data, W, b), _cd.hidden_probs(V, W, b)
    gW = (Pm * p[:, None]).T @ V - Pd.T @ data / len(data)
    return np.concatenate([gW.ravel(), p @ Pm - Pd.mean(0), p @ V - data.mean(0)])


def _estimate_error(k, *, persistent=False, sample_visible=True, calls=1):
    W, b, a = _tiny_rbm(6, 4, scale=1.0)
    data = _states(6)[[3, 17, 30, 44, 61]]
    exact = _exact_gradient(data, W, b, a)
    X = np.repeat(data, 4000, axis=0)  # 20,000 chains
    obj = _cd.RBMObjective(
        W,
        b,
        a,
        generator=np.random.default_rng(1),
        k=k,
        persistent=persistent,
        n_chains=len(X),
        sample_visible=sample_visible,
    )
    total = 0.0
    for call in range(calls):  # no update: the chains only burn in
        obj(X)
        if call >= calls // 2:
            total = total + np.concatenate([g.ravel() for g in obj.grads])
    estimate = total / (calls - calls // 2)
    return np.linalg.norm(estimate - exact) / np.linalg.norm(exact)


def test_cd_k_tends_to_exact_gradient():
    errors = {k: _estimate_error(k) for k in (1, 3, 30)}
    # CD-1 is visibly biased on this strongly coupled RBM; the bias shrinks with k
    # down to the Monte-Carlo noise of 20,000 chains (about 0.005).
    assert errors[1] > 0.06
    assert errors[3] < 0.7 * errors[1]
    assert errors[30] < 0.02


def test_pcd_and_guide_style_cd_near_exact_gradient():
    assert _estimate_error(1, persistent=True, calls=10) < 0.01
    # Probabilities for the last reconstruction (the guide's choice, the default)
    # trade a small bias for less noise; longer chains still help.
    guide = {k: _estimate_error(k, sample_visible=False) for k in (1, 5)}
    assert guide[5] < guide[1] < 0.2
    assert guide[5] < 0.07


def test_float32_and_float64_gradients_agree():
    W, b, a = _tiny_rbm(8, 5, scale=0.3)
    X = (np.random.RandomState(2).rand(30, 8) > 0.5).astype(float)
    grads = {}
    for dtype in (np.float32, np.float64):
        params = [p.astype(dtype) for p in (W, b, a)]
        obj = _cd.RBMObjective(*params, generator=np.random.default_rng(3), k=2)
        obj(X.astype(dtype))
        assert all(g.dtype == dtype for g in obj.grads)
        grads[dtype] = obj.grads
    for g32, g64 in zip(grads[np.float32], grads[np.float64], strict=True):
        assert_allclose(g32, g64, rtol=1e-4, atol=1e-6)


def test_sparse_batches_give_the_same_gradient():
    W, b, a = _tiny_rbm(8, 5, scale=0.3)
    X = np.random.RandomState(2).rand(30, 8) * (
        np.random.RandomState(3).rand(30, 8) > 0.6
    )
    results = []
    for batch in (X, sp.csr_matrix(X)):
        obj = _cd.RBMObjective(W, b, a, generator=np.random.default_rng(3), k=1)
        error = obj(batch)
        results.append((error, [g.copy() for g in obj.grads]))
    assert results[0][0] == results[1][0]
    for g_dense, g_sparse in zip(results[0][1], results[1][1], strict=True):
        assert_array_equal(g_dense, g_sparse)


def test_init_params_follow_the_guide():
    X = np.tile([[0.0, 1.0, 0.25, 0.5]], (10, 1))
    W, b, a = _cd.init_params(X, 200, np.random.RandomState(0))
    assert W.shape == (200, 4) and W.std() == pytest.approx(0.01, rel=0.1)
    assert_array_equal(b, 0.0)
    p = np.array([1e-3, 1 - 1e-3, 0.25, 0.5])
    assert_allclose(a, np.log(p / (1 - p)))
    W32, _, _ = _cd.init_params(X.astype(np.float32), 200, np.random.RandomState(0))
    assert W32.dtype == np.float32
    assert_allclose(W32, W, rtol=1e-6)
    _, _, a_gauss = _cd.init_params(X, 3, np.random.RandomState(0), "gaussian")
    assert_allclose(a_gauss, X.mean(axis=0))


def test_weight_decay_and_sparsity_terms():
    W, b, a = _tiny_rbm(6, 4, scale=0.3)
    X = (np.random.RandomState(0).rand(20, 6) > 0.5).astype(float)

    def grads(**options):
        obj = _cd.RBMObjective(W, b, a, generator=np.random.default_rng(0), **options)
        obj(X)
        return obj

    plain = grads()
    decayed = grads(weight_decay=0.1)
    assert_allclose(decayed.grads[0] - plain.grads[0], 0.1 * W, atol=1e-12)
    assert_array_equal(decayed.grads[1], plain.grads[1])  # not on the biases
    sparse = grads(sparsity_target=0.05, sparsity_cost=0.5)
    q = _cd.hidden_probs(X, W, b).mean(axis=0)  # first batch: q is its activity
    assert_allclose(sparse.hidden_activity, q)
    assert_allclose(sparse.grads[1] - plain.grads[1], 0.5 * (q - 0.05), atol=1e-12)
    expected = np.outer(0.5 * (q - 0.05), X.mean(axis=0))
    assert_allclose(sparse.grads[0] - plain.grads[0], expected, atol=1e-12)


def test_sparsity_activity_is_a_decaying_average():
    W, b, a = _tiny_rbm(6, 4, scale=0.3)
    X = (np.random.RandomState(0).rand(20, 6) > 0.5).astype(float)
    obj = _cd.RBMObjective(
        W,
        b,
        a,
        generator=np.random.default_rng(0),
        sparsity_cost=0.5,
        sparsity_decay=0.8,
    )
    obj(X[:10])
    obj(X[10:])
    q1 = _cd.hidden_probs(X[:10], W, b).mean(axis=0)
    q2 = _cd.hidden_probs(X[10:], W, b).mean(axis=0)
    assert_allclose(obj.hidden_activity, 0.8 * q1 + 0.2 * q2)


@pytest.mark.parametrize("k", [1, 3])
def test_cd_hidden_samples_are_the_datas(k):
    # h_samples_ after CD-k: the hidden states sampled from the batch's data, not
    # the chain's later states.
    W, b, a = _tiny_rbm(6, 4, scale=0.5)
    X = (np.random.RandomState(0).rand(20, 6) > 0.5).astype(float)
    generator = np.random.Generator(np.random.SFC64(3))
    replay = copy.deepcopy(generator)
    obj = _cd.RBMObjective(W, b, a, generator=generator, k=k)
    obj(X)
    expected = _cd.sample_bernoulli(_cd.hidden_probs(X, W, b), replay)
    assert_array_equal(obj.hidden_samples, expected)


@pytest.mark.parametrize("persistent", [False, True])
def test_scale_multiplies_every_gradient_term(persistent):
    # The training loop folds the optimiser's first factor into the gradients:
    # statistics, weight decay and the sparsity penalty alike.
    W, b, a = _tiny_rbm(6, 4, scale=0.3)
    X = (np.random.RandomState(0).rand(20, 6) > 0.5).astype(float)
    results = []
    for scale in (1.0, -0.05):
        obj = _cd.RBMObjective(
            W,
            b,
            a,
            generator=np.random.default_rng(0),
            persistent=persistent,
            weight_decay=0.1,
            sparsity_target=0.05,
            sparsity_cost=0.5,
        )
        results.append((obj(X, scale=scale), obj.grads))
    (error, grads), (scaled_error, scaled) = results
    assert scaled_error == error
    for g, h in zip(grads, scaled, strict=True):
        assert_allclose(h, -0.05 * g, rtol=1e-12, atol=1e-15)


def test_fit_rbm_is_reproducible_and_records_history():
    X = (np.random.RandomState(0).rand(60, 10) > 0.5).astype(np.float32)
    options = dict(batch_size=10, learning_rate=0.1, k=2, persistent=False)
    runs = [
        _cd.fit_rbm(X, 5, rng=np.random.RandomState(7), n_iter=3, **options)
        for _ in range(2)
    ]
    for p, q in zip(runs[0].objective.params, runs[1].objective.params, strict=True):
        assert p.dtype == np.float32
        assert_array_equal(p, q)
    assert runs[0].n_iter_ == 3 and len(runs[0].loss_curve_) == 3
    monitored = _cd.fit_rbm(
        X, 5, rng=np.random.RandomState(7), n_iter=2, validation_fraction=0.2
    )
    assert len(monitored.train_free_energy_) == 2
    assert len(monitored.validation_free_energy_) == 2


def test_gaussian_free_energy_is_accurate_in_float32_off_centre():
    # ||v - a||^2 expanded as ||v||^2 - 2 v.a + a.a cancels: data centred at 300
    # lost whole units of free energy in float32.
    rng = np.random.RandomState(0)
    W = rng.normal(0, 0.01, (20, 784))
    b = np.zeros(20)
    a = np.full(784, 300.0)
    V = a + rng.normal(size=(10, 784))
    exact = _cd.free_energy(V, W, a, b, "gaussian")
    f32 = [x.astype(np.float32) for x in (V, W, a, b)]
    single = _cd.free_energy(f32[0], f32[1], f32[2], f32[3], "gaussian")
    assert np.abs(single - exact).max() < 0.05
