"""IDX files (the MNIST format) and the MNIST folder layout."""

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

_GZIP_MAGIC = b"\x1f\x8b"
# IDX type codes: the third byte of the magic number.
_IDX_DTYPES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def load_idx(path):
    """Read an IDX file (MNIST's format), gzip-compressed or raw.

    Parameters
    ----------
    path : str or path-like
        File to read; a gzip-compressed file (found by its first bytes, whatever
        its name) is decompressed.

    Returns
    -------
    array : ndarray
        The array stored in the file, with its stored shape and a native dtype.

    Examples
    --------
    >>> import gzip, tempfile, os
    >>> import numpy as np
    >>> from skdbn.datasets import load_idx
    >>> path = os.path.join(tempfile.mkdtemp(), "x.idx.gz")
    >>> with gzip.open(path, "wb") as f:
    ...     _ = f.write(bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(range(6)))
    >>> load_idx(path)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    path = Path(path).expanduser()
    try:
        with open(path, "rb") as f:
            # By the bytes, not the name: a browser may unpack a .gz and keep
            # the name, or a file may lack its .gz (IDX files start 00 00).
            compressed = f.read(2) == _GZIP_MAGIC
    except IsADirectoryError:
        raise ValueError(f"{path} is a folder, not an IDX file.") from None
    opener = gzip.open if compressed else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ValueError(f"{path} is not a complete gzip file ({exc}).") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number).")
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    n_dims = data[3]
    header = 4 + 4 * n_dims
    if len(data) < header:
        raise ValueError(
            f"{path} is truncated: its header announces {n_dims} dimensions but "
            f"the file ends after {len(data)} bytes."
        )
    shape = tuple(
        int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims)
    )
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(
            f"{path} is truncated or corrupt: the header announces shape {shape} "
            f"({expected} bytes) but {len(data) - header} bytes follow it."
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _find(folder, stem):
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        if (folder / name).exists():
            return folder / name
    return None


def load_mnist(path=None, *, subset="test", dtype=np.float32):
    """Load MNIST images and labels from a local folder of IDX files.

    Parameters
    ----------
    path : str or path-like, default=None
        Folder holding the IDX files (``t10k-images-idx3-ubyte.gz`` and so on).
        Defaults to the ``SKDBN_DATA`` environment variable; ``~`` is expanded
        in both. Nothing is ever downloaded.
    subset : {'test', 'train', 'all'}, default='test'
        Which files to read; 'all' concatenates the training and test sets that
        are present (a set with only one of its two files is an error).
    dtype : float dtype, default=np.float32
        Dtype of the returned pixels, scaled to [0, 1].

    Returns
    -------
    X : ndarray of shape (n_samples, 784)
        Pixels divided by 255.
    y : ndarray of shape (n_samples,)
        Digit labels (int64).
    """
    if path is None:
        path = os.environ.get("SKDBN_DATA")
        if not path:
            raise FileNotFoundError(
                "No MNIST folder given: pass path=... or set the SKDBN_DATA "
                "environment variable to a folder of MNIST IDX files."
            )
    folder = Path(path).expanduser()  # SKDBN_DATA="~/mnist" is not expanded by a shell
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise FileNotFoundError(f"MNIST folder {folder} {what}.")
    subsets = ["train", "test"] if subset == "all" else [subset]
    if any(s not in _MNIST_FILES for s in subsets):
        raise ValueError(f"subset must be 'train', 'test' or 'all', got {subset!r}.")
    if not np.issubdtype(dtype, np.floating):
        raise ValueError(
            f"dtype must be a float dtype (pixels in [0, 1]), got {dtype}."
        )
    images, labels = [], []
    for name in subsets:
        stems = _MNIST_FILES[name]
        files = [_find(folder, stem) for stem in stems]
        if None in files:
            if subset == "all" and files == [None, None]:
                continue  # 'all' reads the sets that are there, whole
            missing = stems[files.index(None)]
            raise FileNotFoundError(f"{missing}(.gz) not found in {folder}.")
        pixels, digits = load_idx(files[0]), load_idx(files[1])
        if pixels.ndim != 3 or pixels.shape[1:] != (28, 28) or digits.ndim != 1:
            raise ValueError(
                f"{files[0]} and {files[1]} hold arrays of shapes {pixels.shape} "
                f"and {digits.shape}, not (n, 28, 28) images and (n,) labels."
            )
        if len(pixels) != len(digits):
            raise ValueError(
                f"{files[0]} holds {len(pixels)} images but {files[1]} holds "
                f"{len(digits)} labels."
            )
        images.append(pixels.reshape(-1, 28 * 28))
        labels.append(digits.astype(np.int64))
    if not images:
        raise FileNotFoundError(f"No MNIST IDX files found in {folder}.")
    X = np.concatenate(images).astype(dtype)
    X /= np.asarray(255, dtype=X.dtype)
    return X, np.concatenate(labels)
