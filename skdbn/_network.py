"""Forward pass, loss and backprop for a stack of dense layers.

A network is a list of weight matrices ``coefs`` (``coefs[i]`` has shape
``(n_units_in, n_units_out)``) and bias vectors ``intercepts``. Hidden layers use one
activation (sigmoid, tanh or relu); the output layer and its loss form a canonical
pair, so the output error is always ``prediction - target``:

=============  ======================  ==========================================
output         loss                    per-sample value
=============  ======================  ==========================================
``softmax``    multinomial log-loss    ``-sum_k y_k log p_k``
``sigmoid``    binary log-loss         ``sum_k softplus(z_k) - y_k z_k``
``identity``   squared error           ``0.5 * sum_k (z_k - y_k) ** 2``
=============  ======================  ==========================================

The objective is the sample-weighted mean of that value plus an elastic-net penalty
on the weights (never on the intercepts)::

    alpha * (l1_ratio * sum |W| + 0.5 * (1 - l1_ratio) * sum W ** 2)

The L1 part enters the gradient as its subgradient ``sign(W)``, or, with
``proximal_l1``, not at all: :meth:`NetworkObjective.proximal_step` then applies
it after each optimiser step by its proximal operator (soft thresholding), which
sets coefficients exactly to zero.

Logistic regression is the network with no hidden layer.
"""

import numpy as np

from . import _random
from ._activations import ACTIVATIONS, DERIVATIVES
from ._backend import ops
from ._linalg import axpy, dot

OUTPUT_ACTIVATIONS = ("softmax", "sigmoid", "identity")


def forward(
    X, coefs, intercepts, hidden_activation, output_activation, out=None, masks=None
):
    """Run ``X`` through the network and return every layer's output.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    coefs, intercepts : list of ndarray
    hidden_activation : {'sigmoid', 'logistic', 'tanh', 'relu', 'identity'}
        ('logistic' is 'sigmoid', scikit-learn's name.)
    output_activation : {'softmax', 'sigmoid', 'identity'} or None
        ``None`` leaves the output layer's pre-activations (logits) in place.
    out : list of ndarray, optional
        Buffers of shape ``(>= n_samples, n_units)`` for each layer, reused.
    masks : list of ndarray, optional
        Dropout masks (0 or ``1 / (1 - p)``), one per hidden layer, multiplied
        into the hidden outputs ("inverted" dropout: no rescaling at test time).

    Returns
    -------
    activations : list of ndarray
        ``[X, h_1, ..., h_L, output]``.
    """
    n_samples = X.shape[0]
    activations = [X]
    last = len(coefs) - 1
    for i, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
        buf = None if out is None else out[i][:n_samples, ...]
        A = dot(activations[-1], W, out=buf)
        A += b
        name = hidden_activation if i < last else output_activation
        if name is not None:
            ACTIVATIONS[name](A, out=A)
        if masks is not None and i < last:
            A *= masks[i][:n_samples, ...]
        activations.append(A)
    return activations


def sigmoid_to_tanh(coefs, intercepts):
    """The tanh network that computes what a sigmoid network computes.

    ``sigmoid(z) = (1 + tanh(z / 2)) / 2``: each hidden layer's weights and biases
    are halved (so its tanh sees ``z / 2``), and the next layer, which now
    receives ``t = 2 * sigmoid(z) - 1`` instead of ``sigmoid(z)``, takes its
    weights halved and the offset ``0.5 * W.sum(axis=0)`` added to its biases.
    The last layer (the output) is only adjusted for its input, so the outputs,
    logits included, are unchanged; the hidden layers hold ``2 * h - 1`` where
    the sigmoid network holds ``h``.

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        A network with sigmoid hidden layers, as :func:`forward` takes it (the
        last pair is the output layer). They are not modified.

    Returns
    -------
    coefs, intercepts : list of ndarray
        New arrays, in the same dtypes, for ``hidden_activation='tanh'``.
    """
    last = len(coefs) - 1
    new_coefs, new_intercepts = [], []
    for i, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
        if i > 0:  # the input is t = 2 h - 1: h @ W + b = t @ (W / 2) + offset
            b = b + 0.5 * ops(W).sum(W, axis=0, dtype=W.dtype)
            W = 0.5 * W
        if i < last:  # a tanh hidden unit of half the pre-activation
            W, b = 0.5 * W, 0.5 * b
        if ops(W) is np:
            W, b = (
                np.array(W, dtype=coefs[i].dtype),
                np.array(b, dtype=intercepts[i].dtype),
            )
        new_coefs.append(W)  # new arrays in every namespace (0.5 * W...)
        new_intercepts.append(b)
    return new_coefs, new_intercepts


