"""The ``skdbn`` command: demo, fit, predict, evaluate, sample, info.

Every user error (a missing file, a malformed CSV, an unknown column, a file that
is not a skdbn model or is damaged, a bad option value, a diverging fit, a folder
that does not exist) is reported as one line on stderr with exit code 2, never a
traceback (option errors follow argparse's usage line); messages and warnings
name the command's options (``--epochs``), not the estimators' parameters. CSV
files are read by :func:`skdbn.datasets.load_csv`, model files written and read
by :mod:`skdbn.io` (skops' secure format), and training reports its epochs to the
progress bar through :func:`skdbn.on_epoch`.
"""

import argparse
import contextlib
import math
import os
import re
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from . import __version__

EXIT_OK, EXIT_USAGE, EXIT_INTERRUPTED = 0, 2, 130
# RBM learning rate with --scale standard (Gaussian visible units): the
# estimators' defaults are for [0, 1] data, and unit-variance inputs want a rate
# 10-100 times smaller (user guide, "Practical advice").
GAUSSIAN_PRETRAIN_LR = 0.005
# `skdbn sample` draws at most this many images (a larger figure is unwieldy).
MAX_IMAGES = 400
# Output suffixes written as CSV by `skdbn sample`; others must be image formats.
CSV_SUFFIXES = ("", ".csv", ".txt", ".tsv", ".dat")


class UsageError(Exception):
    """A mistake the user can fix: reported in one line, exit code 2."""


def read_table(path, *, header="auto", target=None, columns=None):
    """:func:`skdbn.datasets.load_csv`, with its errors turned into UsageError."""
    from .datasets import CSVFormatError, load_csv

    try:
        return load_csv(path, target=target, header=header, columns=columns)
    except (FileNotFoundError, CSVFormatError) as exc:
        raise UsageError(str(exc)) from None


def _first_row(path, header):
    """``(first row's cells, has_header)``, without reading the numbers."""
    from .datasets._csv import CSVFormatError, peek_columns

    try:
        return peek_columns(path, header=header)
    except (FileNotFoundError, CSVFormatError) as exc:
        raise UsageError(str(exc)) from None


def _check_output_folder(path):
    """Fail before the work, not after it, when ``path``'s folder is missing."""
    if path in (None, "-"):
        return
    if Path(path).is_dir():
        raise UsageError(f"cannot write {path}: it is a folder.")
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {path}: the folder {folder} does not exist.")


# ---------------------------------------------------------------- progress bar
class Progress:
    """An :func:`skdbn.on_epoch` callback that drives one tqdm bar.

    The bar spans every stage of the fit (each pre-training layer, then
    fine-tuning); its description names the current stage and its postfix the
    last epoch's loss. Without tqdm it prints one line per finished stage.
    """

    def __init__(self, total, *, enabled=True, file=None):
        self.file = file or sys.stderr
        self.total, self.enabled = total, enabled
        self.stage, self.bar, self.epochs = None, None, 0
        if enabled and total > 0:
            try:
                from tqdm.auto import tqdm
            except ImportError:  # pragma: no cover - tqdm is a dependency
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(
                    total=total, unit="epoch", file=self.file, dynamic_ncols=True
                )

    def __call__(self, event):
        self.epochs += 1
        name = f"{event.estimator} {event.stage}"
        if name != self.stage:
            self._stage_done()
            self.stage = name
            if self.bar is not None:
                self.bar.set_description(name)
        self.last = event
        if self.bar is not None:
            postfix = {"loss": f"{event.loss:.4g}"}
            if event.validation_score is not None:
                postfix["val"] = f"{event.validation_score:.4f}"
            self.bar.set_postfix(postfix, refresh=False)
            self.bar.update(1)

    def _stage_done(self):
        if self.enabled and self.total and self.bar is None and self.stage:
            print(
                f"{self.stage}: {self.last.epoch} epochs, loss {self.last.loss:.4g}",
                file=self.file,
            )

    def close(self):
        if self.bar is not None:
            self.bar.total = self.epochs  # stopping rules may end a stage early
            self.bar.refresh()
            self.bar.close()
        else:
            self._stage_done()


