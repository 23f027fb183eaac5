"""Hostile inputs: every public method of every estimator works or fails clearly.

Property-based tests (hypothesis) call every public method of every public
estimator with hostile data: 0 or 1 samples or features, 1-D and 3-D arrays,
every dtype family (bool, int, float16/32/64, object, complex, strings), NaN,
infinity, huge (1e300, float32's max) and tiny (1e-300, denormal) magnitudes,
scipy sparse matrices (CSR, CSC, COO, sparse arrays, non-canonical CSR, stored
NaN), pandas DataFrames with odd column names (ints, ints mixed with strings,
duplicates, unicode, the empty string) and nullable dtypes; targets of mixed
types, one class, floats, objects or two dimensions; odd sample weights, and
odd arguments of the generative methods. The contract of one call:

* it succeeds: outputs of the right shape, finite, in float32 when data and
  model are float32 (float64 when both are float64), predictions taken from
  ``classes_``, the fitted state finite, and no input with a fatal problem
  (NaN, complex, a wrong shape, ...) accepted; or
* it raises ValueError or TypeError with a message that names one of the
  problems the input has (``PROBLEMS`` lists the words a message may use);
* no other exception, no call longer than ``CALL_TIME_LIMIT`` seconds, and at
  most ``MAX_WARNINGS`` warnings per call, none repeated, each of an expected
  kind (``EXPECTED_WARNINGS``).

The examples are derandomized (profile 'skdbn-hostile'): every run, CI
included, draws the same ones. ``SKDBN_HOSTILE_SCALE=10`` runs ten times as
many. The number of examples run per estimator is printed when the module ends.
"""

import collections
import contextlib
import copy
import dataclasses
import functools
import inspect
import os
import re
import signal
import threading
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone, is_classifier, is_regressor
from sklearn.exceptions import (
    ConvergenceWarning,
    DataConversionWarning,
    UndefinedMetricWarning,
)

import skdbn
from skdbn import (
    DBNClassifier,
    DBNRegressor,
    DBNTransformer,
    LogisticRegressionGD,
    RBMTransformer,
)

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")
pd = pytest.importorskip("pandas")

# ---------------------------------------------------------------------------
# Estimators, their method families, and the size of the run
# ---------------------------------------------------------------------------

_TINY_DBN = dict(rbm_n_iter=2, rbm_batch_size=4, random_state=0)
_TINY_NET = dict(hidden_layer_sizes=(3,), max_iter=2, batch_size=4, **_TINY_DBN)
ESTIMATORS = {  # tiny settings: a fit takes milliseconds
    "LogisticRegressionGD": LogisticRegressionGD(
        max_iter=2, batch_size=4, random_state=0
    ),
    "RBMTransformer": RBMTransformer(3, n_iter=2, batch_size=4, random_state=0),
    "DBNTransformer": DBNTransformer((3, 2), **_TINY_DBN),
    "DBNClassifier": DBNClassifier(**_TINY_NET),
    "DBNRegressor": DBNRegressor(**_TINY_NET),
}
SUPERVISED = [n for n, e in ESTIMATORS.items() if is_classifier(e) or is_regressor(e)]
INCREMENTAL = [n for n, e in ESTIMATORS.items() if hasattr(e, "partial_fit")]
GENERATIVE = ["RBMTransformer", "DBNTransformer"]
NAMED_OUTPUTS = [n for n, e in ESTIMATORS.items() if hasattr(e, "transform")]

FIT_METHODS = {
    name: [m for m in ("fit", "partial_fit", "fit_transform") if hasattr(e, m)]
    for name, e in ESTIMATORS.items()
}
INFERENCE_METHODS = {
    "LogisticRegressionGD": [
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "score",
    ],
    "RBMTransformer": [
        "transform",
        "free_energy",
        "score_samples",
        "log_likelihood",
        "gibbs",
        "estimate_log_partition",
        "log_likelihood_bounds",
        "pseudo_log_likelihood",
        "score",
    ],
    "DBNTransformer": [
        "transform",
        "log_likelihood_lower_bound",
        "log_likelihood_bound_bracket",
        "score",
    ],
    "DBNClassifier": [
        "predict",
        "predict_proba",
        "predict_log_proba",
        "transform",
        "score",
    ],
    "DBNRegressor": ["predict", "transform", "score"],
}
GENERATIVE_METHODS = {
    "RBMTransformer": [
        "sample",
        "gibbs",
        "estimate_log_partition",
        "log_likelihood",
        "log_likelihood_bounds",
    ],
    "DBNTransformer": [
        "sample",
        "log_likelihood_lower_bound",
        "log_likelihood_bound_bracket",
    ],
}
BRACKETS = {"log_likelihood_bounds", "log_likelihood_bound_bracket"}  # 2 arrays
DENSE_ONLY = {"gibbs", "inverse_transform"}  # documented as array-like

N_FEATURES = 3  # of the data the fitted estimators saw
FIT_NAMES = ["a", "b", "c"]  # their column names, when fitted on a DataFrame

EXAMPLES = {  # per estimator and family; SKDBN_HOSTILE_SCALE multiplies them
    "fit": 200,
    "targets": 250,
    "partial_fit": 150,
    "inference": 300,
    "inverse_transform": 150,
    "generative": 200,
    "feature_names": 30,
    "from_weights": 150,
}
hypothesis.settings.register_profile(
    "skdbn-hostile",
    deadline=None,  # time is limited per call instead (CALL_TIME_LIMIT)
    derandomize=True,  # the same examples in every run, CI included
    database=None,
    phases=[
        hypothesis.Phase.explicit,
        hypothesis.Phase.generate,
        hypothesis.Phase.shrink,
    ],
    suppress_health_check=[
        hypothesis.HealthCheck.too_slow,
        hypothesis.HealthCheck.data_too_large,
        hypothesis.HealthCheck.filter_too_much,
    ],
)


def hostile_settings(family):
    scale = float(os.environ.get("SKDBN_HOSTILE_SCALE", "1"))
    return hypothesis.settings(
        hypothesis.settings.get_profile("skdbn-hostile"),
        max_examples=max(1, round(EXAMPLES[family] * scale)),
    )


# ---------------------------------------------------------------------------
# The contract of one call
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Problem:
    words: tuple  # an error message must contain one of them (lower case)
    must_reject: bool = True  # False: the call may also succeed