def _output_loss_and_delta(Z, Y, weights, output_activation, scale=1.0):
    """Weighted loss from the logits ``Z``; turns ``Z`` into the output delta.

    ``weights`` sum to one. On return ``Z`` holds ``scale * weights *
    (prediction - Y)``, ``scale`` times the gradient of the loss with respect to
    the logits.
    """
    xp = ops(Z)
    rowdot = _rowdot if xp is np else xp.rowdot
    if output_activation == "softmax":
        Z -= xp.amax(Z, axis=1, keepdims=True)
        per_sample = -rowdot(Y, Z)
        xp.exp(Z, out=Z)
        norm = xp.sum(Z, axis=1)
        per_sample += xp.log(norm)
        Z /= norm[:, None]
    elif output_activation == "sigmoid":
        per_sample = xp.sum(xp.logaddexp(0, Z), axis=1) - rowdot(Y, Z)
        ACTIVATIONS["sigmoid"](Z, out=Z)
    else:
        per_sample = None
    Z -= Y
    if per_sample is None:
        per_sample = 0.5 * rowdot(Z, Z)
    Z *= (weights * scale)[:, None]
    loss = per_sample @ weights
    # Other backends: a device scalar, read once per epoch by the training loop.
    return float(loss) if xp is np else loss


def _rowdot(A, B):
    return np.einsum("ij,ij->i", A, B)


def _normalised_weights(sample_weight, n, like):
    """Weights summing to one, in ``like``'s namespace and dtype: a weighted
    mean over these rows (evaluation)."""
    xp, dtype = ops(like), like.dtype
    if sample_weight is None:
        return xp.full(n, 1 / n, dtype=dtype)
    if xp is not np:
        return sample_weight / xp.sum(sample_weight)
    return (sample_weight / sample_weight.sum(dtype=np.float64)).astype(dtype)


def _batch_weights(sample_weight, n, like):
    """``s_i / n`` for a mini-batch of ``n`` rows (training).

    Dividing by the batch's own weight sum would give every batch the same
    pull whatever its weight (with one row per batch the weights would do
    nothing, and a batch of zero weights would divide 0 by 0). The estimators
    scale the weights to mean 1 over the training set instead, so that the
    batches' gradients average to the gradient of the weighted mean loss.
    """
    xp, dtype = ops(like), like.dtype
    if sample_weight is None:
        return xp.full(n, 1 / n, dtype=dtype)
    if xp is not np:
        return sample_weight / n
    return (sample_weight / n).astype(dtype)


def data_loss(
    X, Y, sample_weight, coefs, intercepts, hidden_activation, output_activation
):
    """Weighted mean loss of the network on ``(X, Y)``, without the penalty."""
    logits = forward(X, coefs, intercepts, hidden_activation, None)[-1]
    weights = _normalised_weights(sample_weight, X.shape[0], coefs[0])
    return _output_loss_and_delta(logits, Y, weights, output_activation)


