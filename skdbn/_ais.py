"""Partition functions and log-likelihoods of RBMs and DBNs, as plain functions.

Notation and energy as in :mod:`skdbn._cd`: weights ``W`` of shape
``(n_hidden, n_visible)``, hidden biases ``b``, visible biases ``a``, and
``log p(v) = -F(v) - log Z`` with ``Z = sum_v sum_h exp(-E(v, h))`` (an integral
over ``v`` for Gaussian unit-variance visible units).

* :func:`exact_log_partition` enumerates the states of the smaller layer (the
  hidden one for Gaussian visible units) and sums the other out analytically.
* :func:`ais_log_partition` estimates ``log Z`` by annealed importance sampling
  (Neal, 2001; Salakhutdinov and Murray, 2008) from a base-rate RBM, one with no
  weights and the data's marginals as visible biases (its ``log Z`` is in closed
  form). The intermediate distribution at inverse temperature ``beta`` is the
  marginal over ``v`` of the RBM with weights ``beta W``, hidden biases
  ``beta b`` and visible biases ``(1 - beta) a_base + beta a``: at ``beta = 0``
  the base rate (its hidden units uniform), at ``beta = 1`` the model. All runs
  advance together: per temperature, one product ``V @ W.T`` gives both the
  importance-weight increment and the hidden conditionals, and one ``H @ W`` the
  visible ones.
* :func:`raise_log_likelihood` anneals the other way (RAISE; Burda, Grosse and
  Salakhutdinov, 2015): from data rows at ``beta = 1`` down to the base rate, on
  the same runs, temperatures and Gibbs sweeps. It gives a stochastic *lower*
  bound on each row's log-likelihood under the annealed model, and so (on rows
  like the model's own samples) a mean log-likelihood from below, where forward
  AIS, through a ``log Z`` that is low in expectation, gives one from above;
  :func:`bracket_warning` says when the two disagree.
* :func:`dbn_lower_bound` is the variational lower bound on ``log p(v)`` of a
  Deep Belief Network (Salakhutdinov and Murray, 2008, section 4).
"""

from numbers import Integral
from typing import NamedTuple

import numpy as np
from scipy.special import logsumexp

from ._activations import log_sigmoid, sigmoid, softplus_sum
from ._cd import (
    free_energy,
    marginal_visible_biases,
    sample_bernoulli,
    sample_logistic,
    sample_visible,
)

MAX_EXACT_UNITS = 20
MIN_BETAS = 3  # the fewest inverse temperatures: 0, one in between, 1
_CHUNK_ELEMENTS = 2**22  # bound on an enumeration chunk's temporaries


class AISResult(NamedTuple):
    """An AIS estimate of ``log Z`` with its uncertainty.

    Attributes
    ----------
    log_z : float
        ``log Z_base + log(mean(w))``: the log of the (unbiased) estimate of ``Z``.
        Being a log, it underestimates ``log Z`` in expectation (so it
        overestimates log-likelihoods): a stochastic lower bound. On multimodal
        models the weights have a heavy right tail and typical estimates sit
        several nats low.
    log_z_low, log_z_high : float
        ``log(Z_hat -/+ 3 sigma)``, ``sigma`` the sample standard error of
        ``Z_hat`` (standard deviation of the weights over ``sqrt(n_runs)``);
        ``log_z_low`` is ``-inf`` when ``3 sigma > Z_hat``. Computed from the
        runs that were drawn, it cannot see the rare heavy runs that were not:
        a narrow band is no evidence of convergence (compare with
        :func:`raise_log_likelihood`).
    log_weights : ndarray of shape (n_runs,)
        Log importance weights ``log w`` of the runs (float64).
    log_z_base : float
        ``log Z`` of the base-rate model the runs start from.
    """

    log_z: float
    log_z_low: float
    log_z_high: float
    log_weights: np.ndarray
    log_z_base: float

    @property
    def effective_sample_size(self):
        """``(sum w)**2 / sum w**2``: near ``n_runs`` when the weights agree.

        A small value shows that the estimate has not converged; a large one
        does not show that it has (the runs may all miss the same modes).
        """
        w = np.exp(self.log_weights - self.log_weights.max())
        return float(w.sum() ** 2 / (w @ w))


