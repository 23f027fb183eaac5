"""Contrastive divergence for Restricted Boltzmann Machines, as plain functions.

Notation: visible units ``v`` (index i), hidden units ``h`` (index j), weights ``W``
of shape ``(n_hidden, n_visible)`` (scikit-learn's ``components_``), hidden biases
``b`` and visible biases ``a``. With Bernoulli visible units the energy is
``E(v, h) = -a.v - b.h - h.W.v``; with Gaussian unit-variance visible units the
term ``-a.v`` becomes ``||v - a||^2 / 2``. Then::

    P(h_j = 1 | v) = sigmoid(b_j + W_j . v)
    P(v_i = 1 | h) = sigmoid(a_i + h . W_:i)     (Gaussian: mean a_i + h . W_:i)
    F(v) = -log sum_h exp(-E(v, h))
         = -a.v - sum_j softplus(b_j + W_j . v)   (Gaussian: ||v - a||^2 / 2 - ...)

Nothing here keeps estimator state: :class:`RBMObjective` binds the parameters to
one CD-k / PCD gradient computation for :func:`skdbn._training.train`, and
:func:`fit_rbm` trains one RBM from data. ``RBMTransformer.fit`` and the DBN's
layer-wise pre-training both call :func:`fit_rbm`, so the same data, settings and
``rng`` give the same weights.

Bernoulli draws compare probabilities with uniform float32 numbers made from the
generator's raw bits (:mod:`skdbn._random`), which rounds a probability up by at
most ``2**-23``. States drawn without their probabilities (the visible units of
a Gibbs chain) skip the probabilities: :func:`sample_logistic` compares
``tanh(z / 2)`` with uniforms on ``[-1, 1)``, the same draw in two passes fewer.

OpenBLAS computes ``V @ W.T`` faster into a column-major (Fortran-order) array
than into a row-major one (the more so the smaller the batch; see the docs'
Benchmarks page), while
elementwise work is fastest on row-major arrays: :func:`hidden_probs` can take a
column-major scratch array for the product, and its first elementwise pass copies
the result into the row-major output.
"""

import warnings

import numpy as np

from . import _outofcore, _random, _training
from ._activations import log_sigmoid, sigmoid, softplus_sum
from ._backend import host_dtype, make_generator, ops, to_namespace, to_numpy
from ._callsite import user_stacklevel
from ._linalg import add_outer, axpy, dot
from ._optimizers import SGD

VISIBLE_UNITS = ("bernoulli", "gaussian")
SCHEDULES = ("constant", "invscaling", "linear")


def hidden_probs(V, W, b, out=None, scratch=None):
    """``P(h = 1 | v)`` for each row of ``V`` (dense or sparse).

    ``scratch``, a column-major array shaped like the output, receives the
    product ``V @ W.T`` (faster; see the module docstring).
    """
    Z = dot(V, W.T, out=out if scratch is None else scratch)
    Z += b
    return sigmoid(Z, out=Z if out is None else out)


def visible_means(H, W, a, visible_units="bernoulli", out=None):
    """``E[v | h]``: ``P(v = 1 | h)`` for Bernoulli units, the mean for Gaussian."""
    out = ops(W).matmul(H, W, out=out)
    out += a
    if visible_units == "bernoulli":
        sigmoid(out, out=out)
    return out


def sample_bernoulli(P, generator, out=None):
    """Binary states, 1 with probability ``P``, in ``P``'s dtype (``out`` may be P)."""
    return _random.bernoulli(P, generator, out=out)


def sample_logistic(Z, generator, out=None):
    """Binary states, 1 with probability ``sigmoid(Z)``, in ``Z``'s dtype (``out``
    may be ``Z``).

    ``sigmoid(z) = (1 + tanh(z / 2)) / 2``, so this compares ``tanh(Z / 2)`` with
    uniforms on ``[-1, 1)``: :func:`sample_bernoulli` of :func:`sigmoid` with the
    same draws, without the two passes that make probabilities.
    """
    xp = ops(Z)
    T = xp.multiply(Z, 0.5, out=out)
    xp.tanh(T, out=T)
    return _random.bernoulli(T, generator, out=T, signed=True)


def sample_visible(M, generator, visible_units="bernoulli", out=None, noise=None):
    """Visible states given their means ``M``: Bernoulli draws or ``M + N(0, 1)``.

    ``noise`` is an optional float32 scratch array shaped like ``M`` (Gaussian).
    """
    if visible_units == "bernoulli":
        return sample_bernoulli(M, generator, out=out)
    xp = ops(M)
    if noise is None:
        noise = xp.empty(tuple(M.shape), dtype=np.float32)
    if xp is np:
        generator.standard_normal(out=noise, dtype=np.float32)
    else:
        xp.standard_normal(generator, noise)
    return xp.add(M, noise, out=out)