def penalty(coefs, alpha, l1_ratio):
    """Elastic-net penalty on the weights (see the module docstring)."""
    if alpha == 0:
        return 0.0
    xp = ops(coefs[0])
    # NumPy: Python floats; other backends: device scalars, read once per epoch.
    scalar = float if xp is np else (lambda value: value)
    l1 = sum(scalar(xp.sum(xp.abs(W))) for W in coefs) if l1_ratio > 0 else 0.0
    l2 = sum(scalar(xp.vdot(W, W)) for W in coefs) if l1_ratio < 1 else 0.0
    return alpha * (l1_ratio * l1 + 0.5 * (1 - l1_ratio) * l2)


class Workspace:
    """Per-layer arrays reused by every mini-batch, allocated once per fit.

    ``activations[i]``, ``deltas[i]`` and ``scratch[i]`` have ``n_rows`` rows and as
    many columns as layer ``i + 1`` has units; a smaller batch uses the top rows.
    """

    def __init__(self, layer_units, n_rows, dtype, xp=np):
        def make():
            return [xp.empty((n_rows, n), dtype=dtype) for n in layer_units[1:]]

        self.n_rows = n_rows
        self.activations, self.deltas, self.scratch = make(), make(), make()
        self._weight_scratch = {}

    def weight_scratch(self, i, coefs):
        """An array shaped like ``coefs[i]`` (for the penalty), made on first use."""
        if i not in self._weight_scratch:
            self._weight_scratch[i] = ops(coefs[i]).empty_like(coefs[i])
        return self._weight_scratch[i]


def loss_and_gradients(
    X,
    Y,
    sample_weight,
    coefs,
    intercepts,
    coef_grads,
    intercept_grads,
    *,
    hidden_activation="sigmoid",
    output_activation="softmax",
    alpha=0.0,
    l1_ratio=0.0,
    workspace=None,
    dropout=0.0,
    masks=None,
    scale=1.0,
    proximal_l1=False,
):
    """Objective value and its gradient, by backpropagation.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        Targets: one-hot rows for softmax, 0/1 indicators for sigmoid, values for
        identity.
    sample_weight : ndarray of shape (n_samples,) or None
        Weights relative to the training set's mean weight: the data term is
        ``sum_i(s_i * loss_i) / n_samples`` (see :func:`_batch_weights`).
    coefs, intercepts : list of ndarray
    coef_grads, intercept_grads : list of ndarray
        Arrays shaped like ``coefs`` and ``intercepts``, overwritten with the gradient.
    hidden_activation, output_activation : str
    alpha, l1_ratio : float
        Strength and L1 share of the elastic-net penalty. The L1 part uses the
        subgradient ``sign(W)``, unless ``proximal_l1``.
    workspace : Workspace, optional
        Work arrays with at least ``n_samples`` rows; made on the fly when omitted.
    dropout, masks : float, list of ndarray or None
        The dropout rate and the masks drawn for this batch (see :func:`forward`).
    scale : float, default=1.0
        The gradients are multiplied by ``scale`` (an optimiser's first factor,
        applied here to the output delta, where it is free); the loss is not.
    proximal_l1 : bool, default=False
        Leave the L1 part out of the gradient (it is still in the loss): the
        caller applies it by its proximal operator.

    Returns
    -------
    loss : float
    """
    n = X.shape[0]
    dtype = coefs[0].dtype
    if workspace is None or workspace.n_rows < n:
        layer_units = [coefs[0].shape[0]] + [W.shape[1] for W in coefs]
        workspace = Workspace(layer_units, n, dtype, ops(coefs[0]))
    weights = _batch_weights(sample_weight, n, coefs[0])
    activations = forward(
        X, coefs, intercepts, hidden_activation, None, workspace.activations, masks
    )
    delta = activations[-1]
    loss = _output_loss_and_delta(delta, Y, weights, output_activation, scale)
    loss += penalty(coefs, alpha, l1_ratio)

    _backpropagate(
        activations,
        delta,
        coefs,
        (coef_grads, intercept_grads),
        workspace,
        derivative=DERIVATIVES[hidden_activation],
        penalty=(alpha * scale, l1_ratio, not proximal_l1),
        dropout=(dropout, masks),
    )
    return loss


