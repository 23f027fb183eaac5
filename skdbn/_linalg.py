"""Matrix products and in-place updates shared by the network and the RBM."""

import scipy.sparse as sp

from ._backend import ops


def dot(A, W, out=None):
    """``A @ W`` for dense or sparse ``A``, written into ``out`` when given."""
    if out is None:
        return A @ W
    if sp.issparse(A):  # the product is dense: copy it in
        out[...] = A @ W
        return out
    return ops(W).matmul(A, W, out=out)


def axpy(alpha, x, y, scratch=None):
    """``y += alpha * x`` in place; ``scratch`` (shaped like ``x``) avoids a temporary.

    Deliberately NumPy, not ``scipy.linalg.blas``: SciPy ships its own OpenBLAS
    with its own thread pool, and alternating between the two pools in a training
    loop made multi-threaded fits several times slower than single-threaded ones.
    """
    y += ops(y).multiply(x, alpha, out=scratch)
    return y


def add_outer(alpha, row, col, A):
    """``A += alpha * outer(row, col)`` in place."""
    A += alpha * ops(A).outer(row, col)
    return A
