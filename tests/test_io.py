"""Secure model files (skdbn.io): round trips, and refusing foreign types."""

import json
import warnings
import zipfile

import joblib
import numpy as np
import pytest
import skops.io as sio
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skdbn import (
    DBNClassifier,
    DBNRegressor,
    DBNTransformer,
    LogisticRegressionGD,
    RBMTransformer,
)
from skdbn.io import UntrustedModelError, audit, load, save

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16, y[:300]


ESTIMATORS = [
    LogisticRegressionGD(max_iter=20, random_state=0),
    RBMTransformer(16, n_iter=2, random_state=0),
    DBNTransformer((16, 8), rbm_n_iter=2, random_state=0),
    DBNClassifier((16,), rbm_n_iter=2, max_iter=10, random_state=0),
    DBNRegressor((16,), rbm_n_iter=2, max_iter=10, random_state=0),
]


def _outputs(est, X):
    if hasattr(est, "predict"):
        return est.predict(X)
    return est.transform(X)


@pytest.mark.parametrize("est", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_round_trip_predicts_identically(est, digits, tmp_path):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the short fits
        est.fit(X, y)
    path = tmp_path / "model.skops"
    save(est, path, metadata={"note": "test", "sizes": [1, 2]})
    loaded, meta = load(path, return_metadata=True)
    assert type(loaded) is type(est)
    assert_array_equal(_outputs(loaded, X), _outputs(est, X))
    assert meta["note"] == "test" and meta["sizes"] == [1, 2]
    assert meta["skdbn_version"]
    assert audit(path)[1] == []
    # joblib (pickle) keeps working for users who want it.
    joblib.dump(est, tmp_path / "model.joblib")
    assert_array_equal(
        _outputs(joblib.load(tmp_path / "model.joblib"), X), _outputs(est, X)
    )


def test_round_trip_pipeline_and_generator_state(digits, tmp_path):
    X, _ = digits
    pipe = make_pipeline(MinMaxScaler(), RBMTransformer(8, n_iter=2, random_state=0))
    pipe.fit(X)
    save(pipe, tmp_path / "p.skops")
    loaded = load(tmp_path / "p.skops")
    assert_array_equal(loaded.transform(X), pipe.transform(X))
    # The sampling generator's state travels too: the same next samples.
    assert_array_equal(loaded[-1].sample(2, n_steps=3), pipe[-1].sample(2, n_steps=3))


def test_round_trip_standard_scaler(digits, tmp_path):
    # StandardScaler keeps a NumPy scalar (n_samples_seen_), stored as an array.
    X, y = digits
    pipe = make_pipeline(StandardScaler(), LogisticRegressionGD(max_iter=5)).fit(X, y)
    save(pipe, tmp_path / "s.skops")
    assert audit(tmp_path / "s.skops")[1] == []
    assert_array_equal(
        load(tmp_path / "s.skops").predict_proba(X), pipe.predict_proba(X)
    )


def _rewrite_schema(path, out, edit):
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "schema.json":
                schema = json.loads(data)
                edit(schema)
                data = json.dumps(schema).encode()
            dst.writestr(item, data)


def _find(node, cls):
    if isinstance(node, dict):
        if node.get("__class__") == cls:
            return node
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _find(child, cls)
        if found is not None:
            return found
    return None


def test_tampered_file_with_foreign_type_is_rejected(digits, tmp_path):
    X, y = digits
    clf = LogisticRegressionGD(max_iter=5).fit(X, y)
    save(clf, tmp_path / "ok.skops")

    def inject(schema):
        node = _find(schema, "LogisticRegressionGD")
        node["__module__"], node["__class__"] = "os", "system"

    _rewrite_schema(tmp_path / "ok.skops", tmp_path / "evil.skops", inject)
    with pytest.raises(UntrustedModelError, match=r"os\.system"):
        load(tmp_path / "evil.skops")


def test_foreign_estimator_is_refused_even_if_skops_trusts_it(digits, tmp_path):
    # skops trusts all of scikit-learn's estimators by default; skdbn.io only
    # those of SKLEARN_ESTIMATORS.
    X, y = digits
    foreign = KNeighborsClassifier().fit(X, y)
    envelope = {"format": "skdbn-model", "model": foreign, "metadata": {}}
    sio.dump(envelope, tmp_path / "foreign.skops")  # save refuses to write it
    with pytest.raises(UntrustedModelError, match="KNeighborsClassifier"):
        load(tmp_path / "foreign.skops")


def test_not_a_model_file(tmp_path):
    (tmp_path / "x.skops").write_text("hello")
    with pytest.raises(UntrustedModelError, match="not a skdbn model file"):
        load(tmp_path / "x.skops")
    joblib.dump(np.zeros(3), tmp_path / "x.joblib")
    with pytest.raises(UntrustedModelError, match="joblib"):
        load(tmp_path / "x.joblib")
    sio.dump({"model": 1}, tmp_path / "plain.skops")
    with pytest.raises(UntrustedModelError, match="not a skdbn model file"):
        load(tmp_path / "plain.skops")
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.skops")


def test_function_smuggled_as_a_type_value_is_refused(tmp_path):
    from sklearn.datasets import load_digits

    from skdbn import RBMTransformer
    from skdbn.io import UntrustedModelError, audit, load, save

    X = load_digits().data[:50] / 16
    save(RBMTransformer(4, n_iter=1, random_state=0).fit(X), tmp_path / "ok.skops")

    def smuggle(schema):
        schema["content"]["metadata"]["content"]["hook"] = {
            "__class__": "eval",
            "__module__": "builtins",
            "__loader__": "TypeNode",
            "__id__": 999999,
        }

    _rewrite_schema(tmp_path / "ok.skops", tmp_path / "bad.skops", smuggle)
    assert "builtins.eval" in audit(tmp_path / "bad.skops")[1]
    with pytest.raises(UntrustedModelError, match="builtins.eval"):
        load(tmp_path / "bad.skops")


def test_save_refuses_what_load_would_refuse(digits, tmp_path):
    # A random projection in the pipeline, or a Path in the metadata, made a
    # file that load refused; save refuses it and leaves an existing file as it
    # was.
    from pathlib import Path

    from sklearn.random_projection import GaussianRandomProjection

    X, y = digits
    path = tmp_path / "model.skops"
    path.write_bytes(b"a good model")
    projection = GaussianRandomProjection(5, random_state=0)
    pipe = make_pipeline(projection, LogisticRegressionGD(max_iter=5)).fit(X, y)
    with pytest.raises(UntrustedModelError, match=r"Not writing .*RandomProjection"):
        save(pipe, path)
    clf = LogisticRegressionGD(max_iter=5).fit(X, y)
    with pytest.raises(UntrustedModelError, match="pathlib"):
        save(clf, path, metadata={"data": Path("train.csv")})
    assert path.read_bytes() == b"a good model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.skops"]
    with pytest.raises(IsADirectoryError, match="is a folder"):
        save(clf, tmp_path)