def _backpropagate(
    activations, delta, coefs, grads, workspace, *, derivative, penalty, dropout
):
    """Fill ``grads`` (coefficient and intercept gradients) from the output
    layer's ``delta`` down, adding each layer's ``penalty`` gradient
    (``(strength, l1_ratio, with_l1)``); ``dropout`` is ``(rate, masks)``."""
    coef_grads, intercept_grads = grads
    strength, l1_ratio, with_l1 = penalty
    rate, masks = dropout
    n = delta.shape[0]
    for i in range(len(coefs) - 1, -1, -1):
        dot(activations[i].T, delta, out=coef_grads[i])
        ops(delta).sum(delta, axis=0, out=intercept_grads[i])
        _add_penalty_gradient(
            coef_grads[i],
            coefs[i],
            strength,
            l1_ratio,
            workspace.weight_scratch(i, coefs),
            with_l1=with_l1,
        )
        if i > 0:
            xp = ops(delta)
            delta = xp.matmul(delta, coefs[i].T, out=workspace.deltas[i - 1][:n, ...])
            scratch = workspace.scratch[i - 1][:n, ...]
            activation = activations[i]
            if masks is not None:
                delta *= masks[i - 1][:n, ...]
                # Kept units hold f(z) / (1 - p): undo the scale for f'(z); dropped
                # units hold 0 and their delta is already 0.
                activation = xp.multiply(activation, 1 - rate, out=scratch)
            derivative(activation, delta, scratch)


def _add_penalty_gradient(grad, W, alpha, l1_ratio, scratch=None, with_l1=True):
    if alpha == 0:
        return
    if l1_ratio < 1:
        axpy(alpha * (1 - l1_ratio), W, grad, scratch)
    if l1_ratio > 0 and with_l1:
        grad += (alpha * l1_ratio) * ops(W).sign(W)


def min_norm_subgradient(grad, W, strength, out=None):
    """The smallest element of ``grad + strength * d|W|_1``, the gradient of a
    smooth function plus ``strength * |W|_1``: ``grad + strength * sign(W)``
    where ``W != 0``, and ``grad`` shrunk towards zero by ``strength`` where
    ``W == 0``. It is zero exactly at the minimiser (the stopping measure)."""
    xp = ops(grad)
    shrunk = xp.sign(grad) * xp.maximum(xp.abs(grad) - strength, 0)
    result = xp.where(W == 0, shrunk, grad + strength * xp.sign(W))
    if out is None:
        return result
    xp.copyto(out, result)
    return out


def init_gradients(coefs, intercepts):
    """Zero arrays shaped like the parameters, to hold gradients."""
    return (
        [ops(W).zeros_like(W) for W in coefs],
        [ops(b).zeros_like(b) for b in intercepts],
    )


