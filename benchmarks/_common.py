"""Helpers shared by the benchmark scripts: data, peak FLOP/s, alternated timing."""

import os
import platform
import time
from statistics import median

import numpy as np


def add_common_arguments(parser):
    parser.add_argument(
        "--data",
        default=os.environ.get("SKDBN_DATA"),
        help="folder of MNIST IDX files (default: $SKDBN_DATA; digits when unset)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="alternated repeats")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--threads", type=int, help="limit BLAS threads (all runs)")
    return parser


def limit_threads(n):
    """Limit BLAS threads for the whole run (skdbn and its peer alike)."""
    if n:
        from threadpoolctl import threadpool_limits

        threadpool_limits(n)


def load_split(data, dtype):
    """MNIST (first 8,000 train, last 2,000 test) or, without data, digits 80/20."""
    if data:
        from skdbn.datasets import load_mnist

        X, y = load_mnist(data, dtype=dtype)
        return (
            "MNIST (10k test set: 8,000 / 2,000)",
            X[:8000],
            X[8000:],
            y[:8000],
            y[8000:],
        )
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(dtype)
    parts = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
    return "digits (80/20, pixels / 16)", *parts


def matmul_peak_gflops(dtype, n=2048, repeats=5):
    """Best GFLOP/s of an n x n matrix product on this machine, measured now."""
    rng = np.random.default_rng(0)
    a = rng.random((n, n), dtype=np.float64).astype(dtype)
    b = rng.random((n, n), dtype=np.float64).astype(dtype)
    out = np.empty((n, n), dtype=dtype)
    np.matmul(a, b, out=out)  # warm up
    best = min(_timed(lambda: np.matmul(a, b, out=out)) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def alternate(runs, repeats):
    """Run each ``name -> callable`` in turn, ``repeats`` times; median seconds.

    Each callable returns a dict of figures (accuracy, ...); the last one is kept.
    """
    times = {name: [] for name in runs}
    results = {}
    for _ in range(repeats):
        for name, fn in runs.items():
            start = time.perf_counter()
            results[name] = fn() or {}
            times[name].append(time.perf_counter() - start)
    return {name: median(t) for name, t in times.items()}, results


def machine_description():
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores, numpy {np.__version__}"
