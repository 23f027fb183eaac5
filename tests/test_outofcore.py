"""Training from memory-mapped data: same models, bounded resident memory."""

import sys
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits
from sklearn.utils import check_array

from skdbn import (
    DBNClassifier,
    DBNTransformer,
    LogisticRegressionGD,
    RBMTransformer,
)
from skdbn._outofcore import (
    file_mapping,
    map_rows,
    row_blocks,
    take_rows,
)
from skdbn._validation import astype, validate


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


def to_memmap(path, X, mode="r"):
    np.save(path, X)
    return np.load(path, mmap_mode=mode)


def test_file_mapping_follows_views_and_skips_copy_on_write(tmp_path, digits):
    X = digits[0]
    mapped = to_memmap(tmp_path / "X.npy", X)
    assert file_mapping(mapped) is not None
    assert file_mapping(mapped[10:20]) is not None
    assert file_mapping(check_array(mapped, dtype=np.float32)) is not None
    assert file_mapping(to_memmap(tmp_path / "c.npy", X, mode="c")) is None
    assert file_mapping(X) is None
    assert file_mapping(sp.csr_matrix(X)) is None


def test_blocks_and_gathers_read_the_right_rows(tmp_path, digits):
    X = digits[0]
    mapped = to_memmap(tmp_path / "X.npy", X)
    blocks = list(row_blocks(mapped, block_bytes=X[:1].nbytes * 100))
    assert [len(b) for b in blocks] == [100] * 17 + [97]
    np.testing.assert_array_equal(np.concatenate(blocks), X)
    idx = np.random.default_rng(0).permutation(len(X))[:77]
    out = np.empty((77, X.shape[1]), X.dtype)
    got = take_rows(mapped, idx, out, file_mapping(mapped))
    assert got is out
    # Blocks of chosen rows, in their order, from memory, a file or CSR.
    for data in (X, mapped, sp.csr_matrix(X)):
        picked = list(row_blocks(data, block_bytes=X[:1].nbytes * 30, rows=idx))
        assert [b.shape[0] for b in picked] == [30, 30, 17]
        dense = [b.toarray() if sp.issparse(b) else b for b in picked]
        np.testing.assert_array_equal(np.concatenate(dense), X[idx])
    np.testing.assert_array_equal(out, X[idx])


