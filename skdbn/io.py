"""Secure model files: save and load skdbn models without pickle.

Loading a pickle (``joblib.load``) runs whatever code the file asks for, so a
model file from someone else is as dangerous as a program from them. The files
written here use skops' format (:mod:`skops.io`), which stores arrays and plain
values and rebuilds objects only from types it is told to trust. :func:`load`
trusts skdbn's own estimators (stored by their public names, ``skdbn.DBNClassifier``,
with their training state as arrays and plain values, so that a file does not
depend on where a private helper lives), the scikit-learn estimators that
commonly sit around them (:data:`SKLEARN_ESTIMATORS`: pipelines, column
transformers, preprocessing, imputation, PCA, linear models, calibration) and
NumPy arrays and generators; a file that carries any other type is refused
before anything in it is built. A file needs no private skdbn type: plain
``skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))``
reads it too (it asks to trust only skdbn's public estimator names). Files
written by earlier versions, which named the estimators' private modules and
helpers, load too.

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

from __future__ import annotations

import io
import json
import os
import warnings
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

from ._callsite import user_stacklevel
from .exceptions import ModelVersionWarning, UntrustedModelError

__all__ = [
    "SKLEARN_ESTIMATORS",
    "TRUSTED_TYPES",
    "ModelVersionWarning",
    "UntrustedModelError",
    "audit",
    "load",
    "save",
]

_FORMAT = "skdbn-model"
_FORMAT_VERSION = 1

#: The scikit-learn estimators that commonly sit around skdbn's, by public
#: module: pipelines and column transformers, preprocessing, imputation, PCA,
#: linear models (scikit-learn's own RBM example ends in LogisticRegression),
#: calibration. Every one is on skops' own list of trusted scikit-learn types
#: (``skops.io``'s default), which ``tests/test_io.py`` checks. A search CV is
#: saved as its ``best_estimator_``.
SKLEARN_ESTIMATORS = {
    "sklearn.pipeline": ("Pipeline", "FeatureUnion"),
    "sklearn.compose": ("ColumnTransformer", "TransformedTargetRegressor"),
    "sklearn.preprocessing": (
        "StandardScaler",
        "MinMaxScaler",
        "MaxAbsScaler",
        "RobustScaler",
        "Normalizer",
        "Binarizer",
        "QuantileTransformer",
        "PowerTransformer",
        "KBinsDiscretizer",
        "PolynomialFeatures",
        "SplineTransformer",
        "OneHotEncoder",
        "OrdinalEncoder",
        "LabelBinarizer",
        "LabelEncoder",
    ),
    "sklearn.impute": ("SimpleImputer", "MissingIndicator"),
    "sklearn.feature_selection": ("VarianceThreshold",),
    "sklearn.decomposition": ("PCA",),
    "sklearn.linear_model": (
        "LogisticRegression",
        "LogisticRegressionCV",
        "RidgeClassifier",
        "RidgeClassifierCV",
        "SGDClassifier",
        "Perceptron",
        "LinearRegression",
        "Ridge",
        "RidgeCV",
        "Lasso",
        "ElasticNet",
        "SGDRegressor",
    ),
    "sklearn.calibration": ("CalibratedClassifierCV",),
    "sklearn.isotonic": ("IsotonicRegression",),
}
# CalibratedClassifierCV keeps each fitted (classifier, calibrator) pair in
# these private classes: plain containers, not on skops' list (no estimators).
_CALIBRATION_PARTS = ("_CalibratedClassifier", "_SigmoidCalibration")


def _sklearn_type_names():
    """Full names (``module.Class``, as skops stores them) of the trusted
    scikit-learn types, where this scikit-learn version defines them."""
    import importlib

    names = set()
    for module, classes in SKLEARN_ESTIMATORS.items():
        public = importlib.import_module(module)
        for name in classes:
            cls = getattr(public, name)
            names.add(f"{cls.__module__}.{cls.__qualname__}")
    calibration = importlib.import_module("sklearn.calibration")
    names.update(
        f"sklearn.calibration.{name}"
        for name in _CALIBRATION_PARTS
        if hasattr(calibration, name)
    )
    return names


#: Types that :func:`load` rebuilds from a file, beyond plain values and arrays:
#: skdbn's estimators, by their public names (their training state is stored as
#: arrays and plain values), and :data:`SKLEARN_ESTIMATORS`.
TRUSTED_TYPES = frozenset(
    {
        "skdbn.LogisticRegressionGD",
        "skdbn.RBMTransformer",
        "skdbn.DBNTransformer",
        "skdbn.DBNClassifier",
        "skdbn.DBNRegressor",
        *_sklearn_type_names(),
    }
)


# Files written before skdbn stored its estimators by their public names and
# their training state as plain values name these classes, by the paths they had
# then; load reads them as the classes they are now (the state's private
# helpers may move again: only this table follows them). save never writes them.
_LEGACY_PATHS = {
    "skdbn._logistic.LogisticRegressionGD": "skdbn.LogisticRegressionGD",
    "skdbn._rbm.RBMTransformer": "skdbn.RBMTransformer",
    "skdbn._dbn.DBNTransformer": "skdbn.DBNTransformer",
    "skdbn._finetune.DBNClassifier": "skdbn.DBNClassifier",
    "skdbn._finetune.DBNRegressor": "skdbn.DBNRegressor",
    "skdbn._cd.RBMTrainer": "RBMTrainer",
    "skdbn._cd.RBMObjective": "RBMObjective",
    "skdbn._optimizers.SGD": "SGD",
    "skdbn._optimizers.Adam": "Adam",
}

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


# What reading a damaged archive raises, in zipfile, NumPy or skops.
_DAMAGE = (
    KeyError,
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
)


def _skops():
    try:
        import skops.io
    except ImportError as exc:  # pragma: no cover - skops is a dependency
        raise ImportError("Secure model files need skops: pip install skops") from exc
    return skops.io


def save(
    model: BaseEstimator,
    path: str | os.PathLike[str],
    *,
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Write ``model`` to ``path`` in skops' secure format.

    Parameters
    ----------
    model : estimator
        A skdbn estimator, or a scikit-learn pipeline, column transformer,
        calibrated classifier... of skdbn estimators and the scikit-learn
        estimators of :data:`SKLEARN_ESTIMATORS` (any object made of
        :data:`TRUSTED_TYPES`, plain values and arrays can be loaded back).
    path : str or path-like
        File to write (by convention ending in ``.skops``); overwritten.
    metadata : dict, optional
        Plain values (str, numbers, lists, dicts, None) stored with the model
        under str keys, e.g. column names; :func:`load` returns them with
        ``return_metadata``.

    Returns
    -------
    None

    Raises
    ------
    TypeError
        ``metadata`` is not a dict with str keys; nothing is written.
    UntrustedModelError
        The model or the metadata holds a type that :func:`load` refuses (a
        scikit-learn estimator not in :data:`SKLEARN_ESTIMATORS`, a
        ``pathlib.Path``...); nothing is written.
    IsADirectoryError
        ``path`` is a folder.

    Notes
    -----
    The file is written whole or not at all: an existing file at ``path`` is
    replaced only once the new one is complete. A model fitted on PyTorch
    tensors or another array library is written with NumPy arrays (its
    sampling generator reseeded), so :func:`load` gives a NumPy model:
    ``skdbn.to_device(model, like=X)`` moves it back to X's device. The
    versions of skdbn and scikit-learn are stored with the model, for
    :func:`load` to compare.
    """
    import sklearn

    from . import __version__
    from ._backend import on_device, to_device

    # Device arrays (torch, CuPy...) are written as NumPy arrays: skops trusts
    # no tensor, and load gives a NumPy model (skdbn.to_device moves it back).
    if on_device(model):
        model = to_device(model)
    envelope = {
        "format": _FORMAT,
        "format_version": _FORMAT_VERSION,
        "skdbn_version": __version__,
        "sklearn_version": sklearn.__version__,
        "model": model,
        "metadata": _check_metadata(metadata),
    }
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"Cannot write {path}: it is a folder.")
    if not path.parent.is_dir():  # before the temporary file names itself
        raise FileNotFoundError(
            f"Cannot write {path}: the folder {path.parent} does not exist."
        )
    data = _renamed(_skops().dumps(envelope), _public_path)
    # The audit load runs, run now: never write a file that load refuses.
    _, refused = _audit_schema(_read_schema(io.BytesIO(data), path), legacy=False)
    if refused:
        raise UntrustedModelError(
            f"Not writing {path}: skdbn.io.load would refuse it, as it holds types "
            f"that skdbn does not trust: {', '.join(refused)}. A skdbn model file "
            "holds skdbn estimators, the scikit-learn estimators listed in "
            "skdbn.io.SKLEARN_ESTIMATORS (pipelines, preprocessing, linear "
            "models, calibration...), NumPy data, and metadata of plain values "
            "(str, numbers, lists, dicts, None)."
        )
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _public_path(module, name):
    """skdbn's estimators under ``skdbn``, where users import them: a file does
    not depend on the private module that defines a class."""
    import skdbn

    public = getattr(skdbn, name, None) if module.startswith("skdbn.") else None
    if isinstance(public, type) and public.__module__ == module:
        return "skdbn", name
    return module, name


