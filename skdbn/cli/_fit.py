"""``skdbn fit``: train a model on a CSV file and save it with its columns."""

import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import Ridge
from sklearn.metrics import accuracy_score, r2_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from threadpoolctl import threadpool_limits

from .. import (
    DBNClassifier,
    DBNRegressor,
    DBNTransformer,
    LogisticRegressionGD,
    RBMTransformer,
    on_epoch,
    to_device,
)
from .._progress import Progress, planned_epochs, rbm_epochs
from .._training import stop_after_interruption
from ..io import save
from ._cache import install_scaler, memory_size, prescaled, training_table
from ._device import check_device, device_data
from ._files import check_output_folder
from ._messages import (
    EXIT_DEGENERATE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    UsageError,
    print_warnings,
    short,
)
from ._options import add_csv_options, count, fraction, layers


def add_parser(subparsers):
    fit = subparsers.add_parser(
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
    add_csv_options(fit)
    _add_model_options(fit)
    _add_training_options(fit)
    _add_cache_options(fit)
    fit.add_argument("--quiet", action="store_true", help="no progress bar")
    fit.set_defaults(run=run)


def _add_model_options(fit):
    """The network and its training: layers, epochs, rates, scaling."""
    fit.add_argument(
        "--layers",
        type=layers,
        metavar="N,N,...",
        help="hidden layer sizes (default 256,128; rbm: hidden units)",
    )
    fit.add_argument(
        "--epochs", type=count, metavar="N", help="fine-tuning epochs (max)"
    )
    fit.add_argument(
        "--pretrain-epochs", type=count, metavar="N", help="RBM epochs per layer"
    )
    fit.add_argument(
        "--learning-rate", type=float, metavar="LR", help="fine-tuning learning rate"
    )
    fit.add_argument(
        "--pretrain-lr",
        type=float,
        metavar="LR",
        help="RBM learning rate (default: the model's 'auto', which follows the "
        "visible unit type)",
    )
    fit.add_argument(
        "--batch-size", type=count, metavar="N", help="fine-tuning mini-batch size"
    )
    fit.add_argument(
        "--early-stopping",
        action="store_true",
        help="hold out 10%% of the rows and stop when their score stalls",
    )
    fit.add_argument(
        "--validation-fraction",
        type=fraction,
        metavar="F",
        help="hold out this share of the rows (0 < F < 1), stop when their score "
        "stalls and report it (implies --early-stopping)",
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


def _add_training_options(fit):
    """How the run goes: its seed and its threads."""
    fit.add_argument("--random-state", type=int, default=0)
    fit.add_argument(
        "--allow-degenerate",
        action="store_true",
        help="write the model even when it predicts a single class for every "
        "training row (otherwise: no file, exit code 3)",
    )
    fit.add_argument(
        "--threads",
        type=count,
        default=None,
        metavar="N",
        help="BLAS threads (default: the BLAS library's own choice; 1 is often "
        "fastest for small data or on a busy machine)",
    )
    fit.add_argument(
        "--device",
        choices=("cpu", "cuda", "mps"),
        help="train on this PyTorch device (needs PyTorch); the saved model is "
        "NumPy's either way",
    )


def _add_cache_options(fit):
    """Files larger than memory: the float32 cache (see ``_cache``)."""
    fit.add_argument(
        "--memory-limit",
        type=memory_size,
        metavar="SIZE",
        help="train from a float32 cache of the CSV, memory-mapped, when its "
        "table as float64 would exceed SIZE (e.g. 2G; default: a quarter of the "
        "available memory)",
    )
    fit.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="folder of the cache (default: the CSV's folder)",
    )
    fit.add_argument(
        "--no-cache",
        action="store_true",
        help="convert a large CSV to a temporary file, removed after the run",
    )


def run(args):
    output = Path(args.output or Path(args.data).with_suffix(".skops").name)
    check_output_folder(output)
    check_device(args.device)  # before a long read of the data
    table = training_table(args)
    task = _checked_task(table, args)
    model = prescaled(_build_model(args, task, table.data.shape[1]), table)
    y = None if task is None else table.target
    print(
        f"{table.path.name}: {table.data.shape[0]} rows, {table.data.shape[1]} features"
        + (f", target {table.target_name!r} ({task})" if task else ", no target"),
        file=sys.stderr,
    )
    X, context = device_data(args.device, table.data)
    with context:
        seconds = _train(
            model,
            X,
            y,
            total_epochs=planned_epochs(model, table.data.shape[0]),
            quiet=args.quiet,
            threads=args.threads,
            progress=table.progress,
        )
    if args.device is not None:
        model = to_device(model)  # NumPy again: scored and saved as usual
    untrained = _untrained_part(model, table.data.shape[0])
    if untrained is not None:
        # Ctrl-C before the model was whole: keep whatever file is at `output`.
        print(
            f"skdbn fit: interrupted before training was complete ({untrained}); "
            f"nothing was written to {output}.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    metadata = _metadata(args, table, task, seconds)
    problem = None
    if task is not None:
        pred = model.predict(table.data)
        metadata.update(_scores(model, table.target, pred, task))
        problem = _degenerate(pred, task)
    if problem is not None and not args.allow_degenerate:
        print(
            f"skdbn fit: {problem}; nothing was written to {output} "
            "(--allow-degenerate writes it anyway).",
            file=sys.stderr,
        )
        return EXIT_DEGENERATE
    install_scaler(model, table)
    _name_features(model, table)
    save(model, output, metadata=metadata)
    _report(args, model, table, task, metadata, seconds, output)
    return EXIT_OK


def _checked_task(table, args):
    """The task (None without a target), once its target suits it."""
    task = None if table.target is None else _infer_task(table.target, args.task)
    if task == "classification" and np.unique(table.target).size < 2:
        raise UsageError(
            f"the target column {table.target_name!r} has a single value; "
            "classification needs at least two classes."
        )
    if task == "classification" and (args.early_stopping or args.validation_fraction):
        _check_stratifiable(table.target)
    if task == "regression":
        _check_regression_target(table)
    return task


def _metadata(args, table, task, seconds):
    """What the other commands need to know of the training file and run."""
    return {
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


def _scores(model, y, pred, task):
    """The training score and, after early stopping, the held-out rows' score
    (of the weights kept, the best), as the metadata stores them."""
    if task == "classification":
        scores = {"training_score": float(accuracy_score(y, pred))}
    else:
        scores = {"training_score": float(r2_score(y, pred))}
    final = model.steps[-1][1]
    final = getattr(final, "regressor_", final)  # TransformedTargetRegressor
    if getattr(final, "best_validation_score_", None) is not None:
        scores["validation_score"] = float(final.best_validation_score_)
    return scores


def _degenerate(pred, task):
    """Why a model that trained to the end is no model, or None: one class for
    every training row, or predictions that are not numbers."""
    if task == "classification" and np.unique(pred).size == 1:
        return f"the model predicts the single class {pred[0]} for every training row"
    if task == "regression" and not np.all(np.isfinite(pred)):
        return "the model's predictions are not finite (training diverged)"
    return None


def _name_features(model, table):
    """Give the pipeline the header's column names, as a fit on a data frame
    with these columns would (scikit-learn keeps them on the first step, where
    ``Pipeline.feature_names_in_`` reads them), so that the model checks the
    columns of a data frame given to it in Python. skdbn reads CSV files
    without a data-frame library; the commands match columns by name
    themselves (:func:`._files.read_for_model`)."""
    if not table.has_header or len(set(table.feature_names)) < len(table.feature_names):
        return
    first = model.steps[0][1]
    names = np.asarray(table.feature_names, dtype=object)
    first.feature_names_in_ = names
    if hasattr(first, "regressor_"):  # TransformedTargetRegressor: both, as its fit
        first.regressor_.feature_names_in_ = names


def _report(args, model, table, task, metadata, seconds, output):
    """The summary on stdout after saving."""
    final = model.steps[-1][1]
    print(f"model      {type(final).__name__} ({args.model}), scaling: {args.scale}")
    print(f"trained    {table.data.shape[0]} rows in {seconds:.1f} s")
    what = {"classification": "accuracy", "regression": "R2"}.get(task)
    if task == "classification":
        print(f"classes    {len(final.classes_)}: {short(final.classes_)}")
    if what is not None:
        print(f"training {what:<8}    {metadata['training_score']:.4f}")
    if "validation_score" in metadata:
        print(f"validation {what:<8}  {metadata['validation_score']:.4f}")
    print(f"saved      {output}")


def _train(model, X, y, *, total_epochs, quiet, threads=None, progress=None):
    """Fit with a progress bar (``progress``: one that showed the conversion
    pass); warnings are collected and shown after it."""
    if progress is None:
        progress = Progress(total_epochs, enabled=not quiet)
    else:
        progress.set_total(total_epochs)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        try:
            # A stage cut short by Ctrl-C returns normally (a DBN skips its
            # other layers itself); a pipeline would train its next step in
            # full and then be thrown away: that step ends at its first epoch.
            with (
                on_epoch(progress),
                stop_after_interruption(),
                threadpool_limits(threads),
            ):
                if y is None:
                    model.fit(X)
                else:
                    model.fit(X, y)
        finally:
            progress.close()
    print_warnings(caught)
    return time.perf_counter() - start


def _infer_task(y, requested):
    if requested != "auto":
        if requested == "regression" and y.dtype.kind not in "iuf":
            raise UsageError("--task regression needs a numeric target column.")
        return requested
    if y.dtype.kind in "OUS" or (y.dtype.kind in "iu" and np.unique(y).size <= 20):
        return "classification"
    return "regression"


def _build_model(args, task, n_features):
    """The pipeline ``fit`` trains: a scaler, then the chosen model."""
    rs = args.random_state
    units = "gaussian" if args.scale == "standard" else "bernoulli"
    pretrain_lr = args.pretrain_lr
    given = lambda **kw: {k: v for k, v in kw.items() if v is not None}  # noqa: E731
    pre = given(rbm_n_iter=args.pretrain_epochs, rbm_learning_rate=pretrain_lr)
    tune = given(
        max_iter=args.epochs,
        learning_rate_init=args.learning_rate,
        batch_size=args.batch_size,
    )
    if args.early_stopping or args.validation_fraction is not None:
        tune["early_stopping"] = True
    if args.validation_fraction is not None:
        tune["validation_fraction"] = args.validation_fraction
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
        # The DBNs' pre-training defaults, not BernoulliRBM's (the estimator's).
        auto = dict(n_iter="auto", learning_rate="auto", batch_size="auto")
        rbm = RBMTransformer(
            n,
            visible_units=units,
            random_state=rs,
            **{**auto, **given(n_iter=args.pretrain_epochs, learning_rate=pretrain_lr)},
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
    """Early stopping holds out a stratified share: each class needs 2 rows."""
    labels, counts = np.unique(y, return_counts=True)
    single = labels[counts < 2]
    if single.size:
        raise UsageError(
            "--early-stopping and --validation-fraction hold out a stratified "
            "share of the rows, so every class needs at least 2 rows; these have "
            f"one: {short(single)}."
        )


def _stages(model, n_samples):
    """``(stage, epochs run, epochs planned)`` of each training stage, in order,
    for a fit on ``n_samples`` rows."""
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
            planned = rbm_epochs(
                params["rbm_n_iter"], params["rbm_batch_size"], n_samples
            )
            yield f"{name} pre-training layer {i + 1}", len(curve), planned
        if hasattr(step, "components_"):  # RBMTransformer
            planned = rbm_epochs(params["n_iter"], params["batch_size"], n_samples)
            yield f"{name} training", len(step.loss_curve_), planned
        elif "max_iter" in params:
            stage = "fine-tuning" if hasattr(step, "coefs_") else "training"
            yield f"{name} {stage}", step.n_iter_, params["max_iter"]


def _untrained_part(model, n_samples):
    """What a fit stopped by Ctrl-C left untrained, or None when nothing.

    Every stage but the last must have run all its epochs; the last (fine-tuning,
    or a generative model's last layer) may stop early, keeping its last
    complete epoch, but must have completed one.
    """
    stages = list(_stages(model, n_samples))
    for i, (stage, done, planned) in enumerate(stages):
        if done < (1 if i == len(stages) - 1 else planned):
            return f"{stage} ran {done} of {planned} epochs"
    return None
