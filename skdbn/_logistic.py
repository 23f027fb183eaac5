"""Logistic regression trained by gradient descent on the cross-entropy."""

from __future__ import annotations

from numbers import Real

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import _backend, _network, _training
from ._activations import binary_log_proba, log_softmax, softmax
from ._base import MatrixLike
from ._gradient_descent import (
    GD_PARAMETER_CONSTRAINTS,
    GradientDescentMixin,
    training_call,
)
from ._linalg import dot
from ._outofcore import map_rows
from ._training import unchanged_on_error
from ._validation import (
    astype,
    check_classes,
    check_labels_in,
    check_namespace,
    check_same_classes,
    check_two_classes,
    classification_labels,
    require_classes,
    validate,
)


class LogisticRegressionGD(GradientDescentMixin, ClassifierMixin, BaseEstimator):
    """Logistic regression fitted by gradient descent on the cross-entropy.

    Two classes use one sigmoid output, more classes a softmax over one output per
    class. The weights minimise the sample-weighted mean negative log-likelihood
    plus a penalty, by (full-batch, by default) gradient descent with momentum or
    Adam. This is the zero-hidden-layer case of the network that
    :class:`~skdbn.DBNClassifier` fine-tunes, and it shares its training loop.

    Read more in the :ref:`User Guide <logistic>`.

    Parameters
    ----------
    penalty : {'l2', 'l1', 'elasticnet'} or None, default='l2'
        Penalty on the coefficients (never on the intercept). The objective is::

            mean_i(s_i * loss_i) / mean_i(s_i)
                + alpha * (l1_ratio * ||W||_1 + 0.5 * (1 - l1_ratio) * ||W||_2^2)

        with ``l1_ratio`` taken as 0 for 'l2' and 1 for 'l1'. The L1 part is
        applied after each step by its proximal operator (soft thresholding; in
        Adam's per-coordinate step sizes with 'adam'; the momentum keeps the
        step actually taken), so coefficients reach exactly zero (with
        full-batch training or Adam: plain mini-batch noise keeps moving them),
        and ``gtol`` measures the whole objective's smallest subgradient.
        Momentum makes the loss rise and fall at first, which can trip the
        ``tol`` rule early: for a converged sparse solution raise
        ``n_iter_no_change`` (to ``max_iter``, say) and let ``gtol`` or
        ``max_iter`` stop the fit.
        ``LogisticRegression(C=C)`` with an L2 penalty solves the same problem
        as ``alpha = 1 / (C * sum(s))``, where ``s`` are the sample weights
        times the class weights (``1 / (C * n_samples)`` without either). With
        mini-batches the weights are scaled to mean 1, so that the mini-batch
        gradients average to the gradient of this objective; ``partial_fit``
        calls all use the first call's mean weight as unit (1 when it has no
        ``sample_weight``, which stands for weights of 1 in every call).
    alpha : float, default=1e-4
        Strength of the penalty, added once to the mean loss over the whole
        training set, whatever the batch size: with ``penalty='l2'`` the
        objective is ``mean_i(loss_i) + (alpha / 2) * ||W||^2`` (the general
        form is under ``penalty``). The DBN networks follow MLPClassifier's
        convention instead, ``mean_b(loss_b) + alpha / (2 * B) * ||W||^2`` for
        a mini-batch of ``B`` rows: their ``alpha`` is ``B`` times this one.
    l1_ratio : float, default=0.15
        The L1 share of the 'elasticnet' penalty, in [0, 1]; ignored otherwise.
    fit_intercept : bool, default=True
        Whether to learn an intercept; otherwise it is fixed at zero.
    class_weight : dict or 'balanced', default=None
        Weights multiplying the sample weights of each class; 'balanced' uses
        ``n_samples / (n_classes * np.bincount(y))``, with ``sample_weight``
        the weighted counts instead (``sum(s) / (n_classes * s_c)``, ``s_c`` the
        class's total weight), as scikit-learn's LogisticRegression does.
    solver : {'sgd', 'adam'}, default='sgd'
        'sgd' is gradient descent with (Nesterov) momentum; 'adam' is Adam.
    learning_rate_init : float, default=0.1
        The initial step size.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Step-size schedule of the 'sgd' solver, as in
        :class:`~sklearn.neural_network.MLPClassifier`.
    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.
    momentum : float, default=0.9
        Momentum of the 'sgd' solver, in [0, 1].
    nesterovs_momentum : bool, default=True
        Whether the 'sgd' solver uses Nesterov's momentum.
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's moment decay rates and its numerical-stability constant.
    batch_size : int, 'auto' or None, default=None
        Samples per gradient step. ``None`` is full-batch gradient descent (the
        default, as in the textbook algorithm); 'auto' is
        ``min(200, ceil(n_samples / 10))``. Larger values are clipped to the
        number of samples.
    max_iter : int, default=1000
        Maximum number of epochs (passes over the training data).
    tol : float, default=1e-4
        Training stops when the training loss (or, with ``early_stopping``, the
        validation score) has not improved by at least ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs (as in MLPClassifier).
    n_iter_no_change : int, default=10
        Number of epochs without improvement tolerated by the ``tol`` rule.
    gtol : float, default=1e-6
        Training stops when the largest absolute entry of the epoch's mean
        gradient falls below ``gtol`` (for full-batch training, exactly the
        gradient's max-norm; with an L1 part, that gradient plus the L1 part's
        smallest subgradient at the epoch's final coefficients, which is zero
        at the minimum). 0 disables this rule.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified), stop
        when the held-out loss has not decreased by ``tol`` for
        ``n_iter_no_change`` epochs, and keep the coefficients with the lowest
        held-out loss.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping, in (0, 1).
    shuffle : bool, default=True
        Reshuffle the samples every epoch (mini-batch training only).
    random_state : int, RandomState instance or None, default=None
        Controls shuffling and the validation split; the coefficients start at
        zero, so full-batch training is deterministic.
    verbose : int, default=0
        Print one line per epoch.
    warm_start : bool, default=False
        Refit from the previous solution (and keep extending ``loss_curve_``):
        the data must have the same features and labels among ``classes_`` (a
        ValueError says otherwise), and is converted to the model's dtype;
        ``n_iter_`` then counts the epochs of the last call and the stopping
        rules start afresh.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients, in the dtype of the training data (float32 or float64).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts.
    n_iter_ : int
        Number of epochs run by ``fit`` (by all ``partial_fit`` calls together).
    t_ : int
        Number of training samples seen.
    loss_curve_ : list of float
        Training objective (data term and penalty) at each epoch.
    best_loss_ : float or None
        Lowest training objective reached; None with ``early_stopping`` (see
        ``best_validation_score_``), as in MLPClassifier.
    validation_scores_ : list of float or None
        With ``early_stopping``, the negative held-out cross-entropy after each
        epoch (higher is better); else None.
    best_validation_score_ : float or None
        Best of ``validation_scores_``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : The same model, solved by L-BFGS.
    DBNClassifier : The same output layer on top of pre-trained hidden layers.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdbn import LogisticRegressionGD
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), LogisticRegressionGD()).fit(X, y)
    >>> round(clf.score(X, y), 2)
    0.99
    """

    # A convex loss: negative weights are allowed as long as the weights sum
    # to more than zero (the DBN estimators refuse them).
    _negative_weights_allowed = True

    _parameter_constraints = {
        **GD_PARAMETER_CONSTRAINTS,
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "gtol": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        penalty="l2",
        *,
        alpha=1e-4,
        l1_ratio=0.15,
        fit_intercept=True,
        class_weight=None,
        solver="sgd",
        learning_rate_init=0.1,
        learning_rate="constant",
        power_t=0.5,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        batch_size=None,
        max_iter=1000,
        tol=1e-4,
        n_iter_no_change=10,
        gtol=1e-6,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        random_state=None,
        verbose=0,
        warm_start=False,
    ):
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.power_t = power_t
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.gtol = gtol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    @_fit_context(prefer_skip_nested_validation=True)
    @unchanged_on_error
    def fit(
        self, X: MatrixLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> LogisticRegressionGD:
        """Fit the model by gradient descent.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 data trains in float32.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights; the loss is their weighted mean.

        Returns
        -------
        self : LogisticRegressionGD
            The fitted estimator.
        """
        call = training_call(hasattr(self, "coef_"), False, self.warm_start)
        warm = call == "warm start"
        X, y = validate(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            reset=not warm,
        )
        y = _backend.to_numpy(y)  # labels and classes_ stay NumPy
        classes = self._check_targets(y)
        if warm:
            check_labels_in(classes, self.classes_)
            X = astype(X, self.coef_.dtype)
            self._restart_for_warm_start()  # MLPClassifier's n_iter_ counts on
        else:
            self._initialize(classes, X)
        return self._train(X, y, sample_weight, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    @unchanged_on_error
    def partial_fit(
        self,
        X: MatrixLike,
        y: ArrayLike,
        classes: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
    ) -> LogisticRegressionGD:
        """Run one epoch of mini-batch gradient descent on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            All classes that will ever be seen; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : LogisticRegressionGD
            The updated estimator.
        """
        self._check_incremental()
        if isinstance(self.class_weight, str):  # 'balanced'
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: one call "
                "sees one chunk of the classes. Compute the weights once, e.g. "
                "sklearn.utils.class_weight.compute_class_weight('balanced', "
                "classes=classes, y=y) on a large enough sample, and pass them "
                "as a dict (partial_fit calls weigh their samples on one scale)."
            )
        first = not hasattr(self, "coef_")
        X, y = validate(
            self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32], reset=first
        )
        y = _backend.to_numpy(y)
        if first:
            require_classes(classes)
            self._initialize(check_classes(classes), X)
        else:
            check_same_classes(classes, self.classes_)
        check_labels_in(classification_labels(y), self.classes_)
        X = astype(X, self.coef_.dtype)
        return self._train(X, y, sample_weight, incremental=True)

    def _check_targets(self, y):
        classes = classification_labels(y)
        check_two_classes(classes, "This solver")
        return classes

    def _initialize(self, classes, X):
        """Zero coefficients in X's dtype, namespace and device."""
        self._weight_unit = None  # set by the first weighted partial_fit call
        self.classes_ = classes
        n_outputs = 1 if classes.size == 2 else classes.size
        xp = _backend.ops(X)
        self.coef_ = xp.zeros((n_outputs, X.shape[1]), dtype=X.dtype)
        self.intercept_ = xp.zeros(n_outputs, dtype=X.dtype)
        self._label_binarizer = LabelBinarizer().fit(classes)
        _training.init_history(self, early_stopping=self.early_stopping)
        self._optimizer = None

    def _objective(self):
        l1_ratio = {"l2": 0.0, "l1": 1.0, "elasticnet": self.l1_ratio}.get(self.penalty)
        return _network.NetworkObjective(
            [self.coef_.T],  # a view: the optimiser updates coef_ in place
            [self.intercept_],
            output_activation="sigmoid" if self.classes_.size == 2 else "softmax",
            alpha=0.0 if self.penalty is None else self.alpha,
            l1_ratio=l1_ratio or 0.0,
            fit_intercept=self.fit_intercept,
            proximal_l1=True,
        )

    def _train(self, X, y, sample_weight, incremental):
        if not self.fit_intercept and _backend.any_nonzero(self.intercept_):
            # A warm start; a failed call keeps the old intercepts.
            self.intercept_ = _backend.ops(X).zeros_like(self.intercept_)
        sample_weight = self._checked_sample_weight(X, y, sample_weight, incremental)
        Y = self._label_binarizer.transform(y).astype(_backend.host_dtype(X))
        Y = _backend.to_namespace(Y, like=X)  # NumPy: Y itself
        return self._fit_network(
            self._objective(),
            X,
            Y,
            sample_weight,
            incremental=incremental,
            rng=self._training_rng(incremental),
            # The seed's rule: stop when the held-out loss stops decreasing.
            score=lambda objective, *val: -objective.data_loss(*val),
            stratify=True,
        )

    def decision_function(self, X: MatrixLike) -> np.ndarray:
        """Linear scores ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the score of ``classes_[1]`` (1-D).
        """
        return self._scores(X, "decision_function")

    def _scores(self, X, method):
        """:meth:`decision_function` for ``method`` (named in errors)."""
        check_is_fitted(self)
        X = validate(
            self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False
        )
        check_namespace(self, X, method)
        W = _backend.astype(self.coef_.T, X.dtype)
        b = _backend.astype(self.intercept_, X.dtype)
        xp = _backend.ops(W)

        def scores_of(block, out):
            return xp.add(dot(block, W, out=out), b, out=out)

        # Scores too large for X's dtype raise a ValueError (see map_rows).
        scores = map_rows(scores_of, X, W.shape[1], width=W.shape[1])
        return _backend.ravel(scores) if scores.shape[1] == 1 else scores

    def predict(self, X: MatrixLike) -> np.ndarray:
        """Most probable class for each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        scores = self._scores(X, "predict")
        return _backend.take_labels(self.classes_, _backend.argmax_index(scores))

    def predict_proba(self, X: MatrixLike) -> np.ndarray:
        """Class probabilities (sigmoid for two classes, softmax otherwise).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to one; columns follow ``classes_``.
        """
        scores = self._scores(X, "predict_proba")
        if scores.ndim == 1:
            # From the log-probabilities: tiny probabilities keep their accuracy.
            return _backend.ops(scores).exp(binary_log_proba(scores))
        return softmax(scores)

    def predict_log_proba(self, X: MatrixLike) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`, computed stably from the scores.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        scores = self._scores(X, "predict_log_proba")
        if scores.ndim == 1:
            return binary_log_proba(scores)
        return log_softmax(scores)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = True
        return tags
