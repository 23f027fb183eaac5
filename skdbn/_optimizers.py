"""Gradient-descent optimisers as plain classes, updating parameters in place.

``update_params(params, grads)`` moves every array in ``params`` one step against
the matching array in ``grads``, in place and without allocating: the gradients
are scratch space (they are overwritten; callers recompute them before the next
step anyway).

Each update starts by multiplying the gradients by a constant,
``gradient_scale``. An objective can apply that factor while it computes the
gradients, where it is free (it scales a batch-sized array, not a weight-sized
one); ``update_params(params, grads, prescaled=True)`` then skips that pass over
every weight.

The learning-rate schedules follow :class:`sklearn.neural_network.MLPClassifier`:

- ``'constant'``: ``learning_rate_init`` throughout;
- ``'invscaling'``: ``learning_rate_init / (t + 1) ** power_t`` after ``t`` samples;
- ``'adaptive'``: constant while training improves; each time the stopping rule fires
  the rate is divided by 5 instead of stopping, until it falls below 1e-6.
"""

import numpy as np

from ._backend import all_finite, ops


def _fortran(a):
    return a.flags.f_contiguous and not a.flags.c_contiguous


def _scratch(optimizer, name, like):
    """Work arrays shaped like ``like``, kept on ``optimizer`` as ``name``
    (made once per fit: a proximal step allocates nothing)."""
    arrays = optimizer.__dict__.get(name)
    if arrays is None or [a.shape for a in arrays] != [p.shape for p in like]:
        arrays = [ops(p).empty_like(p) for p in like]
        setattr(optimizer, name, arrays)
    return arrays


