"""skdbn with dask and joblib: Incremental over chunked arrays, parallel searches.

Two claims are checked here:

* ``dask_ml.wrappers.Incremental`` really trains an skdbn estimator block by block:
  the result beats a threshold that an untrained (or barely trained) model
  misses, and it is exactly (bit for bit) the estimator obtained by calling
  ``partial_fit`` on the same chunks in the same order by hand, also when the
  blocks are processed on a ``distributed`` cluster.
* Hyper-parameter searches give identical results (best parameters, best score,
  every split's test score) sequentially, on loky worker processes, and on a
  ``distributed`` cluster through joblib's dask backend.

Exact equality across processes needs every process to run BLAS on one thread
(conftest.py pins the main process): OpenBLAS splits a matrix product among its
threads, and a different thread count sums in a different order, so weights
differ in their last bits (see docs/user_guide/scaling.rst). The loky workers are
pinned with ``inner_max_num_threads=1`` and the dask workers with threadpoolctl.

The optional packages (dask[array], distributed, dask-ml: the ``test`` extra) are
imported with ``pytest.importorskip``, so the suite runs without them.
"""

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy.stats import loguniform
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.pipeline import Pipeline

from skdbn import DBNClassifier, DBNTransformer, LogisticRegressionGD, RBMTransformer

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

CHUNK = 300  # rows per dask block
N_TRAIN = 1500  # five blocks
PASSES = 3  # Incremental.fit, then two more Incremental.partial_fit calls


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]


# --------------------------------------------------------------------------------
# dask_ml.wrappers.Incremental
# --------------------------------------------------------------------------------


def _dask_array():
    pytest.importorskip("dask_ml")
    return pytest.importorskip("dask.array")


def _by_hand(estimator, X, y=None, **kwargs):
    """``PASSES`` passes of ``partial_fit`` over the CHUNK-row blocks, in order."""
    estimator = clone(estimator)
    for _ in range(PASSES):
        for start in range(0, X.shape[0], CHUNK):
            rows = slice(start, start + CHUNK)
            if y is None:
                estimator.partial_fit(X[rows])
            else:
                estimator.partial_fit(X[rows], y[rows], **kwargs)
    return estimator


def _incremental(estimator, X, y=None, **kwargs):
    """The same passes through Incremental on dask arrays of CHUNK-row blocks."""
    da = _dask_array()
    from dask_ml.wrappers import Incremental

    X = da.from_array(X, chunks=(CHUNK, -1))
    y = None if y is None else da.from_array(y, chunks=CHUNK)
    # Incremental checks for a scorer at fit, and transformers have no ``score``
    # (dask/dask-ml#890, #925): give them one, the negative reconstruction error.
    scoring = "accuracy" if hasattr(estimator, "predict") else _reconstruction_score
    inc = Incremental(estimator, scoring=scoring, shuffle_blocks=False)
    inc.fit(X, y, **kwargs)
    for _ in range(PASSES - 1):
        inc.partial_fit(X, y, **kwargs)
    return inc


def _reconstruction_score(estimator, X, y=None):
    """Minus the mean squared error of one up-down pass (higher is better)."""
    R = estimator.inverse_transform(estimator.transform(X))
    return -float(((R - X) ** 2).sum(axis=1).mean())