@pytest.mark.parametrize(
    "make",
    [
        lambda: RBMTransformer(n_components=16, n_iter=3, random_state=0),
        lambda: DBNTransformer((16, 8), rbm_n_iter=2, random_state=0),
        lambda: LogisticRegressionGD(max_iter=5, batch_size=50, random_state=0),
        lambda: LogisticRegressionGD(max_iter=5, batch_size=50, shuffle=False),
        lambda: DBNClassifier(
            (16,), rbm_n_iter=2, max_iter=3, batch_size=64, random_state=0
        ),
    ],
    ids=["rbm", "dbn-transformer", "logistic", "logistic-in-order", "dbn"],
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_memmap_fit_equals_in_memory_fit(tmp_path, digits, make):
    """A memory-mapped X gives exactly the model the same X in memory gives."""
    X, y = digits
    mapped = to_memmap(tmp_path / "X.npy", X)
    in_memory, from_file = make().fit(X, y), make().fit(mapped, y)
    X_out = in_memory.transform(X) if hasattr(in_memory, "transform") else None
    if X_out is None:
        np.testing.assert_array_equal(in_memory.coef_, from_file.coef_)
        np.testing.assert_array_equal(in_memory.predict(X), from_file.predict(mapped))
    else:
        np.testing.assert_array_equal(X_out, from_file.transform(mapped))


def test_memmap_with_nan_is_rejected_by_name(tmp_path, digits):
    X = digits[0].copy()
    X[1000, 5] = np.nan
    mapped = to_memmap(tmp_path / "X.npy", X)
    with pytest.raises(ValueError, match="(?s)Input X contains NaN.*RBMTransformer"):
        RBMTransformer(n_iter=1).fit(mapped)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        LogisticRegressionGD(max_iter=1).fit(mapped, digits[1])


def test_memmap_out_of_range_warns_once(tmp_path, digits):
    mapped = to_memmap(tmp_path / "X.npy", digits[0] * 16)
    with pytest.warns(UserWarning, match=r"expects data in \[0, 1\]") as record:
        RBMTransformer(n_components=4, n_iter=1).fit(mapped)
    assert len([w for w in record if "[0, 1]" in str(w.message)]) == 1


def _resident_file_pages_mb():
    with open("/proc/self/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    return int(fields["RssFile"].split()[0]) / 1024


@pytest.fixture(scope="module")
def big_memmap(tmp_path_factory):
    """40,000 x 784 float32 in [0, 1] (120 MB) on disk, with binary labels."""
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("big") / "X.npy"
    X = np.lib.format.open_memmap(
        path, mode="w+", dtype=np.float32, shape=(40_000, 784)
    )
    for start in range(0, len(X), 10_000):
        X[start : start + 10_000] = rng.random((10_000, 784), dtype=np.float32)
    del X
    return path, np.arange(40_000) % 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(
    "make",
    [
        lambda: RBMTransformer(n_components=8, n_iter=1, batch_size=500),
        lambda: DBNTransformer((8, 4), rbm_n_iter=1, rbm_batch_size=500),
        lambda: LogisticRegressionGD(max_iter=1, batch_size=500),
        lambda: DBNClassifier((8,), rbm_n_iter=1, rbm_batch_size=500, max_iter=1),
    ],
    ids=["rbm", "dbn-transformer", "logistic", "dbn-classifier"],
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fit_and_predict_leave_the_file_unmapped(big_memmap, make):
    """After fit and transform or predict, the file's pages are not resident here.

    The control (a plain sum over the memmap) shows the measure would catch it.
    """
    path, y = big_memmap
    mapped = np.load(path, mmap_mode="r")
    before = _resident_file_pages_mb()
    est = make().fit(mapped, y)
    out = est.predict(mapped) if hasattr(est, "predict") else est.transform(mapped)
    assert len(out) == len(mapped)
    assert _resident_file_pages_mb() - before < 24
    mapped.sum()
    assert _resident_file_pages_mb() - before > 100


@pytest.mark.parametrize(
    "make, method",
    [
        (
            lambda: RBMTransformer(n_components=16, n_iter=2, random_state=0),
            "transform",
        ),
        (
            lambda: RBMTransformer(n_components=16, n_iter=2, random_state=0),
            "score_samples",
        ),
        (lambda: DBNTransformer((16, 8), rbm_n_iter=2, random_state=0), "transform"),
        (lambda: LogisticRegressionGD(max_iter=3, random_state=0), "predict_proba"),
        (
            lambda: DBNClassifier((16,), rbm_n_iter=2, max_iter=3, random_state=0),
            "predict_proba",
        ),
        (
            lambda: DBNClassifier((16,), rbm_n_iter=2, max_iter=3, random_state=0),
            "transform",
        ),
    ],
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_outputs_do_not_depend_on_the_block_size(digits, make, method, monkeypatch):
    """Predictions and transforms are computed in row blocks; 7-row blocks agree."""
    X, y = digits
    est = make().fit(X, y)
    expected = getattr(est, method)(X)
    blocks = []
    original = row_blocks

    def spying(*args, **kwargs):
        for block in original(*args, **kwargs):
            blocks.append(block.shape[0])
            yield block

    monkeypatch.setattr("skdbn._outofcore.row_blocks", spying)
    monkeypatch.setattr("skdbn._outofcore.BLOCK_BYTES", 7 * 4 * 64)
    # atol: float32 score_samples are sums of terms near 10 that can cancel to
    # under 1, and a product's rounding depends on the block's shape.
    np.testing.assert_allclose(getattr(est, method)(X), expected, rtol=1e-6, atol=1e-5)
    assert max(blocks) <= 7 and sum(blocks) >= len(X)


# Validation: the checks every estimator's input goes through (skdbn._outofcore).


def test_no_columns_get_sklearns_0_features_error():
    """A DataFrame with no columns made sklearn fail with a message about dtypes."""
    pd = pytest.importorskip("pandas")
    empty = pd.DataFrame(np.zeros((3, 0)))
    with pytest.raises(ValueError, match=r"0 feature\(s\).*LogisticRegressionGD"):
        LogisticRegressionGD().fit(empty, [0, 1, 0])
    rbm = RBMTransformer(n_components=2, n_iter=1).fit(np.eye(3))
    with pytest.raises(ValueError, match=r"0 feature\(s\).*RBMTransformer"):
        rbm.transform(empty)
    with pytest.raises(ValueError, match=r"0 feature\(s\).*RBMTransformer"):
        rbm.inverse_transform(empty)


def test_float32_extremes_validate_without_warnings():
    """float32 data holding +max and -max: sklearn's quick finiteness check sums it
    to inf - inf and warned; the element-wise check still finds a NaN."""
    big = np.finfo(np.float32).max
    X = np.array([[1, 0.5, 0.5, -0.5], [-0.5, -1, -1, -1]]) * big
    X = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert validate(RBMTransformer(), X) is X
        X[1, 1] = np.nan
        with pytest.raises(ValueError, match="NaN"):
            validate(RBMTransformer(), X)


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix])
def test_astype_refuses_values_beyond_the_models_dtype(container):
    X = container(np.array([[0.5, 0.0], [0.0, -1e300]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="too large for float32"):
            astype(X, np.float32)
        with pytest.raises(ValueError, match="y has values too large"):
            astype(X, np.float32, input_name="y")
    assert astype(X, np.float64) is X
    assert astype(container(np.array([[0.5, 0.0]])), np.float32).dtype == np.float32


def test_map_rows_refuses_non_finite_outputs():
    """Finite X that overflows a model's computation raises, without a warning."""
    X = np.array([[1.0], [1e300]])

    def scaled(block, out):
        return np.multiply(block, 1e10, out=out)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="too large"):
            map_rows(scaled, X, 1, width=1)
    assert_array_equal(map_rows(scaled, X[:1], 1, width=1), [[1e10]])


def test_validation_split_copies_no_training_data(tmp_path, digits, monkeypatch):
    # The held-out rows and the training rows are index arrays into the file:
    # a fit with validation_fraction allocates what one without does, about
    # (blocks of 64 kB here instead of 16 MB, so that the data is many blocks).
    import tracemalloc

    from skdbn import _outofcore

    monkeypatch.setattr(_outofcore, "BLOCK_BYTES", 2**16)
    X = np.tile(digits[0], (4, 1))  # 7,188 x 64 float32: 1.8 MB
    mapped = to_memmap(tmp_path / "X.npy", X)
    peaks = []
    for fraction in (None, 0.1):
        rbm = RBMTransformer(8, n_iter=1, validation_fraction=fraction, random_state=0)
        tracemalloc.start()
        rbm.fit(mapped)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < peaks[0] + 0.2 * X.nbytes, peaks
    in_memory = RBMTransformer(8, n_iter=2, validation_fraction=0.1, random_state=0)
    from_file = RBMTransformer(8, n_iter=2, validation_fraction=0.1, random_state=0)
    assert_array_equal(in_memory.fit(X).components_, from_file.fit(mapped).components_)
    assert in_memory.validation_free_energy_ == from_file.validation_free_energy_


def test_gathers_from_non_c_contiguous_data_copy_one_batch():
    # np.take copies all of a Fortran-ordered or strided array first (a
    # DataFrame's values, a column slice): a batch's gather must not.
    X = np.asfortranarray(np.random.default_rng(0).random((20_000, 50)))
    idx = np.array([5, 9_999, 7])
    for view in (X, X[:, :40], X[::2]):
        out = np.empty((3, view.shape[1]))
        tracemalloc.start()
        take_rows(view, idx, out)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert_array_equal(out, view[idx])
        assert peak < 100_000  # the array is 8 MB


def test_sparse_blocks_are_sized_by_their_non_zeros():
    # 2**20 hashed features, 10 non-zeros a row: blocks of dense rows would be
    # four rows long; one block holds every row.
    rng = np.random.default_rng(0)
    X = sp.csr_matrix(
        (rng.random(10_000), rng.integers(0, 2**20, 10_000), np.arange(0, 10_001, 10)),
        shape=(1000, 2**20),
    )
    assert len(list(row_blocks(X, width=10))) == 1
    assert len(list(row_blocks(X, width=10, block_bytes=4000))) == 40  # 25 rows


def test_duplicate_sparse_entries_are_summed_before_the_checks():
    # 0.6 stored twice is a value of 1.2 once densified: the [0, 1] check and
    # training must see 1.2, and the model equals the canonical matrix's.
    X = sp.csr_matrix(
        (np.array([0.6, 0.6, 0.3]), np.array([0, 0, 1]), np.array([0, 2, 3])),
        shape=(2, 2),
    )
    assert not X.has_canonical_format
    with pytest.warns(UserWarning, match="expects data"):
        rbm = RBMTransformer(n_components=2, n_iter=2, random_state=0).fit(X)
    canonical = X.copy()
    canonical.sum_duplicates()
    with pytest.warns(UserWarning, match="expects data"):
        same = RBMTransformer(n_components=2, n_iter=2, random_state=0).fit(canonical)
    assert_array_equal(rbm.components_, same.components_)
    assert not X.has_canonical_format  # the caller's matrix is left as it was


def test_dbn_layers_of_a_memmap_are_spilled_to_a_file(tmp_path, digits, monkeypatch):
    """A DBN pre-trained on a memory-mapped X keeps each next layer's data in
    a temporary memory-mapped file (removed after), not in memory, and trains
    the same model."""
    from skdbn import _outofcore

    X, y = digits
    spilled = []
    to_file = _outofcore.map_rows_to_file

    def spy(func, H, n_cols, folder):
        out = to_file(func, H, n_cols, folder)
        spilled.append((out.filename, file_mapping(out) is not None, out.shape))
        return out

    monkeypatch.setattr(_outofcore, "map_rows_to_file", spy)
    make = lambda: DBNTransformer((24, 8), rbm_n_iter=2, random_state=0)  # noqa: E731
    in_memory, from_file = make().fit(X), make().fit(to_memmap(tmp_path / "X.npy", X))
    assert [(mapped, shape) for _, mapped, shape in spilled] == [(True, (len(X), 24))]
    assert not Path(spilled[0][0]).exists()  # the temporary folder is gone
    np.testing.assert_array_equal(in_memory.transform(X), from_file.transform(X))


def test_strided_view_of_a_memmap_is_gathered_a_few_rows_at_a_time(
    tmp_path, digits, monkeypatch
):
    """Every 100th row of a map: gathered GATHER_ROWS at a time, with the
    pages released after each group, not mapped all at once."""
    from skdbn import _outofcore

    X = digits[0]
    view = to_memmap(tmp_path / "X.npy", X)[::100]
    released = []
    monkeypatch.setattr(_outofcore, "release", lambda m: released.append(m))
    blocks = list(row_blocks(view))
    np.testing.assert_array_equal(np.concatenate(blocks), X[::100])
    assert len(released) >= len(X[::100]) // _outofcore.GATHER_ROWS