def visible_states(H, W, a, generator, visible_units="bernoulli", out=None, noise=None):
    """``v ~ P(v | h)``: :func:`visible_means` then :func:`sample_visible` in one,
    without computing Bernoulli means (see :func:`sample_logistic`).

    ``noise`` is an optional float32 scratch array shaped like ``out`` (Gaussian).
    """
    out = ops(W).matmul(H, W, out=out)
    out += a
    if visible_units == "bernoulli":
        return sample_logistic(out, generator, out=out)
    return sample_visible(out, generator, visible_units, out=out, noise=noise)


def gibbs_step(
    h,
    W,
    b,
    a,
    generator,
    visible_units,
    *,
    v_out,
    h_probs=None,
    noise_v=None,
):
    """One Gibbs step from hidden states ``h``: ``v ~ P(v | h)``, then
    ``h ~ P(h | v)`` written back into ``h``. Returns the sampled ``v``.

    ``v_out`` receives ``v``; ``h_probs`` (default: ``h`` itself) receives
    ``P(h | v)``; ``noise_v`` is optional float32 scratch for Gaussian units.
    """
    visible_states(h, W, a, generator, visible_units, out=v_out, noise=noise_v)
    P = hidden_probs(v_out, W, b, out=h if h_probs is None else h_probs)
    sample_bernoulli(P, generator, out=h)
    return v_out


def free_energy(V, W, a, b, visible_units="bernoulli"):
    """``F(v) = -log sum_h exp(-E(v, h))`` for each row of ``V`` (dense or sparse)."""
    Z = dot(V, W.T)
    Z += b
    F = -softplus_sum(Z, out=Z)
    if visible_units == "bernoulli":
        F -= dot(V, a)
    else:  # ||v - a||^2 directly: expanding it cancels badly in float32
        D = (V.toarray() if hasattr(V, "toarray") else V) - a
        xp = ops(D)
        F += 0.5 * (np.einsum("ij,ij->i", D, D) if xp is np else xp.rowdot(D, D))
    return F


def pseudo_likelihood(V, W, a, b):
    """Exact log pseudo-likelihood ``sum_i log P(v_i | v_-i)`` of each row of ``V``.

    Bernoulli visible units; deterministic (every visible unit, not a random
    one as BernoulliRBM's estimate). With ``l_i = F(v; v_i = 0) - F(v; v_i = 1)``
    the log-odds of ``v_i = 1`` given the other units, each unit contributes
    ``v_i log sigmoid(l_i) + (1 - v_i) log sigmoid(-l_i)``: ``log P(v_i | v_-i)``
    for binary data, its expectation under ``Bernoulli(v_i)`` (a cross-entropy)
    for probabilities in [0, 1]. Costs two :func:`free_energy`-sized softplus
    sums per visible unit (``2 n_rows n_visible n_hidden`` evaluations); the
    estimator calls it on row blocks of bounded size.
    """
    if ops(W) is not np:  # per-unit NumPy loop: on the host, back to the device
        host = (to_numpy(p) for p in (V, W, a, b))
        return to_namespace(pseudo_likelihood(*host), like=W)
    V = V.toarray() if hasattr(V, "toarray") else np.asarray(V)
    V = V.astype(np.result_type(V.dtype, W.dtype, np.float32), copy=False)  # 0/1 ints
    Z = V @ W.T
    Z += b
    total = np.zeros(V.shape[0], dtype=V.dtype)
    Z0, Z1 = np.empty_like(Z), np.empty_like(Z)
    for i in range(V.shape[1]):
        v = V[:, i]
        np.multiply(v[:, None], W[:, i], out=Z0)
        np.subtract(Z, Z0, out=Z0)  # hidden inputs with v_i = 0
        np.add(Z0, W[:, i], out=Z1)  # ... and with v_i = 1
        logit = a[i] + softplus_sum(Z1, out=Z1) - softplus_sum(Z0, out=Z0)
        total += v * log_sigmoid(logit) + (1 - v) * log_sigmoid(-logit)
    return total


def init_params(
    X,
    n_components,
    rng,
    visible_units="bernoulli",
    dtype=None,
    rows=None,
    sample_weight=None,
):
    """Initial ``(W, b, a)`` as Hinton's practical guide recommends.

    ``W ~ N(0, 0.01**2)`` (drawn in float64 from ``rng``, so float32 and float64
    fits start from the same values), hidden biases 0, visible biases the log-odds
    ``log(p / (1 - p))`` of the data means ``p`` clipped to ``[1e-3, 1 - 1e-3]``
    (Bernoulli) or the data means (Gaussian); ``rows`` restricts the data and
    ``sample_weight`` weighs its means.
    """
    n_components = int(n_components)  # not a NumPy integer or a bool
    xp = ops(X)
    # Drawn on the host, once: every backend starts from the same weights.
    dtype = host_dtype(X) if dtype is None else dtype
    W = rng.normal(0.0, 0.01, (n_components, X.shape[1])).astype(dtype)
    a = marginal_visible_biases(
        X, visible_units, rows=rows, sample_weight=sample_weight
    )
    params = W, np.zeros(n_components, dtype=dtype), a.astype(dtype)
    return params if xp is np else tuple(to_namespace(p, like=X) for p in params)


