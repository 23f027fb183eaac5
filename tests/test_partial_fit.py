"""partial_fit on every estimator: returns self, honours batch_size, keeps dtype."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skdbn import (
    DBNClassifier,
    DBNRegressor,
    DBNTransformer,
    LogisticRegressionGD,
    RBMTransformer,
    _cd,
    _network,
)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16, y


# (estimator, the objective whose calls are mini-batches, batches per call)
CASES = {
    "logistic": (
        lambda: LogisticRegressionGD(batch_size=30, random_state=0),
        _network.NetworkObjective,
        1,
    ),
    "rbm": (
        lambda: RBMTransformer(n_components=8, batch_size=30, random_state=0),
        _cd.RBMObjective,
        1,
    ),
    "dbn-transformer": (
        lambda: DBNTransformer((8, 4), rbm_batch_size=30, random_state=0),
        _cd.RBMObjective,
        2,  # one epoch per layer
    ),
    "dbn-classifier": (
        lambda: DBNClassifier((8,), pretrain=False, batch_size=30, random_state=0),
        _network.NetworkObjective,
        1,
    ),
    "dbn-regressor": (
        lambda: DBNRegressor((8,), pretrain=False, batch_size=30, random_state=0),
        _network.NetworkObjective,
        1,
    ),
}


def call(est, X, y, first):
    if isinstance(est, (DBNTransformer, RBMTransformer)):
        return est.partial_fit(X)
    if isinstance(est, DBNRegressor):
        return est.partial_fit(X, y / 10)
    return est.partial_fit(X, y, **({"classes": np.arange(10)} if first else {}))


def dtype_of(est):
    if hasattr(est, "coefs_"):
        return est.coefs_[0].dtype
    if hasattr(est, "rbms_"):
        return est.rbms_[-1].components_.dtype
    return getattr(est, "components_", getattr(est, "coef_", None)).dtype


@pytest.mark.parametrize("case", CASES)
@pytest.mark.filterwarnings("ignore:DBNClassifier fine-tuning collapsed")  # 1 epoch
def test_returns_self_honours_batch_size_keeps_dtype(digits, case, monkeypatch):
    make, objective, layers = CASES[case]
    calls = []
    original = objective.__call__

    def counting(self, X, *args, **kwargs):
        calls.append(X.shape[0])
        return original(self, X, *args, **kwargs)

    monkeypatch.setattr(objective, "__call__", counting)
    X, y = digits
    est = make()
    assert call(est, X[:100].astype(np.float32), y[:100], first=True) is est
    assert calls == [30, 30, 30, 10] * layers
    assert dtype_of(est) == np.float32
    call(est, X[100:170], y[100:170], first=False)  # float64 data, trained in float32
    assert calls[4 * layers :] == [30, 30, 10] * layers
    assert dtype_of(est) == np.float32


def test_one_layer_dbn_transformer_partial_fit_is_rbm_partial_fit(digits):
    """Each layer's epoch is RBMTransformer.partial_fit's (one layer: same model)."""
    X = digits[0]
    dbn = DBNTransformer(16, rbm_n_iter=5, random_state=3)
    rbm = RBMTransformer(  # the DBN's defaults: 'auto' resolves the same in both
        n_components=16,
        batch_size="auto",
        learning_rate="auto",
        persistent=False,
        momentum=0.5,
        final_momentum=0.9,
        weight_decay=1e-4,
        random_state=3,
    )
    for chunk in np.array_split(X, 3) * 2:
        dbn.partial_fit(chunk)
        rbm.partial_fit(chunk)
    np.testing.assert_array_equal(dbn.rbms_[0].components_, rbm.components_)
    assert dbn.rbms_[0].n_iter_ == 6


def test_dbn_transformer_partial_fit_trains_every_layer(digits):
    """Streaming chunks trains both layers: each reconstructs its input much
    better than the independent-units baseline (the input's total variance)."""
    X = digits[0]
    dbn = DBNTransformer((32, 16), random_state=0)
    for _ in range(4):
        for chunk in np.array_split(X, 4):
            dbn.partial_fit(chunk)
    H = X
    for layer in dbn.rbms_:
        assert layer.n_iter_ == 16
        error = ((H - layer.inverse_transform(layer.transform(H))) ** 2).sum(1).mean()
        assert error < 0.5 * H.var(axis=0).sum()
        H = layer.transform(H)
    assert dbn.transform(X).shape == (len(X), 16)


def test_streamed_chunks_from_a_memmap(tmp_path, digits):
    """Out-of-core: partial_fit over the chunks of a memory-mapped file."""
    X, y = digits
    np.save(tmp_path / "X.npy", X.astype(np.float32))
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    clf = LogisticRegressionGD(batch_size=50, random_state=0)
    for _ in range(5):
        for start in range(0, len(X), 400):
            rows = slice(start, start + 400)
            clf.partial_fit(mapped[rows], y[rows], classes=np.arange(10))
    assert clf.coef_.dtype == np.float32
    assert clf.score(X, y) > 0.9


@pytest.mark.parametrize("case", CASES)
@pytest.mark.filterwarnings(r"ignore:.*expects data in \[0, 1\]:UserWarning")
@pytest.mark.filterwarnings("ignore:DBNClassifier fine-tuning collapsed")
def test_data_too_large_for_a_float32_model_is_refused(digits, case):
    """Not cast to infinity (a RuntimeWarning) and blamed on the learning rate."""
    make, _, _ = CASES[case]
    X, y = digits
    est = call(make(), X[:100].astype(np.float32), y[:100], first=True)
    huge = np.full((4, X.shape[1]), 1e300)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="too large for float32"):
            call(est, huge, y[:4], first=False)
    assert dtype_of(est) == np.float32


def test_dbn_transformer_partial_fit_applies_set_params(digits):
    X = digits[0][:300]
    dbn = DBNTransformer((8, 4), rbm_momentum=0.0, random_state=0).partial_fit(X)
    before = [rbm.components_.copy() for rbm in dbn.rbms_]
    dbn.set_params(rbm_learning_rate=1e-9, rbm_k=2).partial_fit(X)
    for rbm, W in zip(dbn.rbms_, before, strict=True):
        assert np.abs(rbm.components_ - W).max() < 1e-8
        assert rbm._trainer.objective.k == 2
    for change in (
        {"hidden_layer_sizes": (8, 5)},
        {"visible_units": "gaussian"},
        {"rbm_persistent": True},
    ):
        other = DBNTransformer((8, 4), random_state=0).partial_fit(X)
        name = next(iter(change))
        with pytest.raises(ValueError, match=f"cannot change {name}="):
            other.set_params(**change).partial_fit(X)


def test_rbm_partial_fit_validates_parameters_set_since(digits):
    X = digits[0][:200]
    from sklearn.utils._param_validation import InvalidParameterError

    rbm = RBMTransformer(n_components=4, random_state=0).partial_fit(X)
    with pytest.raises(InvalidParameterError, match="'k' parameter"):
        rbm.set_params(k=0, persistent=True).partial_fit(X)
    dbn = DBNTransformer((4, 3), random_state=0).partial_fit(X)
    with pytest.raises(InvalidParameterError, match="'rbm_learning_rate' param"):
        dbn.set_params(rbm_learning_rate=-1.0).partial_fit(X)
