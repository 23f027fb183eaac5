"""Memory-mapped data: read it in place and keep resident memory bounded.

A ``numpy.memmap`` (or a view of one, such as ``np.load(path, mmap_mode="r")``
returns) is never copied by skdbn: validation scans it in blocks of rows and
training gathers each mini-batch from it. The pages of a file mapping that a
process touches count towards its resident memory and stay mapped until it lets
go of them, so a plain scan of a 3 GB file leaves a 3 GB process. After each
block or mini-batch skdbn releases the mapping's pages
(``madvise(MADV_DONTNEED)``): the operating system keeps them in its page cache,
so reading them again is cheap, but the process's resident memory stays at the
size of a block instead of growing to the size of the file.

Copy-on-write maps (``mode="c"``) are left alone: releasing their pages would
discard the user's private changes.
"""

import contextlib
import mmap
import os
import tempfile

import numpy as np
import scipy.sparse as sp

from ._backend import all_finite, host_dtype, ops

BLOCK_BYTES = 16 * 2**20  # rows scanned between two releases
# Rows gathered between two releases. Touching one row can map a whole page-cache
# folio (2 MB with Linux's large folios), so a batch of scattered rows is gathered
# a few rows at a time: at most ~64 MB of the file is mapped at once.
GATHER_ROWS = 32


def file_mapping(X):
    """The shared ``mmap.mmap`` behind a memory-mapped array X, or None.

    Follows X's ``base`` chain to a ``numpy.memmap`` that is not copy-on-write,
    then to its ``mmap`` object; None for anything else (in-memory arrays,
    sparse matrices, platforms without ``madvise``).
    """
    base, shared = X, False
    while base is not None:
        if isinstance(base, np.memmap):
            if base.mode == "c":
                return None
            shared = True
        elif isinstance(base, mmap.mmap):
            return base if shared and hasattr(base, "madvise") else None
        base = getattr(base, "base", None)
    return None


def release(mapping):
    """Drop the pages of ``mapping`` from this process (no-op for None)."""
    if mapping is not None:
        # a closed map or a platform that refuses: the pages just stay mapped
        with contextlib.suppress(OSError, ValueError):
            mapping.madvise(mmap.MADV_DONTNEED)


