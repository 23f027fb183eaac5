"""Partition functions and log-likelihoods: AIS, exact enumeration, DBN bound."""

import itertools
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError

from skdbn import DBNTransformer, RBMTransformer, _ais


@pytest.fixture(scope="module")
def digits():
    """Binarised digits, float64."""
    X, _ = load_digits(return_X_y=True)
    return (X > 7).astype(np.float64)


@pytest.fixture(scope="module")
def digits_rbm(digits):
    """64 visible, 15 hidden units, trained enough to have structure."""
    return RBMTransformer(
        n_components=15, learning_rate=0.05, batch_size=20, n_iter=20, random_state=0
    ).fit(digits)


def _all_states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def _brute_force_log_z(W, b, a):
    """``log sum_{v, h} exp(-E(v, h))`` over every joint state (Bernoulli)."""
    V, H = _all_states(W.shape[1]), _all_states(W.shape[0])
    neg_energy = (V @ a)[:, None] + (H @ b)[None, :] + V @ W.T @ H.T
    return logsumexp(neg_energy)


def _random_rbm(n_hidden, n_visible, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(0, scale, (n_hidden, n_visible)),
        rng.normal(0, 1, n_hidden),
        rng.normal(0, 1, n_visible),
    )


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4)])
def test_exact_log_partition_matches_brute_force(shape):
    # Enumerating either side (whichever is smaller) equals the joint sum.
    W, b, a = _random_rbm(*shape, seed=0)
    assert_allclose(_ais.exact_log_partition(W, b, a), _brute_force_log_z(W, b, a))


def test_exact_log_partition_is_chunked(monkeypatch):
    W, b, a = _random_rbm(4, 9, seed=1)
    expected = _ais.exact_log_partition(W, b, a)
    monkeypatch.setattr(_ais, "_CHUNK_ELEMENTS", 16)  # many small chunks
    assert_allclose(_ais.exact_log_partition(W, b, a), expected, rtol=1e-12)


def test_exact_log_partition_gaussian_matches_quadrature():
    # One Gaussian visible unit: integrate exp(-F(v)) numerically.
    W, b, a = _random_rbm(3, 1, seed=2)
    v = np.linspace(-30, 30, 200001)[:, None]
    neg_f = -(0.5 * (v[:, 0] - a[0]) ** 2) + np.logaddexp(0, v @ W.T + b).sum(1)
    log_z = np.log(np.trapezoid(np.exp(neg_f), v[:, 0]))
    assert_allclose(_ais.exact_log_partition(W, b, a, "gaussian"), log_z, rtol=1e-8)


def test_exact_log_partition_gaussian_closed_form():
    # Zero weights: Z = 2**H prod(1 + exp(b_j)) / 2**H * (2 pi)**(D / 2).
    _, b, a = _random_rbm(4, 6, seed=3)
    W = np.zeros((4, 6))
    expected = np.logaddexp(0, b).sum() + 3 * np.log(2 * np.pi)
    assert_allclose(_ais.exact_log_partition(W, b, a, "gaussian"), expected)


def test_exact_log_partition_too_large():
    W = np.zeros((21, 30))
    with pytest.raises(ValueError, match="at most 20"):
        _ais.exact_log_partition(W, np.zeros(21), np.zeros(30))


def test_ais_exact_on_zero_weight_rbm():
    # Base rate = the model's visible biases: every importance weight is the same
    # and the estimate is the closed form sum softplus(a) + sum softplus(b).
    _, b, a = _random_rbm(7, 10, seed=4)
    W = np.zeros((7, 10))
    expected = np.logaddexp(0, a).sum() + np.logaddexp(0, b).sum()
    for units, extra in [("bernoulli", 0.0), ("gaussian", 5 * np.log(2 * np.pi))]:
        result = _ais.ais_log_partition(
            W, b, a, units, n_runs=10, betas=50, generator=np.random.default_rng(0)
        )
        expected_z = (
            expected if units == "bernoulli" else extra + np.logaddexp(0, b).sum()
        )
        assert_allclose(result.log_z, expected_z, rtol=1e-12)
        assert_allclose(result.log_weights, result.log_weights[0], atol=1e-12)
        assert_allclose([result.log_z_low, result.log_z_high], result.log_z)