@pytest.mark.parametrize(
    "metadata, match",
    [
        ([1, 2], "metadata must be a dict .* got a list"),
        ("digits", "metadata must be a dict .* got a str"),
        ({None: 1}, "metadata keys must be str, got None"),  # load refused it
        ({(1, 2): 3}, "metadata keys must be str, got \\(1, 2\\)"),
    ],
)
def test_save_refuses_metadata_other_than_a_dict_with_str_keys(
    digits, tmp_path, metadata, match
):
    X, y = digits
    clf = LogisticRegressionGD(max_iter=5).fit(X, y)
    with pytest.raises(TypeError, match=match):
        save(clf, tmp_path / "model.skops", metadata=metadata)
    assert not list(tmp_path.iterdir())  # nothing written


def test_refusal_suggests_a_working_skops_call(digits, tmp_path):
    X, y = digits
    foreign = KNeighborsClassifier().fit(X, y)
    sio.dump({"format": "skdbn-model", "model": foreign}, tmp_path / "f.skops")
    with pytest.raises(UntrustedModelError, match=r'trusted=\[\.\.\.\]\)\["model"\]'):
        load(tmp_path / "f.skops")
    # What the message suggests: skops returns the file's dict, the model in it.
    trusted = sio.get_untrusted_types(file=tmp_path / "f.skops")
    loaded = sio.load(tmp_path / "f.skops", trusted=trusted)["model"]
    assert_array_equal(loaded.predict(X), foreign.predict(X))


def _set_stored(key, value):
    """A schema edit: the envelope's ``key`` set to ``value``, or removed."""

    def edit(schema):
        content = schema["content"]
        if value is None:
            del content[key]
            schema["key_types"]["content"].pop()
        else:
            content[key]["content"] = json.dumps(value)

    return edit


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.InconsistentVersionWarning")
def test_versions_are_checked(digits, tmp_path):
    import sklearn

    from skdbn import __version__
    from skdbn.io import ModelVersionWarning

    X, y = digits
    clf = LogisticRegressionGD(max_iter=5).fit(X, y)
    save(clf, tmp_path / "ok.skops")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelVersionWarning)  # same versions: silent
        _, meta = load(tmp_path / "ok.skops", return_metadata=True)
    assert meta["sklearn_version"] == sklearn.__version__
    assert meta["skdbn_version"] == __version__
    # A newer format is refused, before anything is built.
    future = tmp_path / "future.skops"
    _rewrite_schema(tmp_path / "ok.skops", future, _set_stored("format_version", 99))
    with pytest.raises(UntrustedModelError, match="format 99.*Upgrade skdbn"):
        load(future)
    # Other versions load, with a warning naming them.
    for key, name in [("skdbn_version", "skdbn"), ("sklearn_version", "scikit-learn")]:
        other = tmp_path / f"{key}.skops"
        _rewrite_schema(tmp_path / "ok.skops", other, _set_stored(key, "0.0.1"))
        with pytest.warns(ModelVersionWarning, match=f"written with {name} 0.0.1"):
            assert_array_equal(load(other).predict(X), clf.predict(X))
    # Files from before the scikit-learn version was stored load silently.
    old = tmp_path / "old.skops"
    _rewrite_schema(tmp_path / "ok.skops", old, _set_stored("sklearn_version", None))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelVersionWarning)
        _, meta = load(old, return_metadata=True)
    assert meta["sklearn_version"] is None


