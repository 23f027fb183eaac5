"""Input checks every estimator shares, in one place.

``validate`` and ``checked_array`` wrap scikit-learn's ``validate_data`` and
``check_array`` (memory-mapped data is checked block by block, without a copy,
see :mod:`skdbn._outofcore`); ``astype`` converts validated data to a fitted
model's dtype. Then the parameter constraint ``Count``, the classification
label checks of the classifiers, and the checks of the RBM-based estimators
(visible data in range, hidden states, a structure that ``partial_fit`` may not
change).
"""

import contextlib
import sys
import warnings
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.utils import assert_all_finite, check_array
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import validate_data

from . import _outofcore
from ._backend import astype as _astype
from ._backend import host_dtype, namespace_name, ops, same_namespace
from ._callsite import user_stacklevel
from .exceptions import DeviceError

# ---------------------------------------------------------------- data


def validate(estimator, X, y="no_validation", **params):
    """``sklearn.utils.validation.validate_data`` that reads memmaps in place.

    Same arguments and return value. When X is a memory-mapped array, the NaN and
    infinity check runs block by block (releasing pages) after the other checks,
    instead of over the whole file at once. Also:

    * X with no columns gets scikit-learn's "0 feature(s)" error (a DataFrame
      would otherwise fail with an obscure one);
    * numeric targets (``y_numeric=True``) are checked for NaN after their
      conversion to float: ``None`` in an object array becomes NaN there.
    """
    params = _namespace_dtypes(X, params)
    with _checking(estimator, X):
        out = _validate(estimator, X, y, **params)
        if params.get("y_numeric") and not (y is None or isinstance(y, str)):
            assert_all_finite(out[1], input_name="y", estimator_name=_name(estimator))
    X_out = out[0] if isinstance(out, tuple) else out
    if sp.issparse(X_out) and not X_out.has_canonical_format:
        # Duplicate entries add up when a batch is densified: sum them first,
        # so that range checks and dtype checks see the values used.
        X_out = X_out.copy()
        X_out.sum_duplicates()
        out = (X_out, *out[1:]) if isinstance(out, tuple) else X_out
    return out


def validate_fitted(estimator, X, method=None):
    """X for a fitted estimator's methods: float32 or float64 (CSR when sparse),
    with the features it was fitted on (``check_is_fitted`` comes first), of the
    namespace and device the estimator was fitted on (:func:`check_namespace`;
    ``method``, the caller's name by default, goes in its error)."""
    X = validate(
        estimator, X, accept_sparse="csr", dtype=(np.float64, np.float32), reset=False
    )
    check_namespace(estimator, X, method or sys._getframe(1).f_code.co_name)
    return X


def fitted_array(estimator):
    """The first fitted array of an estimator: its namespace and device are the
    fit's."""
    for name in ("components_", "coef_", "coefs_", "rbms_"):
        value = estimator.__dict__.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
            value = getattr(value, "components_", value)
        if value is not None:
            return value
    return None


def check_namespace(estimator, X, method):
    """Raise scikit-learn's ValueError when X's array namespace or device is not
    the one the estimator was fitted on (a tensor-fitted model given NumPy data,
    or a CPU model given CUDA data); move the data, or the model with
    ``skdbn.to_device``."""
    fitted = fitted_array(estimator)
    if fitted is None or same_namespace(X, fitted):
        return
    name = type(estimator).__name__
    fit_on, given = (" on ".join(namespace_name(a)) for a in (fitted, X))
    raise DeviceError(
        f"Inputs passed to {name}.{method}() must use the same namespace and the "
        f"same device as those passed to fit(): the model was fitted with {fit_on}, "
        f"{method} got {given}. Convert the input, or move the model with "
        "skdbn.to_device(model, like=X).",
        estimator=name,
        method=method,
        fitted=fit_on,
        given=given,
    )


def require_numpy(estimator, method):
    """Raise a DeviceError when ``method`` (which runs on NumPy arrays only) is
    called on a model fitted in another namespace or on a device."""
    fitted = fitted_array(estimator)
    if fitted is None or ops(fitted) is np:
        return
    name = type(estimator).__name__
    fit_on = " on ".join(namespace_name(fitted))
    raise DeviceError(
        f"{name}.{method}() runs on NumPy arrays only, and this model was fitted "
        f"with {fit_on}: move it first, skdbn.to_device(model).{method}(...), "
        "with NumPy data.",
        estimator=name,
        method=method,
        fitted=fit_on,
    )


