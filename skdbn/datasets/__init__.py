"""Loaders for local data sets and small generators; nothing here downloads."""

from ._csv import CSVFormatError, load_csv
from ._digits import load_nudged_digits
from ._generators import make_bars_and_stripes, make_xor
from ._idx import load_idx, load_mnist

__all__ = [
    "CSVFormatError",
    "load_csv",
    "load_idx",
    "load_mnist",
    "load_nudged_digits",
    "make_bars_and_stripes",
    "make_xor",
]
