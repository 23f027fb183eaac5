"""The commands' files: CSV tables matched to a model's columns, model files
with the command line's metadata, and output paths checked before the work."""

import contextlib
import csv
import sys
import warnings
from pathlib import Path

import numpy as np

from ..datasets import _csv_reader, load_csv
from ..datasets._csv import peek_columns
from ..datasets._csv_check import check_csv
from ..exceptions import CSVFormatError, UntrustedModelError
from ..io import load
from ._messages import UsageError, print_warnings, short

STREAM_BYTES = 64 * 2**20  # of CSV text per block read by table_blocks


def read_table(path, *, header="auto", target=None, columns=None):
    """:func:`skdbn.datasets.load_csv`, with its errors turned into UsageError."""
    try:
        return load_csv(path, target=target, header=header, columns=columns)
    except (FileNotFoundError, CSVFormatError) as exc:
        raise UsageError(str(exc)) from None


def read_checked(path, *, header="auto", target=None, columns=None):
    """:func:`read_table` after the fast reader failed: the checking reader's
    error found in one pass with bounded memory (a large file), or the file
    read whole by the checking reader when it has none."""
    try:
        check_csv(path, header=header, target=target, columns=columns)
    except (FileNotFoundError, CSVFormatError) as exc:
        raise UsageError(str(exc)) from None
    return read_table(path, header=header, target=target, columns=columns)


def table_blocks(path, *, header="auto", target=None, columns=None):
    """:func:`read_table`'s features, in blocks of at most ``STREAM_BYTES`` of
    the file, for commands that write each block's results before reading the
    next (``predict`` on a file of any size). ``target`` is not read.

    A generator: its errors (read_table's, naming the line) come when the
    block that holds the bad line is reached; a file of one block is read
    whole before the first block is given.
    """
    done = 0
    try:
        layout = _csv_reader.open_layout(
            path, header=header, columns=columns, target=target
        )
        for X, _, _ in _csv_reader.iter_blocks(layout, np.float64, STREAM_BYTES):
            if X.shape[0]:
                yield X
            done += X.shape[0]
        if not done:
            raise _csv_reader.FastPathError("no data rows")
    except _csv_reader.FastPathError:
        # The checking reader names the bad line, or reads the file itself.
        table = read_checked(path, header=header, target=target, columns=columns)
        if done < table.data.shape[0]:
            yield table.data[done:]


def predicted_table(path, meta, predict, *, need_target=False, header="auto"):
    """``(rows, predict(X) of every row, target or None)`` of a CSV read for a
    model (:func:`read_for_model`) in blocks: memory holds the results and the
    target, not the table (``evaluate``). A file the fast reader cannot read
    is read whole by :func:`read_table`, whose errors name the line."""

    def blocks(path, *, header, target=None, columns=None):
        layout = _csv_reader.open_layout(
            path, header=header, columns=columns, target=target
        )
        return layout, _csv_reader.iter_blocks(layout, np.float64, STREAM_BYTES)

    try:
        layout, parts = read_for_model(
            path, meta, need_target=need_target, header=header, read=blocks
        )
        results, cells = [], []
        for X, block_cells, _ in parts:
            if X.shape[0]:
                results.append(predict(X))
                cells.append(block_cells)
        if not results:
            raise _csv_reader.FastPathError("no data rows")
        y = None
        if need_target:
            y = _csv_reader.parse_target(np.concatenate(cells), layout)
        return sum(map(len, results)), np.concatenate(results), y
    except _csv_reader.FastPathError:
        table = read_for_model(
            path, meta, need_target=need_target, header=header, read=read_checked
        )
        return table.data.shape[0], predict(table.data), table.target


def first_row(path, header):
    """``(first row's cells, has_header)``, without reading the numbers."""
    try:
        return peek_columns(path, header=header)
    except (FileNotFoundError, CSVFormatError) as exc:
        raise UsageError(str(exc)) from None


