"""The ``skdbn`` command, run as a subprocess on CSV files the tests write."""

import shutil
import subprocess
import sys
import warnings
import zipfile

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


def _write_digits(path, n=400, header=True, target=True, order=None, label=None):
    """The digits as CSV; ``order`` permutes the 65 columns (target = 64),
    ``label`` replaces every target cell."""
    X, y = load_digits(return_X_y=True)
    names = [f"p{i}" for i in range(64)] + (["digit"] if target else [])
    order = order or range(len(names))
    with open(path, "w") as f:
        if header:
            f.write(",".join(names[j] for j in order) + "\n")
        for row, digit in zip(X[:n].astype(int), y[:n], strict=True):
            cells = [str(v) for v in row]
            if target:
                cells.append(str(digit) if label is None else label)
            f.write(",".join(cells[j] for j in order) + "\n")
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


@pytest.mark.filterwarnings(  # a model from a CSV with a header, given an array
    "ignore:X does not have valid feature names:UserWarning"
)
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


@pytest.mark.filterwarnings(  # a model from a CSV with a header, given an array
    "ignore:X does not have valid feature names:UserWarning"
)
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
    # Predictions are written to full precision (not 6 digits: 103.457).
    result = skdbn("predict", workdir / "reg.skops", path)
    assert result.returncode == 0, result.stderr
    written = np.array([float(v) for v in result.stdout.split()[1:]])
    expected = load(workdir / "reg.skops").predict(X)
    np.testing.assert_allclose(written, expected, rtol=1e-13)
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
    # Gaussian units: 'auto' pre-trains the first layer at the smaller rate.
    assert fitted[-1].visible_units == "gaussian"
    assert fitted[-1].rbm_learning_rate == "auto"
    for command in ("predict", "evaluate", "info"):
        result = skdbn(command, model, *([path] if command != "info" else []))
        assert result.returncode == 0, (command, result.stderr)
    predicted = skdbn("predict", model, path).stdout.split()
    assert predicted[0] == "label" and len(predicted) == 1 + len(labels)
    assert {"up", "down"} >= set(predicted[1:])


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


def _write_regression(path, targets):
    with open(path, "w") as f:
        f.write("a,b,y\n")
        for i, target in enumerate(targets):
            f.write(f"{i / 10},{1 - i / 10},{target!r}\n")
    return path


def test_regression_on_one_row_is_refused_and_scored_as_undefined(workdir):
    # sklearn's R2 is NaN with a raw UndefinedMetricWarning for one row.
    one = _write_regression(workdir / "one_row.csv", [1.5])
    result = skdbn("fit", one, "-o", workdir / "one_row.skops")
    assert result.returncode == 2, result.stdout
    assert "single data row; regression needs at least two" in result.stderr
    assert "Warning" not in result.stderr and "nan" not in result.stdout
    assert not (workdir / "one_row.skops").exists()
    # Classification refuses one row too (a single class).
    single = workdir / "one_label.csv"
    single.write_text("a,b,y\n0.1,0.2,3\n")
    result = skdbn("fit", single, "-o", workdir / "one_label.skops")
    assert result.returncode == 2 and "single value" in result.stderr
    # evaluate on one row: R2 is named undefined, not printed as nan.
    model = workdir / "small_reg.skops"
    data = _write_regression(workdir / "small_reg.csv", [1.5, 2.5, 0.5, 4.0])
    options = ["--layers", "4", "--pretrain-epochs", "1", "--epochs", "2", "--quiet"]
    assert skdbn("fit", data, "-o", model, *options).returncode == 0
    result = skdbn("evaluate", model, one)
    assert result.returncode == 0, result.stderr
    assert "R2    undefined for one row" in result.stdout
    assert "Warning" not in result.stderr


