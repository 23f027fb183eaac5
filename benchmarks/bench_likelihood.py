"""Test log-likelihood of RBMs, bracketed from both sides by annealing.

Trains 784 -> 500 RBMs with CD-1, CD-10 and PCD-1 (skdbn's RBMTransformer; with
``--models all`` also PCD-1 with a linearly decaying learning rate and
scikit-learn's BernoulliRBM, PCD-1 only) with the same settings (learning rate
0.05, batch 20, 10 epochs, no momentum or weight decay, ``random_state=0``) on
the same data. Then, for each model and each number of temperatures, it
estimates ``log Z`` from both sides on the same temperatures and base-rate
model (the training pixels' marginals):

* **forward AIS** (``skdbn._ais.ais_log_partition``, ``--n-runs`` runs from the
  base rate to the model, one estimate per ``--seeds`` seed): ``log Z_hat`` is
  low in expectation, so the log-likelihood ``mean(-F(x)) - log Z_hat`` is an
  estimate from *above*;
* **reverse annealing** (RAISE, ``skdbn._ais.raise_log_likelihood``, one chain
  per row from ``--n-reverse`` test images down to the base rate, seed 1000):
  a per-row log-likelihood from *below*, and the ``log Z`` it implies,
  ``mean(-F(x) - log p_hat(x))``, from above (with its standard error over
  the rows).

It prints both ``log Z`` estimates, the test log-likelihood bracket on the
reverse rows [reverse, forward], the forward band ``log(Z_hat -/+ 3 sd)`` and
effective sample size (ESS), whether the gap exceeds the 1 nat a row of
``RBMTransformer.log_likelihood_bounds``'s warning, and the cost of each side
(seconds, and GFLOP/s of its two ``rows x 784 x 500`` products per
temperature). ``--pooled-runs N`` adds, per model, one forward estimate from N
runs at the largest number of temperatures (the best forward value affordable).

Data: ``--data PATH`` or ``$SKDBN_DATA`` selects the MNIST IDX files (first 8,000
images train, last 2,000 test); pixels / 255 are **binarised at 0.5** (for
training and evaluation). Without data: scikit-learn's digits (80/20 split,
pixels / 16 binarised at 0.5).

    python benchmarks/bench_likelihood.py --n-betas 300,1000
    SKDBN_DATA=../shared/data/mnist10k python benchmarks/bench_likelihood.py
    SKDBN_DATA=../shared/data/mnist10k python benchmarks/bench_likelihood.py \\
        --models CD-1 --seeds 0,1,2,3,4 --pooled-runs 1000
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

DEFAULT_MODELS = ("CD-1", "CD-10", "PCD-1")


def make_models(args):
    common = dict(
        n_components=args.n_components,
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        n_iter=args.epochs,
        random_state=0,
    )
    return {
        "CD-1": RBMTransformer(k=1, persistent=False, **common),
        "CD-10": RBMTransformer(k=10, persistent=False, **common),
        "PCD-1": RBMTransformer(k=1, persistent=True, **common),
        "PCD-1 linear decay": RBMTransformer(
            k=1, persistent=True, learning_rate_schedule="linear", **common
        ),
        "BernoulliRBM (PCD-1)": BernoulliRBM(**common),
    }


def timed(func, *args, **kwargs):
    start = time.perf_counter()
    out = func(*args, **kwargs)
    return out, time.perf_counter() - start


def bracket(model, X_train, X_test, n_betas, args, dtype):
    """Forward estimates (one per seed) and the reverse one, with their costs."""
    W, b = model.components_.astype(dtype), model.intercept_hidden_.astype(dtype)
    a = model.intercept_visible_.astype(np.float64)
    options = dict(base_visible_bias=_ais.base_rate_biases(X_train), betas=n_betas)
    forward = [
        timed(
            _ais.ais_log_partition,
            W,
            b,
            a,
            n_runs=args.n_runs,
            generator=np.random.default_rng(seed),
            **options,
        )
        for seed in args.seeds
    ]
    reverse, reverse_s = timed(
        _ais.raise_log_likelihood,
        X_test[: args.n_reverse],
        W,
        b,
        a,
        generator=np.random.default_rng(1000),
        **options,
    )
    return forward, reverse, reverse_s


def gflops(rows, n_betas, shape, seconds):
    return 2 * 2 * rows * shape[0] * shape[1] * n_betas / seconds / 1e9


def report(label, n_betas, forward, reverse, reverse_s, neg_f_test, shape, args):
    """One table row per forward seed, each set against the same reverse run."""
    lower = reverse.log_prob.mean()  # the reverse rows' mean log-likelihood
    neg_f_rev = reverse.neg_free_energy.mean()
    implied = reverse.neg_free_energy - reverse.log_prob  # log Z, row by row
    se = implied.std(ddof=1) / np.sqrt(implied.size)
    for seed, (result, seconds) in zip(args.seeds, forward, strict=True):
        upper = neg_f_rev - result.log_z
        flagged = _ais.bracket_warning(reverse.log_prob, upper) is not None
        print(
            f"| {label} | {n_betas:,} | {seed} | {result.log_z:.2f} "
            f"[{result.log_z_low:.2f}, {result.log_z_high:.2f}] "
            f"| {result.effective_sample_size:.1f} | {reverse.log_z:.2f} +/- {se:.2f} "
            f"| [{lower:.2f}, {upper:.2f}] | {upper - lower:.2f} "
            f"| {'yes' if flagged else 'no'} | {neg_f_test - result.log_z:.2f} "
            f"| {seconds:.1f} ({gflops(args.n_runs, n_betas, shape, seconds):.0f}) "
            f"| {reverse_s:.1f} "
            f"({gflops(len(reverse.log_prob), n_betas, shape, reverse_s):.0f}) |",
            flush=True,
        )


def parse_ints(text):
    return [int(t) for t in text.split(",")]


def main():
    parser = add_common_arguments(argparse.ArgumentParser(description=__doc__))
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--n-components", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--n-runs", type=int, default=100, help="forward AIS runs")
    parser.add_argument(
        "--n-betas", type=parse_ints, default=[3000, 10000], help="temperatures"
    )
    parser.add_argument("--seeds", type=parse_ints, default=[0], help="forward seeds")
    parser.add_argument(
        "--n-reverse", type=int, default=500, help="test rows annealed in reverse"
    )
    parser.add_argument("--pooled-runs", type=int, default=0)
    parser.add_argument(
        "--models",
        default=",".join(DEFAULT_MODELS),
        help="comma-separated model names, or 'all'",
    )
    # One BLAS thread by default: on a shared 2-core machine two-thread OpenBLAS
    # ran these 100 x 784 x 500 products 30x slower whenever another job was busy.
    parser.set_defaults(threads=1)
    args = parser.parse_args()
    limit_threads(args.threads)
    dtype = np.dtype(args.dtype)
    name, X_train, X_test, _, _ = load_split(args.data, dtype)
    X_train = (X_train > 0.5).astype(dtype)
    X_test = (X_test > 0.5).astype(dtype)
    peak = matmul_peak_gflops(dtype)
    models = make_models(args)
    chosen = list(models) if args.models == "all" else args.models.split(",")
    print(f"{datetime.date.today()} | {machine_description()} | {dtype}")
    print(f"data: {name}, binarised at 0.5: {X_train.shape} train, {X_test.shape} test")
    print(
        f"{args.n_components} hidden, lr {args.learning_rate}, batch "
        f"{args.batch_size}, {args.epochs} epochs, random_state=0; forward AIS "
        f"{args.n_runs} runs (seeds {args.seeds}), reverse annealing from the "
        f"first {min(args.n_reverse, len(X_test))} test images (seed 1000); "
        f"matmul peak {peak:.0f} GFLOP/s"
    )
    print()
    print(
        "| model | temperatures | seed | forward log Z [-3 sd, +3 sd] | ESS "
        "| reverse log Z +/- se | test LL [reverse, forward] | gap | flagged "
        "| test LL (forward, all rows) | forward s (GFLOP/s) "
        "| reverse s (GFLOP/s) |"
    )
    print(
        "| --- | ---: | ---: | --- | ---: | ---: | --- | ---: | --- |" + " ---: |" * 3
    )
    pooled = []
    for label in chosen:
        model = models[label]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            _, fit_s = timed(model.fit, X_train)
        W, b, a = model.components_, model.intercept_hidden_, model.intercept_visible_
        neg_f_test = -float(_cd.free_energy(X_test, W, a, b).mean())
        for n_betas in args.n_betas:
            forward, reverse, reverse_s = bracket(
                model, X_train, X_test, n_betas, args, dtype
            )
            report(
                label, n_betas, forward, reverse, reverse_s, neg_f_test, W.shape, args
            )
        if args.pooled_runs:
            result, seconds = timed(
                _ais.ais_log_partition,
                W.astype(dtype),
                b.astype(dtype),
                a.astype(np.float64),
                base_visible_bias=_ais.base_rate_biases(X_train),
                n_runs=args.pooled_runs,
                betas=max(args.n_betas),
                generator=np.random.default_rng(2000),
            )
            pooled.append((label, fit_s, result, seconds))
    for label, fit_s, result, seconds in pooled:
        print(
            f"pooled forward, {label} (trained in {fit_s:.1f} s): {args.pooled_runs} "
            f"runs x {max(args.n_betas):,} temperatures, seed 2000: log Z "
            f"{result.log_z:.2f} [{result.log_z_low:.2f}, {result.log_z_high:.2f}], "
            f"ESS {result.effective_sample_size:.1f}, {seconds:.0f} s"
        )


if __name__ == "__main__":
    main()
