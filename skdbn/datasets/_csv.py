"""CSV files of features with a target column, checked cell by cell."""

import csv
import re
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ..exceptions import CSVFormatError


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


SNIFF_BYTES = 8192  # the text the delimiter is detected from


def sniff_delimiter(sample):
    """The delimiter of a CSV file whose first ``SNIFF_BYTES`` are ``sample``
    (comma, semicolon or tab; comma when it cannot tell)."""
    try:
        return csv.Sniffer().sniff(sample, ",;\t").delimiter
    except csv.Error:
        return ","


def _read_rows(path, delimiter, limit=None):
    """The non-empty rows as ``(line number, stripped cells)``; the first
    ``limit`` of them when given."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            if delimiter is None:
                delimiter = sniff_delimiter(f.read(SNIFF_BYTES))
                f.seek(0)
            reader = csv.reader(f, delimiter=delimiter, skipinitialspace=True)
            rows = []
            for row in reader:
                if any(row):
                    rows.append((reader.line_num, row))
                    if len(rows) == limit:
                        break
    except UnicodeDecodeError:
        raise CSVFormatError(f"{path} is not a text (UTF-8) CSV file.") from None
    except csv.Error as exc:
        raise CSVFormatError(f"{path}: {exc}") from None
    return [(n, [c.strip() for c in row]) for n, row in rows]


_INTEGER = re.compile(r"[+-]?[0-9]+")
_INT64 = (-(2**63), 2**63 - 1)


def _detect_header(rows, header):
    if header in ("yes", True):
        return True
    if header in ("no", False):
        return False
    if header != "auto":
        raise ValueError(f"header must be 'auto', 'yes' or 'no', got {header!r}.")
    first = rows[0][1]
    if len(rows) == 1:
        return not all(_is_number(c) for c in first)
    second = rows[1][1]
    # A header cell is text above a number; a text label column stays text.
    return any(
        not _is_number(a) and _is_number(b) for a, b in zip(first, second, strict=False)
    )


def _names_text_target(first, target, cells_below):
    """Whether the first row is a header by its target cell, in 'auto' mode.

    A header of numbers (``400,410,420,species``) has no text above a number,
    but its target cell is: the given target name, or text found nowhere below
    it while every label below occurs at least twice. A class of one sample
    would be lost, not misread: a single-sample class cannot be learnt anyway.
    ``cells_below(t)`` yields column ``t``'s cells of the rows below the first
    (each reader reads them its own way; only when the rule needs them).
    """
    if isinstance(target, str) and not _INTEGER.fullmatch(target.strip()):
        return target in first
    try:
        t = int(target)
    except (TypeError, ValueError):
        return False
    if not -len(first) <= t < len(first):
        return False
    cell = first[t]
    if cell == "" or _is_number(cell):
        return False
    below = Counter(cells_below(t))
    return bool(below) and cell not in below and min(below.values()) >= 2


def _target_index(target, names, has_header, path):
    n = len(names)
    if target is None:
        return None
    if isinstance(target, str) and has_header and target in names:
        return names.index(target)
    try:
        index = int(target)
    except (TypeError, ValueError):
        shown = ", ".join(names[:30]) + (", ..." if n > 30 else "")
        where = f"the columns are: {shown}" if has_header else "the file has no header"
        raise CSVFormatError(
            f"{path}: target column {target!r} does not exist ({where})."
        ) from None
    if not -n <= index < n:
        raise CSVFormatError(
            f"{path}: target column {index} does not exist: the file has {n} "
            f"columns (0 to {n - 1}, or -1 to {-n} from the end)."
        )
    return index % n


def _to_float(cells, rows, columns, names, path, first_line):
    """Convert a block of cells; on failure name the first bad cell."""
    try:
        values = np.asarray(cells, dtype=np.float64)
        if np.isfinite(values).all():
            return values
    except ValueError:
        pass
    for (line, _), r in zip(rows, cells, strict=True):
        for j, cell in zip(columns, r, strict=True):
            where = f"{path}, line {line}, column {j + 1} ({names[j]!r})"
            if cell == "":
                raise CSVFormatError(
                    f"{where} is empty; missing values are not supported."
                )
            if not _is_number(cell):
                raise CSVFormatError(f"{where}: {cell!r} is not a number.")
            if not np.isfinite(float(cell)):
                raise CSVFormatError(f"{where}: {cell!r} is not a finite number.")
    raise CSVFormatError(f"{path}: could not read the numbers after line {first_line}.")


def _parse_target(cells, rows, where):
    """Numbers when every cell is one (ints when all are whole), else strings.

    Integers are read exactly, not through float64 (IDs above 2**53 stay
    distinct); those beyond int64 stay text. Numbers must be finite:
    ``where(line)`` names the cell of an 'nan' or 'inf'.
    """
    if all(_INTEGER.fullmatch(c) for c in cells):
        values = [int(c) for c in cells]
        if _INT64[0] <= min(values) and max(values) <= _INT64[1]:
            return np.asarray(values, dtype=np.int64)
        return np.asarray(cells, dtype=object)
    if all(_is_number(c) for c in cells):
        values = np.asarray(cells, dtype=np.float64)
        finite = np.isfinite(values)
        if not finite.all():
            line = rows[int(np.argmin(finite))][0]
            cell = cells[int(np.argmin(finite))]
            raise CSVFormatError(f"{where(line)}: {cell!r} is not a finite number.")
        if (values == np.round(values)).all() and np.abs(values).max() <= 2**53:
            return values.astype(np.int64)  # '3.0': whole, and exact in float64
        return values
    return np.asarray(cells, dtype=object)


def _open_table(path, header, delimiter, limit=None, target=None):
    """The rows and whether the first is a header; clear errors otherwise."""
    path = Path(path)
    if path.is_dir():
        raise CSVFormatError(f"{path} is a folder, not a CSV file.")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file.")
    rows = _read_rows(path, delimiter, limit)
    if not rows:
        raise CSVFormatError(f"{path} is empty.")
    has_header = _detect_header(rows, header)
    if header == "auto" and not has_header and target is not None:
        first = rows[0][1]
        has_header = _names_text_target(
            first,
            target,
            lambda t: (row[t] for _, row in rows[1:] if len(row) == len(first)),
        )
    return rows, has_header


def peek_columns(path, *, header="auto", delimiter=None):
    """``(first row's cells, has_header)`` of a CSV file, from two rows only."""
    rows, has_header = _open_table(path, header, delimiter, limit=2)
    return rows[0][1], has_header


def _names_and_target(first, has_header, target, path):
    """``(column names, target index)`` of a table whose first row is ``first``:
    the header's names, or x0, x1, ... around a column named 'target'."""
    n = len(first)
    names = first if has_header else [f"x{j}" for j in range(n)]
    t = _target_index(target, names, has_header, path)
    if t is not None and not has_header:
        names = [f"x{j}" for j in range(n - 1)]
        names.insert(t, "target")
    return names, t


def _feature_indices(columns, names, has_header, t, path):
    """0-based indices of the feature columns: ``columns`` (names or indices),
    or every column but the target (index ``t``) when None."""
    if columns is None:
        columns = [j for j in range(len(names)) if j != t]
    else:
        columns = _column_indices(columns, names, has_header, t, path)
    if not columns:
        raise CSVFormatError(
            f"{path} has no feature column: its only column is the target."
        )
    return columns


def _column_indices(columns, names, has_header, t, path):
    """0-based indices of ``columns`` (header names or indices)."""
    n = len(names)
    indices, missing = [], []
    for column in columns:
        if isinstance(column, str) and has_header and column in names:
            indices.append(names.index(column))
        elif isinstance(column, int | np.integer) and -n <= column < n:
            indices.append(int(column) % n)
        else:
            missing.append(repr(column))
    if missing:
        shown = ", ".join(names[:30]) + (", ..." if n > 30 else "")
        where = f"its columns are: {shown}" if has_header else f"it has {n} columns"
        raise CSVFormatError(f"{path} has no column {', '.join(missing)} ({where}).")
    if t in indices:
        raise CSVFormatError(
            f"{path}: column {names[t]!r} is the target, not a feature."
        )
    return indices


def load_csv(
    path,
    *,
    target=-1,
    header="auto",
    delimiter=None,
    columns=None,
    dtype=np.float64,
    return_X_y=False,
):
    """Read a CSV file of numeric features and a target column.

    The seed tutorials' format: one row per sample, features in columns, the
    target in the last column. Every row must have the same number of fields and
    every feature cell must be a finite number; otherwise a
    :class:`CSVFormatError` names the line and the column to fix.

    The numbers are read by NumPy's parser in C, a few megabytes of text at a
    time, straight into an array of ``dtype``: memory is the array's size plus
    a few tens of megabytes. The header and the delimiter are decided from the
    first lines. A file the fast reader cannot read exactly (a malformed row, a
    text cell in quotes) is read again by a checking reader in Python, which
    names the first bad line and column.

    Parameters
    ----------
    path : str or path-like
        The CSV file (UTF-8; comma, semicolon or tab separated).
    target : int, str or None, default=-1
        The target column: a 0-based index (negative counts from the end), a
        name from the header, or None when every column is a feature.
    header : {'auto', 'yes', 'no'}, default='auto'
        Whether the first row names the columns. 'auto' takes it for a header
        when one of its cells is text above a number, or when its target cell
        is the ``target`` name, or text that occurs nowhere else in the target
        column while every other label there occurs at least twice (a header of
        numbers such as ``400,410,420,species`` above text labels). Pass 'yes'
        or 'no' when in doubt.
    delimiter : str or None, default=None
        Field separator; None detects it.
    columns : list of str or int, default=None
        The feature columns to read, in this order: header names or 0-based
        indices (other columns are not read). None reads every column but the
        target.
    dtype : {np.float64, np.float32}, default=np.float64
        The features' dtype; float32 halves the memory.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        ``data`` (array of shape (n_samples, n_features) and ``dtype``), ``target``
        (int64 when every value is a whole number, floats for other numbers,
        strings otherwise, integers beyond int64 included; None without a
        target), ``feature_names``,
        ``target_name``, ``target_column`` (its 0-based index), ``n_columns``,
        ``has_header`` and ``path``.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    CSVFormatError
        The file is empty, ragged or non-numeric, or the target column or one of
        ``columns`` does not exist.

    Examples
    --------
    >>> import os, tempfile
    >>> from skdbn.datasets import load_csv
    >>> path = os.path.join(tempfile.mkdtemp(), "data.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("x1,x2,label\\n0,1,yes\\n1,1,no\\n")
    >>> data = load_csv(path)
    >>> data.data.shape, data.feature_names, list(data.target)
    ((2, 2), ['x1', 'x2'], ['yes', 'no'])
    """
    path = Path(path)
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}.")
    bunch = _load_fast(path, target, header, delimiter, columns, dtype)
    if bunch is None:
        from ._csv_check import check_csv  # the error, in bounded memory

        check_csv(
            path, target=target, header=header, delimiter=delimiter, columns=columns
        )
        bunch = _load_checked(path, target, header, delimiter, columns)
        bunch.data = _as_dtype(bunch.data, dtype, path)
    return (bunch.data, bunch.target) if return_X_y else bunch


