"""The same estimators on NumPy, PyTorch CPU and CUDA: throughput and % of peak.

RBMTransformer (784 -> 500, PCD-1 and CD-1) and DBNClassifier fine-tuning
(784 -> 500 -> 10 after pre-training, SGD) train on the same float32 data with
the same settings on each backend, at batch 100 and 1000, under
``sklearn.config_context(array_api_dispatch=True)``. The runs alternate and
repeat; the script prints the median samples/s of each, its ratio to NumPy's,
the matrix-multiply GFLOP/s achieved (the products each mini-batch does) and
that as a fraction of the backend's own matrix-multiply peak, measured in the
same run with 4096^2 products (2048^2 on a CPU) on the same device.

Backends: ``numpy`` (always), ``torch-cpu`` and ``cuda`` where PyTorch is
installed and, for CUDA, a GPU is present (``--backends`` picks). Timings on
CUDA synchronise before reading the clock. Data as in bench_rbm.py: ``--data``
or ``$SKDBN_DATA`` (MNIST IDX files), otherwise digits upscaled to 28x28.

    python benchmarks/bench_gpu.py --threads 1
    python benchmarks/bench_gpu.py --n-rows 8000 --n-iter 3 --repeats 3
"""

import argparse
import datetime
import os
import time
import warnings
from statistics import median

# scikit-learn's array_api_dispatch needs SciPy's, read when SciPy is imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np
import sklearn
from _common import machine_description
from bench_rbm import load_data, matmul_flops_per_epoch

from skdbn import DBNClassifier, RBMTransformer

try:
    import torch
except ImportError:  # NumPy only
    torch = None


def backends(names):
    """``name -> (to_array, synchronise)`` for the backends available here."""
    found = {"numpy": (lambda a: a, lambda: None)}
    if torch is not None:
        found["torch-cpu"] = (torch.asarray, lambda: None)
        if torch.cuda.is_available():
            found["cuda"] = (
                lambda a: torch.asarray(a, device="cuda"),
                torch.cuda.synchronize,
            )
    return {name: found[name] for name in names if name in found}


def matmul_peak(name, convert, sync, repeats=5):
    """Best float32 GFLOP/s of a large square product on this backend, now."""
    n = 2048 if name != "cuda" else 4096
    rng = np.random.default_rng(0)
    a, b = (convert(rng.random((n, n), dtype=np.float32)) for _ in "ab")
    mm = np.matmul if name == "numpy" else torch.matmul
    out = mm(a, b)
    best = np.inf
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        mm(a, b, out=out)
        sync()
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def network_flops_per_epoch(n, sizes, batch):
    """Forward (one product per layer) and backward (two per layer but one for
    the first: no input gradient) products of an epoch of fine-tuning."""
    flops = sum(2 * a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    first = 2 * sizes[0] * sizes[1]
    return n * (3 * flops - first)


def jobs(args, X, y):
    """``name -> (fit(convert), flops per fit)`` for every model and batch size."""
    n, d = X.shape
    h = args.n_components
    found = {}
    for batch in args.batch_sizes:
        for persistent, label in ((True, "PCD-1"), (False, "CD-1")):
            model = RBMTransformer(
                n_components=h,
                batch_size=batch,
                n_iter=args.n_iter,
                learning_rate=0.05,
                persistent=persistent,
                random_state=0,
            )
            name = f"RBM {d}->{h} {label}, batch {batch}"
            flops = args.n_iter * matmul_flops_per_epoch(
                f"RBMTransformer ({label})", n, d, h, batch
            )
            found[name] = (_fitter(model, X), flops)
        dbn = DBNClassifier(
            hidden_layer_sizes=(h,),
            rbm_n_iter=1,
            rbm_batch_size=batch,
            batch_size=batch,
            max_iter=args.n_iter,
            solver="sgd",
            learning_rate_init=0.1,
            tol=0.0,
            random_state=0,
        )
        name = f"DBN {d}->{h}->10 fine-tuning, batch {batch}"
        flops = args.n_iter * network_flops_per_epoch(n, [d, h, 10], batch)
        found[name] = (_fine_tuner(dbn, X, y, args.n_iter), flops)
    return found


def _fitter(model, X):
    def fit(convert, sync):
        data = convert(X)
        sync()
        start = time.perf_counter()
        model.fit(data)
        sync()
        return time.perf_counter() - start

    return fit


def _fine_tuner(model, X, y, epochs):
    """Times fine-tuning only: pre-training and one epoch come before the clock,
    then a warm start runs ``epochs`` epochs (no pre-training)."""

    def fit(convert, sync):
        data, labels = convert(X), convert(y)
        model.set_params(max_iter=1, warm_start=False).fit(data, labels)
        model.set_params(max_iter=epochs, warm_start=True)
        sync()
        start = time.perf_counter()
        model.fit(data, labels)
        sync()
        return time.perf_counter() - start

    return fit


def run(args):
    description, X = load_data(args.data, "float32", args.n_rows)
    y = np.resize(np.arange(10), X.shape[0])  # labels: only the speed counts
    found = backends(args.backends)
    peaks = {name: matmul_peak(name, *fns) for name, fns in found.items()}
    models = jobs(args, X, y)
    seconds = {(m, b): [] for m in models for b in found}
    with warnings.catch_warnings(), sklearn.config_context(array_api_dispatch=True):
        warnings.simplefilter("ignore")
        for _ in range(args.repeats):
            for model, (fit, _) in models.items():
                for backend, (convert, sync) in found.items():
                    seconds[model, backend].append(fit(convert, sync))
    return description, X, found, peaks, models, seconds


def report(args, description, X, found, peaks, models, seconds):
    n, d = X.shape
    threads = f", BLAS threads limited to {args.threads}" if args.threads else ""
    print(f"# bench_gpu.py, {datetime.date.today()}{threads}")
    print(f"data: {description}; X {n} x {d} float32")
    print(f"settings: {args.n_iter} epochs, {args.repeats} alternated repeats (median)")
    gpu = torch.cuda.get_device_name() if "cuda" in found else "no GPU here"
    torch_version = torch.__version__ if torch is not None else "absent"
    print(f"machine: {machine_description()}; torch {torch_version}; {gpu}")
    print(
        "matmul peak (float32 GFLOP/s, best of 5): "
        + ", ".join(f"{name} {peak:.1f}" for name, peak in peaks.items())
    )
    print(
        f"{'model':<42} {'backend':<10} {'samples/s':>10} {'x numpy':>8} "
        f"{'GFLOP/s':>8} {'% peak':>7}"
    )
    for model, (_, flops) in models.items():
        base = median(seconds[model, "numpy"])
        for backend in found:
            sec = median(seconds[model, backend])
            rate = n * args.n_iter / sec
            gflops = flops / sec / 1e9
            print(
                f"{model:<42} {backend:<10} {rate:>10,.0f} {base / sec:>8.2f} "
                f"{gflops:>8.1f} {100 * gflops / peaks[backend]:>6.1f}%"
            )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=os.environ.get("SKDBN_DATA"))
    parser.add_argument("--n-rows", type=int, default=4000)
    parser.add_argument("--n-iter", type=int, default=2, help="epochs per fit")
    parser.add_argument("--n-components", type=int, default=500)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backends", nargs="+", default=["numpy", "torch-cpu", "cuda"])
    parser.add_argument("--threads", type=int, help="limit BLAS and torch threads")
    args = parser.parse_args()
    if args.threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
        if torch is not None:
            torch.set_num_threads(args.threads)
    report(args, *run(args))


if __name__ == "__main__":
    main()