def test_ais_agrees_with_exact_on_digits(digits, digits_rbm):
    W = digits_rbm.components_
    b, a = digits_rbm.intercept_hidden_, digits_rbm.intercept_visible_
    exact = _ais.exact_log_partition(W, b, a)
    result = _ais.ais_log_partition(
        W,
        b,
        a,
        base_visible_bias=_ais.base_rate_biases(digits),
        n_runs=100,
        betas=1000,
        generator=np.random.default_rng(0),
    )
    assert abs(result.log_z - exact) < 0.1
    assert result.log_z_low <= exact <= result.log_z_high
    assert result.effective_sample_size > 50
    # float32 working precision gives the same answer
    result32 = _ais.ais_log_partition(
        W.astype(np.float32),
        b,
        a,
        base_visible_bias=_ais.base_rate_biases(digits),
        n_runs=100,
        betas=1000,
        generator=np.random.default_rng(0),
    )
    assert abs(result32.log_z - exact) < 0.1


def test_ais_agrees_with_exact_gaussian():
    # Gaussian visible units with weights large enough to matter.
    rng = np.random.default_rng(5)
    W, b, a = rng.normal(0, 0.3, (8, 12)), rng.normal(0, 1, 8), rng.normal(0, 1, 12)
    exact = _ais.exact_log_partition(W, b, a, "gaussian")
    X = rng.normal(a, 1.5, (500, 12))
    result = _ais.ais_log_partition(
        W,
        b,
        a,
        "gaussian",
        base_visible_bias=_ais.base_rate_biases(X, "gaussian"),
        n_runs=100,
        betas=1000,
        generator=np.random.default_rng(0),
    )
    assert abs(result.log_z - exact) < 0.1
    assert result.log_z_low <= exact <= result.log_z_high


def test_ais_reproducible_and_schedule():
    W, b, a = _random_rbm(6, 8, seed=6, scale=0.5)
    runs = [
        _ais.ais_log_partition(W, b, a, betas=100, generator=np.random.default_rng(1))
        for _ in range(2)
    ]
    assert_allclose(runs[0].log_weights, runs[1].log_weights, rtol=0, atol=0)
    other = _ais.ais_log_partition(
        W, b, a, betas=100, generator=np.random.default_rng(2)
    )
    assert not np.allclose(runs[0].log_weights, other.log_weights)
    betas = _ais.ais_schedule(1000)
    assert betas.size == 1000 and betas[0] == 0 and betas[-1] == 1
    assert np.all(np.diff(betas) > 0)
    assert (betas >= 0.9).sum() > (betas < 0.5).sum()  # denser near 1
    with pytest.raises(ValueError, match="non-decreasing"):
        _ais.ais_log_partition(W, b, a, betas=[0.0, 0.5, 0.4, 1.0])


@pytest.mark.parametrize("n_betas", [3, 4, 5, 6, 7, 20, 29, 10000])
def test_schedule_goes_from_0_to_1(n_betas):
    """Every documented size ends at 1 (3 temperatures ended at 0.9)."""
    betas = _ais.ais_schedule(n_betas)
    assert betas.size == n_betas and betas[0] == 0 and betas[-1] == 1
    assert np.all(np.diff(betas) > 0)
    assert_array_equal(_ais.check_betas(n_betas), betas)


@pytest.mark.parametrize(
    "betas",
    [2, 4.5, True, [0, np.nan, 1], [0, np.inf, 1], [0.5, 1], [0, 1, 0.5], []],
)
def test_bad_schedules_are_refused(betas):
    with pytest.raises(ValueError, match="betas"):
        _ais.check_betas(betas)


def test_rbm_ais_with_three_temperatures():
    rbm = RBMTransformer(n_components=3, n_iter=1, random_state=0)
    rbm.fit(np.eye(4)).estimate_log_partition(n_betas=3, n_runs=2, exact=False)
    assert np.isfinite(rbm.log_partition_)


