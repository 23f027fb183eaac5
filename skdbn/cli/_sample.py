"""``skdbn sample``: generate rows (CSV or an image grid) from an RBM or DBN."""

import math
import sys
from pathlib import Path

import numpy as np

from ._files import check_output_folder, fmt, load_model, write_csv
from ._messages import EXIT_OK, UsageError
from ._options import count, shape

MAX_IMAGES = 400
CSV_SUFFIXES = ("", ".csv", ".txt", ".tsv", ".dat")


def add_parser(subparsers):
    sample = subparsers.add_parser("sample", help="generate rows from an RBM or DBN")
    sample.add_argument("model", metavar="MODEL")
    sample.add_argument("-n", type=count, default=10, help="number of samples")
    sample.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="OUT.csv, or an image grid: OUT.png, .pdf, .svg, .jpg or any format "
        "matplotlib writes (default: CSV on stdout)",
    )
    sample.add_argument("--steps", type=count, default=1000, help="Gibbs steps")
    sample.add_argument("--image-shape", type=shape, metavar="ROWS,COLS")
    sample.add_argument("--random-state", type=int, default=0)
    sample.set_defaults(run=run)


def run(args):
    check_output_folder(args.output)
    model, meta = load_model(args.model)
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
    rows = ([fmt(v) for v in row] for row in V)
    write_csv(out, meta["feature_names"], rows)
    if out not in (None, "-"):
        print(f"wrote {args.n} samples to {out}", file=sys.stderr)
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
    from .. import plotting

    return plotting