PROBLEMS = {
    # data
    "nan": Problem(("nan",)),
    "inf": Problem(("infinity", "infinite")),
    "huge": Problem(("diverged", "infinity", "too large", "overflow"), False),
    "complex": Problem(("complex",)),
    "string": Problem(("string", "convert")),
    "no_samples": Problem(("sample",), False),
    "no_features": Problem(("feature",)),
    "n_features": Problem(("feature", "column", "hidden unit")),
    "not_2d": Problem(("2d", "dim", "reshape")),
    "sparse": Problem(("sparse",), False),
    "column_names": Problem(("feature name", "column")),
    "odd_column_names": Problem(("feature name", "column"), False),
    # targets and weights
    "one_class": Problem(("class",), False),
    "labels": Problem(("label", "class", "target")),
    "y_shape": Problem(("1d", "shape", "dim", "label", "output")),
    "y_length": Problem(("inconsistent", "sample", "shape")),
    "classes": Problem(("class", "label")),
    "weights": Problem(("weight", "sample")),
    # arguments
    "n_samples": Problem(("n_samples",)),
    "n_steps": Problem(("n_steps",)),
    "n_runs": Problem(("n_runs",)),
    "n_betas": Problem(("n_betas", "betas")),
    "n_chains": Problem(("n_chains",)),
    "tolerance": Problem(("tolerance",)),
    "random_state": Problem(("random_state", "seed")),
    "generator": Problem(("random_state", "seed", "generator"), False),
    "input_features": Problem(("input_features", "feature_names_in_")),
    "layers": Problem(("layer", "coefs", "intercepts")),
    "finite": Problem(("finite",)),
}

CALL_TIME_LIMIT = 10  # seconds; a call still running then counts as a hang
# A Bernoulli range warning, a DataConversionWarning, two ConvergenceWarnings
# (max_iter, and "collapsed") and a clipped batch_size can all be right at once.
MAX_WARNINGS = 5
EXPECTED_WARNINGS = (ConvergenceWarning, DataConversionWarning, UndefinedMetricWarning)
EXPECTED_USER_WARNINGS = re.compile(
    r"expects data in \[0, 1\]|feature names|training samples: it is clipped"
)

RUNS = collections.Counter()  # (estimator, family, outcome) -> examples


class CallTimedOut(AssertionError):
    """A call ran longer than CALL_TIME_LIMIT: a hang, as far as we care."""


@contextlib.contextmanager
def time_limit(seconds):
    """Raise CallTimedOut after ``seconds`` (Unix main thread, no other timer)."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
        or signal.getitimer(signal.ITIMER_REAL) != (0.0, 0.0)
    ):
        yield
        return

    def alarm(signum, frame):
        raise CallTimedOut(f"the call was still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def call(label, func, problems):
    """Run ``func()`` under the contract; returns ``(outcome, result)``.

    ``outcome`` is 'ok' (``result`` is the return value) or 'rejected'
    (``result`` is the ValueError or TypeError); other exceptions propagate.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with time_limit(CALL_TIME_LIMIT):
            try:
                result = func()
            except (ValueError, TypeError) as exc:
                outcome, result = "rejected", exc
            else:
                outcome = "ok"
    check_warnings(label, caught)
    if outcome == "rejected":
        check_rejection(label, result, problems)
    else:
        check_acceptance(label, problems)
    return outcome, result


def check_warnings(label, caught):
    seen = [(w.category, str(w.message)) for w in caught]
    listing = "; ".join(f"{c.__name__}: {m[:120]}" for c, m in seen)
    assert len(seen) <= MAX_WARNINGS, f"{label}: {len(seen)} warnings: {listing}"
    assert len(set(seen)) == len(seen), f"{label}: a warning repeated: {listing}"
    for category, message in seen:
        expected = issubclass(category, EXPECTED_WARNINGS) or (
            category is UserWarning and EXPECTED_USER_WARNINGS.search(message)
        )
        assert expected, f"{label}: unexpected {category.__name__}: {message}"


def check_rejection(label, exc, problems):
    message = f"{type(exc).__name__}: {exc}"
    assert str(exc).strip(), f"{label}: {type(exc).__name__} with an empty message"
    assert problems, f"{label} rejected a valid input: {message}"
    lower = str(exc).lower()
    assert "diverged" not in lower or "huge" in problems, (
        f"{label}: training diverged on data that is not huge, and the message "
        f"blames the learning rate for an input problem {sorted(problems)}: {message}"
    )
    words = sorted({word for p in problems for word in PROBLEMS[p].words})
    assert any(word in lower for word in words), (
        f"{label}: the message names none of the input's problems "
        f"{sorted(problems)} (expected one of {words}): {message}"
    )


def check_acceptance(label, problems):
    fatal = sorted(p for p in problems if PROBLEMS[p].must_reject)
    assert not fatal, f"{label} accepted an input with {fatal}"


def count(name, family, outcome):
    RUNS[name, family, outcome] += 1


def label_of(name, method, *arguments):
    return f"{name}.{method}({', '.join(arguments)})"


# ---------------------------------------------------------------------------
# Hostile data
# ---------------------------------------------------------------------------

FLOAT_DTYPES = ("float64", "float32")
OTHER_DTYPES = ("float16", "int64", "uint8", "bool", "object", "complex128", "str")
MAGNITUDES = ("unit", "binary", "signed", "zeros", "huge", "tiny")
SPECIALS = {  # one hostile entry: (value, problem)
    "nan": (np.nan, "nan"),
    "inf": (np.inf, "inf"),
    "-inf": (-np.inf, "inf"),
    "string": ("a", "string"),
    "none": (None, "nan"),  # validation reads None as NaN
}
SPARSE = {
    "csr": sp.csr_matrix,
    "csc": sp.csc_matrix,
    "coo": sp.coo_matrix,
    "csr_array": sp.csr_array,
}
SPARSE_DTYPES = {"float64", "float32", "int64", "uint8", "bool", "complex128"}
CONTAINERS = ("ndarray", "fortran", "list", *SPARSE, "csr_noncanonical", "dataframe")
COLUMN_NAMES = {
    "range": None,  # pandas' default: integers, so no feature names
    "str": ["x0", "x1", "x2", "x3"],
    "fit_names": [*FIT_NAMES, "d"],
    "int_and_str": [0, "b", 2, "d"],
    "duplicate": ["a", "a", "a", "a"],
    "unicode": ["é", "日本語", "ß", "🙂"],
    "empty_string": ["", "b", "c", "d"],
}


@dataclasses.dataclass
class Case:
    """An argument and the problems it has (what an error may complain about)."""

    value: object
    problems: frozenset
    n_samples: int
    n_features: int
    float_dtype: object  # the dtype validation should give; None: either float
    recipe: str

    def _repr_pretty_(self, printer, is_cycle):  # how hypothesis shows a draw
        shown = self.value.toarray() if sp.issparse(self.value) else self.value
        printer.text(f"Case({self.recipe}; problems={sorted(self.problems)})\n")
        printer.text(f"{type(self.value).__name__}: {shown!r}")


def _values(rng, shape, magnitude, dtype):
    """Values of ``magnitude`` in ``dtype``; returns them and whether huge."""
    big = {"float32": np.finfo(np.float32).max, "float16": np.finfo(np.float16).max}
    tiny = {
        "float32": (1e-38, np.finfo(np.float32).smallest_subnormal),
        "float16": (6e-5, np.finfo(np.float16).smallest_subnormal),
    }.get(dtype, (1e-300, 5e-324))
    values = {
        "unit": lambda: rng.random(shape),
        "binary": lambda: (rng.random(shape) > 0.5).astype(float),
        "signed": lambda: rng.standard_normal(shape) * 3,
        "zeros": lambda: np.zeros(shape),
        "huge": lambda: (
            rng.choice([-1.0, -0.5, 0.5, 1.0], shape) * float(big.get(dtype, 1e300))
        ),
        "tiny": lambda: rng.choice([0.0, *tiny], shape),
    }[magnitude]()
    huge = magnitude == "huge"
    if dtype == "int64":
        return (np.sign(values) * 2**62 if huge else np.rint(values)).astype(int), huge
    if dtype == "uint8":
        return np.clip(np.rint(np.abs(values)), 0, 255).astype(np.uint8), False
    if dtype == "bool":
        return (values > 0.5) if magnitude == "unit" else (values != 0), False
    if dtype == "complex128":
        return values + 0.5j, huge
    return values.astype(dtype), huge


