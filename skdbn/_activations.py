"""Numerically stable activation functions and the derivatives backprop needs.

Every function keeps the dtype of its input (float32 stays float32) and accepts an
``out`` array, which may be the input itself, so callers can work in place on
preallocated buffers. None of them overflows, warns or returns NaN for finite input,
however large (|z| = 1e4 included).
"""

import numpy as np


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
    if out is None:
        out = np.empty(np.shape(z), dtype=np.result_type(z, np.float32))
    np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
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
    negative_part = np.minimum(z, 0)
    if out is None:
        out = np.empty(np.shape(z), dtype=np.result_type(z, np.float32))
    np.abs(z, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    return np.subtract(negative_part, out, out=out)


def softplus_sum(z, out=None, dtype=None):
    """Row sums of ``softplus(z) = log(1 + exp(z))``, without overflow.

    Computed as ``-log_sigmoid(-z)`` in ``out`` (which may be ``z``); ``dtype``
    sets the accumulator (float64 keeps long sums exact for AIS). The free energy
    of an RBM is built on this.
    """
    out = np.negative(z, out=out)
    log_sigmoid(out, out=out)
    return -out.sum(axis=1, dtype=dtype)


def tanh(z, out=None):
    """Hyperbolic tangent."""
    return np.tanh(z, out=out)


def relu(z, out=None):
    """Rectified linear unit ``max(z, 0)``."""
    return np.maximum(z, 0, out=out)


def identity(z, out=None):
    """Identity; copies into ``out`` when one is given and is not ``z``."""
    if out is None or out is z:
        return z
    np.copyto(out, z)
    return out


def binary_log_proba(z):
    """``[log(1 - sigmoid(z)), log(sigmoid(z))]`` as two columns, for 1-D logits."""
    return np.column_stack([log_sigmoid(-z), log_sigmoid(z)])


def log_softmax(z, out=None):
    """Row-wise ``log(softmax(z))`` using the max-shift, so it never overflows."""
    out = np.subtract(z, z.max(axis=1, keepdims=True), out=out)
    log_norm = np.log(np.exp(out).sum(axis=1, keepdims=True))
    out -= log_norm
    return out


def softmax(z, out=None):
    """Row-wise softmax; each row of the result sums to one."""
    out = np.subtract(z, z.max(axis=1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
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
    delta *= np.subtract(1, activation, out=scratch)
    return delta


def tanh_derivative(activation, delta, scratch=None):
    """Multiply ``delta`` in place by ``1 - tanh(z) ** 2``."""
    t = np.square(activation, out=scratch)
    delta *= np.subtract(1, t, out=t)
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
