"""Deep Belief Networks: greedy layer-wise pre-training of a stack of RBMs.

:class:`PretrainingMixin` holds the ``rbm_*`` parameters and the greedy fit, shared
by the unsupervised :class:`DBNTransformer` and the fine-tuned
:class:`~skdbn.DBNClassifier` / :class:`~skdbn.DBNRegressor`. Each layer is trained
by :func:`skdbn._cd.fit_rbm`, the function behind ``RBMTransformer.fit``, on the
hidden probabilities of the layer below.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import check_is_fitted

from . import _ais, _backend, _cd, _outofcore, _training
from ._base import MatrixLike, RandomStateLike
from ._callsite import user_stacklevel
from ._gradient_descent import SampleWeightMixin
from ._rbm import AIS_CONSTRAINTS, SAMPLING_CONSTRAINTS, RBMTransformer
from ._training import unchanged_on_error
from ._validation import (
    Count,
    astype,
    check_hidden,
    check_unchanged,
    require_numpy,
    validate_fitted,
    validate_visible_data,
)

# RBMTransformer parameters exposed once for every layer, as ``rbm_<name>``.
RBM_OPTIONS = (
    "learning_rate",
    "n_iter",
    "batch_size",
    "k",
    "persistent",
    "momentum",
    "final_momentum",
    "momentum_switch",
    "weight_decay",
    "sparsity_target",
    "sparsity_cost",
)

PRETRAINING_CONSTRAINTS = {
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "visible_units": RBMTransformer._parameter_constraints["visible_units"],
    **{
        f"rbm_{name}": RBMTransformer._parameter_constraints[name]
        for name in RBM_OPTIONS
    },
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


def check_layer_sizes(hidden_layer_sizes):
    """The layer sizes as a tuple of positive ints, or a clear ValueError."""
    sizes = np.atleast_1d(np.asarray(hidden_layer_sizes))
    if sizes.ndim != 1 or sizes.size == 0 or not np.issubdtype(sizes.dtype, np.integer):
        raise ValueError(
            "hidden_layer_sizes must be a positive int or a non-empty sequence of "
            f"positive ints, got {hidden_layer_sizes!r}."
        )
    if (sizes < 1).any():
        raise ValueError(f"hidden_layer_sizes must be >= 1, got {hidden_layer_sizes}.")
    return tuple(int(s) for s in sizes)


def upward_pass(rbms, X):
    """The mean-field upward pass: hidden probabilities of the top of ``rbms``
    (fitted RBMTransformers, bottom first) for validated X, in X's dtype and in
    row blocks of bounded size (every layer of a block before the next block);
    X itself for no layers."""
    if not rbms:
        return X
    layers = [rbm._params(X.dtype)[:2] for rbm in rbms]

    def upward(block, out):
        for W, b in layers[:-1]:
            block = _cd.hidden_probs(block, W, b)
        return _cd.hidden_probs(block, *layers[-1], out=out)

    width = max(W.shape[0] for W, _ in layers)
    return _outofcore.map_rows(upward, X, layers[-1][0].shape[0], width=width)


class PretrainingMixin(SampleWeightMixin):
    """The ``rbm_*`` parameters and greedy layer-wise pre-training."""

    def _layer_params(self):
        """``(n_units, RBMTransformer parameters)`` of each layer, bottom first.

        The layers' seeds are not among the parameters: the stack's generator is
        passed to their training.
        """
        for layer, n_units in enumerate(check_layer_sizes(self.hidden_layer_sizes)):
            params = {name: getattr(self, f"rbm_{name}") for name in RBM_OPTIONS}
            params["visible_units"] = self.visible_units if layer == 0 else "bernoulli"
            params["verbose"] = self.verbose
            yield n_units, params

    def _pretrain(self, X, rng, then="", sample_weight=None):
        """Fit one RBM per hidden layer, bottom up.

        ``sample_weight`` (checked and scaled by ``_checked_sample_weight``)
        weighs the rows in every layer: a layer's rows are the hidden
        probabilities of the same samples.

        ``rng`` is used by the layers in turn, so the first layer equals an
        RBMTransformer with the same parameters and ``random_state``. Returns the
        fitted RBMs and whether Ctrl-C interrupted pre-training: the layers above
        the interrupted one then keep their initial weights (a warning says so,
        ending with ``then``, what the caller skips as well).
        """
        with _outofcore.spill_folder(X) as folder:
            return self._pretrain_layers(X, rng, then, folder, sample_weight)

    def _pretrain_layers(self, X, rng, then, folder, sample_weight):
        """:meth:`_pretrain`; a layer's output goes to a memory-mapped file in
        ``folder`` when one is given (X is memory-mapped), else to memory."""
        rbms, interrupted = [], False
        H = X
        sizes = check_layer_sizes(self.hidden_layer_sizes)
        for layer, (n_units, params) in enumerate(self._layer_params()):
            epochs = 0 if interrupted else params["n_iter"]
            name = f"pre-training layer {layer + 1}/{len(sizes)}"
            if self.verbose and not interrupted:
                print(f"[{type(self).__name__}] {name}")
            with _training.stage(self, name):
                trainer = _cd.fit_rbm(
                    H,
                    n_units,
                    rng=rng,
                    lr_name="rbm_learning_rate",
                    sample_weight=sample_weight,
                    **{**params, "n_iter": epochs},
                )
            if trainer.interrupted:
                self._warn_skipped(layer, len(sizes), then)
            interrupted = interrupted or trainer.interrupted
            rbm = RBMTransformer(n_components=n_units, random_state=None, **params)
            rbm._store(trainer, monitored=False)
            rbm.n_features_in_ = H.shape[1]
            rbms.append(rbm)
            if layer + 1 < len(sizes) and folder is not None:  # the next layer's data
                H = _outofcore.map_rows_to_file(rbm._hidden_probs, H, n_units, folder)
            elif layer + 1 < len(sizes):
                H = rbm._hidden_probs(H)
        return rbms, interrupted

    def _warn_skipped(self, layer, n_layers, then):
        """Say what an interruption of pre-training in ``layer`` leaves untrained."""
        skipped = [then] if then else []
        above = range(layer + 2, n_layers + 1)  # 1-based numbers of the layers above
        if len(above) == 1:
            skipped.insert(0, f"layer {above[0]} keeps its initial weights")
        elif above:
            skipped.insert(
                0, f"layers {above[0]}-{above[-1]} keep their initial weights"
            )
        if skipped:
            warnings.warn(
                f"{type(self).__name__}: pre-training was interrupted, so "
                f"{' and '.join(skipped)}. Fit again to train the whole model.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )


class DBNTransformer(
    PretrainingMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Deep Belief Network: a stack of RBMs pre-trained greedily, layer by layer.

    The first RBM models the data; each further RBM models the hidden
    probabilities of the one below. The result is an unsupervised, generative
    model: :meth:`transform` passes data up to the top layer's probabilities,
    :meth:`inverse_transform` passes them back down, and :meth:`sample` generates
    new data (Gibbs sampling in the top RBM, then one top-down pass).

    Read more in the :ref:`User Guide <dbn>`.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(256, 128)
        Number of hidden units of each layer, bottom to top.
    visible_units : {'bernoulli', 'gaussian'}, default='bernoulli'
        Units of the bottom layer's visible (data) layer; upper layers model
        probabilities and are always Bernoulli.
    rbm_learning_rate : float or 'auto', default='auto'
        ``learning_rate`` of every layer's RBM (a layer whose model ends up worse
        than one with no weights gets a ``ConvergenceWarning`` naming it).
        ``'auto'`` is 0.15 for Bernoulli visible units and 0.01 for a Gaussian
        bottom layer, whose unbounded means need a smaller step.
    rbm_n_iter : int or 'auto', default='auto'
        Epochs of pre-training per layer. ``'auto'`` trains for at least 10
        epochs and at least 1,000 mini-batch updates, so that small data sets
        (where 10 epochs are a few dozen updates) are pre-trained too.
    rbm_batch_size : int or 'auto', default='auto'
        Mini-batch size of pre-training. ``'auto'`` is
        ``min(40, ceil(n_samples / 10))``: at least ten updates an epoch.
    rbm_k : int, default=1
        Gibbs steps of contrastive divergence.
    rbm_persistent : bool, default=False
        Persistent contrastive divergence instead of CD-k.
    rbm_momentum, rbm_final_momentum : float, default=0.5, 0.9
        Momentum for the first ``rbm_momentum_switch`` epochs, and after.
    rbm_momentum_switch : int, default=5
        Epoch at which the momentum switches.
    rbm_weight_decay : float, default=1e-4
        L2 cost on the weights.
    rbm_sparsity_target, rbm_sparsity_cost : float, default=0.1, 0.0
        Target mean activity of the hidden units and the cost of missing it.
    random_state : int, RandomState instance or None, default=None
        Seeds every layer's training (one generator, used by the layers in turn)
        and the default generator of :meth:`sample`.
    verbose : int, default=0
        Print the pre-training progress of each layer.

    Attributes
    ----------
    rbms_ : list of RBMTransformer
        The fitted layers, bottom first; each is a usable, fitted RBMTransformer
        (``rbms_[i].components_`` has shape ``(n_units[i], n_units[i - 1])``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    RBMTransformer : One layer of this stack.
    DBNClassifier : The same stack fine-tuned with a softmax output.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdbn import DBNTransformer
    >>> X = load_digits().data / 16
    >>> dbn = DBNTransformer(hidden_layer_sizes=(32, 16), random_state=0).fit(X)
    >>> dbn.transform(X).shape
    (1797, 16)
    >>> dbn.sample(3, random_state=0).shape
    (3, 64)
    """

    _parameter_constraints = dict(PRETRAINING_CONSTRAINTS)

    def __init__(
        self,
        hidden_layer_sizes=(256, 128),
        *,
        visible_units="bernoulli",
        rbm_learning_rate="auto",
        rbm_n_iter="auto",
        rbm_batch_size="auto",
        rbm_k=1,
        rbm_persistent=False,
        rbm_momentum=0.5,
        rbm_final_momentum=0.9,
        rbm_momentum_switch=5,
        rbm_weight_decay=1e-4,
        rbm_sparsity_target=0.1,
        rbm_sparsity_cost=0.0,
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.visible_units = visible_units
        self.rbm_learning_rate = rbm_learning_rate
        self.rbm_n_iter = rbm_n_iter
        self.rbm_batch_size = rbm_batch_size
        self.rbm_k = rbm_k
        self.rbm_persistent = rbm_persistent
        self.rbm_momentum = rbm_momentum
        self.rbm_final_momentum = rbm_final_momentum
        self.rbm_momentum_switch = rbm_momentum_switch
        self.rbm_weight_decay = rbm_weight_decay
        self.rbm_sparsity_target = rbm_sparsity_target
        self.rbm_sparsity_cost = rbm_sparsity_cost
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    @unchanged_on_error
    def fit(
        self,
        X: MatrixLike,
        y: None = None,
        sample_weight: ArrayLike | None = None,
    ) -> DBNTransformer:
        """Pre-train the stack greedily on X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data: in [0, 1] for Bernoulli visible units, standardised
            for Gaussian ones. float32 data trains in float32.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample (None: all equal), used by every
            layer's contrastive divergence as in :meth:`RBMTransformer.fit`.

        Returns
        -------
        self : DBNTransformer
            The fitted model.
        """
        X = validate_visible_data(self, X, reset=True)
        self._weight_unit = None  # partial_fit calls after this one set theirs
        sample_weight = self._checked_sample_weight(X, None, sample_weight)
        self.rbms_, _ = self._pretrain(
            X, check_random_state(self.random_state), sample_weight=sample_weight
        )
        self._n_features_out = self.rbms_[-1].components_.shape[0]
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    @unchanged_on_error
    def partial_fit(
        self,
        X: MatrixLike,
        y: None = None,
        sample_weight: ArrayLike | None = None,
    ) -> DBNTransformer:
        """Train every layer for one epoch on X, bottom up.

        For data that arrives in chunks or does not fit in memory. Each call
        gives the first layer one epoch of mini-batches on X (as
        :meth:`RBMTransformer.partial_fit` does; the first call gives the same
        weights, later ones differ because the layers draw from one random
        stream), then the second layer one epoch on the first layer's hidden
        probabilities of X, computed with its weights just updated, and so on up
        the stack. The first call builds the layers
        (each initialised from the data it sees first) and fixes the dtype.

        So a stream of chunks trains all the layers together, where :meth:`fit`
        trains each layer for ``rbm_n_iter`` epochs before the next one starts;
        ``rbm_n_iter`` is not used here, and the momentum schedule counts calls.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, converted to the dtype of the first call.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample, for every layer, as in
            :meth:`RBMTransformer.partial_fit` (the calls share one unit).

        Returns
        -------
        self : DBNTransformer
            The updated model.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skdbn import DBNTransformer
        >>> X = load_digits().data / 16
        >>> dbn = DBNTransformer(hidden_layer_sizes=(32, 16), random_state=0)
        >>> for epoch in range(3):
        ...     for chunk in (X[:900], X[900:]):
        ...         dbn = dbn.partial_fit(chunk)
        >>> [rbm.n_iter_ for rbm in dbn.rbms_]
        [6, 6]
        """
        self._validate_params()  # skipped by scikit-learn once fitted; see _rbm
        first = not hasattr(self, "rbms_")
        X = validate_visible_data(self, X, reset=first)
        rng = check_random_state(self.random_state)
        if first:
            self.rbms_ = [
                RBMTransformer(n_components=n_units, random_state=None, **params)
                for n_units, params in self._layer_params()
            ]
            self._n_features_out = self.rbms_[-1].n_components
            self._weight_unit = None
        else:
            self._update_layer_params()
            X = astype(X, self.rbms_[0].components_.dtype)
        sample_weight = self._checked_sample_weight(X, None, sample_weight, True)
        H = X
        for layer, rbm in enumerate(self.rbms_):
            with _training.stage(
                self, f"pre-training layer {layer + 1}/{len(self.rbms_)}"
            ):
                rbm._partial_fit(
                    H, rng, lr_name="rbm_learning_rate", sample_weight=sample_weight
                )
            if layer + 1 < len(self.rbms_):
                H = rbm._hidden_probs(H)
        return self

    def _update_layer_params(self):
        """Give the layers the current ``rbm_*`` parameters (``set_params`` since
        the last call), refusing changes to the stack's shape or unit types."""
        check_unchanged(
            self,
            fitted={
                "hidden_layer_sizes": tuple(rbm.n_components for rbm in self.rbms_),
                "visible_units": self.rbms_[0].visible_units,
                "rbm_persistent": self.rbms_[0].persistent,
            },
            now={
                "hidden_layer_sizes": check_layer_sizes(self.hidden_layer_sizes),
                "visible_units": self.visible_units,
                "rbm_persistent": self.rbm_persistent,
            },
        )
        for rbm, (_, params) in zip(self.rbms_, self._layer_params(), strict=True):
            rbm.set_params(**params)

    def transform(self, X: MatrixLike) -> np.ndarray:
        """Top-layer hidden probabilities (deterministic, mean-field upward pass).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        H : ndarray of shape (n_samples, hidden_layer_sizes[-1])
            In the dtype of X; computed in row blocks of bounded size.
        """
        check_is_fitted(self)
        return upward_pass(self.rbms_, validate_fitted(self, X))

    def inverse_transform(self, X: ArrayLike) -> np.ndarray:
        """Top-down pass: from top-layer states to visible means.

        Each layer's :meth:`RBMTransformer.inverse_transform` in turn, top first.

        Parameters
        ----------
        X : array-like of shape (n_samples, hidden_layer_sizes[-1])
            Top-layer hidden states or probabilities (the output of
            :meth:`transform`).

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features_in_)
            The bottom layer's visible means, in the dtype of X.
        """
        check_is_fitted(self)
        H = check_hidden(self, X, self.rbms_[-1].components_.shape[0])
        for rbm in reversed(self.rbms_):
            H = rbm.inverse_transform(H)
        return H

    @validate_params(SAMPLING_CONSTRAINTS, prefer_skip_nested_validation=True)
    def sample(
        self,
        n_samples: int = 1,
        *,
        n_steps: int = 1000,
        random_state: RandomStateLike = None,
        draw: bool = False,
    ) -> np.ndarray:
        """Generate data: Gibbs sampling in the top RBM, then one top-down pass.

        By default the top RBM's visible means (:meth:`RBMTransformer.sample`)
        pass down by mean field: each lower layer's ``inverse_transform``, the
        conditional means ``E[h_(l-1) | h_l]`` evaluated at the probabilities
        from above. With ``draw``, every layer is drawn instead (the top RBM's
        visible states, then ``h_(l-1) ~ P(h_(l-1) | h_l)`` down to the data):
        ancestral samples of the DBN's generative model.

        Parameters
        ----------
        n_samples : int, default=1
            Number of independent chains (and samples).
        n_steps : int, default=1000
            Gibbs steps in the top RBM.
        random_state : int, RandomState instance or None, default=None
            None continues the top RBM's own generator.
        draw : bool, default=False
            Draw the states of every layer on the way down instead of passing
            conditional means: 0.0 and 1.0 for Bernoulli units, the mean plus
            standard normal noise for Gaussian visible units.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_in_)
            Visible means of the bottom layer, or (with ``draw``) drawn
            visible states.
        """
        check_is_fitted(self)
        top = self.rbms_[-1]
        gen = top._generator(random_state)
        H = top._sample(n_samples, n_steps, gen, draw)
        for rbm in reversed(self.rbms_[:-1]):
            if draw:
                W, _, a = rbm._params(H.dtype)
                H = _cd.visible_states(H, W, a, gen, rbm._units())
            else:
                H = rbm.inverse_transform(H)
        return H

    @validate_params(
        {**AIS_CONSTRAINTS, "n_samples": [Count(1), None]},
        prefer_skip_nested_validation=True,
    )
    def log_likelihood_lower_bound(
        self,
        X: MatrixLike,
        *,
        n_samples: int | None = 100,
        n_runs: int = 100,
        n_betas: int | ArrayLike = 10000,
        random_state: RandomStateLike = None,
    ) -> np.ndarray:
        """Variational lower bound on ``log p(x)`` of each sample, in nats.

        The bound of Salakhutdinov and Murray (2008). For two layers, with
        ``q(h1 | v) = prod_j sigmoid(b1_j + W1_j . v)`` (the upward pass)::

            log p(v) >= E_q[log p(v | h1) - F_2(h1)] + H(q(h1 | v)) - log Z_2

        where ``p(v | h1)`` is the first RBM's visible conditional, ``F_2`` and
        ``Z_2`` the top RBM's free energy and partition function over ``h1``, and
        ``H`` the entropy (exact). The expectation is a Monte Carlo average over
        ``n_samples`` draws of ``h1`` per sample (an unbiased estimate of the
        bound); ``n_samples=None`` sums over all ``h1`` states exactly (at
        most two layers, the first of at most 16 units). Deeper stacks draw ``h1,
        h2, ...`` from the upward conditionals in turn and add each layer's
        ``log p(h_{l-1} | h_l)`` and exact conditional entropy, down to the top
        RBM; one layer gives the exact ``-F(v) - log Z``. See
        :func:`skdbn._ais.dbn_lower_bound`.

        ``log Z_2`` is the top RBM's ``log_partition_``; when it is unset, it is
        computed now by ``rbms_[-1].estimate_log_partition`` (exact when small,
        otherwise AIS from a base rate fitted to X's upward mean-field pass) and
        kept there, with its sampling band in ``rbms_[-1].log_partition_bounds_``
        (no evidence of convergence; :meth:`log_likelihood_bound_bracket`
        estimates ``log Z_2`` from both sides).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
        n_samples : int or None, default=100
            Draws of the hidden layers per row of X; None for the exact sum
            (at most two layers).
        n_runs : int, default=100
            AIS runs, used only when the top RBM's ``log Z`` is unknown (but
            validated in any case, as ``n_betas`` is).
        n_betas : int or array-like, default=10000
            AIS inverse temperatures (at least 3) or the temperatures themselves,
            as in :meth:`RBMTransformer.estimate_log_partition`.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws (and AIS, when it runs).

        Returns
        -------
        bound : ndarray of shape (n_rows,)
            One bound per row of X.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skdbn import DBNTransformer
        >>> X = (load_digits().data > 7).astype(float)[:200]
        >>> dbn = DBNTransformer(hidden_layer_sizes=(12, 6), random_state=0).fit(X)
        >>> bound = dbn.log_likelihood_lower_bound(X, n_samples=10, random_state=0)
        >>> bound.shape
        (200,)
        """
        check_is_fitted(self)
        require_numpy(self, "log_likelihood_lower_bound")
        X = validate_fitted(self, X)
        betas = _ais.check_betas(n_betas)  # even when log Z is known
        if n_samples is None:  # before an AIS run that would be wasted
            _ais.check_exact_bound([rbm.components_.shape[0] for rbm in self.rbms_])
        return self._lower_bound(X, n_samples, n_runs, betas, random_state, keep=True)

    def _lower_bound(self, X, n_samples, n_runs, betas, random_state, keep):
        """:meth:`log_likelihood_lower_bound` of validated X; the top RBM's
        ``log_partition_`` is computed when unknown, and kept there if ``keep``."""
        seed = check_random_state(random_state).randint(2**31 - 1, size=4)
        top = self.rbms_[-1]
        log_z = getattr(top, "log_partition_", None)
        if log_z is None:
            top.estimate_log_partition(
                upward_pass(self.rbms_[:-1], X),
                n_runs=n_runs,
                n_betas=betas,
                random_state=seed[0],
            )
            log_z = top.log_partition_
            if not keep:  # the model as it was: log Z unknown
                del top.log_partition_, top.log_partition_bounds_
        layers = [rbm._params(X.dtype) for rbm in self.rbms_]
        return _ais.dbn_lower_bound(
            X.toarray() if hasattr(X, "toarray") else X,
            layers,
            log_z,
            # The fitted model's units: a set_params takes effect at the next fit.
            visible_units=self.rbms_[0]._units(),
            n_samples=n_samples,
            generator=np.random.default_rng(seed),
        )

    @validate_params(
        {
            **AIS_CONSTRAINTS,
            "n_samples": [Count(1), None],
            "n_chains": [Count(1)],
            "tolerance": [Interval(Real, 0, None, closed="left")],
            "exact": ["boolean", None],
        },
        prefer_skip_nested_validation=True,
    )
    def log_likelihood_bound_bracket(
        self,
        X: MatrixLike,
        *,
        n_samples: int | None = 100,
        n_runs: int = 100,
        n_betas: int | ArrayLike = 10000,
        n_chains: int = 1,
        random_state: RandomStateLike = None,
        tolerance: float = _ais.BRACKET_TOLERANCE,
        exact: bool | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The variational bound of :meth:`log_likelihood_lower_bound`, with the
        top RBM's ``log Z`` estimated from both sides.

        Forward AIS estimates ``log Z_top`` from below (in expectation), which
        makes the bound optimistic; reverse annealing (RAISE) from upward draws
        of X's rows estimates it from above, which makes it conservative. The
        two differ by the same amount on every row; where they disagree by more
        than ``tolerance`` nats the forward runs have missed modes of the top
        RBM, which no band or effective sample size from those runs shows. With
        one layer it brackets the RBM's log-likelihood itself (through the
        ``log Z`` the reverse rows imply). Fresh estimates; sets no attribute.
        See :func:`skdbn._ais.dbn_bound_bracket`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
        n_samples : int or None, default=100
            As in :meth:`log_likelihood_lower_bound`.
        n_runs : int, default=100
            Forward AIS runs on the top RBM.
        n_betas : int or array-like, default=10000
            Inverse temperatures of both sides, as in
            :meth:`RBMTransformer.estimate_log_partition`.
        n_chains : int, default=1
            Reverse chains per row of X.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws and both sides.
        tolerance : float, default=1.0
            Largest difference of the two sides, in nats per row, that passes
            without a warning.
        exact : bool or None, default=None
            True enumerates ``Z_top`` (then both values are equal), False
            anneals, None enumerates when the top RBM is small enough.

        Returns
        -------
        lower, upper : ndarray of shape (n_rows,)
            The bound with the reverse and with the forward ``log Z_top``.

        Warns
        -----
        ConvergenceWarning
            When the two sides differ by more than ``tolerance``, with both
            numbers and the advice: more temperatures and runs.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skdbn import DBNTransformer
        >>> X = (load_digits().data > 7).astype(float)[:200]
        >>> dbn = DBNTransformer(hidden_layer_sizes=(12, 6), random_state=0).fit(X)
        >>> lower, upper = dbn.log_likelihood_bound_bracket(
        ...     X, n_samples=10, n_betas=300, random_state=0, exact=False)
        >>> bool((lower <= upper + 1).all())
        True
        """
        check_is_fitted(self)
        require_numpy(self, "log_likelihood_bound_bracket")
        X = validate_fitted(self, X)
        betas = _ais.check_betas(n_betas)
        if n_samples is None:
            _ais.check_exact_bound([rbm.components_.shape[0] for rbm in self.rbms_])
        gen = np.random.default_rng(
            check_random_state(random_state).randint(2**31 - 1, size=4)
        )
        layers = [rbm._params(X.dtype) for rbm in self.rbms_]
        V = X.toarray() if hasattr(X, "toarray") else X
        units = self.rbms_[0]._units()
        top_units = units if len(layers) == 1 else "bernoulli"
        if _ais.use_enumeration(layers[-1][0], top_units, exact):
            W, b, a = layers[-1]
            log_z = _ais.exact_log_partition(W, b, a, top_units)
            options = dict(visible_units=units, n_samples=n_samples, generator=gen)
            bound = _ais.dbn_lower_bound(V, layers, log_z, **options)
            return bound, bound.copy()
        with np.errstate(over="ignore", invalid="ignore"):
            lower, upper, log_z = _ais.dbn_bound_bracket(
                V,
                layers,
                _ais.base_rate_biases(upward_pass(self.rbms_[:-1], X), top_units),
                visible_units=units,
                n_samples=n_samples,
                n_runs=n_runs,
                n_chains=n_chains,
                betas=betas,
                generator=gen,
            )
        message = _ais.bracket_warning(lower, upper, tolerance, log_z=log_z)
        if message is not None:
            warnings.warn(message, ConvergenceWarning, stacklevel=user_stacklevel())
        return lower, upper

    def score(self, X: MatrixLike, y: None = None) -> float:
        """Mean variational lower bound on ``log p(x)`` of the samples, in nats.

        ``log_likelihood_lower_bound(X, random_state=0).mean()`` with its
        defaults (100 draws of the hidden layers per sample), except that a
        ``log Z`` of the top RBM computed here is not kept: a deterministic
        score, comparable between models with different parameters (it bounds
        the likelihood, and is the exact mean log-likelihood for one layer), so
        that ``GridSearchCV`` and ``cross_val_score`` select DBNs without a
        ``scoring``. Higher is better.

        Its cost is that of the top RBM's ``log Z`` unless
        ``rbms_[-1].log_partition_`` is set: exact enumeration when the top
        RBM has at most 20 units on one side, otherwise an AIS run (100 runs
        of 10,000 temperatures, two ``100 x n_visible x n_hidden`` matrix
        products each: seconds to minutes for large top layers), plus 100
        upward samples per row of X. For a single RBM,
        :meth:`RBMTransformer.score` (the pseudo-likelihood) is much cheaper.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        score : float
            Mean lower bound on the log-likelihood per sample, in nats.
        """
        check_is_fitted(self)
        X = validate_fitted(self, X)
        model = self
        if _backend.ops(X) is not np:  # AIS runs on NumPy: a host copy scores
            model, X = _backend.to_device(self), _backend.to_numpy(X)
        bound = model._lower_bound(X, 100, 100, _ais.check_betas(10000), 0, keep=False)
        return float(np.mean(bound))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.array_api_support = True
        return tags