def _can_hold(dtype, special):
    if dtype == "object":
        return True
    if dtype == "str":
        return special != "none"
    return dtype.startswith(("float", "complex")) and special in ("nan", "inf", "-inf")


def _noncanonical_csr(dense):
    """CSR with every stored value split in two duplicate, unsorted entries."""
    rows, cols = np.nonzero(dense)
    order = np.lexsort((-cols, rows))  # columns descending within each row
    rows, cols = rows[order], cols[order]
    indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=len(dense)))]
    data = np.repeat(dense[rows, cols] / 2, 2)
    matrix = sp.csr_matrix((data, np.repeat(cols, 2), 2 * indptr), shape=dense.shape)
    assert not matrix.has_canonical_format
    return matrix


def _frame(values, names, nullable):
    """A DataFrame of ``values``; returns it and the problems of its names."""
    columns = COLUMN_NAMES[names]
    columns = None if columns is None else columns[: values.shape[1]]
    frame = pd.DataFrame(values, columns=columns)
    odd = columns is not None and (
        len({type(c) for c in columns}) > 1 or len(set(columns)) < len(columns)
    )
    problems = {"column_names"} if odd else set()
    return (frame.convert_dtypes() if nullable else frame), problems


@st.composite
def matrices(draw, n_features=None, expected_features=None):
    """A hostile ``X``: shape, dtype, magnitude, one hostile entry, container."""
    n = draw(st.sampled_from([0, 1, 2, 3, 5, 8]))
    f = draw(st.sampled_from([0, 1, 2, 3, 4]) if n_features is None else n_features)
    dtype = draw(
        st.one_of(st.sampled_from(FLOAT_DTYPES), st.sampled_from(OTHER_DTYPES))
    )
    magnitude = draw(st.sampled_from(MAGNITUDES))
    special = draw(st.one_of(st.none(), st.sampled_from(sorted(SPECIALS))))
    ndim = draw(st.sampled_from((2,) * 6 + (1, 3)))
    container = draw(st.sampled_from(CONTAINERS)) if ndim == 2 else "ndarray"
    names, nullable = None, False
    if container == "dataframe":
        names = draw(st.sampled_from(sorted(COLUMN_NAMES)))
        nullable = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))

    values, huge = _values(rng, (n, f), magnitude, dtype)
    problems = {"huge"} if huge else set()
    if dtype == "complex128":
        problems.add("complex")
    if special and values.size and _can_hold(dtype, special):
        value, problem = SPECIALS[special]
        values[rng.integers(n), rng.integers(f)] = value
        problems.add(problem)
    else:
        special = None
    if n == 0:
        problems.add("no_samples")
    if f == 0:
        problems.add("no_features")
    if expected_features is not None and f != expected_features:
        problems.add("n_features")

    if container in (*SPARSE, "csr_noncanonical") and dtype not in SPARSE_DTYPES:
        container = "ndarray"  # SciPy cannot hold this dtype
    if container == "csr_noncanonical" and (
        values.dtype.kind != "f" or not values.any()
    ):
        container = "csr"
    if ndim != 2:
        problems.add("not_2d")
    if ndim == 1:
        value = values[:, 0] if f else values.ravel()
    elif ndim == 3:
        value = values[..., np.newaxis]
    elif container == "dataframe":
        value, more = _frame(values, names, nullable)
        problems |= more
    elif container == "list":
        value = values.tolist()
        if n == 0:
            problems.add("not_2d")  # an empty list is 1-D to NumPy
    else:
        value = {
            **SPARSE,
            "ndarray": np.asarray,
            "fortran": np.asfortranarray,
            "csr_noncanonical": _noncanonical_csr,
        }[container](values)

    recipe = f"{n}x{f} {dtype} {magnitude}" + (f" with {special}" if special else "")
    recipe += f", {ndim}-D {container}" + (f" names={names}" if names else "")
    recipe += " nullable" if nullable else ""
    keeps_dtype = container != "list" and not nullable
    float_dtype = np.dtype("float32" if dtype == "float32" else "float64")
    return Case(
        value=value,
        problems=frozenset(problems),
        n_samples=n,
        n_features=f,
        float_dtype=float_dtype if keeps_dtype else None,
        recipe=recipe,
    )


def fitted_matrices(n_features=N_FEATURES):
    """Hostile data for a fitted estimator: mostly the right number of columns."""
    others = [f for f in (0, 1, 2, 4) if f != n_features]
    return matrices(
        n_features=st.one_of(st.just(n_features), st.sampled_from(others)),
        expected_features=n_features,
    )


def clean_X(n, dtype="float64"):
    return np.random.default_rng(0).random((n, N_FEATURES)).astype(dtype)


# ---------------------------------------------------------------------------
# Hostile targets and sample weights: kind -> (builder(n), problems)
# ---------------------------------------------------------------------------


def cycle(values, n, dtype=None):
    return np.array([values[i % len(values)] for i in range(n)], dtype=dtype)


