"""The ``skdbn`` command, run as a subprocess on CSV files the tests write."""

import shutil
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skdbn.io import load


def skdbn(*args, cwd=None):
    """Run ``python -m skdbn ARGS`` (the console script's code); return the result."""
    return subprocess.run(
        [sys.executable, "-m", "skdbn", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def _write_digits(path, n=400, header=True, target=True):
    X, y = load_digits(return_X_y=True)
    with open(path, "w") as f:
        if header:
            names = [f"p{i}" for i in range(64)] + (["digit"] if target else [])
            f.write(",".join(names) + "\n")
        for row, label in zip(X[:n].astype(int), y[:n], strict=True):
            cells = [str(v) for v in row] + ([str(label)] if target else [])
            f.write(",".join(cells) + "\n")
    return path


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def fitted(workdir):
    data = _write_digits(workdir / "digits.csv")
    model = workdir / "model.skops"
    result = skdbn(
        "fit",
        data,
        "-o",
        model,
        "--layers",
        "32",
        "--pretrain-epochs",
        "3",
        "--epochs",
        "40",
    )
    assert result.returncode == 0, result.stderr
    return data, model, result


def test_fit_prints_summary_and_progress(fitted):
    _, model, result = fitted
    assert "training accuracy" in result.stdout
    assert f"saved      {model}" in result.stdout
    # The tqdm bar, fed by on_epoch, names both stages.
    assert "pre-training layer 1/1" in result.stderr
    assert "fine-tuning" in result.stderr
    assert "Traceback" not in result.stderr


def test_predict_stdout_and_file(fitted, workdir):
    data, model, _ = fitted
    result = skdbn("predict", model, data)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "digit" and len(lines) == 401
    expected = load(model).predict(np.loadtxt(data, delimiter=",", skiprows=1)[:, :64])
    assert [int(v) for v in lines[1:]] == list(expected)
    out = workdir / "pred.csv"
    result = skdbn("predict", model, data, "-o", out, "--proba")
    assert result.returncode == 0, result.stderr
    P = np.loadtxt(out, delimiter=",", skiprows=1)
    assert P.shape == (400, 10)
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-5)


def test_evaluate_reports_accuracy(fitted):
    data, model, _ = fitted
    result = skdbn("evaluate", model, data)
    assert result.returncode == 0, result.stderr
    accuracy = float(result.stdout.split("accuracy")[1].split()[0])
    assert accuracy > 0.85
    assert "precision" in result.stdout and "recall" in result.stdout


def test_info(fitted):
    _, model, _ = fitted
    result = skdbn("info", model)
    assert result.returncode == 0, result.stderr
    assert "MinMaxScaler -> DBNClassifier" in result.stdout
    assert "pre-training layer 1" in result.stdout
    assert "'digit'" in result.stdout


def test_generative_model_samples_csv_and_png(workdir):
    data = _write_digits(workdir / "features.csv", n=300, header=False, target=False)
    model = workdir / "gen.skops"
    result = skdbn(
        "fit",
        data,
        "--no-target",
        "-o",
        model,
        "--layers",
        "32,16",
        "--pretrain-epochs",
        "2",
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    result = skdbn("sample", model, "-n", 5, "--steps", 20)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 6 and len(lines[1].split(",")) == 64
    values = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    assert values.min() >= 0 and values.max() <= 16  # back in the data's units
    pytest.importorskip("matplotlib")
    png = workdir / "samples.png"
    result = skdbn("sample", model, "-n", 10, "--steps", 20, "-o", png)
    assert result.returncode == 0, result.stderr
    assert png.read_bytes()[:4] == b"\x89PNG"
    result = skdbn("evaluate", model, data)
    assert result.returncode == 0 and "reconstruction error" in result.stdout


def test_regression_and_logistic(workdir):
    rng = np.random.RandomState(0)
    X = rng.rand(150, 4)
    y = 100 + 10 * X @ [1.0, -2.0, 0.5, 3.0]  # natural units, far from zero
    path = workdir / "reg.csv"
    np.savetxt(
        path, np.column_stack([X, y]), delimiter=",", header="a,b,c,d,out", comments=""
    )
    result = skdbn(
        "fit",
        path,
        "-o",
        workdir / "reg.skops",
        "--layers",
        "16",
        "--pretrain-epochs",
        "2",
        "--epochs",
        "100",
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    r2 = float(result.stdout.split("training R2")[1].split()[0])
    assert r2 > 0.5, result.stdout
    result = skdbn("evaluate", workdir / "reg.skops", path)
    assert result.returncode == 0 and "R2" in result.stdout
    result = skdbn("fit", path, "--model", "logistic", "-o", workdir / "x.skops")
    assert result.returncode == 2
    assert "needs a classification target" in result.stderr


def _bad(workdir, name, text):
    path = workdir / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing_csv", "no such file"),
        ("ragged", "ragged.csv, line 3: 2 fields, but line 1 has 3"),
        ("non_numeric", "nonnum.csv, line 3, column 2 ('b'): 'x' is not a number"),
        ("no_target_column", "target column 'label' does not exist"),
        ("not_a_model", "is not a skdbn model file"),
        ("missing_model", "does not exist"),
        ("wrong_width", "has 2 columns, but the model was trained on 64"),
        ("not_generative", "cannot generate data"),
    ],
)
def test_user_errors_exit_2_without_traceback(case, message, workdir, fitted):
    data, model, _ = fitted
    args = {
        "missing_csv": ["fit", workdir / "nope.csv"],
        "ragged": ["fit", _bad(workdir, "ragged.csv", "a,b,c\n1,2,3\n4,5\n")],
        "non_numeric": ["fit", _bad(workdir, "nonnum.csv", "a,b,c\n1,2,3\n4,x,5\n")],
        "no_target_column": ["fit", data, "--target", "label"],
        "not_a_model": ["info", data],
        "missing_model": ["predict", workdir / "nope.skops", data],
        "wrong_width": ["predict", model, _bad(workdir, "w.csv", "1,2\n3,4\n")],
        "not_generative": ["sample", model],
    }[case]
    result = skdbn(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_errors_exit_2():
    assert skdbn().returncode == 2
    result = skdbn("fit", "x.csv", "--layers", "a,b")
    assert result.returncode == 2 and "--layers" in result.stderr


@pytest.mark.skipif(
    shutil.which("skdbn") is None, reason="console script not installed"
)
def test_console_script_is_installed():
    result = subprocess.run(["skdbn", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("skdbn ")


def test_model_saved_from_python_gets_a_usage_error(tmp_path):
    from sklearn.datasets import load_digits

    from skdbn import RBMTransformer
    from skdbn.io import save

    save(RBMTransformer(4, n_iter=1).fit(load_digits().data[:50] / 16), tmp_path / "m")
    result = skdbn("info", tmp_path / "m")
    assert result.returncode == 2
    assert "saved without the command line's metadata" in result.stderr
    assert "Traceback" not in result.stderr


def test_text_labels_round_trip_and_standard_scaling(workdir):
    # predict and evaluate read a CSV with its text label column; a model with
    # a StandardScaler (Gaussian units, a smaller RBM rate) loads again.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 3))
    labels = np.where(X[:, 0] + X[:, 1] > 0, "up", "down")
    path = workdir / "labels.csv"
    with open(path, "w") as f:
        f.write("a,b,c,label\n")
        for row, label in zip(X, labels, strict=True):
            f.write(",".join(f"{v:.4f}" for v in row) + f",{label}\n")
    model = workdir / "labels.skops"
    result = skdbn(
        "fit",
        path,
        "--scale",
        "standard",
        "--layers",
        "8",
        "--pretrain-epochs",
        "2",
        "--epochs",
        "30",
        "-o",
        model,
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    fitted = load(model)
    assert fitted[-1].rbm_learning_rate == 0.005
    for command in ("predict", "evaluate", "info"):
        result = skdbn(command, model, *([path] if command != "info" else []))
        assert result.returncode == 0, (command, result.stderr)
    assert {"up", "down"} >= set(skdbn("predict", model, path).stdout.split()[1:])


@pytest.mark.parametrize(
    "content, message",
    [
        ("a,b,y\n1,2,3\n3,4,nan\n", "line 3, column 3 ('y'): 'nan' is not a finite"),
        ("y\n1\n2\n", "no feature column"),
    ],
)
def test_bad_targets_are_one_line_errors(workdir, content, message):
    path = workdir / "bad.csv"
    path.write_text(content)
    result = skdbn("fit", path, "-o", workdir / "bad.skops")
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_errors_from_training_and_output_are_one_line(workdir):
    data = _write_digits(workdir / "small.csv", n=60)
    result = skdbn("fit", data, "-o", workdir / "missing" / "m.skops")
    assert result.returncode == 2 and "does not exist" in result.stderr
    result = skdbn(
        "fit",
        data,
        "--model",
        "rbm",
        "--scale",
        "standard",
        "--pretrain-lr",
        "1000",
        "--quiet",
        "-o",
        workdir / "div.skops",
    )
    assert result.returncode == 2 and "--pretrain-lr 1000.0" in result.stderr
    assert "Traceback" not in result.stderr


def test_info_on_a_model_whose_pre_training_was_interrupted(workdir, capsys):
    # Ctrl-C in layer 1 leaves the layers above with empty curves; the model is
    # saved and `info` says so instead of failing on them.
    from skdbn import on_epoch
    from skdbn.cli import main

    data = _write_digits(workdir / "interrupt.csv", n=60, target=False)
    model = workdir / "interrupted.skops"

    def interrupt(event):
        if "layer 1" in event.stage:
            raise KeyboardInterrupt

    with on_epoch(interrupt):  # the CLI shows the warning after the bar
        args = ["fit", str(data), "--no-target", "--layers", "4,3", "-o", str(model)]
        assert main([*args, "--quiet"]) == 0
    assert "interrupted" in capsys.readouterr().err
    assert main(["info", str(model)]) == 0
    assert "pre-training layer 2: 0 epochs (interrupted)" in capsys.readouterr().out
