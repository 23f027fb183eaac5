"""Option types and options that several commands share."""

import argparse


def count(text):
    """A positive int option (``-n``, ``--epochs``...): argparse names the flag
    and prints the subcommand's usage line when it is not one."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def fraction(text):
    """A share strictly between 0 and 1 (``--validation-fraction``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def layers(text):
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


def shape(text):
    sizes = layers(text)
    if len(sizes) != 2:
        raise argparse.ArgumentTypeError(f"expected ROWS,COLS, got {text!r}")
    return sizes


def add_csv_options(parser):
    parser.add_argument(
        "--header",
        choices=["auto", "yes", "no"],
        default="auto",
        help="whether the first row names the columns (default: detect)",
    )
