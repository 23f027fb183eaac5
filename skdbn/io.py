"""Secure model files: save and load skdbn models without pickle.

Loading a pickle (``joblib.load``) runs whatever code the file asks for, so a
model file from someone else is as dangerous as a program from them. The files
written here use skops' format (:mod:`skops.io`), which stores arrays and plain
values and rebuilds objects only from types it is told to trust. :func:`load`
trusts skdbn's own estimators and their internal state, the few scikit-learn
types a model written by skdbn legitimately contains (pipelines, scalers, a label
binarizer) and NumPy arrays and generators; a file that carries any other type is
refused before anything in it is built.

joblib pickling keeps working for your own files (``joblib.dump(model, path)``);
use this module for files you share or receive.

Examples
--------
>>> import os, tempfile
>>> from sklearn.datasets import load_digits
>>> from skdbn import LogisticRegressionGD
>>> from skdbn.io import load, save
>>> X, y = load_digits(return_X_y=True)
>>> clf = LogisticRegressionGD(max_iter=20, random_state=0).fit(X / 16, y)
>>> path = os.path.join(tempfile.mkdtemp(), "model.skops")
>>> save(clf, path, metadata={"trained_on": "digits"})
>>> model, info = load(path, return_metadata=True)
>>> bool((model.predict(X / 16) == clf.predict(X / 16)).all()), info["trained_on"]
(True, 'digits')
"""

import json
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["TRUSTED_TYPES", "UntrustedModelError", "audit", "load", "save"]

_FORMAT = "skdbn-model"
_FORMAT_VERSION = 1

#: Types that :func:`load` rebuilds from a file, beyond plain values and arrays.
TRUSTED_TYPES = frozenset(
    {
        # skdbn's estimators and the training state they keep for partial_fit.
        "skdbn._logistic.LogisticRegressionGD",
        "skdbn._rbm.RBMTransformer",
        "skdbn._dbn.DBNTransformer",
        "skdbn._finetune.DBNClassifier",
        "skdbn._finetune.DBNRegressor",
        "skdbn._cd.RBMTrainer",
        "skdbn._cd.RBMObjective",
        "skdbn._optimizers.SGD",
        "skdbn._optimizers.Adam",
        # scikit-learn types in skdbn's models and in the CLI's pipelines.
        "sklearn.pipeline.Pipeline",
        "sklearn.preprocessing._data.MinMaxScaler",
        "sklearn.preprocessing._data.StandardScaler",
        "sklearn.preprocessing._label.LabelBinarizer",
        "sklearn.linear_model._ridge.Ridge",
        "sklearn.compose._target.TransformedTargetRegressor",
    }
)

# How skops stores plain values, arrays and NumPy generators (no code runs).
_VALUE_NODES = {
    "DictNode",
    "ListNode",
    "TupleNode",
    "SetNode",
    "JsonNode",
    "BytesNode",
    "BytearrayNode",
    "SliceNode",
    "NdArrayNode",
    "MaskedArrayNode",
    "DTypeNode",
    "RandomStateNode",
    "RandomGeneratorNode",
    "SparseMatrixNode",
}
# The classes each kind of value node may carry: skops calls ``cls(content)`` on
# them, so nothing but the plain container or array class is acceptable.
_VALUE_CLASSES = {
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "builtins.set",
    "builtins.str",
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "builtins.NoneType",
    "builtins.bytes",
    "builtins.bytearray",
    "builtins.slice",
    "builtins.complex",
    "numpy.ndarray",
    "numpy.ma.core.MaskedArray",
    "numpy.dtype",
    "numpy.random.mtrand.RandomState",
    "numpy.random._generator.Generator",
    "scipy.sparse._csr.csr_matrix",
    "scipy.sparse._csr.csr_array",
}
# Types that may be stored as a value (``dtype=np.float32``): plain Python
# scalars and NumPy's scalar types only (never a function such as builtins.eval).
_TYPE_NAMES = {"int", "float", "str", "bool", "complex", "bytes", "NoneType"}


class UntrustedModelError(ValueError):
    """The file is not a skdbn model, or it carries a type skdbn does not trust."""


def _skops():
    try:
        import skops.io
    except ImportError as exc:  # pragma: no cover - skops is a dependency
        raise ImportError("Secure model files need skops: pip install skops") from exc
    return skops.io


