"""skdbn.datasets: the generators, the nudged digits, CSV files, and doctests."""

import doctest
import gzip
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits

import skdbn.datasets
from skdbn.datasets import (
    CSVFormatError,
    load_csv,
    load_idx,
    load_mnist,
    load_nudged_digits,
    make_bars_and_stripes,
    make_xor,
)


@pytest.mark.parametrize(
    "module",
    ["_csv", "_digits", "_generators", "_idx"],
)
def test_doctests(module):
    mod = getattr(skdbn.datasets, module)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_make_xor_labels():
    X, y = make_xor(100, random_state=0)
    assert_array_equal(y, (X[:, 0] != X[:, 1]).astype(int))


def test_bars_and_stripes_all_patterns():
    for size in (2, 3, 4):
        X, y = make_bars_and_stripes(size=size)
        assert X.shape == (2 ** (size + 1) - 2, size * size)
        assert len(np.unique(X, axis=0)) == len(X)  # all distinct
        images = X.reshape(-1, size, size)
        cols_constant = (images == images[:, :1, :]).all(axis=(1, 2))
        rows_constant = (images == images[:, :, :1]).all(axis=(1, 2))
        assert (cols_constant | rows_constant).all()
        assert_array_equal(y == 0, cols_constant)


def test_bars_and_stripes_sampled_and_noise():
    X, y = make_bars_and_stripes(500, size=4, random_state=0)
    images = X.reshape(-1, 4, 4)
    stripes = y == 1
    assert (images[stripes] == images[stripes][:, :, :1]).all()
    assert (images[~stripes] == images[~stripes][:, :1, :]).all()
    assert 0.3 < stripes.mean() < 0.6
    X2, _ = make_bars_and_stripes(500, size=4, random_state=0)
    assert_array_equal(X, X2)
    noisy, _ = make_bars_and_stripes(500, size=4, noise=0.1, random_state=0)
    assert 0.05 < np.mean(noisy != X) < 0.15
    with pytest.raises(ValueError, match="noise"):
        make_bars_and_stripes(noise=2)


@pytest.mark.parametrize("size", [22, 100])
def test_bars_and_stripes_refuses_to_enumerate_too_many_patterns(size):
    # Before any allocation: size=22 would need 30 GiB, size=100 more than exists.
    with pytest.raises(ValueError, match=r"limit of 256 MiB \(size <= 16\).*n_samples"):
        make_bars_and_stripes(size=size)
    X, _ = make_bars_and_stripes(3, size=size, random_state=0)  # drawing is fine
    assert X.shape == (3, size * size)


@pytest.mark.parametrize(
    "make, params, match",
    [
        (make_xor, {"n_samples": -1}, "'n_samples' parameter of make_xor"),
        (make_xor, {"n_samples": 2.5}, "'n_samples' parameter of make_xor"),
        (make_xor, {"n_samples": True}, "'n_samples' parameter of make_xor"),
        (make_xor, {"noise": np.nan}, "'noise' parameter of make_xor"),
        (make_xor, {"noise": -0.1}, "'noise' parameter of make_xor"),
        (make_xor, {"noise": np.inf}, "'noise' parameter of make_xor"),
        (make_xor, {"random_state": "0"}, "'random_state' parameter of make_xor"),
        (make_bars_and_stripes, {"n_samples": -1}, "'n_samples' parameter"),
        (make_bars_and_stripes, {"n_samples": 2.5}, "'n_samples' parameter"),
        (make_bars_and_stripes, {"size": 0}, "'size' parameter"),
        (make_bars_and_stripes, {"size": 2.0}, "'size' parameter"),
        (make_bars_and_stripes, {"noise": np.nan}, "'noise' parameter"),
        (make_bars_and_stripes, {"random_state": "0"}, "'random_state' parameter"),
    ],
)
def test_generators_validate_their_parameters(make, params, match):
    with pytest.raises(ValueError, match=match):
        make(**params)


def test_nudged_digits():
    X, y = load_nudged_digits()
    digits = load_digits()
    assert X.shape == (5 * 1797, 64) and X.dtype == np.float32
    assert_array_equal(y[:1797], digits.target)
    assert X.min() == 0 and X.max() == 1
    raw, _ = load_nudged_digits(scale=False)
    assert_array_equal(raw[:1797], digits.data)
    # The second block is every image moved one pixel down.
    down = raw[1797:3594].reshape(-1, 8, 8)
    assert_array_equal(down[:, 1:, :], digits.images[:, :-1, :])
    assert (down[:, 0, :] == 0).all()