CLASSIFIER_TARGETS = {
    "int": (lambda n: cycle([0, 1, 2], n), ()),
    "str": (lambda n: cycle(["b", "a", "c"], n), ()),
    "bool": (lambda n: cycle([True, False], n), ()),
    "float_integral": (lambda n: cycle([0.0, 1.0], n), ()),
    "negative_int": (lambda n: cycle([-1, 1], n), ()),
    "uint8": (lambda n: cycle([0, 255], n, np.uint8), ()),
    "big_int": (lambda n: cycle([0, 2**62], n), ()),
    "str_and_int_list": (lambda n: [["a", 1][i % 2] for i in range(n)], ()),
    "digit_strings": (lambda n: cycle(["1", "2"], n), ()),
    "categorical": (lambda n: pd.Series(pd.Categorical(cycle("xy", n))), ()),
    "odd_index": (lambda n: pd.Series(cycle("xy", n), index=np.arange(n) + 9), ()),
    "column": (lambda n: cycle([0, 1], n).reshape(-1, 1), ()),
    "multilabel": (lambda n: cycle([[0, 1], [1, 0], [1, 1]], n), ()),
    "str_and_int_object": (lambda n: cycle(["a", 1], n, object), ("labels",)),
    "fractional": (lambda n: cycle([0.5, 1.5], n), ("labels",)),
    "int_object": (lambda n: cycle([0, 1], n, object), ("labels",)),
    "none": (lambda n: cycle([None, 1], n, object), ("labels",)),
    "bytes": (lambda n: cycle([b"a", b"b"], n), ("labels",)),
    "huge": (lambda n: cycle([1e300, 0.0], n), ("labels",)),
    "nan": (lambda n: cycle([np.nan, 0.0], n), ("nan",)),
    "inf": (lambda n: cycle([np.inf, 0.0], n), ("inf",)),
    "complex": (lambda n: cycle([1j, 0], n), ("complex",)),
    "nullable_na": (lambda n: pd.array(cycle([None, 0, 1], n), "Int64"), ("nan",)),
    "multiclass_multioutput": (
        lambda n: cycle([[0, 2], [1, 0], [2, 1]], n),
        ("y_shape",),
    ),
    "continuous_2d": (
        lambda n: np.linspace(0.1, 0.9, 2 * n).reshape(n, 2),
        ("y_shape",),
    ),
    "3d": (lambda n: cycle([0, 1], n).reshape(-1, 1, 1), ("y_shape",)),
    "short": (lambda n: cycle([0, 1], n - 1), ("y_length",)),
    "long": (lambda n: cycle([0, 1], n + 1), ("y_length",)),
}
REGRESSOR_TARGETS = {
    "float": (lambda n: np.linspace(-1, 1, n), ()),
    "float32": (lambda n: np.linspace(-1, 1, n, dtype=np.float32), ()),
    "int": (lambda n: np.arange(n), ()),
    "bool": (lambda n: cycle([True, False], n), ()),
    "object_float": (lambda n: np.linspace(0, 1, n).astype(object), ()),
    "digit_strings": (lambda n: np.arange(n).astype(str), ()),
    "list": (lambda n: list(np.linspace(0, 1, n)), ()),
    "odd_index": (lambda n: pd.Series(np.ones(n), index=np.arange(n) + 9), ()),
    "nullable": (lambda n: pd.array(np.linspace(0, 1, n), dtype="Float64"), ()),
    "constant": (lambda n: np.zeros(n), ()),
    "tiny": (lambda n: np.full(n, 1e-300), ()),
    "column": (lambda n: np.linspace(0, 1, n).reshape(-1, 1), ()),
    "two_outputs": (lambda n: np.linspace(0, 1, 2 * n).reshape(n, 2), ()),
    "huge": (lambda n: cycle([1e300, -1e300], n), ("huge",)),
    "float32_max": (lambda n: np.full(n, np.finfo(np.float32).max), ("huge",)),
    "str": (lambda n: cycle(["a", "b"], n), ("string",)),
    "nan": (lambda n: cycle([np.nan, 0.0], n), ("nan",)),
    "inf": (lambda n: cycle([np.inf, 0.0], n), ("inf",)),
    "none": (lambda n: cycle([None, 1.0], n, object), ("nan",)),
    "complex": (lambda n: cycle([1j, 0], n), ("complex",)),
    "nullable_na": (lambda n: pd.array(cycle([None, 0.5], n), "Float64"), ("nan",)),
    "3d": (lambda n: np.zeros((n, 1, 1)), ("y_shape",)),
    "short": (lambda n: np.zeros(n - 1), ("y_length",)),
    "long": (lambda n: np.zeros(n + 1), ("y_length",)),
}
NEEDS_TWO_SAMPLES = {"str_and_int_object", "multiclass_multioutput"}  # else fine
SAMPLE_WEIGHTS = {  # LogisticRegressionGD's fit and partial_fit
    "ones": (lambda n: np.ones(n), ()),
    "scalar": (lambda n: 2.0, ()),
    "int": (lambda n: np.ones(n, dtype=int), ()),
    "list": (lambda n: [1.5] * n, ()),
    "digit_strings": (lambda n: np.ones(n).astype(str), ()),
    "one_negative": (lambda n: np.r_[-1.0, np.full(n - 1, 2.0)], ()),
    "tiny": (lambda n: np.full(n, 1e-300), ()),
    "denormal": (lambda n: np.full(n, 5e-324), ()),
    "huge": (lambda n: np.full(n, 1e300), ("huge",)),
    "zeros": (lambda n: np.zeros(n), ("weights",)),
    "all_negative": (lambda n: -np.ones(n), ("weights",)),
    "nan": (lambda n: np.r_[np.nan, np.ones(n - 1)], ("weights",)),
    "inf": (lambda n: np.r_[np.inf, np.ones(n - 1)], ("weights",)),
    "short": (lambda n: np.ones(n - 1), ("weights",)),
    "2d": (lambda n: np.ones((n, 1)), ("weights",)),
    "complex": (lambda n: np.ones(n) + 1j, ("complex",)),
}


@dataclasses.dataclass
class Target:
    value: object
    problems: frozenset
    kind: str

    def _repr_pretty_(self, printer, is_cycle):
        printer.text(f"Target({self.kind}; problems={sorted(self.problems)})\n")
        printer.text(repr(self.value))

    @property
    def labels(self):
        """The distinct labels as NumPy reads them, in order of appearance."""
        return list(dict.fromkeys(np.asarray(self.value).ravel().tolist()))


@st.composite
def targets(draw, n, table):
    kind = draw(st.sampled_from(sorted(table)))
    build, problems = table[kind]
    if n < 2 and kind in NEEDS_TWO_SAMPLES:
        problems = ()
    return Target(build(n), frozenset(problems), kind)


# ---------------------------------------------------------------------------
# Fitted estimators
# ---------------------------------------------------------------------------


def role(name):
    estimator = ESTIMATORS[name]
    if is_classifier(estimator):
        return "classifier"
    return "regressor" if is_regressor(estimator) else "transformer"


FITTED_TARGETS = {  # what the fitted estimators were fitted on, besides clean_X(8)
    "classifier": {
        "multiclass": cycle([0, 1, 2], 8),
        "binary_str": cycle(["n", "y"], 8),
    },
    "regressor": {
        "1d": np.linspace(0, 1, 8),
        "2d": np.linspace(0, 1, 16).reshape(8, 2),
    },
    "transformer": {"none": None},
}


def fitted_targets(name):
    kinds = dict(FITTED_TARGETS[role(name)])
    if name == "DBNClassifier":
        kinds["multilabel"] = cycle([[0, 1], [1, 0], [1, 1]], 8)
    return kinds


@functools.cache
def _fitted(name, dtype, target, feature_names):
    estimator = clone(ESTIMATORS[name])
    X = clean_X(8, dtype)
    if feature_names:
        X = pd.DataFrame(X, columns=FIT_NAMES)
    y = fitted_targets(name)[target]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit(X) if y is None else estimator.fit(X, y)
    return estimator


def draw_fitted(data, name):
    """A fresh copy of ``name`` fitted on clean data (each variant fitted once)."""
    variant = data.draw(
        st.tuples(
            st.sampled_from(FLOAT_DTYPES),
            st.sampled_from(sorted(fitted_targets(name))),
            st.booleans(),
        ),
        label="fitted (dtype, y, on a DataFrame)",
    )
    return copy.deepcopy(_fitted(name, *variant))


