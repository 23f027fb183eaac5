"""Matrix products and in-place BLAS updates shared by the network and the RBM."""

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas


def dot(A, W, out=None):
    """``A @ W`` for dense or sparse ``A``, written into ``out`` when given."""
    if out is None:
        return A @ W
    if sp.issparse(A):  # the product is dense: copy it in
        out[...] = A @ W
        return out
    return np.matmul(A, W, out=out)


def axpy(alpha, x, y):
    """``y += alpha * x`` in place, in one pass and without a temporary.

    ``x`` and ``y`` must have the same shape and memory order (C or Fortran), as
    a parameter and its gradient do.
    """
    y_flat = y.ravel(order="K")
    if not np.shares_memory(y_flat, y) or x.strides != y.strides:
        y += alpha * x  # not one contiguous block: let NumPy handle it
        return y
    blas.get_blas_funcs("axpy", (y,))(x.ravel(order="K"), y_flat, a=alpha)
    return y


def add_outer(alpha, row, col, A):
    """``A += alpha * outer(row, col)`` in place for a C-contiguous ``A``."""
    ger = blas.get_blas_funcs("ger", (A,))
    ger(alpha, col, row, a=A.T, overwrite_a=True)
    return A
