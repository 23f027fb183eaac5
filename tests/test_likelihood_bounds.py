"""Log-likelihoods bracketed from both sides: reverse annealing (RAISE) below,
forward AIS above, and the warning when the two disagree (issue #21)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.special import expit, logsumexp
from sklearn.exceptions import ConvergenceWarning

from skdbn import RBMTransformer, _ais, _cd


def _random_rbm(n_hidden, n_visible, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(0, scale, (n_hidden, n_visible)),
        rng.normal(0, 1, n_hidden),
        rng.normal(0, 1, n_visible),
    )


def _states(n):
    return _ais._binary_states(0, 2**n, n, np.float64)


def _exact_log_prob(V, W, b, a):
    return -_cd.free_energy(V, W, a, b) - _ais.exact_log_partition(W, b, a)


def _gibbs_kernel(W, b, a, a_base, beta):
    """``T[i, j] = P(v_j | v_i)`` of one Gibbs sweep at ``beta``, by enumeration."""
    V, H = _states(W.shape[1]), _states(W.shape[0])
    a_beta = (1 - beta) * a_base + beta * a

    def log_cond(X, Y, logits):  # log P(Y | X) for factorial Bernoulli units
        return Y @ logits.T - np.logaddexp(0, logits).sum(1)  # (n_Y, n_X)

    h_given_v = np.exp(log_cond(V, H, beta * (V @ W.T + b))).T  # (n_v, n_h)
    v_given_h = np.exp(log_cond(H, V, beta * (H @ W) + a_beta)).T  # (n_h, n_v)
    return h_given_v @ v_given_h


def test_raise_weight_is_unbiased_for_the_annealed_model():
    """E[p_hat(v)] = p_ann(v), the probability of v under forward annealing with
    a sweep at every temperature after 0 (the last at beta = 1), which three
    visible and two hidden units let us compute exactly. A wrong increment, a
    missing sweep or a sweep at the wrong temperature moves it."""
    W, b, a = _random_rbm(2, 3, seed=1, scale=1.5)
    a_base = np.array([0.3, -0.5, 1.0])
    betas = np.array([0.0, 0.4, 1.0])
    V = _states(3)
    p0 = np.exp(V @ a_base - np.logaddexp(0, a_base).sum())
    p_ann = p0
    for beta in betas[1:]:
        p_ann = p_ann @ _gibbs_kernel(W, b, a, a_base, beta)
    result = _ais.raise_log_likelihood(
        V,
        W,
        b,
        a,
        base_visible_bias=a_base,
        n_chains=20000,
        betas=betas,
        generator=np.random.default_rng(0),
    )
    # 20,000 chains per state: the mean weight within 4 standard errors.
    weights = np.exp(result.log_weights)
    se = weights.std(axis=1) / np.sqrt(weights.shape[1])
    assert np.all(np.abs(weights.mean(1) - p_ann) < 4 * se + 1e-12)
    assert_allclose(result.log_prob, np.log(weights.mean(1)), rtol=1e-10)
    assert_allclose(result.neg_free_energy, -_cd.free_energy(V, W, a, b))
    # and the test tells p_ann from p: the exact p(v) is > 20 standard errors off
    p = np.exp(_exact_log_prob(V, W, b, a))
    assert np.max(np.abs(p - p_ann) / se) > 20


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bounds_bracket_exact_on_enumerable_rbm(dtype):
    """Each side errs its own way, and both close in on the exact value: the
    reverse mean below it, the forward mean above it (each up to its own
    sampling noise, 0.01-0.05 nat here), within 0.05 nat of it with 1,000
    temperatures (0.5 with 30)."""
    W, b, a = _random_rbm(8, 10, seed=1)
    rng = np.random.default_rng(2)
    V = (rng.random((300, 10)) < 0.5).astype(dtype)
    exact = _exact_log_prob(V.astype(float), W, b, a).mean()
    for n_betas, error in [(30, 0.5), (1000, 0.05)]:
        gen = np.random.default_rng(3)
        args = (W.astype(dtype), b.astype(dtype), a)
        forward = _ais.ais_log_partition(
            *args, n_runs=300, betas=n_betas, generator=gen
        )
        reverse = _ais.raise_log_likelihood(V, *args, betas=n_betas, generator=gen)
        lower = reverse.log_prob.mean()
        upper = reverse.neg_free_energy.mean() - forward.log_z
        assert exact - error < lower < exact + 0.01, (n_betas, lower, exact)
        assert exact - 0.05 < upper < exact + error, (n_betas, upper, exact)
        assert_allclose(reverse.log_z, reverse.neg_free_energy.mean() - lower)


def test_bounds_bracket_exact_gaussian():
    """Gaussian visible units: rows drawn from the model itself (exactly, via
    its hidden marginal), so the reverse side bounds log Z from above."""
    W, b, a = _random_rbm(6, 5, seed=4, scale=0.5)
    H = _states(6)
    log_ph = H @ b + (H @ W) @ a + 0.5 * np.einsum("ij,ij->i", H @ W, H @ W)
    rng = np.random.default_rng(5)
    h = H[rng.choice(len(H), 400, p=np.exp(log_ph - logsumexp(log_ph)))]
    V = h @ W + a + rng.normal(size=(400, 5))
    log_z = _ais.exact_log_partition(W, b, a, "gaussian")
    gen = np.random.default_rng(6)
    forward = _ais.ais_log_partition(W, b, a, "gaussian", betas=1000, generator=gen)
    reverse = _ais.raise_log_likelihood(
        V, W, b, a, "gaussian", betas=1000, generator=gen
    )
    assert log_z - 0.05 < forward.log_z < log_z + 0.02
    assert log_z - 0.02 < reverse.log_z < log_z + 0.05


def _bimodal_rbm(n_visible=12, weight=40.0, visible_bias=-2.0):
    """Two far-apart modes: 'all off' (every visible bias -2), where every
    chain from the base rate starts, and 'all on', which one hidden unit makes
    exp(16) times more probable but which a sweep reaches from the off mode
    with probability about sigmoid(-2)**12 = 1e-11 (the hidden unit wakes only
    when 11 of the 12 units are on)."""
    W = np.full((1, n_visible), weight)
    b = np.array([weight * (1 - n_visible)])
    a = np.full(n_visible, visible_bias)
    return W, b, a


def test_bimodal_rbm_forward_is_confidently_low_and_reverse_catches_it():
    W, b, a = _bimodal_rbm()
    log_z = _ais.exact_log_partition(W, b, a)
    floor = np.logaddexp(0, a).sum()  # log Z of the off mode alone (h = 0)
    assert log_z > floor + 14
    forward = _ais.ais_log_partition(
        W, b, a, n_runs=100, betas=100, generator=np.random.default_rng(0)
    )
    # Every run stays in the off mode: the weights agree, the band is narrow,
    # the ESS is all the runs, and the estimate is the off mode's log Z.
    assert forward.effective_sample_size > 99
    assert forward.log_z_high - forward.log_z_low < 0.01
    assert_allclose(forward.log_z, floor, atol=0.01)
    # Reverse annealing from the model's own samples (all on, probability
    # 1 - 1e-7) lands above the exact value, so the pair brackets it.
    V = np.ones((20, W.shape[1]))
    reverse = _ais.raise_log_likelihood(
        V, W, b, a, betas=100, generator=np.random.default_rng(0)
    )
    assert reverse.log_z > log_z
    lower, upper = reverse.log_prob, reverse.neg_free_energy - forward.log_z
    exact = _exact_log_prob(V, W, b, a)
    assert np.all(lower.mean() < exact.mean()) and exact.mean() < upper.mean()
    message = _ais.bracket_warning(lower, upper, log_z=(forward.log_z, reverse.log_z))
    assert f"{upper.mean() - lower.mean():.2f} nats per row" in message
    assert f"{forward.log_z:.2f} forward" in message


def _rbm_with(W, b, a):
    """An RBMTransformer whose parameters are set to W, b, a after a dummy fit."""
    rng = np.random.default_rng(0)
    rbm = RBMTransformer(n_components=W.shape[0], n_iter=1, random_state=0)
    rbm.fit((rng.random((20, W.shape[1])) < 0.5).astype(float))
    rbm.components_, rbm.intercept_hidden_, rbm.intercept_visible_ = W, b, a
    return rbm


def test_estimator_warns_on_the_bimodal_rbm():
    W, b, a = _bimodal_rbm()
    rbm = _rbm_with(W, b, a)
    V = np.ones((20, W.shape[1]))
    with pytest.warns(ConvergenceWarning, match="disagree by") as record:
        lower, upper = rbm.log_likelihood_bounds(
            V, n_betas=100, random_state=0, exact=False
        )
    assert record[0].filename == __file__  # points at the caller's line
    message = str(record[0].message)
    assert f"between {lower.mean():.2f}" in message and f"{upper.mean():.2f}" in message
    assert "n_betas" in message and "n_runs" in message
    exact = _exact_log_prob(V, W, b, a)
    assert lower.mean() < exact.mean() < upper.mean()
    # A looser tolerance than the gap lets it pass.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rbm.log_likelihood_bounds(
            V, n_betas=100, random_state=0, exact=False, tolerance=1e3
        )


def test_bracket_warning_tolerance_and_crossing():
    lower, upper = np.array([-10.0, -12.0]), np.array([-9.5, -11.0])
    assert _ais.bracket_warning(lower, upper, tolerance=1.0) is None
    assert "disagree by 0.75" in _ais.bracket_warning(lower, upper, tolerance=0.5)
    crossed = _ais.bracket_warning(upper + 2, upper)
    assert "cross" in crossed and "2.00 nats per row above" in crossed
    assert "disagree by inf" in _ais.bracket_warning(lower, upper + np.inf)


@pytest.fixture(scope="module")
def digits_rbm_and_data():
    from sklearn.datasets import load_digits

    X = (load_digits().data > 7).astype(np.float64)
    rbm = RBMTransformer(
        n_components=12, learning_rate=0.05, batch_size=20, n_iter=10, random_state=0
    ).fit(X[:1000])
    return rbm, X


def test_estimator_bounds_agree_with_exact_on_digits(digits_rbm_and_data):
    rbm, X = digits_rbm_and_data
    X_test = X[1000:1200]
    exact = rbm.estimate_log_partition().log_likelihood(X_test)
    lower, upper = rbm.log_likelihood_bounds(X_test)  # 12 units: enumerated
    assert_allclose(lower, exact) and assert_allclose(upper, exact)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # converged: no warning
        lower, upper = rbm.log_likelihood_bounds(
            X_test, X[:1000], n_betas=1000, random_state=0, exact=False
        )
    assert exact.mean() - 0.3 < lower.mean() < exact.mean() + 0.05
    assert exact.mean() - 0.05 < upper.mean() < exact.mean() + 0.3
    # Same seed, same numbers; sparse rows are the same rows.
    again = rbm.log_likelihood_bounds(
        sp.csr_matrix(X_test), X[:1000], n_betas=1000, random_state=0, exact=False
    )
    assert_allclose(again[0], lower) and assert_allclose(again[1], upper)


def test_estimator_bounds_validate_arguments(digits_rbm_and_data):
    from sklearn.utils._param_validation import InvalidParameterError

    rbm, X = digits_rbm_and_data
    for bad in ({"n_chains": 0}, {"tolerance": -1.0}, {"n_betas": 2}):
        with pytest.raises(InvalidParameterError):
            rbm.log_likelihood_bounds(X[:5], **bad)
    with pytest.raises(ValueError, match="features"):
        rbm.log_likelihood_bounds(X[:5, :10])
    with pytest.raises(ValueError, match="features"):
        rbm.log_likelihood_bounds(X[:5], X[:5, :10])


def test_sigmoid_helper_matches_scipy():
    # _gibbs_kernel's logistic conditionals are those of _cd (one row checked).
    W, b, a = _random_rbm(2, 3, seed=7)
    T = _gibbs_kernel(W, b, a, a, 1.0)
    assert_allclose(T.sum(1), 1.0)
    v = _states(3)[5]
    p_h = expit(v @ W.T + b)
    H = _states(2)
    ph = np.prod(np.where(H == 1, p_h, 1 - p_h), axis=1)
    pv = np.prod(
        np.where(_states(3)[:, None] == 1, expit(H @ W + a), 1 - expit(H @ W + a)),
        axis=2,
    )
    assert_allclose(T[5], pv @ ph)


def test_dbn_bound_bracket_contains_the_exact_bound():
    """A (12, 6) DBN on digits: its top RBM is enumerable, so the bound with the
    exact log Z_top is known; annealing brackets it and, converged, does not
    warn. The two sides differ by the same amount on every row."""
    from sklearn.datasets import load_digits

    from skdbn import DBNTransformer

    X = (load_digits().data > 7).astype(np.float64)[:300]
    dbn = DBNTransformer(hidden_layer_sizes=(12, 6), random_state=0).fit(X)
    exact, same = dbn.log_likelihood_bound_bracket(X, n_samples=None)
    assert_allclose(exact, same)
    assert_allclose(exact, dbn.log_likelihood_lower_bound(X, n_samples=None))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lower, upper = dbn.log_likelihood_bound_bracket(
            X, n_samples=None, n_betas=1000, random_state=0, exact=False
        )
    assert_allclose(upper - lower, (upper - lower)[0])
    assert lower.mean() - 0.02 < exact.mean() < upper.mean() + 0.02
    assert upper.mean() - lower.mean() < 0.2


def test_dbn_bound_bracket_warns_on_a_bimodal_top_rbm():
    """One layer: the DBN is the bimodal RBM, and the forward side misses. The
    rows (a quarter in the 'on' mode) set the base rate's pixel marginals to
    1/4, so the forward runs start near the 'off' mode."""
    from skdbn import DBNTransformer

    W, b, a = _bimodal_rbm()
    dbn = DBNTransformer(hidden_layer_sizes=(1,), random_state=0)
    dbn.fit((np.random.default_rng(0).random((20, 12)) < 0.5).astype(float))
    top = dbn.rbms_[0]
    top.components_, top.intercept_hidden_, top.intercept_visible_ = W, b, a
    V = np.repeat([[1.0], [0.0], [0.0], [0.0]], 5, axis=0) * np.ones(12)
    with pytest.warns(ConvergenceWarning, match="disagree by"):
        lower, upper = dbn.log_likelihood_bound_bracket(
            V, n_betas=100, random_state=0, exact=False
        )
    # The forward side is 14 nats high. (The reverse side is no bound here:
    # three rows in four sit in the mode the model finds improbable, where the
    # annealed model, which misses the other mode, puts too much mass.)
    exact = _exact_log_prob(V, W, b, a)
    assert upper.mean() > exact.mean() + 10


def test_use_enumeration():
    assert _ais.use_enumeration(np.zeros((20, 30)))
    assert not _ais.use_enumeration(np.zeros((21, 30)))
    assert _ais.use_enumeration(np.zeros((30, 20)))  # the visible layer
    assert not _ais.use_enumeration(np.zeros((21, 5)), "gaussian")  # hidden only
    assert not _ais.use_enumeration(np.zeros((2, 3)), exact=False)
    assert _ais.use_enumeration(np.zeros((40, 40)), exact=True)
