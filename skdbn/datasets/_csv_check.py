"""The checking reader's errors, found in one pass with bounded memory.

:func:`check_csv` raises the :class:`CSVFormatError` that ``_csv``'s checking
reader (every cell kept as text, then converted) would raise for a file, with
the same message, without holding the file: it streams the rows once (twice
when the header must be decided by the whole target column), remembers the
first problem of each kind and raises them in the checking reader's order. It
returns None when the file has none: a file only the checking reader reads.
"""

import csv

import numpy as np

from ..exceptions import CSVFormatError
from . import _csv

_BLOCK_ROWS = 1000  # rows converted at once in the numeric check


def _iter_rows(path, delimiter):
    """``(line number, stripped cells)`` of the non-empty rows, as
    ``_csv._read_rows`` reads them, one at a time."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, delimiter=delimiter, skipinitialspace=True)
            for row in reader:
                if any(row):
                    yield reader.line_num, [c.strip() for c in row]
    except UnicodeDecodeError:
        raise CSVFormatError(f"{path} is not a text (UTF-8) CSV file.") from None
    except csv.Error as exc:
        raise CSVFormatError(f"{path}: {exc}") from None


class _Findings:
    """The first problem of each kind, in the order the checking reader
    raises them."""

    ORDER = ("rows", "setup", "feature", "empty_target", "target")

    def __init__(self):
        self.first = {}

    def add(self, kind, message):
        self.first.setdefault(kind, message)

    def raise_first(self):
        for kind in self.ORDER:
            if kind in self.first:
                raise CSVFormatError(self.first[kind])


def check_csv(path, *, target=-1, header="auto", delimiter=None, columns=None):
    """Raise the checking reader's error for ``path``, if it has one."""
    rows, has_header = _csv._open_table(path, header, delimiter, limit=2)
    delimiter = delimiter or _sniffed(path)
    first_line, first = rows[0]
    if header == "auto" and not has_header and target is not None:
        has_header = _header_by_target(path, delimiter, first, target)
    n = len(first)
    found = _Findings()
    names, t, columns = _setup(found, target, first, has_header, columns, path)
    state = _TargetState()
    block, n_rows = [], 0
    for line, row in _iter_rows(path, delimiter):
        if line <= first_line and has_header:
            continue
        n_rows += 1
        if len(row) != n:
            found.add("rows", _ragged(path, line, row, first_line, n))
        elif columns is not None:
            block.append((line, row))
            if t is not None:
                state.add(found, line, row[t], t, names, path)
        if len(block) == _BLOCK_ROWS:
            _check_numbers(found, block, columns, names, path)
            block = []
    _check_numbers(found, block, columns, names, path)
    if n_rows == 0:
        found.first["rows"] = f"{path} has a header but no data rows."
    state.finish(found)
    found.raise_first()


def _sniffed(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return _csv.sniff_delimiter(f.read(_csv.SNIFF_BYTES))


def _header_by_target(path, delimiter, first, target):
    """``_csv._names_text_target`` over the whole target column, streamed."""

    def cells_below(t):
        rows = _iter_rows(path, delimiter)
        next(rows)
        return (row[t] for _, row in rows if len(row) == len(first))

    return _csv._names_text_target(first, target, cells_below)


def _setup(found, target, first, has_header, columns, path):
    """``(column names, target index, feature indices)`` of a table whose first
    row is ``first``; None for what has an error."""
    try:
        names, t = _csv._names_and_target(first, has_header, target, path)
    except CSVFormatError as exc:
        found.add("setup", str(exc))
        return first if has_header else [f"x{j}" for j in range(len(first))], None, None
    try:
        columns = _csv._feature_indices(columns, names, has_header, t, path)
    except CSVFormatError as exc:
        found.add("setup", str(exc))
        return names, t, None
    return names, t, columns


def _ragged(path, line, row, first_line, n):
    return (
        f"{path}, line {line}: {len(row)} fields, but line {first_line} has "
        f"{n}; every row needs the same number of columns."
    )


def _check_numbers(found, block, columns, names, path):
    """The first non-numeric, empty or infinite feature cell of ``block``."""
    if not block or "feature" in found.first:
        return
    cells = [[row[j] for j in columns] for _, row in block]
    try:
        with np.errstate(over="ignore"):
            if np.isfinite(np.asarray(cells, dtype=np.float64)).all():
                return
    except ValueError:
        pass
    try:
        _csv._to_float(cells, block, columns, names, path, block[0][0])
    except CSVFormatError as exc:
        found.add("feature", str(exc))


class _TargetState:
    """What ``_csv._read_target`` decides from the whole target column: the
    first empty cell, and the first non-finite number when every cell is a
    number and not every one an integer."""

    def __init__(self):
        self.all_integers, self.all_numbers, self.non_finite = True, True, None

    def add(self, found, line, cell, t, names, path):
        where = f"{path}, line {line}, column {t + 1} ({names[t]!r})"
        if cell == "":
            found.add(
                "empty_target",
                f"{where}: the target is empty; missing values are not supported.",
            )
            return
        if self.all_integers and _csv._INTEGER.fullmatch(cell):
            return
        self.all_integers = False
        if not self.all_numbers or not _csv._is_number(cell):
            self.all_numbers = False
            return
        if self.non_finite is None and not np.isfinite(float(cell)):
            self.non_finite = f"{where}: {cell!r} is not a finite number."

    def finish(self, found):
        if not self.all_integers and self.all_numbers and self.non_finite:
            found.add("target", self.non_finite)