def checked_array(estimator, X, **params):
    """``sklearn.utils.check_array`` with the same extra checks as :func:`validate`.

    For inputs that are not data X, such as the hidden states given to
    ``inverse_transform``.
    """
    params = _namespace_dtypes(X, params)
    with _checking(estimator, X):
        return check_array(X, estimator=estimator, **params)


def _namespace_dtypes(X, params):
    """``params`` with a NumPy ``dtype`` (or tuple of them) in the namespace of X,
    which scikit-learn's checks want when X is a device array."""
    dtype = params.get("dtype")
    xp = ops(X)
    if xp is np or dtype is None or isinstance(dtype, str):
        return params
    if not get_config()["array_api_dispatch"]:  # X becomes a NumPy array
        return params
    many = isinstance(dtype, tuple | list)
    mapped = tuple(xp.dtype(d) for d in (dtype if many else (dtype,)))
    if getattr(X.device, "type", None) == "mps":  # Apple's GPUs have no float64
        mapped = tuple(d for d in mapped if d != xp.float64) or (xp.float32,)
    return {**params, "dtype": mapped if many else mapped[0]}


@contextlib.contextmanager
def _checking(estimator, X):
    """Run scikit-learn's checks of X with two of their failures made clear."""
    shape = getattr(X, "shape", ())
    if len(shape) == 2 and shape[1] == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={tuple(shape)}) while a minimum "
            f"of 1 is required by {_name(estimator)}."
        )
    # The quick finiteness check sums the data: float32 data holding both +max
    # and -max sums to inf - inf, which warns before the element-wise check runs.
    with np.errstate(over="ignore", invalid="ignore"):
        yield


def _validate(estimator, X, y, **params):
    if params.get("ensure_all_finite", True) is not True or not (
        isinstance(X, np.ndarray) and _outofcore.file_mapping(X) is not None
    ):
        return validate_data(estimator, X, y, **params)
    out = validate_data(estimator, X, y, ensure_all_finite=False, **params)
    X_valid = out if y is None or isinstance(y, str) else out[0]
    if X_valid.dtype.kind in "fc":
        for block in _outofcore.row_blocks(X_valid):
            assert_all_finite(block, input_name="X", estimator_name=_name(estimator))
    return out


def _name(estimator):
    return type(estimator).__name__


def astype(X, dtype, *, input_name="X"):
    """Validated X (dense or sparse) in a fitted model's ``dtype``.

    float64 values beyond float32's range would reach a float32 model as
    infinity: they raise a ValueError instead.
    """
    if ops(X) is not np:
        return _astype(X, dtype)
    dtype = np.dtype(dtype)
    if X.dtype == dtype:
        return X
    with np.errstate(over="ignore"):
        X = X.astype(dtype)
    if (X.nnz if sp.issparse(X) else X.size) and not np.isfinite(
        _outofcore.value_range(X)
    ).all():
        raise ValueError(
            f"{input_name} has values too large for {dtype}, the precision of this "
            f"model (at most {np.finfo(dtype).max:.4g} in absolute value): they "
            "would overflow to infinity. Scale the data, or fit the model on float64 "
            "data."
        )
    return X


# ---------------------------------------------------------------- parameters


class Count(Interval):
    """``Interval(Integral, ...)`` that refuses bools, as NumPy does for sizes."""

    def __init__(self, left, right=None, *, closed="left"):
        super().__init__(Integral, left, right, closed=closed)

    def is_satisfied_by(self, val):
        return not isinstance(val, bool) and super().is_satisfied_by(val)


# ---------------------------------------------------------------- labels


def classification_labels(y, *, input_name="y"):
    """The sorted distinct labels of classification targets, checked.

    ``check_classification_targets`` then ``unique_labels``, with two of their
    failures made clear: an object array mixing strings and other labels
    (sorting it raises a bare TypeError) and floats beyond the int64 range (a
    RuntimeWarning before the right "continuous" error).
    """
    objects = isinstance(y, np.ndarray) and y.dtype.kind == "O"
    if objects and len({isinstance(label, str) for label in y.flat}) > 1:
        raise ValueError(
            f"{input_name} mixes label types (strings and numbers): labels must be "
            "all strings or all numbers."
        )
    with np.errstate(invalid="ignore"):
        check_classification_targets(y)
        return unique_labels(y)


