"""What DBNClassifier and DBNRegressor share: pre-training, then fine-tuning.

Pre-training is :class:`skdbn._dbn.PretrainingMixin` (one RBM per hidden layer);
fine-tuning adds an output layer and trains the whole network with
:class:`skdbn._network.NetworkObjective` through the shared training loop
(:class:`skdbn._gradient_descent.GradientDescentMixin`), exactly as
LogisticRegressionGD does with no hidden layer. The estimators themselves are
in ``_dbn_classifier.py`` and ``_dbn_regressor.py``; their parameters and
shared attributes are documented once here (``FINE_TUNING_DOC``).
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import _backend, _network, _outofcore, _training
from ._base import MatrixLike
from ._dbn import PRETRAINING_CONSTRAINTS, PretrainingMixin, check_layer_sizes
from ._gradient_descent import (
    GD_PARAMETER_CONSTRAINTS,
    GradientDescentMixin,
    training_call,
)
from ._validation import (
    astype,
    check_unchanged,
    check_visible_range,
    validate_fitted,
)

FINE_TUNING_DOC = """
    pretrain : bool, default=True
        Pre-train the hidden layers as a DBN before fine-tuning; ``False`` starts
        from random (Glorot) weights, which makes the ablation one parameter.
    activation : {'logistic', 'tanh', 'relu', 'identity'}, default='logistic'
        Hidden units' activation during fine-tuning and prediction, with
        MLPClassifier's names. The RBMs of pre-training have sigmoid
        ('logistic') units: with ``pretrain=True``, 'tanh' starts from the
        exactly equivalent tanh network (``sigmoid(z) = (1 + tanh(z / 2)) / 2``:
        weights and biases halved, offsets moved into the next layer's biases),
        and 'relu' or 'identity' raise a ValueError (use them with
        ``pretrain=False``). Keep 'logistic' after pre-training: the halved
        tanh weights make each gradient step move the network further, so
        'tanh' needs a smaller learning rate there and still ends no better
        (the User Guide compares them).
    hidden_layer_sizes, visible_units, rbm_* :
        The stack and its pre-training, as in :class:`DBNTransformer`.
    solver : {'sgd', 'adam'}, default='adam'
        Fine-tuning optimiser.
    learning_rate_init : float, default=0.01
        Initial fine-tuning step size (ten times MLPClassifier's: sigmoid layers
        leave the plateaus they start on far sooner with it). With ``'sgd'``,
        the recipe for large image data sets in DBNClassifier's Notes uses 0.4.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Step-size schedule of 'sgd' (as MLPClassifier).
    power_t : float, default=0.5
        Exponent of 'invscaling'.
    momentum : float, default=0.9
        Momentum of 'sgd'.
    nesterovs_momentum : bool, default=True
        Nesterov's momentum for 'sgd'.
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's parameters.
    alpha : float, default=1e-4
        Strength of the L2 penalty on the weights of every layer, the output
        layer's included (never the biases), with MLPClassifier's convention:
        for a mini-batch of ``B`` rows the objective is
        ``mean_b(loss_b) + alpha / (2 * B) * sum_l ||W_l||^2``, so each step
        adds ``(alpha / B) * W_l`` to the weight gradients and the penalty
        weakens as the batch grows (with ``sample_weight``, ``B`` is the
        batch's expected weight, ``B`` times the mean weight given, as
        MLPClassifier divides by the weight sum). LogisticRegressionGD instead adds
        ``(alpha / 2) * ||W||^2`` once to the mean loss over the whole training
        set: the two objectives agree when this ``alpha`` is ``B`` times
        LogisticRegressionGD's.
    dropout : float, default=0.0
        Probability of dropping each hidden unit during fine-tuning (inverted
        dropout: predictions use the full network unscaled). Values around 0.2-0.5
        regularise large networks.
    batch_size : int, 'auto' or None, default='auto'
        Fine-tuning mini-batch size; 'auto' is ``min(200, ceil(n_samples / 10))``
        (MLPClassifier's 200, but at least ten updates an epoch: with one
        full-batch step an epoch, small data sets stop on their first plateau),
        None the full batch.
    max_iter : int, default=200
        Maximum fine-tuning epochs.
    tol : float, default=1e-4
        Fine-tuning stops when the training loss (or the validation score with
        ``early_stopping``) has not improved by ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs (as in MLPClassifier).
    n_iter_no_change : int, default=10
        Epochs without improvement tolerated by ``tol``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop when its score stops
        improving, and keep the best weights.
    validation_fraction : float, default=0.1
        Share of the data held out for early stopping.
    shuffle : bool, default=True
        Reshuffle the samples every fine-tuning epoch.
    warm_start : bool, default=False
        Refit from the current (fine-tuned) weights, skipping pre-training: the
        data must have the same features (and, for a classifier, labels among
        ``classes_``) and is converted to the model's dtype; changed
        ``hidden_layer_sizes`` or number of targets raise a ValueError. The
        curves go on, ``n_iter_`` counts this fit's epochs and the stopping rules
        start afresh.
    random_state : int, RandomState instance or None, default=None
        Seeds pre-training (first), the output layer's initial weights, dropout
        and shuffling.
    verbose : int, default=0
        Print progress of pre-training and one line per fine-tuning epoch.
"""

FINE_TUNING_ATTRIBUTES = """
    coefs_ : list of ndarray
        Weights of each layer after fine-tuning; ``coefs_[i]`` has shape
        ``(n_units_in, n_units_out)`` (the RBM's ``components_`` transposed).
    intercepts_ : list of ndarray
        Biases of each layer after fine-tuning.
    pretraining_curves_ : list of list of float or None
        Each layer's reconstruction-error curve from pre-training.
    loss_curve_ : list of float
        Fine-tuning loss at each epoch.
    loss_ : float or None
        The last fine-tuning epoch's loss (``loss_curve_[-1]``), as in
        MLPClassifier; None if no epoch has finished.
    best_loss_ : float or None
        Lowest fine-tuning loss; None with ``early_stopping`` (see
        ``best_validation_score_``), as in MLPClassifier.
    validation_scores_ : list of float or None
        With ``early_stopping``, the validation score after each epoch.
    best_validation_score_ : float or None
        Best of ``validation_scores_``.
    n_iter_ : int
        Fine-tuning epochs run.
    t_ : int
        Training samples seen by fine-tuning.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units.
    out_activation_ : str
        'softmax', 'sigmoid' or 'identity'.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.
"""


def _glorot(rng, fan_in, fan_out, X):
    """Glorot-uniform weights in X's dtype, drawn on the host (every backend
    starts equal), then in X's namespace and on its device."""
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    W = rng.uniform(-bound, bound, size=(fan_in, fan_out))
    return _backend.to_namespace(W.astype(_backend.host_dtype(X)), like=X)


def _checked_network(coefs, intercepts):
    """Copies of the layers of a hand-made network, in one float dtype
    (float32 only if every array is), or a ValueError naming the layer."""
    coefs = [np.asarray(W) for W in coefs]
    intercepts = [np.asarray(b) for b in intercepts]
    if len(coefs) < 2 or len(coefs) != len(intercepts):
        raise ValueError(
            "coefs and intercepts must list the same number of layers, at least "
            f"two (a hidden layer and the output layer); got {len(coefs)} and "
            f"{len(intercepts)}."
        )
    for name, arrays in (("coefs", coefs), ("intercepts", intercepts)):
        for i, a in enumerate(arrays):
            if a.dtype.kind not in "biuf":
                raise TypeError(
                    f"{name}[{i}] has dtype {a.dtype}: the weights must be real "
                    "numbers (not strings, complex numbers or objects)."
                )
    dtype = np.result_type(*coefs, *intercepts, np.float32)
    n_in = coefs[0].shape[0] if coefs[0].ndim == 2 else None
    for i, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
        if W.ndim != 2 or W.shape[0] != n_in or b.shape != (W.shape[1],):
            raise ValueError(
                f"Layer {i}: coefs[{i}] must be 2-D with {n_in} rows (the units "
                f"below it) and intercepts[{i}] 1-D with one value per column of "
                f"coefs[{i}]; got the shapes {W.shape} and {b.shape}."
            )
        n_in = W.shape[1]
    if not all(np.isfinite(a).all() for a in coefs + intercepts):
        raise ValueError("coefs and intercepts must be finite.")
    copy = [np.array(a, dtype=dtype) for a in coefs + intercepts]
    return copy[: len(coefs)], copy[len(coefs) :]


class BaseDBNNetwork(
    PretrainingMixin,
    GradientDescentMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Pre-training then fine-tuning; subclasses define the output and targets."""

    _training_stage = "fine-tuning"

    def __init__(
        self,
        hidden_layer_sizes=(256, 128),
        *,
        pretrain=True,
        activation="logistic",
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
        solver="adam",
        learning_rate_init=0.01,
        learning_rate="constant",
        power_t=0.5,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        alpha=1e-4,
        dropout=0.0,
        batch_size="auto",
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.pretrain = pretrain
        self.activation = activation
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
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.power_t = power_t
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.alpha = alpha
        self.dropout = dropout
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    _parameter_constraints = {
        **PRETRAINING_CONSTRAINTS,
        **GD_PARAMETER_CONSTRAINTS,
        "pretrain": ["boolean"],
        "activation": [StrOptions({"logistic", "tanh", "relu", "identity"})],
        "dropout": [Interval(Real, 0, 1, closed="left")],
    }

    def _initialize(self, X, Y, rng, sample_weight=None):
        """Initial (or pre-trained, with the sample weights) weights; True when
        Ctrl-C cut pre-training."""
        self._check_activation()
        self.loss_ = None  # until a fine-tuning epoch ends
        n_outputs = Y.shape[1]
        sizes = check_layer_sizes(self.hidden_layer_sizes)
        interrupted = False
        if self.pretrain:
            check_visible_range(self, X)
            rbms, interrupted = self._pretrain(
                X,
                rng,
                then="fine-tuning was skipped (n_iter_ = 0)",
                sample_weight=sample_weight,
            )
            coefs = [_backend.copy(rbm.components_.T) for rbm in rbms]
            intercepts = [_backend.copy(rbm.intercept_hidden_) for rbm in rbms]
            self.pretraining_curves_ = [list(rbm.loss_curve_) for rbm in rbms]
        else:
            units = [X.shape[1], *sizes]
            coefs = [
                _glorot(rng, a, b, X)
                for a, b in zip(units[:-1], units[1:], strict=True)
            ]
            intercepts = [_backend.ops(X).zeros(b, dtype=X.dtype) for b in sizes]
            self.pretraining_curves_ = None
        coefs.append(_glorot(rng, sizes[-1], n_outputs, X))
        bias = self._initial_output_bias(
            _backend.to_numpy(Y), _backend.to_numpy(sample_weight)
        )
        intercepts.append(_backend.to_namespace(bias.astype(_backend.host_dtype(X)), X))
        if self.pretrain and self.activation == "tanh":  # the same network
            coefs, intercepts = _network.sigmoid_to_tanh(coefs, intercepts)
        self.coefs_, self.intercepts_ = coefs, intercepts
        self._fitted_activation = self.activation  # what the weights are for
        self._n_features_out = sizes[-1]  # transform() gives the top hidden layer
        self.n_layers_ = len(coefs) + 1
        self.n_outputs_ = n_outputs
        _training.init_history(self, early_stopping=self.early_stopping)
        self._optimizer = None
        return interrupted

    @classmethod
    def _from_weights(cls, coefs, intercepts, params):
        """An estimator of ``cls(**params)`` holding the network ``(coefs,
        intercepts)`` as if fitted (no epoch run); the targets' side is the
        subclass's."""
        coefs, intercepts = _checked_network(coefs, intercepts)
        sizes = tuple(W.shape[1] for W in coefs[:-1])
        est = cls(**{"hidden_layer_sizes": sizes, **params})
        est._validate_params()
        if check_layer_sizes(est.hidden_layer_sizes) != sizes:
            raise ValueError(
                f"hidden_layer_sizes={est.hidden_layer_sizes!r} does not match the "
                f"hidden layers of coefs, {sizes}; leave it out."
            )
        est.coefs_, est.intercepts_ = coefs, intercepts
        est._fitted_activation = est.activation
        est.n_features_in_ = coefs[0].shape[0]
        est._n_features_out = sizes[-1]
        est.n_layers_ = len(coefs) + 1
        est.n_outputs_ = coefs[-1].shape[1]
        est.pretraining_curves_ = None
        est.loss_ = None
        _training.init_history(est, early_stopping=est.early_stopping)
        est._optimizer = None
        return est

    def _initial_output_bias(self, Y, sample_weight=None):
        return np.zeros(Y.shape[1])

    def _check_activation(self):
        """Refuse hidden units that pre-trained (sigmoid) weights cannot start
        (a network that goes on training is not pre-trained again)."""
        if self.pretrain and self.activation in ("relu", "identity"):
            raise ValueError(
                f"activation={self.activation!r} cannot be fine-tuned from "
                "pre-training: the RBMs of pre-training have binary (sigmoid) "
                "hidden units, whose weights mean nothing to "
                f"{self.activation!r} units. Use pretrain=False with "
                f"activation={self.activation!r}, or activation='logistic' or "
                "'tanh' with pre-training."
            )

    def __setstate__(self, state):
        super().__setstate__(state)
        # Model files from before the activation parameter had sigmoid units.
        self.__dict__.setdefault("activation", "logistic")
        if "coefs_" in self.__dict__:
            self.__dict__.setdefault("_fitted_activation", "logistic")

    def _check_continuation(self, n_outputs, incremental):
        """Refuse to go on training a network that the parameters or the targets
        no longer describe (``partial_fit`` or a warm-start ``fit``)."""
        action = "partial_fit" if incremental else "fit with warm_start=True"
        check_unchanged(
            self,
            fitted={
                "hidden_layer_sizes": tuple(W.shape[1] for W in self.coefs_[:-1]),
                "number of targets": self.n_outputs_,
                "activation": self._fitted_activation,
            },
            now={
                "hidden_layer_sizes": check_layer_sizes(self.hidden_layer_sizes),
                "number of targets": n_outputs,
                "activation": self.activation,
            },
            action=action,
        )

    def _fine_tune(self, X, Y, rng, incremental, sample_weight=None, unit=1.0):
        """Fine-tune. ``alpha`` is per sample, as MLPClassifier's: with weights,
        per unit of weight (``unit``, the given weight scaled to 1), so that a
        full batch with integer weights has the penalty of the repeated rows."""
        if self.verbose and not incremental:  # after the pre-training lines
            print(f"[{type(self).__name__}] fine-tuning")
        objective = _network.NetworkObjective(
            self.coefs_,
            self.intercepts_,
            hidden_activation=self.activation,
            output_activation=self.out_activation_,
            alpha=self.alpha if unit == 1.0 else self.alpha / unit,
            alpha_per_sample=True,
            dropout=self.dropout,
            random_state=rng,
        )
        self._fit_network(
            objective,
            X,
            Y,
            sample_weight,
            incremental=incremental,
            rng=rng,
            score=self._validation_score,
            stratify=self.out_activation_ != "identity" and not self._multilabel,
        )
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else None
        return self

    @property
    def _multilabel(self):
        binarizer = getattr(self, "_label_binarizer", None)
        return binarizer is not None and binarizer.y_type_ == "multilabel-indicator"

    def _fit(self, X, Y, incremental=False, sample_weight=None):
        """Initialise (pre-train) or go on from the current weights, then
        fine-tune: a ``partial_fit`` epoch, or a whole ``fit``.

        ``sample_weight`` weighs pre-training (each layer's CD statistics) and
        fine-tuning (the mean loss) alike, checked and scaled once here."""
        rng = self._training_rng(incremental)
        call = training_call(hasattr(self, "coefs_"), incremental, self.warm_start)
        if call == "initialise":
            self._weight_unit = None  # a new model: partial_fit sets it afresh
        else:
            self._check_continuation(Y.shape[1], incremental)
            dtype = self.coefs_[0].dtype
            X, Y = astype(X, dtype), astype(Y, dtype, input_name="y")
        sample_weight, unit = self._scaled_sample_weight(
            X, None, sample_weight, incremental
        )
        if call == "initialise":
            if self._initialize(X, Y, rng, sample_weight):  # Ctrl-C in pre-training
                return self
        elif call == "warm start":
            self._restart_for_warm_start()
        return self._fine_tune(X, Y, rng, incremental, sample_weight, unit)

    def _forward(self, X, output=True, check_input=True, method="predict"):
        """Outputs of the network (or its top hidden layer with ``output=False``).

        Computed in X's dtype, as RBMTransformer does: float64 data beyond
        float32's range stays finite with a float32 model.
        """
        if check_input:
            check_is_fitted(self)
            X = validate_fitted(self, X, method)
        n = len(self.coefs_) if output else len(self.coefs_) - 1
        coefs = [_backend.astype(W, X.dtype) for W in self.coefs_[:n]]
        intercepts = [_backend.astype(b, X.dtype) for b in self.intercepts_[:n]]
        top = self.out_activation_ if output else self.activation
        hidden = self.activation

        def forward(block, out):
            out[...] = _network.forward(block, coefs, intercepts, hidden, top)[-1]
            return out

        width = max(W.shape[1] for W in coefs)
        return _outofcore.map_rows(forward, X, coefs[-1].shape[1], width=width)

    def transform(self, X: MatrixLike) -> np.ndarray:
        """Top hidden layer's activations after fine-tuning.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        H : ndarray of shape (n_samples, hidden_layer_sizes[-1])
        """
        return self._forward(X, output=False, method="transform")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        # transform() returns the top hidden layer, in the network's dtype.
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
