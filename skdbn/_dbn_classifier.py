"""DBNClassifier: a pre-trained stack fine-tuned on class labels."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from sklearn.base import (
    ClassifierMixin,
    _fit_context,
)
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d

from . import _backend, _network
from ._activations import binary_log_proba, log_sigmoid, log_softmax
from ._base import MatrixLike
from ._callsite import user_stacklevel
from ._dbn_network import (
    FINE_TUNING_ATTRIBUTES,
    FINE_TUNING_DOC,
    BaseDBNNetwork,
)
from ._training import unchanged_on_error
from ._validation import (
    check_classes,
    check_labels_in,
    check_same_classes,
    check_two_classes,
    classification_labels,
    label_repr,
    require_classes,
    validate,
)
from .exceptions import CollapseWarning


class DBNClassifier(ClassifierMixin, BaseDBNNetwork):
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
        + FINE_TUNING_DOC
        + """
    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        Class labels (for multi-label targets, the label indices).
"""
        + FINE_TUNING_ATTRIBUTES
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

    ``sample_weight`` weighs both stages. Fine-tuning minimises the weighted
    mean loss, with LogisticRegressionGD's mini-batch convention: the weights
    are scaled to mean 1 over the training set and a batch of ``B`` rows
    weighs row ``i`` by ``s_i / B`` (MLPClassifier divides by each batch's own
    weight sum instead, which gives every batch the same pull whatever its
    weights, and fails on a batch of zero weights; both agree for full
    batches). Pre-training weighs each row's contrastive-divergence
    statistics the same way in every layer. With full batches
    (``batch_size=None``) and no pre-training, integer weights give the model
    that repeated rows give; with pre-training, or shuffled mini-batches, they
    give it in expectation only, since the random draws (Gibbs samples,
    batches) of a weighted row differ from those of its copies. Early stopping
    holds out a share of the samples with their weights, as MLPClassifier
    does, and scores the held-out part with them.

    The defaults (Adam at 0.01 after 'auto' pre-training) are chosen to work
    unchanged from a hundred rows to tens of thousands, on images and on
    tabular data scaled to [0, 1] (a ``MinMaxScaler`` in a Pipeline); the
    Benchmarks page of the documentation compares them with MLPClassifier's
    defaults on a panel of data sets (``benchmarks/bench_defaults.py``). For
    large image data sets such as MNIST, pre-trained sigmoid layers tolerate,
    and profit from, a large fine-tuning step with Nesterov momentum, with
    dropout doing the regularising (the L2 penalty then adds nothing but two
    passes over the weights per batch)::

        DBNClassifier(
            hidden_layer_sizes=(500, 500),
            rbm_n_iter=10, rbm_batch_size=40, rbm_learning_rate=0.15,
            solver="sgd", learning_rate_init=0.4, momentum=0.9,
            batch_size=100, max_iter=30, dropout=0.3, alpha=0.0,
        )

    The same recipe does worse than the defaults on tabular data (a few
    continuous features): there dropout and plain SGD leave the network
    underfitted, and it can collapse to one class.

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

    @classmethod
    def from_weights(
        cls,
        coefs: Sequence[ArrayLike],
        intercepts: Sequence[ArrayLike],
        classes: ArrayLike,
        **params: Any,
    ) -> DBNClassifier:
        """A classifier that computes the given network, with no training.

        The way to set weights by hand (scikit-learn's estimators have no
        other): the result predicts as if fitted, and ``fit`` with
        ``warm_start=True`` or ``partial_fit`` fine-tune it from there.

        Parameters
        ----------
        coefs : list of array-like
            The weights of each layer, bottom to top, the output layer last;
            ``coefs[i]`` has shape ``(n_units_in, n_units_out)``, as in the
            fitted ``coefs_``.
        intercepts : list of array-like
            The biases of each layer, ``intercepts[i]`` of shape
            ``(n_units_out,)``.
        classes : array-like of shape (n_classes,)
            The class labels, in the order of the output units. Two classes
            take one (sigmoid) output unit, for the second class; more take
            one softmax unit each. Multi-label models cannot be made here.
        **params
            Other parameters of the classifier, such as ``activation``
            (``hidden_layer_sizes`` follows from ``coefs``).

        Returns
        -------
        clf : DBNClassifier
            With ``coefs_``, ``intercepts_``, ``classes_`` and the other fitted
            attributes set (``n_iter_ = 0``), holding copies of the arrays.

        Examples
        --------
        >>> from skdbn import DBNClassifier
        >>> clf = DBNClassifier.from_weights(
        ...     [[[20, -20], [20, -20]], [[20], [20]]], [[-10, 30], [-30]],
        ...     classes=[0, 1],
        ... )
        >>> clf.predict([[0, 0], [0, 1], [1, 0], [1, 1]])
        array([0, 1, 1, 0])
        """
        labels = check_classes(classes)
        est = cls._from_weights(coefs, intercepts, params)
        binarizer = LabelBinarizer().fit(labels)
        n_outputs = 1 if labels.size == 2 else labels.size
        if est.n_outputs_ != n_outputs:
            raise ValueError(
                f"{labels.size} classes need {n_outputs} output unit(s), but the "
                f"last layer of coefs has {est.n_outputs_}."
            )
        est._label_binarizer, est.classes_ = binarizer, binarizer.classes_
        est.out_activation_ = "sigmoid" if labels.size == 2 else "softmax"
        return est

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
    def fit(
        self, X: MatrixLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> DBNClassifier:
        """Pre-train the hidden layers (unless ``pretrain=False``), then fine-tune.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; in [0, 1] for Bernoulli visible units. float32 data
            trains in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a binary indicator matrix for multi-label targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample (None: all equal); only the
            ratios matter. Fine-tuning minimises the weighted mean loss and
            pre-training weighs each row's contrastive-divergence statistics
            (and the initial visible biases) by it: see the Notes.

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
        self._fit(X, _targets(Y, X), sample_weight=sample_weight)
        self._check_collapse(X, y)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    @unchanged_on_error
    def partial_fit(
        self,
        X: MatrixLike,
        y: ArrayLike,
        classes: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
    ) -> DBNClassifier:
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
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample, as in :meth:`fit`; the calls
            share one unit, the mean weight of the first call (1 without
            weights), so that a chunk of heavier samples pulls harder.

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
        self._fit(X, _targets(Y, X), incremental=True, sample_weight=sample_weight)
        self._check_collapse(X, y)
        return self

    def _validate_Xy(self, X, y, reset):
        """Validated X, and y on the host (labels and ``classes_`` stay NumPy)."""
        X, y = validate(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=(np.float64, np.float32),
            multi_output=True,
            reset=reset,
        )
        return X, _backend.to_numpy(y)

    def _output_layer(self):
        return self.coefs_[-1], self.intercepts_[-1]

    def _validation_score(self, objective, X, Y, sample_weight):
        P = _network.forward(
            X, self.coefs_, self.intercepts_, self.activation, self.out_activation_
        )[-1]
        if self.out_activation_ == "softmax":
            correct = P.argmax(axis=1) == Y.argmax(axis=1)
        else:
            correct = ((P > 0.5) == (Y > 0.5)).all(axis=1)
        correct, weights = _backend.to_numpy(correct), _backend.to_numpy(sample_weight)
        return float(np.average(correct, weights=weights))

    def _check_collapse(self, X, y):
        """Warn when fine-tuning predicts one class for every training sample."""
        if self._multilabel or not self.n_iter_:
            return
        # A healthy network shows two classes within a few hundred rows: look at
        # a spread of 500 first, and at every row only if they all agree.
        step = max(X.shape[0] // 500, 1)
        for rows in (slice(None, None, step), slice(None)):
            block = X[rows] if _backend.ops(X) is np else X[rows, ...]
            P = _backend.to_numpy(self._forward(block, check_input=False))
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

    def predict_proba(self, X: MatrixLike) -> np.ndarray:
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
        log_proba = self._log_proba(X, "predict_proba")
        return _backend.ops(log_proba).exp(log_proba)

    def predict_log_proba(self, X: MatrixLike) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`, computed from the logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self._log_proba(X, "predict_log_proba")

    def _log_proba(self, X, method):
        """:meth:`predict_log_proba` for ``method`` (named in errors)."""
        H = self._forward(X, output=False, method=method)
        W, b = (_backend.astype(p, H.dtype) for p in self._output_layer())
        Z = H @ W + b
        if self.out_activation_ == "softmax":
            return log_softmax(Z)
        if self._label_binarizer.y_type_ == "binary":
            return binary_log_proba(Z[:, 0])
        return log_sigmoid(Z)

    def predict(self, X: MatrixLike) -> np.ndarray:
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
            return _backend.take_labels(self.classes_, _backend.argmax_index(P))
        if _backend.ops(P) is not np:  # binary: P[:, 0] > 0.5; multilabel: as is
            if self._label_binarizer.y_type_ == "binary":
                index = _backend.argmax_index(P[:, 0] - 0.5)
                return _backend.take_labels(self.classes_, index)
            return _backend.to_namespace(
                self._label_binarizer.inverse_transform(_backend.to_numpy(P) > 0.5), P
            )
        return self._label_binarizer.inverse_transform((P > 0.5).astype(int))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.array_api_support = True
        return tags


def _targets(Y, X):
    """The encoded targets in X's dtype, namespace and device."""
    return _backend.to_namespace(Y.astype(_backend.host_dtype(X)), like=X)
