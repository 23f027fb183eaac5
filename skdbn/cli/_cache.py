"""CSV files larger than memory for ``skdbn fit``: a float32 ``.npy`` cache.

A CSV whose table would not fit in memory is converted once, in blocks, to a
float32 ``.npy`` file of its scaled features, which training reads as a
memory map (:mod:`skdbn._outofcore` keeps the resident memory at a few
blocks). The scaler (min-max or standard) learns its statistics in the same
pass (``partial_fit``); the rows are then scaled in place, block by block.

The cache sits beside the CSV (or in ``--cache-dir``) as three files named
after the CSV and a key of its path and the reading options:
``NAME.KEY.npy`` (the features), ``NAME.KEY.scaler.npz`` (the scaler's
arrays) and ``NAME.KEY.json`` (the CSV's size and modification time, the
options, the column names and the target). Each is written to a temporary
file and renamed when complete, the JSON last: a conversion interrupted at any
point leaves no JSON that matches, so no later run trusts a half-written
cache. A later ``fit`` on the same file (same size and modification time) with
the same options reuses it; ``--no-cache`` converts to a temporary folder,
removed after the run.
"""

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.utils import Bunch

from .._outofcore import row_blocks
from .._progress import Progress
from ..datasets import _csv_reader
from ..datasets._csv import peek_columns
from ..exceptions import CSVFormatError
from ._files import read_checked, read_table
from ._messages import UsageError

VERSION = 1  # of the cache's layout: a new one ignores older caches
_HEADER_BYTES = 128  # the .npy header, written last when the row count is known
_SCALER_ATTRIBUTES = {
    "minmax": ("n_features_in_", "n_samples_seen_", "data_min_", "data_max_",
               "data_range_", "scale_", "min_"),
    "standard": ("n_features_in_", "n_samples_seen_", "mean_", "var_", "scale_"),
}  # fmt: skip


def memory_size(text):
    """A ``--memory-limit`` value: bytes, or a number with K, M, G or T."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([kmgt]?)i?b?\s*", text.lower())
    if not match:
        import argparse

        raise argparse.ArgumentTypeError(
            f"expected a size such as 500M or 4G, got {text!r}"
        )
    power = " kmgt".index(match[2] or " ")
    return int(float(match[1]) * 1024**power)


def available_memory():
    """The memory available to a new process (Linux: MemAvailable), in bytes."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    with contextlib.suppress(OSError, ValueError, AttributeError):
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    return 4 * 2**30  # pragma: no cover


def table_bytes(path, n_columns):
    """The float64 table's estimated size: the file's rows (its size over the
    mean length of its first lines) times ``n_columns`` times 8 bytes."""
    size = Path(path).stat().st_size
    with open(path, "rb") as f:
        lines = f.read(2**16).splitlines()[1:-1] or [b"x"]
    per_line = max(1, sum(len(line) + 1 for line in lines) / len(lines))
    return size / per_line * n_columns * 8


def is_large(path, n_columns, limit):
    """Whether ``fit`` trains from a memory-mapped cache: when the float64
    table (which the in-memory path holds, with a scaled copy) would exceed
    ``limit`` bytes (default: a quarter of the available memory)."""
    if limit is None:
        limit = available_memory() // 4
    return table_bytes(path, n_columns) > limit


def training_table(args):
    """The table ``fit`` trains on: in memory, or memory-mapped from the cache.

    A cached table's ``data`` is already scaled and its ``scaler`` fitted
    (:func:`prescaled` and :func:`install_scaler` use it); after a conversion
    its ``progress`` is the bar that showed it, for training to go on with.
    """
    target = None if args.no_target else args.target
    if _is_large(args):
        folder = _cache_folder(args)
        try:
            layout = _csv_reader.open_layout(
                args.data, target=target, header=args.header
            )
            return _cached(layout, folder, _options(args, target), args.quiet)
        except _csv_reader.FastPathError:
            pass
        finally:
            if args.no_cache:  # POSIX keeps a removed file's map: no copy left
                shutil.rmtree(folder, ignore_errors=True)
        # The checking reader names the bad line, or reads the file itself.
        table = read_checked(args.data, header=args.header, target=target)
    else:
        table = read_table(args.data, header=args.header, target=target)
    table.scaler = table.progress = None
    return table


def _is_large(args):
    """:func:`is_large` for ``fit``'s file, from its first row; False when
    that cannot be read (the checking reader then says why)."""
    try:
        first, _ = peek_columns(args.data, header=args.header)
    except (OSError, CSVFormatError):
        return False
    return is_large(args.data, len(first), args.memory_limit)


def _options(args, target):
    """What the cached table depends on besides the CSV itself."""
    return {
        "target": target,
        "header": args.header,
        "scale": args.scale,
        "version": VERSION,
    }


def _cache_folder(args):
    """``--cache-dir``, the CSV's folder, or with ``--no-cache`` a temporary
    folder (removed once its files are mapped)."""
    if args.cache_dir is not None and not Path(args.cache_dir).is_dir():
        raise UsageError(f"--cache-dir {args.cache_dir}: no such folder.")
    folder = Path(args.cache_dir or Path(args.data).resolve().parent)
    if args.no_cache:  # on disk beside the CSV: /tmp may be memory (tmpfs)
        return Path(tempfile.mkdtemp(prefix=".skdbn-", dir=folder))
    return folder


def cache_paths(csv_path, folder, options):
    """``(features .npy, scaler .npz, metadata .json)`` of a CSV's cache."""
    csv_path = Path(csv_path).resolve()
    key = json.dumps([str(csv_path), options], sort_keys=True)
    stem = f"{csv_path.name}.{hashlib.sha1(key.encode()).hexdigest()[:12]}"
    return tuple(
        folder / f"{stem}{suffix}" for suffix in (".npy", ".scaler.npz", ".json")
    )


