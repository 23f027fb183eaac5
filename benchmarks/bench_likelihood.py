"""Test log-likelihood of RBMs by annealed importance sampling (AIS).

Trains 500-hidden-unit RBMs with CD-1, CD-10 and PCD-1 (skdbn's RBMTransformer)
and scikit-learn's BernoulliRBM (which only does PCD-1) with the same settings
(learning rate, batch size, epochs, no momentum or weight decay, ``random_state=0``)
on the same data, plus skdbn's PCD-1 with the learning rate decaying linearly (as
in Tieleman's PCD experiments; BernoulliRBM has no schedule). Then it estimates
each model's ``log Z`` with skdbn's AIS (same runs, temperatures, base-rate model
and seed for all) and reports the average log-likelihood ``-F(x) - log Z`` in
nats of the training and test images, the ``log Z`` band
(``log(Z_hat -/+ 3 sigma)``), the effective sample size (ESS) of the importance
weights, the run time of each estimate and its matrix-product GFLOP/s (two
``n_runs x 784 x 500`` products per temperature).

Reading it: ``Z_hat`` is unbiased, so ``log Z_hat`` is low in expectation and
the log-likelihoods are optimistic. An ESS of a few runs out of 100 (and a
``-inf`` lower band) means the estimate is not converged; the true
log-likelihood is then probably lower than printed. More temperatures raise such
estimates.

Data: ``--data PATH`` or ``$SKDBN_DATA`` selects the MNIST IDX files (first 8,000
images train, last 2,000 test); pixels / 255 are **binarised at 0.5** (for
training and evaluation), so the likelihoods are those of binary images. Without
data: scikit-learn's digits (80/20 split, pixels / 16 binarised at 0.5).

The defaults (10 epochs, 100 runs, 3,000 temperatures, one BLAS thread) run in a
few minutes on two cores; the published figures (Salakhutdinov and Murray, 2008)
use 14,500 temperatures and many more epochs on 60,000 images: scale up with
``--epochs``, ``--n-betas`` and ``--n-runs``.

    python benchmarks/bench_likelihood.py
    SKDBN_DATA=../shared/data/mnist10k python benchmarks/bench_likelihood.py
    SKDBN_DATA=../shared/data/mnist10k python benchmarks/bench_likelihood.py \\
        --epochs 30 --n-betas 14500 --threads 1
"""

import argparse
import datetime
import time
import warnings

import numpy as np
from _common import (
    add_common_arguments,
    limit_threads,
    load_split,
    machine_description,
    matmul_peak_gflops,
)
from sklearn.neural_network import BernoulliRBM

from skdbn import RBMTransformer, _ais, _cd


def make_models(args):
    common = dict(
        n_components=args.n_components,
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        n_iter=args.epochs,
        random_state=0,
    )
    return {
        "skdbn CD-1": RBMTransformer(k=1, persistent=False, **common),
        "skdbn CD-10": RBMTransformer(k=10, persistent=False, **common),
        "skdbn PCD-1": RBMTransformer(k=1, persistent=True, **common),
        "skdbn PCD-1, linear lr decay": RBMTransformer(
            k=1, persistent=True, learning_rate_schedule="linear", **common
        ),
        "sklearn BernoulliRBM (PCD-1)": BernoulliRBM(**common),
    }


def schedule(args):
    """The temperatures: the 2008 paper's proportions, or evenly spaced."""
    if args.schedule == "linear":
        return np.linspace(0.0, 1.0, args.n_betas)
    return _ais.ais_schedule(args.n_betas)


def evaluate(model, X_train, X_test, args, dtype):
    """AIS ``log Z`` (timed) and the mean train / test log-likelihoods."""
    W = model.components_.astype(dtype)
    b = model.intercept_hidden_.astype(dtype)
    a = model.intercept_visible_.astype(dtype)
    base = _ais.base_rate_biases(X_train)
    estimates, times = [], []
    for seed in range(args.repeats):
        start = time.perf_counter()
        result = _ais.ais_log_partition(
            W,
            b,
            a,
            base_visible_bias=base,
            n_runs=args.n_runs,
            betas=schedule(args),
            generator=np.random.default_rng(seed),
        )
        times.append(time.perf_counter() - start)
        estimates.append(result)
    result = estimates[0]
    mean_neg_f = [-float(_cd.free_energy(X, W, a, b).mean()) for X in (X_train, X_test)]
    return {
        "log_z": result.log_z,
        "band": (result.log_z_low, result.log_z_high),
        "spread": max(r.log_z for r in estimates) - min(r.log_z for r in estimates),
        "ess": result.effective_sample_size,
        "train": mean_neg_f[0] - result.log_z,
        "test": mean_neg_f[1] - result.log_z,
        "ais_s": float(np.median(times)),
    }


def main():
    parser = add_common_arguments(argparse.ArgumentParser(description=__doc__))
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--n-components", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--n-runs", type=int, default=100, help="AIS runs")
    parser.add_argument("--n-betas", type=int, default=3000, help="temperatures")
    parser.add_argument(
        "--schedule",
        choices=["paper", "linear"],
        default="paper",
        help="temperatures: the 2008 paper's proportions (denser near 1) or even",
    )
    parser.add_argument("--only", help="comma-separated substrings of model names")
    # One BLAS thread by default: on a shared 2-core machine two-thread OpenBLAS
    # ran these 100 x 784 x 500 products 30x slower whenever another job was busy.
    parser.set_defaults(repeats=1, threads=1)  # repeats: AIS estimates per model
    args = parser.parse_args()
    limit_threads(args.threads)
    dtype = np.dtype(args.dtype)
    name, X_train, X_test, _, _ = load_split(args.data, dtype)
    X_train = (X_train > 0.5).astype(dtype)
    X_test = (X_test > 0.5).astype(dtype)
    peak = matmul_peak_gflops(dtype)
    print(f"{datetime.date.today()} | {machine_description()} | {dtype}")
    print(f"data: {name}, binarised at 0.5: {X_train.shape} train, {X_test.shape} test")
    print(
        f"{args.n_components} hidden, lr {args.learning_rate}, batch "
        f"{args.batch_size}, {args.epochs} epochs; AIS {args.n_runs} runs x "
        f"{args.n_betas} temperatures ({args.schedule}), {args.repeats} "
        "estimate(s) per model; "
        f"matmul peak {peak:.0f} GFLOP/s"
    )
    flops = 2 * 2 * args.n_runs * X_train.shape[1] * args.n_components * args.n_betas
    rows = []
    for label, model in make_models(args).items():
        if args.only and not any(s in label for s in args.only.split(",")):
            continue
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            model.fit(X_train)
        fit_s = time.perf_counter() - start
        r = evaluate(model, X_train, X_test, args, dtype)
        rows.append((label, fit_s, r))
        print(f"  {label}: fitted in {fit_s:.1f} s, AIS {r['ais_s']:.1f} s", flush=True)
    print()
    print(
        "| model | train s | log Z [-3 sd, +3 sd] | ESS | train LL | test LL "
        "| AIS s | AIS GFLOP/s |"
    )
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for label, fit_s, r in rows:
        low, high = r["band"]
        spread = f" (spread {r['spread']:.2f})" if args.repeats > 1 else ""
        print(
            f"| {label} | {fit_s:.1f} | {r['log_z']:.2f} [{low:.2f}, {high:.2f}]"
            f"{spread} | {r['ess']:.1f} | {r['train']:.2f} | {r['test']:.2f} "
            f"| {r['ais_s']:.1f} | {flops / r['ais_s'] / 1e9:.0f} |"
        )


if __name__ == "__main__":
    main()