def test_targets_too_large_to_standardise_are_named(workdir):
    # Finite, but their squares overflow float64: StandardScaler made them NaN
    # and the error was "Input y contains NaN".
    data = _write_regression(workdir / "huge.csv", [1e300, 2e300, 3e300, 5e299])
    result = skdbn("fit", data, "-o", workdir / "huge.skops", "--quiet")
    assert result.returncode == 2
    assert "target column 'y' holds values too large" in result.stderr
    assert "divide it by 1e300" in result.stderr
    assert "NaN" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args, flag",
    [
        (["sample", "m.skops", "-n", "0"], "-n"),
        (["sample", "m.skops", "--steps", "-1"], "--steps"),
        (["fit", "d.csv", "--epochs", "0"], "--epochs"),
        (["fit", "d.csv", "--threads", "x"], "--threads"),
    ],
)
def test_counts_below_one_name_the_flag_as_typed(args, flag):
    result = skdbn(*args)
    assert result.returncode == 2
    assert f"skdbn {args[0]}: error: argument {flag}: " in result.stderr
    assert f"usage: skdbn {args[0]} " in result.stderr  # the subcommand's usage
    assert "--n " not in result.stderr


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
    # A diverged fit is a degenerate model: its own exit code, no file.
    assert result.returncode == 3 and "--pretrain-lr 1000.0" in result.stderr
    assert "diverged" in result.stderr and not (workdir / "div.skops").exists()
    assert "Traceback" not in result.stderr


def _interrupt_at(stage, epoch):
    """An on_epoch callback: Ctrl-C at the end of ``epoch`` of ``stage``."""

    def interrupt(event):
        if stage in event.stage and event.epoch == epoch:
            raise KeyboardInterrupt

    return interrupt


def test_ctrl_c_before_fine_tuning_writes_nothing(workdir, capsys):
    # Ctrl-C in pre-training used to save an untrained classifier, exit 0,
    # over a good model: now nothing is written and the exit code is 130.
    from skdbn import on_epoch
    from skdbn.cli import main

    data = _write_digits(workdir / "ctrl_c.csv", n=60)
    model = workdir / "ctrl_c.skops"
    model.write_bytes(b"a good model")
    args = ["fit", str(data), "--layers", "8,4", "--pretrain-epochs", "3"]
    with on_epoch(_interrupt_at("layer 1", 2)):
        assert main([*args, "--quiet", "-o", str(model)]) == 130
    assert model.read_bytes() == b"a good model"
    err = capsys.readouterr().err
    assert "interrupted before training was complete" in err
    assert "nothing was written" in err and "Traceback" not in err
    # During fine-tuning (the last stage) it keeps the last complete epoch.
    # (Two epochs on 60 rows may leave one class for all: keep it anyway.)
    with on_epoch(_interrupt_at("fine-tuning", 3)):
        assert main([*args, "--quiet", "--allow-degenerate", "-o", str(model)]) == 0
    assert load(model)[-1].n_iter_ == 2
    assert "fine-tuning interrupted by the user" in capsys.readouterr().err


def test_info_on_a_model_whose_pre_training_was_interrupted(workdir, capsys):
    # Ctrl-C in layer 1 leaves the layers above with empty curves; `skdbn fit`
    # writes no such model, but `info` describes one saved from Python.
    from sklearn.pipeline import Pipeline

    from skdbn import DBNTransformer, on_epoch
    from skdbn.cli import main
    from skdbn.io import save

    X = load_digits().data[:60] / 16
    with on_epoch(_interrupt_at("layer 1", 1)), pytest.warns(UserWarning):
        dbn = DBNTransformer((4, 3), rbm_n_iter=2).fit(X)
    model = workdir / "interrupted.skops"
    names = [f"x{j}" for j in range(64)]
    meta = dict(feature_names=names, target_name=None, target_column=None, task=None)
    meta.update(trained_on="-", n_samples=60, fit_seconds=0, created="-")
    save(Pipeline([("model", dbn)]), model, metadata=meta)
    assert main(["info", str(model)]) == 0
    assert "pre-training layer 2: 0 epochs (interrupted)" in capsys.readouterr().out


