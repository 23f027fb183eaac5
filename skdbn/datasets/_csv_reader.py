"""CSV bodies read by NumPy's C parser, in blocks of bounded size.

:func:`open_layout` reads the first two rows with Python's ``csv`` module (the
delimiter, the header, the names, the target and feature columns, as
:func:`skdbn.datasets.load_csv` decides them); :func:`iter_blocks` then parses
the rest of the file with :func:`numpy.loadtxt` a block of text at a time,
straight into float32 or float64, and yields each block's features and target
cells. Anything this fast path does not read exactly as the ``csv`` module
would (a ragged row, a cell that is not a number, a non-finite value, quotes
around a text cell, a line break inside quotes, bytes that are not UTF-8)
raises :class:`FastPathError`: the caller then runs the checking reader of
``_csv``, which names the first bad line and column, or reads such a file
correctly in Python.
"""

import io
import warnings

import numpy as np

from ..exceptions import CSVFormatError
from . import _csv

BLOCK_BYTES = 4 * 2**20  # CSV text parsed at a time
_BOM = b"\xef\xbb\xbf"


class FastPathError(Exception):
    """The C parser cannot read this file exactly; use the checking reader."""


class Layout:
    """Where a CSV file's body starts and which of its columns are read.

    Attributes
    ----------
    path, delimiter, has_header, names, n_columns, target_column, columns,
    offset (byte where the body starts), first_line (line of the first row).
    """

    def __init__(self, **fields):
        self.__dict__.update(fields)

    @property
    def feature_names(self):
        return [self.names[j] for j in self.columns]

    @property
    def target_name(self):
        t = self.target_column
        return None if t is None else self.names[t]


def open_layout(path, *, target=-1, header="auto", delimiter=None, columns=None):
    """The :class:`Layout` of ``path`` from its first rows.

    Raises :class:`FastPathError` where only the checking reader can decide
    (or word the error), :class:`CSVFormatError` never: the checking reader
    raises those.
    """
    try:
        rows, has_header = _csv._open_table(path, header, delimiter, limit=2)
        first_line, first = rows[0]
        n = len(first)
        delimiter = delimiter or _sniffed_delimiter(path)
        if header == "auto" and not has_header and target is not None:
            # Two rows did not find a header: the whole target column decides.
            cells = _target_cells(path, delimiter, rows[0][0], n)
            has_header = _csv._names_text_target(first, target, cells)
        names, t = _csv._names_and_target(first, has_header, target, path)
        columns = _csv._feature_indices(columns, names, has_header, t, path)
    except (CSVFormatError, UnicodeDecodeError) as exc:
        raise FastPathError(str(exc)) from None
    if len(set(columns)) < len(columns):
        raise FastPathError("a column asked for twice")
    offset = _body_offset(path, rows[0][0], has_header)
    return Layout(
        path=path,
        delimiter=delimiter,
        has_header=has_header,
        names=names,
        n_columns=n,
        target_column=t,
        columns=columns,
        offset=offset,
        first_line=first_line,
    )


def _sniffed_delimiter(path):
    """The delimiter ``_csv._read_rows`` detects (from the first 8 KiB)."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        sample = f.read(_csv.SNIFF_BYTES)
    if "\r" in sample.replace("\r\n", ""):
        raise FastPathError("line breaks other than \\n and \\r\\n")
    return _csv.sniff_delimiter(sample)


def _body_offset(path, header_line, has_header):
    """The byte after the header's line (0 without a header)."""
    if not has_header:
        return 0
    with open(path, "rb") as f:
        offset = 0
        for _ in range(header_line):  # the header ends on physical line header_line
            line = f.readline()
            if not line:
                break
            offset += len(line)
    return offset


def _target_cells(path, delimiter, first_line, n):
    """``cells_below(t)`` for :func:`_csv._names_text_target`: column ``t``'s
    cells below the first row, read by the C parser block by block."""

    def cells_below(t):
        for text in text_blocks(path, _body_offset(path, first_line, True)):
            cells = _loadtxt(text, delimiter, np.dtype([("t", "O")]), usecols=[t % n])
            yield from _stripped(cells["t"])

    return cells_below


def text_blocks(path, offset, block_bytes=None):
    """The file's text from byte ``offset``, in blocks of whole lines."""
    block_bytes = block_bytes or BLOCK_BYTES
    with open(path, "rb") as f:
        f.seek(offset)
        rest = b""
        while True:
            data = f.read(block_bytes)
            if offset == 0 and data.startswith(_BOM):
                data = data[len(_BOM) :]
            offset = -1
            if not data:
                if rest:
                    yield _decoded(rest)
                return
            data = rest + data
            cut = data.rfind(b"\n") + 1
            if cut:
                yield _decoded(data[:cut])
            rest = data[cut:]


def _decoded(data):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise FastPathError("not UTF-8") from None