def test_nudged_digits_refuses_integer_dtypes_for_scaled_pixels():
    # Pixels in [0, 1] cast to int8 would be all 0 but the 1s, silently.
    with pytest.raises(ValueError, match="float dtype .*got int8; pass scale=False"):
        load_nudged_digits(dtype=np.int8)
    raw, _ = load_nudged_digits(scale=False, dtype=np.int8)  # grey levels 0-16
    assert raw.dtype == np.int8 and raw.max() == 16
    with pytest.raises(ValueError, match="float or integer dtype"):
        load_nudged_digits(scale=False, dtype=bool)


def test_load_mnist_from_idx_folder(tmp_path, monkeypatch):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    header = bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28])
    with gzip.open(tmp_path / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(header + images.tobytes())
    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 3]))
    monkeypatch.setenv("SKDBN_DATA", str(tmp_path))
    X, y = load_mnist()
    assert X.shape == (2, 784) and list(y) == [7, 3]
    assert_array_equal(load_idx(tmp_path / "t10k-labels-idx1-ubyte.gz"), [7, 3])
    monkeypatch.delenv("SKDBN_DATA")
    with pytest.raises(FileNotFoundError, match="SKDBN_DATA"):
        load_mnist()
    # Three labels for two images: misaligned rows are refused, by file name.
    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 3, 1]))
    with pytest.raises(ValueError, match="2 images but .*labels-idx1.* 3 labels"):
        load_mnist(tmp_path)
    with pytest.raises(ValueError, match="float dtype"):
        load_mnist(tmp_path, dtype=np.uint8)
    with pytest.raises(FileNotFoundError, match="is a file, not a folder"):
        load_mnist(tmp_path / "t10k-labels-idx1-ubyte.gz")
    # 'all' skips a set with neither file, but not one with half of its files.
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="train-labels-idx1-ubyte"):
        load_mnist(tmp_path, subset="all")


@pytest.mark.parametrize(
    "name, content, match",
    [
        ("cut.gz", None, "not a complete gzip file"),  # a truncated gzip stream
        ("header", bytes([0, 0, 8, 3, 0, 0]), "truncated: its header announces 3"),
    ],
)
def test_corrupt_idx_files_name_the_file(tmp_path, name, content, match):
    path = tmp_path / name
    if content is None:
        whole = gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3, 4]))
        content = whole[: len(whole) // 2]
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match) as info:
        load_idx(path)
    assert str(path) in str(info.value)


def _write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_load_csv_header_and_target(tmp_path):
    path = _write(tmp_path, "a,b,y\n0.5,1,0\n1,2,1\n")
    data = load_csv(path)
    assert data.has_header and data.feature_names == ["a", "b"]
    assert data.target_name == "y" and data.target.dtype.kind == "i"
    assert_array_equal(data.data, [[0.5, 1], [1, 2]])
    by_name = load_csv(path, target="a")
    assert by_name.feature_names == ["b", "y"] and list(by_name.target) == [0.5, 1.0]
    X, y = load_csv(path, target=None, return_X_y=True)
    assert X.shape == (2, 3) and y is None


def test_load_csv_without_header_text_labels_semicolons(tmp_path):
    data = load_csv(_write(tmp_path, "1;2;cat\n3;4;dog\n"))
    assert not data.has_header
    assert list(data.target) == ["cat", "dog"]
    assert data.feature_names == ["x0", "x1"] and data.target_name == "target"


@pytest.mark.parametrize(
    "text, target, message",
    [
        ("a,b\n1,2\n3\n", -1, r"line 3: 1 fields, but line 1 has 2"),
        ("a,b,c\n1,2,0\n1,oops,1\n", -1, r"line 3, column 2 \('b'\): 'oops' is not"),
        ("a,b,c\n1,,0\n", -1, r"line 2, column 2 \('b'\) is empty"),
        ("a,b,c\n1,inf,0\n", -1, "not a finite number"),
        ("a,b,c\n1,2,0\n", "label", r"target column 'label' does not exist"),
        ("a,b,c\n1,2,0\n", 7, r"target column 7 does not exist"),
        ("", -1, "is empty"),
        ("a,b,c\n", -1, "no data rows"),
    ],
)
def test_load_csv_errors_name_line_and_column(tmp_path, text, target, message):
    with pytest.raises(CSVFormatError, match=message):
        load_csv(_write(tmp_path, text), target=target)


