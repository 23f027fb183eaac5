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
