"""Loaders for local data sets and small generators; nothing here downloads."""

from ._generators import make_xor
from ._idx import load_idx, load_mnist

__all__ = ["load_idx", "load_mnist", "make_xor"]