def marginal_visible_biases(
    X, visible_units="bernoulli", eps=1e-3, rows=None, sample_weight=None
):
    """Visible biases that reproduce the data's marginals with no weights.

    Bernoulli: the log-odds of the column means clipped to ``[eps, 1 - eps]``;
    Gaussian: the column means. Float64. The guide's initial visible biases and
    the base-rate model of AIS. ``rows`` (an index array) restricts the data;
    ``sample_weight`` (one per row of X) makes the means weighted means.
    """
    if sample_weight is None:
        n = X.shape[0] if rows is None else len(rows)
    else:
        w = np.asarray(to_numpy(sample_weight), dtype=np.float64)
        n = float(w.sum() if rows is None else w[rows].sum())
    xp = ops(X)
    if xp is np:
        mean = _outofcore.column_sums(X, rows, sample_weight) / max(n, 1e-300)
    else:  # summed on the device, in X's dtype (a device may lack float64)
        mean = to_numpy(_device_column_sums(X, rows, sample_weight))
        mean = mean.astype(np.float64) / max(n, 1e-300)
    if visible_units == "bernoulli":
        p = np.clip(mean, eps, 1 - eps)
        return np.log(p / (1 - p))
    return mean


def _load(Xb, out):
    """Copy a dense or sparse batch into the dense buffer ``out``."""
    if hasattr(Xb, "toarray"):
        Xb.toarray(out=out)
    else:
        ops(out).copyto(out, Xb, casting="same_kind")
    return out