class BaseOptimizer:
    """Shared learning-rate bookkeeping; subclasses implement ``update_params``."""

    def __init__(self, learning_rate_init=0.1, lr_schedule="constant", power_t=0.5):
        # Python floats: NumPy scalars would make float32 updates run in float64.
        self.learning_rate_init = float(learning_rate_init)
        self.learning_rate = float(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.power_t = power_t

    @property
    def gradient_scale(self):
        """The factor by which ``update_params`` first multiplies the gradients."""
        return 1.0

    def state_is_finite(self):
        """Whether the optimiser's state (velocities, moments) is all finite."""
        return all(all_finite(a) for arrays in self._state() for a in arrays)

    def reset(self):
        """Forget the state (zero velocities or moments, the rate back at
        ``learning_rate_init``), as a new optimiser."""
        self.learning_rate = self.learning_rate_init
        for arrays in self._state():
            for a in arrays:
                a.fill(0)

    def schedule(self):
        """What sets the learning rate: ``(learning_rate_init, lr_schedule,
        power_t)``."""
        return (self.learning_rate_init, self.lr_schedule, self.power_t)

    def fits(self, params):
        """Whether this optimiser's state matches ``params``' shapes and dtypes."""
        state = self._state()[0]  # one array per parameter
        return len(state) == len(params) and all(
            a.shape == p.shape and a.dtype == p.dtype
            for a, p in zip(state, params, strict=True)
        )

    def iteration_ends(self, time_step):
        """Update the learning rate after an epoch; ``time_step`` counts samples."""
        if self.lr_schedule == "invscaling":
            self.learning_rate = float(
                self.learning_rate_init / (time_step + 1) ** self.power_t
            )

    def trigger_stopping(self, msg, verbose):
        """Decide whether training stops now that it no longer improves.

        With the ``'adaptive'`` schedule the learning rate is divided by 5 and
        training continues, until the rate falls below 1e-6.
        """
        if self.lr_schedule == "adaptive" and self.learning_rate > 1e-6:
            self.learning_rate /= 5.0
            if verbose:
                print(f"{msg} Setting learning rate to {self.learning_rate:f}")
            return False
        if verbose:
            suffix = (
                " Learning rate too small." if self.lr_schedule == "adaptive" else ""
            )
            print(f"{msg}{suffix} Stopping.")
        return True


class SGD(BaseOptimizer):
    """Stochastic gradient descent with classical or Nesterov momentum.

    The velocity is ``v <- momentum * v - learning_rate * grad`` and the step is
    ``v`` (classical) or ``momentum * v - learning_rate * grad`` (Nesterov), as in
    scikit-learn's MLP. ``momentum`` may be changed between steps (the RBM's
    momentum schedule does so); a step with ``momentum=0`` is a plain gradient
    step and resets the velocity to zero.

    Parameters
    ----------
    params : list of ndarray
        The arrays to optimise; velocities of the same shapes and dtypes are made.
    learning_rate_init : float, default=0.1
    lr_schedule : {'constant', 'invscaling', 'adaptive'}, default='constant'
    momentum : float, default=0.9
    nesterov : bool, default=True
    power_t : float, default=0.5
    """

    def __init__(
        self,
        params,
        learning_rate_init=0.1,
        lr_schedule="constant",
        momentum=0.9,
        nesterov=True,
        power_t=0.5,
    ):
        super().__init__(learning_rate_init, lr_schedule, power_t)
        self.momentum = float(momentum)
        self.nesterov = nesterov
        # With Nesterov momentum the arrays hold ``momentum * v`` (see
        # update_params); ``_held_factor`` is the factor they hold, 0 when v = 0.
        self._held = [ops(p).zeros_like(p) for p in params]
        self._held_factor = 0.0

    def __getstate__(self):  # a zero velocity is stored as its layout only
        state = self.__dict__.copy()
        state.pop("_shifts", None)  # proximal-step scratch
        numpy = all(ops(h) is np for h in self._held)
        if self._held_factor == 0 and numpy:  # dtype names: io stores plain values
            state["_held"] = [
                (h.shape, h.dtype.str, "F" if _fortran(h) else "C") for h in self._held
            ]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._held = [
            np.zeros(h[0], h[1], order=h[2]) if isinstance(h, tuple) else h
            for h in self._held
        ]

    @property
    def gradient_scale(self):
        return -float(self.learning_rate)

    def _state(self):
        return [self._held]

    def reset(self):
        super().reset()
        self._held_factor = 0.0

    def soft_threshold(self, params, n_first, strength):
        """The proximal step of ``strength * |W|_1`` on the first ``n_first``
        arrays of ``params``, after a step: each entry moves towards zero by
        ``learning_rate * strength``, or to zero if it is closer.

        The velocity takes the same correction, so that it stays the step
        actually taken (classical momentum then is the proximal heavy-ball
        method; Nesterov's ``momentum * v`` likewise). Without it, momentum
        would carry a thresholded entry back off zero at the next step. For
        Nesterov this assumes a constant ``momentum``: a change rescales the
        correction with the velocity (classical momentum is exact either way).
        """
        tau = float(self.learning_rate) * strength
        moving = self._held_factor != 0
        shifts = _scratch(self, "_shifts", params[:n_first])
        for param, held, shift in zip(params, self._held, shifts, strict=False):
            ops(param).clip(
                param, -tau, tau, out=shift
            )  # param -= shift: the threshold
            param -= shift
            if moving:
                held -= shift

    @property
    def velocities(self):
        """Copies of the velocities ``v``, for inspection."""
        if self._held_factor == 0:
            return [ops(h).zeros_like(h) for h in self._held]
        return [h / self._held_factor for h in self._held]

    def update_params(self, params, grads, prescaled=False):
        """Take one step in place; ``grads`` are overwritten.

        ``prescaled``: the gradients are already multiplied by ``gradient_scale``.
        """
        scale, mu = self.gradient_scale, float(self.momentum)
        factor = self._held_factor
        for param, step, held in zip(params, grads, self._held, strict=True):
            if not prescaled:
                step *= scale  # step now holds -lr * grad
            if mu == 0:
                param += step
                continue
            if not self.nesterov:  # held = v
                if factor == 0:
                    ops(held).copyto(held, step)
                else:
                    held *= mu
                    held += step
                param += held
                continue
            # Nesterov keeps u = mu * v: then u + step is the new velocity and the
            # step mu * v_new - lr * grad is mu * (u + step) + step, four passes
            # over the weights instead of five.
            if factor == 0:
                ops(held).copyto(held, step)
            else:
                if factor != mu:  # the momentum changed since the last step
                    held *= mu / factor
                held += step
            held *= mu
            param += step
            param += held
        self._held_factor = 0.0 if mu == 0 else (mu if self.nesterov else 1.0)


class Adam(BaseOptimizer):
    """Adam (Kingma and Ba, 2014) with bias-corrected moment estimates.

    Parameters
    ----------
    params : list of ndarray
        The arrays to optimise; moment estimates of the same shapes are made.
    learning_rate_init : float, default=0.001
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the first and second moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        Added to the denominator for numerical stability.
    """

    def __init__(
        self, params, learning_rate_init=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8
    ):
        super().__init__(learning_rate_init)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.t = 0
        self.ms = [ops(p).zeros_like(p) for p in params]
        self.vs = [ops(p).zeros_like(p) for p in params]

    @property
    def gradient_scale(self):
        return 1 - self.beta_1

    def _state(self):
        return [self.ms, self.vs]

    def reset(self):
        super().reset()
        self.t = 0

    def soft_threshold(self, params, n_first, strength):
        """The proximal step of ``strength * |W|_1`` on the first ``n_first``
        arrays of ``params``, after a step, in Adam's metric: entry ``j`` moves
        towards zero by its own step size times ``strength``,
        ``learning_rate_init * sqrt(1 - beta_2**t) / (sqrt(v_j) + epsilon)``, or
        to zero if it is closer.
        """
        rate = self.learning_rate_init * np.sqrt(1 - self.beta_2**self.t)
        taus = _scratch(self, "_taus", params[:n_first])
        shifts = _scratch(self, "_shifts", params[:n_first])
        for param, v, tau, shift in zip(params, self.vs, taus, shifts, strict=False):
            xp = ops(param)
            xp.sqrt(v, out=tau)
            tau += self.epsilon
            xp.divide(rate * strength, tau, out=tau)
            xp.minimum(param, tau, out=shift)
            xp.negative(tau, out=tau)
            xp.maximum(shift, tau, out=shift)  # clip(param, -tau, tau)
            param -= shift

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_taus", None)
        state.pop("_shifts", None)
        return state

    def update_params(self, params, grads, prescaled=False):
        """Take one step in place; ``grads`` are overwritten.

        ``prescaled``: the gradients are already multiplied by ``gradient_scale``.
        """
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        self.learning_rate = float(
            self.learning_rate_init * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        )
        for param, g, m, v in zip(params, grads, self.ms, self.vs, strict=True):
            xp = ops(g)
            m *= b1
            if not prescaled:
                g *= 1 - b1
            m += g
            v *= b2
            xp.square(g, out=g)  # (1 - b1)**2 * grad**2
            g *= (1 - b2) / (1 - b1) ** 2
            v += g
            xp.sqrt(v, out=g)
            g += self.epsilon
            xp.divide(m, g, out=g)
            g *= -self.learning_rate
            param += g