@pytest.mark.parametrize(
    "estimator, threshold",
    [
        (LogisticRegressionGD(batch_size=50, random_state=0), 0.8),
        (
            DBNClassifier(
                hidden_layer_sizes=(64,), rbm_n_iter=5, batch_size=50, random_state=0
            ),
            0.8,
        ),
    ],
    ids=["LogisticRegressionGD", "DBNClassifier"],
)
def test_incremental_classifier(digits, estimator, threshold):
    da = _dask_array()
    import dask

    X, y, X_test, y_test = digits
    classes = np.unique(y)
    with dask.config.set(scheduler="threads"):
        inc = _incremental(estimator, X, y, classes=classes)
        test_score = inc.score(da.from_array(X_test, chunks=100), y_test)
    fitted = inc.estimator_
    assert fitted.t_ == PASSES * N_TRAIN  # every block was seen, every pass
    assert test_score == fitted.score(X_test, y_test) > threshold
    # One block, once, is not enough: the threshold needs the whole training.
    one_block = clone(estimator).partial_fit(X[:CHUNK], y[:CHUNK], classes=classes)
    assert one_block.score(X_test, y_test) < threshold

    manual = _by_hand(estimator, X, y, classes=classes)
    for name in ("coef_", "intercept_", "coefs_", "intercepts_"):
        if hasattr(manual, name):
            weights, expected = getattr(fitted, name), getattr(manual, name)
            if isinstance(expected, list):  # one array per layer
                assert len(weights) == len(expected)
            else:
                weights, expected = [weights], [expected]
            for w, e in zip(weights, expected, strict=True):
                assert_array_equal(w, e, err_msg=name)
    assert_array_equal(fitted.predict_proba(X_test), manual.predict_proba(X_test))
    assert fitted.n_iter_ == manual.n_iter_


_RBM_SETTINGS = dict(
    persistent=False, momentum=0.5, final_momentum=0.9, learning_rate=0.05
)


@pytest.mark.parametrize(
    "estimator, untrained, error_ratio, threshold",
    [
        (
            RBMTransformer(n_components=64, random_state=0, **_RBM_SETTINGS),
            {"n_iter": 0},
            0.5,
            0.8,
        ),
        (
            DBNTransformer(hidden_layer_sizes=(64, 64), random_state=0),
            {"rbm_n_iter": 0},
            0.65,
            0.75,
        ),
    ],
    ids=["RBMTransformer", "DBNTransformer"],
)
def test_incremental_transformer(digits, estimator, untrained, error_ratio, threshold):
    if not hasattr(type(estimator), "partial_fit"):
        pytest.skip(f"{type(estimator).__name__} has no partial_fit yet")
    da = _dask_array()
    import dask

    X, y, X_test, y_test = digits
    with dask.config.set(scheduler="threads"):
        inc = _incremental(estimator, X)
        # Incremental.transform maps the fitted estimator over the blocks.
        H = inc.transform(da.from_array(X, chunks=(CHUNK, -1))).compute()
    fitted = inc.estimator_
    manual = _by_hand(estimator, X)
    assert_array_equal(H, manual.transform(X))
    assert_array_equal(fitted.transform(X_test), manual.transform(X_test))

    # Training cuts the reconstruction error of the same network, untrained...
    random_weights = clone(estimator).set_params(**untrained).fit(X)
    error = -_reconstruction_score(fitted, X_test)
    assert error < error_ratio * -_reconstruction_score(random_weights, X_test)
    # ... and its features are good enough for a linear classifier.
    clf = LogisticRegressionGD(solver="adam", learning_rate_init=0.01, max_iter=500)
    clf.fit(H, y)
    assert clf.score(fitted.transform(X_test), y_test) > threshold


# --------------------------------------------------------------------------------
# Hyper-parameter searches: sequential, loky processes, a dask cluster
# --------------------------------------------------------------------------------

SEARCHES = {
    "LogisticRegressionGD-grid": lambda: GridSearchCV(
        LogisticRegressionGD(batch_size=50, max_iter=20, random_state=0),
        {"alpha": [1e-4, 1e-2], "learning_rate_init": [0.05, 0.2]},
        cv=3,
        scoring="neg_log_loss",
    ),
    "DBNClassifier-grid": lambda: GridSearchCV(
        DBNClassifier(
            hidden_layer_sizes=(32,), rbm_n_iter=3, max_iter=20, random_state=0
        ),
        {"dropout": [0.0, 0.2], "learning_rate_init": [0.01, 0.03]},
        cv=3,
        scoring="neg_log_loss",
    ),
    "Pipeline-randomized": lambda: RandomizedSearchCV(
        Pipeline(
            [
                ("rbm", RBMTransformer(n_iter=5, random_state=0, **_RBM_SETTINGS)),
                (
                    "clf",
                    LogisticRegressionGD(solver="adam", max_iter=50, random_state=0),
                ),
            ]
        ),
        {
            "rbm__n_components": [16, 32],
            "rbm__learning_rate": loguniform(0.01, 0.1),
            "clf__alpha": loguniform(1e-5, 1e-2),
        },
        n_iter=4,
        cv=3,
        scoring="neg_log_loss",
        random_state=0,
    ),
}


