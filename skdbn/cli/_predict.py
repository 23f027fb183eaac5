"""``skdbn predict``: predict the rows of a CSV file with a model file."""

import csv
import itertools
import sys

from ._files import (
    check_output_folder,
    columns_matched,
    fmt,
    load_model,
    output_file,
    read_for_model,
    table_blocks,
)
from ._messages import EXIT_OK, UsageError
from ._options import add_csv_options


def add_parser(subparsers):
    predict = subparsers.add_parser("predict", help="predict the rows of a CSV file")
    predict.add_argument("model", metavar="MODEL")
    predict.add_argument("data", metavar="DATA.csv")
    predict.add_argument(
        "-o", "--output", metavar="OUT.csv", help="write here instead of stdout"
    )
    predict.add_argument(
        "--proba", action="store_true", help="class probabilities instead of labels"
    )
    add_csv_options(predict)
    predict.set_defaults(run=run)


def run(args):
    check_output_folder(args.output)
    model, meta = load_model(args.model)
    blocks = read_for_model(args.data, meta, header=args.header, read=table_blocks)
    with columns_matched():
        n_rows = _write(args, model, meta, blocks)
    if args.output not in (None, "-"):
        print(f"wrote {n_rows} rows to {args.output}", file=sys.stderr)
    return EXIT_OK


def _write(args, model, meta, blocks):
    """Predict block by block, writing each block's rows; the number of rows.

    The first block (a whole file of up to 64 MB) is read and predicted before
    anything is written, so its errors leave no output.
    """
    first = next(blocks)
    header, results = _results(args, model, meta, first)
    n_rows = 0
    with output_file(args.output) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for X in itertools.chain([first], blocks):
            writer.writerows(results(X, first=n_rows == 0))
            n_rows += X.shape[0]
    return n_rows


def _results(args, model, meta, first):
    """The output's header, and a function from a block of rows to its lines
    (``first=True``: the block already predicted to make the header)."""
    if meta["task"] is None:
        predict = model.transform
    elif args.proba:
        if meta["task"] != "classification":
            raise UsageError("--proba needs a classifier; this model is a regressor.")
        predict = model.predict_proba
    else:
        predict = model.predict
    out = predict(first)
    if meta["task"] is None:
        header = [f"h{j}" for j in range(out.shape[1])]
    elif args.proba:
        header = [f"p({c})" for c in model.classes_]
    else:
        header = [meta["target_name"] or "prediction"]

    def results(X, first=False):
        values = out if first else predict(X)
        if values.ndim == 1:
            return ([fmt(v)] for v in values)
        return ([fmt(v) for v in row] for row in values)

    return header, results