def is_multilabel(estimator):
    """Fitted on an indicator matrix: independent sigmoids, one per label."""
    sigmoids = getattr(estimator, "out_activation_", None) == "sigmoid"
    return sigmoids and estimator.n_outputs_ > 1


def clean_y(estimator, n):
    """Valid targets for ``n`` samples, like those the estimator was fitted on."""
    if is_multilabel(estimator):
        return cycle([[0, 1], [1, 0], [1, 1]], n)
    if is_classifier(estimator):
        return cycle(list(estimator.classes_), n)
    if is_regressor(estimator):
        y = np.linspace(0, 1, n * estimator.n_outputs_).reshape(n, estimator.n_outputs_)
        return y[:, 0] if estimator.n_outputs_ == 1 else y
    return None


def name_problems(estimator, case):
    """String column names other than those the estimator was fitted with."""
    fitted_names = getattr(estimator, "feature_names_in_", None)
    if fitted_names is None or not isinstance(case.value, pd.DataFrame):
        return set()
    columns = list(case.value.columns)
    strings = columns and all(isinstance(c, str) for c in columns)
    return {"column_names"} if strings and columns != list(fitted_names) else set()


def model_dtype(estimator):
    if hasattr(estimator, "coef_"):
        return estimator.coef_.dtype
    if hasattr(estimator, "components_"):
        return estimator.components_.dtype
    if hasattr(estimator, "coefs_"):
        return estimator.coefs_[0].dtype
    return estimator.rbms_[0].components_.dtype


def n_transform_out(estimator):
    if isinstance(estimator, RBMTransformer):
        return estimator.n_components
    return int(np.atleast_1d(estimator.hidden_layer_sizes)[-1])


# ---------------------------------------------------------------------------
# What a successful call returns
# ---------------------------------------------------------------------------


def check_finite_state(label, value, path="estimator"):
    """Every float array or number in the fitted state is finite."""
    if isinstance(value, BaseEstimator):
        for name, item in vars(value).items():
            public = name.endswith("_") and not name.startswith("_")
            # log_partition_bounds_ may start at -inf: see check_log_partition
            if public and name != "log_partition_bounds_":
                check_finite_state(label, item, f"{path}.{name}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check_finite_state(label, item, f"{path}[{i}]")
    elif isinstance(value, np.ndarray) and value.dtype.kind == "f":
        assert np.isfinite(value).all(), f"{label}: {path} is not finite: {value}"
    elif isinstance(value, float | np.floating):
        assert np.isfinite(value), f"{label}: {path} = {value}"


def check_log_partition(label, estimator):
    """``log Z`` is finite; its AIS band ``log(Z -/+ 3 sigma)`` may start at -inf
    (and end at +inf after a single run: one weight has no spread)."""
    log_z = estimator.log_partition_
    low, high = estimator.log_partition_bounds_
    assert np.isfinite(log_z), f"{label}: {low}, {log_z}, {high}"
    assert high < np.inf or low == -np.inf, f"{label}: {low}, {log_z}, {high}"
    assert not np.isnan(low) and low <= log_z <= high, (
        f"{label}: {low}, {log_z}, {high}"
    )


def check_array(label, out, shape, dtype):
    assert isinstance(out, np.ndarray), f"{label} returned a {type(out).__name__}"
    assert out.shape == shape, f"{label}: shape {out.shape}, expected {shape}"
    assert out.dtype in (np.float32, np.float64), f"{label}: dtype {out.dtype}"
    assert dtype is None or out.dtype == dtype, f"{label}: {out.dtype}, not {dtype}"
    assert np.isfinite(out).all(), f"{label}: output not finite:\n{out}"


def expected_shape(estimator, method, n):
    n_classes = len(getattr(estimator, "classes_", ()))
    if method in ("transform", "fit_transform"):
        return (n, n_transform_out(estimator))
    if method in ("predict_proba", "predict_log_proba"):
        return (n, n_classes)
    if method == "decision_function":
        return (n,) if n_classes == 2 else (n, n_classes)
    if method in ("gibbs", "inverse_transform", "sample"):
        return (n, estimator.n_features_in_)
    return (n,)  # free energies, scores and log-likelihoods of samples


def check_output(label, estimator, method, out, n, in_dtype, y=None):
    """The result of a successful call has the promised type, shape and values.

    ``in_dtype``: the float dtype the input validates to (None: unknown). When
    the model has it too, so must the output.
    """
    dtype = in_dtype if in_dtype == model_dtype(estimator) else None
    if method in ("fit", "partial_fit", "estimate_log_partition"):
        assert out is estimator, f"{label} did not return self"
        check_finite_state(label, estimator)
    elif method == "score":
        assert np.ndim(out) == 0, f"{label} returned {out!r}"
        if not (is_regressor(estimator) and n < 2):  # R^2 of 1 sample: NaN, warned
            assert np.isfinite(out), f"{label} returned {out!r}"
        assert not is_classifier(estimator) or 0 <= out <= 1, f"{label}: {out!r}"
    elif method == "predict" and is_classifier(estimator):
        check_labels(label, estimator, out, n)
    elif method == "predict":  # a regressor's, shaped like its targets y
        check_array(label, out, (n, *np.shape(y)[1:]), dtype)
    elif method in BRACKETS:  # (lower, upper), float64 by design
        assert isinstance(out, tuple) and len(out) == 2, f"{label}: {out!r}"
        for side in out:
            check_array(label, side, (n,), None)
    else:
        if method == "log_likelihood_lower_bound":
            dtype = None  # a float64 sum of log-probabilities, by design
        check_array(label, out, expected_shape(estimator, method, n), dtype)
    if method == "predict_proba":
        assert ((out >= 0) & (out <= 1)).all(), f"{label}: not probabilities\n{out}"
        sums = out.sum(axis=1)
        assert is_multilabel(estimator) or np.allclose(sums, 1, atol=1e-4), sums
    if method == "predict_log_proba":
        assert (out <= 1e-6).all(), f"{label}: positive log-probabilities\n{out}"
    if method == "estimate_log_partition":
        check_log_partition(label, estimator)


def check_labels(label, estimator, out, n):
    assert isinstance(out, np.ndarray), f"{label} returned a {type(out).__name__}"
    if is_multilabel(estimator):
        assert out.shape == (n, len(estimator.classes_)), f"{label}: {out.shape}"
        assert np.isin(out, [0, 1]).all(), f"{label}: not indicators\n{out}"
        return
    assert out.shape == (n,), f"{label}: shape {out.shape}, expected {(n,)}"
    assert np.isin(out, estimator.classes_).all(), (
        f"{label}: predictions {out} not all in classes_ {estimator.classes_}"
    )


# ---------------------------------------------------------------------------
# The tests: one per method family
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ESTIMATORS))
@hostile_settings("fit")
@hypothesis.given(data=st.data())
def test_fit_on_hostile_X(name, data):
    """fit, partial_fit and fit_transform of a fresh estimator on hostile X."""
    estimator = clone(ESTIMATORS[name])
    method = data.draw(st.sampled_from(FIT_METHODS[name]), label="method")
    case = data.draw(matrices(), label="X")
    n, problems, kwargs = case.n_samples, set(case.problems), {}
    y = {"classifier": cycle([0, 1, 2], n), "regressor": np.linspace(0, 1, n)}.get(
        role(name)
    )
    if is_classifier(estimator) and method == "partial_fit":
        kwargs["classes"] = [0, 1, 2]
    elif is_classifier(estimator) and n == 1:
        problems.add("one_class")
    args = (case.value,) if y is None else (case.value, y)
    label = label_of(name, method, "X")
    fit = getattr(estimator, method)
    outcome, out = call(label, lambda: fit(*args, **kwargs), problems)
    count(name, "fit", outcome)
    if outcome == "rejected":
        return
    check_output(label, estimator, method, out, n, case.float_dtype, y)
    fitted_in = model_dtype(estimator)
    assert case.float_dtype in (None, fitted_in), f"{label}: trained in {fitted_in}"
    assert estimator.n_features_in_ == case.n_features, label
    # The fitted model works on the data it was fitted on.
    follow = "predict" if y is not None else "transform"
    label = label_of(name, follow, "X") + f" after {method}"
    method_ = getattr(estimator, follow)
    outcome, out = call(label, lambda: method_(case.value), problems)
    if outcome == "ok":
        check_output(label, estimator, follow, out, n, case.float_dtype, y)


