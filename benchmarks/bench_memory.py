"""Peak resident memory of training an RBM from a memory-mapped file.

Writes an ``n_samples x n_features`` float32 ``.npy`` file (1,000,000 x 784, about
3 GB, by default) of binary digit-like images, then trains RBMTransformer and
scikit-learn's BernoulliRBM on ``np.load(path, mmap_mode="r")`` with the same
settings, each in a fresh process, and prints each one's peak resident memory
(``ru_maxrss``), its resident memory after the imports, fit time and samples/s,
and the ratios. skdbn reads each mini-batch out of the file and gives its pages
back (see ``skdbn/_outofcore.py``), so its peak stays near the size of the
interpreter plus the model; a reader that touches the whole file holds the whole
file resident.

    python benchmarks/bench_memory.py                # 1,000,000 x 784, 1 epoch
    python benchmarks/bench_memory.py --n-samples 100000 --skip-peer
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
from _common import limit_threads, machine_description

MB = 2**20


def write_data(path, n_samples, n_features, seed=0, chunk=20_000):
    """Binary images: each row flips 5% of the pixels of one of 10 random blobs.

    Written in chunks through ordinary file writes, so the writer never holds
    more than one chunk.
    """
    rng = np.random.default_rng(seed)
    side = int(np.sqrt(n_features))
    prototypes = np.zeros((10, n_features), dtype=np.float32)
    for proto in prototypes:
        img = proto[: side * side].reshape(side, side)
        for _ in range(3):  # three random filled rectangles per prototype
            r, c = rng.integers(0, side - side // 3, size=2)
            img[r : r + side // 3, c : c + side // 3] = 1
    header = {"descr": "<f4", "fortran_order": False, "shape": (n_samples, n_features)}
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, header)
        for start in range(0, n_samples, chunk):
            rows = min(chunk, n_samples - start)
            X = prototypes[rng.integers(0, 10, size=rows)]
            flip = rng.random((rows, n_features), dtype=np.float32) < 0.05
            np.logical_xor(X, flip, out=X, casting="unsafe")
            f.write(X.tobytes())


def run_worker(args):
    """One fit in this (fresh) process; prints a JSON line of figures."""
    limit_threads(args.threads)
    from sklearn.neural_network import BernoulliRBM

    from skdbn import RBMTransformer

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    X = np.load(args.path, mmap_mode="r")
    Model = RBMTransformer if args.worker == "skdbn" else BernoulliRBM
    model = Model(
        n_components=args.n_components,
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        n_iter=args.n_iter,
        random_state=0,
    )
    start = time.perf_counter()
    model.fit(X)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert np.isfinite(model.components_).all()
    print(
        json.dumps(
            {
                "peak_mb": peak / MB,
                "baseline_mb": before / MB,
                "seconds": seconds,
                "samples_per_s": X.shape[0] * args.n_iter / seconds,
            }
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1_000_000)
    parser.add_argument("--n-features", type=int, default=784)
    parser.add_argument("--n-components", type=int, default=256)
    parser.add_argument("--n-iter", type=int, default=1, help="epochs")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--threads", type=int, help="limit BLAS threads")
    parser.add_argument("--dir", help="where to write the data (default: a temp dir)")
    parser.add_argument("--skip-peer", action="store_true", help="skdbn only")
    hidden = argparse.SUPPRESS  # the script runs itself in a fresh process per fit
    parser.add_argument("--worker", choices=["skdbn", "sklearn"], help=hidden)
    parser.add_argument("--path", help=hidden)
    args = parser.parse_args()
    if args.worker:
        return run_worker(args)

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = os.path.join(tmp, "X.npy")
        start = time.perf_counter()
        write_data(path, args.n_samples, args.n_features)
        size = os.path.getsize(path) / MB
        print(f"# {machine_description()}")
        print(
            f"# data: {args.n_samples:,} x {args.n_features} float32 = {size:,.0f} MB "
            f"(written in {time.perf_counter() - start:.0f} s); "
            f"{args.n_components} hidden units, batch {args.batch_size}, "
            f"{args.n_iter} epoch(s), learning rate {args.learning_rate}"
        )
        forwarded = [
            f"--{name.replace('_', '-')}={getattr(args, name)}"
            for name in ("n_components", "n_iter", "batch_size", "learning_rate")
        ]
        if args.threads:
            forwarded.append(f"--threads={args.threads}")
        results = {}
        for worker in ["skdbn"] + ([] if args.skip_peer else ["sklearn"]):
            out = subprocess.run(
                [sys.executable, __file__, "--worker", worker, "--path", path]
                + forwarded,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            results[worker] = json.loads(out.strip().splitlines()[-1])

    names = {"skdbn": "RBMTransformer", "sklearn": "BernoulliRBM"}
    print(
        f"{'model':<16}{'peak RSS MB':>12}{'after import':>14}"
        f"{'fit s':>9}{'samples/s':>11}"
    )
    for worker, r in results.items():
        print(
            f"{names[worker]:<16}{r['peak_mb']:>12,.0f}{r['baseline_mb']:>14,.0f}"
            f"{r['seconds']:>9.1f}{r['samples_per_s']:>11,.0f}"
        )
    if "sklearn" in results:
        ours, peer = results["skdbn"], results["sklearn"]
        print(
            f"ratio (BernoulliRBM / RBMTransformer): peak memory "
            f"{peer['peak_mb'] / ours['peak_mb']:.1f}x, time "
            f"{peer['seconds'] / ours['seconds']:.2f}x"
        )
    verdict = "under" if results["skdbn"]["peak_mb"] < 400 else "OVER"
    print(f"RBMTransformer peak resident memory {verdict} 400 MB")


if __name__ == "__main__":
    main()
