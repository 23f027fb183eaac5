"""DBNRegressor: a pre-trained stack fine-tuned on real-valued targets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from sklearn.base import (
    RegressorMixin,
    _fit_context,
)
from sklearn.metrics import r2_score

from . import _backend, _network
from ._base import MatrixLike
from ._dbn_network import (
    FINE_TUNING_ATTRIBUTES,
    FINE_TUNING_DOC,
    BaseDBNNetwork,
)
from ._training import unchanged_on_error
from ._validation import (
    astype,
    validate,
)


class DBNRegressor(RegressorMixin, BaseDBNNetwork):
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
        + FINE_TUNING_DOC
        + """
    Attributes
    ----------
"""
        + FINE_TUNING_ATTRIBUTES
        + """
    See Also
    --------
    DBNClassifier : The classifier with the same pre-training.
    sklearn.neural_network.MLPRegressor : The same network without pre-training.

    Notes
    -----
    ``sample_weight`` weighs pre-training and fine-tuning alike, as in
    :class:`DBNClassifier` (see its Notes).

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
        y = _backend.to_numpy(y)  # checked on the host, then on X's device
        if reset:
            self._y_1d = y.ndim == 1
        dtype = _backend.host_dtype(X)
        Y = astype(y.reshape(-1, 1) if y.ndim == 1 else y, dtype, input_name="y")
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
        return X, _backend.to_namespace(Y, like=X)

    @_fit_context(prefer_skip_nested_validation=True)
    @unchanged_on_error
    def fit(
        self, X: MatrixLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> DBNRegressor:
        """Pre-train the hidden layers (unless ``pretrain=False``), then fine-tune.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample (None: all equal). Fine-tuning
            minimises the weighted mean squared error and pre-training weighs
            each row's contrastive-divergence statistics, as
            :meth:`DBNClassifier.fit` describes.

        Returns
        -------
        self : DBNRegressor
            The fitted regressor.
        """
        warm = self.warm_start and hasattr(self, "coefs_")
        X, Y = self._validate_Xy(X, y, reset=not warm)
        self.out_activation_ = "identity"
        return self._fit(X, Y, sample_weight=sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    @unchanged_on_error
    def partial_fit(
        self, X: MatrixLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> DBNRegressor:
        """One epoch of fine-tuning (the first call also initialises the network).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample, as in :meth:`fit`; the calls
            share one unit, the mean weight of the first call (1 without
            weights), so that a chunk of heavier samples pulls harder.

        Returns
        -------
        self : DBNRegressor
            The updated regressor.
        """
        self._check_incremental()
        first = not hasattr(self, "coefs_")
        X, Y = self._validate_Xy(X, y, reset=first)
        self.out_activation_ = "identity"
        return self._fit(X, Y, incremental=True, sample_weight=sample_weight)

    @classmethod
    def from_weights(
        cls,
        coefs: Sequence[ArrayLike],
        intercepts: Sequence[ArrayLike],
        **params: Any,
    ) -> DBNRegressor:
        """A regressor that computes the given network, with no training.

        As :meth:`DBNClassifier.from_weights`: the result predicts as if fitted,
        and ``fit`` with ``warm_start=True`` or ``partial_fit`` fine-tune it.

        Parameters
        ----------
        coefs : list of array-like
            The weights of each layer, bottom to top, the (linear) output layer
            last; ``coefs[i]`` has shape ``(n_units_in, n_units_out)``.
        intercepts : list of array-like
            The biases of each layer, ``intercepts[i]`` of shape
            ``(n_units_out,)``.
        **params
            Other parameters of the regressor, such as ``activation``.

        Returns
        -------
        reg : DBNRegressor
            With the fitted attributes set (``n_iter_ = 0``); one output unit
            predicts a 1-D array.

        Examples
        --------
        >>> from skdbn import DBNRegressor
        >>> reg = DBNRegressor.from_weights(
        ...     [[[1.0, -1.0]], [[1.0], [1.0]]], [[0.0, 0.0], [0.0]],
        ...     activation="relu", pretrain=False,
        ... )
        >>> reg.predict([[-2.0], [3.0]])  # |x|
        array([2., 3.])
        """
        est = cls._from_weights(coefs, intercepts, params)
        est.out_activation_ = "identity"
        est._y_1d = est.n_outputs_ == 1
        return est

    def _initial_output_bias(self, Y, sample_weight=None):
        # The best constant prediction: the network then learns the deviations,
        # and the fit is the same for targets shifted by any constant.
        if sample_weight is None:
            return Y.mean(axis=0, dtype=np.float64)
        return np.average(Y.astype(np.float64), axis=0, weights=sample_weight)

    def _validation_score(self, objective, X, Y, sample_weight):
        P = _network.forward(
            X, self.coefs_, self.intercepts_, self.activation, "identity"
        )
        Y, P, weights = (_backend.to_numpy(a) for a in (Y, P[-1], sample_weight))
        return r2_score(Y, P, sample_weight=weights)

    def predict(self, X: MatrixLike) -> np.ndarray:
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
        tags.array_api_support = True
        return tags