def test_columns_are_matched_by_header_name(fitted, workdir):
    # The same named columns in another order (target first, features
    # reversed) give the same predictions; they used to be taken by position.
    data, model, _ = fitted
    expected = skdbn("predict", model, data).stdout
    order = [64, *range(63, -1, -1)]
    shuffled = _write_digits(workdir / "shuffled.csv", order=order)
    assert skdbn("predict", model, shuffled).stdout == expected
    accuracy = skdbn("evaluate", model, data).stdout.split("accuracy")[1].split()[0]
    result = skdbn("evaluate", model, shuffled)
    assert result.stdout.split("accuracy")[1].split()[0] == accuracy
    # A missing name is one line naming it.
    text = shuffled.read_text().replace("p17,", "q17,", 1)
    result = skdbn("predict", model, _bad(workdir, "renamed.csv", text))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "lacks 1 of the model's feature columns: p17" in result.stderr


@pytest.mark.parametrize("label", ["", "nan"])
def test_predict_ignores_an_empty_target_column(fitted, workdir, label):
    data, model, _ = fitted
    expected = skdbn("predict", model, data).stdout
    blank = _write_digits(workdir / "blank.csv", label=label)
    result = skdbn("predict", model, blank)
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected
    headless = _write_digits(workdir / "blank_nohdr.csv", header=False, label=label)
    result = skdbn("predict", model, headless)
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected


def test_header_of_numbers_above_text_labels(workdir):
    # Wavelengths as feature names: no text above a number, but the header row
    # is neither a training sample nor a row to predict.
    rng = np.random.RandomState(0)
    X = rng.rand(60, 3)
    labels = np.where(X[:, 0] > 0.5, "high", "low")
    rows = [",".join(f"{v:.3f}" for v in x) for x in X]
    train = workdir / "spectra.csv"
    train.write_text(
        "400,410,420,species\n"
        + "".join(f"{r},{c}\n" for r, c in zip(rows, labels, strict=True))
    )
    model = workdir / "spectra.skops"
    args = ["--layers", "4", "--pretrain-epochs", "1", "--epochs", "5", "--quiet"]
    result = skdbn("fit", train, "-o", model, *args)
    assert result.returncode == 0, result.stderr
    assert "60 rows, 3 features, target 'species'" in result.stderr
    assert list(load(model).classes_) == ["high", "low"]
    new = _bad(workdir, "spectra_new.csv", "400,410,420\n" + "\n".join(rows[:5]))
    lines = skdbn("predict", model, new).stdout.splitlines()
    assert lines[0] == "species" and len(lines) == 6


def test_sample_images_draw_every_sample_in_any_matplotlib_format(
    workdir, monkeypatch, capsys
):
    pytest.importorskip("matplotlib")
    from skdbn import plotting
    from skdbn.cli import main

    data = _write_digits(workdir / "gen150.csv", n=100, header=False, target=False)
    model = workdir / "gen150.skops"
    fit = ["fit", data, "--no-target", "--layers", "8", "--pretrain-epochs", "1"]
    assert skdbn(*fit, "-o", model, "--quiet").returncode == 0
    # The grid said 150 samples but drew 100 of them.
    figures, plot_samples = [], plotting.plot_samples

    def spy(*args, **kwargs):
        figures.append(plot_samples(*args, **kwargs))
        return figures[-1]

    monkeypatch.setattr(plotting, "plot_samples", spy)
    args = ["sample", str(model), "-n", "150", "--steps", "2"]
    assert main([*args, "-o", str(workdir / "s.png")]) == 0
    assert "grid of 150 samples" in capsys.readouterr().err
    assert [t.get_text() for t in figures[0].texts] == ["150 samples"]
    # A .jpg is a JPEG image, not CSV text; an unknown suffix is refused.
    result = skdbn("sample", model, "-n", 3, "--steps", 2, "-o", workdir / "s.jpg")
    assert result.returncode == 0, result.stderr
    assert (workdir / "s.jpg").read_bytes()[:2] == b"\xff\xd8"
    result = skdbn("sample", model, "-n", 3, "-o", workdir / "s.xyz")
    assert result.returncode == 2 and "nor an image format" in result.stderr