class RBMObjective:
    """One RBM's parameters bound to its CD-k or PCD gradient.

    ``params`` is ``[W, b, a]`` (updated in place by the optimiser); calling the
    objective on a mini-batch fills ``grads`` with the estimated gradient of the
    negative log-likelihood (plus weight decay and the sparsity penalty), times
    ``scale``, and returns the batch's mean squared reconstruction error (summed
    over features).

    Sample weights ``s`` (scaled by the caller to mean 1 over the training set,
    as the networks' are) weigh the data's rows: the positive statistics, the
    negative statistics of CD-k (whose chains start at those rows), the
    sparsity target's batch activity and the reconstruction error take
    ``s_i / B`` where the unweighted objective takes ``1 / B``. PCD's chains
    belong to the model, not to rows, and keep their plain mean. So integer
    weights count as repeated rows and zero weights as absent rows, in
    expectation (the Gibbs draws of one row differ from those of its copies).

    Per batch of ``B`` rows: ``V @ W.T`` for the data, then ``k`` times
    ``H @ W`` and ``V @ W.T`` for the negative chain, and one stacked product
    ``[-H_data / B; H_neg / C].T @ [V_data; V_neg]`` for the weight gradient. Only
    the hidden units are sampled (plus the visible units of intermediate steps and
    of persistent chains); the last reconstruction uses probabilities, as the guide
    advises. Work buffers are sized for the largest batch seen and reused.

    Parameters
    ----------
    W, b, a : ndarray
        Weights ``(n_hidden, n_visible)``, hidden and visible biases.
    generator : numpy.random.Generator
    k : int, default=1
        Gibbs steps in the negative phase.
    persistent : bool, default=False
        Persistent CD: the negative chains (``n_chains`` of them, stored in
        ``chains``) continue from one batch to the next instead of starting at the
        data; their visible units are always sampled so they stay a Gibbs chain.
    n_chains : int, default=10
    visible_units : {'bernoulli', 'gaussian'}, default='bernoulli'
    weight_decay : float, default=0.0
        L2 cost: ``weight_decay * W`` is added to the weight gradient.
    sparsity_target, sparsity_cost, sparsity_decay : float
        With ``sparsity_cost > 0``, ``q <- decay * q + (1 - decay) * mean(P(h|v))``
        and ``sparsity_cost * (q - target)`` is added to the hidden-bias gradient
        (times the batch's mean visible vector for the weights).
    sample_visible : bool, default=False
        Sample the last visible state of a CD chain instead of using probabilities
        (a true Gibbs chain: the estimate tends to the exact gradient as k grows).
    """

    def __init__(
        self,
        W,
        b,
        a,
        *,
        generator,
        k=1,
        persistent=False,
        n_chains=10,
        visible_units="bernoulli",
        weight_decay=0.0,
        sparsity_target=0.1,
        sparsity_cost=0.0,
        sparsity_decay=0.95,
        sample_visible=False,
    ):
        self.params = [W, b, a]
        self.xp = xp = ops(W)  # the backend, chosen once
        self.grads = [xp.zeros_like(p) for p in self.params]
        self.generator = generator
        self.k, self.persistent, self.visible_units = k, persistent, visible_units
        self.weight_decay, self.sample_visible = weight_decay, sample_visible
        self.sparsity = (sparsity_target, sparsity_cost, sparsity_decay)
        self.hidden_activity = None
        shape = (n_chains, W.shape[0])
        self.chains = xp.zeros(shape, dtype=W.dtype) if persistent else None
        self._capacity = 0

    def __getstate__(self):  # work buffers (gradients included) are not worth pickling
        state = self.__dict__.copy()
        state["_capacity"] = 0
        state["grads"] = None
        for name in (
            "xp",
            "_V",
            "_H",
            "_Hs",
            "_Z",
            "_noise_v",
            "_scratch",
            "_decay_scratch",
            "_coef",
        ):
            state.pop(name, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.xp = xp = ops(self.params[0])
        self.grads = [xp.zeros_like(p) for p in self.params]

    def _ensure_buffers(self, n_rows):
        if n_rows <= self._capacity:
            return
        H, D = self.params[0].shape
        n_neg = self.chains.shape[0] if self.persistent else n_rows
        dtype, xp = self.params[0].dtype, self.xp
        self._V = xp.empty((n_rows + n_neg, D), dtype)
        self._H = xp.empty((n_rows + n_neg, H), dtype)
        self._Hs = xp.empty((max(n_rows, n_neg), H), dtype)
        # See _column_major (NumPy only).
        self._Z = np.empty(max(n_rows, n_neg) * H, dtype) if xp is np else None
        # Gaussian noise only: Bernoulli draws come from raw bits (_random).
        gaussian = self.visible_units == "gaussian"
        self._noise_v = xp.empty((n_neg, D), np.float32) if gaussian else None
        self._scratch = xp.empty((n_rows, D), dtype)
        self._capacity = n_rows

    def _gaussian_noise(self, n_rows):
        return None if self._noise_v is None else self._noise_v[:n_rows, ...]

    def _column_major(self, n_rows):
        """A column-major ``(n_rows, n_hidden)`` view of the product scratch
        (None for other backends: the product goes straight to the output)."""
        if self._Z is None:
            return None
        n_hidden = self.params[0].shape[0]
        return self._Z[: n_rows * n_hidden].reshape(n_hidden, n_rows).T

    @property
    def hidden_samples(self):
        """The persistent chains (PCD), or the hidden states sampled from the last
        batch's data (CD; empty before the first batch)."""
        if self.persistent:
            return self.chains
        if not self._capacity:
            W = self.params[0]
            return self.xp.zeros((0, W.shape[0]), dtype=W.dtype)
        return self._Hs[: self._last_rows, ...]

    def __call__(self, X, y=None, sample_weight=None, scale=1.0):
        n = X.shape[0]
        self._ensure_buffers(n)
        self._last_rows = n
        n_neg = self.chains.shape[0] if self.persistent else n
        V, H = self._V[: n + n_neg, ...], self._H[: n + n_neg, ...]
        W, b, _ = self.params
        _load(X, V[:n, ...])
        if self.persistent:
            # The chains do not depend on the batch: advance them to their last
            # visible state, then one product gives P(h | v) for data and chains.
            self._advance_chains(V[n:, ...], H[n:, ...])
            hidden_probs(V, W, b, out=H)
            error = self._sampled_reconstruction_error(
                V[:n, ...], H[:n, ...], sample_weight
            )
            sample_bernoulli(H[n:, ...], self.generator, out=self.chains)
        else:
            hidden_probs(
                V[:n, ...], W, b, out=H[:n, ...], scratch=self._column_major(n)
            )
            h = sample_bernoulli(H[:n, ...], self.generator, self._Hs[:n, ...])
            error = self._contrastive_chain(
                h, V[n:, ...], H[n:, ...], V[:n, ...], sample_weight
            )
        self._gradients(V, H, n, n_neg, scale, sample_weight)
        return error

    def _contrastive_chain(self, h, V_neg, H_neg, V_data, sample_weight=None):
        """CD-k from the data's hidden states ``h``; returns the reconstruction
        error of the first step."""
        W, b, a = self.params
        n, units = V_neg.shape[0], self.visible_units
        for step in range(1, self.k + 1):
            visible_means(h, W, a, units, out=V_neg)
            if step == 1:
                error = self._squared_error(V_data, V_neg, sample_weight)
            if self.sample_visible or step < self.k:
                noise = self._gaussian_noise(n)
                sample_visible(V_neg, self.generator, units, out=V_neg, noise=noise)
            hidden_probs(V_neg, W, b, out=H_neg, scratch=self._column_major(n))
            if step < self.k:
                # In place: ``h`` (the data's samples, ``hidden_samples``) stays.
                h = sample_bernoulli(H_neg, self.generator, out=H_neg)
        return error

    def _advance_chains(self, V_neg, H_neg):
        """k - 1 full Gibbs steps of the persistent chains, then sampled visible
        states (whose hidden probabilities the caller computes)."""
        W, b, a = self.params
        n, units = V_neg.shape[0], self.visible_units
        noise_v = self._gaussian_noise(n)
        for _ in range(self.k - 1):
            gibbs_step(
                self.chains,
                W,
                b,
                a,
                self.generator,
                units,
                v_out=V_neg,
                h_probs=H_neg,
                noise_v=noise_v,
            )
        visible_states(self.chains, W, a, self.generator, units, V_neg, noise_v)

    def _squared_error(self, V_data, V_rec, sample_weight=None):
        """Mean squared error of the rows (weighted: ``s_i / n`` each); for
        other backends a device scalar, which the loop reads once per epoch."""
        xp, n = self.xp, V_data.shape[0]
        diff = xp.subtract(V_data, V_rec, out=self._scratch[:n, ...])
        if xp is not np:
            if sample_weight is None:
                return xp.vdot(diff, diff) / n
            return xp.sum(xp.sum(diff * diff, axis=1) * sample_weight[:n]) / n
        if sample_weight is None:
            return float(np.vdot(diff, diff)) / n
        np.multiply(diff, diff, out=diff)
        rows = diff.sum(axis=1, dtype=np.float64)
        return float(rows @ sample_weight[:n]) / n

    def _sampled_reconstruction_error(self, V_data, H_data, sample_weight=None):
        """PCD's negative chain is no reconstruction: estimate the error on the
        first fiftieth of the batch (at least one row). With OpenBLAS a product
        of one or two rows costs a quarter of one of ten, and with shuffled
        batches 2% of the rows still make a steady curve (160 rows an epoch for
        8,000 samples in batches of 100)."""
        m = -(-V_data.shape[0] // 50)
        W, _, a = self.params
        h = sample_bernoulli(H_data[:m, ...], self.generator, self._Hs[:m, ...])
        rec = visible_means(h, W, a, self.visible_units, out=self._scratch[:m, ...])
        return self._squared_error(V_data[:m, ...], rec, sample_weight)

    def _coefficients(self, n, n_neg, scale, sample_weight):
        """Each stacked row's factor: ``-scale / n`` for the data (times its
        weight), ``scale / n_neg`` for the negative rows (CD-k's negative
        rows start at the data's, and take their weights)."""
        if getattr(self, "_coef", None) is None or self._coef.shape[0] < n + n_neg:
            self._coef = self.xp.empty(self._H.shape[0], dtype=self._H.dtype)
        coef = self._coef[: n + n_neg]
        coef[n:] = scale / n_neg
        coef[:n] = -scale / n
        if sample_weight is not None:
            coef[:n] *= sample_weight
            if not self.persistent:
                coef[n:] *= sample_weight
        return coef

    def _gradients(self, V, H, n, n_neg, scale=1.0, sample_weight=None):
        """Fill ``grads`` with ``scale`` times the gradient, from the stacked
        positive and negative statistics (``scale`` costs nothing there)."""
        W, _, _ = self.params
        gW, gb, ga = self.grads
        xp = self.xp
        target, cost, decay = self.sparsity
        if cost:
            batch_activity = _row_mean(H[:n, ...], sample_weight)
            v_mean = _row_mean(V[:n, ...], sample_weight)
        coef = self._coefficients(n, n_neg, scale, sample_weight)
        xp.multiply(H, coef[:, None], out=H)
        xp.matmul(H.T, V, out=gW)
        xp.sum(H, axis=0, out=gb)
        xp.matmul(coef, V, out=ga)
        if self.weight_decay:
            if getattr(self, "_decay_scratch", None) is None:
                self._decay_scratch = xp.empty_like(W)  # once per fit
            axpy(self.weight_decay * scale, W, gW, self._decay_scratch)
        if cost:
            q = self.hidden_activity
            q = (
                batch_activity
                if q is None
                else decay * q + (1 - decay) * batch_activity
            )
            self.hidden_activity = q
            penalty = scale * cost * (q - target)
            if xp is np:
                penalty = penalty.astype(gb.dtype)
            gb += penalty
            add_outer(1.0, penalty, v_mean, gW)


def _row_mean(A, sample_weight):
    """The rows' mean (weighted: ``sum_i s_i A_i / n``)."""
    xp = ops(A)
    if sample_weight is None:
        return xp.mean(A, axis=0)
    return xp.matmul(sample_weight, A) / A.shape[0]


def _rows_of(a, rows):
    """``a[rows]`` for an index array ``rows``, in ``a``'s namespace."""
    xp = ops(a)
    return a[rows] if xp is np else xp.take(a, xp.asarray(rows))


def _device_column_sums(X, rows=None, sample_weight=None):
    """Column sums of a device array X (of its ``rows``; weighted), on the device."""
    xp = ops(X)
    if rows is not None:
        X = _rows_of(X, rows)
        sample_weight = None if sample_weight is None else _rows_of(sample_weight, rows)
    return xp.sum(X, axis=0) if sample_weight is None else xp.matmul(sample_weight, X)


def _schedule(value, name, epochs_done, n_iter, power_t):
    """The learning rate after ``epochs_done`` epochs."""
    if name == "invscaling":
        return value / (epochs_done + 1) ** power_t
    if name == "linear":
        return value * max(1.0 - epochs_done / max(n_iter, 1), 1.0 / max(n_iter, 1))
    return value


class RBMTrainer:
    """An RBM in training: parameters, sampler state, optimiser and history.

    Built from the training data (which sets the initial visible biases, as
    weighted means with ``sample_weight``); call :meth:`run` for epochs.
    Attributes ``components``, ``intercept_hidden``, ``intercept_visible`` and
    ``hidden_samples`` are the live arrays, and the history is recorded as
    ``loss_curve_`` (reconstruction error per epoch), ``n_iter_``, ``t_``,
    ``train_free_energy_`` and ``validation_free_energy_``.
    The keyword arguments are those of :func:`fit_rbm`.
    """

    def __init__(
        self,
        X,
        n_components,
        *,
        rng,
        persistent=True,
        visible_units="bernoulli",
        dtype=None,
        lr_name="learning_rate",
        rows=None,
        sample_weight=None,
        **options,
    ):
        W, b, a = init_params(
            X, n_components, rng, visible_units, dtype, rows, sample_weight
        )
        n_rows = X.shape[0] if rows is None else len(rows)
        self.rng = rng
        # NumPy: SFC64, the fastest bit generator (sampling reads raw bits);
        # other backends: a generator on the device, from the same draws of rng.
        self.generator = make_generator(ops(W), rng)
        self.objective = RBMObjective(
            W,
            b,
            a,
            generator=self.generator,
            persistent=persistent,
            n_chains=min(int(options.get("batch_size", 10)), n_rows),
            visible_units=visible_units,
        )
        self.lr_name = lr_name  # the parameter a divergence error names
        self.optimizer = SGD(self.objective.params, 0.1, nesterov=False)
        _training.init_history(self)
        self.configure(**options)
        self.train_free_energy_, self.validation_free_energy_ = [], []
        self.interrupted = False  # set by run: Ctrl-C ended the last run

    def configure(
        self,
        *,
        batch_size=10,
        learning_rate=0.1,
        k=1,
        momentum=0.0,
        final_momentum=None,
        momentum_switch=5,
        weight_decay=0.0,
        sparsity_target=0.1,
        sparsity_cost=0.0,
        sparsity_decay=0.95,
        learning_rate_schedule="constant",
        power_t=0.5,
        n_iter=10,
        sample_visible=False,
    ):
        """Set the training options (all but the model's shape, unit type and
        sampler kind), effective from the next epoch on; the schedules continue
        from the epochs already trained. ``RBMTransformer.partial_fit`` calls
        it before every epoch, so a ``set_params`` between calls takes effect."""
        # Plain Python numbers: NumPy scalars (a grid from np.arange) would index
        # the momenta tuple with np.bool_ or widen float32 passes to float64.
        self.batch_size = int(batch_size)
        objective = self.objective
        objective.k, objective.weight_decay = int(k), float(weight_decay)
        objective.sample_visible = sample_visible
        objective.sparsity = (
            float(sparsity_target),
            float(sparsity_cost),
            float(sparsity_decay),
        )
        final_momentum = momentum if final_momentum is None else final_momentum
        self.momenta = (float(momentum), float(final_momentum))
        self.momentum_switch = int(momentum_switch)
        self.lr = (
            float(learning_rate),
            learning_rate_schedule,
            int(n_iter),
            float(power_t),
        )
        self.optimizer.learning_rate_init = float(learning_rate)
        self._apply_schedules(self.n_iter_)
        return self

    components = property(lambda self: self.objective.params[0])
    intercept_hidden = property(lambda self: self.objective.params[1])
    intercept_visible = property(lambda self: self.objective.params[2])
    hidden_samples = property(lambda self: self.objective.hidden_samples)

    def run(
        self,
        X,
        n_epochs,
        *,
        verbose=0,
        incremental=False,
        monitor=None,
        rows=None,
        sample_weight=None,
    ):
        """Train for ``n_epochs`` epochs (one with ``incremental``) on ``X``, or
        on its ``rows`` (an index array) without copying them.

        ``sample_weight`` (one per row of X, scaled to mean 1 over the rows
        trained on) weighs each row's statistics (see :class:`RBMObjective`).
        ``monitor=(X, train_rows, validation_rows)`` records the mean free
        energies of both sets of rows after each epoch (weighted means with
        ``sample_weight``). Returns ``self``.
        """
        n = X.shape[0] if rows is None else len(rows)
        batch_size = _training.resolve_batch_size(self.batch_size, n)
        self.interrupted = _training.train(
            self,
            self.objective,
            self.optimizer,
            X,
            None,
            sample_weight,
            max_iter=n_epochs,
            batch_size=batch_size,
            shuffle=True,
            rng=self.rng,
            tol=None,
            verbose=verbose,
            incremental=incremental,
            lr_name=self.lr_name,
            epoch_metrics=lambda epoch: self._end_epoch(epoch, monitor, sample_weight),
            convergence_warning=False,
            rows=rows,
            log_name="RBMTransformer",
        )
        return self

    def _apply_schedules(self, epochs_done):
        """The momentum and learning rate for the epoch after ``epochs_done``."""
        opt = self.optimizer
        opt.momentum = self.momenta[epochs_done >= self.momentum_switch]
        value, schedule, n_iter, power_t = self.lr
        opt.learning_rate = _schedule(value, schedule, epochs_done, n_iter, power_t)

    def _end_epoch(self, epochs_done, monitor, sample_weight=None):
        """Apply the momentum and learning-rate schedules; record free energies."""
        self._apply_schedules(epochs_done)
        if monitor is None:
            return {}
        X, train_rows, validation_rows = monitor
        train = self._mean_free_energy(X, train_rows, sample_weight)
        val = self._mean_free_energy(X, validation_rows, sample_weight)
        self.train_free_energy_.append(train)
        self.validation_free_energy_.append(val)
        return {"free energy train": train, "validation": val, "gap": val - train}

    def _mean_free_energy(self, X, rows, sample_weight=None):
        """Mean free energy of X's ``rows`` (weighted by their ``sample_weight``),
        in blocks of bounded size."""
        W, b, a = self.objective.params
        units = self.objective.visible_units
        xp = self.objective.xp
        weights = None if sample_weight is None else _rows_of(sample_weight, rows)
        total, start = 0.0, 0
        # width: Gaussian free energies densify a sparse block.
        for block in _outofcore.row_blocks(X, rows=rows, width=max(W.shape)):
            F = free_energy(block, W, a, b, units)
            if weights is None:
                total += float(F.sum(dtype=np.float64) if xp is np else xp.sum(F))
            else:
                part = weights[start : start + block.shape[0]]
                total += float(
                    np.dot(F, part.astype(np.float64)) if xp is np else xp.vdot(F, part)
                )
            start += block.shape[0]
        if weights is None:
            return total / len(rows)
        return total / float(
            weights.sum(dtype=np.float64) if xp is np else xp.sum(weights)
        )


# The 'auto' pre-training settings (the DBN estimators' defaults): mini-batches
# of at most AUTO_BATCH_SIZE rows and at least ten a epoch, and epochs enough
# for AUTO_UPDATES updates (at least ten): an RBM fitted on 150 rows with ten
# epochs of batches of ten barely moves from its initial weights (its hidden
# units then say the same of every row), while on 8,000 images ten epochs of
# 40 rows make 2,000 updates. Gaussian visible units take a ten times
# smaller rate (Hinton's guide, section 13.2).
AUTO_BATCH_SIZE = 40
AUTO_UPDATES = 1000
AUTO_LEARNING_RATE = {"bernoulli": 0.15, "gaussian": 0.01}


def resolve_auto(
    n_samples, *, batch_size, n_iter, learning_rate=0.1, visible_units="bernoulli"
):
    """``(batch_size, n_iter, learning_rate)`` with their ``'auto'`` values
    resolved for ``n_samples`` training rows and the visible unit type."""
    if batch_size == "auto":
        batch_size = min(AUTO_BATCH_SIZE, max(1, -(-n_samples // 10)))
    if n_iter == "auto":
        n_batches = -(-n_samples // min(int(batch_size), max(n_samples, 1)))
        n_iter = max(10, -(-AUTO_UPDATES // max(n_batches, 1)))
    if learning_rate == "auto":
        learning_rate = AUTO_LEARNING_RATE[visible_units]
    return batch_size, n_iter, learning_rate


def fit_rbm(
    X,
    n_components,
    *,
    rng,
    n_iter=10,
    validation_fraction=None,
    verbose=0,
    sample_weight=None,
    **options,
):
    """Train one RBM on ``X`` and return its :class:`RBMTrainer`.

    Parameters
    ----------
    X : {ndarray, sparse CSR matrix} of shape (n_samples, n_visible)
        Training data; float32 data trains in float32. Sparse data is densified
        one mini-batch at a time.
    n_components : int
        Number of hidden units.
    rng : numpy.random.RandomState
        The only source of randomness, used in this order: validation split,
        initial weights, the seed of the sampling generator, then shuffling.
    n_iter : int or 'auto', default=10
        Epochs (``'auto'``: see :func:`resolve_auto`, as are ``batch_size`` and
        ``learning_rate`` set to ``'auto'``).
    validation_fraction : float or None, default=None
        Hold out this share of the rows (at least one) and record the mean free
        energy of the held-out rows and of as many training rows after each epoch.
    verbose : int, default=0
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Non-negative weights in X's dtype, checked by the caller (see
        :class:`RBMObjective`); rescaled here to mean 1 over the training rows.
        The initial visible biases are the weighted data means. None trains
        exactly as weights of one would, without their arithmetic.
    **options
        ``batch_size``, ``learning_rate``, ``k``, ``persistent``,
        ``visible_units``, ``momentum``, ``final_momentum``, ``momentum_switch``,
        ``weight_decay``, ``sparsity_target``, ``sparsity_cost``,
        ``sparsity_decay``, ``learning_rate_schedule``, ``power_t``,
        ``sample_visible``, ``dtype``: see :class:`RBMObjective` and
        ``RBMTransformer``; ``lr_name``, the learning-rate parameter that a
        divergence error names.
    """
    rows = monitor = None
    if validation_fraction:
        # Index arrays, not copies: the data may be a memory-mapped file.
        order = rng.permutation(X.shape[0])
        n_val = min(max(1, round(validation_fraction * X.shape[0])), X.shape[0] - 1)
        rows = order[n_val:]
        monitor = (X, rows[:n_val], order[:n_val])
    if sample_weight is not None:
        sample_weight = _training_weights(sample_weight, rows, monitor)
        if monitor is not None:
            # Monitor training rows that count: a row of weight zero adds nothing
            # to a weighted mean, and rows that all weigh zero leave it undefined.
            counted = rows[to_numpy(sample_weight)[rows] > 0]
            monitor = (X, counted[: len(monitor[1])], monitor[2])
    n_rows = X.shape[0] if rows is None else len(rows)
    options["batch_size"], n_iter, options["learning_rate"] = resolve_auto(
        n_rows,
        batch_size=options.get("batch_size", 10),
        n_iter=n_iter,
        learning_rate=options.get("learning_rate", 0.1),
        visible_units=options.get("visible_units", "bernoulli"),
    )
    trainer = RBMTrainer(
        X,
        n_components,
        rng=rng,
        n_iter=n_iter,
        rows=rows,
        sample_weight=sample_weight,
        **options,
    )
    trainer.run(
        X,
        n_iter,
        verbose=verbose,
        monitor=monitor,
        rows=rows,
        sample_weight=sample_weight,
    )
    if n_iter and not trainer.interrupted:
        _warn_if_no_progress(trainer, X, rows)
    return trainer


def _training_weights(sample_weight, rows, monitor):
    """The weights scaled to mean 1 over the training ``rows`` (all when None);
    with a validation split, both parts need some positive weight. Checked on
    the host, returned in the namespace of the weights given."""
    if ops(sample_weight) is not np:
        scaled = _training_weights(to_numpy(sample_weight), rows, monitor)
        return to_namespace(scaled, like=sample_weight)
    train = sample_weight if rows is None else sample_weight[rows]
    parts = [("training", train)]
    if monitor is not None:
        parts.append(("held-out", sample_weight[monitor[2]]))
    for name, part in parts:
        if not part.sum(dtype=np.float64) > 0:
            raise ValueError(
                f"The sample weights of the {name} rows of the validation_fraction "
                "split sum to zero: give more samples a positive weight or change "
                "validation_fraction."
            )
    mean = train.mean(dtype=np.float64)
    return (sample_weight / mean).astype(sample_weight.dtype, copy=False)


# On digits, learning rates up to 1 end at 0.2-1.0 times the error of predicting
# each feature's mean, 10 at 1.5-1.7 and 100 or more at about 3, while data an RBM
# cannot learn (independent pixels, a handful of rows) stays within 1.1 of it.
_NO_PROGRESS_RATIO = 1.25
_NO_PROGRESS_ROWS = 1024


def _warn_if_no_progress(trainer, X, rows=None):
    """Warn when the trained model reconstructs (up to) 1,024 training rows worse
    than a model with no weights, which predicts each feature's mean.

    A Bernoulli RBM's learning rate can be far too large without the weights
    overflowing (sigmoids saturate, weights grow in proportion to the rate), so
    :func:`skdbn._training.train` raises no DivergenceError. The reconstruction
    here is mean-field (deterministic, unlike the sampled training curve), and
    compared on the same rows. Bernoulli models of data outside [0, 1] have no
    such baseline and are skipped (a range warning covers them).
    """
    W, b, a = (to_numpy(p) for p in trainer.objective.params)
    units = trainer.objective.visible_units
    n_rows = X.shape[0] if rows is None else len(rows)
    # At most about 4M values (16 MB in float32) per array, however wide.
    m = min(_NO_PROGRESS_ROWS, n_rows, max(1, 2**22 // max(W.shape)))
    if ops(X) is np:
        block = X[:m] if rows is None else X[rows[:m]]
    else:  # m rows to the host, once per fit
        xp = ops(X)
        block = to_numpy(
            X[:m, ...] if rows is None else xp.take(X, xp.asarray(rows[:m]))
        )
    block = np.asarray(block.toarray() if hasattr(block, "toarray") else block, W.dtype)
    if units == "bernoulli" and (block.min() < 0 or block.max() > 1 + 1e-3):
        return
    baseline = float(block.var(axis=0, dtype=np.float64).sum())
    reconstruction = visible_means(hidden_probs(block, W, b), W, a, units)
    reconstruction -= block
    error = float(np.vdot(reconstruction, reconstruction)) / m
    if baseline > 0 and error > _NO_PROGRESS_RATIO * baseline:
        why = (
            f"it reconstructs its training data worse (squared error {error:.4g} "
            f"a sample) than a model with no weights, which predicts each "
            f"feature's mean ({baseline:.4g})"
        )
        warnings.warn(
            _training.no_progress_warning(trainer, why, trainer.lr_name, trainer.lr[0]),
            stacklevel=user_stacklevel(),
        )