@pytest.mark.parametrize("name", SUPERVISED)
@hostile_settings("targets")
@hypothesis.given(data=st.data())
def test_fit_on_hostile_targets(name, data):
    """fit, partial_fit, fit_transform with hostile y, classes and sample_weight."""
    estimator = clone(ESTIMATORS[name])
    method = data.draw(st.sampled_from(FIT_METHODS[name]), label="method")
    n = data.draw(st.sampled_from([1, 2, 3, 5, 8]), label="n_samples")
    X = clean_X(n, data.draw(st.sampled_from(FLOAT_DTYPES), label="X dtype"))
    table = CLASSIFIER_TARGETS if is_classifier(estimator) else REGRESSOR_TARGETS
    target = data.draw(targets(n, table), label="y")
    problems, kwargs, labels = set(target.problems), {}, target.labels
    if target.kind in ("multilabel", "multiclass_multioutput"):
        if name != "DBNClassifier":
            problems.add("y_shape")  # only DBNClassifier takes 2-D labels
        labels = [0, 1]  # the classes of an indicator matrix: its columns
    if is_classifier(estimator) and method == "partial_fit":
        modes = ["all", "one_more", "none", "one_less"]
        mode = data.draw(st.sampled_from(modes), label="classes")
        extra = "zz" if labels and isinstance(labels[0], str) else 99
        classes = {"all": labels, "one_more": [*labels, extra], "none": None}.get(
            mode, labels[1:]
        )
        if classes is None or len(classes) < len(labels):
            problems.add("classes")
        kwargs["classes"] = classes
    classes = kwargs.get("classes", labels)
    if is_classifier(estimator) and classes is not None and len(classes) < 2:
        problems.add("one_class")
    if name == "LogisticRegressionGD" and data.draw(st.booleans(), label="weighted"):
        kind = data.draw(st.sampled_from(sorted(SAMPLE_WEIGHTS)), label="sample_weight")
        build, more = SAMPLE_WEIGHTS[kind]
        kwargs["sample_weight"] = build(n)
        problems |= set(more)
        if kind == "one_negative" and np.sum(kwargs["sample_weight"]) <= 0:
            problems.add("weights")  # the weights sum to zero or less (n = 1)
    label = label_of(name, method, "X", f"y={target.kind}", *kwargs)
    fit = getattr(estimator, method)
    outcome, out = call(label, lambda: fit(X, target.value, **kwargs), problems)
    count(name, "targets", outcome)
    if outcome == "ok":
        check_output(label, estimator, method, out, n, X.dtype)
        label = label_of(name, "predict", "X") + f" after {method}"
        outcome, out = call(label, lambda: estimator.predict(X), set())
        check_output(label, estimator, "predict", out, n, X.dtype, target.value)


@pytest.mark.parametrize("name", INCREMENTAL)
@hostile_settings("partial_fit")
@hypothesis.given(data=st.data())
def test_partial_fit_of_fitted_estimator_on_hostile_X(name, data):
    """partial_fit after fit: more hostile data, possibly in another dtype."""
    estimator = draw_fitted(data, name)
    case = data.draw(fitted_matrices(), label="X")
    problems = set(case.problems) | name_problems(estimator, case)
    dtype = model_dtype(estimator)
    y = clean_y(estimator, case.n_samples)
    args = (case.value,) if y is None else (case.value, y)
    label = label_of(name, "partial_fit", "X") + " after fit"
    outcome, out = call(label, lambda: estimator.partial_fit(*args), problems)
    count(name, "partial_fit", outcome)
    if outcome == "ok":
        check_output(label, estimator, "partial_fit", out, case.n_samples, None)
        assert model_dtype(estimator) == dtype, f"{label} changed the model's dtype"


@pytest.mark.parametrize("name", list(ESTIMATORS))
@hostile_settings("inference")
@hypothesis.given(data=st.data())
def test_inference_on_hostile_X(name, data):
    """predict*, decision_function, score, transform, free energies, likelihoods."""
    estimator = draw_fitted(data, name)
    method = data.draw(st.sampled_from(INFERENCE_METHODS[name]), label="method")
    case = data.draw(fitted_matrices(), label="X")
    problems = set(case.problems) | name_problems(estimator, case)
    if method in DENSE_ONLY and sp.issparse(case.value):
        problems.add("sparse")
    X, n = case.value, case.n_samples
    if method == "log_likelihood":
        estimator.estimate_log_partition()  # exact for 3 hidden units
    method_ = getattr(estimator, method)
    func = {
        "score": lambda: method_(X, clean_y(estimator, n)),
        "gibbs": lambda: method_(X, random_state=0),
        "estimate_log_partition": lambda: method_(
            X, n_runs=2, n_betas=5, exact=False, random_state=0
        ),
        "log_likelihood_lower_bound": lambda: method_(X, n_samples=2, random_state=0),
        "log_likelihood_bounds": lambda: method_(
            X, n_runs=2, n_betas=5, exact=False, random_state=0
        ),
        "log_likelihood_bound_bracket": lambda: method_(
            X, n_samples=2, n_runs=2, n_betas=5, exact=False, random_state=0
        ),
    }.get(method, lambda: method_(X))
    label = label_of(name, method, "X")
    outcome, out = call(label, func, problems)
    count(name, "inference", outcome)
    if outcome == "ok":
        y = clean_y(estimator, n)
        check_output(label, estimator, method, out, n, case.float_dtype, y)


