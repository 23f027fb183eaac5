"""``skdbn evaluate``: score a model file on a CSV file with the target column."""

import numpy as np

from ._files import columns_matched, load_model, predicted_table
from ._messages import EXIT_OK
from ._options import add_csv_options


def add_parser(subparsers):
    evaluate = subparsers.add_parser(
        "evaluate", help="score a model on a CSV file with the target column"
    )
    evaluate.add_argument("model", metavar="MODEL")
    evaluate.add_argument("data", metavar="DATA.csv")
    add_csv_options(evaluate)
    evaluate.set_defaults(run=run)


def run(args):
    model, meta = load_model(args.model)
    with columns_matched():
        return _evaluate(model, meta, args)


def _evaluate(model, meta, args):
    if meta["task"] is None:
        n_rows, errors, _ = predicted_table(
            args.data, meta, lambda X: _squared_errors(model, X), header=args.header
        )
        print(f"rows                  {n_rows}")
        print(
            f"reconstruction error  {np.mean(errors):.4f} "
            "(mean squared, summed over features)"
        )
        return EXIT_OK
    _, pred, target = predicted_table(
        args.data, meta, model.predict, need_target=True, header=args.header
    )
    if meta["task"] == "classification":
        from sklearn.metrics import accuracy_score, classification_report

        y = (
            target.astype(model.classes_.dtype)
            if target.dtype.kind in "iuf"
            else target
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

        y = target.astype(float)
        print(f"rows  {len(y)}")
        # scikit-learn warns and returns NaN for one row; say why instead.
        r2 = f"{r2_score(y, pred):.4f}" if len(y) > 1 else "undefined for one row"
        print(f"R2    {r2}")
        print(f"MAE   {mean_absolute_error(y, pred):.4g}")
        print(f"RMSE  {root_mean_squared_error(y, pred):.4g}")
    return EXIT_OK


def _squared_errors(model, X):
    """Each row's squared reconstruction error, summed over features, of a
    generative pipeline (a scaler, then an RBM or a DBN)."""
    Xs = model[:-1].transform(X) if len(model) > 1 else X
    est = model[-1]
    return np.sum((est.inverse_transform(est.transform(Xs)) - Xs) ** 2, 1)