def test_load_csv_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_csv(tmp_path / "nope.csv")


def test_load_csv_header_of_numbers_found_by_its_target_cell(tmp_path):
    # Wavelengths as feature names: no text above a number, but the label
    # column's first cell occurs nowhere else while every label repeats.
    rows = "0.55,0.72,0.60,high\n0.51,0.42,0.64,low\n0.50,0.70,0.61,high\n"
    path = _write(tmp_path, "400,410,420,species\n" + rows + "0.4,0.4,0.6,low\n")
    data = load_csv(path)
    assert data.has_header and data.feature_names == ["400", "410", "420"]
    assert data.target_name == "species" and list(data.target).count("low") == 2
    assert load_csv(path, target="species").has_header  # named: a header too
    assert not load_csv(path, header="no").has_header
    # A label that repeats, or labels that do not: data, not a header.
    assert not load_csv(_write(tmp_path, "1,2,3,high\n" + rows)).has_header
    assert not load_csv(_write(tmp_path, "1,2,a\n3,4,b\n5,6,c\n")).has_header


def test_load_csv_integer_targets_are_exact(tmp_path):
    big = ["9007199254740993", "9007199254740992", "-9223372036854775808"]
    path = _write(tmp_path, "a,id\n" + "".join(f"{i},{v}\n" for i, v in enumerate(big)))
    data = load_csv(path)
    assert data.target.dtype == np.int64
    assert [int(v) for v in data.target] == [int(v) for v in big]  # no float64
    huge = "a,id\n1,12345678901234567890\n2,3\n"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarning
        data = load_csv(_write(tmp_path, huge))
    assert list(data.target) == ["12345678901234567890", "3"]
    assert load_csv(_write(tmp_path, "a,y\n1,2.0\n2,-3.0\n")).target.dtype == np.int64
    assert load_csv(_write(tmp_path, "a,y\n1,1e300\n2,1\n")).target.dtype == float


def test_load_csv_columns_by_name_or_index(tmp_path):
    path = _write(tmp_path, "a,b,c,y\n1,2,3,yes\n4,5,6,no\n")
    data = load_csv(path, columns=["c", "a"])
    assert data.feature_names == ["c", "a"]
    assert_array_equal(data.data, [[3, 1], [6, 4]])
    X, _ = load_csv(path, target=None, columns=[1, -2], return_X_y=True)
    assert_array_equal(X, [[2, 3], [5, 6]])
    with pytest.raises(CSVFormatError, match=r"has no column 'd' \(its columns are"):
        load_csv(path, columns=["a", "d"])
    with pytest.raises(CSVFormatError, match="'y' is the target, not a feature"):
        load_csv(path, columns=["a", "y"])


