"""RBMTransformer against scikit-learn's BernoulliRBM: throughput, FLOP/s, memory.

Both estimators train with identical settings (default 784 -> 500 hidden units,
batch 100, learning rate 0.05, 10 epochs; RBMTransformer with its BernoulliRBM-
equivalent defaults, i.e. PCD-1 without momentum) on the same data. The runs
alternate and repeat; the script prints the median samples/s of each, their ratio,
the matrix-multiply GFLOP/s each achieves (counting only the products each does
per mini-batch), and that as a fraction of this machine's own matrix-multiply peak,
measured in the same run with a large square product of the same dtype. Peak
memory is measured with tracemalloc (NumPy reports its allocations to it).

Data: ``--data PATH`` or ``$SKDBN_DATA``, a folder holding the MNIST IDX file
``t10k-images-idx3-ubyte.gz`` (first 8,000 images, pixels / 255). Without it,
scikit-learn's 8x8 digits upscaled to 28x28 by linear interpolation and repeated
to 8,000 rows (the same shape, so the same arithmetic; not the same images).

    python benchmarks/bench_rbm.py
    SKDBN_DATA=../shared/data/mnist10k python benchmarks/bench_rbm.py --repeats 5
    python benchmarks/bench_rbm.py --dtype float64 --also-cd --profile --threads 1
"""

import argparse
import cProfile
import datetime
import os
import pstats
import time
import tracemalloc
import warnings
from statistics import median

import numpy as np
from _common import machine_description, matmul_peak_gflops
from sklearn.neural_network import BernoulliRBM

from skdbn import RBMTransformer
from skdbn.datasets import load_mnist


def load_data(path, dtype, n_rows=8000):
    """MNIST's first ``n_rows`` test images, or upscaled digits; pixels in [0, 1]."""
    if path:
        X, _ = load_mnist(path, dtype=dtype)
        return f"MNIST test set in {path} (first {n_rows:,} images)", X[:n_rows]
    from scipy.ndimage import zoom
    from sklearn.datasets import load_digits

    images = load_digits().images / 16.0
    X = np.clip(zoom(images, (1, 3.5, 3.5), order=1), 0, 1).reshape(len(images), -1)
    X = np.resize(X, (n_rows, X.shape[1]))
    return f"digits upscaled to 28x28, repeated to {n_rows:,} rows", X.astype(dtype)


def matmul_flops_per_epoch(name, n, d, h, batch, k=1):
    """Matrix-multiply FLOPs of one epoch (2 per multiply-add), full batches."""
    unit = 2 * d * h  # one row through one d x h product
    n_batches = -(-n // batch)
    if name == "BernoulliRBM":  # PCD-1: v W^T, h W, v' W^T, two outer products
        return n_batches * batch * 5 * unit
    if name.endswith("(PCD-1)"):
        # data v W^T (batch rows), reconstruction of a fiftieth of the batch,
        # chain h W and v' W^T (batch chains), stacked gradient over batch + chains
        rows = batch + -(-batch // 50) + 2 * batch + 2 * batch
        return n_batches * rows * unit
    # CD-k: v W^T, k times (h W, v' W^T), stacked gradient over 2 * batch rows
    return n_batches * batch * (1 + 2 * k + 2) * unit


def make_models(args):
    common = dict(
        n_components=args.n_components,
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        n_iter=args.n_iter,
        random_state=0,
    )
    models = {
        "BernoulliRBM": BernoulliRBM(**common),
        "RBMTransformer (PCD-1)": RBMTransformer(**common),
    }
    if args.also_cd:
        models["RBMTransformer (CD-1)"] = RBMTransformer(persistent=False, **common)
    return models


def time_models(models, X, repeats):
    """Alternate the fits; median seconds and peak traced memory per model."""
    times = {name: [] for name in models}
    memory = {}
    for rep in range(repeats + 1):  # the last round is traced, not timed
        for name, model in models.items():
            if rep == repeats:
                tracemalloc.start()
                model.fit(X)
                memory[name] = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                continue
            start = time.perf_counter()
            model.fit(X)
            times[name].append(time.perf_counter() - start)
    return {name: median(t) for name, t in times.items()}, memory


def report(args, description, X, seconds, memory, peaks):
    n, d = X.shape
    peak = max(peaks)
    print(f"data: {description}; X {n} x {d} {X.dtype}, {X.nbytes / 2**20:.1f} MiB")
    print(
        f"settings: {d} -> {args.n_components}, batch {args.batch_size}, "
        f"learning rate {args.learning_rate}, {args.n_iter} epochs, "
        f"{args.repeats} alternated repeats (median)"
    )
    print(
        f"machine: {machine_description()}; {X.dtype} matmul peak "
        f"{peak:.1f} GFLOP/s (2048^2, best of 5; start {peaks[0]:.1f}, "
        f"end {peaks[1]:.1f})"
    )
    header = (
        f"{'model':<24} {'samples/s':>10} {'ratio':>6} {'GFLOP/s':>8} {'% peak':>7}"
    )
    print(header + f" {'peak mem':>9}")
    base = n * args.n_iter / seconds["BernoulliRBM"]
    for name, sec in seconds.items():
        rate = n * args.n_iter / sec
        flops = matmul_flops_per_epoch(name, n, d, args.n_components, args.batch_size)
        gflops = flops * args.n_iter / sec / 1e9
        print(
            f"{name:<24} {rate:>10,.0f} {rate / base:>6.2f} {gflops:>8.1f} "
            f"{100 * gflops / peak:>6.1f}% {memory[name] / 2**20:>7.1f}Mi"
        )


def profile(model, X):
    profiler = cProfile.Profile()
    profiler.runcall(model.fit, X)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=os.environ.get("SKDBN_DATA"))
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--n-iter", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-components", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--also-cd", action="store_true", help="also time CD-1")
    parser.add_argument("--profile", action="store_true", help="cProfile one fit")
    parser.add_argument("--threads", type=int, help="limit BLAS threads (all runs)")
    args = parser.parse_args()
    if args.threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)

    description, X = load_data(args.data, args.dtype)
    models = make_models(args)
    threads = f", BLAS threads limited to {args.threads}" if args.threads else ""
    print(f"# bench_rbm.py, {datetime.date.today()}{threads}")
    peaks = [matmul_peak_gflops(X.dtype)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seconds, memory = time_models(models, X, args.repeats)
    peaks.append(matmul_peak_gflops(X.dtype))
    report(args, description, X, seconds, memory, peaks)
    print(
        "peak mem: tracemalloc peak during fit (model, optimiser state and work "
        f"buffers; X itself is {X.nbytes / 2**20:.1f} MiB and not counted)"
    )
    if args.profile:
        profile(models["RBMTransformer (PCD-1)"], X)


if __name__ == "__main__":
    main()
