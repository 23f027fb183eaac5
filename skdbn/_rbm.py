"""RBMTransformer: a Restricted Boltzmann Machine with BernoulliRBM's interface."""

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
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted

from . import _ais, _backend, _cd, _outofcore, _training
from ._base import MatrixLike, RandomStateLike
from ._callsite import user_stacklevel
from ._gradient_descent import SampleWeightMixin
from ._state import plain_state, rebuilt_state
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

_TRAINING_OPTIONS = (
    "batch_size",
    "learning_rate",
    "k",
    "persistent",
    "visible_units",
    "momentum",
    "final_momentum",
    "momentum_switch",
    "weight_decay",
    "sparsity_target",
    "sparsity_cost",
    "sparsity_decay",
    "learning_rate_schedule",
    "power_t",
)

_AUTO = StrOptions({"auto"})

# Arguments of the generative methods, validated as estimator parameters are.
SAMPLING_CONSTRAINTS = {
    "n_samples": [Count(1)],
    "n_steps": [Count(0)],
    "random_state": ["random_state"],
    "draw": ["boolean"],
}
AIS_CONSTRAINTS = {
    "n_runs": [Count(1)],
    "n_betas": [Count(_ais.MIN_BETAS), "array-like"],
    "random_state": ["random_state"],
}


_STRUCTURE = ("n_components", "visible_units", "persistent")


def _warn_if_ais_failed(result, floor, n_runs):
    """Warn when an AIS estimate lies below ``floor``, a closed-form lower bound
    of log Z, or when its runs disagree too much (its band reaches -inf)."""
    # Margin: the floor can be within a hundredth of a nat of log Z, and
    # float32 runs accumulate rounding.
    if result.log_z_high < floor - 0.01 - 1e-4 * abs(floor):
        warnings.warn(
            f"AIS failed: its estimate log_partition_={result.log_z:.6g} (band "
            f"up to {result.log_z_high:.6g}) is below {floor:.6g}, a lower bound "
            "of log Z that holds for this model in closed form, so it is far "
            "too low. The base-rate model starts from X's column means: pass "
            "the training data (or data on its scale), or X=None, and use more "
            "temperatures (n_betas) and runs.",
            ConvergenceWarning,
            stacklevel=user_stacklevel(),
        )
    elif n_runs > 1 and result.log_z_low == -np.inf:
        warnings.warn(
            f"AIS did not converge: the standard error of Z exceeds a third of "
            f"Z (effective sample size {result.effective_sample_size:.1f} of "
            f"{n_runs} runs), so log_partition_={result.log_z:.6g} may be far "
            "off, usually too low. Use more temperatures (n_betas) and runs.",
            ConvergenceWarning,
            stacklevel=user_stacklevel(),
        )