def test_damaged_files_are_clear_errors(digits, tmp_path):
    X, y = digits
    save(LogisticRegressionGD(max_iter=5).fit(X, y), tmp_path / "ok.skops")
    whole = (tmp_path / "ok.skops").read_bytes()
    (tmp_path / "cut.skops").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UntrustedModelError, match="cut.skops is damaged"):
        load(tmp_path / "cut.skops")
    with (
        zipfile.ZipFile(tmp_path / "ok.skops") as src,
        zipfile.ZipFile(tmp_path / "hole.skops", "w") as dst,
    ):
        dropped = next(n for n in src.namelist() if n.endswith(".npy"))
        for item in src.infolist():
            if item.filename != dropped:
                dst.writestr(item, src.read(item.filename))
    with pytest.raises(UntrustedModelError, match=f"damaged.*{dropped}"):
        load(tmp_path / "hole.skops")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        load(tmp_path)


def test_trusted_scikit_learn_types_are_on_skops_list():
    from skops.io._trusted_types import SKLEARN_ESTIMATOR_TYPE_NAMES

    from skdbn.io import SKLEARN_ESTIMATORS, TRUSTED_TYPES

    sklearn_types = {t for t in TRUSTED_TYPES if t.startswith("sklearn.")}
    extra = sorted(sklearn_types - set(SKLEARN_ESTIMATOR_TYPE_NAMES))
    # the two containers of CalibratedClassifierCV's fitted pairs
    assert extra == [
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
    ]
    n_listed = sum(len(names) for names in SKLEARN_ESTIMATORS.values())
    assert len(sklearn_types) == n_listed + 2
    # the user guide names every one of them
    from pathlib import Path

    guide = Path(__file__).parents[1] / "docs" / "user_guide" / "command_line.rst"
    text = " ".join(guide.read_text().split())
    for module, names in SKLEARN_ESTIMATORS.items():
        assert f"``{module}``" in text
        assert all(name in text for name in names), module


def _pipelines(X, y):
    """The pipelines people build around skdbn's estimators, fitted."""
    import pandas as pd
    from sklearn.base import clone
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.compose import make_column_transformer
    from sklearn.decomposition import PCA
    from sklearn.impute import SimpleImputer
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_union
    from sklearn.preprocessing import OneHotEncoder

    def rbm():
        return RBMTransformer(8, n_iter=2, random_state=0)

    example = make_pipeline(MinMaxScaler(), rbm(), LogisticRegression(max_iter=200))
    frame = pd.DataFrame(X, columns=[f"p{i}" for i in range(X.shape[1])])
    frame["kind"] = np.array(["a", "b", "c"])[np.arange(len(X)) % 3]
    columns = make_column_transformer(
        (make_pipeline(SimpleImputer(), MinMaxScaler()), list(frame.columns[:-1])),
        (OneHotEncoder(), ["kind"]),
    )
    search = GridSearchCV(example, {"logisticregression__C": [0.1, 1.0]}, cv=2)
    return [
        (clone(example).fit(X, y), X),
        (CalibratedClassifierCV(example, cv=2).fit(X, y), X),
        (make_pipeline(columns, rbm(), LogisticRegression()).fit(frame, y), frame),
        (make_pipeline(make_union(PCA(4), rbm()), LogisticRegression()).fit(X, y), X),
        (search.fit(X, y).best_estimator_, X),
    ]


def test_pipelines_people_build_round_trip(digits, tmp_path):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short fits
        pipelines = _pipelines(X, y)
    for n, (model, data) in enumerate(pipelines):
        path = tmp_path / f"model{n}.skops"
        save(model, path)
        assert audit(path)[1] == []
        loaded = load(path)
        assert_array_equal(loaded.predict_proba(data), model.predict_proba(data))


@pytest.mark.parametrize("est", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_plain_skops_load_needs_no_private_skdbn_type(est, digits, tmp_path):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    save(est, tmp_path / "model.skops")
    untrusted = sio.get_untrusted_types(file=tmp_path / "model.skops")
    assert f"skdbn.{type(est).__name__}" in untrusted  # public names only
    assert all(t.count(".") == 1 and t.startswith("skdbn.") for t in untrusted)
    model = sio.load(tmp_path / "model.skops", trusted=untrusted)["model"]
    assert_array_equal(_outputs(model, X), _outputs(est, X))