class NetworkObjective:
    """A network's parameters bound to its loss, as :func:`skdbn._training.train` wants.

    Calling it on a mini-batch returns the objective value and fills ``grads``; the
    work arrays are allocated on the first call and reused after.
    With ``fit_intercept=False`` the intercepts stay fixed (they are left out of
    ``params``, so no optimiser moves them).
    """

    def __init__(
        self,
        coefs,
        intercepts,
        *,
        hidden_activation="sigmoid",
        output_activation="softmax",
        alpha=0.0,
        l1_ratio=0.0,
        fit_intercept=True,
        dropout=0.0,
        random_state=None,
        alpha_per_sample=False,
        proximal_l1=False,
    ):
        """``random_state`` (a RandomState) is needed only with ``dropout > 0``;
        ``alpha_per_sample`` divides ``alpha`` by each mini-batch's number of
        rows (MLPClassifier's convention); ``proximal_l1`` applies the L1 part
        by :meth:`proximal_step` instead of its subgradient."""
        self.coefs, self.intercepts = coefs, intercepts
        self.dropout = dropout
        # Dropout masks come from a fast Generator seeded by the estimator's rng.
        xp = ops(coefs[0])
        self._generator = None
        if dropout:
            seed = random_state.randint(2**31 - 1)
            self._generator = (
                np.random.Generator(np.random.SFC64(seed))
                if xp is np
                else xp.generator(seed)
            )
        self.coef_grads, self.intercept_grads = init_gradients(coefs, intercepts)
        self.params = list(coefs) + (list(intercepts) if fit_intercept else [])
        self.grads = self.coef_grads + (self.intercept_grads if fit_intercept else [])
        self.options = dict(
            hidden_activation=hidden_activation,
            output_activation=output_activation,
            alpha=alpha,
            l1_ratio=l1_ratio,
            proximal_l1=bool(proximal_l1 and alpha and l1_ratio),
        )
        self.alpha_per_sample = alpha_per_sample
        self.workspace = None
        self._rows = 1  # of the last mini-batch

    def _l1_strength(self):
        """The L1 weight of the objective of the last mini-batch (0 without a
        proximal L1 part)."""
        options = self.options
        if not options["proximal_l1"]:
            return 0.0
        strength = options["alpha"] * options["l1_ratio"]
        return strength / self._rows if self.alpha_per_sample else strength

    def proximal_step(self, optimizer):
        """After the optimiser's step, apply the L1 part of the penalty to the
        coefficients by its proximal operator, at the optimiser's step size
        (:meth:`skdbn._optimizers.SGD.soft_threshold`); nothing without
        ``proximal_l1``. :func:`skdbn._training.train` calls it."""
        strength = self._l1_strength()
        if strength:
            optimizer.soft_threshold(self.params, len(self.coefs), strength)

    def stationarity(self, grads):
        """Turn the smooth part's gradient ``grads`` (as in ``self.grads``) into
        the whole objective's smallest subgradient at the current coefficients,
        in place (see :func:`min_norm_subgradient`); the ``gtol`` rule reads it."""
        strength = self._l1_strength()
        if strength:
            for g, W in zip(grads, self.coefs, strict=False):
                min_norm_subgradient(g, W, strength, out=g)
        return grads

    def __call__(self, X, Y, sample_weight=None, scale=1.0):
        if self.workspace is None or self.workspace.n_rows < X.shape[0]:
            # The first mini-batch is the largest: this happens once per fit.
            units = [self.coefs[0].shape[0]] + [W.shape[1] for W in self.coefs]
            W = self.coefs[0]
            self.workspace = Workspace(units, X.shape[0], W.dtype, ops(W))
            self._masks = [
                ops(a).empty_like(a) for a in self.workspace.activations[:-1]
            ]
        masks = self._draw_masks(X.shape[0]) if self.dropout else None
        self._rows = X.shape[0]
        options = self.options
        if self.alpha_per_sample and options["alpha"]:  # alpha=0: nothing to divide
            options = {**options, "alpha": options["alpha"] / X.shape[0]}
        return loss_and_gradients(
            X,
            Y,
            sample_weight,
            self.coefs,
            self.intercepts,
            self.coef_grads,
            self.intercept_grads,
            workspace=self.workspace,
            dropout=self.dropout,
            masks=masks,
            scale=scale,
            **options,
        )

    def _draw_masks(self, n):
        masks = [m[:n, ...] for m in self._masks]
        for mask in masks:
            _random.keep_mask(self._generator, mask, self.dropout)
        return masks

    def data_loss(self, X, Y, sample_weight=None):
        """The data term of the objective (no penalty), e.g. on held-out data."""
        return data_loss(
            X,
            Y,
            sample_weight,
            self.coefs,
            self.intercepts,
            self.options["hidden_activation"],
            self.options["output_activation"],
        )
