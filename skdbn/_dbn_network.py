"""DBNClassifier and DBNRegressor: a pre-trained stack fine-tuned by backprop.

Pre-training is :class:`skdbn._dbn.PretrainingMixin` (one RBM per hidden layer);
fine-tuning adds an output layer and trains the whole network with
:class:`skdbn._network.NetworkObjective` through the shared training loop
(:class:`skdbn._base.GradientDescentMixin`), exactly as LogisticRegressionGD does
with no hidden layer.
"""

import warnings
from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    RegressorMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.metrics import r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d

from . import _network, _outofcore, _training
from ._activations import binary_log_proba, log_sigmoid, log_softmax
from ._callsite import user_stacklevel
from ._dbn import PRETRAINING_CONSTRAINTS, PretrainingMixin, check_layer_sizes
from ._gradient_descent import GD_PARAMETER_CONSTRAINTS, GradientDescentMixin
from ._training import unchanged_on_error
from ._validation import (
    astype,
    check_classes,
    check_labels_in,
    check_same_classes,
    check_two_classes,
    check_unchanged,
    check_visible_range,
    classification_labels,
    label_repr,
    require_classes,
    validate,
    validate_fitted,
)
from .exceptions import CollapseWarning

_FINE_TUNING_DOC = """
    pretrain : bool, default=True
        Pre-train the hidden layers as a DBN before fine-tuning; ``False`` starts
        from random (Glorot) weights, which makes the ablation one parameter.
    hidden_layer_sizes, visible_units, rbm_* :
        The stack and its pre-training, as in :class:`DBNTransformer`.
    solver : {'sgd', 'adam'}, default='adam'
        Fine-tuning optimiser.
    learning_rate_init : float, default=0.01
        Initial fine-tuning step size (ten times MLPClassifier's: pre-trained
        sigmoid layers fine-tune well, and fast, with it). On small data (under
        200 samples, which ``batch_size='auto'`` trains full-batch: one step per
        epoch) Adam's first steps at this rate can saturate the wide default
        layers, and training stops on a plateau: on min-max-scaled iris 2 of 8
        seeds of DBNClassifier predict one class after 12-20 epochs, and
        DBNRegressor on 150 rows of diabetes or Friedman #1 ends below R2 0
        (ConvergenceWarnings say so). There, use 0.003 (iris and wine: mean
        test accuracy 0.997 over 8 seeds; the regressor then fails less often)
        or a batch_size of about 32.
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
        L2 penalty ``0.5 * alpha * ||W||^2`` on the weights, divided by the
        number of samples in each mini-batch when added to its mean loss
        (MLPClassifier's convention).
    dropout : float, default=0.0
        Probability of dropping each hidden unit during fine-tuning (inverted
        dropout: predictions use the full network unscaled). Values around 0.2-0.5
        regularise large networks.
    batch_size : int, 'auto' or None, default='auto'
        Fine-tuning mini-batch size; 'auto' is ``min(200, n_samples)``, None the
        full batch.
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

_FINE_TUNING_ATTRIBUTES = """
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


def _glorot(rng, fan_in, fan_out, dtype):
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=(fan_in, fan_out)).astype(dtype)