def check_output_folder(path):
    """Fail before the work, not after it, when ``path``'s folder is missing."""
    if path in (None, "-"):
        return
    if Path(path).is_dir():
        raise UsageError(f"cannot write {path}: it is a folder.")
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {path}: the folder {folder} does not exist.")


def load_model(path):
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model, meta = load(path, return_metadata=True)
    except (FileNotFoundError, IsADirectoryError, UntrustedModelError) as exc:
        raise UsageError(str(exc)) from None
    print_warnings(caught, translate=False)  # another version wrote the file
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


def read_for_model(path, meta, *, need_target=False, header="auto", read=None):
    """Read a CSV for a fitted model: its feature columns, and the target column
    with ``need_target`` (predict never reads it, so it may be empty).

    With a header in the file and in the model's training file, columns are
    matched by name (in any order, other columns ignored); otherwise by position.
    ``read`` reads the columns found (:func:`read_table`, the default, or
    :func:`table_blocks`).
    """
    read = read or read_table
    first, has_header = first_row(path, header)
    named = _named_features(meta)
    if named and header == "auto" and set(meta["feature_names"]) <= set(first):
        has_header = True  # the model's header, even one of numbers (400,410,...)
    if named and has_header:
        return _read_by_name(path, meta, first, need_target, read)
    return _read_by_position(path, meta, len(first), has_header, need_target, read)


def _no_target(path, meta):
    n_features = len(meta["feature_names"])
    return UsageError(
        f"{path} has no target column: evaluate needs the {n_features} feature "
        f"columns and the target column {meta['target_name']!r}."
    )


def _read_by_name(path, meta, first, need_target, read):
    names, target = meta["feature_names"], meta["target_name"]
    missing = [name for name in names if name not in first]
    if missing:
        raise UsageError(
            f"{path} lacks {len(missing)} of the model's feature columns: "
            f"{short(missing)} (columns are matched by their header names: "
            "rename them, or delete the header line to match by position)."
        )
    if need_target and target not in first:
        raise _no_target(path, meta)
    return read(
        path, header="yes", target=target if need_target else None, columns=names
    )


def _read_by_position(path, meta, n_columns, has_header, need_target, read):
    n_features = len(meta["feature_names"])
    has_target = meta["target_name"] is not None
    header = "yes" if has_header else "no"
    if n_columns == n_features + 1 and has_target:
        # The target column is no feature (a text label, or empty for predict).
        t = meta["target_column"]
        columns = [j for j in range(n_columns) if j != t]
        target = t if need_target else None
        return read(path, header=header, target=target, columns=columns)
    if n_columns == n_features:
        if need_target:
            raise _no_target(path, meta)
        return read(path, header=header, target=None)
    expected = f"{n_features}" + (
        f" (or {n_features + 1} with the target column {meta['target_name']!r})"
        if has_target
        else ""
    )
    raise UsageError(
        f"{path} has {n_columns} columns, but the model was trained on {expected}."
    )


@contextlib.contextmanager
def columns_matched():
    """Silence scikit-learn's warning that an array has no feature names: the
    commands hand a model arrays whose columns :func:`read_for_model` has
    already matched to the model's, by name where both have them."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "X does not have valid feature names", UserWarning
        )
        yield


@contextlib.contextmanager
def output_file(path):
    """A text handle on ``path`` (stdout for None or '-'), written to a
    temporary file renamed at the end: an error or Ctrl-C half-way leaves
    no file."""
    if path in (None, "-"):
        yield sys.stdout
        return
    tmp = Path(path).with_name(f".{Path(path).name}.tmp")
    try:
        with open(tmp, "w", newline="") as handle:
            yield handle
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_csv(path, header, rows):
    if path in (None, "-"):
        target = contextlib.nullcontext(sys.stdout)
    else:
        target = open(path, "w", newline="")  # noqa: SIM115 (closed by with)
    with target as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def fmt(value):
    """The shortest text that reads back as the same value in its dtype (NumPy's
    str of a float32 or float64 scalar); labels and integers as they are."""
    return str(value)