def test_one_run_gives_no_band():
    # One importance weight says nothing about the estimate's spread: an
    # infinite band, not the zero-width band of an exact value.
    mean, low, high = _ais.log_mean_exp_band(np.array([3.5]))
    assert mean == 3.5 and (low, high) == (-np.inf, np.inf)


def test_log_mean_exp_band_is_stable():
    mean, low, high = _ais.log_mean_exp_band(np.array([1000.0, 1000.0, 1000.0]))
    assert mean == low == high == 1000.0
    mean, low, high = _ais.log_mean_exp_band(np.array([-5000.0, 0.0]))
    assert_allclose(mean, np.log(0.5))
    assert low == -np.inf and np.isfinite(high) and high > mean


def test_rbm_estimate_log_partition(digits, digits_rbm):
    rbm = digits_rbm
    exact = rbm.estimate_log_partition().log_partition_  # 15 hidden: exact
    assert rbm.log_partition_bounds_ == (exact, exact)
    ll = rbm.log_likelihood(digits[:50])
    assert_allclose(ll, rbm.score_samples(digits[:50]) - exact)
    assert np.all(ll < 0)
    # AIS through the estimator, seeded: reproducible and close to the exact value
    ais = [
        rbm.estimate_log_partition(
            digits, n_betas=500, random_state=0, exact=False
        ).log_partition_
        for _ in range(2)
    ]
    assert ais[0] == ais[1] and abs(ais[0] - exact) < 0.2
    ll, low, high = rbm.log_likelihood(digits[:5], return_bounds=True)
    assert np.all(low <= ll) and np.all(ll <= high)
    # X is validated on the exact path too, though enumeration does not read it.
    bad = digits[:4].copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        rbm.estimate_log_partition(bad)
    with pytest.raises(ValueError, match="features"):
        rbm.estimate_log_partition(digits[:4, :10])
    with pytest.raises(ValueError, match="at most 20"):
        RBMTransformer(n_components=21, n_iter=1, random_state=0).fit(
            digits[:50]
        ).estimate_log_partition(exact=True)


def test_rbm_log_likelihood_sums_to_one():
    # A tiny RBM: the probabilities of all visible states sum to 1.
    X = _all_states(5)[[0, 3, 7, 12, 25, 31]]
    rbm = RBMTransformer(n_components=3, n_iter=20, random_state=0).fit(X)
    p = np.exp(rbm.estimate_log_partition().log_likelihood(_all_states(5)))
    assert_allclose(p.sum(), 1.0, rtol=1e-10)


def test_log_likelihood_needs_estimate_and_fit_invalidates(digits):
    rbm = RBMTransformer(n_components=4, n_iter=2, random_state=0)
    with pytest.raises(NotFittedError):
        rbm.log_likelihood(digits[:5])
    rbm.fit(digits[:100])
    with pytest.raises(NotFittedError, match="estimate_log_partition"):
        rbm.log_likelihood(digits[:5])
    rbm.estimate_log_partition()
    rbm.partial_fit(digits[:100])
    assert not hasattr(rbm, "log_partition_")
    rbm.estimate_log_partition()
    rbm.fit(digits[:100])
    assert not hasattr(rbm, "log_partition_bounds_")


def _exact_dbn_log_likelihood(dbn, V):
    """``log sum_h1 p(v | h1) p_top(h1)`` by brute force over h1 (and h2)."""
    (W0, _, a0), (W1, b1, a1) = [rbm._params(np.float64) for rbm in dbn.rbms_]
    H1, H2 = _all_states(W0.shape[0]), _all_states(W1.shape[0])
    log_p_top = logsumexp(
        (H1 @ a1)[:, None] + (H2 @ b1)[None, :] + H1 @ W1.T @ H2.T, axis=1
    )
    log_p_top -= logsumexp(log_p_top)
    Z = H1 @ W0 + a0  # (n_h1_states, n_visible)
    log_cond = V @ Z.T - np.logaddexp(0, Z).sum(1)  # log p(v | h1)
    return logsumexp(log_cond + log_p_top, axis=1)