def test_load_idx_gzip_without_gz_name_and_home_folder(tmp_path, monkeypatch):
    images = np.arange(28 * 28, dtype=np.uint8).reshape(1, 28, 28)
    header = bytes([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28])
    folder = tmp_path / "mnist"
    folder.mkdir()
    # gzip-compressed, but named as the raw files are (a browser unpacked the
    # name, not the content): found by its first bytes.
    (folder / "t10k-images-idx3-ubyte").write_bytes(
        gzip.compress(header + images.tobytes())
    )
    (folder / "t10k-labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 1, 4]))
    assert_array_equal(load_idx(folder / "t10k-images-idx3-ubyte"), images)
    # And the other way round: unpacked, but still named .gz.
    (tmp_path / "plain.gz").write_bytes(header + images.tobytes())
    assert_array_equal(load_idx(tmp_path / "plain.gz"), images)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SKDBN_DATA", "~/mnist")
    X, y = load_mnist()
    assert X.shape == (1, 784) and list(y) == [4]


# The fast reader (NumPy's C parser, in blocks) and the checking reader (every
# cell through Python's csv module) must agree: on a file the fast reader
# reads, the same arrays; on every other, the checking reader decides.
_VALID_CSV = [
    ("a,b,y\n0.5,1,0\n1,2,1\n", {}),
    ("a,b,y\n0.5,1,0\n1,2,1\n", {"target": "a"}),
    ("a,b,y\n0.5,1,0\n1,2,1\n", {"target": None}),
    ("1;2;cat\n3;4;dog\n", {}),
    ("400,410,species\n0.5,0.7,high\n0.5,0.4,low\n0.5,0.7,high\n0.4,0.4,low\n", {}),
    ("400,410,species\n0.5,0.7,high\n0.5,0.4,low\n0.5,0.7,high\n", {"header": "no"}),
    ("1,2,3,high\n0.55,0.72,0.60,high\n0.51,0.42,0.64,low\n", {}),
    ("1,2,a\n3,4,b\n5,6,c\n", {}),
    ("a,id\n0,9007199254740993\n1,9007199254740992\n2,-9223372036854775808\n", {}),
    ("a,id\n1,12345678901234567890\n2,3\n", {}),
    ("a,y\n1,2.0\n2,-3.0\n", {}),
    ("a,y\n1,1e300\n2,1.5\n", {}),
    ("a,b,c,y\n1,2,3,yes\n4,5,6,no\n", {"columns": ["c", "a"]}),
    ("a,b,c,y\n1,2,3,yes\n4,5,6,no\n", {"columns": [1, -2], "target": None}),
    ("\ufeffa,b,y\r\n1,2,0\r\n\r\n3,4,1\r\n", {}),
    ("a\tb\ty\n1\t2\tx\n3\t4\tz\n", {}),
    ("a, b, y\n 1, 2 , x \n3 ,4,z\n", {}),
    ('"a","b","y"\n"1","2","x"\n3,4,z\n', {}),
    ("\n\na,b,y\n\n1,2,0\n3,4,1", {}),
    ("y,a,b\n0,1,2\n1,3,4\n", {"target": 0}),
    ("a,y,b,id\n0,1,2,u\n1,3,4,v\n", {"target": "y", "columns": ["b", "a"]}),
    ("1,2,0\n3,4,1\n", {"target": "-1"}),
    ("a,b,y\n1,2,é\n3,4,ü\n", {}),
    ("a,b,y\n1,+2,0\n.5,4e-1,1\n", {}),
    ("x\n1\n2\n", {"target": None}),
]
# Valid for the checking reader, beyond the fast one: it reads them itself.
_CHECKED_ONLY_CSV = [
    ('a,b,y\n1,2, "x"\n3,4,z\n', {}),
    ("a,b,y\n1_0,2,0\n3,4,1\n", {}),
    ("a,b,y\n1,2,0\n,,\n3,4,1\n", {}),
    ("a,b,y\n1,2,0\n3,4,1\n", {"columns": ["a", "b", "a"]}),
    ("a,b\r1,2\r3,4\r", {}),
    ("a,b,c\n1,2,3\n   \n4,5,6\n", {}),
]
_MALFORMED_CSV = [
    ("a,b\n1,2\n3\n", -1),
    ("a,b,c\n1,2,0\n1,oops,1\n", -1),
    ("a,b,c\n1,,0\n", -1),
    ("a,b,c\n1,inf,0\n", -1),
    ("a,b,c\n1,2,0\n", "label"),
    ("a,b,c\n1,2,0\n", 7),
    ("", -1),
    ("a,b,c\n", -1),
    ("a,b,c\n1,2,3\n4,5,6,7\n", -1),
    ("a,b,c\n1,2,nan\n", -1),
    ("a,b,c\n1,2,\n", -1),
    ("a,b,c\n1,2,3\n# note,5,6\n", -1),
    ("a,b,c\n1,2,3\n4,5,6\n", {"columns": ["a", "d"]}),
    ("a,b,c\n1,2,3\n4,5,6\n", {"columns": ["a", "c"]}),
]


def _both_readers(path, target=-1, header="auto", columns=None):
    """The fast reader's table (or None), the checking reader's table and
    error, after checking that the one-pass diagnosis finds that error."""
    from skdbn.datasets import _csv
    from skdbn.datasets._csv_check import check_csv

    args = (path, target, header, None, columns)
    fast = _csv._load_fast(*args, np.dtype(np.float64))
    try:
        checked, error = _csv._load_checked(*args), None
    except CSVFormatError as exc:
        checked, error = None, str(exc)
    # The diagnosis in one bounded pass finds the same error (or none).
    try:
        check_csv(path, target=target, header=header, columns=columns)
        streamed = None
    except CSVFormatError as exc:
        streamed = str(exc)
    assert streamed == error
    return fast, checked, error


def _assert_same_bunch(fast, checked):
    assert fast.keys() == checked.keys()
    for key, value in checked.items():
        if isinstance(value, np.ndarray):
            assert fast[key].dtype == value.dtype, key
            assert_array_equal(fast[key], value)
        else:
            assert fast[key] == value, key


@pytest.mark.parametrize("text, kwargs", _VALID_CSV)
@pytest.mark.parametrize("block_bytes", [None, 8])
def test_fast_and_checking_readers_agree(
    tmp_path, monkeypatch, text, kwargs, block_bytes
):
    from skdbn.datasets import _csv_reader

    if block_bytes:  # a block per line or so: rows and labels across blocks
        monkeypatch.setattr(_csv_reader, "BLOCK_BYTES", block_bytes)
    fast, checked, error = _both_readers(_write(tmp_path, text), **kwargs)
    assert error is None and fast is not None, "the fast reader reads it"
    _assert_same_bunch(fast, checked)


@pytest.mark.parametrize("text, kwargs", _CHECKED_ONLY_CSV)
def test_checking_reader_reads_what_the_fast_reader_leaves(tmp_path, text, kwargs):
    path = _write(tmp_path, text)
    fast, checked, error = _both_readers(path, **kwargs)
    assert fast is None and error is None
    _assert_same_bunch(load_csv(path, **kwargs), checked)


@pytest.mark.parametrize("text, target", _MALFORMED_CSV)
def test_malformed_files_go_to_the_checking_reader(tmp_path, text, target):
    kwargs = target if isinstance(target, dict) else {"target": target}
    path = _write(tmp_path, text)
    fast, checked, error = _both_readers(path, **kwargs)
    assert fast is None and checked is None and str(path) in error
    with pytest.raises(CSVFormatError) as info:
        load_csv(path, **kwargs)
    assert str(info.value) == error


def test_load_csv_float32(tmp_path):
    path = _write(tmp_path, "a,b,y\n0.1,1,0\n1,2,1\n")
    X = load_csv(path, dtype=np.float32).data
    assert X.dtype == np.float32
    assert_array_equal(X, np.array([[0.1, 1], [1, 2]], dtype=np.float32))
    # The checking reader converts to float32 too, and refuses an overflow.
    assert (
        load_csv(_write(tmp_path, "a,y\n1_0,0\n"), dtype=np.float32).data.dtype
        == np.float32
    )
    with pytest.raises(CSVFormatError, match="beyond the range of float32"):
        load_csv(_write(tmp_path, "a,y\n1e39,0\n1_0,1\n"), dtype=np.float32)
    with pytest.raises(ValueError, match="float32 or float64"):
        load_csv(path, dtype=np.int64)


_CELLS = ["1", "-2.5", " 3", "1e3", "+.5", "inf", "nan", "", "x", '"4"', "1_0",
          "0x1", ' "a"', "é", "7 ", "1e400", "a b"]  # fmt: skip
_CELLS += ["0", "1", "2.5"] * 12  # mostly numbers: many files the fast reader reads


@settings(max_examples=150, deadline=None)
@given(
    grid=st.lists(
        st.lists(st.sampled_from(_CELLS), min_size=2, max_size=4),
        min_size=1,
        max_size=5,
    ),
    header=st.sampled_from(["auto", "yes", "no"]),
    target=st.sampled_from([-1, 0, None, "1"]),
)
def test_fast_reader_never_disagrees_with_the_checking_reader(grid, header, target):
    """Random small files of awkward cells: where the fast reader returns a
    table, it is the checking reader's; elsewhere load_csv raises the checking
    reader's error."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_text("".join(",".join(row) + "\n" for row in grid))
        kwargs = {"header": header, "target": target}
        fast, checked, error = _both_readers(path, **kwargs)
        if fast is not None:
            assert error is None
            _assert_same_bunch(fast, checked)
        elif error is not None:
            with pytest.raises(CSVFormatError) as info:
                load_csv(path, **kwargs)
            assert str(info.value) == error


@pytest.mark.parametrize("bad", ["feature", "target", "both", "ragged"])
def test_one_pass_diagnosis_across_its_blocks(tmp_path, monkeypatch, bad):
    from skdbn.datasets import _csv_check

    monkeypatch.setattr(_csv_check, "_BLOCK_ROWS", 4)
    rows = [f"{i},{i % 3},{i % 2}" for i in range(50)]
    if bad in ("feature", "both"):
        rows[30] = "30,x,0"
    if bad in ("target", "both"):
        rows[10] = "10,1,"
    if bad == "ragged":
        rows[40] = "40,1"
        rows[5] = "5,y,1"
    path = _write(tmp_path, "a,b,y\n" + "\n".join(rows) + "\n")
    _, _, error = _both_readers(path)
    assert error is not None