def test_messages_name_the_options_not_the_parameters(workdir):
    data = _write_digits(workdir / "opts.csv", n=60)
    result = skdbn("fit", data, "--learning-rate", "-1", "-o", workdir / "o.skops")
    assert result.returncode == 2, result.stderr
    assert "The --learning-rate option must be" in result.stderr
    assert "learning_rate_init" not in result.stderr
    args = ["--layers", "4", "--pretrain-epochs", "1", "--epochs", "1", "--quiet"]
    result = skdbn("fit", data, *args, "-o", workdir / "o.skops")
    assert result.returncode == 0, result.stderr
    assert "increase --epochs" in result.stderr and "max_iter" not in result.stderr
    # A class of one row with --early-stopping: its label, not a one-hot row.
    text = data.read_text().rstrip("\n")
    lone = _bad(workdir, "lone.csv", text[: text.rindex(",")] + ",42\n")
    result = skdbn("fit", lone, "--early-stopping", *args, "-o", workdir / "o.skops")
    assert result.returncode == 2 and "these have one: 42" in result.stderr


def test_warnings_are_printed_once_in_the_order_raised(capsys):
    from skdbn.cli._messages import print_warnings as _print_warnings

    messages = [f"message {i} about max_iter={i}" for i in (5, 3, 8, 1, 9, 2, 7, 3)]
    _print_warnings([warnings.WarningMessage(m, UserWarning, "", 0) for m in messages])
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        f"warning: message {i} about --epochs {i}" for i in (5, 3, 8, 1, 9, 2, 7)
    ]


def test_damaged_model_files_are_one_line_errors(fitted, workdir):
    data, model, _ = fitted
    truncated = workdir / "truncated.skops"
    truncated.write_bytes(model.read_bytes()[:5000])
    damaged = workdir / "damaged.skops"
    with zipfile.ZipFile(model) as src, zipfile.ZipFile(damaged, "w") as dst:
        dropped = next(n for n in src.namelist() if n.endswith(".npy"))
        for item in src.infolist():
            if item.filename != dropped:
                dst.writestr(item, src.read(item.filename))
    (workdir / "folder.skops").mkdir(exist_ok=True)
    for path, message in [
        (truncated, "truncated.skops is damaged or not a skdbn model file"),
        (
            damaged,
            f"damaged.skops is damaged or not a skdbn model file (There is no "
            f"item named '{dropped}'",
        ),
        (workdir / "folder.skops", "folder.skops is a folder, not a model file"),
    ]:
        for args in (["info", path], ["predict", path, data]):
            result = skdbn(*args)
            assert result.returncode == 2 and message in result.stderr, result.stderr
            assert "Traceback" not in result.stderr


def test_info_names_an_rbms_loss_reconstruction_error(workdir):
    data = _write_digits(workdir / "rbm.csv", n=60)
    model = workdir / "rbm.skops"
    args = ["--model", "rbm", "--layers", "8", "--pretrain-epochs", "2", "--quiet"]
    assert skdbn("fit", data, *args, "-o", model).returncode == 0
    out = skdbn("info", model).stdout
    assert "training: 2 epochs, final reconstruction error" in out