def _binary_states(start, stop, n_units, dtype):
    """Rows ``start..stop-1`` of the ``2**n_units`` binary states, as bits."""
    codes = np.arange(start, stop, dtype=np.int64)[:, None]
    return ((codes >> np.arange(n_units)) & 1).astype(dtype)


def _enumerate(n_units, width, func):
    """``logsumexp`` of ``func(states)`` over every binary state, chunked."""
    total = 2**n_units
    rows = max(1, _CHUNK_ELEMENTS // max(width, n_units, 1))
    parts = [
        logsumexp(func(_binary_states(s, min(s + rows, total), n_units, np.float64)))
        for s in range(0, total, rows)
    ]
    return float(logsumexp(parts))


def exact_log_partition(W, b, a, visible_units="bernoulli"):
    """``log Z`` by enumerating the smaller layer, summing the other out exactly.

    Bernoulli visible units: ``log Z = logsumexp_v -F(v)`` over the ``2**n_visible``
    visible states, or ``logsumexp_h [b.h + sum_i softplus(a_i + (W.T h)_i)]`` over
    the hidden ones, whichever is fewer. Gaussian units: over the hidden states,
    ``log Z = n_visible / 2 log(2 pi) + logsumexp_h [b.h + a.c + ||c||**2 / 2]``
    with ``c = W.T h`` (the Gaussian integral). Computed in float64 in chunks of at
    most about ``2**22`` temporaries.

    Raises ValueError when the enumerated layer has more than 20 units.
    """
    W, b, a = (np.asarray(p, dtype=np.float64) for p in (W, b, a))
    n_hidden, n_visible = W.shape
    bernoulli = visible_units == "bernoulli"
    n_enum = min(n_hidden, n_visible) if bernoulli else n_hidden
    if n_enum > MAX_EXACT_UNITS:
        raise ValueError(
            f"Exact enumeration needs at most {MAX_EXACT_UNITS} units in the "
            f"enumerated layer, got {n_enum}; use AIS instead."
        )
    if bernoulli and n_visible <= n_hidden:
        return _enumerate(n_visible, n_hidden, lambda V: -free_energy(V, W, a, b))
    if bernoulli:  # the same formula with the layers' roles swapped
        return _enumerate(n_hidden, n_visible, lambda H: -free_energy(H, W.T, b, a))

    def gaussian_terms(H):
        C = H @ W
        return H @ b + C @ a + 0.5 * np.einsum("ij,ij->i", C, C)

    return 0.5 * n_visible * np.log(2 * np.pi) + _enumerate(
        n_hidden, n_visible, gaussian_terms
    )


def use_enumeration(W, visible_units="bernoulli", exact=None):
    """Whether ``log Z`` is to be enumerated: ``exact`` when it is a bool, else
    whether the enumerated layer of :func:`exact_log_partition` has at most
    ``MAX_EXACT_UNITS`` units."""
    if exact is not None:
        return bool(exact)
    n_enum = min(W.shape) if visible_units == "bernoulli" else W.shape[0]
    return n_enum <= MAX_EXACT_UNITS


def log_partition_floor(W, b, a, visible_units="bernoulli"):
    """A lower bound on ``log Z`` that holds for every RBM, in closed form.

    Dropping all but some terms of a sum of positive terms leaves less. Bernoulli:
    the terms with ``h = 0`` sum to ``prod_i (1 + exp(a_i))``, those with ``v = 0``
    to ``prod_j (1 + exp(b_j))``. Gaussian: dropping ``||W.T h||**2 / 2`` from the
    exponent of :func:`exact_log_partition`'s terms leaves ``(2 pi)**(n_visible/2)
    prod_j (1 + exp(b_j + W_j . a))``. An AIS estimate below it has failed.
    """
    W, b, a = (np.asarray(p, dtype=np.float64) for p in (W, b, a))
    if visible_units == "bernoulli":
        return float(max(np.logaddexp(0.0, a).sum(), np.logaddexp(0.0, b).sum()))
    return float(0.5 * a.size * np.log(2 * np.pi) + np.logaddexp(0.0, b + W @ a).sum())


def base_rate_biases(X, visible_units="bernoulli", eps=1e-3):
    """Visible biases of the base-rate model: the data's marginals (float64)."""
    return marginal_visible_biases(X, visible_units, eps)


def base_log_partition(a_base, n_hidden, visible_units="bernoulli"):
    """``log Z`` of the weightless RBM with visible biases ``a_base``, hidden
    biases 0 and ``n_hidden`` hidden units (uniform, ``n_hidden log 2``)."""
    a_base = np.asarray(a_base, dtype=np.float64)
    log_z = n_hidden * np.log(2.0)
    if visible_units == "bernoulli":
        return float(log_z + np.logaddexp(0.0, a_base).sum())
    return float(log_z + 0.5 * a_base.size * np.log(2 * np.pi))


def ais_schedule(n_betas=10000):
    """Inverse temperatures from 0 to 1, denser near 1.

    The proportions of Salakhutdinov and Murray (2008): ``500 / 14,500`` of the
    points evenly in ``[0, 0.5)``, ``4,000 / 14,500`` in ``[0.5, 0.9)`` and the
    rest in ``[0.9, 1]``. ``n_betas`` (an int >= 3) includes both ends; each
    stretch has at least one point, except ``[0.5, 0.9)`` for ``n_betas=3``
    (``[0, 0.9, 1]``).
    """
    if isinstance(n_betas, bool) or not isinstance(n_betas, Integral):
        raise ValueError(f"n_betas must be an int, got {n_betas!r}.")
    if n_betas < MIN_BETAS:
        raise ValueError(f"n_betas must be >= {MIN_BETAS}, got {n_betas}.")
    n1 = max(1, round(n_betas * 500 / 14500))
    # [0.9, 1] keeps both its ends: 1 is always the last temperature
    n2 = min(max(1, round(n_betas * 4000 / 14500)), n_betas - n1 - 2)
    n3 = n_betas - n1 - n2
    return np.concatenate(
        [
            np.linspace(0.0, 0.5, n1, endpoint=False),
            np.linspace(0.5, 0.9, n2, endpoint=False),
            np.linspace(0.9, 1.0, n3),
        ]
    )


def check_betas(betas):
    """The inverse temperatures: ``ais_schedule(betas)`` for an int, else checked."""
    betas = ais_schedule(betas) if np.ndim(betas) == 0 else np.asarray(betas, float)
    if (
        betas.ndim != 1
        or betas.size < 2
        or not np.isfinite(betas).all()
        or betas[0] != 0
        or betas[-1] != 1
        or np.any(np.diff(betas) < 0)
    ):
        raise ValueError(f"betas must be non-decreasing from 0 to 1, got {betas}.")
    return betas


def log_mean_exp_band(log_weights, n_sigma=3.0):
    """``(log mean w, log(mean w - n_sigma se), log(mean w + n_sigma se))``.

    ``se = std(w, ddof=1) / sqrt(n)``; computed after shifting by ``max(log w)``,
    so nothing overflows. The low end is ``-inf`` when ``n_sigma se`` exceeds
    the mean. One weight says nothing about the spread: the band is then
    ``(-inf, inf)``, never the single point that marks an exact value.
    """
    lw = np.asarray(log_weights, dtype=np.float64)
    shift = lw.max()
    w = np.exp(lw - shift)
    mean = w.mean()
    se = w.std(ddof=1) / np.sqrt(w.size) if w.size > 1 else np.inf
    low = mean - n_sigma * se
    with np.errstate(divide="ignore"):
        log_low = np.log(low) if low > 0 else -np.inf
    return shift + np.log(mean), shift + log_low, shift + np.log(mean + n_sigma * se)


class _AISRuns:
    """The state of ``n_runs`` annealing runs, in preallocated buffers."""

    def __init__(self, W, b, a, a_base, n_runs, visible_units, generator):
        self.W, self.b, self.units, self.gen = W, b, visible_units, generator
        self.a, self.a_base = a, a_base.astype(W.dtype)
        self.da = (a - self.a_base).astype(W.dtype)  # d(visible bias)/d(beta)
        n_hidden, n_visible = W.shape
        dtype = W.dtype
        self.V = np.empty((n_runs, n_visible), dtype)
        self.X = np.empty((n_runs, n_hidden), dtype)  # V @ W.T + b
        self.S = np.empty((n_runs, n_hidden), dtype)
        self.T = np.empty((n_runs, n_hidden), dtype)
        self.proj = np.empty(n_runs, dtype)
        self.noise_v = np.empty((n_runs, n_visible), np.float32)
        self.log_w = np.zeros(n_runs, np.float64)

    def start(self):
        """Draw ``v`` from the base-rate model (the ``beta = 0`` distribution)."""
        self.V[...] = self.a_base
        if self.units == "bernoulli":
            sample_logistic(self.V, self.gen, out=self.V)
        else:
            sample_visible(self.V, self.gen, self.units, self.V, self.noise_v)

    def start_at(self, V):
        """Put the runs at the states ``V`` (for reverse annealing, at ``beta = 1``)."""
        self.V[...] = V
        np.matmul(self.V, self.W.T, out=self.X)
        self.X += self.b

    def accumulate(self, beta_prev, beta):
        """Add ``log f_beta(v) - log f_beta_prev(v)`` to the log weights."""
        np.matmul(self.V, self.W.T, out=self.X)
        self.X += self.b
        S, T = self.S, self.T
        log_sigmoid(np.multiply(self.X, -beta_prev, out=S), out=S)
        log_sigmoid(np.multiply(self.X, -beta, out=T), out=T)
        S -= T  # softplus(beta x) - softplus(beta_prev x), element by element
        self.log_w += S.sum(axis=1)
        np.matmul(self.V, self.da, out=self.proj)
        self.log_w += (beta - beta_prev) * self.proj.astype(np.float64)
        if self.units == "gaussian":  # -||a_beta||^2 / 2 normalising terms
            self.log_w -= 0.5 * (self._sq_bias(beta) - self._sq_bias(beta_prev))

    def _sq_bias(self, beta):
        a_beta = (1 - beta) * self.a_base.astype(np.float64) + beta * self.a
        return float(a_beta @ a_beta)

    def transition(self, beta):
        """One Gibbs sweep at ``beta`` (``X`` holds ``V @ W.T + b`` already)."""
        H = sample_logistic(np.multiply(self.X, beta, out=self.T), self.gen, self.T)
        V = np.matmul(H, self.W, out=self.V)
        V *= beta
        V += (1 - beta) * self.a_base + beta * self.a
        if self.units == "bernoulli":
            sample_logistic(V, self.gen, out=V)
        else:
            sample_visible(V, self.gen, self.units, out=V, noise=self.noise_v)


def ais_log_partition(
    W,
    b,
    a,
    visible_units="bernoulli",
    *,
    base_visible_bias=None,
    n_runs=100,
    betas=10000,
    generator=None,
    dtype=None,
):
    """Estimate ``log Z`` of an RBM by annealed importance sampling.

    Parameters
    ----------
    W : ndarray of shape (n_hidden, n_visible)
    b : ndarray of shape (n_hidden,)
    a : ndarray of shape (n_visible,)
    visible_units : {'bernoulli', 'gaussian'}, default='bernoulli'
    base_visible_bias : ndarray of shape (n_visible,) or None
        Visible biases of the base-rate model, e.g. :func:`base_rate_biases` of
        the training data; None uses ``a`` (the model with its weights off).
    n_runs : int, default=100
        Independent annealing runs, advanced together.
    betas : int or array-like, default=10000
        The inverse temperatures, from 0 to 1, or their number for
        :func:`ais_schedule`. Cost: two ``n_runs x n_visible x n_hidden``
        products per temperature.
    generator : numpy.random.Generator or None
    dtype : dtype or None
        Working precision (default ``W``'s): float32 halves the cost; the log
        weights are accumulated in float64 either way.

    Returns
    -------
    AISResult
    """
    dtype = np.dtype(W.dtype if dtype is None else dtype)
    W, b = np.asarray(W, dtype), np.asarray(b, dtype)
    a = np.asarray(a, np.float64)
    a_base = a if base_visible_bias is None else np.asarray(base_visible_bias, float)
    betas = check_betas(betas)
    gen = np.random.default_rng() if generator is None else generator
    runs = _AISRuns(W, b, a, a_base, int(n_runs), visible_units, gen)
    runs.start()
    for k in range(1, betas.size):
        runs.accumulate(betas[k - 1], betas[k])
        if k < betas.size - 1:
            runs.transition(betas[k])
    log_z_base = base_log_partition(a_base, W.shape[0], visible_units)
    log_mean, log_low, log_high = log_mean_exp_band(runs.log_w)
    return AISResult(
        log_z=float(log_z_base + log_mean),
        log_z_low=float(log_z_base + log_low),
        log_z_high=float(log_z_base + log_high),
        log_weights=runs.log_w,
        log_z_base=log_z_base,
    )


class RAISEResult(NamedTuple):
    """Reverse-annealing (RAISE) estimates of ``log p(v)`` for rows of data.

    Attributes
    ----------
    log_prob : ndarray of shape (n_rows,)
        ``log(mean_c p_hat_c(v))`` over each row's chains: a stochastic lower
        bound on ``log p(v)`` (float64).
    log_weights : ndarray of shape (n_rows, n_chains)
        ``log p_hat(v)`` of each chain (float64).
    neg_free_energy : ndarray of shape (n_rows,)
        ``-F(v)`` of each row (float64).
    log_z_base : float
        ``log Z`` of the base-rate model the chains end at.
    """

    log_prob: np.ndarray
    log_weights: np.ndarray
    neg_free_energy: np.ndarray
    log_z_base: float

    @property
    def log_z(self):
        """``mean(-F(v) - log_prob)``: the ``log Z`` the rows' bounds imply, an
        estimate of ``log Z`` from above (for rows that look like the model's
        samples), to set against forward AIS's estimate from below."""
        return float(np.mean(self.neg_free_energy - self.log_prob))


_RAISE_BLOCK = 1024  # chains annealed together (bounds the temporaries)


def raise_log_likelihood(
    V,
    W,
    b,
    a,
    visible_units="bernoulli",
    *,
    base_visible_bias=None,
    n_chains=1,
    betas=10000,
    generator=None,
    dtype=None,
):
    """Stochastic lower bounds on ``log p(v)`` by reverse annealing (RAISE).

    Forward AIS with a Gibbs sweep at every temperature, the last one at
    ``beta = 1``, defines a generative model ``p_ann(v)``: draw ``v_0`` from the
    base rate, then ``v_k`` from the sweep at ``beta_k`` for ``k = 1..K``. It
    approaches the RBM's ``p(v)`` as the temperatures grow denser. RAISE
    (Burda, Grosse and Salakhutdinov, 2015) runs that chain backwards from a
    data row: ``v_K = v``, then ``v_{k-1}`` from the sweep at ``beta_k`` (the
    sweeps are reversible, so they are their own reversals), down to ``v_0``.
    The importance weight of the backward path against the forward one is::

        p_hat(v) = exp(-F(v)) / Z_base
                   / prod_{k=0}^{K-1} f_{k+1}(v_k) / f_k(v_k)

    with ``f_k`` the unnormalised marginal at ``beta_k`` (the same increments
    as forward AIS, collected along the backward path). ``E[p_hat(v)] =
    p_ann(v)``, so ``log p_hat(v)`` is a stochastic lower bound on ``log
    p_ann(v)``. ``p_ann`` is not ``p``: it puts too little mass in the modes
    the annealing misses and so too much elsewhere. Averaged over rows drawn
    from the RBM itself, ``log p_ann`` is below ``log p`` by ``KL(p || p_ann)
    >= 0``; so on such rows, and in practice on the data of a model that fits
    it, the mean of these bounds estimates the mean log-likelihood from below,
    where forward AIS (through a low ``log Z``) estimates it from above. On
    rows that the model finds improbable it can lie above ``log p(v)``. Same
    intermediate RBMs, schedule and cost per temperature as
    :func:`ais_log_partition`, with one chain per row and chain.

    Parameters
    ----------
    V : {ndarray, sparse matrix} of shape (n_rows, n_visible)
        The rows to bound (binary for Bernoulli units).
    W, b, a, visible_units, base_visible_bias, betas, generator, dtype
        As in :func:`ais_log_partition`.
    n_chains : int, default=1
        Chains per row; the row's bound is the log of their mean weight
        (tighter with more chains, a bound with any number).

    Returns
    -------
    RAISEResult
    """
    dtype = np.dtype(W.dtype if dtype is None else dtype)
    W64, b64 = np.asarray(W, np.float64), np.asarray(b, np.float64)
    W, b = np.asarray(W, dtype), np.asarray(b, dtype)
    a = np.asarray(a, np.float64)
    a_base = a if base_visible_bias is None else np.asarray(base_visible_bias, float)
    betas = check_betas(betas)
    gen = np.random.default_rng() if generator is None else generator
    n_rows, n_chains = V.shape[0], int(n_chains)
    increments = np.empty((n_rows, n_chains), np.float64)
    neg_f = np.empty(n_rows, np.float64)
    step = max(1, _RAISE_BLOCK // n_chains)
    for start in range(0, n_rows, step):
        rows = slice(start, min(start + step, n_rows))
        block = V[rows]
        block = np.asarray(block.toarray() if hasattr(block, "toarray") else block)
        neg_f[rows] = -free_energy(block.astype(np.float64), W64, a, b64, visible_units)
        chains = np.repeat(block.astype(dtype), n_chains, axis=0)
        runs = _AISRuns(W, b, a, a_base, chains.shape[0], visible_units, gen)
        runs.start_at(chains)
        for k in range(betas.size - 1, 0, -1):
            runs.transition(betas[k])
            runs.accumulate(betas[k - 1], betas[k])
        increments[rows] = runs.log_w.reshape(-1, n_chains)
    log_z_base = base_log_partition(a_base, W.shape[0], visible_units)
    log_weights = neg_f[:, None] - log_z_base - increments
    log_prob = logsumexp(log_weights, axis=1) - np.log(n_chains)
    return RAISEResult(log_prob, log_weights, neg_f, log_z_base)


BRACKET_TOLERANCE = 1.0  # nats per row on average


def bracket_warning(lower, upper, tolerance=BRACKET_TOLERANCE, log_z=None):
    """The message to warn with when two bounds disagree, or None.

    ``lower`` and ``upper`` are per-row estimates of ``log p(v)`` from below
    (reverse annealing) and above (forward AIS); they agree when their means
    differ by at most ``tolerance`` nats, either way. ``log_z``, a pair
    ``(forward, reverse)``, adds the ``log Z`` each side implies to the message.
    """
    low, high = float(np.mean(lower)), float(np.mean(upper))
    gap = high - low
    if not np.isfinite(gap):
        gap = np.inf
    elif abs(gap) <= tolerance:
        return None
    implied = (
        ""
        if log_z is None
        else (f" (log Z {log_z[0]:.2f} forward, {log_z[1]:.2f} reverse)")
    )
    advice = (
        "Use more temperatures (n_betas) and runs (n_runs) until the two agree; "
        "the AIS band and effective sample size cannot show convergence."
    )
    if gap > 0:
        return (
            f"Forward AIS and reverse annealing disagree by {gap:.2f} nats per row "
            f"(tolerance {tolerance:g}): the mean log-likelihood lies between "
            f"{low:.2f} (reverse, from below) and {high:.2f} (forward, from "
            f"above){implied}. The forward log Z is probably too low: its runs "
            f"missed probability mass the model has. {advice}"
        )
    return (
        f"Forward AIS and reverse annealing cross: the reverse estimate of the "
        f"mean log-likelihood, {low:.2f}, is {-gap:.2f} nats per row above the "
        f"forward one, {high:.2f} (tolerance {tolerance:g}){implied}. A forward "
        "log Z pushed up by one rare heavy run does this, and so do rows unlike "
        f"the model's samples. {advice}"
    )


def _bernoulli_entropy(Z):
    """Entropy of factorial Bernoulli units with logits ``Z``, per row:
    ``sum_j softplus(z_j) - sigmoid(z_j) z_j``."""
    return softplus_sum(Z, dtype=np.float64) - np.einsum("ij,ij->i", sigmoid(Z), Z)


def _log_conditional(V, Hs, W, a, visible_units):
    """``log p(v | h)`` of each row pair: the downward conditional of one layer."""
    Z = Hs @ W
    Z += a
    if visible_units == "gaussian":
        Z -= V
        return -0.5 * np.einsum("ij,ij->i", Z, Z) - 0.5 * V.shape[1] * np.log(2 * np.pi)
    return np.einsum("ij,ij->i", V, Z) - softplus_sum(Z, dtype=np.float64)


def dbn_lower_bound(
    V, layers, log_z_top, *, visible_units="bernoulli", n_samples=100, generator=None
):
    """Variational lower bound on ``log p(v)`` of a DBN, for each row of ``V``.

    ``layers`` is the list of ``(W, b, a)`` of the stacked RBMs, bottom first; the
    generative model is ``p(h_{L-1}) = exp(-F_top(h_{L-1})) / Z_top`` for the top
    RBM (``log_z_top`` its log partition function) and the downward conditionals
    ``p(h_{l-1} | h_l)`` of the RBMs below (``h_0 = v``). With the recognition
    distribution ``q(h_l | h_{l-1}) = prod sigmoid(b_l + W_l h_{l-1})`` (the
    upward pass), Jensen's inequality gives (Salakhutdinov and Murray, 2008)::

        log p(v) >= E_q[ sum_{l=1}^{L-1} log p(h_{l-1} | h_l) - F_top(h_{L-1}) ]
                    + sum_{l=1}^{L-1} E_q[ H(q(h_l | h_{l-1})) ] - log Z_top

    The expectation is estimated by Monte Carlo with ``n_samples`` chains
    ``h_1, ..., h_{L-1}`` drawn from ``q`` per row (an unbiased estimate of the
    bound), and each entropy is computed exactly given the sampled layer below it.
    With ``n_samples=None`` and two layers, the expectation over ``h_1`` is exact:
    all ``2**n_h1`` states are enumerated (``n_h1 <= 16``). One layer gives the
    exact ``-F(v) - log Z``. Float64 results.
    """
    V = np.asarray(V)
    W0, b0, a0 = layers[0]
    if len(layers) == 1:
        return -free_energy(V, W0, a0, b0, visible_units) - log_z_top
    Z1 = V @ W0.T + b0
    entropy1 = _bernoulli_entropy(Z1)
    if n_samples is None:
        check_exact_bound([W.shape[0] for W, _, _ in layers])
        expectation = _exact_two_layer_expectation(V, Z1, layers, visible_units)
        return expectation + entropy1 - log_z_top
    gen = np.random.default_rng() if generator is None else generator
    total = np.zeros(V.shape[0], np.float64)
    P1 = sigmoid(Z1)
    for _ in range(int(n_samples)):
        total += _sampled_terms(V, P1, layers, visible_units, gen)
    return total / int(n_samples) + entropy1 - log_z_top


def _sampled_terms(V, P1, layers, visible_units, gen):
    """One draw of ``sum_l log p(h_{l-1} | h_l) - F_top + upper entropies``."""
    H = sample_bernoulli(P1, gen)
    W, _, a = layers[0]
    terms = _log_conditional(V, H, W, a, visible_units)
    for W, b, a in layers[1:-1]:
        Z = H @ W.T + b
        terms += _bernoulli_entropy(Z)
        H_up = sample_bernoulli(sigmoid(Z), gen)
        terms += _log_conditional(H, H_up, W, a, "bernoulli")
        H = H_up
    W, b, a = layers[-1]
    return terms - free_energy(H, W, a, b)


def dbn_bound_bracket(
    V,
    layers,
    base_visible_bias,
    *,
    visible_units="bernoulli",
    n_samples=100,
    n_runs=100,
    n_chains=1,
    betas=10000,
    generator=None,
):
    """:func:`dbn_lower_bound` with the top RBM's ``log Z`` from both sides.

    Forward AIS on the top RBM from the base rate ``base_visible_bias``
    (typically :func:`base_rate_biases` of the upward mean-field pass of ``V``)
    gives a ``log Z_top`` low in expectation; reverse annealing
    (:func:`raise_log_likelihood`) from one upward draw of the top RBM's input
    per row, to the same base rate, gives one from above. The bound's other
    terms are the same for both, so the two values differ by the same amount on
    every row.

    Returns
    -------
    lower, upper : ndarray of shape (n_rows,)
        The bound with the reverse and with the forward ``log Z_top``.
    log_z : tuple of float
        ``(forward, reverse)`` estimates of ``log Z_top``.
    """
    gen = np.random.default_rng() if generator is None else generator
    draws = V
    for W, b, _ in layers[:-1]:
        draws = sample_bernoulli(sigmoid(draws @ W.T + b), gen)
    W, b, a = layers[-1]
    units = visible_units if len(layers) == 1 else "bernoulli"
    options = dict(base_visible_bias=base_visible_bias, betas=betas)
    forward = ais_log_partition(W, b, a, units, n_runs=n_runs, generator=gen, **options)
    reverse = raise_log_likelihood(
        draws, W, b, a, units, n_chains=n_chains, generator=gen, **options
    )
    terms = dbn_lower_bound(
        V, layers, 0.0, visible_units=visible_units, n_samples=n_samples, generator=gen
    )
    return terms - reverse.log_z, terms - forward.log_z, (forward.log_z, reverse.log_z)


def check_exact_bound(layer_sizes):
    """Raise unless the exact bound (``n_samples=None``) is possible for a stack
    of these hidden layer sizes: one layer, or two with ``h1`` enumerable."""
    if len(layer_sizes) > 2:
        raise ValueError("n_samples=None (exact expectation) needs 2 layers.")
    if len(layer_sizes) == 2 and layer_sizes[0] > _MAX_BOUND_UNITS:
        raise ValueError(
            f"n_samples=None enumerates h1: it needs <= {_MAX_BOUND_UNITS} units."
        )


_MAX_BOUND_UNITS = 16


def _exact_two_layer_expectation(V, Z1, layers, visible_units):
    """``sum_h1 q(h1 | v) [log p(v | h1) - F_top(h1)]`` by enumerating ``h1``,
    in blocks of states (and of rows), so memory stays bounded."""
    (W0, _, a0), (W1, b1, a1) = layers
    n_h1, n_rows, n_visible = W0.shape[0], V.shape[0], V.shape[1]
    log_on, log_off = log_sigmoid(Z1), log_sigmoid(-Z1)  # log q(h1_j = 1 or 0 | v)
    if visible_units == "gaussian":  # -||v - c||^2 / 2 = c.v - ||c||^2 / 2 - ...
        log_2pi = n_visible * np.log(2 * np.pi)
        v_term = -0.5 * (np.einsum("ij,ij->i", V, V) + log_2pi)
    out = np.zeros(n_rows, np.float64)
    block = max(1, _CHUNK_ELEMENTS // max(n_visible, n_h1))
    for first in range(0, 2**n_h1, block):
        states = _binary_states(first, min(first + block, 2**n_h1), n_h1, np.float64)
        top = -free_energy(states, W1, a1, b1)  # (n_states,)
        C = states @ W0 + a0  # the visible logits or means of each state
        if visible_units == "gaussian":
            c_term = top - 0.5 * np.einsum("ij,ij->i", C, C)
        else:
            c_term = top - softplus_sum(C, dtype=np.float64)
        rows = max(1, _CHUNK_ELEMENTS // states.shape[0])
        for start in range(0, n_rows, rows):
            part = slice(start, start + rows)
            log_q = states @ log_on[part].T + (1 - states) @ log_off[part].T
            terms = C @ V[part].T + c_term[:, None]
            if visible_units == "gaussian":
                terms += v_term[part]
            out[part] += (np.exp(log_q) * terms).sum(0)
    return out