def _train(model, X, y, *, total_epochs, quiet, threads=None):
    """Fit with a progress bar; warnings are collected and shown after it."""
    from threadpoolctl import threadpool_limits

    from . import on_epoch
    from ._training import Interrupted

    progress = Progress(total_epochs, enabled=not quiet)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        def stop_after_an_interrupted_stage(event):
            # A stage cut short by Ctrl-C returns normally (a DBN skips its
            # other layers itself); a pipeline would train its next step in
            # full and then be thrown away: end that step at its first epoch.
            if any(issubclass(w.category, Interrupted) for w in caught):
                raise KeyboardInterrupt

        try:
            with (
                on_epoch(progress),
                on_epoch(stop_after_an_interrupted_stage),
                threadpool_limits(threads),
            ):
                if y is None:
                    model.fit(X)
                else:
                    model.fit(X, y)
        finally:
            progress.close()
    _print_warnings(caught)
    return time.perf_counter() - start


def _print_warnings(caught, translate=True):
    """Each distinct warning once, in the order raised; the estimators' in the
    CLI's terms (``translate``)."""
    for message in dict.fromkeys(str(w.message) for w in caught):
        print(
            f"warning: {_in_cli_terms(message) if translate else message}",
            file=sys.stderr,
        )


# ---------------------------------------------------------------- models
def _planned_epochs(model):
    """Upper bound on the epochs a fit of ``model`` runs (the bar's total)."""
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        return sum(_planned_epochs(step) for _, step in model.steps)
    if hasattr(model, "regressor"):  # TransformedTargetRegressor
        return _planned_epochs(model.regressor)
    params = model.get_params(deep=False) if hasattr(model, "get_params") else {}
    total = 0
    if "rbm_n_iter" in params and params.get("pretrain", True):
        total += params["rbm_n_iter"] * len(np.atleast_1d(params["hidden_layer_sizes"]))
    if "n_components" in params and "n_iter" in params:
        total += params["n_iter"]
    if "max_iter" in params and type(model).__module__.startswith("skdbn"):
        total += params["max_iter"]
    return total


