"""``skdbn evaluate``: score a model file on a CSV file with the target column."""

import numpy as np

from ._files import columns_matched, load_model, read_for_model
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
        table = read_for_model(args.data, meta, header=args.header)
        Xs = model[:-1].transform(table.data) if len(model) > 1 else table.data
        est = model[-1]
        error = np.mean(np.sum((est.inverse_transform(est.transform(Xs)) - Xs) ** 2, 1))
        print(f"rows                  {table.data.shape[0]}")
        print(f"reconstruction error  {error:.4f} (mean squared, summed over features)")
        return EXIT_OK
    table = read_for_model(args.data, meta, need_target=True, header=args.header)
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