def test_option_names_replace_parameters_only_in_estimator_messages(workdir, capsys):
    """A file or a column called max_iter keeps its name in messages."""
    from skdbn.cli import main

    folder = workdir / "early_stopping"
    folder.mkdir(exist_ok=True)
    assert main(["fit", str(folder / "max_iter.csv")]) == 2
    assert "early_stopping/max_iter.csv" in capsys.readouterr().err
    bad = _bad(folder, "runs.csv", "a,batch_size,y\n1,2,0\n1,x,1\n")
    assert main(["fit", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "column 2 ('batch_size'): 'x' is not a number" in err, err
    good = _bad(folder, "good.csv", "a,batch_size,y\n1,2,0\n1,3,1\n0,2,0\n1,1,1\n")
    assert main(["fit", str(good), "--learning-rate", "-1", "--quiet"]) == 2
    assert "The --learning-rate option must be" in capsys.readouterr().err


def test_ctrl_c_in_a_pipelines_first_step_stops_the_next(workdir, capsys):
    """--model rbm: the logistic regression after an interrupted RBM used to
    train in full before the model was thrown away."""
    from skdbn import on_epoch
    from skdbn.cli import main

    data = _write_digits(workdir / "rbm_ctrl_c.csv", n=100)
    seen = []

    def interrupt(event):
        seen.append(event.estimator)
        if event.estimator == "RBMTransformer" and event.epoch == 2:
            raise KeyboardInterrupt

    args = ["fit", str(data), "--model", "rbm", "--layers", "8", "--quiet"]
    with on_epoch(interrupt):
        assert main([*args, "-o", str(workdir / "rbm_ctrl_c.skops")]) == 130
    assert seen.count("RBMTransformer") == 2
    assert seen.count("LogisticRegressionGD") <= 1
    assert not (workdir / "rbm_ctrl_c.skops").exists()
    capsys.readouterr()


def test_models_from_a_header_check_a_data_frames_columns(fitted, workdir):
    pd = pytest.importorskip("pandas")
    data, model, _ = fitted
    pipeline = load(model)
    assert list(pipeline.feature_names_in_) == [f"p{i}" for i in range(64)]
    frame = pd.read_csv(data).drop(columns="digit")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "fitted without feature names"
        expected = pipeline.predict(frame)
    with pytest.raises(ValueError, match="feature names should match"):
        pipeline.predict(frame[frame.columns[::-1]])
    # The commands match columns themselves and pass arrays: no warning either.
    result = skdbn("predict", model, data)
    assert result.returncode == 0 and "feature names" not in result.stderr
    assert result.stdout.split()[1:] == [str(v) for v in expected]
    # Without a header there are no names to keep.
    headless = _write_digits(workdir / "headless.csv", n=100, header=False)
    args = ["--layers", "8", "--pretrain-epochs", "1", "--epochs", "5", "--quiet"]
    result = skdbn("fit", headless, *args, "-o", workdir / "headless.skops")
    assert result.returncode == 0, result.stderr
    assert not hasattr(load(workdir / "headless.skops"), "feature_names_in_")


def test_validation_score_is_reported_and_kept(workdir):
    data = _write_digits(workdir / "val.csv", n=200)
    out = workdir / "val.skops"
    args = ["--layers", "16", "--pretrain-epochs", "2", "--epochs", "30", "--quiet"]
    result = skdbn("fit", data, *args, "--validation-fraction", "0.25", "-o", out)
    assert result.returncode == 0, result.stderr
    assert "training accuracy" in result.stdout
    shown = float(result.stdout.split("validation accuracy")[1].split()[0])
    model = load(out)
    assert shown == pytest.approx(model[-1].best_validation_score_, abs=1e-4)
    assert model[-1].validation_fraction == 0.25 and model[-1].early_stopping
    info = skdbn("info", out).stdout
    assert f"validation accuracy  {shown:.4f} (held-out rows)" in info
    assert "training accuracy" in info
    result = skdbn("fit", data, "--validation-fraction", "1", "-o", out)
    assert result.returncode == 2 and "must be between 0 and 1" in result.stderr


def test_a_single_class_model_exits_3_unless_allowed(workdir):
    # Constant features: the best any classifier can do is one class for all.
    path = workdir / "constant.csv"
    rows = [f"0.5,0.5,{int(i % 5 == 0)}" for i in range(60)]
    path.write_text("a,b,label\n" + "\n".join(rows) + "\n")
    out = workdir / "constant.skops"
    args = ["--layers", "4", "--pretrain-epochs", "1", "--epochs", "5", "--quiet"]
    result = skdbn("fit", path, *args, "-o", out)
    assert result.returncode == 3, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("skdbn fit: the model predicts the single class 0 ")
    assert "--allow-degenerate" in line and not out.exists()
    result = skdbn("fit", path, *args, "--allow-degenerate", "-o", out)
    assert result.returncode == 0, result.stderr
    assert out.exists() and "training accuracy    0.8000" in result.stdout
