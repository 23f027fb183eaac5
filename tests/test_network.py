import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from skdbn._network import (
    NetworkObjective,
    data_loss,
    forward,
    init_gradients,
    loss_and_gradients,
    sigmoid_to_tanh,
)


def _problem(output, n_hidden=(), seed=0, n=6, n_features=4, n_out=3):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, n_features))
    units = [n_features, *n_hidden, n_out]
    coefs = [
        rng.normal(scale=0.5, size=(a, b))
        for a, b in zip(units[:-1], units[1:], strict=True)
    ]
    intercepts = [rng.normal(scale=0.1, size=b) for b in units[1:]]
    if output == "softmax":
        Y = np.eye(n_out)[rng.randint(n_out, size=n)]
    elif output == "sigmoid":
        Y = (rng.rand(n, n_out) > 0.5).astype(float)
    else:
        Y = rng.normal(size=(n, n_out))
    return X, Y, coefs, intercepts


def _flat(arrays):
    return np.concatenate([a.ravel() for a in arrays])


def _numeric_gradient(fun, params, eps=1e-6):
    grads = []
    for p in params:
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + eps
            up = fun()
            p[idx] = old - eps
            down = fun()
            p[idx] = old
            g[idx] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


@pytest.mark.parametrize("output", ["softmax", "sigmoid", "identity"])
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("penalty", [(0.0, 0.0), (0.1, 0.0), (0.1, 1.0), (0.05, 0.5)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_hidden", [(), (5, 4)], ids=["no-hidden", "two-hidden"])
def test_gradient_matches_finite_differences(
    output, hidden, penalty, weighted, n_hidden
):
    # No hidden layer is logistic regression (binary with sigmoid, multinomial
    # with softmax); two hidden layers exercise backprop through the activations.
    X, Y, coefs, intercepts = _problem(output, n_hidden=n_hidden)
    sw = np.random.RandomState(1).uniform(0.1, 3, size=X.shape[0]) if weighted else None
    alpha, l1_ratio = penalty
    options = dict(
        hidden_activation=hidden,
        output_activation=output,
        alpha=alpha,
        l1_ratio=l1_ratio,
    )
    coef_grads, intercept_grads = init_gradients(coefs, intercepts)

    def fun():
        cg, ig = init_gradients(coefs, intercepts)
        return loss_and_gradients(X, Y, sw, coefs, intercepts, cg, ig, **options)

    loss_and_gradients(
        X, Y, sw, coefs, intercepts, coef_grads, intercept_grads, **options
    )
    numeric = _numeric_gradient(fun, coefs + intercepts)
    assert_allclose(
        _flat(coef_grads + intercept_grads), _flat(numeric), rtol=1e-5, atol=1e-7
    )


@pytest.mark.parametrize("output", ["softmax", "sigmoid", "identity"])
def test_loss_values_match_definitions(output):
    X, Y, coefs, intercepts = _problem(output)
    Z = X @ coefs[0] + intercepts[0]
    if output == "softmax":
        P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
        expected = -(Y * np.log(P)).sum(axis=1).mean()
    elif output == "sigmoid":
        P = 1 / (1 + np.exp(-Z))
        expected = -(Y * np.log(P) + (1 - Y) * np.log(1 - P)).sum(axis=1).mean()
    else:
        expected = 0.5 * ((Z - Y) ** 2).sum(axis=1).mean()
    got = data_loss(X, Y, None, coefs, intercepts, "sigmoid", output)
    assert_allclose(got, expected, rtol=1e-12)


def test_sample_weights_equal_repetition():
    X, Y, coefs, intercepts = _problem("softmax", n_hidden=(3,))
    sw = np.array([1, 2, 0, 1, 3, 1], dtype=float)
    repeat = np.repeat(np.arange(len(sw)), sw.astype(int))
    g1 = init_gradients(coefs, intercepts)
    g2 = init_gradients(coefs, intercepts)
    # The weights are relative to their mean (the estimators scale them so).
    l1 = loss_and_gradients(X, Y, sw / sw.mean(), coefs, intercepts, *g1)
    l2 = loss_and_gradients(X[repeat], Y[repeat], None, coefs, intercepts, *g2)
    assert_allclose(l1, l2)
    assert_allclose(_flat(g1[0] + g1[1]), _flat(g2[0] + g2[1]), atol=1e-12)


def test_extreme_logits_give_finite_loss():
    X, Y, coefs, intercepts = _problem("softmax")
    coefs = [c * 1e4 for c in coefs]
    for output in ("softmax", "sigmoid"):
        grads = init_gradients(coefs, intercepts)
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            loss = loss_and_gradients(
                X, Y, None, coefs, intercepts, *grads, output_activation=output
            )
        assert np.isfinite(loss)
        assert all(np.isfinite(g).all() for g in grads[0] + grads[1])


def test_sparse_input_matches_dense():
    X, Y, coefs, intercepts = _problem("softmax", n_hidden=(4,))
    X[X < 0.3] = 0
    dense = init_gradients(coefs, intercepts)
    sparse = init_gradients(coefs, intercepts)
    l1 = loss_and_gradients(X, Y, None, coefs, intercepts, *dense)
    l2 = loss_and_gradients(sp.csr_matrix(X), Y, None, coefs, intercepts, *sparse)
    assert_allclose(l1, l2)
    assert_allclose(_flat(dense[0] + dense[1]), _flat(sparse[0] + sparse[1]))


def test_float32_agrees_with_float64():
    X, Y, coefs, intercepts = _problem("softmax", n_hidden=(5,))
    g64 = init_gradients(coefs, intercepts)
    l64 = loss_and_gradients(X, Y, None, coefs, intercepts, *g64)
    c32 = [c.astype(np.float32) for c in coefs]
    i32 = [b.astype(np.float32) for b in intercepts]
    g32 = init_gradients(c32, i32)
    l32 = loss_and_gradients(
        X.astype(np.float32), Y.astype(np.float32), None, c32, i32, *g32
    )
    assert all(g.dtype == np.float32 for g in g32[0] + g32[1])
    assert_allclose(l32, l64, rtol=1e-5)
    assert_allclose(
        _flat(g32[0] + g32[1]), _flat(g64[0] + g64[1]), rtol=1e-4, atol=1e-6
    )


@pytest.mark.parametrize("penalty", [(0.0, 0.0), (0.1, 0.0), (0.1, 0.5)])
def test_scale_multiplies_every_gradient_but_not_the_loss(penalty):
    # The training loop folds the optimiser's first factor into the gradients.
    X, Y, coefs, intercepts = _problem("softmax", n_hidden=(5,), n=10)
    alpha, l1_ratio = penalty
    results = []
    for scale in (1.0, -0.37):
        objective = NetworkObjective(coefs, intercepts, alpha=alpha, l1_ratio=l1_ratio)
        results.append((objective(X, Y, scale=scale), objective.grads))
    (loss, grads), (scaled_loss, scaled) = results
    assert scaled_loss == loss
    for g, h in zip(grads, scaled, strict=True):
        assert_allclose(h, -0.37 * g, rtol=1e-12, atol=1e-15)


def test_objective_reuses_workspace_for_smaller_batches():
    X, Y, coefs, intercepts = _problem("softmax", n_hidden=(5,), n=10)
    objective = NetworkObjective(coefs, intercepts)
    full = objective(X, Y)
    buffers = [b.ctypes.data for b in objective.workspace.activations]
    part = objective(X[:4], Y[:4])
    assert [b.ctypes.data for b in objective.workspace.activations] == buffers
    assert_allclose(
        part, data_loss(X[:4], Y[:4], None, coefs, intercepts, "sigmoid", "softmax")
    )
    assert full > 0


def test_forward_returns_probabilities():
    X, _, coefs, intercepts = _problem("softmax", n_hidden=(5,))
    out = forward(X, coefs, intercepts, "sigmoid", "softmax")
    assert len(out) == 3
    assert_allclose(out[-1].sum(axis=1), 1.0)


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
def test_dropout_gradient_matches_finite_differences_for_fixed_masks(hidden):
    X, Y, coefs, intercepts = _problem("softmax", n_hidden=(5, 4))
    p = 0.4
    rng = np.random.RandomState(3)
    masks = [(rng.rand(X.shape[0], n) >= p) / (1 - p) for n in (5, 4)]
    options = dict(hidden_activation=hidden, dropout=p, masks=masks)
    grads = init_gradients(coefs, intercepts)
    loss_and_gradients(X, Y, None, coefs, intercepts, *grads, **options)

    def fun():
        g = init_gradients(coefs, intercepts)
        return loss_and_gradients(X, Y, None, coefs, intercepts, *g, **options)

    numeric = _numeric_gradient(fun, coefs + intercepts)
    assert_allclose(_flat(grads[0] + grads[1]), _flat(numeric), rtol=1e-5, atol=1e-7)


def test_dropout_masks_have_the_right_rate_and_scale():
    X, Y, coefs, intercepts = _problem("softmax", n_hidden=(50,), n=400)
    objective = NetworkObjective(
        coefs, intercepts, dropout=0.3, random_state=np.random.RandomState(0)
    )
    objective(X, Y)
    mask = objective._masks[0]
    assert set(np.unique(mask)) == {0.0, 1 / 0.7}
    assert abs((mask == 0).mean() - 0.3) < 0.02
    first = mask.copy()
    objective(X, Y)
    assert not np.array_equal(first, objective._masks[0])  # fresh masks per batch


@pytest.mark.parametrize("n_hidden", [(5,), (5, 4), (6, 5, 4)])
@pytest.mark.parametrize("output", ["softmax", "sigmoid", "identity"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_to_tanh_computes_the_same_network(n_hidden, output, dtype):
    # Weights large enough that a wrong factor or a missing offset shows.
    X, _, coefs, intercepts = _problem(output, n_hidden, n=20)
    coefs = [(3 * W).astype(dtype) for W in coefs]
    intercepts = [(3 * b).astype(dtype) for b in intercepts]
    X = X.astype(dtype)
    before = [W.copy() for W in coefs + intercepts]
    tanh_coefs, tanh_intercepts = sigmoid_to_tanh(coefs, intercepts)
    assert_allclose(_flat(coefs + intercepts), _flat(before), rtol=0)  # unmodified
    assert all(a.dtype == dtype for a in tanh_coefs + tanh_intercepts)
    sig = forward(X, coefs, intercepts, "sigmoid", None)
    tanh = forward(X, tanh_coefs, tanh_intercepts, "tanh", None)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    # Every hidden layer holds 2 h - 1, the logits are the same.
    for h, t in zip(sig[1:-1], tanh[1:-1], strict=True):
        assert_allclose(t, 2 * h - 1, rtol=rtol, atol=rtol)
    assert_allclose(tanh[-1], sig[-1], rtol=rtol, atol=10 * rtol)
    out_sig = forward(X, coefs, intercepts, "sigmoid", output)[-1]
    out_tanh = forward(X, tanh_coefs, tanh_intercepts, "tanh", output)[-1]
    assert_allclose(out_tanh, out_sig, rtol=rtol, atol=10 * rtol)


def test_sigmoid_to_tanh_by_hand():
    # One hidden unit: sigmoid(2 x + 1) -> tanh(x + 0.5); the output 4 h + 3
    # becomes 2 t + (3 + 2).
    coefs, intercepts = sigmoid_to_tanh(
        [np.array([[2.0]]), np.array([[4.0]])], [np.array([1.0]), np.array([3.0])]
    )
    assert_allclose(_flat(coefs), [1.0, 2.0])
    assert_allclose(_flat(intercepts), [0.5, 5.0])
