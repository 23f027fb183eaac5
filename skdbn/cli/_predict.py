"""``skdbn predict``: predict the rows of a CSV file with a model file."""

import sys

from ._files import (
    check_output_folder,
    columns_matched,
    fmt,
    load_model,
    read_for_model,
    write_csv,
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
    table = read_for_model(args.data, meta, header=args.header)
    with columns_matched():
        header, rows = _results(model, meta, table, args.proba)
    write_csv(args.output, header, rows)
    if args.output not in (None, "-"):
        print(f"wrote {table.data.shape[0]} rows to {args.output}", file=sys.stderr)
    return EXIT_OK


def _results(model, meta, table, proba):
    """The output's header and its rows (formatted lazily, as they are written)."""
    if meta["task"] is None:
        H = model.transform(table.data)
        header = [f"h{j}" for j in range(H.shape[1])]
        rows = ([fmt(v) for v in row] for row in H)
    elif proba:
        if meta["task"] != "classification":
            raise UsageError("--proba needs a classifier; this model is a regressor.")
        P = model.predict_proba(table.data)
        header = [f"p({c})" for c in model.classes_]
        rows = ([fmt(v) for v in row] for row in P)
    else:
        pred = model.predict(table.data)
        header = [meta["target_name"] or "prediction"]
        rows = ([fmt(v)] for v in pred)
    return header, rows
