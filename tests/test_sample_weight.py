"""``sample_weight`` in pre-training (contrastive divergence) and fine-tuning.

Integer weights must count as repeated rows and zero weights as dropped rows.
Contrastive divergence draws Gibbs samples per row, so a row of weight 3 and
its three copies get different draws: the exact comparisons run on full
batches with the ``deterministic_draws`` fixture (conftest), which leaves the
weighting as the only difference; the shipped sampler is checked exactly where
it is deterministic (no pre-training, PCD's gradient) and statistically
elsewhere.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.estimator_checks import (
    check_sample_weight_equivalence_on_dense_data,
    check_sample_weight_equivalence_on_sparse_data,
)

from skdbn import (
    DBNClassifier,
    DBNRegressor,
    DBNTransformer,
    RBMTransformer,
    _cd,
)

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore::skdbn.exceptions.NoProgressWarning"),
]


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(n_class=3, return_X_y=True)
    return (X[:90] > 7).astype(np.float64), y[:90]


def _weights(n, seed=0):
    return np.random.RandomState(seed).randint(0, 4, size=n)  # zeros included


def _output(est, X):
    for method in ("predict_proba", "predict", "transform"):
        if hasattr(est, method):
            return getattr(est, method)(X)
    raise AssertionError(est)


# Full batches at every stage: the settings under which only the draws differ.
FULL_BATCH = [
    RBMTransformer(n_components=8, batch_size=1000, persistent=False, k=2),
    RBMTransformer(n_components=8, batch_size=1000, sparsity_cost=0.5),
    DBNTransformer(hidden_layer_sizes=(8, 4), rbm_batch_size=1000, rbm_n_iter=5),
    DBNClassifier(
        hidden_layer_sizes=(8,),
        rbm_batch_size=1000,
        rbm_n_iter=5,
        batch_size=None,
        max_iter=30,
    ),
    DBNRegressor(
        hidden_layer_sizes=(8,),
        rbm_batch_size=1000,
        rbm_n_iter=5,
        batch_size=None,
        max_iter=30,
    ),
]


def _fit(est, X, y, **kwargs):
    est = clone(est).set_params(random_state=0)
    if isinstance(est, (RBMTransformer, DBNTransformer)):
        return est.fit(X, **kwargs)
    target = y.astype(float) if isinstance(est, DBNRegressor) else y
    return est.fit(X, target, **kwargs)


@pytest.mark.parametrize("est", FULL_BATCH, ids=repr)
def test_integer_weights_equal_repeated_and_dropped_rows(
    est, digits, deterministic_draws
):
    X, y = digits
    w = _weights(len(y))
    weighted = _fit(est, X, y, sample_weight=w)
    repeated = _fit(est, np.repeat(X, w, axis=0), np.repeat(y, w))
    assert_allclose(_output(weighted, X), _output(repeated, X), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("persistent", [False, True])
def test_cd_statistics_count_a_weighted_row_as_its_copies(
    persistent, deterministic_draws
):
    # One CD-2 (or PCD-2) gradient, with sparsity: weights s scaled to mean 1
    # over the batch against the rows repeated s times.
    rng = np.random.RandomState(0)
    X = (rng.rand(6, 5) > 0.5).astype(float)
    w = np.array([2, 0, 1, 3, 1, 1])
    W, b, a = rng.normal(0, 0.5, (4, 5)), rng.normal(0, 0.1, 4), np.zeros(5)

    def gradient(data, sample_weight):
        objective = _cd.RBMObjective(
            W.copy(),
            b.copy(),
            a.copy(),
            generator=np.random.default_rng(0),
            k=2,
            persistent=persistent,
            n_chains=3,
            sparsity_cost=0.5,
            weight_decay=1e-3,
        )
        loss = objective(data, None, sample_weight, scale=0.5)
        return loss, objective.grads, objective.hidden_activity

    loss, grads, activity = gradient(X, w / w.mean())
    loss_r, grads_r, activity_r = gradient(np.repeat(X, w, axis=0), None)
    for g, g_r in zip(grads, grads_r, strict=True):
        assert_allclose(g, g_r, rtol=1e-12, atol=1e-15)
    assert_allclose(activity, activity_r, rtol=1e-12)
    if not persistent:  # PCD's error is estimated on the first rows only
        assert_allclose(loss, loss_r, rtol=1e-12)


def test_pcd_gradient_weights_with_the_shipped_sampler():
    # PCD's negative phase does not depend on the rows: with the real
    # generator, weights equal repeated rows exactly.
    rng = np.random.RandomState(1)
    X = (rng.rand(5, 6) > 0.5).astype(float)
    w = np.array([1, 2, 0, 1, 4])
    W = rng.normal(0, 0.5, (3, 6))

    def gradient(data, sample_weight):
        objective = _cd.RBMObjective(
            W.copy(),
            np.zeros(3),
            np.zeros(6),
            generator=np.random.default_rng(0),
            persistent=True,
            n_chains=4,
        )
        objective(data, None, sample_weight)
        return objective.grads

    expected = gradient(np.repeat(X, w, axis=0), None)
    for g, g_r in zip(gradient(X, w / w.mean()), expected, strict=True):
        assert_allclose(g, g_r, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("cls", [DBNClassifier, DBNRegressor])
@pytest.mark.parametrize(
    "check",
    [
        check_sample_weight_equivalence_on_dense_data,
        check_sample_weight_equivalence_on_sparse_data,
    ],
)
def test_sklearn_equivalence_checks_without_pretraining(cls, check):
    # No draws at all (no pre-training, no dropout, full batches): the shipped
    # code passes scikit-learn's checks as they are, as MLPRegressor does with
    # its full-batch settings.
    est = cls(hidden_layer_sizes=(16, 8), pretrain=False, batch_size=None)
    check(cls.__name__, est.set_params(max_iter=100))


@pytest.mark.parametrize(
    "est",
    [
        RBMTransformer(n_components=8, n_iter=3),
        RBMTransformer(n_components=8, n_iter=3, persistent=False),
        DBNTransformer(hidden_layer_sizes=(8, 4), rbm_n_iter=3),
        DBNClassifier(hidden_layer_sizes=(8,), rbm_n_iter=3, max_iter=5),
        DBNRegressor(hidden_layer_sizes=(8,), rbm_n_iter=3, max_iter=5),
    ],
    ids=repr,
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_weights_of_one_are_no_weights_bit_for_bit(est, digits, dtype):
    # With the shipped sampler and shuffled mini-batches: equal weights take
    # the unweighted code path, so the model is the same to the last bit.
    X, y = digits
    X = X.astype(dtype)
    plain = _fit(est, X, y)
    ones = _fit(est, X, y, sample_weight=np.ones(len(y)))
    assert_array_equal(_output(ones, X), _output(plain, X))
    assert _output(ones, X).dtype == dtype
    if isinstance(est, (RBMTransformer, DBNTransformer)):  # only ratios matter
        threes = _fit(est, X, y, sample_weight=np.full(len(y), 3.0))
        assert_array_equal(_output(threes, X), _output(plain, X))


@pytest.mark.parametrize("est", FULL_BATCH, ids=repr)
def test_float32_weighted_fits_stay_float32(est, digits):
    X, y = digits
    fitted = _fit(est, X.astype(np.float32), y, sample_weight=_weights(len(y)) + 0.5)
    assert _output(fitted, X.astype(np.float32)).dtype == np.float32
    if isinstance(fitted, RBMTransformer):
        assert fitted.components_.dtype == np.float32
    else:
        for rbm in getattr(fitted, "rbms_", []):
            assert rbm.components_.dtype == np.float32


def test_weights_pull_the_stochastic_rbm_towards_the_weighted_rows():
    # The shipped sampler, shuffled mini-batches: rows of zero weight are as
    # good as absent, so the model scores the weighted class far higher than
    # an unweighted model does.
    X, y = load_digits(n_class=2, return_X_y=True)
    X = X / 16
    rbm = RBMTransformer(n_components=16, n_iter=20, random_state=0)
    gap = []
    for w in (None, (y == 0).astype(float)):
        s = clone(rbm).fit(X, sample_weight=w).score_samples(X)
        gap.append(s[y == 0].mean() - s[y == 1].mean())
    dropped = clone(rbm).fit(X[y == 0]).score_samples(X)
    dropped_gap = dropped[y == 0].mean() - dropped[y == 1].mean()
    # (seeds 0-2: unweighted -8 to 9 nats, weighted 23.6-24.2, dropped 23.4-23.7)
    assert gap[1] > gap[0] + 10
    assert abs(gap[1] - dropped_gap) < 0.1 * dropped_gap


@pytest.mark.parametrize("est", FULL_BATCH, ids=repr)
def test_sparse_and_memmap_weighted_fits_match_dense(est, digits, tmp_path):
    X, y = digits
    w = _weights(len(y)) + 0.25
    dense = _output(_fit(est, X, y, sample_weight=w), X)
    sparse = _fit(est, sp.csr_matrix(X), y, sample_weight=w)
    assert_allclose(_output(sparse, X), dense, rtol=1e-6, atol=1e-9)
    np.save(tmp_path / "X.npy", X)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    assert_array_equal(_output(_fit(est, mapped, y, sample_weight=w), X), dense)


def test_weighted_partial_fit_equals_repeated_rows(digits, deterministic_draws):
    X, y = digits
    w = _weights(len(y), seed=3)
    Xr, yr = np.repeat(X, w, axis=0), np.repeat(y, w)
    rbm = RBMTransformer(n_components=8, batch_size=1000, random_state=0)
    net = DBNClassifier(
        hidden_layer_sizes=(8,),
        rbm_batch_size=1000,
        rbm_n_iter=5,
        batch_size=None,
        random_state=0,
    )
    a, b = clone(rbm), clone(rbm)
    c, d = clone(net), clone(net)
    for _ in range(3):
        a.partial_fit(X, sample_weight=w)
        b.partial_fit(Xr)
        c.partial_fit(X, y, classes=[0, 1, 2], sample_weight=w)
        d.partial_fit(Xr, yr, classes=[0, 1, 2])
    assert_allclose(a.transform(X), b.transform(X), rtol=1e-7)
    assert_allclose(c.predict_proba(X), d.predict_proba(X), rtol=1e-7)


@pytest.mark.parametrize(
    "est",
    [RBMTransformer(n_iter=1), DBNTransformer(rbm_n_iter=1), DBNClassifier()],
    ids=repr,
)
def test_invalid_weights_are_refused_by_name(est, digits):
    X, y = digits
    args = (X,) if not isinstance(est, DBNClassifier) else (X, y)
    bad = np.ones(len(y))
    bad[3] = -1
    with pytest.raises(ValueError, match="[Nn]egative"):
        clone(est).fit(*args, sample_weight=bad)
    with pytest.raises(ValueError, match="zero"):
        clone(est).fit(*args, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="sample_weight"):
        clone(est).fit(*args, sample_weight=np.ones(len(y) + 1))


def test_a_held_out_part_without_weight_is_refused(digits):
    X, y = digits
    w = np.zeros(len(y))
    w[0] = 1.0  # the held-out rows, or the training rows, weigh nothing
    with pytest.raises(ValueError, match="validation_fraction"):
        RBMTransformer(n_iter=1, validation_fraction=0.5, random_state=0).fit(
            X, sample_weight=w
        )
    with pytest.raises(ValueError, match="validation_fraction"):
        DBNClassifier(early_stopping=True, random_state=0, rbm_n_iter=1).fit(
            X, y, sample_weight=w
        )


def test_monitored_training_rows_are_rows_that_count(digits):
    # The training rows whose free energy is monitored used to be the first of
    # the split whatever their weight: all of weight zero divided by zero.
    X, _ = digits
    order = np.random.RandomState(0).permutation(len(X))
    n_val = round(0.3 * len(X))
    w = np.ones(len(X))
    w[order[n_val:][:n_val]] = 0  # the split's first training rows weigh nothing
    params = dict(n_components=8, n_iter=2, validation_fraction=0.3, random_state=0)
    rbm = RBMTransformer(**params).fit(X, sample_weight=w)
    counted = order[n_val:][w[order[n_val:]] > 0][:n_val]
    F = rbm.free_energy(X)
    assert_allclose(rbm.train_free_energy_[-1], F[counted].mean(), rtol=1e-6)


def test_monitored_free_energies_are_weighted(digits, deterministic_draws):
    X, _ = digits
    w = _weights(len(X))
    w[w == 0] = 1
    params = dict(n_components=8, n_iter=2, validation_fraction=0.3, random_state=0)
    rbm = RBMTransformer(**params).fit(X, sample_weight=w)
    # the same split, then the weighted means by hand (after the last epoch)
    order = np.random.RandomState(0).permutation(len(X))
    n_val = round(0.3 * len(X))
    val, train = order[:n_val], order[n_val:][:n_val]
    F = rbm.free_energy(X)
    assert_allclose(rbm.validation_free_energy_[-1], np.average(F[val], weights=w[val]))
    assert_allclose(rbm.train_free_energy_[-1], np.average(F[train], weights=w[train]))


def test_metadata_routing_through_pipeline_and_grid_search(digits):
    X, y = digits
    w = _weights(len(y)) + 1.0
    net = DBNClassifier(hidden_layer_sizes=(8,), rbm_n_iter=2, max_iter=10)
    net = net.set_params(random_state=0)
    # Without routing, a step's weights are passed by name.
    by_name = make_pipeline(MinMaxScaler(), clone(net))
    expected = by_name.fit(X, y, dbnclassifier__sample_weight=w).predict_proba(X)
    unweighted = by_name.fit(X, y).predict_proba(X)
    assert not np.allclose(expected, unweighted)
    with config_context(enable_metadata_routing=True):
        routed = clone(net).set_fit_request(sample_weight=True)
        pipe = make_pipeline(MinMaxScaler(), routed)
        assert_array_equal(pipe.fit(X, y, sample_weight=w).predict_proba(X), expected)
        routed = routed.set_score_request(sample_weight=True)
        search = GridSearchCV(routed, {"max_iter": [5, 10]}, cv=2)
        best = search.fit(X, y, sample_weight=w).best_estimator_
        assert_array_equal(
            best.predict_proba(X),
            clone(best).fit(X, y, sample_weight=w).predict_proba(X),
        )
        rbm = RBMTransformer(n_components=8, n_iter=2, random_state=0)
        pipe = make_pipeline(rbm.set_fit_request(sample_weight=True), MinMaxScaler())
        alone = clone(rbm).fit(X, sample_weight=w).transform(X)
        assert_array_equal(
            pipe.fit(X, sample_weight=w).transform(X),
            MinMaxScaler().fit_transform(alone),
        )


def test_weighted_column_sums_of_blocks_and_rows(monkeypatch):
    from skdbn import _outofcore

    monkeypatch.setattr(_outofcore, "BLOCK_BYTES", 64)  # blocks of a few rows
    rng = np.random.RandomState(0)
    X, w = rng.rand(23, 5), rng.rand(23)
    rows = rng.permutation(23)[:11]
    for data in (X, sp.csr_matrix(X)):
        assert_allclose(_outofcore.column_sums(data, None, w), w @ X)
        assert_allclose(_outofcore.column_sums(data, rows, w), w[rows] @ X[rows])


def test_memmap_weighted_fit_with_a_held_out_split(digits, tmp_path):
    X, _ = digits
    w = _weights(len(X)) + 0.5
    rbm = RBMTransformer(n_components=8, n_iter=2, validation_fraction=0.2)
    rbm = rbm.set_params(random_state=0)
    np.save(tmp_path / "X.npy", X)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    a = clone(rbm).fit(X, sample_weight=w)
    b = clone(rbm).fit(mapped, sample_weight=w)
    assert_array_equal(a.components_, b.components_)
    assert_array_equal(a.validation_free_energy_, b.validation_free_energy_)
