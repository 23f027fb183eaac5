"""Write the model files that ``tests/test_model_files.py`` loads.

Run from the repository root, with the skdbn whose files the tests must keep
loading (one BLAS thread, so that the stored outputs are reproducible)::

    python tests/data/make_model_files.py

Each ``models/<name>.skops`` is a small fitted model written by
:func:`skdbn.io.save`; ``models/expected.json`` holds, for each, what it
computed on the first 10 rows of ``digits.csv`` when written: its outputs, and
its outputs after one more ``partial_fit`` call, which checks that the training
state (weights, optimiser, random generator) survives in the file.
``cli_pipeline.skops`` is written by ``skdbn fit``, and its expected entry is
the output of ``skdbn predict --proba`` on the whole file. Regenerate them only on
purpose: a test that fails after a refactor means old files no longer load.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from threadpoolctl import threadpool_limits

import skdbn
from skdbn import (
    DBNClassifier,
    DBNRegressor,
    DBNTransformer,
    LogisticRegressionGD,
    RBMTransformer,
)
from skdbn.io import save

HERE = Path(__file__).parent
MODELS = HERE / "models"


def data():
    """60 binarised digits of classes 0-2, and their labels."""
    X, y = load_digits(n_class=3, return_X_y=True)
    return (X[:60] > 7).astype(np.float64), y[:60]


def models():
    """``(name, fitted model, outputs function, partial_fit arguments or None)``."""
    X, y = data()
    target = X[:, :8].sum(axis=1)
    small = {"hidden_layer_sizes": (6, 4), "rbm_n_iter": 2, "random_state": 0}
    yield (
        "rbm",
        RBMTransformer(5, n_iter=3, momentum=0.5, random_state=0).fit(X),
        lambda m: m.transform(X[:10]),
        (X,),
    )
    yield (
        "dbn_transformer",
        DBNTransformer(**small).fit(X),
        lambda m: m.transform(X[:10]),
        (X,),
    )
    yield (
        "dbn_classifier",
        DBNClassifier(**small, max_iter=5, tol=0).fit(X, y),
        lambda m: m.predict_proba(X[:10]),
        (X, y),
    )
    yield (
        "dbn_regressor",
        DBNRegressor(**small, max_iter=5, tol=0, solver="sgd").fit(X, target),
        lambda m: m.predict(X[:10]),
        (X, target),
    )
    yield (
        "logistic",
        LogisticRegressionGD(max_iter=5, tol=0, random_state=0).fit(X, y),
        lambda m: m.predict_proba(X[:10]),
        (X, y),
    )


def main():
    threadpool_limits(1)
    MODELS.mkdir(exist_ok=True)
    X, y = data()
    table = np.column_stack([X, y])
    header = ",".join([f"p{j}" for j in range(X.shape[1])] + ["digit"])
    np.savetxt(
        HERE / "digits.csv", table, fmt="%g", delimiter=",", header=header, comments=""
    )
    expected = {"skdbn_version": skdbn.__version__}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, model, outputs, args in models():
            save(model, MODELS / f"{name}.skops", metadata={"name": name})
            entry = {"outputs": outputs(model).tolist()}
            if args is not None:
                entry["after_partial_fit"] = outputs(model.partial_fit(*args)).tolist()
            expected[name] = entry
    subprocess.run(
        [
            sys.executable,
            "-m",
            "skdbn",
            "fit",
            str(HERE / "digits.csv"),
            "-o",
            str(MODELS / "cli_pipeline.skops"),
            "--layers",
            "6",
            "--epochs",
            "3",
            "--pretrain-epochs",
            "2",
            "--quiet",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    predicted = subprocess.run(
        [
            sys.executable,
            "-m",
            "skdbn",
            "predict",
            str(MODELS / "cli_pipeline.skops"),
            str(HERE / "digits.csv"),
            "--proba",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    expected["cli_pipeline"] = {"predict_proba_csv": predicted.stdout}
    (MODELS / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    main()
