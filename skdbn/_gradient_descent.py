"""What every network estimator trained by gradient descent shares.

:class:`LogisticRegressionGD`, :class:`DBNClassifier` and :class:`DBNRegressor` all
fit a :class:`skdbn._network.NetworkObjective` with an optimiser from
:mod:`skdbn._optimizers` through :func:`skdbn._training.train`; this mixin holds
the glue (parameter constraints with MLPClassifier's names, the optimiser, sample
weights, early-stopping split) so it is written once. :class:`SampleWeightMixin`,
the sample weights alone, also serves the RBM and DBN transformers, whose
pre-training weighs the contrastive-divergence statistics the same way.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state, compute_sample_weight
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight

from . import _training
from ._backend import host_dtype, ops, to_namespace, to_numpy
from ._base import DocLinkMixin
from ._callsite import user_stacklevel
from ._optimizers import SGD, Adam
from ._state import plain_state, rebuilt_state
from ._validation import label_repr

GD_PARAMETER_CONSTRAINTS = {
    "solver": [StrOptions({"sgd", "adam"})],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "batch_size": [
        Interval(Integral, 1, None, closed="left"),
        StrOptions({"auto"}),
        None,
    ],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
}


# What a call does with a model that is already there, decided once at its start
# (as MLPClassifier._fit does); ``training_call`` names the row.
#
#   row           when                        weights      history           optimiser
#   'initialise'  fit without warm start, or  new (DBN:    reset             new
#                 the first call of either    pre-train)
#   'warm start'  fit, warm_start=True,       kept         curves go on,     new
#                 fitted                                   n_iter_ = 0,
#                                                          stopping restarts
#   'continue'    partial_fit, fitted         kept         an epoch added    kept (*)
#
# (*) a new one when the solver or the kind of momentum changed.
#
# ``fit`` draws a fresh generator from random_state; ``partial_fit`` calls
# continue one (``_training_rng``). Data of a kept model is converted to its dtype.
def training_call(fitted, incremental, warm_start):
    """The row of the table above: 'initialise', 'warm start' or 'continue'."""
    if not fitted:
        return "initialise"
    if incremental:
        return "continue"
    return "warm start" if warm_start else "initialise"


class SampleWeightMixin(DocLinkMixin):
    """``sample_weight`` checked once and scaled for the training loops.

    Both objectives, the networks' loss and the RBMs' contrastive-divergence
    statistics, weigh each row of a mini-batch of ``B`` rows by ``s_i / B``,
    with the weights scaled to mean 1 over the training set (see
    ``_network._batch_weights``): the batches' gradients then average to the
    gradient of the weighted mean over the data, and weights of None are
    weights of one, bit for bit.
    """

    # LogisticRegressionGD has always taken negative weights (a convex loss
    # whose weights sum to more than zero); contrastive divergence and the
    # networks of the DBNs refuse them.
    _negative_weights_allowed = False

    def _checked_sample_weight(self, X, y, sample_weight, incremental=False):
        """Sample weights times class weights, or None when both are absent.

        The objective is the weighted *mean* loss, so only the ratios of the
        weights matter: they are checked in float64, scaled to mean 1 (what the
        mini-batch objective expects, see ``_network._batch_weights``) and only
        then cast to X's dtype, so that tiny or huge weights neither underflow
        nor overflow in float32 (and the same weights times any constant give
        the same model). ``partial_fit`` calls share one unit, the mean weight
        of the first call (1 if it had none), so that a chunk of heavier samples
        (a class weight, chunks of one class) pulls harder than a lighter one.
        Weights that are all equal (all one in that unit) are returned as None:
        the same model as no weights, bit for bit, without their arithmetic.
        """
        return self._scaled_sample_weight(X, y, sample_weight, incremental)[0]

    def _scaled_sample_weight(self, X, y, sample_weight, incremental=False):
        """``(weights, unit)``: :meth:`_checked_sample_weight`'s weights, and the
        given weight that they scale to 1 (the objective of the DBN networks
        divides its per-sample penalty by it, as MLPClassifier divides it by
        the sum of the weights). The weights are checked on the host and come
        back in X's namespace and on its device."""
        weights, unit = self._host_scaled_weight(
            X, y, to_numpy(sample_weight), incremental
        )
        return (weights if ops(X) is np else to_namespace(weights, like=X)), unit

    def _host_scaled_weight(self, X, y, sample_weight, incremental=False):
        """:meth:`_scaled_sample_weight` in NumPy (X: its rows and dtype only)."""
        class_weight = getattr(self, "class_weight", None)
        if sample_weight is None and class_weight is None:
            if not incremental:
                return None, 1.0
            # No weights are weights of one: a first call without them makes
            # 1 the unit, and a later call without them weighs 1 in that unit.
            unit = getattr(self, "_weight_unit", None)
            if unit is None:
                self._weight_unit = 1.0
            if unit in (None, 1.0):
                return None, 1.0
        rows = X if ops(X) is np else np.empty((X.shape[0], 0))
        sample_weight = _check_sample_weight(
            sample_weight,
            rows,
            dtype=np.float64,
            ensure_non_negative=not self._negative_weights_allowed,
        )
        if class_weight is not None:
            sample_weight = sample_weight * _class_weights(
                class_weight, y, sample_weight
            )
        scale = np.abs(sample_weight).max()
        if scale > 0:
            sample_weight = sample_weight / scale
        if not sample_weight.sum() > 0:
            after = " (after class_weight)" if class_weight is not None else ""
            raise ValueError(
                f"The sample weights sum to zero or less{after}: at least one "
                "sample must have a positive weight."
            )
        if not incremental:
            unit = scale * sample_weight.mean()
            if _uniform(sample_weight):  # no weights: the same model, bit for bit
                return None, unit
            return _unit_mean(sample_weight).astype(host_dtype(X), copy=False), unit
        if getattr(self, "_weight_unit", None) is None:  # the first call
            self._weight_unit = scale * sample_weight.mean()
        sample_weight = sample_weight * (scale / self._weight_unit)
        if _uniform(sample_weight, 1.0):  # weights of one in the unit: none
            return None, self._weight_unit
        return sample_weight.astype(host_dtype(X)), self._weight_unit