def _loadtxt(text, delimiter, dtype, usecols=None):
    try:
        with warnings.catch_warnings():  # a block of blank lines: no rows, no warning
            warnings.filterwarnings("ignore", "loadtxt: input contained no data")
            return _loadtxt_quiet(text, delimiter, dtype, usecols)
    except ValueError as exc:
        raise FastPathError(str(exc)) from None


def _loadtxt_quiet(text, delimiter, dtype, usecols):
    return np.loadtxt(
        io.StringIO(text),
        delimiter=delimiter,
        comments=None,
        quotechar='"',
        dtype=dtype,
        usecols=usecols,
        ndmin=1 if dtype.names else 2,
    )


def _stripped(cells):
    """Object cells stripped as the ``csv`` reader strips them; a quote left
    in a cell means the two readers may disagree."""
    out = [c.strip() for c in cells]
    if any('"' in c for c in out):
        raise FastPathError("quotes inside a text cell")
    return out


def _structured_dtype(layout, dtype):
    """One field per run of feature columns (``dtype``) or other columns (text)."""
    features = set(layout.columns)
    fields, j = [], 0
    while j < layout.n_columns:
        is_feature = j in features
        k = j
        while k < layout.n_columns and (k in features) == is_feature:
            k += 1
        kind = dtype if is_feature else np.dtype("O")
        fields.append((f"c{j}", kind, (k - j,)))
        j = k
    return np.dtype(fields)


def parse_block(text, layout, dtype, out=None):
    """``(features, target cells or None)`` of one block of whole lines; the
    features are written to the first rows of ``out`` when given."""
    sdtype = _structured_dtype(layout, dtype)
    rows = _loadtxt(text, layout.delimiter, sdtype)
    starts = [int(name[1:]) for name in sdtype.names]
    if out is None:
        out = np.empty((rows.shape[0], len(layout.columns)), dtype=dtype)
    elif out.shape[0] < rows.shape[0]:  # pragma: no cover - lines counted
        raise FastPathError("more rows than lines")
    X = out[: rows.shape[0]]
    position = {j: i for i, j in enumerate(layout.columns)}
    for name, start in zip(sdtype.names, starts, strict=True):
        field = rows[name]
        if field.dtype == object:
            continue
        width = field.shape[1]
        where = [position[j] for j in range(start, start + width)]
        if where == list(range(where[0], where[0] + width)):
            X[:, where[0] : where[0] + width] = field
        else:
            X[:, where] = field
    if not np.isfinite(X).all():
        raise FastPathError("a value that is not finite")
    t = layout.target_column
    if t is None:
        return X, None
    for name, start in zip(sdtype.names, starts, strict=True):
        width = sdtype[name].shape[0]
        if start <= t < start + width:
            return X, np.asarray(_stripped(rows[name][:, t - start]), dtype=object)
    raise AssertionError("the target column has a field")  # pragma: no cover


def iter_blocks(layout, dtype, block_bytes=None, out=None):
    """Yield ``(features, target cells, bytes read)`` block by block; with
    ``out``, the features are written to its rows in turn (no copy)."""
    dtype, n = np.dtype(dtype), 0
    for text in text_blocks(layout.path, layout.offset, block_bytes):
        X, cells = parse_block(text, layout, dtype, None if out is None else out[n:])
        n += X.shape[0]
        yield X, cells, len(text.encode("utf-8")) if not text.isascii() else len(text)


def parse_target(cells, layout):
    """The target array from every row's target cell, as ``_csv`` parses it
    (read through the distinct values: labels repeat)."""
    if len(cells) == 0:
        raise FastPathError("no data rows")
    values, inverse = np.unique(cells, return_inverse=True)
    if values[0] == "":  # sorted: an empty cell comes first
        raise FastPathError("an empty target cell")
    try:
        parsed = _csv._parse_target(list(values), [(0, None)] * len(values), str)
    except CSVFormatError:
        raise FastPathError("a target value that is not finite") from None
    return parsed[inverse.ravel()]


def count_lines(path, offset):
    """An upper bound on the rows after byte ``offset`` (its line breaks + 1)."""
    count, last = 0, b"\n"
    with open(path, "rb") as f:
        f.seek(offset)
        while data := f.read(BLOCK_BYTES * 4):
            count += data.count(b"\n")
            last = data[-1:]
    return count + (last != b"\n")


def read_all(layout, dtype, progress=None):
    """``(X, target cells)`` of the whole body, X filled in place."""
    X = np.empty((count_lines(layout.path, layout.offset), len(layout.columns)), dtype)
    cells, n, done = [], 0, 0
    for block, block_cells, nbytes in iter_blocks(layout, dtype, out=X):
        n += block.shape[0]
        done += nbytes
        if block_cells is not None:
            cells.append(block_cells)
        if progress is not None:
            progress(n, done)
    if n == 0:
        raise FastPathError("no data rows")
    if n < X.shape[0]:
        X.resize((n, X.shape[1]), refcheck=False)  # blank lines: shrink in place
    return X, (np.concatenate(cells) if cells else None)
