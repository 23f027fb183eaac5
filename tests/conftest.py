"""Test-session setup."""

import scipy.linalg  # noqa: F401  (load SciPy's BLAS before limiting it)
from threadpoolctl import threadpool_limits

# One BLAS thread: results do not depend on the machine's thread count (OpenBLAS
# sums in a different order with more threads), and the suite's many small matrix
# products run fastest single-threaded, even more so on a busy machine.
threadpool_limits(1)