def label_repr(label):
    """A label as users wrote it: ``1`` and ``'a'``, not ``np.int64(1)``."""
    return repr(label.item() if isinstance(label, np.generic) else label)


def check_classes(classes):
    """``partial_fit``'s ``classes``: their sorted distinct labels, at least two."""
    labels = classification_labels(np.asarray(classes), input_name="classes")
    if labels.size < 2:
        raise ValueError(
            "classes must list every class that will ever be seen, at least 2 of "
            f"them; got {labels}."
        )
    return labels


def require_classes(classes):
    """``partial_fit``'s first call must list the classes."""
    if classes is None:
        raise ValueError("classes must be passed on the first call to partial_fit.")


def check_same_classes(classes, fitted):
    """A later ``partial_fit`` call's ``classes`` must be the first call's."""
    if classes is None:
        return
    classes = check_classes(classes)
    if not np.array_equal(classes, fitted):
        raise ValueError(
            f"classes={classes} is not the same as on the first call to "
            f"partial_fit ({fitted})."
        )


def check_labels_in(labels, classes):
    """Raise a ValueError naming the ``labels`` of y that are not ``classes``."""
    unseen = np.setdiff1d(labels, classes)
    if unseen.size:
        raise ValueError(f"y has labels {unseen} not in classes {classes}.")


def check_two_classes(labels, who):
    """A classifier's training labels: ``who`` (the estimator, or "This solver")
    needs at least two classes."""
    if labels.size < 2:
        raise ValueError(
            f"{who} needs samples of at least 2 classes in the data, but the data "
            f"contains only one class: {label_repr(labels[0])}."
        )


# ---------------------------------------------------------------- RBM-based models


def validate_visible_data(estimator, X, *, reset, units=None):
    """``validate_data`` for data that feeds visible units, plus a range check.

    Bernoulli units read their input as probabilities: values outside [0, 1] get
    one warning (not an error: scikit-learn's checks feed standardised data).
    ``units`` is the visible unit type (default: the estimator's parameter).
    """
    X = validate(
        estimator, X, accept_sparse="csr", dtype=(np.float64, np.float32), reset=reset
    )
    check_visible_range(estimator, X, units)
    return X


def check_unchanged(estimator, *, fitted, now, action="partial_fit"):
    """Raise a ValueError naming what ``now`` differs from the ``fitted`` model
    (parameters or data that the ``action`` that continues training cannot
    change)."""
    changed = [
        f"{name}={now[name]!r} (the model has {value!r})"
        for name, value in fitted.items()
        if now[name] != value
    ]
    if changed:
        remedy = "call fit" if action == "partial_fit" else "set warm_start=False"
        raise ValueError(
            f"{action} cannot change {', '.join(changed)} of a fitted "
            f"{type(estimator).__name__}: {remedy} to train a new model, or set "
            "the parameter back."
        )


def check_hidden(estimator, H, n_hidden):
    """Hidden states H (``inverse_transform``'s X), validated: ``n_hidden`` columns."""
    H = checked_array(estimator, H, dtype=(np.float64, np.float32))
    check_namespace(estimator, H, "inverse_transform")
    if H.shape[1] != n_hidden:
        raise ValueError(
            f"X has {H.shape[1]} columns (hidden units), but this "
            f"{type(estimator).__name__} has {n_hidden} hidden units."
        )
    return H


def check_visible_range(estimator, X, units=None):
    """Warn once when Bernoulli visible units get values outside [0, 1].

    A few rounding errors beyond the interval pass: ``MinMaxScaler`` returns
    ``1 + 2**-52`` for half of all random data sets.
    """
    if (units or estimator.visible_units) != "bernoulli":
        return
    if (X.nnz if sp.issparse(X) else X.size) == 0:
        return
    lo, hi = _outofcore.value_range(X)
    single = host_dtype(X) == np.float32
    slack = 16 * np.finfo(np.float32 if single else np.float64).eps
    if lo < -slack or hi > 1 + slack:
        warnings.warn(
            f"{type(estimator).__name__} with visible_units='bernoulli' expects "
            "data in [0, 1] (e.g. scaled by MinMaxScaler); values outside it are "
            "treated as probabilities anyway. Use visible_units='gaussian' for "
            "standardised real-valued data.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
