"""The estimators on PyTorch tensors and array-api-strict arrays (issue #20).

scikit-learn's own Array API checks run in test_common.py (the estimators set
``array_api_support``); here: the kernels give NumPy's gradients from the same
states and uniforms, fits reach NumPy's accuracy, namespaces do not mix, and
models move between devices and files. Tests on a GPU run only where CUDA is.
"""

import os
import pickle
import subprocess
import sys

import joblib
import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

import skdbn
import skdbn.io
from skdbn import (
    DBNClassifier,
    DBNRegressor,
    DBNTransformer,
    LogisticRegressionGD,
    RBMTransformer,
    _backend,
    _cd,
    _network,
    _optimizers,
    _random,
)
from skdbn.exceptions import DeviceError

torch = pytest.importorskip("torch")
# Short fits on purpose: their convergence warnings are not the subject here.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def dispatch():
    return sklearn.config_context(array_api_dispatch=True)


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


def _t(a):
    return torch.asarray(np.ascontiguousarray(a))


# ---------------------------------------------------------------- kernels


class _Replay:
    """Records NumPy's uniforms (the logical arrays the comparisons see), then
    hands the same values to the torch backend."""

    def __init__(self, monkeypatch):
        self.values, self.monkeypatch = [], monkeypatch
        original = _random.uniform

        def record(generator, shape, order="C", signed=False):
            values = original(generator, shape, order, signed)
            self.values.append(values.copy())
            return values

        monkeypatch.setattr(_random, "uniform", record)

    def replay(self):
        queue = list(self.values)

        def uniform(ops, generator, shape, signed=False):
            values = queue.pop(0)
            assert values.shape == tuple(shape)
            return _t(values)

        self.monkeypatch.setattr(_backend.TorchOps, "uniform", uniform)
        return queue


@pytest.mark.parametrize("persistent", [False, True])
@pytest.mark.parametrize("k", [1, 2])
def test_cd_gradients_match_numpy_with_the_same_uniforms(monkeypatch, persistent, k):
    rng = np.random.RandomState(0)
    X = (rng.rand(20, 12) > 0.5).astype(np.float32)
    W = rng.normal(0, 0.3, (7, 12)).astype(np.float32)
    b, a = rng.normal(0, 0.1, 7).astype(np.float32), rng.normal(0, 0.1, 12)
    a = a.astype(np.float32)
    options = dict(k=k, persistent=persistent, n_chains=5, weight_decay=1e-3)
    options.update(sparsity_cost=0.1)
    replay = _Replay(monkeypatch)
    gen = np.random.Generator(np.random.SFC64(0))
    ref = _cd.RBMObjective(W.copy(), b.copy(), a.copy(), generator=gen, **options)
    errors = [ref(X, scale=-0.1) for _ in range(2)]  # a second batch: the chains
    queue = replay.replay()
    params = [_t(p) for p in (W, b, a)]
    dev = _cd.RBMObjective(*params, generator=torch.Generator(), **options)
    for error in errors:
        got = float(dev(_t(X), scale=-0.1))
        assert got == pytest.approx(error, rel=1e-5)
    assert not queue  # every uniform was used, in the same order
    for g_ref, g_dev in zip(ref.grads, dev.grads, strict=True):
        assert_allclose(g_dev.numpy(), g_ref, rtol=1e-5, atol=1e-6)
    if persistent:
        assert_allclose(dev.chains.numpy(), ref.chains)