def _current_path(module, name):
    """Where a class named in an older file (``_LEGACY_PATHS``) is now."""
    new = _LEGACY_PATHS.get(f"{module}.{name}")
    if new is None:
        return module, name
    if "." not in new:  # a private helper of the training state
        from ._state import KINDS

        return KINDS[new].__module__, new
    return tuple(new.rsplit(".", 1))


def _renamed(data, rename):
    """The skops archive ``data`` (bytes) with each object's ``(module, class)``
    in its schema replaced by ``rename(module, class)``; unchanged archives are
    returned as they are."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema = json.loads(archive.read("schema.json"))
        if not _rename_nodes(schema, rename):
            return data
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as copy:
            for item in archive.infolist():
                if item.filename == "schema.json":
                    copy.writestr(item, json.dumps(schema))
                else:
                    copy.writestr(item, archive.read(item.filename))
    return out.getvalue()


def _rename_nodes(node, rename):
    """Rename in place every object node of a schema; whether any changed."""
    changed = False
    if isinstance(node, dict):
        if node.get("__loader__") == "ObjectNode" and "__module__" in node:
            new = rename(node["__module__"], node["__class__"])
            if new != (node["__module__"], node["__class__"]):
                node["__module__"], node["__class__"] = new
                changed = True
        for value in node.values():
            changed = _rename_nodes(value, rename) or changed
    elif isinstance(node, list):
        for value in node:
            changed = _rename_nodes(value, rename) or changed
    return changed


def _check_metadata(metadata):
    """``metadata`` as a new dict, or a TypeError naming what :func:`save` takes.

    Its keys must be str: skops stores some other keys (None) in a form that
    :func:`load` refuses, and others (tuples) not at all.
    """
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise TypeError(
            "metadata must be a dict of plain values (str, numbers, lists, dicts, "
            f"None) under str keys, e.g. {{'trained_on': 'digits'}}; got a "
            f"{type(metadata).__name__}: {metadata!r:.80}."
        )
    others = [key for key in metadata if not isinstance(key, str)]
    if others:
        raise TypeError(
            f"metadata keys must be str, got {others[0]!r} "
            f"({type(others[0]).__name__})."
        )
    return dict(metadata)


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


def _is_allowed(module, name, loader, legacy=True):
    full = f"{module}.{name}"
    if loader == "ObjectNode":
        return full in TRUSTED_TYPES or (legacy and full in _LEGACY_PATHS)
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


def _read_schema(source, path):
    """The schema of the archive ``source`` (a path or a file object) at ``path``."""
    try:
        with zipfile.ZipFile(source) as archive:
            return json.loads(archive.read("schema.json"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError):
        pass
    if _starts_as_zip(source):
        raise UntrustedModelError(
            f"{path} is damaged or not a skdbn model file: it starts as a zip "
            "archive but its skops schema cannot be read (a truncated or "
            "corrupted file?)."
        )
    raise UntrustedModelError(
        f"{path} is not a skdbn model file (not a skops archive). Model files "
        "are written by `skdbn fit` or skdbn.io.save; joblib/pickle files must "
        "be opened with joblib.load, and only if you trust their source."
    )


def _starts_as_zip(source):
    if isinstance(source, io.BytesIO):
        return source.getvalue()[:4] == b"PK\x03\x04"
    with open(source, "rb") as f:
        return f.read(4) == b"PK\x03\x04"


def _audit_schema(schema, legacy=True):
    """The object types a schema names, and those refused (``legacy``: the
    classes of files written before this layout are accepted, as load reads
    them; save never writes them)."""
    found = _types(schema, set())
    names = sorted({f"{m}.{c}" for m, c, _ in found})
    refused = sorted(
        {f"{m}.{c}" for m, c, lo in found if not _is_allowed(m, c, lo, legacy)}
    )
    return names, refused


def _stored(schema, key):
    """A plain value of the file's envelope (a version), read without building
    anything; None when absent or not stored as plain JSON."""
    content = schema.get("content") if isinstance(schema, dict) else None
    node = content.get(key) if isinstance(content, dict) else None
    if not (isinstance(node, dict) and node.get("__loader__") == "JsonNode"):
        return None
    try:
        return json.loads(node["content"])
    except (KeyError, TypeError, json.JSONDecodeError):
        return None


def audit(path: str | os.PathLike[str]) -> tuple[list[str], list[str]]:
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
    return _audit_schema(_read_schema(path, path))


def load(
    path: str | os.PathLike[str], *, return_metadata: bool = False
) -> BaseEstimator | tuple[BaseEstimator, dict[str, Any]]:
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
        plus ``'skdbn_version'`` and ``'sklearn_version'``, the versions that
        wrote the file (None for the latter in files written before skdbn
        recorded it).

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    IsADirectoryError
        The path is a folder.
    UntrustedModelError
        The file is not a skdbn model file, is damaged, was written in a newer
        format than this skdbn reads, or carries a type not in
        :data:`TRUSTED_TYPES` other than plain values and NumPy data (nothing in
        the file has been built when this is raised for a type).

    Warns
    -----
    ModelVersionWarning
        The file was written by another version of skdbn or scikit-learn.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a model file.")
    if not path.is_file():
        raise FileNotFoundError(f"Model file {path} does not exist.")
    schema = _read_schema(path, path)
    _check_format_version(schema, path)
    found, refused = _audit_schema(schema)
    if refused:
        raise UntrustedModelError(
            f"Refusing to load {path}: it contains types that skdbn does not "
            f"trust: {', '.join(refused)}. A skdbn model holds only skdbn "
            "estimators, the scikit-learn estimators of "
            "skdbn.io.SKLEARN_ESTIMATORS, and NumPy data. If you "
            "wrote this file yourself and know what it holds, load it with "
            'skops.io.load(path, trusted=[...])["model"].'
        )
    skops = _skops()
    try:
        envelope = _load_envelope(skops, path, found)
    except skops.exceptions.UntrustedTypesFoundException as error:
        # Anything skops itself distrusts is refused the same way.
        raise UntrustedModelError(f"Refusing to load {path}: {error}") from None
    except _DAMAGE as error:  # a missing or corrupted member of the archive
        cause = error.args[0] if isinstance(error, KeyError) and error.args else error
        raise UntrustedModelError(
            f"{path} is damaged or not a skdbn model file ({cause})."
        ) from error
    if not (isinstance(envelope, dict) and envelope.get("format") == _FORMAT):
        raise UntrustedModelError(
            f"{path} is a skops file but not a skdbn model file (written by "
            "`skdbn fit` or skdbn.io.save)."
        )
    _warn_versions(envelope, path)
    if return_metadata:
        metadata = dict(envelope["metadata"])
        metadata.setdefault("skdbn_version", envelope.get("skdbn_version"))
        metadata.setdefault("sklearn_version", envelope.get("sklearn_version"))
        return envelope["model"], metadata
    return envelope["model"]


def _load_envelope(skops, path, found):
    """What skops builds from the audited file ``path`` (whose object types are
    ``found``): a file of an older layout is read with its classes renamed."""
    if not any(name in _LEGACY_PATHS for name in found):
        # A dtype (OneHotEncoder's dtype=np.float64) is a value skops does not
        # trust by default; the audit has checked that it is one.
        trusted = [n for n in found if n in TRUSTED_TYPES or n == "numpy.dtype"]
        return skops.load(path, trusted=trusted)
    data = _renamed(path.read_bytes(), _current_path)
    trusted = {".".join(_current_path(*name.rsplit(".", 1))) for name in found}
    return skops.loads(data, trusted=sorted(trusted - _VALUE_CLASSES))


def _check_format_version(schema, path):
    """Refuse a file of a newer format before building anything from it."""
    from . import __version__

    version = _stored(schema, "format_version")
    if isinstance(version, int) and version > _FORMAT_VERSION:
        writer = _stored(schema, "skdbn_version")
        writer = f"skdbn {writer}" if writer else "a newer skdbn"
        raise UntrustedModelError(
            f"{path} was written by {writer} in model file format "
            f"{version}; this skdbn ({__version__}) reads format "
            f"{_FORMAT_VERSION} and older. Upgrade skdbn to load it."
        )


def _warn_versions(envelope, path):
    import sklearn

    from . import __version__

    for name, key, running in (
        ("skdbn", "skdbn_version", __version__),
        ("scikit-learn", "sklearn_version", sklearn.__version__),
    ):
        written = envelope.get(key)
        if written is not None and written != running:
            warnings.warn(
                f"{path} was written with {name} {written} and is loaded with "
                f"{name} {running}; its predictions may differ. Fit and save it "
                "again with this version to be sure.",
                ModelVersionWarning,
                stacklevel=user_stacklevel(),
            )