class GradientDescentMixin(SampleWeightMixin):
    """Optimiser, sample weights and the call into the shared training loop."""

    # What on_epoch callbacks see as the stage of this training.
    _training_stage = "training"

    def __getstate__(self):
        # The optimiser (kept for partial_fit) as arrays and builtins.
        return plain_state(super().__getstate__())

    def __setstate__(self, state):
        super().__setstate__(rebuilt_state(state))

    def _make_optimizer(self, params):
        if self.solver == "adam":
            return Adam(
                params, self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon
            )
        return SGD(
            params,
            self.learning_rate_init,
            self.learning_rate,
            self.momentum,
            self.nesterovs_momentum,
            self.power_t,
        )

    def _restart_for_warm_start(self):
        """The table's 'warm start' row: the curves go on, ``n_iter_`` counts this
        fit's epochs and the stopping rules start afresh."""
        self.n_iter_ = 0
        _training.restart_stopping(self, early_stopping=self.early_stopping)

    def _check_incremental(self):
        """What ``partial_fit`` checks first, before any work (also the
        parameters: scikit-learn skips that for a fitted estimator's
        partial_fit, but parameters set since are used)."""
        self._validate_params()
        if self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True.")

    def _training_rng(self, incremental):
        """A fresh generator for ``fit``; ``partial_fit`` calls continue one.

        Reseeding on every ``partial_fit`` call would repeat the same shuffling
        order and dropout masks in every call.
        """
        if not incremental or getattr(self, "_rng", None) is None:
            self._rng = check_random_state(self.random_state)
        return self._rng

    def _fit_network(
        self, objective, X, Y, sample_weight, *, incremental, rng, score, stratify
    ):
        """Run the shared training loop on ``objective``; returns ``self``.

        ``score(objective, X_val, Y_val, sw_val)`` (higher is better) is the
        early-stopping criterion; ``stratify`` splits the validation set by ``Y``.
        """
        rng = check_random_state(rng)
        validation = None
        if self.early_stopping:
            (X, Y, sample_weight), (X_val, Y_val, sw_val) = self._split_validation(
                X, Y, sample_weight, rng, stratify
            )
            validation = (X_val, Y_val, sw_val, lambda *v: score(objective, *v))
        self._optimizer = self._optimizer_for(objective.params, incremental)
        batch_size = _training.resolve_batch_size(self.batch_size, X.shape[0])
        if self.batch_size not in (None, "auto") and self.batch_size > X.shape[0]:
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the {X.shape[0]} "
                f"training samples: it is clipped to {X.shape[0]}.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
        with _training.stage(self, self._training_stage):
            _training.train(
                self,
                objective,
                self._optimizer,
                X,
                Y,
                sample_weight,
                max_iter=self.max_iter,
                batch_size=batch_size,
                shuffle=self.shuffle,
                rng=rng,
                tol=self.tol,
                n_iter_no_change=self.n_iter_no_change,
                gtol=getattr(self, "gtol", None),
                validation=validation,
                verbose=self.verbose,
                incremental=incremental,
                # A failed warm start keeps its model (a cold fit's is put back
                # whole by unchanged_on_error, with no copy of the weights).
                keep_start=self.warm_start and not incremental,
            )
        return self

    def _split_validation(self, X, Y, sample_weight, rng, stratify):
        """Early stopping's ``(training, validation)`` parts of the data; both
        parts need some positive weight."""
        train, val = _training.split_validation(
            X,
            Y,
            sample_weight,
            fraction=self.validation_fraction,
            rng=rng,
            stratify=stratify,
        )
        if sample_weight is None:
            return train, val
        for part, name in ((train[2], "training"), (val[2], "validation")):
            if not part.sum() > 0:
                raise ValueError(
                    f"The sample weights of the {name} part of the "
                    "early-stopping split sum to zero or less: give more "
                    "samples a positive weight or change validation_fraction."
                )
        return (*train[:2], _unit_mean(train[2])), val

    def _optimizer_for(self, params, incremental):
        """A new optimiser for ``fit``; ``partial_fit`` keeps its optimiser (and
        momentum) with the parameters set since applied, unless the solver, the
        kind of momentum or the trained arrays changed: then it starts afresh
        (as after a divergence, which resets it)."""
        optimizer = getattr(self, "_optimizer", None)
        kind = Adam if self.solver == "adam" else SGD
        if (
            not incremental
            or type(optimizer) is not kind
            or not optimizer.fits(params)
            or (kind is SGD and optimizer.nesterov != self.nesterovs_momentum)
        ):
            return self._make_optimizer(params)
        schedule = (float(self.learning_rate_init),)
        if kind is SGD:
            schedule += (self.learning_rate, self.power_t)
        if schedule != optimizer.schedule()[: len(schedule)]:
            # A new rate or schedule starts from its value after t_ samples
            # (not from a rate an old schedule decayed or divided).
            optimizer.learning_rate_init = optimizer.learning_rate = schedule[0]
            if kind is SGD:
                optimizer.lr_schedule, optimizer.power_t = schedule[1:]
            optimizer.iteration_ends(self.t_)
        if kind is SGD:
            optimizer.momentum = float(self.momentum)
        else:
            optimizer.beta_1, optimizer.beta_2 = float(self.beta_1), float(self.beta_2)
            optimizer.epsilon = float(self.epsilon)
        return optimizer