@pytest.mark.parametrize("name", GENERATIVE)
@hostile_settings("inverse_transform")
@hypothesis.given(data=st.data())
def test_inverse_transform_on_hostile_H(name, data):
    """inverse_transform of hidden states: array-like, not sparse, any names."""
    estimator = draw_fitted(data, name)
    H = data.draw(fitted_matrices(n_transform_out(estimator)), label="H")
    problems = set(H.problems)
    if "column_names" in problems:  # H's names do not matter, but may be refused
        problems = problems - {"column_names"} | {"odd_column_names"}
    if sp.issparse(H.value):
        problems.add("sparse")
    label = label_of(name, "inverse_transform", "H")
    outcome, out = call(label, lambda: estimator.inverse_transform(H.value), problems)
    count(name, "inverse_transform", outcome)
    if outcome == "ok":
        check_output(
            label, estimator, "inverse_transform", out, H.n_samples, H.float_dtype
        )


# Arguments of the generative methods: (value, problems). Random states are
# factories, so that no two examples share a generator.
N_SAMPLES = [(1, ()), (2, ()), (np.int64(3), ()), (0, ("no_samples",))]
N_SAMPLES += [(v, ("n_samples",)) for v in (-1, 2.5, None, "2", True)]
N_STEPS = [(0, ()), (1, ()), (3, ())] + [(v, ("n_steps",)) for v in (-1, 2.5, None)]
N_RUNS = [(1, ()), (2, ())] + [(v, ("n_runs",)) for v in (0, -1, 2.5)]
N_BETAS = [(3, ()), (5, ()), ([0, 0.5, 1], ()), (np.linspace(0, 1, 4), ())]
N_BETAS += [(v, ("n_betas",)) for v in (2, 0, -1, 4.5, [0.5, 1], [0, 1, 0.5], [])]
N_BETAS += [(v, ("n_betas",)) for v in ([0, np.nan, 1], [0, np.inf, 1])]
N_CHAINS = [(1, ()), (2, ())] + [(v, ("n_chains",)) for v in (0, -1, 2.5)]
TOLERANCES = [(1.0, ()), (0.0, ()), (1e9, ())] + [(-1.0, ("tolerance",))]
LOWER_BOUND_SAMPLES = [(None, ()), (1, ()), (2, ())]
LOWER_BOUND_SAMPLES += [(v, ("n_samples",)) for v in (0, -1, 2.5)]
RANDOM_STATES = [
    (lambda: None, ()),
    (lambda: 0, ()),
    (lambda: 2**32 - 1, ()),
    (lambda: np.random.RandomState(0), ()),
    (lambda: np.random.default_rng(0), ("generator",)),
    (lambda: -1, ("random_state",)),
    (lambda: 2**40, ("random_state",)),
    (lambda: "x", ("random_state",)),
]
GENERATIVE_ARGUMENTS = {
    "sample": {"n_samples": N_SAMPLES, "n_steps": N_STEPS},
    "gibbs": {},
    "estimate_log_partition": {
        "X": [(None, ()), (clean_X(4), ())],
        "n_runs": N_RUNS,
        "n_betas": N_BETAS,
        "exact": [(False, ()), (None, ()), (True, ())],
    },
    "log_likelihood": {"return_bounds": [(False, ()), (True, ())]},
    "log_likelihood_lower_bound": {"n_samples": LOWER_BOUND_SAMPLES},
    "log_likelihood_bounds": {
        "X_base": [(None, ()), (clean_X(4), ())],
        "n_runs": N_RUNS,
        "n_betas": N_BETAS,
        "n_chains": N_CHAINS,
        "tolerance": TOLERANCES,
        "exact": [(False, ()), (None, ()), (True, ())],
    },
    "log_likelihood_bound_bracket": {
        "n_samples": LOWER_BOUND_SAMPLES,
        "n_runs": N_RUNS,
        "n_betas": N_BETAS,
        "n_chains": N_CHAINS,
        "tolerance": TOLERANCES,
        "exact": [(False, ()), (None, ()), (True, ())],
    },
}
TAKES_X = {"gibbs", "log_likelihood", "log_likelihood_lower_bound", *BRACKETS}


@pytest.mark.parametrize("name", GENERATIVE)
@hostile_settings("generative")
@hypothesis.given(data=st.data())
def test_generative_methods_with_hostile_arguments(name, data):
    """sample, gibbs, estimate_log_partition, log_likelihood(_lower_bound)."""
    estimator = draw_fitted(data, name)
    method = data.draw(st.sampled_from(GENERATIVE_METHODS[name]), label="method")
    arguments = dict(GENERATIVE_ARGUMENTS[method])
    if method == "log_likelihood":  # needs log Z; AIS makes the bounds differ
        estimator.estimate_log_partition(n_runs=2, n_betas=5, exact=False)
    else:
        arguments["random_state"] = RANDOM_STATES
    kwargs, problems = {}, set()
    for parameter, choices in arguments.items():
        value, more = data.draw(st.sampled_from(choices), label=parameter)
        kwargs[parameter] = value() if callable(value) else value
        problems |= set(more)
    # Invalid AIS settings are refused even when log Z is enumerated (exact=True,
    # or exact=None on a small model): arguments are validated whether or not
    # this call uses them, as scikit-learn's validate_params does.
    X = clean_X(4)
    args = (X,) if method in TAKES_X else ()
    n = kwargs["n_samples"] if method == "sample" else len(X)
    shown = [f"{k}={'X' if k == 'X' else repr(v)}" for k, v in kwargs.items()]
    label = label_of(name, method, *shown)
    method_ = getattr(estimator, method)
    outcome, out = call(label, lambda: method_(*args, **kwargs), problems)
    count(name, "generative", outcome)
    if outcome == "rejected":
        return
    in_dtype = model_dtype(estimator) if method == "sample" else X.dtype
    if method == "log_likelihood" and kwargs["return_bounds"]:
        log_prob, low, high = out  # high is +inf when the AIS band reaches 0
        check_array(label, log_prob, (n,), in_dtype)
        check_array(label, low, (n,), in_dtype)
        assert high.shape == (n,) and not np.isnan(high).any(), f"{label}: {high}"
        assert (low <= log_prob).all() and (log_prob <= high).all(), label
    else:
        check_output(label, estimator, method, out, n, in_dtype)


INPUT_FEATURES = [
    (None, ()),
    (FIT_NAMES, ()),
    (np.array(["x", "y", "z"]), ()),
    (["a", "a", "a"], ()),
    (["é", "", "日本語"], ()),
    ([0, 1, 2], ()),
    (["a", "b"], ("input_features",)),
    ([], ("input_features",)),
    (["a", "b", "c", "d"], ("input_features",)),
]


@pytest.mark.parametrize("name", NAMED_OUTPUTS)
@hostile_settings("feature_names")
@hypothesis.given(data=st.data())
def test_get_feature_names_out_with_hostile_input_features(name, data):
    estimator = draw_fitted(data, name)
    input_features, problems = data.draw(st.sampled_from(INPUT_FEATURES), label="names")
    problems = set(problems)
    fitted_names = getattr(estimator, "feature_names_in_", None)
    given = None if input_features is None else list(np.asarray(input_features))
    if fitted_names is not None and given not in (None, list(fitted_names)):
        problems.add("input_features")  # must match the fitted names
    label = label_of(name, "get_feature_names_out", repr(input_features))
    names_out = estimator.get_feature_names_out
    outcome, out = call(label, lambda: names_out(input_features), problems)
    count(name, "feature_names", outcome)
    if outcome == "ok":
        assert isinstance(out, np.ndarray) and out.dtype == object, label
        assert out.shape == (n_transform_out(estimator),), f"{label}: {out.shape}"
        assert all(isinstance(s, str) and s for s in out), f"{label}: {out}"
        assert len(set(out)) == len(out), f"{label}: duplicate names {out}"