def _count(text):
    """A positive int option (``-n``, ``--epochs``...): argparse names the flag
    and prints the subcommand's usage line when it is not one."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _layers(text):
    try:
        sizes = tuple(int(s) for s in text.replace(" ", "").split(",") if s)
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            "expected positive integers separated by commas, e.g. 256,128; "
            f"got {text!r}"
        )
    return sizes


def _build_model(args, task, n_features):
    """The pipeline ``fit`` trains: a scaler, then the chosen model."""
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    from . import (
        DBNClassifier,
        DBNRegressor,
        DBNTransformer,
        LogisticRegressionGD,
        RBMTransformer,
    )

    rs = args.random_state
    units = "gaussian" if args.scale == "standard" else "bernoulli"
    pretrain_lr = args.pretrain_lr
    if units == "gaussian" and pretrain_lr is None:
        pretrain_lr = GAUSSIAN_PRETRAIN_LR  # the estimators' defaults suit [0, 1]
    given = lambda **kw: {k: v for k, v in kw.items() if v is not None}  # noqa: E731
    pre = given(rbm_n_iter=args.pretrain_epochs, rbm_learning_rate=pretrain_lr)
    tune = given(
        max_iter=args.epochs,
        learning_rate_init=args.learning_rate,
        batch_size=args.batch_size,
    )
    if args.early_stopping:
        tune["early_stopping"] = True
    steps = []
    if args.model == "logistic":
        if task != "classification":
            raise UsageError(
                "--model logistic needs a classification target; use --model dbn "
                "for regression or for data without a target."
            )
        steps.append(("model", LogisticRegressionGD(random_state=rs, **tune)))
    elif args.model == "rbm":
        n = args.layers[0] if args.layers else 256
        rbm = RBMTransformer(
            n,
            visible_units=units,
            random_state=rs,
            **given(n_iter=args.pretrain_epochs, learning_rate=pretrain_lr),
        )
        steps.append(("rbm", rbm))
        if task == "classification":
            steps.append(("model", LogisticRegressionGD(random_state=rs, **tune)))
        elif task == "regression":
            steps.append(("model", Ridge(alpha=1.0)))
    else:
        layers = {"hidden_layer_sizes": args.layers} if args.layers else {}
        common = dict(visible_units=units, random_state=rs, **layers, **pre)
        if task is None:
            steps.append(("model", DBNTransformer(**common)))
        else:
            cls = DBNClassifier if task == "classification" else DBNRegressor
            extra = {"pretrain": False} if args.no_pretrain else {}
            model = cls(**common, **tune, **extra)
            if task == "regression":
                # Targets in their own units (prices, counts): the network
                # learns standardised ones, predictions come back in those units.
                model = TransformedTargetRegressor(model, transformer=StandardScaler())
            steps.append(("model", model))
    scalers = {"minmax": MinMaxScaler(clip=True), "standard": StandardScaler()}
    if args.scale in scalers:
        steps.insert(0, ("scale", scalers[args.scale]))
    return Pipeline(steps)


def _infer_task(y, requested):
    if requested != "auto":
        if requested == "regression" and y.dtype.kind not in "iuf":
            raise UsageError("--task regression needs a numeric target column.")
        return requested
    if y.dtype.kind in "OUS" or (y.dtype.kind in "iu" and np.unique(y).size <= 20):
        return "classification"
    return "regression"


# ---------------------------------------------------------------- commands
def _fit(args):
    from .io import save

    output = Path(args.output or Path(args.data).with_suffix(".skops").name)
    _check_output_folder(output)
    table = read_table(
        args.data, header=args.header, target=None if args.no_target else args.target
    )
    task = None if table.target is None else _infer_task(table.target, args.task)
    if task == "classification" and np.unique(table.target).size < 2:
        raise UsageError(
            f"the target column {table.target_name!r} has a single value; "
            "classification needs at least two classes."
        )
    if task == "classification" and args.early_stopping:
        _check_stratifiable(table.target)
    if task == "regression":
        _check_regression_target(table)
    model = _build_model(args, task, table.data.shape[1])
    y = None if task is None else table.target
    print(
        f"{table.path.name}: {table.data.shape[0]} rows, {table.data.shape[1]} features"
        + (f", target {table.target_name!r} ({task})" if task else ", no target"),
        file=sys.stderr,
    )
    seconds = _train(
        model,
        table.data,
        y,
        total_epochs=_planned_epochs(model),
        quiet=args.quiet,
        threads=args.threads,
    )
    untrained = _untrained_part(model)
    if untrained is not None:
        # Ctrl-C before the model was whole: keep whatever file is at `output`.
        print(
            f"skdbn fit: interrupted before training was complete ({untrained}); "
            f"nothing was written to {output}.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    metadata = {
        "task": task,
        "kind": args.model,
        "feature_names": table.feature_names,
        "target_name": table.target_name,
        "target_column": table.target_column,
        "n_columns": table.n_columns,
        "has_header": table.has_header,
        "scale": args.scale,
        "trained_on": str(table.path.name),
        "n_samples": int(table.data.shape[0]),
        "fit_seconds": round(seconds, 2),
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    if task is not None:
        metadata["training_score"] = float(model.score(table.data, table.target))
    save(model, output, metadata=metadata)
    final = model.steps[-1][1]
    print(f"model      {type(final).__name__} ({args.model}), scaling: {args.scale}")
    print(f"trained    {table.data.shape[0]} rows in {seconds:.1f} s")
    if task == "classification":
        print(f"classes    {len(final.classes_)}: {_short(final.classes_)}")
        print(f"training accuracy  {metadata['training_score']:.4f}")
    elif task == "regression":
        print(f"training R2        {metadata['training_score']:.4f}")
    print(f"saved      {output}")
    return EXIT_OK


def _check_regression_target(table):
    """Refuse a regression target that the pipeline cannot standardise or score:
    a single row (R2 is undefined for one), or values whose squares overflow
    float64 (StandardScaler's variance becomes inf or NaN, and so do the scaled
    targets, which the estimator then reports as "Input y contains NaN")."""
    y = table.target.astype(np.float64)
    if y.size < 2:
        raise UsageError(
            f"{table.path.name} has a single data row; regression needs at least "
            "two (its training score, R2, is undefined for one)."
        )
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum((y - y.mean()) ** 2)
    if not np.isfinite(total):
        largest = np.max(np.abs(y))
        raise UsageError(
            f"the target column {table.target_name!r} holds values too large for "
            f"float64 arithmetic (up to {largest:.3g}): their squares overflow, so "
            "they cannot be standardised. Scale the column down (divide it by "
            f"1e{int(np.log10(largest))}, say) and multiply the predictions back."
        )


def _check_stratifiable(y):
    """--early-stopping holds out a stratified share: each class needs 2 rows."""
    labels, counts = np.unique(y, return_counts=True)
    single = labels[counts < 2]
    if single.size:
        raise UsageError(
            "--early-stopping holds out a stratified 10% of the rows, so every "
            f"class needs at least 2 rows; these have one: {_short(single)}."
        )


def _stages(model):
    """``(stage, epochs run, epochs planned)`` of each training stage, in order."""
    for _, step in model.steps:
        step = getattr(step, "regressor_", step)  # TransformedTargetRegressor
        if not type(step).__module__.startswith("skdbn"):
            continue  # scalers, ridge: no epochs
        params = step.get_params(deep=False)
        name = type(step).__name__
        curves = getattr(step, "pretraining_curves_", None) or []
        if hasattr(step, "rbms_"):  # DBNTransformer
            curves = [rbm.loss_curve_ for rbm in step.rbms_]
        for i, curve in enumerate(curves):
            yield f"{name} pre-training layer {i + 1}", len(curve), params["rbm_n_iter"]
        if hasattr(step, "components_"):  # RBMTransformer
            yield f"{name} training", len(step.loss_curve_), params["n_iter"]
        elif "max_iter" in params:
            stage = "fine-tuning" if hasattr(step, "coefs_") else "training"
            yield f"{name} {stage}", step.n_iter_, params["max_iter"]


def _untrained_part(model):
    """What a fit stopped by Ctrl-C left untrained, or None when nothing.

    Every stage but the last must have run all its epochs; the last (fine-tuning,
    or a generative model's last layer) may stop early, keeping its last
    complete epoch, but must have completed one.
    """
    stages = list(_stages(model))
    for i, (stage, done, planned) in enumerate(stages):
        if done < (1 if i == len(stages) - 1 else planned):
            return f"{stage} ran {done} of {planned} epochs"
    return None


def _short(values, n=10):
    values = [str(v) for v in values]
    return ", ".join(values[:n]) + (", ..." if len(values) > n else "")


def _load(path):
    from .io import UntrustedModelError, load

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model, meta = load(path, return_metadata=True)
    except (FileNotFoundError, IsADirectoryError, UntrustedModelError) as exc:
        raise UsageError(str(exc)) from None
    _print_warnings(caught, translate=False)  # another version wrote the file
    # The commands need what `skdbn fit` stores: a pipeline and its column info.
    needed = ("feature_names", "target_name", "target_column", "task")
    if not hasattr(model, "steps") or any(key not in meta for key in needed):
        raise UsageError(
            f"{path} holds a {type(model).__name__} saved without the command "
            "line's metadata; the skdbn commands read models written by "
            "`skdbn fit`. Load it in Python with skdbn.io.load instead."
        )
    return model, meta


def _named_features(meta):
    """Whether the model's feature names come from a header (then columns are
    matched by name). Files from before 'has_header' was stored: the names
    differ from the generated x0, x1, ..."""
    names = meta["feature_names"]
    if len(set(names)) != len(names):
        return False
    if "has_header" in meta:
        return bool(meta["has_header"])
    return names != [f"x{j}" for j in range(len(names))]


def _read_for_model(path, meta, *, need_target=False, header="auto"):
    """Read a CSV for a fitted model: its feature columns, and the target column
    with ``need_target`` (predict never reads it, so it may be empty).

    With a header in the file and in the model's training file, columns are
    matched by name (in any order, other columns ignored); otherwise by position.
    """
    first, has_header = _first_row(path, header)
    named = _named_features(meta)
    if named and header == "auto" and set(meta["feature_names"]) <= set(first):
        has_header = True  # the model's header, even one of numbers (400,410,...)
    if named and has_header:
        return _read_by_name(path, meta, first, need_target)
    return _read_by_position(path, meta, len(first), has_header, need_target)


def _no_target(path, meta):
    n_features = len(meta["feature_names"])
    return UsageError(
        f"{path} has no target column: evaluate needs the {n_features} feature "
        f"columns and the target column {meta['target_name']!r}."
    )


def _read_by_name(path, meta, first, need_target):
    names, target = meta["feature_names"], meta["target_name"]
    missing = [name for name in names if name not in first]
    if missing:
        raise UsageError(
            f"{path} lacks {len(missing)} of the model's feature columns: "
            f"{_short(missing)} (columns are matched by their header names: "
            "rename them, or delete the header line to match by position)."
        )
    if need_target and target not in first:
        raise _no_target(path, meta)
    return read_table(
        path, header="yes", target=target if need_target else None, columns=names
    )


def _read_by_position(path, meta, n_columns, has_header, need_target):
    n_features = len(meta["feature_names"])
    has_target = meta["target_name"] is not None
    header = "yes" if has_header else "no"
    if n_columns == n_features + 1 and has_target:
        # The target column is no feature (a text label, or empty for predict).
        t = meta["target_column"]
        columns = [j for j in range(n_columns) if j != t]
        target = t if need_target else None
        return read_table(path, header=header, target=target, columns=columns)
    if n_columns == n_features:
        if need_target:
            raise _no_target(path, meta)
        return read_table(path, header=header, target=None)
    expected = f"{n_features}" + (
        f" (or {n_features + 1} with the target column {meta['target_name']!r})"
        if has_target
        else ""
    )
    raise UsageError(
        f"{path} has {n_columns} columns, but the model was trained on {expected}."
    )


def _write_csv(path, header, rows):
    import csv

    if path in (None, "-"):
        target = contextlib.nullcontext(sys.stdout)
    else:
        target = open(path, "w", newline="")  # noqa: SIM115 (closed by with)
    with target as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _fmt(value):
    """The shortest text that reads back as the same value in its dtype (NumPy's
    str of a float32 or float64 scalar); labels and integers as they are."""
    return str(value)


def _predict(args):
    _check_output_folder(args.output)
    model, meta = _load(args.model)
    table = _read_for_model(args.data, meta, header=args.header)
    if meta["task"] is None:
        H = model.transform(table.data)
        header = [f"h{j}" for j in range(H.shape[1])]
        rows = ([_fmt(v) for v in row] for row in H)
    elif args.proba:
        if meta["task"] != "classification":
            raise UsageError("--proba needs a classifier; this model is a regressor.")
        P = model.predict_proba(table.data)
        header = [f"p({c})" for c in model.classes_]
        rows = ([_fmt(v) for v in row] for row in P)
    else:
        pred = model.predict(table.data)
        header = [meta["target_name"] or "prediction"]
        rows = ([_fmt(v)] for v in pred)
    _write_csv(args.output, header, rows)
    if args.output not in (None, "-"):
        print(f"wrote {table.data.shape[0]} rows to {args.output}", file=sys.stderr)
    return EXIT_OK


def _evaluate(args):
    model, meta = _load(args.model)
    if meta["task"] is None:
        table = _read_for_model(args.data, meta, header=args.header)
        Xs = model[:-1].transform(table.data) if len(model) > 1 else table.data
        est = model[-1]
        error = np.mean(np.sum((est.inverse_transform(est.transform(Xs)) - Xs) ** 2, 1))
        print(f"rows                  {table.data.shape[0]}")
        print(f"reconstruction error  {error:.4f} (mean squared, summed over features)")
        return EXIT_OK
    table = _read_for_model(args.data, meta, need_target=True, header=args.header)
    pred = model.predict(table.data)
    if meta["task"] == "classification":
        from sklearn.metrics import accuracy_score, classification_report

        y = (
            table.target.astype(model.classes_.dtype)
            if table.target.dtype.kind in "iuf"
            else table.target
        )
        print(f"rows      {len(y)}")
        print(f"accuracy  {accuracy_score(y, pred):.4f}\n")
        print(classification_report(y, pred, digits=4, zero_division=0))
    else:
        from sklearn.metrics import (
            mean_absolute_error,
            r2_score,
            root_mean_squared_error,
        )

        y = table.target.astype(float)
        print(f"rows  {len(y)}")
        # scikit-learn warns and returns NaN for one row; say why instead.
        r2 = f"{r2_score(y, pred):.4f}" if len(y) > 1 else "undefined for one row"
        print(f"R2    {r2}")
        print(f"MAE   {mean_absolute_error(y, pred):.4g}")
        print(f"RMSE  {root_mean_squared_error(y, pred):.4g}")
    return EXIT_OK


def _generative_part(model):
    """(index of the generative step, that step), or a UsageError."""
    for i, (_, step) in enumerate(model.steps):
        if hasattr(step, "sample"):
            return i, step
    name = type(model.steps[-1][1]).__name__
    raise UsageError(
        f"this model ({name}) cannot generate data: fine-tuning makes a DBN "
        "discriminative. Fit a generative model with `skdbn fit DATA.csv --no-target` "
        "(a DBN of the features alone) or `--model rbm`."
    )


def _sample(args):
    _check_output_folder(args.output)
    model, meta = _load(args.model)
    index, generator = _generative_part(model)
    out = args.output
    image = out not in (None, "-") and Path(out).suffix.lower() not in CSV_SUFFIXES
    if image:
        _check_image_format(out)
    V = generator.sample(args.n, n_steps=args.steps, random_state=args.random_state)
    for _, step in reversed(model.steps[:index]):
        V = step.inverse_transform(V)
    if image:
        side = int(round(np.sqrt(V.shape[1])))
        shape = args.image_shape or (
            (side, side) if side * side == V.shape[1] else None
        )
        if shape is None or shape[0] * shape[1] != V.shape[1]:
            given = (
                f"--image-shape {shape[0]},{shape[1]} makes {shape[0] * shape[1]} "
                "pixels; "
                if args.image_shape
                else ""
            )
            raise UsageError(
                f"cannot draw {V.shape[1]} features as images: {given}pass "
                "--image-shape ROWS,COLS with ROWS * COLS = "
                f"{V.shape[1]}, or write CSV (-o samples.csv)."
            )
        drawn = min(args.n, MAX_IMAGES)
        fig = _plotting().plot_samples(
            V,
            image_shape=shape,
            n_samples=drawn,
            n_cols=max(10, math.ceil(math.sqrt(drawn))),
        )
        fig.savefig(out, dpi=100)
        what = f"{drawn} samples" if drawn == args.n else f"the first {drawn} samples"
        print(f"wrote an image grid of {what} to {out}", file=sys.stderr)
        if drawn < args.n:
            print(
                f"note: an image shows at most {MAX_IMAGES} samples; write CSV "
                f"(-o samples.csv) for all {args.n}.",
                file=sys.stderr,
            )
        return EXIT_OK
    rows = ([_fmt(v) for v in row] for row in V)
    _write_csv(out, meta["feature_names"], rows)
    if out not in (None, "-"):
        print(f"wrote {args.n} samples to {out}", file=sys.stderr)
    return EXIT_OK


def _check_image_format(out):
    """Image formats are those matplotlib writes; CSV_SUFFIXES are written as CSV."""
    _plotting()
    from matplotlib.backend_bases import FigureCanvasBase

    formats = FigureCanvasBase.get_supported_filetypes()
    suffix = Path(out).suffix.lower()
    if suffix.lstrip(".") not in formats:
        raise UsageError(
            f"cannot write {out}: {suffix} is neither CSV "
            f"({', '.join(s for s in CSV_SUFFIXES if s)}) nor an image format "
            f"matplotlib writes ({', '.join(sorted(formats))})."
        )


def _plotting():
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        raise UsageError(
            "image output needs matplotlib: pip install matplotlib"
        ) from None
    from . import plotting

    return plotting


def _info(args):
    from .io import audit

    model, meta = _load(args.model)
    final = model.steps[-1][1]
    print(
        f"file          {args.model} (skops format; {len(audit(args.model)[0])} "
        "types, all trusted)"
    )
    print(f"model         {' -> '.join(type(s).__name__ for _, s in model.steps)}")
    print(f"task          {meta['task'] or 'unsupervised'}")
    names = meta["feature_names"]
    print(f"features      {len(names)}: {_short(names, 8)}")
    if meta["target_name"] is not None:
        name, index = meta["target_name"], meta["target_column"]
        print(f"target        {name!r} (column index {index})")
    if hasattr(final, "classes_"):
        print(f"classes       {_short(final.classes_)}")
    for name, step in model.steps:
        if hasattr(step, "regressor_"):  # the CLI standardises regression targets
            print(f"  {name:<10}  {type(step).__name__}: standardised targets")
            name, step = "", step.regressor_
        params = step.get_params(deep=False)
        keys = [
            k
            for k in ("hidden_layer_sizes", "n_components", "visible_units")
            if k in params
        ]
        desc = ", ".join(f"{k}={params[k]}" for k in keys)
        print(f"  {name:<10}  {type(step).__name__}({desc})")
        curves = getattr(step, "pretraining_curves_", None)
        if hasattr(step, "rbms_"):  # DBNTransformer: every layer is an RBM
            curves = [rbm.loss_curve_ for rbm in step.rbms_]
        for i, c in enumerate(curves or []):
            error = f", reconstruction error {c[-1]:.4g}" if c else " (interrupted)"
            print(f"    pre-training layer {i + 1}: {len(c)} epochs{error}")
        curve = getattr(step, "loss_curve_", None)
        if curve:
            # An RBM's curve is its reconstruction error, not a training loss.
            what = "reconstruction error" if hasattr(step, "components_") else "loss"
            print(f"    training: {len(curve)} epochs, final {what} {curve[-1]:.4g}")
    print(
        f"trained on    {meta['trained_on']} ({meta['n_samples']} rows, "
        f"{meta['fit_seconds']} s, {meta['created']})"
    )
    if "training_score" in meta:
        what = "accuracy" if meta["task"] == "classification" else "R2"
        print(f"training {what}  {meta['training_score']:.4f}")
    print(f"skdbn         written by {meta.get('skdbn_version', __version__)}")
    return EXIT_OK


def _demo(args):
    from .demo import run_demo

    return run_demo(
        output=None if args.no_figures else args.output,
        random_state=args.random_state,
        quiet=args.quiet,
    )


# ---------------------------------------------------------------- parser
def _shape(text):
    sizes = _layers(text)
    if len(sizes) != 2:
        raise argparse.ArgumentTypeError(f"expected ROWS,COLS, got {text!r}")
    return sizes


def _add_csv_options(parser):
    parser.add_argument(
        "--header",
        choices=["auto", "yes", "no"],
        default="auto",
        help="whether the first row names the columns (default: detect)",
    )


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skdbn",
        description="Restricted Boltzmann Machines and Deep Belief Networks for "
        "scikit-learn users.",
        epilog="Run `skdbn COMMAND -h` for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"skdbn {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo", help="train a DBN on built-in digits and compare with baselines"
    )
    demo.add_argument(
        "--output",
        default="skdbn-demo",
        metavar="DIR",
        help="folder for the figures (default: ./skdbn-demo)",
    )
    demo.add_argument("--no-figures", action="store_true", help="write no figures")
    demo.add_argument("--random-state", type=int, default=0)
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(func=_demo)

    fit = commands.add_parser(
        "fit", help="train a model on a CSV file (target in the last column)"
    )
    fit.add_argument("data", metavar="DATA.csv")
    fit.add_argument(
        "-o",
        "--output",
        metavar="MODEL",
        help="model file to write (default: DATA.skops here)",
    )
    fit.add_argument(
        "--model",
        choices=["dbn", "rbm", "logistic"],
        default="dbn",
        help="dbn: pre-trained, fine-tuned network (default); rbm: RBM "
        "features + logistic regression; logistic: logistic regression",
    )
    target = fit.add_mutually_exclusive_group()
    target.add_argument(
        "--target",
        default="-1",
        metavar="COLUMN",
        help="target column: a header name or a 0-based index, "
        "negative from the end (default: -1, the last)",
    )
    target.add_argument(
        "--no-target",
        action="store_true",
        help="every column is a feature: fit an unsupervised, generative model",
    )
    fit.add_argument(
        "--task",
        choices=["auto", "classification", "regression"],
        default="auto",
        help="default: classification for text labels "
        "or at most 20 distinct integers, else regression",
    )
    _add_csv_options(fit)
    fit.add_argument(
        "--layers",
        type=_layers,
        metavar="N,N,...",
        help="hidden layer sizes (default 256,128; rbm: hidden units)",
    )
    fit.add_argument(
        "--epochs", type=_count, metavar="N", help="fine-tuning epochs (max)"
    )
    fit.add_argument(
        "--pretrain-epochs", type=_count, metavar="N", help="RBM epochs per layer"
    )
    fit.add_argument(
        "--learning-rate", type=float, metavar="LR", help="fine-tuning learning rate"
    )
    fit.add_argument(
        "--pretrain-lr",
        type=float,
        metavar="LR",
        help=f"RBM learning rate (default: the model's; {GAUSSIAN_PRETRAIN_LR} with "
        "--scale standard)",
    )
    fit.add_argument(
        "--batch-size", type=_count, metavar="N", help="fine-tuning mini-batch size"
    )
    fit.add_argument(
        "--early-stopping",
        action="store_true",
        help="hold out 10%% of the rows and stop when their score stalls",
    )
    fit.add_argument(
        "--no-pretrain",
        action="store_true",
        help="skip RBM pre-training (the ablation)",
    )
    fit.add_argument(
        "--scale",
        choices=["minmax", "standard", "none"],
        default="minmax",
        help="feature scaling (default: minmax to [0, 1], as Bernoulli units expect)",
    )
    fit.add_argument("--random-state", type=int, default=0)
    fit.add_argument(
        "--threads",
        type=_count,
        default=None,
        metavar="N",
        help="BLAS threads (default: the BLAS library's own choice; 1 is often "
        "fastest for small data or on a busy machine)",
    )
    fit.add_argument("--quiet", action="store_true", help="no progress bar")
    fit.set_defaults(func=_fit)

    predict = commands.add_parser("predict", help="predict the rows of a CSV file")
    predict.add_argument("model", metavar="MODEL")
    predict.add_argument("data", metavar="DATA.csv")
    predict.add_argument(
        "-o", "--output", metavar="OUT.csv", help="write here instead of stdout"
    )
    predict.add_argument(
        "--proba", action="store_true", help="class probabilities instead of labels"
    )
    _add_csv_options(predict)
    predict.set_defaults(func=_predict)

    evaluate = commands.add_parser(
        "evaluate", help="score a model on a CSV file with the target column"
    )
    evaluate.add_argument("model", metavar="MODEL")
    evaluate.add_argument("data", metavar="DATA.csv")
    _add_csv_options(evaluate)
    evaluate.set_defaults(func=_evaluate)

    sample = commands.add_parser("sample", help="generate rows from an RBM or DBN")
    sample.add_argument("model", metavar="MODEL")
    sample.add_argument("-n", type=_count, default=10, help="number of samples")
    sample.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="OUT.csv, or an image grid: OUT.png, .pdf, .svg, .jpg or any format "
        "matplotlib writes (default: CSV on stdout)",
    )
    sample.add_argument("--steps", type=_count, default=1000, help="Gibbs steps")
    sample.add_argument("--image-shape", type=_shape, metavar="ROWS,COLS")
    sample.add_argument("--random-state", type=int, default=0)
    sample.set_defaults(func=_sample)

    info = commands.add_parser("info", help="describe a model file")
    info.add_argument("model", metavar="MODEL")
    info.set_defaults(func=_info)
    return parser


# The estimators' parameters that `skdbn fit` sets, as its options. RBMTransformer
# (--model rbm) calls its rate learning_rate and its epochs n_iter; the CLI never
# sets the fine-tuning schedule that DBNClassifier calls learning_rate.
_OPTIONS = {
    "learning_rate_init": "--learning-rate",
    "rbm_learning_rate": "--pretrain-lr",
    "learning_rate": "--pretrain-lr",
    "rbm_n_iter": "--pretrain-epochs",
    "n_iter": "--pretrain-epochs",
    "max_iter": "--epochs",
    "batch_size": "--batch-size",
    "hidden_layer_sizes": "--layers",
    "n_components": "--layers",
    "early_stopping": "--early-stopping",
}
# The estimators' advice that names a parameter without a value.
_PHRASES = {
    "increase max_iter or relax tol": "increase --epochs",
    "a smaller learning_rate_init": "a smaller --learning-rate",
    "more max_iter": "more --epochs",
    "pretrain=True": "pre-training (leave out --no-pretrain)",
}
_NAMES = "|".join(sorted(_OPTIONS, key=len, reverse=True))
# "The 'max_iter' parameter of DBNClassifier must be" -> "The --epochs option must be"
_PARAMETER = re.compile(rf"'({_NAMES})' parameter of \w+")
# "learning_rate_init=0.5" -> "--learning-rate 0.5"; only the `name=` form, so
# that a file or column called max_iter keeps its name.
_ASSIGNED = re.compile(rf"\b({_NAMES})=")


def _in_cli_terms(exc):
    """An estimator's error or warning with the options of `skdbn fit` in place
    of its parameter names (which the user never typed); the CLI's own errors
    (UsageError: paths, column names) as they are."""
    if isinstance(exc, UsageError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    message = _PARAMETER.sub(lambda m: f"{_OPTIONS[m[1]]} option", str(exc))
    for phrase, replacement in _PHRASES.items():
        message = message.replace(phrase, replacement)
    return _ASSIGNED.sub(lambda m: _OPTIONS[m[1]] + " ", message)


def main(argv=None):
    """Run the ``skdbn`` command; returns the exit code (0 success, 2 a user
    error, 130 interrupted by Ctrl-C). A Ctrl-C during the last stage of
    training (fine-tuning; a generative model's last layer) keeps the last
    complete epoch and ``fit`` saves the model; a Ctrl-C before that stage has
    completed an epoch writes no model file and returns 130. Options that
    argparse itself rejects (an unknown option, a value of the wrong type or out
    of range) raise ``SystemExit(2)`` after argparse's usage line, as in any
    argparse program."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # e.g. `skdbn predict ... | head` (before OSError)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print(f"skdbn {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (UsageError, ValueError, OSError) as exc:
        # Bad values in the data or the options, a diverging fit, a file that
        # cannot be written: one line the user can act on.
        print(f"skdbn {args.command}: error: {_in_cli_terms(exc)}", file=sys.stderr)
        return EXIT_USAGE


__all__ = ["Progress", "UsageError", "build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