def test_dbn_lower_bound_below_exact_and_tight():
    rng = np.random.default_rng(0)
    prototypes = (rng.random((4, 10)) < 0.5).astype(float)
    X = np.abs(prototypes[rng.integers(0, 4, 400)] - (rng.random((400, 10)) < 0.05))
    dbn = DBNTransformer(
        hidden_layer_sizes=(6, 4), rbm_n_iter=30, rbm_learning_rate=0.1, random_state=0
    ).fit(X)
    exact = _exact_dbn_log_likelihood(dbn, X)
    bound = dbn.log_likelihood_lower_bound(X, n_samples=None)  # exact expectation
    assert np.all(bound <= exact + 1e-10)
    gap = exact.mean() - bound.mean()
    assert 0 <= gap < 1.0, gap
    sampled = dbn.log_likelihood_lower_bound(X, n_samples=200, random_state=0)
    assert_allclose(sampled.mean(), bound.mean(), atol=0.05)
    again = dbn.log_likelihood_lower_bound(X, n_samples=200, random_state=0)
    assert_allclose(sampled, again)
    # A set_params of the unit type waits for the next fit.
    dbn.set_params(visible_units="gaussian")
    assert_allclose(dbn.log_likelihood_lower_bound(X, n_samples=None), bound)


def test_dbn_lower_bound_one_layer_is_exact(digits):
    dbn = DBNTransformer(hidden_layer_sizes=8, rbm_n_iter=2, random_state=0).fit(
        digits[:200]
    )
    rbm = dbn.rbms_[0]
    bound = dbn.log_likelihood_lower_bound(digits[:20])
    assert_allclose(bound, rbm.log_likelihood(digits[:20]))


# Two epochs leave the third layer's data nearly constant (no progress is
# possible there); this test is about the bound's shape and sign only.
@pytest.mark.filterwarnings("ignore::skdbn.exceptions.NoProgressWarning")
def test_dbn_lower_bound_three_layers_runs(digits):
    dbn = DBNTransformer(hidden_layer_sizes=(12, 8, 6), rbm_n_iter=2, random_state=0)
    dbn.fit(digits[:200])
    bound = dbn.log_likelihood_lower_bound(digits[:20], n_samples=5, random_state=0)
    assert bound.shape == (20,) and np.all(np.isfinite(bound)) and np.all(bound < 0)


def test_rbm_estimate_log_partition_gaussian():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(300, 10)) @ rng.normal(size=(10, 10)) * 0.3
    rbm = RBMTransformer(
        n_components=6, visible_units="gaussian", learning_rate=0.01, random_state=0
    ).fit(X)
    exact = rbm.estimate_log_partition().log_partition_
    assert_allclose(
        exact,
        _ais.exact_log_partition(
            rbm.components_,
            rbm.intercept_hidden_,
            rbm.intercept_visible_,
            "gaussian",
        ),
    )
    ais = rbm.estimate_log_partition(
        X, n_betas=500, random_state=0, exact=False
    ).log_partition_
    assert abs(ais - exact) < 0.1


def _sigmoid_log_probs(Z, H):
    """``log q(H | logits Z)`` of factorial Bernoulli units, every pair of rows."""
    return H @ -np.logaddexp(0, -Z).T + (1 - H) @ -np.logaddexp(0, Z).T