def save(model, path, *, metadata=None):
    """Write ``model`` to ``path`` in skops' secure format.

    Parameters
    ----------
    model : estimator
        A skdbn estimator, or a scikit-learn pipeline of skdbn estimators and
        scalers (any object made of :data:`TRUSTED_TYPES`, plain values and
        arrays can be loaded back).
    path : str or path-like
        File to write (by convention ending in ``.skops``); overwritten.
    metadata : dict, optional
        Plain values (str, numbers, lists, dicts, None) stored with the model,
        e.g. column names; :func:`load` returns them with ``return_metadata``.

    Returns
    -------
    None
    """
    from . import __version__

    envelope = {
        "format": _FORMAT,
        "format_version": _FORMAT_VERSION,
        "skdbn_version": __version__,
        "model": model,
        "metadata": dict(metadata or {}),
    }
    _skops().dump(envelope, Path(path))


def _types(node, found):
    """Collect ``(module, class, loader)`` of every object described in a schema."""
    if isinstance(node, dict):
        if "__class__" in node:
            found.add(
                (node.get("__module__"), node["__class__"], node.get("__loader__"))
            )
        for value in node.values():
            _types(value, found)
    elif isinstance(node, list):
        for value in node:
            _types(value, found)
    return found


def _is_allowed(module, name, loader):
    full = f"{module}.{name}"
    if loader == "ObjectNode":
        return full in TRUSTED_TYPES
    if loader == "TypeNode":
        return name in _TYPE_NAMES if module == "builtins" else _is_scalar(module, name)
    if loader == "NdArrayNode" and _is_scalar(module, name):
        return True  # a NumPy scalar (a scaler's n_samples_seen_) is stored so
    if loader in _VALUE_NODES:
        return full in _VALUE_CLASSES or loader == "DTypeNode"
    return False


def _is_scalar(module, name):
    """Whether ``module.name`` is one of NumPy's scalar types (np.float64...)."""
    scalar = getattr(np, str(name), None) if module == "numpy" else None
    return isinstance(scalar, type) and issubclass(scalar, np.generic)


def _read_schema(path):
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read("schema.json"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError):
        raise UntrustedModelError(
            f"{path} is not a skdbn model file (not a skops archive). Model files "
            "are written by `skdbn fit` or skdbn.io.save; joblib/pickle files must "
            "be opened with joblib.load, and only if you trust their source."
        ) from None


def audit(path):
    """Types a model file would rebuild, and those :func:`load` refuses.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`.

    Returns
    -------
    found : list of str
        Fully qualified names of every object type stored in the file.
    refused : list of str
        The ones that are not trusted (empty for a file :func:`load` accepts).
    """
    schema = _read_schema(path)
    found = _types(schema, set())
    names = sorted({f"{m}.{c}" for m, c, _ in found})
    refused = sorted({f"{m}.{c}" for m, c, lo in found if not _is_allowed(m, c, lo)})
    return names, refused


def load(path, *, return_metadata=False):
    """Load a model written by :func:`save`, trusting only skdbn's own types.

    Parameters
    ----------
    path : str or path-like
        The model file.
    return_metadata : bool, default=False
        Also return the metadata dict given to :func:`save`.

    Returns
    -------
    model : estimator
        The fitted model, ready to predict.
    metadata : dict
        Only with ``return_metadata=True``: the metadata given to :func:`save`,
        plus ``'skdbn_version'``, the version that wrote the file.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    UntrustedModelError
        The file is not a skdbn model file, or it carries a type other than
        skdbn's estimators and the scikit-learn and NumPy types they contain
        (nothing in the file has been built when this is raised).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Model file {path} does not exist.")
    found, refused = audit(path)
    if refused:
        raise UntrustedModelError(
            f"Refusing to load {path}: it contains types that skdbn does not "
            f"trust: {', '.join(refused)}. A skdbn model holds only skdbn "
            "estimators, scikit-learn scalers and pipelines, and NumPy data. If you "
            "wrote this file yourself and know what it holds, load it with "
            "skops.io.load(path, trusted=[...])."
        )
    skops = _skops()
    try:
        envelope = skops.load(path, trusted=[n for n in found if n in TRUSTED_TYPES])
    except skops.exceptions.UntrustedTypesFoundException as error:
        # Anything skops itself distrusts is refused the same way.
        raise UntrustedModelError(f"Refusing to load {path}: {error}") from None
    if not (isinstance(envelope, dict) and envelope.get("format") == _FORMAT):
        raise UntrustedModelError(
            f"{path} is a skops file but not a skdbn model file (written by "
            "`skdbn fit` or skdbn.io.save)."
        )
    if return_metadata:
        metadata = dict(envelope["metadata"])
        metadata.setdefault("skdbn_version", envelope.get("skdbn_version"))
        return envelope["model"], metadata
    return envelope["model"]