class RBMTransformer(
    SampleWeightMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Restricted Boltzmann Machine trained by contrastive divergence.

    It replaces :class:`sklearn.neural_network.BernoulliRBM` (same parameters,
    defaults, fitted attributes and methods, and with the defaults the same
    algorithm: persistent CD with one Gibbs step and plain SGD), with three
    differences: :meth:`score_samples` is the deterministic ``-F(v)``, not
    BernoulliRBM's stochastic pseudo-likelihood (its thresholds do not carry
    over); :meth:`gibbs` returns floats, not booleans; and the visible biases
    start at the data's log-odds, not at zero. It adds CD-k, a momentum
    schedule, weight decay, a sparsity target, learning-rate schedules,
    Gaussian visible units, monitoring and generation. All the arithmetic lives in
    :mod:`skdbn._cd`; ``fit`` is a thin wrapper over ``_cd.fit_rbm``, which the DBN
    calls for each layer.

    Parameters
    ----------
    n_components : int, default=256
        Number of binary hidden units.
    learning_rate : float or 'auto', default=0.1
        Step size; the gradient is averaged over the mini-batch. A rate that makes
        the weights overflow stops ``fit`` with a ``DivergenceError``; one too
        large to learn anything (the model ends up reconstructing its training
        data worse than one with no weights) gets a ``ConvergenceWarning``.
        ``'auto'``: 0.15 for Bernoulli visible units, 0.01 for Gaussian ones.
    batch_size : int or 'auto', default=10
        Samples per mini-batch (clipped to the number of samples), and the number of
        persistent chains. ``'auto'``: ``min(40, ceil(n_samples / 10))``.
    n_iter : int or 'auto', default=10
        Epochs (passes over the training data, reshuffled every epoch).
        ``'auto'``: at least 10 epochs and at least 1,000 mini-batch updates.
        The defaults are BernoulliRBM's; ``learning_rate='auto', batch_size='auto',
        n_iter='auto'`` are the settings DBNTransformer and DBNClassifier use by
        default for each layer, and a good start on data of any size.
    verbose : int, default=0
        Print one line per epoch: reconstruction error, free energies with
        ``validation_fraction``, and time.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the validation split, the shuffling and the
        Gibbs sampling of ``fit``, and the default generator of :meth:`gibbs` and
        :meth:`sample`.
    k : int, default=1
        Gibbs steps in the negative phase (CD-k, or PCD-k with ``persistent``).
    persistent : bool, default=True
        Persistent contrastive divergence (as BernoulliRBM): ``batch_size`` chains
        continue from batch to batch. ``False`` starts each chain at the data.
    momentum : float, default=0.0
        Momentum of the first ``momentum_switch`` epochs, in [0, 1).
    final_momentum : float or None, default=None
        Momentum after ``momentum_switch`` epochs; None keeps ``momentum``.
    momentum_switch : int, default=5
        Number of epochs trained with ``momentum`` before ``final_momentum``.
    weight_decay : float, default=0.0
        L2 cost on the weights (never the biases): ``weight_decay * W`` is added
        to the weight gradient.
    sparsity_target : float, default=0.1
        Desired mean activation of each hidden unit, in (0, 1).
    sparsity_cost : float, default=0.0
        Strength of the sparsity penalty (0 disables it). It pushes a decaying
        average of each unit's activity towards ``sparsity_target``.
    sparsity_decay : float, default=0.95
        Decay of that average, in [0, 1).
    learning_rate_schedule : {'constant', 'invscaling', 'linear'}, default='constant'
        After ``e`` epochs the rate is ``learning_rate`` ('constant'),
        ``learning_rate / (e + 1) ** power_t`` ('invscaling') or
        ``learning_rate * max(1 - e / n_iter, 1 / n_iter)`` ('linear').
    power_t : float, default=0.5
        Exponent of 'invscaling'.
    visible_units : {'bernoulli', 'gaussian'}, default='bernoulli'
        Bernoulli units expect data in [0, 1]; Gaussian units have unit variance
        and expect standardised data (use a 10-100 times smaller learning rate).
    validation_fraction : float or None, default=None
        Hold out this share of the training rows and record, after each epoch, the
        mean free energy of the held-out rows and of as many training rows. A
        widening gap signals overfitting. Used by ``fit`` only.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Weights, in the dtype of the training data.
    intercept_hidden_ : ndarray of shape (n_components,)
        Hidden biases.
    intercept_visible_ : ndarray of shape (n_features,)
        Visible biases.
    h_samples_ : ndarray of shape (n_chains, n_components)
        With ``persistent``, the hidden states of the persistent chains
        (``min(batch_size, n_samples)`` of them, from the first fit); with CD-k,
        the hidden states sampled from the last mini-batch's data.
    loss_curve_ : list of float
        Mean squared reconstruction error (summed over features) of each epoch,
        measured during training (with ``persistent``, on a fiftieth of each batch).
    train_free_energy_, validation_free_energy_ : list of float or None
        With ``validation_fraction``, the mean free energies after each epoch.
    log_partition_ : float
        ``log Z``, set by :meth:`estimate_log_partition` (not by ``fit``, which
        removes a stale one, as ``partial_fit`` does).
    log_partition_bounds_ : tuple of float
        ``(low, high)`` band of ``log_partition_``: ``log(Z_hat -/+ 3 sigma)``
        for AIS, both equal to ``log_partition_`` when it is exact. Computed
        from the runs drawn, it cannot see modes that none of them reached: a
        narrow band is no evidence of convergence (use
        :meth:`log_likelihood_bounds`).
    n_iter_ : int
        Epochs run (``fit`` and ``partial_fit`` calls together).
    t_ : int
        Training samples seen.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.neural_network.BernoulliRBM : The model this estimator replaces.

    Notes
    -----
    Training follows Hinton's practical guide: weights start at N(0, 0.01**2),
    visible biases at the data's log-odds, the data's hidden states are sampled
    and reconstructions use probabilities. Per mini-batch the cost is about five
    ``batch x n_features x n_components`` matrix products (CD-1 or PCD-1).

    Recommended settings for features: CD-1 (``persistent=False``) with the
    guide's momentum schedule (``momentum=0.5``, ``final_momentum=0.9``,
    ``momentum_switch=5``), ``weight_decay=1e-4``, a sparsity target
    (``sparsity_target=0.05``, ``sparsity_cost=2``), a learning rate 2-3 times
    smaller than without momentum (``learning_rate=0.03``), ``batch_size=10``
    and ``n_iter=30``. On scikit-learn's RBM example (nudged digits, then a
    logistic regression) they give better features than BernoulliRBM's settings
    of that example, which give the same accuracy here as BernoulliRBM itself;
    the sparsity target changes the features, not the accuracy. The figures
    are on the Benchmarks page of the documentation.

    PCD (the default) follows the model's distribution more faithfully, which
    is meant to give better generative models (samples, free energies) with a
    decaying learning rate and long training; in short runs CD-1 can do as
    well or better. Avoid combining PCD with high momentum, which destabilises
    the persistent chains. For ``visible_units='gaussian'`` standardise the data and
    divide the learning rate by 10-100.

    References
    ----------
    G. Hinton, "A Practical Guide to Training Restricted Boltzmann Machines",
    UTML TR 2010-003, 2010.

    T. Tieleman, "Training Restricted Boltzmann Machines using Approximations to
    the Likelihood Gradient", ICML 2008.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn import RBMTransformer
    >>> X = np.array([[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    >>> rbm = RBMTransformer(n_components=2, random_state=0).fit(X)
    >>> rbm.transform(X).shape
    (4, 2)
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither"), _AUTO],
        "batch_size": [Interval(Integral, 1, None, closed="left"), _AUTO],
        "n_iter": [Interval(Integral, 0, None, closed="left"), _AUTO],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "k": [Interval(Integral, 1, None, closed="left")],
        "persistent": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "final_momentum": [Interval(Real, 0, 1, closed="left"), None],
        "momentum_switch": [Interval(Integral, 0, None, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "sparsity_target": [Interval(Real, 0, 1, closed="neither")],
        "sparsity_cost": [Interval(Real, 0, None, closed="left")],
        "sparsity_decay": [Interval(Real, 0, 1, closed="left")],
        "learning_rate_schedule": [StrOptions(set(_cd.SCHEDULES))],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "visible_units": [StrOptions(set(_cd.VISIBLE_UNITS))],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
    }

    def __init__(
        self,
        n_components=256,
        *,
        learning_rate=0.1,
        batch_size=10,
        n_iter=10,
        verbose=0,
        random_state=None,
        k=1,
        persistent=True,
        momentum=0.0,
        final_momentum=None,
        momentum_switch=5,
        weight_decay=0.0,
        sparsity_target=0.1,
        sparsity_cost=0.0,
        sparsity_decay=0.95,
        learning_rate_schedule="constant",
        power_t=0.5,
        visible_units="bernoulli",
        validation_fraction=None,
    ):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.verbose = verbose
        self.random_state = random_state
        self.k = k
        self.persistent = persistent
        self.momentum = momentum
        self.final_momentum = final_momentum
        self.momentum_switch = momentum_switch
        self.weight_decay = weight_decay
        self.sparsity_target = sparsity_target
        self.sparsity_cost = sparsity_cost
        self.sparsity_decay = sparsity_decay
        self.learning_rate_schedule = learning_rate_schedule
        self.power_t = power_t
        self.visible_units = visible_units
        self.validation_fraction = validation_fraction

    def _options(self):
        return {name: getattr(self, name) for name in _TRAINING_OPTIONS}

    def _resolved_options(self, n_rows):
        """The training options and ``n_iter`` with 'auto' values resolved for
        ``n_rows`` rows (``partial_fit``: this call's chunk)."""
        options = self._options()
        options["batch_size"], n_iter, options["learning_rate"] = _cd.resolve_auto(
            n_rows,
            batch_size=self.batch_size,
            n_iter=self.n_iter,
            learning_rate=self.learning_rate,
            visible_units=self._units(),
        )
        return options, n_iter

    def _validate(self, X, reset):
        return validate_visible_data(
            self, X, reset=reset, units=None if reset else self._units()
        )

    def _units(self):
        """The visible unit type of the fitted model: ``set_params`` changes the
        parameter, which takes effect at the next ``fit``. Weights set by hand
        (no training) are read with the parameter's unit type."""
        trainer = self.__dict__.get("_trainer")
        if trainer is None:
            return self.visible_units
        return trainer.objective.visible_units

    @_fit_context(prefer_skip_nested_validation=True)
    @unchanged_on_error
    def fit(
        self,
        X: MatrixLike,
        y: None = None,
        sample_weight: ArrayLike | None = None,
    ) -> RBMTransformer:
        """Fit the model to the data X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 data trains in float32, sparse data is densified
            one mini-batch at a time.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample (None: all equal). Each row's
            contrastive-divergence statistics count in proportion to its weight
            (``s_i / batch_size`` in place of ``1 / batch_size``, the weights
            scaled to mean 1 over the training rows) and the initial visible
            biases are the weighted data means, so an integer weight counts as
            that many copies of the row and a zero weight as no row, in
            expectation (see the User Guide). Only the ratios matter.

        Returns
        -------
        self : RBMTransformer
            The fitted model.
        """
        X = self._validate(X, reset=True)
        if self.validation_fraction is not None and X.shape[0] < 2:
            raise ValueError("validation_fraction needs at least 2 samples.")
        self._weight_unit = None  # partial_fit calls after this one set theirs
        sample_weight = self._checked_sample_weight(X, None, sample_weight)
        rng = check_random_state(self.random_state)
        with _training.stage(self, "training"):
            trainer = _cd.fit_rbm(
                X,
                self.n_components,
                rng=rng,
                n_iter=self.n_iter,
                validation_fraction=self.validation_fraction,
                verbose=self.verbose,
                sample_weight=sample_weight,
                **self._options(),
            )
        return self._store(trainer, monitored=bool(self.validation_fraction))

    @_fit_context(prefer_skip_nested_validation=True)
    @unchanged_on_error
    def partial_fit(
        self,
        X: MatrixLike,
        y: None = None,
        sample_weight: ArrayLike | None = None,
    ) -> RBMTransformer:
        """Train for one epoch of mini-batches on X, starting from the current model.

        For data that arrives in chunks or does not fit in memory. The first call
        initialises the model from this X (its visible biases come from this
        chunk's means) and fixes the dtype; every call then runs one shuffled
        pass over X in mini-batches of ``batch_size``, with the same updates as
        an epoch of :meth:`fit`. Calls count as epochs for the momentum and
        learning-rate schedules (``n_iter_``); ``n_iter`` is not used except by
        the ``'linear'`` schedule. Persistent chains carry over between calls.
        Training parameters changed with ``set_params`` between calls (learning
        rate, batch size, ``k``, momentum, decay, sparsity, schedule) apply from
        the next call; ``n_components``, ``visible_units`` and ``persistent``
        describe the model and cannot change (a ValueError says so).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, converted to the dtype of the first call.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample, as in :meth:`fit`. The calls
            share one unit, the mean weight of the first call (1 without
            weights), so that a chunk of heavier samples pulls harder.

        Returns
        -------
        self : RBMTransformer
            The updated model.
        """
        # scikit-learn skips this for a fitted estimator, but set_params values
        # since the last call are used.
        self._validate_params()
        first = not hasattr(self, "components_")
        X = self._validate(X, reset=first)
        if first:
            self._weight_unit = None
        sample_weight = self._checked_sample_weight(X, None, sample_weight, True)
        with _training.stage(self, "training"):
            return self._partial_fit(
                X, check_random_state(self.random_state), sample_weight=sample_weight
            )

    def _partial_fit(self, X, rng, lr_name="learning_rate", sample_weight=None):
        """One epoch on validated X; ``rng`` seeds a first call (a DBN's layers);
        ``sample_weight`` is checked and scaled (``_checked_sample_weight``)."""
        fitted = hasattr(self, "components_")
        # Weights set by hand (say, a BernoulliRBM's) have no trainer yet.
        hand_set = fitted and "_trainer" not in self.__dict__
        if fitted:
            X = astype(X, self.components_.dtype)
        if sample_weight is not None:
            sample_weight = _backend.astype(sample_weight, X.dtype)
        if fitted and not hand_set:
            self._check_structure_unchanged()
            trainer = self._trainer
            options, n_iter = self._resolved_options(X.shape[0])
            del options["persistent"], options["visible_units"]
            trainer.configure(n_iter=n_iter, **options)  # set_params since
        else:
            if hand_set:
                self._check_hand_set_shapes(X)
            options, n_iter = self._resolved_options(X.shape[0])
            trainer = _cd.RBMTrainer(
                X,
                self.n_components,
                rng=rng,
                n_iter=n_iter,
                lr_name=lr_name,
                sample_weight=sample_weight,
                **options,
            )
            self.n_features_in_ = X.shape[1]
        if fitted:
            self._load_attributes(trainer.objective, hand_set)
        trainer.run(
            X, 1, verbose=self.verbose, incremental=True, sample_weight=sample_weight
        )
        # A monitored fit's free-energy curves stay (partial_fit adds no point).
        monitored = getattr(self, "train_free_energy_", None) is not None
        return self._store(trainer, monitored=monitored)

    def _check_hand_set_shapes(self, X):
        """``components_`` set by hand must fit ``n_components`` and the data."""
        n_hidden, n_visible = self.components_.shape
        if n_hidden != self.n_components or n_visible != X.shape[1]:
            raise ValueError(
                f"components_ has shape {self.components_.shape}, but "
                f"n_components={self.n_components} and X has {X.shape[1]} "
                "features: set components_ of shape (n_components, n_features)."
            )

    def _load_attributes(self, objective, hand_set=False):
        """Train what the fitted attributes hold, should a user have replaced
        them: weights, biases and (PCD) the persistent chains ``h_samples_``.

        ``hand_set``: the attributes were set without training (the trainer is
        new). Then, as in BernoulliRBM, absent biases and chains keep their
        initial values and ``h_samples_`` sets the number of chains."""
        names = ("components_", "intercept_hidden_", "intercept_visible_")
        for live, name in zip(objective.params, names, strict=True):
            value = getattr(self, name, None)
            if live is value or (hand_set and value is None):
                continue
            if np.shape(value) != live.shape:
                raise ValueError(
                    f"{name} has shape {np.shape(value)}, but the model's is "
                    f"{live.shape}: call fit to train a model of another shape."
                )
            np.copyto(live, value)
        chains, h = objective.chains, getattr(self, "h_samples_", None)
        if chains is None or h is None or h is chains:
            return
        if hand_set and np.ndim(h) == 2 and len(h) and h.shape[1] == chains.shape[1]:
            objective.chains = np.array(h, dtype=chains.dtype, order="C")
            return
        if np.shape(h) != chains.shape:
            raise ValueError(
                f"h_samples_ has shape {np.shape(h)}, but this model runs "
                f"{chains.shape[0]} persistent chains of {chains.shape[1]} hidden "
                "units (min(batch_size, n_samples) of its first training call)."
            )
        np.copyto(chains, h)

    def _check_structure_unchanged(self):
        """Refuse a ``partial_fit`` whose parameters no longer describe the model."""
        objective = self._trainer.objective
        check_unchanged(
            self,
            fitted={
                "n_components": self.components_.shape[0],
                "visible_units": objective.visible_units,
                "persistent": objective.persistent,
            },
            now={name: getattr(self, name) for name in _STRUCTURE},
        )

    # The fitted attributes that are the trainer's live arrays (see _store).
    _LIVE = ("components_", "intercept_hidden_", "intercept_visible_", "h_samples_")

    @staticmethod
    def _live_arrays(trainer):
        """The trainer's arrays behind the fitted attributes named in ``_LIVE``."""
        return (
            trainer.components,
            trainer.intercept_hidden,
            trainer.intercept_visible,
            trainer.hidden_samples,
        )

    def __getstate__(self):
        # The fitted attributes are the trainer's arrays: joblib and skops would
        # store them twice (pickle notices). Store the trainer's, relink on load.
        state = dict(super().__getstate__())  # (may be self.__dict__ itself)
        trainer = state.get("_trainer")
        if trainer is not None:
            pairs = zip(self._LIVE, self._live_arrays(trainer), strict=True)
            shared = [name for name, live in pairs if state.get(name) is live]
            for name in shared:
                del state[name]
            state["_shared_with_trainer"] = shared
        return plain_state(state)  # the trainer as arrays and builtins

    def __setstate__(self, state):
        state = rebuilt_state(state)
        shared = state.pop("_shared_with_trainer", ())
        super().__setstate__(state)
        if shared:
            pairs = zip(self._LIVE, self._live_arrays(self._trainer), strict=True)
            for name, live in pairs:
                if name in shared:
                    setattr(self, name, live)

    def _store(self, trainer, monitored):
        for name in ("log_partition_", "log_partition_bounds_"):
            self.__dict__.pop(name, None)  # the weights change: Z is stale
        self._trainer = trainer
        for name, live in zip(self._LIVE, self._live_arrays(trainer), strict=True):
            setattr(self, name, live)
        self.loss_curve_, self.n_iter_, self.t_ = (
            trainer.loss_curve_,
            trainer.n_iter_,
            trainer.t_,
        )
        self.train_free_energy_ = trainer.train_free_energy_ if monitored else None
        self.validation_free_energy_ = (
            trainer.validation_free_energy_ if monitored else None
        )
        self._n_features_out = self.components_.shape[0]
        return self

    def _params(self, dtype):
        return [
            _backend.astype(p, dtype)
            for p in (self.components_, self.intercept_hidden_, self.intercept_visible_)
        ]

    def _chunked(self, func, X, n_cols):
        """``func(X_block, out_block)`` over row blocks of X (bounded temporaries)."""
        return _outofcore.map_rows(func, X, n_cols, width=max(self.components_.shape))

    def transform(self, X: MatrixLike) -> np.ndarray:
        """Hidden probabilities ``P(h = 1 | v = X)`` (deterministic).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        H : ndarray of shape (n_samples, n_components)
            In the dtype of X; computed in chunks of bounded size.
        """
        check_is_fitted(self)
        X = validate_fitted(self, X)
        return self._hidden_probs(X)

    def _hidden_probs(self, X):
        """``transform`` without validation, for validated input (the DBN's layers)."""
        W, b, _ = self._params(X.dtype)
        return self._chunked(
            lambda Xc, out: _cd.hidden_probs(Xc, W, b, out=out), X, W.shape[0]
        )

    def inverse_transform(self, X: ArrayLike) -> np.ndarray:
        """Visible means ``E[v | h = X]``: probabilities (Bernoulli) or means.

        ``inverse_transform(transform(X))`` is the mean-field reconstruction of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Hidden states or probabilities (the output of :meth:`transform`).

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            The visible means, in the dtype of X.
        """
        check_is_fitted(self)
        H = check_hidden(self, X, self.components_.shape[0])
        W, _, a = self._params(H.dtype)
        return _cd.visible_means(H, W, a, self._units())

    def free_energy(self, X: MatrixLike) -> np.ndarray:
        """Free energy ``F(v) = -log sum_h exp(-E(v, h))`` of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        F : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_fitted(self, X)
        W, b, a = self._params(X.dtype)
        units = self._units()
        return self._chunked(
            lambda Xc, out: _cd.free_energy(Xc, W, a, b, units), X, None
        )

    def score_samples(self, X: MatrixLike) -> np.ndarray:
        """Negative free energy ``-F(x)``; higher is more typical.

        For binary x it is the log-probability up to a constant,
        ``log p(x) = -F(x) - log Z`` (the partition function ``Z`` does not
        depend on x), so the scores rank samples exactly as the model's
        likelihood does; for Gaussian visible units it is the log-density up to
        ``log Z``. For data in [0, 1] that is not binary it is an unnormalised
        score: it still ranks samples under this model, but it is not a
        log-probability. Deterministic, unlike BernoulliRBM's pseudo-likelihood
        estimate (the two are on different scales), and never comparable
        between two models.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        return -self.free_energy(X)

    def pseudo_log_likelihood(self, X: MatrixLike) -> np.ndarray:
        """Log pseudo-likelihood ``sum_i log P(x_i | x_-i)`` of each sample, in nats.

        Over all visible units (BernoulliRBM's ``score_samples`` estimates it
        from one random unit, times ``n_features``), so it is deterministic.
        For non-binary data in [0, 1] each unit contributes the expected
        ``log P(v_i | x_-i)`` under ``v_i ~ Bernoulli(x_i)`` (see
        :func:`skdbn._cd.pseudo_likelihood`). Bernoulli visible units only.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        pll : ndarray of shape (n_samples,)
            At most 0; higher is better.
        """
        check_is_fitted(self)
        X = validate_fitted(self, X)
        if self._units() != "bernoulli":
            raise ValueError(
                "The pseudo-likelihood (and score) is defined for "
                "visible_units='bernoulli' only. For Gaussian visible units, "
                "compare models by log_likelihood(X).mean() after "
                "estimate_log_partition(X_train)."
            )
        W, b, a = self._params(X.dtype)
        return self._chunked(
            lambda Xc, out: _cd.pseudo_likelihood(Xc, W, a, b), X, None
        )

    def score(self, X: MatrixLike, y: None = None) -> float:
        """Mean log pseudo-likelihood of the samples: higher is better.

        ``pseudo_log_likelihood(X).mean()``, in nats per sample: a deterministic
        score that is comparable between models with different parameters
        (``n_components``, ``learning_rate``...), so that ``GridSearchCV`` and
        ``cross_val_score`` select RBMs without a ``scoring``, on held-out
        data. The pseudo-likelihood is a consistent stand-in for the likelihood
        that needs no partition function; where ``log Z`` is affordable,
        ``log_likelihood(X).mean()`` after :meth:`estimate_log_partition` is
        the likelihood itself.

        It costs ``2 n_samples n_features n_components`` softplus evaluations,
        about ``2 n_features`` times a :meth:`transform`: cheap for digits,
        seconds for thousands of MNIST images (score a subset).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data in [0, 1] (Bernoulli visible units only; a ValueError for
            Gaussian ones).
        y : None
            Ignored.

        Returns
        -------
        score : float
            Mean log pseudo-likelihood per sample, in nats (at most 0).

        Examples
        --------
        >>> import numpy as np
        >>> from skdbn import RBMTransformer
        >>> X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
        >>> rbm = RBMTransformer(n_components=2, random_state=0).fit(X)
        >>> bool(rbm.score(X) < 0)
        True
        """
        return _backend.mean_float(self.pseudo_log_likelihood(X))

    @validate_params(
        {**AIS_CONSTRAINTS, "exact": ["boolean", None]},
        prefer_skip_nested_validation=True,
    )
    def estimate_log_partition(
        self,
        X: MatrixLike | None = None,
        *,
        n_runs: int = 100,
        n_betas: int | ArrayLike = 10000,
        random_state: RandomStateLike = None,
        exact: bool | None = None,
    ) -> RBMTransformer:
        """Compute or estimate ``log Z`` and store it as ``log_partition_``.

        Exact by enumeration when the enumerated layer (the smaller one; the
        hidden one for Gaussian visible units) has at most 20 units, otherwise
        by annealed importance sampling (AIS, Salakhutdinov and Murray, 2008)
        from a base-rate model whose visible biases fit the marginals of ``X``.
        See :mod:`skdbn._ais` for the method.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features), default=None
            Data whose column means set the base-rate model (typically the
            training data). None uses the model's own visible biases. This only
            changes the variance of the AIS estimate, not what it estimates.
        n_runs : int, default=100
            Independent AIS runs (advanced together as one batch); the band
            needs at least 2 (with one it is infinite).
        n_betas : int or array-like, default=10000
            Number of inverse temperatures (at least 3, spaced as in the 2008
            paper: denser near 1), or the temperatures themselves, non-decreasing
            from 0 to 1. The cost is two ``n_runs x n_features x n_components``
            matrix products each.
        random_state : int, RandomState instance or None, default=None
            Seeds the AIS runs; None continues the model's own generator.
        exact : bool or None, default=None
            True forces enumeration (ValueError when too large), False forces
            AIS, None picks enumeration whenever it is possible. ``n_runs``,
            ``n_betas``, ``random_state`` and ``X`` are validated in any case.

        Returns
        -------
        self : RBMTransformer
            With ``log_partition_`` and ``log_partition_bounds_`` set.

        Warns
        -----
        ConvergenceWarning
            When the AIS band's low end is ``-inf`` (its standard error exceeds
            a third of ``Z``, with at least 2 runs): the runs disagree so much
            that the estimate is unreliable, usually too low. Also when the whole
            band lies below a closed-form lower bound of ``log Z``
            (``skdbn._ais.log_partition_floor``): the estimate is then certainly
            wrong (X far from the model's scale). No warning is no evidence of
            convergence: on multimodal models AIS can be several nats low with a
            narrow band and a large effective sample size. To check, anneal from
            the other side too, with :meth:`log_likelihood_bounds`.

        Raises
        ------
        ValueError
            When AIS returns an infinite or NaN estimate (extreme X).

        Examples
        --------
        >>> import numpy as np
        >>> from skdbn import RBMTransformer
        >>> X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
        >>> rbm = RBMTransformer(n_components=2, random_state=0).fit(X)
        >>> rbm = rbm.estimate_log_partition(X)  # 2 hidden units: exact
        >>> rbm.log_likelihood(X).shape
        (4,)
        """
        check_is_fitted(self)
        require_numpy(self, "estimate_log_partition")
        betas = _ais.check_betas(n_betas)  # even when unused, as n_runs is
        W, b, a = self.components_, self.intercept_hidden_, self.intercept_visible_
        if X is not None:  # validated even when enumeration does not need it
            X = validate_fitted(self, X)
        units = self._units()
        n_enum = min(W.shape) if units == "bernoulli" else W.shape[0]
        if exact or (exact is None and n_enum <= _ais.MAX_EXACT_UNITS):
            log_z = _ais.exact_log_partition(W, b, a, units)
            self.log_partition_, self.log_partition_bounds_ = log_z, (log_z, log_z)
            return self
        result = self._run_ais(X, units, n_runs, betas, random_state)
        self.log_partition_ = result.log_z
        self.log_partition_bounds_ = (result.log_z_low, result.log_z_high)
        _warn_if_ais_failed(result, _ais.log_partition_floor(W, b, a, units), n_runs)
        return self

    def _run_ais(self, X, units, n_runs, betas, random_state):
        """AIS from the base-rate model of X (or of the visible biases); a
        ValueError when it fails outright (an infinite or NaN estimate)."""
        W, b, a = self.components_, self.intercept_hidden_, self.intercept_visible_
        base = None if X is None else _ais.base_rate_biases(X, units)
        # A failed run (overflow from X far off the model's scale) is reported
        # below by what it returns, not by NumPy's RuntimeWarnings.
        with np.errstate(over="ignore", invalid="ignore"):
            result = _ais.ais_log_partition(
                W,
                b,
                a,
                units,
                base_visible_bias=base,
                n_runs=n_runs,
                betas=betas,
                generator=self._generator(random_state),
            )
        if not np.isfinite(result.log_z):
            raise ValueError(
                f"AIS failed: its estimate of log Z is {result.log_z}. The base-rate "
                "model it starts from has X's column means as its visible "
                f"{'biases' if units == 'gaussian' else 'marginals'}; pass the "
                "training data (or data on its scale), or X=None to start from "
                "the model's own visible biases."
            )
        return result

    @validate_params({"return_bounds": ["boolean"]}, prefer_skip_nested_validation=True)
    def log_likelihood(
        self, X: MatrixLike, *, return_bounds: bool = False
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Log-probability ``log p(x) = -F(x) - log Z`` of each sample, in nats.

        Needs ``log_partition_`` from :meth:`estimate_log_partition`. A
        log-probability for binary x, a log-density for Gaussian visible units;
        for non-binary data in [0, 1] the value is no log-probability (see
        :meth:`score_samples`). Deterministic given that estimate.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        return_bounds : bool, default=False
            Also return the values for the ends of ``log_partition_bounds_``.

        Returns
        -------
        log_prob : ndarray of shape (n_samples,)
        log_prob_low, log_prob_high : ndarray of shape (n_samples,)
            With ``return_bounds``: ``-F(x) - high`` and ``-F(x) - low`` (the
            latter ``+inf`` when the AIS band reaches 0). The band's sampling
            spread only, not a bracket of the true value: for that see
            :meth:`log_likelihood_bounds`.

        Examples
        --------
        >>> import numpy as np
        >>> from skdbn import RBMTransformer
        >>> X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
        >>> rbm = RBMTransformer(n_components=2, random_state=0).fit(X)
        >>> p = np.exp(rbm.estimate_log_partition().log_likelihood(X))
        >>> bool(np.all((p > 0) & (p < 1)))
        True
        """
        check_is_fitted(self)
        require_numpy(self, "log_likelihood")
        if not hasattr(self, "log_partition_"):
            raise NotFittedError(
                "log Z is not known: call estimate_log_partition(X_train) after "
                "fitting (fit and partial_fit discard a previous estimate)."
            )
        neg_f = -self.free_energy(X)
        log_prob = neg_f - self.log_partition_
        if not return_bounds:
            return log_prob
        low, high = self.log_partition_bounds_
        return log_prob, neg_f - high, neg_f - low

    @validate_params(
        {
            **AIS_CONSTRAINTS,
            "X_base": ["array-like", "sparse matrix", None],
            "n_chains": [Count(1)],
            "tolerance": [Interval(Real, 0, None, closed="left")],
            "exact": ["boolean", None],
        },
        prefer_skip_nested_validation=True,
    )
    def log_likelihood_bounds(
        self,
        X: MatrixLike,
        X_base: MatrixLike | None = None,
        *,
        n_runs: int = 100,
        n_betas: int | ArrayLike = 10000,
        n_chains: int = 1,
        random_state: RandomStateLike = None,
        tolerance: float = _ais.BRACKET_TOLERANCE,
        exact: bool | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Bracket ``log p(x)`` of each sample from both sides, in nats.

        From above: ``-F(x) - log Z_fwd``, with ``log Z_fwd`` a fresh forward
        AIS estimate (as :meth:`estimate_log_partition` makes), which is low in
        expectation. From below: reverse annealing (RAISE, Burda, Grosse and
        Salakhutdinov, 2015) started at each row of X, on the same temperatures
        and base-rate model (:func:`skdbn._ais.raise_log_likelihood`). The
        upper side holds in expectation for every row; the lower one bounds the
        annealed model's log-likelihood, which is below the RBM's on average
        over rows like the model's own samples (so in practice on the data of
        a model that fits it), not on rows the model finds improbable. With
        enough temperatures both sides close in on ``log p(x)``. Where they
        still disagree, the forward runs have typically missed modes they
        never reached: no band or effective sample size computed from those
        runs can show that, the other side can. Exact (both sides equal) when
        :meth:`estimate_log_partition` would enumerate. Sets no attribute.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to bound, binary for Bernoulli units (typically held-out data).
        X_base : {array-like, sparse matrix} of shape (n_rows, n_features), \
                default=None
            Data whose column means set the base-rate model both sides anneal
            to (typically the training data); None uses the model's visible
            biases.
        n_runs : int, default=100
            Forward AIS runs.
        n_betas : int or array-like, default=10000
            Inverse temperatures, as in :meth:`estimate_log_partition`. Cost:
            two ``(n_runs + n_chains * n_samples) x n_features x n_components``
            matrix products per temperature.
        n_chains : int, default=1
            Reverse chains per row of X.
        random_state : int, RandomState instance or None, default=None
            Seeds both sides; None continues the model's own generator.
        tolerance : float, default=1.0
            Largest difference between the two sides' mean log-likelihoods, in
            nats per row, that passes without a warning.
        exact : bool or None, default=None
            As in :meth:`estimate_log_partition`.

        Returns
        -------
        lower : ndarray of shape (n_samples,)
            Reverse-annealing estimates, from below (for rows like the model's
            samples, on average).
        upper : ndarray of shape (n_samples,)
            Forward-AIS estimates ``-F(x) - log Z_fwd``, from above.

        Warns
        -----
        ConvergenceWarning
            When the means of ``upper`` and ``lower`` differ by more than
            ``tolerance``, either way, with both numbers and the advice: more
            temperatures and runs.

        Examples
        --------
        >>> import numpy as np
        >>> from skdbn import RBMTransformer
        >>> X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
        >>> rbm = RBMTransformer(n_components=2, random_state=0).fit(X)
        >>> lower, upper = rbm.log_likelihood_bounds(
        ...     X, X, n_betas=1000, random_state=0, exact=False)
        >>> bool(abs(upper.mean() - lower.mean()) < 1)
        True
        """
        check_is_fitted(self)
        require_numpy(self, "log_likelihood_bounds")
        betas = _ais.check_betas(n_betas)
        X = validate_fitted(self, X)
        if X_base is not None:  # unnamed columns are X's warning to give, once
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "X does not have valid feature")
                X_base = validate_fitted(self, X_base)
        W, b, a = self.components_, self.intercept_hidden_, self.intercept_visible_
        units = self._units()
        if _ais.use_enumeration(W, units, exact):
            log_z = _ais.exact_log_partition(W, b, a, units)
            log_p = -self.free_energy(X).astype(np.float64) - log_z
            return log_p, log_p.copy()
        base = None if X_base is None else _ais.base_rate_biases(X_base, units)
        options = dict(base_visible_bias=base, betas=betas)
        gen = self._generator(random_state)
        with np.errstate(over="ignore", invalid="ignore"):
            forward = _ais.ais_log_partition(
                W, b, a, units, n_runs=n_runs, generator=gen, **options
            )
            reverse = _ais.raise_log_likelihood(
                X, W, b, a, units, n_chains=n_chains, generator=gen, **options
            )
        upper = reverse.neg_free_energy - forward.log_z
        message = _ais.bracket_warning(
            reverse.log_prob, upper, tolerance, log_z=(forward.log_z, reverse.log_z)
        )
        if message is not None:
            warnings.warn(message, ConvergenceWarning, stacklevel=user_stacklevel())
        return reverse.log_prob, upper

    def _generator(self, random_state):
        if random_state is not None:
            seed = check_random_state(random_state).randint(2**31 - 1, size=4)
            xp = _backend.ops(self.components_)
            return np.random.default_rng(seed) if xp is np else xp.generator(seed)
        trainer = self.__dict__.get("_trainer")
        if trainer is not None:
            return trainer.generator
        # Weights set by hand: a generator of its own, from random_state, kept
        # so that successive calls differ (BernoulliRBM's random_state_).
        if "_own_generator" not in self.__dict__:
            self._own_generator = self._generator(check_random_state(self.random_state))
        return self._own_generator

    @validate_params(
        {"random_state": ["random_state"]}, prefer_skip_nested_validation=True
    )
    def gibbs(self, v: MatrixLike, random_state: RandomStateLike = None) -> np.ndarray:
        """One Gibbs step from ``v``: sample ``h ~ P(h | v)`` then ``v' ~ P(v | h)``.

        Parameters
        ----------
        v : {array-like, sparse matrix} of shape (n_samples, n_features)
            Visible states to start from.
        random_state : int, RandomState instance or None, default=None
            None continues the model's own generator (successive calls differ).

        Returns
        -------
        v_new : ndarray of shape (n_samples, n_features)
            Sampled visible states in v's float dtype: 0.0 and 1.0 for Bernoulli
            units (BernoulliRBM returns booleans, and also takes one sample as a
            1-D array; here v is 2-D, as for every other method), real values for
            Gaussian units.
        """
        check_is_fitted(self)
        v = validate_fitted(self, v)
        gen = self._generator(random_state)
        W, b, a = self._params(v.dtype)
        h = _cd.sample_bernoulli(_cd.hidden_probs(v, W, b), gen)
        return _cd.visible_states(h, W, a, gen, self._units())

    @validate_params(SAMPLING_CONSTRAINTS, prefer_skip_nested_validation=True)
    def sample(
        self,
        n_samples: int = 1,
        *,
        n_steps: int = 1000,
        random_state: RandomStateLike = None,
        draw: bool = False,
    ) -> np.ndarray:
        """Generate samples by running Gibbs chains from the visible biases.

        Each chain starts with every hidden unit off (so its first ``v`` is
        drawn with the visible biases alone), runs ``n_steps`` Gibbs steps and
        returns, from its last hidden states ``h``, the visible means
        ``E[v | h]`` (smooth values), or with ``draw`` a draw ``v ~ P(v | h)``.

        Parameters
        ----------
        n_samples : int, default=1
            Number of independent chains, at least 1.
        n_steps : int, default=1000
            Gibbs steps per chain; 0 returns ``E[v | h = 0]``.
        random_state : int, RandomState instance or None, default=None
            None continues the model's own generator (successive calls differ).
        draw : bool, default=False
            Return drawn visible states instead of their conditional means:
            0.0 and 1.0 for Bernoulli units, the mean plus standard normal
            noise for Gaussian units.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            Visible means ``E[v | h]`` of the final hidden states, or (with
            ``draw``) visible states drawn from ``P(v | h)``.
        """
        check_is_fitted(self)
        return self._sample(n_samples, n_steps, self._generator(random_state), draw)

    def _sample(self, n_samples, n_steps, gen, draw=False):
        """:meth:`sample` with a given generator (a DBN's top layer)."""
        W, b, a = self.components_, self.intercept_hidden_, self.intercept_visible_
        units, xp = self._units(), _backend.ops(W)
        h = xp.zeros((n_samples, W.shape[0]), W.dtype)
        v = xp.empty((n_samples, W.shape[1]), W.dtype)
        for _ in range(n_steps):
            _cd.gibbs_step(h, W, b, a, gen, units, v_out=v)
        if draw:
            return _cd.visible_states(h, W, a, gen, units, out=v)
        return _cd.visible_means(h, W, a, units, out=v)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.array_api_support = True
        return tags
