"""Reading CSV files: load_csv against pandas and NumPy, and a million-row fit.

Part 1 writes a 60,000 x 785 integer CSV (the MNIST CSV layout: a header, 784
pixel columns of 0-255, most of them 0, and a label) and reads it with
``skdbn.datasets.load_csv(dtype=float32)``, ``numpy.loadtxt(dtype=float32)`` and
``pandas.read_csv(dtype=float32)`` (skipped when pandas is not installed), each
run in a fresh process, alternated and repeated; it prints the median time, the
median peak resident memory (``VmHWM``) and the peak above the process's
memory after its imports, against the float32 array's size.

Part 2 writes a CSV of ``--fit-rows`` rows (1,000,000 by default, about 1.7 GB)
in a temporary folder (checking the free space first) and runs ``skdbn fit
big.csv --epochs 1 --pretrain-epochs 1`` in a fresh process twice: the first
converts the CSV to its float32 cache and trains from the memory map, the
second reuses the cache. It prints the time and peak resident memory of each,
then removes the folder.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_csv.py
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_csv.py --skip-fit --repeats 5
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_csv.py --skip-load --fit-rows 200000
"""

import argparse
import contextlib
import io
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from statistics import median

import numpy as np
from _common import machine_description

MB = 2**20


def csv_lines(n_pool, n_features=784, seed=0):
    """Formatted lines of digit-like rows: one of 10 blob prototypes, grey
    levels 1-255 where it is on, 3% of pixels flipped; the label its prototype."""
    rng = np.random.default_rng(seed)
    side = int(np.sqrt(n_features))
    protos = np.zeros((10, side, side), dtype=bool)
    for proto in protos:
        for _ in range(3):
            r, c = rng.integers(0, side - side // 3, size=2)
            proto[r : r + side // 3, c : c + side // 3] = True
    protos = protos.reshape(10, -1)[:, :n_features]
    labels = rng.integers(0, 10, size=n_pool)
    on = protos[labels] ^ (rng.random((n_pool, n_features)) < 0.03)
    X = np.where(on, rng.integers(1, 256, size=(n_pool, n_features)), 0)
    return [
        ",".join(map(str, r)) + f",{y}\n"
        for r, y in zip(X.tolist(), labels, strict=True)
    ]


def write_csv(path, n_rows, n_features=784, seed=1, pool=5000):
    """``n_rows`` lines drawn from a pool of ``pool`` distinct ones, a header first."""
    lines = csv_lines(min(pool, n_rows), n_features)
    rng = np.random.default_rng(seed)
    with open(path, "w") as f:
        f.write(",".join(f"pixel{j}" for j in range(n_features)) + ",label\n")
        for start in range(0, n_rows, 10_000):
            picks = rng.integers(0, len(lines), size=min(10_000, n_rows - start))
            f.write("".join(lines[i] for i in picks))


def _memory_mb(field):
    """This process's ``VmHWM`` (peak) or ``VmRSS`` (now) in MB, from Linux's
    /proc (``ru_maxrss`` would count the parent's pages before ``exec``);
    ``ru_maxrss`` elsewhere."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb():
    return _memory_mb("VmHWM")


def _reader(method, path):
    """A function reading ``path`` into a float32 array by ``method``."""
    if method == "load_csv":
        from skdbn.datasets import load_csv

        return lambda: load_csv(path, dtype=np.float32).data
    if method == "numpy.loadtxt":
        return lambda: np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    import pandas as pd

    return lambda: pd.read_csv(path, dtype=np.float32).to_numpy()


def warm_times(methods, path, repeats):
    """Median seconds of each method in this process, after one warm-up read:
    what a long-running program that reads many files sees."""
    readers = {m: _reader(m, path) for m in methods}
    for read in readers.values():
        read()
    times = {m: [] for m in methods}
    for _ in range(repeats):
        for method, read in readers.items():
            start = time.perf_counter()
            read()
            times[method].append(time.perf_counter() - start)
    return {m: median(t) for m, t in times.items()}


def load_worker(method, path):
    """One read of ``path`` in this process; a JSON line of figures."""
    read = _reader(method, path)
    base = _memory_mb("VmRSS")
    start = time.perf_counter()
    X = read()
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak": _rss_mb(), "base": base,
                      "shape": list(X.shape)}))  # fmt: skip


def fit_worker(path, folder):
    """``skdbn fit`` in this process; a JSON line of figures."""
    from skdbn.cli import main

    output = os.path.join(folder, "big.skops")
    argv = ["fit", path, "-o", output, "--epochs", "1", "--pretrain-epochs", "1"]
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()) as report:
        code = main([*argv, "--quiet", "--cache-dir", folder])
    seconds = time.perf_counter() - start
    trained = re.search(r"trained +\d+ rows in ([0-9.]+) s", report.getvalue())
    figures = {"seconds": seconds, "peak": _rss_mb(), "code": code}
    figures["train"] = float(trained[1]) if trained else float("nan")
    print(json.dumps(figures))


def run_worker(*args):
    out = subprocess.run(
        [sys.executable, __file__, "--worker", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_load(args, folder):
    path = os.path.join(folder, "mnist_like.csv")
    write_csv(path, args.rows)
    methods = ["load_csv", "numpy.loadtxt", "pandas.read_csv"]
    try:
        import pandas  # noqa: F401
    except ImportError:
        methods.remove("pandas.read_csv")
        print("pandas is not installed: its row is skipped")
    runs = {m: [] for m in methods}
    for _ in range(args.repeats):
        for method in methods:
            runs[method].append(run_worker("load", method, path))
    array_mb = args.rows * 784 * 4 / MB
    size_mb = os.path.getsize(path) / MB
    print(f"\n{args.rows} x 785 integer CSV, {size_mb:.0f} MB; float32 array "
          f"{array_mb:.0f} MB; medians of {args.repeats} fresh processes")  # fmt: skip
    print(f"{'method':<16} {'time s':>7} {'peak RSS MB':>12} {'above imports':>14}"
          f" {'/ array':>8}")  # fmt: skip
    table = {}
    for method, results in runs.items():
        sec = median(r["seconds"] for r in results)
        peak = median(r["peak"] for r in results)
        above = median(r["peak"] - r["base"] for r in results)
        table[method] = sec
        print(f"{method:<16} {sec:7.2f} {peak:12.0f} {above:14.0f} "
              f"{above / array_mb:7.2f}x")  # fmt: skip
    if "pandas.read_csv" in table:
        ratio = table["pandas.read_csv"] / table["load_csv"]
        print(f"load_csv speed vs pandas.read_csv: {ratio:.2f}x")
    warm = warm_times(methods, path, args.repeats)
    print("in one process, after a warm-up read (median s): " + ", ".join(
        f"{m} {sec:.2f}" for m, sec in warm.items()))  # fmt: skip


def bench_fit(args, folder):
    path = os.path.join(folder, "big.csv")
    need = args.fit_rows * (1800 + 784 * 4 * 2)  # CSV, cache, spilled layer
    free = shutil.disk_usage(folder).free
    if free < need:
        raise SystemExit(
            f"{folder}: {free / 2**30:.1f} GiB free, need {need / 2**30:.1f}"
        )
    start = time.perf_counter()
    write_csv(path, args.fit_rows)
    print(f"\nwrote {args.fit_rows} x 785 CSV, {os.path.getsize(path) / MB:.0f} MB, "
          f"in {time.perf_counter() - start:.0f} s")  # fmt: skip
    print("skdbn fit big.csv --epochs 1 --pretrain-epochs 1 (DBN 256,128)")
    for what in ("converts and trains", "reuses the cache"):
        r = run_worker("fit", path, folder)
        print(f"  {what:<20} {r['seconds']:7.1f} s (training {r['train']:.1f} s)"
              f"   peak RSS {r['peak']:6.0f} MB   exit {r['code']}")  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fit-rows", type=int, default=1_000_000)
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-fit", action="store_true")
    parser.add_argument("--tmpdir", help="where the CSV files go (default: TMPDIR)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        return load_worker(*rest) if kind == "load" else fit_worker(*rest)
    print(machine_description())
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    folder = tempfile.mkdtemp(prefix="bench_csv-", dir=args.tmpdir)
    try:
        if not args.skip_load:
            bench_load(args, folder)
        if not args.skip_fit:
            bench_fit(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