def _cached(layout, folder, options, quiet):
    paths = cache_paths(layout.path, folder, options)
    stat = Path(layout.path).stat()
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    table, progress = _reuse(paths, stamp, options), None
    if table is None:
        paths[2].unlink(missing_ok=True)  # never trusted again, even if we stop
        progress = Progress(None, enabled=not quiet)
        progress.reading_what = f"reading {Path(layout.path).name}"
        try:
            _convert(layout, paths, stamp, options, progress)
        except BaseException:
            progress.close()
            raise
        table = _reuse(paths, stamp, options)
    table.path, table.progress = Path(layout.path), progress
    return table


def _reuse(paths, stamp, options):
    """The cached table when its metadata matches the CSV and the options."""
    npy, npz, meta_path = paths
    try:
        meta = json.loads(meta_path.read_text())
        if meta["csv"] != stamp or meta["options"] != options:
            return None
        X = np.load(npy, mmap_mode="r")
        scaler = _load_scaler(npz, options["scale"])
    except (OSError, ValueError, KeyError):
        return None
    if X.shape != tuple(meta["shape"]) or X.dtype != np.float32:
        return None
    target = meta["target"]
    y = None if target is None else np.asarray(target, dtype=meta["target_dtype"])
    return Bunch(
        data=X,
        target=y,
        scaler=scaler,
        cached=str(npy),
        **{key: meta[key] for key in _LAYOUT_KEYS},
    )


_LAYOUT_KEYS = (
    "feature_names",
    "target_name",
    "target_column",
    "n_columns",
    "has_header",
)


def _new_scaler(scale):
    return {"minmax": MinMaxScaler(clip=True), "standard": StandardScaler()}.get(scale)


def _load_scaler(path, scale):
    scaler = _new_scaler(scale)
    if scaler is None:
        return None
    with np.load(path, allow_pickle=False) as arrays:
        for name in _SCALER_ATTRIBUTES[scale]:
            value = arrays[name]
            setattr(scaler, name, value.item() if value.ndim == 0 else value)
    return scaler


def _atomic(path, write):
    """``write(temporary path)``, then rename it to ``path``; nothing at
    ``path`` and no temporary file if it fails or is interrupted."""
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _convert(layout, paths, stamp, options, progress):
    """Write the cache of ``layout``'s CSV: features, scaler, then metadata."""
    npy, npz, meta_path = paths
    scaler = _new_scaler(options["scale"])
    found = {}
    _atomic(
        npy, lambda tmp: found.update(_write_features(layout, tmp, scaler, progress))
    )
    if scaler is not None:
        _atomic(npz, lambda tmp: _save_scaler(tmp, scaler, options["scale"]))
    y = found["target"]
    meta = {
        "csv": stamp,
        "options": options,
        "shape": list(found["shape"]),
        "target": None if y is None else y.tolist(),
        "target_dtype": None if y is None else y.dtype.str,
        "feature_names": layout.feature_names,
        "target_name": layout.target_name,
        "target_column": layout.target_column,
        "n_columns": layout.n_columns,
        "has_header": layout.has_header,
    }
    _atomic(meta_path, lambda tmp: tmp.write_text(json.dumps(meta)))


def _save_scaler(tmp, scaler, scale):
    with open(tmp, "wb") as f:
        np.savez(f, **{n: getattr(scaler, n) for n in _SCALER_ATTRIBUTES[scale]})


def _write_features(layout, tmp, scaler, progress):
    """Parse the CSV into ``tmp`` (a float32 .npy), fit and apply the scaler."""
    n_features, n, cells = len(layout.columns), 0, []
    start, done = time.perf_counter(), 0
    blocks = _csv_reader.iter_blocks(layout, np.float32)
    with open(tmp, "wb") as f:
        f.write(b"\0" * _HEADER_BYTES)
        for X, block_cells, nbytes in blocks:
            f.write(np.ascontiguousarray(X).tobytes())
            if scaler is not None:
                scaler.partial_fit(X)
            if block_cells is not None:
                cells.append(block_cells)
            n, done = n + X.shape[0], done + nbytes
            if progress is not None:
                progress.reading(n, done, time.perf_counter() - start)
        f.seek(0)
        f.write(_npy_header((n, n_features)))
    y = None
    if cells:
        y = _csv_reader.parse_target(np.concatenate(cells), layout)
    if scaler is not None and n:
        X = np.load(tmp, mmap_mode="r+")
        for block in row_blocks(X):
            block[...] = scaler.transform(block)
        X.flush()
        del X
    return {"shape": (n, n_features), "target": y}


def _npy_header(shape):
    """A version 1.0 .npy header of ``_HEADER_BYTES`` for a float32 C array."""
    text = f"{{'descr': '<f4', 'fortran_order': False, 'shape': {tuple(shape)}, }}"
    room = _HEADER_BYTES - 10 - 1
    if len(text) > room:  # pragma: no cover - 19-digit dimensions fit
        raise ValueError("shape too large for the cache header")
    text = text.ljust(room) + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode()


def prescaled(model, table):
    """The pipeline to train on a cached table's scaled rows: its scaler step
    'passthrough' until :func:`install_scaler`."""
    if getattr(table, "scaler", None) is not None:
        model.steps[0] = ("scale", "passthrough")
    return model


def install_scaler(model, table):
    """Put a cached table's fitted scaler into the pipeline trained on its
    scaled rows (whose first step was 'passthrough')."""
    if getattr(table, "scaler", None) is not None:
        model.steps[0] = ("scale", table.scaler)