@pytest.fixture(scope="module")
def search_data():
    X, y = load_digits(return_X_y=True)
    return X[:600] / 16.0, y[:600]


@pytest.fixture(scope="module")
def sequential_searches(search_data):
    """Each search fitted with n_jobs=1 in this (single-BLAS-thread) process."""
    return {
        name: make().set_params(n_jobs=1).fit(*search_data)
        for name, make in SEARCHES.items()
    }


def _single_blas_thread():
    import scipy.linalg  # noqa: F401  (load SciPy's BLAS too before limiting)
    from threadpoolctl import threadpool_info, threadpool_limits

    threadpool_limits(1)
    return {info["num_threads"] for info in threadpool_info()}


@pytest.fixture(scope="module")
def dask_client():
    """A two-process LocalCluster on this machine, closed after the module."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        # The nanny already starts workers with OMP/OPENBLAS_NUM_THREADS=1 by
        # default; make sure of it whatever the local dask configuration says.
        threads = client.run(_single_blas_thread)
        assert all(counts == {1} for counts in threads.values()), threads
        yield client


def assert_same_search(expected, actual):
    assert actual.best_params_ == expected.best_params_
    assert actual.best_score_ == expected.best_score_
    assert actual.best_index_ == expected.best_index_
    assert actual.cv_results_["params"] == expected.cv_results_["params"]
    for key, value in expected.cv_results_.items():
        if key.startswith(("split", "mean_test", "std_test", "rank_test")):
            assert_array_equal(actual.cv_results_[key], value, err_msg=key)


@pytest.mark.parametrize("name", SEARCHES)
def test_search_loky_matches_sequential(name, search_data, sequential_searches):
    search = SEARCHES[name]().set_params(n_jobs=-1)
    with joblib.parallel_backend("loky", inner_max_num_threads=1):
        search.fit(*search_data)
    assert_same_search(sequential_searches[name], search)


@pytest.mark.parametrize("name", SEARCHES)
def test_search_dask_matches_sequential(
    name, search_data, sequential_searches, dask_client
):
    from distributed import get_task_stream

    search = SEARCHES[name]().set_params(n_jobs=-1)
    with get_task_stream(dask_client) as tasks, joblib.parallel_backend("dask"):
        search.fit(*search_data)
    # The fits ran as tasks on the cluster's workers.
    workers = {task["worker"] for task in tasks.data}
    assert workers and workers <= set(dask_client.scheduler_info()["workers"])
    assert_same_search(sequential_searches[name], search)


def test_incremental_on_dask_cluster(digits, dask_client):
    """Incremental on the cluster: the estimator is pickled from block to block."""
    from distributed import get_task_stream

    X, y, _, _ = digits
    estimator = LogisticRegressionGD(batch_size=50, random_state=0)
    classes = np.unique(y)
    with get_task_stream(dask_client) as tasks:  # the client is the scheduler
        inc = _incremental(estimator, X, y, classes=classes)
    assert {task["worker"] for task in tasks.data} <= set(
        dask_client.scheduler_info()["workers"]
    )
    assert len(tasks.data) >= PASSES * N_TRAIN // CHUNK  # one partial_fit each
    manual = _by_hand(estimator, X, y, classes=classes)
    assert_array_equal(inc.estimator_.coef_, manual.coef_)
    assert_array_equal(inc.estimator_.intercept_, manual.intercept_)
    assert inc.estimator_.t_ == PASSES * N_TRAIN