SUPERVISED_NETWORKS = ["DBNClassifier", "DBNRegressor"]
# A layer's entries: (dtype, special value or None) -> problems.
LAYER_VALUES = [
    (("float64", None), ()),
    (("float32", None), ()),
    (("int64", None), ()),
    (("bool", None), ()),
    (("float16", None), ()),
    (("float64", "nan"), ("finite",)),
    (("float64", "inf"), ("finite",)),
    (("complex128", None), ("complex",)),
    (("str", None), ("string",)),
    (("object", "none"), ("string",)),  # None among the weights
]
# How the layers fit together: (shapes of coefs, shapes of intercepts).
LAYER_SHAPES = [
    (([3, 4], [4, 1]), ([4], [1]), ()),
    (([3, 4], [4, 5], [5, 1]), ([4], [5], [1]), ()),
    (([3, 4], [4, 3]), ([4], [3]), ()),  # three outputs
    (([3, 4],), ([4],), ("layers",)),  # no output layer
    (([3, 4], [5, 1]), ([4], [1]), ("layers",)),  # not chained
    (([3, 4], [4, 1]), ([4], [2]), ("layers",)),  # a wrong bias length
    (([3, 4], [4, 1]), ([4],), ("layers",)),  # a missing bias
    (([3, 4], [4]), ([4], [1]), ("layers",)),  # a 1-D layer
    (([3, 4, 1], [4, 1]), ([4], [1]), ("layers",)),  # a 3-D layer
    (([3, 0], [0, 1]), ([0], [1]), ("layers",)),  # an empty hidden layer
]
CLASS_CHOICES = [
    ([0, 1], ()),
    (["a", "b", "c"], ()),
    ([1.5, -2.0], ("classes",)),  # continuous: refused, as by partial_fit
    ([0], ("classes",)),
    ([], ("classes",)),
    ([0, 1, 2, 3], ()),  # one, three or four outputs: wrong for some networks
]


def _layer_array(shape, dtype, special, rng):
    values = rng.standard_normal(shape)
    if dtype == "str":
        return values.astype(str)
    array = values.astype(object if dtype == "object" else dtype)
    if special and array.size:
        array.flat[0] = {"nan": np.nan, "inf": np.inf, "none": None}[special]
    return array


@pytest.mark.parametrize("name", SUPERVISED_NETWORKS)
@hostile_settings("from_weights")
@hypothesis.given(data=st.data())
def test_from_weights_with_hostile_layers(name, data):
    """from_weights either builds a working model or names the problem."""
    rng = np.random.default_rng(0)
    coef_shapes, bias_shapes, problems = data.draw(st.sampled_from(LAYER_SHAPES))
    (dtype, special), more = data.draw(st.sampled_from(LAYER_VALUES), label="values")
    problems = {*problems, *more}
    coefs = [_layer_array(s, dtype, special, rng) for s in coef_shapes]
    intercepts = [_layer_array(s, dtype, None, rng) for s in bias_shapes]
    kwargs = {"activation": data.draw(st.sampled_from(["logistic", "tanh", "relu"]))}
    cls = type(ESTIMATORS[name])
    if name == "DBNClassifier":
        classes, more = data.draw(st.sampled_from(CLASS_CHOICES), label="classes")
        kwargs["classes"] = classes
        problems |= set(more)
        n_out = coef_shapes[-1][-1] if coef_shapes else 0
        if len(classes) >= 2 and n_out != (1 if len(classes) == 2 else len(classes)):
            problems.add("classes")
    label = label_of(name, "from_weights", dtype, str(special), str(coef_shapes))
    outcome, est = call(
        label, lambda: cls.from_weights(coefs, intercepts, **kwargs), problems
    )
    count(name, "from_weights", outcome)
    if outcome == "rejected":
        return
    X = clean_X(5)
    # (best_loss_ is inf until an epoch ends, as after any initialisation.)
    assert all(np.isfinite(a).all() for a in est.coefs_ + est.intercepts_), label
    for method in INFERENCE_METHODS[name]:
        args = (X, est.predict(X)) if method == "score" else (X,)
        out = getattr(est, method)(*args)
        check_output(label, est, method, out, 5, X.dtype, y=est.predict(X))


# ---------------------------------------------------------------------------
# Coverage of the public API, and the example counts
# ---------------------------------------------------------------------------

PLUMBING = {"get_params", "set_params", "get_metadata_routing", "set_output"}


def public_methods(cls):
    return {
        name
        for name in dir(cls)
        if not name.startswith("_")
        and callable(getattr(cls, name))
        and name not in PLUMBING
        and not (name.startswith("set_") and name.endswith("_request"))
    }


def test_every_public_method_is_exercised():
    """A new public method must join one of the families above."""
    public = {
        name
        for name in skdbn.__all__
        if inspect.isclass(cls := getattr(skdbn, name))
        and issubclass(cls, BaseEstimator)
    }
    assert set(ESTIMATORS) == public
    for name, estimator in ESTIMATORS.items():
        covered = {*FIT_METHODS[name], *INFERENCE_METHODS[name]}
        covered |= {*GENERATIVE_METHODS.get(name, ())}
        covered |= {"inverse_transform"} if name in GENERATIVE else set()
        covered |= {"get_feature_names_out"} if name in NAMED_OUTPUTS else set()
        covered |= {"from_weights"} if name in SUPERVISED_NETWORKS else set()
        missing = public_methods(type(estimator)) - covered
        assert not missing, f"{name}: no hostile-input test calls {sorted(missing)}"


@pytest.fixture(scope="module", autouse=True)
def report_example_counts(request):
    """Print how many examples each estimator ran, when the module ends."""
    yield
    if not RUNS:
        return
    lines = ["", "hostile-input examples run per estimator (accepted + rejected):"]
    for name in ESTIMATORS:
        families, accepted = collections.Counter(), 0
        for (estimator, family, outcome), number in RUNS.items():
            if estimator == name:
                families[family] += number
                accepted += number if outcome == "ok" else 0
        total = sum(families.values())
        detail = ", ".join(f"{family} {k}" for family, k in families.items())
        lines.append(
            f"  {name:<21}{total:>6} = {accepted} + {total - accepted} ({detail})"
        )
    lines.append(f"  {'all':<21}{sum(RUNS.values()):>6}")
    plugins = request.config.pluginmanager
    capture, reporter = (
        plugins.get_plugin("capturemanager"),
        plugins.get_plugin("terminalreporter"),
    )
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        for line in lines:
            reporter.write_line(line) if reporter is not None else print(line)