def _load_fast(path, target, header, delimiter, columns, dtype, progress=None):
    """:func:`load_csv` by the C parser; None where the checking reader must
    decide (or word the error)."""
    from . import _csv_reader

    try:
        layout = _csv_reader.open_layout(
            path, target=target, header=header, delimiter=delimiter, columns=columns
        )
        X, cells = _csv_reader.read_all(layout, dtype, progress)
        y = None if cells is None else _csv_reader.parse_target(cells, layout)
    except _csv_reader.FastPathError:
        return None
    return _bunch(X, y, layout.names, layout.columns, layout.target_column, layout)


def _bunch(X, y, names, columns, t, info):
    """The Bunch :func:`load_csv` returns; ``info`` has n_columns, has_header
    and path."""
    return Bunch(
        data=X,
        target=y,
        feature_names=[names[j] for j in columns],
        target_name=None if t is None else names[t],
        target_column=t,
        n_columns=info.n_columns,
        has_header=info.has_header,
        path=Path(info.path),
    )


def _as_dtype(X, dtype, path):
    if X.dtype == dtype:
        return X
    with np.errstate(over="ignore"):
        X = X.astype(dtype)
    if not np.isfinite(X).all():
        raise CSVFormatError(
            f"{path} holds values beyond the range of {dtype}; read it as float64."
        )
    return X


