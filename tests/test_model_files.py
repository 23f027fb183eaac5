"""Model files written by an earlier skdbn still load, predict and train.

The files under ``tests/data/models`` were written by
``tests/data/make_model_files.py`` (see there); moving or renaming a private
module or class must not break them.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skdbn.cli import main
from skdbn.io import ModelVersionWarning, audit, load

DATA = Path(__file__).parent / "data"
MODELS = DATA / "models"
EXPECTED = json.loads((MODELS / "expected.json").read_text())
NAMES = ["rbm", "dbn_transformer", "dbn_classifier", "dbn_regressor", "logistic"]


def _data():
    table = np.loadtxt(DATA / "digits.csv", delimiter=",", skiprows=1)
    return table[:, :-1], table[:, -1].astype(int)


def _load(name):
    with warnings.catch_warnings():
        # Files from another version warn, and still load.
        warnings.simplefilter("ignore", ModelVersionWarning)
        return load(MODELS / f"{name}.skops", return_metadata=True)


def _outputs(name, model, X):
    if name in ("rbm", "dbn_transformer"):
        return model.transform(X[:10])
    if name == "dbn_regressor":
        return model.predict(X[:10])
    return model.predict_proba(X[:10])


@pytest.mark.parametrize("name", NAMES)
def test_old_model_files_load_and_predict_as_they_did(name):
    X, _ = _data()
    model, meta = _load(name)
    assert meta["name"] == name
    assert audit(MODELS / f"{name}.skops")[1] == []
    assert_allclose(_outputs(name, model, X), EXPECTED[name]["outputs"], rtol=1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_old_model_files_keep_their_training_state(name):
    # One more partial_fit gives what it gave before the file was written:
    # optimiser state, persistent chains and random generators survived.
    X, y = _data()
    model, _ = _load(name)
    if name.startswith("dbn_") and model.get_params().get("batch_size") == "auto":
        # The files predate the new 'auto' rule, min(200, ceil(n / 10)); the
        # expected epoch was run with the old one, min(200, n).
        model.set_params(batch_size=min(200, len(X)))
    target = X[:, :8].sum(axis=1)
    args = {"rbm": (X,), "dbn_transformer": (X,), "dbn_regressor": (X, target)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.partial_fit(*args.get(name, (X, y)))
    assert_allclose(
        _outputs(name, model, X), EXPECTED[name]["after_partial_fit"], rtol=1e-6
    )


def test_old_command_line_model_predicts_as_it_did(capsys):
    code = main(
        [
            "predict",
            str(MODELS / "cli_pipeline.skops"),
            str(DATA / "digits.csv"),
            "--proba",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert out == EXPECTED["cli_pipeline"]["predict_proba_csv"]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_new_model_files_name_public_classes_only(tmp_path):
    """A file names skdbn's estimators by their public names and holds their
    training state as arrays and plain values: no private class path, so that
    moving a private module breaks no file."""
    from skdbn import DBNClassifier, DBNTransformer, LogisticRegressionGD
    from skdbn.io import save

    X, y = _data()
    models = [
        DBNTransformer((6, 4), rbm_n_iter=1, random_state=0).fit(X),
        DBNClassifier((6,), rbm_n_iter=1, max_iter=2, random_state=0).fit(X, y),
        LogisticRegressionGD(solver="adam", max_iter=2).fit(X, y),
    ]
    for model in models:
        save(model, tmp_path / "model.skops")
        names = [n for n in audit(tmp_path / "model.skops")[0] if "skdbn" in n]
        assert names and all(n.count(".") == 1 for n in names), names
        loaded = load(tmp_path / "model.skops")
        method = "transform" if hasattr(model, "transform") else "predict_proba"
        assert_allclose(getattr(loaded, method)(X), getattr(model, method)(X))