class _BaseDBNNetwork(
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
        visible_units="bernoulli",
        rbm_learning_rate=0.05,
        rbm_n_iter=10,
        rbm_batch_size=10,
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
        "dropout": [Interval(Real, 0, 1, closed="left")],
    }

    def _initialize(self, X, Y, rng):
        """Initial (or pre-trained) weights; True when Ctrl-C cut pre-training."""
        self.loss_ = None  # until a fine-tuning epoch ends
        n_outputs = Y.shape[1]
        sizes = check_layer_sizes(self.hidden_layer_sizes)
        interrupted = False
        if self.pretrain:
            check_visible_range(self, X)
            rbms, interrupted = self._pretrain(
                X, rng, then="fine-tuning was skipped (n_iter_ = 0)"
            )
            coefs = [rbm.components_.T.copy() for rbm in rbms]
            intercepts = [rbm.intercept_hidden_.copy() for rbm in rbms]
            self.pretraining_curves_ = [list(rbm.loss_curve_) for rbm in rbms]
        else:
            units = [X.shape[1], *sizes]
            coefs = [
                _glorot(rng, a, b, X.dtype)
                for a, b in zip(units[:-1], units[1:], strict=True)
            ]
            intercepts = [np.zeros(b, dtype=X.dtype) for b in sizes]
            self.pretraining_curves_ = None
        coefs.append(_glorot(rng, sizes[-1], n_outputs, X.dtype))
        intercepts.append(self._initial_output_bias(Y).astype(X.dtype))
        self.coefs_, self.intercepts_ = coefs, intercepts
        self._n_features_out = sizes[-1]  # transform() gives the top hidden layer
        self.n_layers_ = len(coefs) + 1
        self.n_outputs_ = n_outputs
        _training.init_history(self, early_stopping=self.early_stopping)
        self._optimizer = None
        return interrupted

    def _initial_output_bias(self, Y):
        return np.zeros(Y.shape[1])

    def _check_continuation(self, n_outputs, incremental):
        """Refuse to go on training a network that the parameters or the targets
        no longer describe (``partial_fit`` or a warm-start ``fit``)."""
        action = "partial_fit" if incremental else "fit with warm_start=True"
        check_unchanged(
            self,
            fitted={
                "hidden_layer_sizes": tuple(W.shape[1] for W in self.coefs_[:-1]),
                "number of targets": self.n_outputs_,
            },
            now={
                "hidden_layer_sizes": check_layer_sizes(self.hidden_layer_sizes),
                "number of targets": n_outputs,
            },
            action=action,
        )

    def _fine_tune(self, X, Y, rng, incremental):
        if self.verbose and not incremental:  # after the pre-training lines
            print(f"[{type(self).__name__}] fine-tuning")
        objective = _network.NetworkObjective(
            self.coefs_,
            self.intercepts_,
            hidden_activation="sigmoid",
            output_activation=self.out_activation_,
            alpha=self.alpha,
            alpha_per_sample=True,
            dropout=self.dropout,
            random_state=rng,
        )
        self._fit_network(
            objective,
            X,
            Y,
            None,  # no sample weights: see the Notes of DBNClassifier
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

    def _fit(self, X, Y, incremental=False):
        """Initialise (pre-train) or go on from the current weights, then
        fine-tune: a ``partial_fit`` epoch, or a whole ``fit``."""
        rng = self._training_rng(incremental)
        if not hasattr(self, "coefs_") or not (incremental or self.warm_start):
            if self._initialize(X, Y, rng):  # Ctrl-C during pre-training
                return self
        else:
            self._check_continuation(Y.shape[1], incremental)
            dtype = self.coefs_[0].dtype
            X, Y = astype(X, dtype), astype(Y, dtype, input_name="y")
            if not incremental:  # the curves go on; n_iter_ counts this fit
                self.n_iter_ = 0
                _training.restart_stopping(self, early_stopping=self.early_stopping)
        return self._fine_tune(X, Y, rng, incremental)

    def _forward(self, X, output=True, check_input=True):
        """Outputs of the network (or its top hidden layer with ``output=False``).

        Computed in X's dtype, as RBMTransformer does: float64 data beyond
        float32's range stays finite with a float32 model.
        """
        if check_input:
            check_is_fitted(self)
            X = validate_fitted(self, X)
        n = len(self.coefs_) if output else len(self.coefs_) - 1
        coefs = [W.astype(X.dtype, copy=False) for W in self.coefs_[:n]]
        intercepts = [b.astype(X.dtype, copy=False) for b in self.intercepts_[:n]]
        top = self.out_activation_ if output else "sigmoid"

        def forward(block, out):
            out[...] = _network.forward(block, coefs, intercepts, "sigmoid", top)[-1]
            return out

        width = max(W.shape[1] for W in coefs)
        return _outofcore.map_rows(forward, X, coefs[-1].shape[1], width=width)

    def transform(self, X):
        """Top hidden layer's activations after fine-tuning.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        H : ndarray of shape (n_samples, hidden_layer_sizes[-1])
        """
        return self._forward(X, output=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        # transform() returns the top hidden layer, in the network's dtype.
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class DBNClassifier(ClassifierMixin, _BaseDBNNetwork):
    __doc__ = (
        """Deep Belief Network classifier: RBM pre-training, then backprop.

    The hidden layers are first pre-trained greedily as a DBN (one RBM per layer,
    unsupervised), then an output layer is added and the whole network is
    fine-tuned on the labels by backpropagation of the cross-entropy: a softmax
    for several classes, one sigmoid for two, and independent sigmoids for
    multi-label targets (an indicator matrix). Fine-tuning parameters have
    MLPClassifier's names and meanings.

    Read more in the :ref:`User Guide <dbn>`.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(256, 128)
        Hidden units of each layer, bottom to top.
"""
        + _FINE_TUNING_DOC
        + """
    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        Class labels (for multi-label targets, the label indices).
"""
        + _FINE_TUNING_ATTRIBUTES
        + """
    See Also
    --------
    DBNTransformer : The unsupervised stack alone.
    sklearn.neural_network.MLPClassifier : The same network without pre-training.

    Notes
    -----
    If fine-tuning ends predicting one class for every training sample although
    the data has several, a :class:`~sklearn.exceptions.ConvergenceWarning` says
    so (usually the learning rate is too large or the inputs are not scaled),
    after ``fit`` and after every ``partial_fit`` call (on that call's data).

    There is no ``sample_weight``: the common checks ask integer weights to give
    the model that repeated samples give, which stochastic pre-training and
    shuffled mini-batches cannot do. To weight samples, resample them in
    proportion to the weights, or fit :class:`LogisticRegressionGD` (which takes
    ``sample_weight``) on :class:`DBNTransformer` features.

    Recommended settings for MNIST-sized images (pixels scaled to [0, 1]), which
    reach 0.981 test accuracy on average when trained on 8,000 MNIST digits and
    tested on 2,000 (random_state 0-5, one or two BLAS threads: 0.9785-0.985;
    MLPClassifier with the same layers and epochs: 0.970, 0.968-0.9735; see
    ``benchmarks/bench_dbn.py``)::

        DBNClassifier(
            hidden_layer_sizes=(500, 500),
            rbm_n_iter=10, rbm_batch_size=40, rbm_learning_rate=0.15,
            solver="sgd", learning_rate_init=0.4, momentum=0.9,
            batch_size=100, max_iter=30, dropout=0.3, alpha=0.0,
        )

    Pre-trained sigmoid layers tolerate, and profit from, a large fine-tuning
    step with Nesterov momentum. Dropout does the regularising: the default L2
    penalty gives the same test accuracies here and costs two passes over the
    weights per mini-batch (a tenth of fine-tuning time), hence ``alpha=0``.
    Adam with ``learning_rate_init=0.01`` (the default) suits small data such as
    scikit-learn's digits (0.982 in shuffled 5-fold cross-validation).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdbn import DBNClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = DBNClassifier(hidden_layer_sizes=(64,), max_iter=50, random_state=0)
    >>> clf.fit(X[:1500] / 16, y[:1500]).score(X[1500:] / 16, y[1500:]) > 0.9
    True
    """
    )

    def _encode(self, y, classes=None):
        """Targets as a float matrix; sets ``classes_`` and the output type.

        ``classes`` (``partial_fit``'s first call) lists the labels; for an
        indicator matrix, as for MLPClassifier, they are its column indices,
        which become ``classes_``.
        """
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        labels = classification_labels(y)
        multilabel = type_of_target(y) == "multilabel-indicator"
        if not hasattr(self, "_label_binarizer") or classes is not None:
            allowed = labels if classes is None else check_classes(classes)
            if not multilabel:
                check_two_classes(allowed, "DBNClassifier")
            self._label_binarizer = LabelBinarizer().fit(y if multilabel else allowed)
            self.classes_ = self._label_binarizer.classes_
            multiclass = self._label_binarizer.y_type_ == "multiclass"
            self.out_activation_ = "softmax" if multiclass else "sigmoid"
        else:
            allowed = self.classes_
            if multilabel != (self._label_binarizer.y_type_ == "multilabel-indicator"):
                kinds = ("class labels", "a multilabel indicator matrix")
                raise ValueError(
                    f"y is {kinds[multilabel]}, but this model was fitted on "
                    f"{kinds[not multilabel]}."
                )
        check_labels_in(labels, allowed)
        if multilabel:
            # LabelBinarizer passes the matrix through: a target of 2 has no
            # cross-entropy minimum (MLPClassifier's cast to bool hides it).
            values = np.unique(y.data if sp.issparse(y) else y)
            if not np.isin(values, (0, 1)).all():
                raise ValueError(
                    "A multilabel indicator matrix y must hold only 0 and 1 (or "
                    f"False and True); got the values {values}."
                )
        return y, self._label_binarizer.transform(y)

    @_fit_context(prefer_skip_nested_validation=True)
    @unchanged_on_error
    def fit(self, X, y):
        """Pre-train the hidden layers (unless ``pretrain=False``), then fine-tune.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; in [0, 1] for Bernoulli visible units. float32 data
            trains in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a binary indicator matrix for multi-label targets.

        Returns
        -------
        self : DBNClassifier
            The fitted classifier.
        """
        warm = self.warm_start and hasattr(self, "coefs_")
        X, y = self._validate_Xy(X, y, reset=not warm)
        if not warm:
            self.__dict__.pop("_label_binarizer", None)
        y, Y = self._encode(y)
        self._fit(X, Y.astype(X.dtype))
        self._check_collapse(X, y)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    @unchanged_on_error
    def partial_fit(self, X, y, classes=None):
        """One epoch of fine-tuning on ``(X, y)``.

        The first call initialises the network (pre-training on this ``X`` when
        ``pretrain=True``) and needs ``classes``; every call then runs one
        fine-tuning epoch over the mini-batches of ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        classes : array-like of shape (n_classes,), default=None
            Every class that will ever be seen; required on the first call. For
            a multi-label indicator matrix y, its column indices (``0`` to
            ``n_labels - 1``), as for MLPClassifier.

        Returns
        -------
        self : DBNClassifier
            The updated classifier.
        """
        self._check_incremental()
        first = not hasattr(self, "coefs_")
        if first:
            require_classes(classes)
        X, y = self._validate_Xy(X, y, reset=first)
        if first:
            self.__dict__.pop("_label_binarizer", None)
        else:
            check_same_classes(classes, self.classes_)
        y, Y = self._encode(y, classes if first else None)
        self._fit(X, Y.astype(X.dtype), incremental=True)
        self._check_collapse(X, y)
        return self

    def _validate_Xy(self, X, y, reset):
        return validate(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=(np.float64, np.float32),
            multi_output=True,
            reset=reset,
        )

    def _validation_score(self, objective, X, Y, sample_weight):
        P = _network.forward(
            X, self.coefs_, self.intercepts_, "sigmoid", self.out_activation_
        )[-1]
        if self.out_activation_ == "softmax":
            correct = P.argmax(axis=1) == Y.argmax(axis=1)
        else:
            correct = ((P > 0.5) == (Y > 0.5)).all(axis=1)
        return float(np.average(correct, weights=sample_weight))

    def _check_collapse(self, X, y):
        """Warn when fine-tuning predicts one class for every training sample."""
        if self._multilabel or not self.n_iter_:
            return
        # A healthy network shows two classes within a few hundred rows: look at
        # a spread of 500 first, and at every row only if they all agree.
        step = max(X.shape[0] // 500, 1)
        for rows in (slice(None, None, step), slice(None)):
            P = self._forward(X[rows], check_input=False)
            index = P.argmax(axis=1) if P.shape[1] > 1 else (P[:, 0] > 0.5).astype(int)
            predicted = np.unique(index)
            if predicted.size > 1 or step == 1:
                break
        if predicted.size == 1 and np.unique(y).size > 1:
            label = self.classes_[predicted[0]]
            pretrain = "" if self.pretrain else ", or pretrain=True"
            warning = CollapseWarning(
                "DBNClassifier fine-tuning collapsed: it predicts the single class "
                f"{label_repr(label)} for every training sample. The learning rate "
                f"(learning_rate_init={self.learning_rate_init}) may be too large, "
                "the inputs unscaled (Bernoulli units want [0, 1]), or training too "
                "short; try a smaller learning_rate_init (0.003), scaled inputs, "
                f"a smaller batch_size or more max_iter{pretrain}.",
                estimator=type(self).__name__,
                label=label.item() if isinstance(label, np.generic) else label,
                learning_rate_init=self.learning_rate_init,
                pretrain=self.pretrain,
            )
            warnings.warn(warning, stacklevel=user_stacklevel())

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to one, except for multi-label targets (one independent
            probability per label).
        """
        check_is_fitted(self)
        if self.out_activation_ == "softmax":
            return self._forward(X)
        # Sigmoid outputs from their logarithms: tiny probabilities stay accurate.
        return np.exp(self.predict_log_proba(X))

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed from the logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        H = self._forward(X, output=False)
        Z = H @ self.coefs_[-1] + self.intercepts_[-1]
        if self.out_activation_ == "softmax":
            return log_softmax(Z)
        if self._label_binarizer.y_type_ == "binary":
            return binary_log_proba(Z[:, 0])
        return log_sigmoid(Z)

    def predict(self, X):
        """Predicted class (or label indicators for multi-label targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        P = self._forward(X)
        if self.out_activation_ == "softmax":
            return self.classes_[P.argmax(axis=1)]
        return self._label_binarizer.inverse_transform((P > 0.5).astype(int))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class DBNRegressor(RegressorMixin, _BaseDBNNetwork):
    __doc__ = (
        """Deep Belief Network regressor: RBM pre-training, then backprop.

    The same pre-training as :class:`DBNClassifier`, then a linear output layer
    fine-tuned on the squared error; several targets are fitted at once.
    Fine-tuning parameters have MLPRegressor's names and meanings; the output
    biases start at the targets' means (MLPRegressor's start at random values),
    so targets far from zero train as well as centred ones, though standardised
    targets (``TransformedTargetRegressor`` with a ``StandardScaler``) may still
    train faster, as for MLPRegressor. The loss is
    ``0.5 * sum_k (y_k - f_k(x)) ** 2`` averaged over the samples, the objective
    whose gradient both follow; with several targets MLPRegressor reports it
    divided by their number, so ``loss_curve_`` and the scale on which ``tol``
    acts differ from its by that factor.

    Read more in the :ref:`User Guide <dbn>`.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(256, 128)
        Hidden units of each layer, bottom to top.
"""
        + _FINE_TUNING_DOC
        + """
    Attributes
    ----------
"""
        + _FINE_TUNING_ATTRIBUTES
        + """
    See Also
    --------
    DBNClassifier : The classifier with the same pre-training.
    sklearn.neural_network.MLPRegressor : The same network without pre-training.

    Notes
    -----
    There is no ``sample_weight``, for the reason given in
    :class:`DBNClassifier`'s Notes: resample the data in proportion to the
    weights instead.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn import DBNRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.rand(200, 5)
    >>> y = X @ [1.0, -2.0, 0.5, 0.0, 1.0]
    >>> reg = DBNRegressor(hidden_layer_sizes=(16,), max_iter=300, random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.9
    True
    """
    )

    _what_to_scale = "the input features or the targets"  # in divergence advice

    def _validate_Xy(self, X, y, reset):
        """Validated X and y as a 2-D float matrix; remembers whether y was 1-D."""
        if sp.issparse(y):  # validate_data lets it through with multi_output=True
            raise TypeError(
                "Sparse data was passed for y, but dense data is required. Use "
                "'.toarray()' to convert to a dense numpy array."
            )
        X, y = validate(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=(np.float64, np.float32),
            multi_output=True,
            y_numeric=True,
            reset=reset,
        )
        if reset:
            self._y_1d = y.ndim == 1
        Y = astype(y.reshape(-1, 1) if y.ndim == 1 else y, X.dtype, input_name="y")
        with np.errstate(over="ignore", invalid="ignore"):
            deviations = Y - Y.mean(axis=0, dtype=np.float64)
            spread = np.vdot(deviations, deviations)
        if not spread < np.finfo(Y.dtype).max:
            raise ValueError(
                f"y has values too far apart for {Y.dtype} (up to "
                f"{np.abs(Y).max():.3g} in absolute value): the squared errors "
                "that training minimises would overflow. Scale the targets, e.g. "
                "with TransformedTargetRegressor(regressor, transformer="
                "StandardScaler())."
            )
        return X, Y

    @_fit_context(prefer_skip_nested_validation=True)
    @unchanged_on_error
    def fit(self, X, y):
        """Pre-train the hidden layers (unless ``pretrain=False``), then fine-tune.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self : DBNRegressor
            The fitted regressor.
        """
        warm = self.warm_start and hasattr(self, "coefs_")
        X, Y = self._validate_Xy(X, y, reset=not warm)
        self.out_activation_ = "identity"
        return self._fit(X, Y)

    @_fit_context(prefer_skip_nested_validation=True)
    @unchanged_on_error
    def partial_fit(self, X, y):
        """One epoch of fine-tuning (the first call also initialises the network).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self : DBNRegressor
            The updated regressor.
        """
        self._check_incremental()
        first = not hasattr(self, "coefs_")
        X, Y = self._validate_Xy(X, y, reset=first)
        self.out_activation_ = "identity"
        return self._fit(X, Y, incremental=True)

    def _initial_output_bias(self, Y):
        # The best constant prediction: the network then learns the deviations,
        # and the fit is the same for targets shifted by any constant.
        return Y.mean(axis=0, dtype=np.float64)

    def _validation_score(self, objective, X, Y, sample_weight):
        P = _network.forward(X, self.coefs_, self.intercepts_, "sigmoid", "identity")
        return r2_score(Y, P[-1], sample_weight=sample_weight)

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        P = self._forward(X)
        return P[:, 0] if self._y_1d else P

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
