import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skdbn._optimizers import SGD, Adam, BaseOptimizer

SHAPES = [(4, 6), (6,), (3, 2)]


def _arrays(rng, dtype=np.float64):
    return [rng.random_sample(s).astype(dtype) for s in SHAPES]


@pytest.mark.parametrize("lr", [1e-3, 0.1, 10.0])
def test_sgd_without_momentum_is_plain_gradient_step(lr):
    rng = np.random.RandomState(0)
    params, grads = _arrays(rng), _arrays(rng)
    expected = [p - lr * g for p, g in zip(params, grads, strict=True)]
    SGD(params, lr, momentum=0).update_params(params, grads)
    for e, p in zip(expected, params, strict=True):
        assert_allclose(p, e)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_two_steps(nesterov):
    rng = np.random.RandomState(1)
    params = _arrays(rng)
    lr, mu = 0.1, 0.7
    opt = SGD(params, lr, momentum=mu, nesterov=nesterov)
    ref_params = [p.copy() for p in params]
    ref_v = [np.zeros_like(p) for p in params]
    for _ in range(2):
        grads = _arrays(rng)
        for p, v, g in zip(ref_params, ref_v, grads, strict=True):
            v *= mu
            v -= lr * g
            p += (mu * v - lr * g) if nesterov else v
        opt.update_params(params, [g.copy() for g in grads])
    for e, p in zip(ref_params, params, strict=True):
        assert_allclose(p, e)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_may_change_between_steps(nesterov):
    # The RBM's schedule changes the momentum; a step with momentum 0 is a plain
    # gradient step that resets the velocity. Nesterov steps keep momentum * v
    # internally, so every change of momentum must be accounted for.
    rng = np.random.RandomState(5)
    params = _arrays(rng)
    lr = 0.1
    opt = SGD(params, lr, momentum=0.5, nesterov=nesterov)
    ref_params = [p.copy() for p in params]
    ref_v = [np.zeros_like(p) for p in params]
    for mu in [0.5, 0.5, 0.9, 0.0, 0.7, 0.7, 0.3]:
        grads = _arrays(rng)
        for p, v, g in zip(ref_params, ref_v, grads, strict=True):
            v *= mu
            v -= lr * g
            p += (mu * v - lr * g) if nesterov else v
            v *= mu != 0  # momentum 0 resets the velocity
        opt.momentum = mu
        opt.update_params(params, [g.copy() for g in grads])
        for v, w in zip(ref_v, opt.velocities, strict=True):
            assert_allclose(w, v, rtol=1e-12)
    for e, p in zip(ref_params, params, strict=True):
        assert_allclose(p, e, rtol=1e-12)


def test_adam_matches_reference_formula():
    rng = np.random.RandomState(2)
    params = _arrays(rng)
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.01
    opt = Adam(params, lr, b1, b2, eps)
    ref = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t in range(1, 4):
        grads = _arrays(rng)
        lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        for i, g in enumerate(grads):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g**2
            ref[i] = ref[i] - lr_t * m[i] / (np.sqrt(v[i]) + eps)
        opt.update_params(params, [g.copy() for g in grads])
    for e, p in zip(ref, params, strict=True):
        assert_allclose(p, e, rtol=1e-12)


@pytest.mark.parametrize(
    "make",
    [
        lambda p: SGD(p, 0.1, momentum=0),
        lambda p: SGD(p, 0.1, momentum=0.8, nesterov=False),
        lambda p: SGD(p, 0.1, momentum=0.8, nesterov=True),
        lambda p: Adam(p, 0.01),
    ],
)
def test_prescaled_gradients_give_the_same_steps(make):
    # An objective may apply gradient_scale itself; the update skips that pass.
    rng = np.random.RandomState(4)
    params = _arrays(rng)
    twin = [p.copy() for p in params]
    opt, twin_opt = make(params), make(twin)
    assert opt.gradient_scale not in (0, 1)
    for _ in range(3):
        grads = _arrays(rng)
        opt.update_params(params, [g.copy() for g in grads])
        scaled = [g * twin_opt.gradient_scale for g in grads]
        twin_opt.update_params(twin, scaled, prescaled=True)
    for p, q in zip(params, twin, strict=True):
        assert_allclose(q, p, rtol=1e-12)