def _load_checked(path, target, header, delimiter, columns):
    """The checking reader: every cell as text, then converted; its errors
    name the line and the column."""
    rows, has_header = _open_table(path, header, delimiter, target=target)
    first_line, first = rows[0]
    n_columns = len(first)
    data_rows = rows[1:] if has_header else rows
    _check_rectangular(data_rows, n_columns, first_line, path)
    names, t = _names_and_target(first, has_header, target, path)
    columns = _feature_indices(columns, names, has_header, t, path)
    cells = [[row[j] for j in columns] for _, row in data_rows]
    X = _to_float(cells, data_rows, columns, names, path, first_line)
    y = None if t is None else _read_target(data_rows, t, names, path)
    info = Bunch(n_columns=n_columns, has_header=has_header, path=path)
    return _bunch(X, y, names, columns, t, info)


def _check_rectangular(data_rows, n_columns, first_line, path):
    """Data rows there are, each with the first line's number of columns."""
    if not data_rows:
        raise CSVFormatError(f"{path} has a header but no data rows.")
    for line, row in data_rows:
        if len(row) != n_columns:
            raise CSVFormatError(
                f"{path}, line {line}: {len(row)} fields, but line {first_line} has "
                f"{n_columns}; every row needs the same number of columns."
            )


def _read_target(data_rows, t, names, path):
    """Column ``t`` as the target: no empty cell, numbers or labels."""
    for line, row in data_rows:
        if row[t] == "":
            raise CSVFormatError(
                f"{path}, line {line}, column {t + 1} ({names[t]!r}): the target "
                "is empty; missing values are not supported."
            )
    return _parse_target(
        [row[t] for _, row in data_rows],
        data_rows,
        lambda line: f"{path}, line {line}, column {t + 1} ({names[t]!r})",
    )