def _class_weights(class_weight, y, sample_weight):
    """Each sample's class weight. 'balanced' divides by the classes' weighted
    counts, ``sum(s) / (n_classes * sum of s over the class)``, as scikit-learn's
    LogisticRegression does with sample weights (the plain counts without)."""
    if not isinstance(class_weight, str):
        if isinstance(class_weight, dict):
            check_class_weight_values(class_weight)
        return compute_sample_weight(class_weight, y)
    _, index = np.unique(y, return_inverse=True)
    totals = np.bincount(index, weights=sample_weight)
    with np.errstate(divide="ignore"):
        per_class = np.where(totals > 0, totals.sum() / (totals.size * totals), 0.0)
    return per_class[index]


def check_class_weight_values(class_weight):
    """Refuse NaN, infinite or negative class weights by name (they would
    otherwise surface as sample weights that sum to zero or less)."""
    for label, weight in class_weight.items():
        try:
            weight = float(weight)
        except (TypeError, ValueError):
            raise ValueError(
                f"class_weight[{label_repr(label)}] must be a number, got {weight!r}."
            ) from None
        if not (np.isfinite(weight) and weight >= 0):
            raise ValueError(
                f"class_weight[{label_repr(label)}] must be finite and >= 0, got "
                f"{weight}."
            )


def _uniform(sample_weight, value=None):
    """Whether every weight is the same (equal to ``value`` when given)."""
    first = sample_weight[0] if value is None else value
    return bool((sample_weight == first).all())


def _unit_mean(sample_weight):
    """The weights divided by their mean (in their dtype)."""
    mean = sample_weight.mean(dtype=np.float64)
    return (sample_weight / mean).astype(sample_weight.dtype, copy=False)
