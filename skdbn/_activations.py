"""Numerically stable activation functions and the derivatives backprop needs.

Every function keeps the dtype of its input (float32 stays float32) and accepts an
``out`` array, which may be the input itself, so callers can work in place on
preallocated buffers. None of them overflows, warns or returns NaN for finite input,
however large (|z| = 1e4 included).
"""

from ._backend import column_stack, new_float, ops


def sigmoid(z, out=None):
    """Logistic function ``1 / (1 + exp(-z))``, computed without overflow.

    Evaluated as ``(1 + tanh(z / 2)) / 2``: the same function, bounded at every
    step, and several times faster than ``scipy.special.expit`` because NumPy's
    ``tanh`` is vectorised. The absolute error is below the dtype's epsilon
    (6.5e-8 in float32), but values under about epsilon round to exactly 0 (and
    those within epsilon of 1 to 1): where tiny probabilities need relative
    accuracy, as in reported probabilities, go through :func:`log_sigmoid`. This
    is the hot loop of every RBM and DBN.
    """
    xp = ops(z)
    if out is None:
        out = new_float(z)
    xp.multiply(z, 0.5, out=out)
    xp.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


def log_sigmoid(z, out=None):
    """``log(sigmoid(z))``, accurate for large negative ``z``.

    Evaluated as ``min(z, 0) - log1p(exp(-|z|))``: exact in exact arithmetic,
    never overflowing, and several times faster than ``scipy.special.log_expit``
    (NumPy's ``exp`` and ``log1p`` are vectorised). Free energies and AIS spend
    their time here.
    """
    xp = ops(z)
    negative_part = xp.minimum(z, 0)
    if out is None:
        out = new_float(z)
    xp.abs(z, out=out)
    xp.negative(out, out=out)
    xp.exp(out, out=out)
    xp.log1p(out, out=out)
    return xp.subtract(negative_part, out, out=out)


def softplus_sum(z, out=None, dtype=None):
    """Row sums of ``softplus(z) = log(1 + exp(z))``, without overflow.

    Computed as ``-log_sigmoid(-z)`` in ``out`` (which may be ``z``); ``dtype``
    sets the accumulator (float64 keeps long sums exact for AIS). The free energy
    of an RBM is built on this.
    """
    xp = ops(z)
    out = xp.negative(z, out=out)
    log_sigmoid(out, out=out)
    return -xp.sum(out, axis=1, dtype=dtype)


def tanh(z, out=None):
    """Hyperbolic tangent."""
    return ops(z).tanh(z, out=out)


def relu(z, out=None):
    """Rectified linear unit ``max(z, 0)``."""
    return ops(z).maximum(z, 0, out=out)


def identity(z, out=None):
    """Identity; copies into ``out`` when one is given and is not ``z``."""
    if out is None or out is z:
        return z
    ops(z).copyto(out, z)
    return out


def binary_log_proba(z):
    """``[log(1 - sigmoid(z)), log(sigmoid(z))]`` as two columns, for 1-D logits."""
    return column_stack([log_sigmoid(-z), log_sigmoid(z)])


def log_softmax(z, out=None):
    """Row-wise ``log(softmax(z))`` using the max-shift, so it never overflows."""
    xp = ops(z)
    out = xp.subtract(z, xp.amax(z, axis=1, keepdims=True), out=out)
    log_norm = xp.log(xp.sum(xp.exp(out), axis=1, keepdims=True))
    out -= log_norm
    return out


def softmax(z, out=None):
    """Row-wise softmax; each row of the result sums to one."""
    xp = ops(z)
    out = xp.subtract(z, xp.amax(z, axis=1, keepdims=True), out=out)
    xp.exp(out, out=out)
    out /= xp.sum(out, axis=1, keepdims=True)
    return out


ACTIVATIONS = {
    "identity": identity,
    "sigmoid": sigmoid,
    "logistic": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "softmax": softmax,
}


def sigmoid_derivative(activation, delta, scratch=None):
    """Multiply ``delta`` in place by ``s * (1 - s)``, where ``s = sigmoid(z)``.

    ``scratch``, shaped like ``delta``, avoids allocating a temporary.
    """
    delta *= activation
    delta *= ops(delta).subtract(1, activation, out=scratch)
    return delta


def tanh_derivative(activation, delta, scratch=None):
    """Multiply ``delta`` in place by ``1 - tanh(z) ** 2``."""
    xp = ops(delta)
    t = xp.square(activation, out=scratch)
    delta *= xp.subtract(1, t, out=t)
    return delta


def relu_derivative(activation, delta, scratch=None):
    """Zero ``delta`` in place where the unit was inactive."""
    delta[activation <= 0] = 0
    return delta


def identity_derivative(activation, delta, scratch=None):
    """The identity's derivative is one: ``delta`` is returned unchanged."""
    return delta


# Derivatives are written in terms of the activation's *output*, which the forward
# pass has already stored, so backprop never needs the pre-activations.
DERIVATIVES = {
    "identity": identity_derivative,
    "sigmoid": sigmoid_derivative,
    "logistic": sigmoid_derivative,
    "tanh": tanh_derivative,
    "relu": relu_derivative,
}