@pytest.mark.parametrize("cls", [SGD, Adam])
def test_float32_stays_float32(cls):
    """A NumPy float64 factor would make every float32 pass run in float64
    (NEP 50): the rates must stay Python floats, the state float32."""
    rng = np.random.RandomState(3)
    params = _arrays(rng, np.float32)
    opt = cls(params, np.float64(0.1))
    if cls is SGD:
        opt.lr_schedule, opt.power_t = "invscaling", np.float64(0.5)
    for step in range(3):
        opt.update_params(params, _arrays(rng, np.float32))
        opt.iteration_ends(np.int64(step))
        assert type(opt.learning_rate) is float and type(opt.gradient_scale) is float
    assert all(p.dtype == np.float32 for p in params)
    assert all(a.dtype == np.float32 for arrays in opt._state() for a in arrays)


@pytest.mark.parametrize("cls", [SGD, Adam])
def test_state_checks(cls):
    params = _arrays(np.random.RandomState(0))
    opt = cls(params)
    assert opt.fits(params) and opt.state_is_finite()
    assert not opt.fits(params[:1]) and not opt.fits(
        [p.astype(np.float32) for p in params]
    )
    opt._state()[-1][0][0] = np.inf  # e.g. Adam's squared gradients overflowed
    assert not opt.state_is_finite()


def test_invscaling_schedule():
    opt = SGD([np.zeros(2)], 0.5, lr_schedule="invscaling", power_t=0.5)
    opt.iteration_ends(99)
    assert_allclose(opt.learning_rate, 0.5 / 100**0.5)


def test_adaptive_schedule_divides_by_five_then_stops():
    opt = SGD([np.zeros(2)], 2e-6, lr_schedule="adaptive")
    assert not opt.trigger_stopping("no improvement.", verbose=False)
    assert_allclose(opt.learning_rate, 2e-6 / 5)
    assert opt.trigger_stopping("no improvement.", verbose=False)


def test_constant_schedule_stops_at_once(capsys):
    assert BaseOptimizer(0.1).trigger_stopping("Loss flat.", verbose=True)
    assert "Loss flat. Stopping." in capsys.readouterr().out


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_pickles_a_zero_velocity_as_its_layout(nesterov):
    W = np.asfortranarray(np.ones((30, 40), np.float32))
    opt = SGD([W], 0.1, momentum=0.9, nesterov=nesterov)
    fresh = pickle.loads(pickle.dumps(opt))
    assert len(pickle.dumps(opt)) < W.nbytes / 4  # shape, dtype, order only
    (held,) = fresh._held
    assert held.dtype == np.float32 and held.flags.f_contiguous and not held.any()
    # A velocity in flight is kept: both take the same next steps.
    opt.update_params([W], [np.full_like(W, 0.5)])
    copy, W2 = pickle.loads(pickle.dumps((opt, W)))
    for o, w in ((opt, W), (copy, W2)):
        o.update_params([w], [np.full_like(w, 0.25)])
    assert_allclose(W2, W)


@pytest.mark.parametrize("nesterov", [False, True])
def test_soft_threshold_keeps_a_zero_at_zero_under_momentum(nesterov):
    # A coefficient at 0 whose gradient is inside the L1 weight's range stays
    # exactly at 0 step after step: the velocity is corrected with it.
    # Coefficients far from 0 move by the step plus lr * strength.
    W = np.array([0.0, 5.0, -5.0])
    opt = SGD([W], 0.1, momentum=0.9, nesterov=nesterov)
    before = W.copy()
    for _ in range(50):
        opt.update_params([W], [np.array([0.3, 0.0, 0.0])])
        opt.soft_threshold([W], 1, strength=1.0)
    assert W[0] == 0.0
    assert W[1] < before[1] and W[2] > before[2] and W[1] == -W[2]
    plain = SGD([np.zeros(1)], 0.1, momentum=0.0)
    P = np.array([0.05, -0.05, 0.5])
    plain._held = [np.zeros(3)]
    plain.soft_threshold([P], 1, strength=1.0)  # threshold 0.1
    assert_allclose(P, [0.0, 0.0, 0.4])


def test_adam_soft_threshold_uses_each_coordinates_step():
    W = np.array([0.5, 0.5])
    opt = Adam([W], learning_rate_init=0.1)
    opt.update_params([W], [np.array([0.0, 4.0])])  # v = 0.001 * grad**2
    after = W.copy()
    opt.soft_threshold([W], 1, strength=1.0)
    rate = 0.1 * np.sqrt(1 - opt.beta_2)
    tau = rate / (np.sqrt(opt.vs[0]) + opt.epsilon)
    assert_allclose(W, np.sign(after) * np.maximum(np.abs(after) - tau, 0))
    assert W[0] == 0.0 and 0 < W[1] < after[1]  # no gradient: a huge step