def _brute_force_bound(V, layers, log_z_top, visible_units="bernoulli"):
    """The DBN bound ``E_q[log p(v, h_1..h_{L-1}) - log q(h_1..h_{L-1} | v)]``
    by enumerating every hidden layer below the top RBM: written as one
    expectation, not as the code's sum of conditionals and entropies."""
    hidden = [_all_states(W.shape[0]) for W, _, _ in layers[:-1]]
    W0, b0, a0 = layers[0]
    log_q = _sigmoid_log_probs(V @ W0.T + b0, hidden[0]).T  # (rows, h1 states)
    M = hidden[0] @ W0 + a0  # visible logits or means of each h1
    if visible_units == "gaussian":
        sq = (V * V).sum(1)[:, None] - 2 * V @ M.T + (M * M).sum(1)[None, :]
        log_joint = -0.5 * sq - 0.5 * V.shape[1] * np.log(2 * np.pi)
    else:
        log_joint = V @ M.T - np.logaddexp(0, M).sum(1)
    log_q_all, log_p_all = log_q, log_joint  # over the states enumerated so far
    for (W, b, a), below, H in zip(layers[1:-1], hidden[:-1], hidden[1:], strict=True):
        # (states so far, with the layer below varying fastest) x (states of H)
        repeat = (log_q_all.shape[1] // len(below), 1)
        up = np.tile(_sigmoid_log_probs(below @ W.T + b, H).T, repeat)
        M = H @ W + a
        down = np.tile(below @ M.T - np.logaddexp(0, M).sum(1), repeat)
        log_q_all = (log_q_all[:, :, None] + up[None]).reshape(len(V), -1)
        log_p_all = (log_p_all[:, :, None] + down[None]).reshape(len(V), -1)
    W, b, a = layers[-1]
    top = hidden[-1] @ a + np.logaddexp(0, hidden[-1] @ W.T + b).sum(1)  # -F_top
    n_top = len(hidden[-1])
    log_p_all = log_p_all + np.tile(top, log_p_all.shape[1] // n_top) - log_z_top
    return (np.exp(log_q_all) * (log_p_all - log_q_all)).sum(1)


def _random_layers(sizes, n_visible, seed):
    rng = np.random.default_rng(seed)
    below = [n_visible, *sizes[:-1]]
    return [
        (rng.normal(0, 1, (n, m)), rng.normal(0, 1, n), rng.normal(0, 1, m))
        for n, m in zip(sizes, below, strict=True)
    ]


@pytest.mark.parametrize(
    "sizes, units",
    [((4, 3, 2), "bernoulli"), ((3, 2, 2, 2), "bernoulli"), ((4, 3), "gaussian")],
)
def test_dbn_lower_bound_matches_enumeration(sizes, units):
    """Middle layers' conditionals and entropies, and the Gaussian constants,
    against the bound written as one expectation and summed over every state."""
    layers = _random_layers(sizes, 6, seed=len(sizes))
    rng = np.random.default_rng(1)
    V = rng.normal(size=(2, 6)) if units == "gaussian" else (rng.random((2, 6)) < 0.5)
    V = V.astype(float)
    log_z_top = _ais.exact_log_partition(*layers[-1])
    exact = _brute_force_bound(V, layers, log_z_top, units)
    many = np.repeat(V, 500, axis=0)  # 500 x 100 = 50,000 draws per row
    sampled = _ais.dbn_lower_bound(
        many,
        layers,
        log_z_top,
        visible_units=units,
        n_samples=100,
        generator=np.random.default_rng(0),
    )
    assert_allclose(sampled.reshape(2, 500).mean(1), exact, atol=0.03)
    if len(sizes) == 2:
        enumerated = _ais.dbn_lower_bound(
            V, layers, log_z_top, visible_units=units, n_samples=None
        )
        assert_allclose(enumerated, exact, rtol=1e-10)


def test_effective_sample_size_formula():
    result = _ais.AISResult(0.0, 0.0, 0.0, np.log([1.0, 1.0, 2.0]) + 700, 0.0)
    assert_allclose(result.effective_sample_size, 16 / 6)


def test_ais_starts_from_the_given_base_rate(digits, digits_rbm):
    W = digits_rbm.components_
    b, a = digits_rbm.intercept_hidden_, digits_rbm.intercept_visible_
    exact = _ais.exact_log_partition(W, b, a)
    flat = np.zeros_like(a)  # a poor base: every pixel on with probability 1/2
    result = _ais.ais_log_partition(
        W,
        b,
        a,
        base_visible_bias=flat,
        n_runs=100,
        betas=1000,
        generator=np.random.default_rng(0),
    )
    assert_allclose(result.log_z_base, _ais.base_log_partition(flat, W.shape[0]))
    assert abs(result.log_z - exact) < 0.2  # the same target from any base


def test_exact_bound_is_refused_before_ais_runs(digits, monkeypatch):
    # A top RBM of 22 x 21 units is too large to enumerate: its log Z needs AIS.
    dbn = DBNTransformer(hidden_layer_sizes=(22, 21), rbm_n_iter=1, random_state=0)
    dbn.fit(digits[:100])
    monkeypatch.setattr(_ais, "ais_log_partition", None)  # AIS would crash
    with pytest.raises(ValueError, match="needs <= 16 units"):
        dbn.log_likelihood_lower_bound(digits[:5], n_samples=None)
    assert not hasattr(dbn.rbms_[-1], "log_partition_")


def test_ais_that_did_not_converge_warns():
    """Weights of 1000 freeze the chains: the band is unbounded below and the
    estimate 100 nats too low; that must not pass in silence."""
    from sklearn.exceptions import ConvergenceWarning

    rbm = RBMTransformer(n_components=7, n_iter=1, random_state=0).fit(
        (np.random.default_rng(0).random((20, 25)) < 0.5).astype(float)
    )
    rbm.components_ = np.random.default_rng(1).normal(0, 1000, (7, 25))
    with pytest.warns(ConvergenceWarning, match="AIS did not converge"):
        rbm.estimate_log_partition(n_runs=20, n_betas=100, exact=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rbm.estimate_log_partition(n_runs=1, n_betas=100, exact=False)  # no band


def test_pseudo_likelihood_takes_integer_states():
    from skdbn._cd import pseudo_likelihood

    W, b, a = _random_rbm(3, 5, seed=0)
    V = (np.random.default_rng(0).random((4, 5)) < 0.5).astype(int)
    assert_allclose(pseudo_likelihood(V, W, a, b), pseudo_likelihood(V * 1.0, W, a, b))
    assert_allclose(
        pseudo_likelihood(V.astype(bool), W, a, b), pseudo_likelihood(V * 1.0, W, a, b)
    )


@pytest.mark.parametrize("units", ["bernoulli", "gaussian"])
def test_log_partition_floor_is_a_lower_bound(units):
    for seed in range(5):
        W, b, a = _random_rbm(4, 6, seed, scale=1.0 if units == "bernoulli" else 0.3)
        floor = _ais.log_partition_floor(W, b, a, units)
        assert floor <= _ais.exact_log_partition(W, b, a, units)
    # Tight where the dropped terms vanish: no weights, Gaussian units.
    _, b, a = _random_rbm(4, 6, 0)
    W = np.zeros((4, 6))
    assert_allclose(
        _ais.log_partition_floor(W, b, a, "gaussian"),
        _ais.exact_log_partition(W, b, a, "gaussian"),
    )


def test_ais_from_data_on_another_scale_warns_or_raises():
    from sklearn.exceptions import ConvergenceWarning

    X = np.random.default_rng(0).normal(size=(100, 5))
    rbm = RBMTransformer(
        10, visible_units="gaussian", learning_rate=0.01, n_iter=3, random_state=0
    ).fit(X)
    exact = rbm.estimate_log_partition(exact=True).log_partition_
    params = dict(exact=False, n_betas=300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rbm.estimate_log_partition(X, **params).log_partition_ > exact - 0.1
    # A base rate at 1e100 drove the estimate to -1.7e196 in silence, and at
    # 1e200 to NaN (log_likelihood then NaN too).
    with pytest.warns(ConvergenceWarning, match="AIS failed: its estimate"):
        rbm.estimate_log_partition(X * 1e100, **params)
    del rbm.log_partition_
    with pytest.raises(ValueError, match="AIS failed: its estimate of log Z is nan"):
        rbm.estimate_log_partition(X * 1e200, **params)
    assert not hasattr(rbm, "log_partition_")