@pytest.mark.parametrize("output", ["softmax", "sigmoid", "identity"])
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
def test_backprop_gradients_match_numpy(output, hidden):
    rng = np.random.RandomState(1)
    X = rng.rand(15, 6).astype(np.float32)
    Y = np.eye(3, dtype=np.float32)[rng.randint(3, size=15)]
    coefs = [rng.normal(0, 0.5, s).astype(np.float32) for s in ((6, 5), (5, 3))]
    intercepts = [rng.normal(0, 0.1, n).astype(np.float32) for n in (5, 3)]
    weights = rng.rand(15).astype(np.float32)
    results = []
    for convert in (np.asarray, _t):
        params = [convert(p.copy()) for p in coefs], [convert(p) for p in intercepts]
        grads = _network.init_gradients(*params)
        loss = _network.loss_and_gradients(
            convert(X),
            convert(Y),
            convert(weights),
            *params,
            *grads,
            hidden_activation=hidden,
            output_activation=output,
            alpha=1e-2,
            l1_ratio=0.3,
            scale=-0.5,
        )
        results.append((float(loss), [_backend.to_numpy(g) for g in sum(grads, [])]))
    (loss_np, grads_np), (loss_t, grads_t) = results
    assert loss_t == pytest.approx(loss_np, rel=1e-5)
    for g_np, g_t in zip(grads_np, grads_t, strict=True):
        assert_allclose(g_t, g_np, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    "make",
    [
        lambda p: _optimizers.SGD(p, 0.1, momentum=0.9, nesterov=True),
        lambda p: _optimizers.SGD(p, 0.1, momentum=0.9, nesterov=False),
        lambda p: _optimizers.Adam(p, 0.01),
    ],
)
@pytest.mark.parametrize("l1", [0.0, 0.05])  # with the L1 proximal step
def test_optimiser_steps_match_numpy(make, l1):
    rng = np.random.RandomState(2)
    start = [rng.rand(4, 3).astype(np.float32), rng.rand(3).astype(np.float32)]
    grads = [[rng.rand(*p.shape).astype(np.float32) for p in start] for _ in range(3)]
    ends = []
    for convert in (np.asarray, _t):
        params = [convert(p.copy()) for p in start]
        optimizer = make(params)
        for step in grads:
            optimizer.update_params(params, [convert(g.copy()) for g in step])
            if l1:
                optimizer.soft_threshold(params, 1, l1)
        ends.append([_backend.to_numpy(p) for p in params])
    for p_np, p_t in zip(*ends, strict=True):
        assert_allclose(p_t, p_np, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------- estimators


def test_torch_fit_reaches_numpy_accuracy_on_digits(digits):
    X, y = digits
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    params = dict(hidden_layer_sizes=(64,), rbm_n_iter=5, max_iter=20, random_state=0)
    numpy_score = DBNClassifier(**params).fit(X_train, y_train).score(X_test, y_test)
    with dispatch():
        clf = DBNClassifier(**params).fit(_t(X_train), _t(y_train))
        predicted = clf.predict(_t(X_test))
    assert isinstance(predicted, torch.Tensor)
    assert isinstance(clf.classes_, np.ndarray)  # as in scikit-learn
    assert all(isinstance(W, torch.Tensor) for W in clf.coefs_)
    torch_score = float((predicted.numpy() == y_test).mean())
    assert numpy_score > 0.9
    assert torch_score > 0.9
    assert abs(torch_score - numpy_score) < 0.03


@pytest.mark.parametrize(
    "est",
    [
        RBMTransformer(n_components=8, n_iter=2),
        DBNTransformer(hidden_layer_sizes=(8, 4), rbm_n_iter=2),
        LogisticRegressionGD(max_iter=5),
        DBNClassifier(hidden_layer_sizes=(8,), rbm_n_iter=2, max_iter=5),
        DBNRegressor(hidden_layer_sizes=(8,), rbm_n_iter=2, max_iter=5),
    ],
    ids=lambda est: type(est).__name__,
)
def test_methods_return_the_namespace_of_the_fit(digits, est):
    X, y = digits[0][:200], digits[1][:200]
    with dispatch():
        est = sklearn.clone(est).set_params(random_state=0).fit(_t(X), _t(y))
        methods = ["transform", "inverse_transform", "predict", "predict_proba"]
        methods += ["predict_log_proba", "decision_function", "score_samples"]
        methods += ["free_energy", "gibbs", "pseudo_log_likelihood"]
        for name in methods:
            if not hasattr(est, name):
                continue
            arg = _t(X)
            if name == "inverse_transform":
                arg = est.transform(_t(X))
            assert isinstance(getattr(est, name)(arg), torch.Tensor), name
        if hasattr(est, "sample"):
            assert isinstance(est.sample(2, n_steps=2, random_state=0), torch.Tensor)


def test_same_seed_same_model_on_one_device(digits):
    X = _t(digits[0][:300])
    with dispatch():
        fits = [RBMTransformer(n_components=16, random_state=3).fit(X) for _ in "ab"]
    assert torch.equal(fits[0].components_, fits[1].components_)


def test_mixed_namespaces_raise_scikit_learn_s_error(digits):
    X, y = digits[0][:100], digits[1][:100]
    with dispatch():
        numpy_model = LogisticRegressionGD(max_iter=3).fit(X, y)
        torch_model = LogisticRegressionGD(max_iter=3).fit(_t(X), _t(y))
        with pytest.raises(DeviceError, match=r"must use the same namespace") as e:
            numpy_model.predict(_t(X))
        assert e.value.method == "predict" and e.value.fitted == "numpy on cpu"
        assert e.value.given == "torch on cpu"
        copy = pickle.loads(pickle.dumps(e.value))  # n_jobs workers send it back
        assert (str(copy), copy.given) == (str(e.value), "torch on cpu")
        with pytest.raises(ValueError, match=r"LogisticRegressionGD.predict_proba\(\)"):
            torch_model.predict_proba(X)
    with pytest.raises(DeviceError, match="skdbn.to_device"):  # without dispatch
        torch_model.predict(X)


def test_numpy_only_methods_name_the_way_out(digits):
    X = digits[0][:100]
    with dispatch():
        rbm = RBMTransformer(n_components=4, n_iter=2).fit(_t(X))
        with pytest.raises(DeviceError, match=r"skdbn.to_device\(model\)"):
            rbm.estimate_log_partition(_t(X))
        dbn = DBNTransformer(hidden_layer_sizes=(6, 4), rbm_n_iter=2).fit(_t(X))
        with pytest.raises(DeviceError, match="log_likelihood_lower_bound"):
            dbn.log_likelihood_lower_bound(_t(X))
        assert isinstance(dbn.score(_t(X)), float)  # on a host copy
    host = skdbn.to_device(rbm).estimate_log_partition(X)
    assert np.isfinite(host.log_partition_)


def test_sparse_data_for_a_device_model_is_refused(digits):
    from scipy import sparse

    X = digits[0][:100]
    with dispatch():
        rbm = RBMTransformer(n_components=4, n_iter=2).fit(_t(X))
        with pytest.raises(DeviceError, match="numpy on cpu"):
            rbm.transform(sparse.csr_matrix(X))


def test_pipeline_and_grid_search_on_tensors(digits):
    X, y = _t(digits[0][:300] * 16), _t(digits[1][:300])
    pipe = make_pipeline(
        MinMaxScaler(), DBNClassifier(hidden_layer_sizes=(16,), rbm_n_iter=2)
    )
    grid = {"dbnclassifier__max_iter": [5, 10]}
    with dispatch():
        search = GridSearchCV(pipe, grid, cv=2).fit(X, y)
        assert isinstance(search.predict(X), torch.Tensor)
    assert 0.5 < search.best_score_ <= 1


def test_array_api_strict_fit_matches_numpy(digits):
    xps = pytest.importorskip("array_api_strict")
    X = digits[0][:200].astype(np.float64)
    numpy_fit = RBMTransformer(n_components=8, n_iter=3, random_state=0).fit(X)
    with dispatch():
        strict_fit = RBMTransformer(n_components=8, n_iter=3, random_state=0)
        strict_fit.fit(xps.asarray(X))
    # The NumPy generator feeds both: the same draws, so the same model.
    assert_allclose(
        _backend.to_numpy(strict_fit.components_), numpy_fit.components_, atol=1e-10
    )


# ---------------------------------------------------------------- moving, files


def test_to_device_round_trip(digits):
    X, y = digits[0][:200], digits[1][:200]
    with dispatch():
        clf = DBNClassifier(hidden_layer_sizes=(8,), rbm_n_iter=2, max_iter=5)
        clf = clf.set_params(random_state=0).fit(_t(X), _t(y))
        proba = clf.predict_proba(_t(X)).numpy()
    host = skdbn.to_device(clf)
    assert all(isinstance(W, np.ndarray) for W in host.coefs_)
    assert isinstance(clf.coefs_[0], torch.Tensor)  # the original stays
    assert_allclose(host.predict_proba(X), proba, rtol=1e-6)
    back = skdbn.to_device(host, like=_t(X[:1]))
    with dispatch():
        assert_allclose(back.predict_proba(_t(X)).numpy(), proba, rtol=1e-6)
        back.partial_fit(_t(X), _t(y))  # goes on training on the device


def test_saved_tensor_model_loads_as_numpy(tmp_path, digits):
    X = digits[0][:200]
    with dispatch():
        rbm = RBMTransformer(n_components=8, n_iter=2, random_state=0).fit(_t(X))
        H = rbm.transform(_t(X)).numpy()
    skdbn.io.save(rbm, tmp_path / "rbm.skops")
    assert isinstance(rbm.components_, torch.Tensor)  # saving moves a copy
    loaded = skdbn.io.load(tmp_path / "rbm.skops")
    assert isinstance(loaded.components_, np.ndarray)
    assert_allclose(loaded.transform(X), H, rtol=1e-6)
    loaded.partial_fit(X)  # the trainer came back as NumPy too


def test_joblib_and_pickle_round_trip_a_tensor_model(tmp_path, digits):
    X, y = digits[0][:200], digits[1][:200]
    with dispatch():
        clf = LogisticRegressionGD(max_iter=5).fit(_t(X), _t(y))
        rbm = RBMTransformer(n_components=8, n_iter=2).fit(_t(X))
        joblib.dump(clf, tmp_path / "clf.joblib")
        again = joblib.load(tmp_path / "clf.joblib")
        assert torch.equal(again.predict(_t(X)), clf.predict(_t(X)))
        rbm2 = pickle.loads(pickle.dumps(rbm))
        assert torch.equal(rbm2.transform(_t(X)), rbm.transform(_t(X)))
        rbm2.partial_fit(_t(X))


# ---------------------------------------------------------------- GPU


@cuda
def test_cuda_fit_stays_on_the_gpu(digits):
    X, y = digits
    X_gpu, y_gpu = _t(X).cuda(), _t(y).cuda()
    with dispatch():
        clf = DBNClassifier(hidden_layer_sizes=(32,), rbm_n_iter=2, max_iter=5)
        clf.set_params(random_state=0).fit(X_gpu, y_gpu)
        assert all(W.is_cuda for W in clf.coefs_)
        assert clf.predict(X_gpu).is_cuda
        with pytest.raises(DeviceError, match="cuda"):
            clf.predict(_t(X))
    host = skdbn.to_device(clf)
    assert host.score(X, y) > 0.8


# ---------------------------------------------------------------- command line


def test_cli_fit_on_a_torch_device(tmp_path, digits, capsys, monkeypatch):
    from skdbn.cli import main

    X, y = digits
    path = tmp_path / "digits.csv"
    np.savetxt(path, np.column_stack([X[:200] * 16, y[:200]]), delimiter=",")
    options = ["--header", "no", "--quiet", "--epochs", "3", "--layers", "16"]
    options += ["--pretrain-epochs", "2"]
    model = tmp_path / "model.skops"
    assert main(["fit", str(path), *options, "--device", "cpu", "-o", str(model)]) == 0
    fitted = skdbn.io.load(model)
    assert isinstance(fitted.steps[-1][1].coefs_[0], np.ndarray)  # saved as NumPy
    assert "training accuracy" in capsys.readouterr().out
    monkeypatch.delenv("SCIPY_ARRAY_API")
    assert main(["fit", str(path), *options, "--device", "cpu"]) == 2
    assert "SCIPY_ARRAY_API=1" in capsys.readouterr().err
    # The command itself restarts with the switch on.
    env = {k: v for k, v in os.environ.items() if k != "SCIPY_ARRAY_API"}
    args = ["fit", path, *options, "--device", "cpu", "-o", tmp_path / "re.skops"]
    result = subprocess.run(
        [sys.executable, "-m", "skdbn", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "training accuracy" in result.stdout and (tmp_path / "re.skops").exists()
    if not torch.cuda.is_available():
        assert main(["fit", str(path), *options, "--device", "cuda"]) == 2
        assert "no CUDA device" in capsys.readouterr().err


def test_cli_device_without_pytorch_says_so(monkeypatch):
    import builtins

    from skdbn.cli._device import device_data
    from skdbn.cli._messages import UsageError

    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(UsageError, match="needs PyTorch, which is not installed"):
        device_data("cuda", np.zeros((2, 2)))


@pytest.mark.parametrize(
    "est",
    [
        RBMTransformer(n_components=8, n_iter=2, persistent=False),
        DBNClassifier(hidden_layer_sizes=(8,), rbm_n_iter=2, max_iter=5),
        DBNRegressor(hidden_layer_sizes=(8,), rbm_n_iter=2, max_iter=5),
        LogisticRegressionGD(max_iter=5),
    ],
    ids=lambda est: type(est).__name__,
)
def test_sample_weights_flow_through_the_device(digits, est):
    """Weights go to the device with the data; zero weights drop rows there too."""
    X, y = digits[0][:120], digits[1][:120]
    weights = np.resize([1.0, 0.0, 2.0], 120)
    with dispatch():
        fitted = sklearn.clone(est).set_params(random_state=0)
        fitted.fit(_t(X), _t(y), sample_weight=_t(weights))
    arrays = (
        fitted.coefs_
        if hasattr(fitted, "coefs_")
        else [fitted.__dict__.get("coef_", fitted.__dict__.get("components_"))]
    )
    assert all(isinstance(W, torch.Tensor) for W in arrays)
    assert all(bool(torch.isfinite(W).all()) for W in arrays)


def test_torch_scalar_first_operands_keep_their_order():
    xp = _backend.ops(_t(np.ones(1, dtype=np.float32)))
    b = _t(np.array([2.0, 4.0], dtype=np.float32))
    assert xp.divide(1.0, b, out=torch.empty(2)).tolist() == [0.5, 0.25]
    assert xp.subtract(1.0, b).tolist() == [-1.0, -3.0]
    assert xp.maximum(3.0, b).tolist() == [3.0, 4.0]
    assert xp.minimum(b, 3.0).tolist() == [2.0, 3.0]


def test_device_batches_in_order_are_views_and_shuffled_ones_reuse_buffers():
    from skdbn import _training

    X, y = _t(np.ones((30, 4), dtype=np.float32)), _t(np.arange(30.0))
    rng = np.random.RandomState(0)
    in_order = _training._EpochRunner(X, y, None, 10, False, rng, False)
    Xb, yb, swb = in_order._batch(slice(10, 20))
    assert Xb.data_ptr() == X[10].data_ptr() and yb.data_ptr() == y[10].data_ptr()
    shuffled = _training._EpochRunner(X, y, None, 10, True, rng, False)
    first = shuffled._batch(slice(0, 10))
    second = shuffled._batch(slice(10, 20))
    assert [a.data_ptr() for a in first[:2]] == [a.data_ptr() for a in second[:2]]
    assert first[2] is None


def test_torch_noise_scratch_is_one_per_thread_grown_not_one_per_shape():
    import threading

    xp = _backend.ops(_t(np.ones(1, dtype=np.float32)))
    gen = xp.generator(np.arange(4))
    big = xp.uniform(gen, (30, 4))
    small = xp.uniform(gen, (5, 3))
    assert small.shape == (5, 3) and small.data_ptr() == big.data_ptr()
    assert xp._noise(200).numel() == 200 and xp.uniform(gen, (3, 2)).shape == (3, 2)
    other = []
    thread = threading.Thread(target=lambda: other.append(xp.uniform(gen, (5, 3))))
    thread.start()
    thread.join()
    assert other[0].data_ptr() != xp.uniform(gen, (5, 3)).data_ptr()


def test_cupy_draws_come_from_cupys_generator_on_the_arrays_gpu(monkeypatch):
    # No CuPy (nor a GPU) here: a stand-in module and device record that CuPy
    # arrays draw with CuPy's generator, inside the array's device context,
    # and return the draws without passing through NumPy's generator.
    import types

    strict = pytest.importorskip("array_api_strict")
    entered, seeds = [], []

    class Device:
        def __enter__(self):
            entered.append(True)

        def __exit__(self, *exc):
            entered.pop()

    class Generator:  # cupy.random.Generator's methods skdbn calls
        def __init__(self, state):
            seeds.append(state)
            self.rng = np.random.default_rng(state)

        def random(self, shape, dtype):
            assert entered, "drawn outside the array's device"
            return strict.asarray(self.rng.random(shape, dtype=dtype))

        def standard_normal(self, shape, dtype):
            assert entered, "drawn outside the array's device"
            return strict.asarray(self.rng.standard_normal(shape, dtype=dtype))

        def integers(self, high, size):
            return strict.asarray(self.rng.integers(high, size=size))

    Generator.__module__ = "cupy.random._generator_api"
    cupy = types.ModuleType("cupy")
    cupy.random = types.SimpleNamespace(default_rng=Generator)
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setattr(_random, "uniform", None)  # NumPy's draws must not run
    ops = _backend.CupyOps(strict, Device())
    gen = _backend.make_generator(ops, np.random.RandomState(0))
    assert isinstance(gen, Generator) and len(seeds) == 1
    U = ops.uniform(gen, (50, 4))
    assert U.dtype == strict.float32 and float(strict.min(U)) >= 0
    assert float(strict.max(U)) < 1
    assert float(strict.min(ops.uniform(gen, (50, 4), signed=True))) < 0
    P = strict.full((50, 4), 0.5, dtype=strict.float32)
    states = ops.bernoulli(P, gen, out=strict.empty((50, 4), dtype=strict.float32))
    assert 0 < float(strict.mean(states)) < 1
    noise = ops.standard_normal(gen, strict.empty((50, 4), dtype=strict.float32))
    assert abs(float(strict.mean(noise))) < 0.5
    assert _backend._is_generator(gen)  # to_device reseeds it, as torch's