def row_blocks(X, block_bytes=None, width=0, rows=None):
    """Yield consecutive row slices of X of about ``block_bytes`` each.

    ``width`` bounds the rows further so that a temporary of ``width`` columns
    per row also stays within ``block_bytes``. ``rows`` (an index array) takes
    those rows only, in that order: each block is then a copy. When X is
    memory-mapped, its pages are released after each block; a strided view of
    a map (every 400th row) is gathered ``GATHER_ROWS`` rows at a time.
    """
    block_bytes = block_bytes or BLOCK_BYTES
    mapping = file_mapping(X)
    itemsize = host_dtype(X).itemsize
    per_row = int(np.prod(X.shape[1:], dtype=np.int64))
    if sp.issparse(X):  # a block holds its non-zeros (value and index each)
        per_row = min(per_row, 2 * -(-X.nnz // max(X.shape[0], 1)))
    row_bytes = itemsize * max(1, per_row, width)
    step = max(1, block_bytes // row_bytes)
    n = X.shape[0] if rows is None else len(rows)
    if rows is None and mapping is not None and not X.flags.c_contiguous:
        # Rows far apart in the file (X[::400]): a block of them would map a
        # folio each at once; gather them a few at a time instead.
        rows = np.arange(n)
    for start in range(0, n, step):
        if rows is None:
            yield X[start : start + step]
        elif isinstance(X, np.ndarray):
            part = rows[start : start + step]
            yield take_rows(
                X, part, np.empty((len(part), *X.shape[1:]), X.dtype), mapping
            )
        else:
            yield X[rows[start : start + step]]
        release(mapping)


_OVERFLOW = (
    "The output is infinite or NaN for some samples: their values are too large "
    "for this model's weights (an overflow). Scale the features, e.g. with "
    "StandardScaler or MinMaxScaler."
)


def map_rows(func, X, n_cols, *, width):
    """``func`` applied to row blocks of X, written into one output array.

    ``func(block, out)`` fills ``out`` (the block's rows of the result, of shape
    ``(rows, n_cols)``, or ``(rows,)`` when ``n_cols`` is None) and returns it.
    Blocks are sized so that a temporary of ``width`` columns stays within
    ``BLOCK_BYTES``: prediction and transformation of any number of rows, from
    memory or from a memory-mapped file, need bounded extra memory.

    Outputs are checked: finite X whose values are too large for the model's
    weights (an overflow to infinity, or infinity minus infinity) raises a
    ValueError instead of returning infinite or NaN values.
    """
    shape = (X.shape[0],) if n_cols is None else (X.shape[0], n_cols)
    out = ops(X).empty(shape, dtype=X.dtype)
    if ops(X) is not np:  # a device array: one block, checked once
        out = func(X, out)
        if not all_finite(out):
            raise ValueError(_OVERFLOW)
        return out
    start = 0
    for block in row_blocks(X, width=width):
        rows = slice(start, start + block.shape[0])
        with np.errstate(over="ignore", invalid="ignore"):
            out[rows] = func(block, out[rows])
        if not all_finite(out[rows]):
            raise ValueError(_OVERFLOW)
        start = rows.stop
    return out


def take_rows(X, indices, out, mapping=None):
    """``np.take(X, indices, axis=0, out=out)``, bounded for memory-mapped X.

    ``mapping`` is ``file_mapping(X)`` (looked up once by the caller); with one,
    rows are gathered ``GATHER_ROWS`` at a time and the pages released after each.
    """
    if mapping is None:
        return _gather(X, indices, out)
    for start in range(0, len(indices), GATHER_ROWS):
        part = slice(start, start + GATHER_ROWS)
        _gather(X, indices[part], out[part])
        release(mapping)
    return out


def _gather(X, indices, out):
    if X.flags.c_contiguous:
        # mode="clip" writes straight into out (indices are valid by construction)
        return np.take(X, indices, axis=0, out=out, mode="clip")
    # np.take would first copy all of a Fortran-ordered or strided X (a
    # DataFrame's values, a column slice): index it, one batch's worth.
    np.copyto(out, X[indices])
    return out


def column_sums(X, rows=None, weights=None):
    """Float64 column sums of a dense or sparse X (of its ``rows`` when given),
    in blocks for memmaps; with ``weights`` (one per row of X), the sums of the
    rows times their weights."""
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64)
        if rows is not None:
            weights = weights[rows]
    if not isinstance(X, np.ndarray) and rows is None:
        if weights is not None:
            return np.asarray(X.T @ weights, dtype=np.float64).ravel()
        return np.asarray(X.sum(axis=0), dtype=np.float64).ravel()
    total = np.zeros(X.shape[1:], dtype=np.float64)
    start = 0
    for block in row_blocks(X, rows=rows):
        if weights is None:
            total += np.asarray(block.sum(axis=0, dtype=np.float64)).ravel()
        else:
            part = weights[start : start + block.shape[0]]
            total += np.asarray(block.T @ part, dtype=np.float64).ravel()
        start += block.shape[0]
    return total


def value_range(X):
    """``(min, max)`` of a dense or sparse X's stored values, in blocks for memmaps."""
    xp = ops(X)
    if xp is not np:  # a device array: two reductions, read back once
        return float(xp.amin(X)), float(xp.amax(X))
    if not isinstance(X, np.ndarray):
        return X.data.min(), X.data.max()
    lo, hi = np.inf, -np.inf
    for block in row_blocks(X):
        lo, hi = min(lo, block.min()), max(hi, block.max())
    return lo, hi


def is_mapped(X):
    """Whether X is memory-mapped from a file (see :func:`file_mapping`)."""
    return file_mapping(X) is not None


@contextlib.contextmanager
def spill_folder(X):
    """A temporary folder for arrays derived from a memory-mapped X (None for
    other X), removed on exit: data that did not fit in memory gives derived
    data (a DBN's next layer) that may not fit either."""
    if not is_mapped(X):
        yield None
        return
    # Beside X's file when it can be written there: TMPDIR may be memory (tmpfs).
    # ignore_cleanup_errors: Windows cannot remove a file that is still mapped.
    folder = os.path.dirname(_filename(X) or "") or None
    if folder is not None and not os.access(folder, os.W_OK):
        folder = None
    with tempfile.TemporaryDirectory(
        dir=folder, prefix="skdbn-", ignore_cleanup_errors=True
    ) as folder:
        yield folder


def _filename(X):
    """The file of the ``numpy.memmap`` behind X, or None."""
    base = X
    while base is not None:
        if isinstance(base, np.memmap) and base.filename:
            return base.filename
        base = getattr(base, "base", None)
    return None


def map_rows_to_file(func, X, n_cols, folder):
    """``func(block)`` of each row block of X, written to a memory-mapped
    ``.npy`` file in ``folder``: resident memory stays at a block's size.

    The pages written are released after each block (the page cache keeps
    them, and writes them back to the file).
    """
    fd, path = tempfile.mkstemp(suffix=".npy", dir=folder)
    os.close(fd)
    out = np.lib.format.open_memmap(
        path, mode="w+", dtype=X.dtype, shape=(X.shape[0], n_cols)
    )
    mapping, start = file_mapping(out), 0
    for block in row_blocks(X):
        stop = start + block.shape[0]
        out[start:stop] = func(block)
        release(mapping)
        start = stop
    return out
