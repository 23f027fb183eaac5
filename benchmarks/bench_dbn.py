"""DBNClassifier against MLPClassifier and an RBM + logistic-regression pipeline.

On the MNIST split (``--data`` or ``$SKDBN_DATA``: the first 8,000 test-set images
train, the last 2,000 test; pixels / 255), in one process and with the same hidden
sizes, fine-tuning epochs, batch size and dtype:

- DBNClassifier (pre-training, then fine-tuning; the settings documented for
  MNIST in its docstring),
- MLPClassifier (its defaults otherwise: relu, adam with learning rate 1e-3),
- DBNClassifier(pretrain=False) (the ablation),
- Pipeline(BernoulliRBM -> LogisticRegression), scikit-learn's RBM recipe.

Prints test accuracy, fit time with pre-training and fine-tuning apart, the
fine-tuning throughput (samples/s) and the ratio to MLPClassifier's; then the
same ratio from single epochs of the two fitted networks in alternation
(``--interleaved``), so that both run under the same conditions. Without MNIST it
falls back to digits (80/20), which is much too small to time anything.

    SKDBN_DATA=../shared/data/mnist10k python benchmarks/bench_dbn.py
    SKDBN_DATA=../shared/data/mnist10k python benchmarks/bench_dbn.py \
        --repeats 1 --accuracy-seeds 6

``--activation logistic tanh`` instead compares the hidden activations after
pre-training: for each seed of ``--accuracy-seeds`` the stack is pre-trained
once and fine-tuned with each activation (the tanh network starts as the exact
equivalent of the sigmoid one), with the documented settings and with the
defaults (``DBNClassifier(activation=...)``, nothing else set); it prints the
test accuracies, their means and the mean paired difference to the first.

    SKDBN_DATA=../shared/data/mnist10k python benchmarks/bench_dbn.py \
        --activation logistic tanh --accuracy-seeds 6
"""

import argparse
import sys
import time
import warnings

from _common import (
    add_common_arguments,
    limit_threads,
    load_split,
    machine_description,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import BernoulliRBM, MLPClassifier
from sklearn.pipeline import make_pipeline

from skdbn import DBNClassifier


def dbn_settings(args, seed=None):
    """The settings documented for MNIST in DBNClassifier's docstring."""
    return dict(
        activation=args.activation[0],
        hidden_layer_sizes=args.hidden,
        rbm_n_iter=args.rbm_epochs,
        rbm_batch_size=args.rbm_batch,
        rbm_learning_rate=args.rbm_learning_rate,
        solver="sgd",
        learning_rate_init=args.learning_rate,
        momentum=0.9,
        max_iter=args.epochs,
        batch_size=args.batch,
        dropout=args.dropout,
        alpha=args.alpha,
        tol=0.0,
        n_iter_no_change=args.epochs,  # the full epoch budget, as the MLP
        random_state=args.seed if seed is None else seed,
    )


def mlp_model(args, seed=None):
    """MLPClassifier with the DBN's layers, epochs and batch size; else defaults."""
    return MLPClassifier(
        hidden_layer_sizes=args.hidden,
        batch_size=args.batch,
        max_iter=args.epochs,
        tol=0.0,
        n_iter_no_change=args.epochs,  # the full epoch budget, as the DBN
        random_state=args.seed if seed is None else seed,
    )


class Timed:
    """Wraps an estimator's pre-training step to time it apart from fine-tuning."""

    def __init__(self, estimator):
        self.seconds = 0.0
        original = estimator._pretrain

        def pretrain(*args, **kwargs):
            start = time.perf_counter()
            result = original(*args, **kwargs)
            self.seconds += time.perf_counter() - start
            return result

        estimator._pretrain = pretrain


def run(name, model, data, epochs):
    X_train, X_test, y_train, y_test = data
    timer = Timed(model) if hasattr(model, "_pretrain") else None
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    total = time.perf_counter() - start
    pretrain = timer.seconds if timer else 0.0
    fine_tune = total - pretrain
    if not hasattr(model, "loss_curve_"):  # the RBM pipeline has no fine-tuning
        pretrain, fine_tune = total, float("nan")
    return {
        "name": name,
        "accuracy": model.score(X_test, y_test),
        "total": total,
        "pretrain": pretrain,
        "fine_tune": fine_tune,
        # epochs actually run (a collapsed network may stop on its own)
        "throughput": getattr(model, "n_iter_", epochs) * len(X_train) / fine_tune,
    }


def main():
    parser = add_common_arguments(argparse.ArgumentParser(description=__doc__))
    parser.add_argument("--hidden", type=int, nargs="+", default=[500, 500])
    parser.add_argument("--epochs", type=int, default=30, help="fine-tuning epochs")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--learning-rate", type=float, default=0.4, help="DBN's")
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--alpha", type=float, default=0.0, help="DBN's L2 penalty")
    parser.add_argument("--rbm-epochs", type=int, default=10)
    parser.add_argument("--rbm-batch", type=int, default=40)
    parser.add_argument("--rbm-learning-rate", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--activation",
        nargs="+",
        default=["logistic"],
        choices=["logistic", "tanh"],
        help="the DBN's hidden activation; with several, compare them after the "
        "same pre-training for seeds 0..N-1 (--accuracy-seeds, default 6), with "
        "the documented settings and the defaults, and run nothing else",
    )
    parser.add_argument(
        "--interleaved",
        type=int,
        default=10,
        metavar="N",
        help="then N more fine-tuning epochs of each fitted network, alternating "
        "one epoch (partial_fit) of each, for a throughput ratio that a busy "
        "machine cannot favour either (0 skips it)",
    )
    parser.add_argument(
        "--accuracy-seeds",
        type=int,
        default=0,
        metavar="N",
        help="then fit DBNClassifier and MLPClassifier with random_state 0..N-1 "
        "and print their test accuracies (a single run moves by +/- 0.3 point)",
    )
    args = parser.parse_args()
    limit_threads(args.threads)
    args.hidden = tuple(args.hidden)
    name, *data = load_split(args.data, args.dtype)
    if len(args.activation) > 1:
        print(f"data: {name}; dtype {args.dtype}; {machine_description()}")
        compare_activations(args, data)
        return
    mlp = mlp_model(args)
    rbm_pipeline = make_pipeline(
        BernoulliRBM(
            n_components=args.hidden[0],
            learning_rate=args.rbm_learning_rate,
            batch_size=args.rbm_batch,
            n_iter=args.rbm_epochs,
            random_state=args.seed,
        ),
        LogisticRegression(C=10, max_iter=1000),
    )
    models = {
        "DBNClassifier": (DBNClassifier(**dbn_settings(args)), args.epochs),
        "MLPClassifier": (mlp, args.epochs),
        "DBNClassifier(pretrain=False)": (
            DBNClassifier(pretrain=False, **dbn_settings(args)),
            args.epochs,
        ),
        "BernoulliRBM + LogisticRegression": (rbm_pipeline, 1),
    }
    results = []
    for _ in range(args.repeats):
        for label, (model, epochs) in models.items():
            results.append(run(label, model, data, epochs))
    fitted = {label: model for label, (model, _) in models.items()}
    print(f"data: {name}; dtype {args.dtype}; {machine_description()}")
    threads = f"{args.threads} BLAS thread(s)" if args.threads else "default threads"
    print(
        f"hidden {args.hidden}, {args.epochs} epochs, batch {args.batch}; DBN: sgd "
        f"lr {args.learning_rate}, Nesterov momentum 0.9, dropout {args.dropout}, "
        f"alpha {args.alpha}; "
        f"pre-training {args.rbm_epochs} epochs, batch {args.rbm_batch}, lr "
        f"{args.rbm_learning_rate}; MLP: relu, adam lr 1e-3; {threads}; median of "
        f"{args.repeats} alternated runs"
    )
    table(results, list(models))
    if args.interleaved:
        pair = ("DBNClassifier", "MLPClassifier")
        interleaved_throughput({n: fitted[n] for n in pair}, data, args.interleaved)
    if args.accuracy_seeds:
        seed_accuracies(args, data)


def interleaved_throughput(models, data, n_epochs):
    """Fine-tuning samples/s of fitted networks, one epoch of each in turn.

    Host noise on a shared machine comes and goes over minutes, longer than a
    whole fit; alternating single epochs puts both networks under the same
    conditions, and the median of the per-round ratios is the figure to quote.
    """
    from statistics import median

    X_train, _, y_train, _ = data
    rates = {name: [] for name in models}
    for _ in range(n_epochs):
        for name, model in models.items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.partial_fit(X_train, y_train)
            rates[name].append(len(X_train) / (time.perf_counter() - start))
    first, second = models
    ratios = [a / b for a, b in zip(rates[first], rates[second], strict=True)]
    print(
        f"\nInterleaved fine-tuning, {n_epochs} epochs of each (partial_fit, "
        "alternating):"
    )
    for name, values in rates.items():
        print(f"- {name}: {median(values):,.0f} samples/s (median epoch)")
    print(
        f"- {first} / {second}: {median(ratios):.2f}x (median of the per-round "
        f"ratios; range {min(ratios):.2f}-{max(ratios):.2f}x)"
    )


def seed_accuracies(args, data):
    """Test accuracy of both networks for random_state 0..N-1, and the means."""
    from statistics import mean

    makers = {
        "DBNClassifier": lambda seed: DBNClassifier(**dbn_settings(args, seed)),
        "MLPClassifier": lambda seed: mlp_model(args, seed),
    }
    seeds = range(args.accuracy_seeds)
    print(f"\n| model | {' | '.join(f'seed {s}' for s in seeds)} | mean |")
    print("| --- |" + " ---: |" * (len(seeds) + 1))
    for name, make in makers.items():
        scores = [run(name, make(s), data, args.epochs)["accuracy"] for s in seeds]
        cells = " | ".join(f"{a:.4f}" for a in scores)
        print(f"| {name} | {cells} | {mean(scores):.4f} |")


class SharedPretraining:
    """Pre-trains once per seed: the next estimator with the same seed gets the
    same RBMs and its generator the state that pre-training left, so that it
    continues exactly as if it had pre-trained itself."""

    def __init__(self):
        self.cache = {}

    def attach(self, estimator, key):
        original = estimator._pretrain

        def pretrain(X, rng, **kwargs):
            if key not in self.cache:
                result = original(X, rng, **kwargs)
                self.cache[key] = (result, rng.get_state())
            result, state = self.cache[key]
            rng.set_state(state)
            return result

        estimator._pretrain = pretrain
        return estimator


def compare_activations(args, data):
    """Test accuracy of DBNClassifier fine-tuned with each activation from the
    same pre-training, seeds 0..N-1, with the documented settings and defaults.

    Written as tanh units, the pre-trained network has its weights halved, so a
    plain gradient step moves its function about four times as far per layer:
    with the documented (SGD) settings, tanh is also run at a quarter of the
    learning rate."""
    seeds = range(args.accuracy_seeds or 6)
    variants = {act: {"activation": act} for act in args.activation}
    recipe = dict(variants)
    if "tanh" in args.activation:
        recipe["tanh, learning_rate_init / 4"] = {
            "activation": "tanh",
            "learning_rate_init": args.learning_rate / 4,
        }
    settings = {
        "documented settings": (lambda s: dbn_settings(args, s), recipe),
        "defaults": (lambda s: {"random_state": s}, variants),
    }
    shared = SharedPretraining()
    for label, (base, variants) in settings.items():
        scores = {name: [] for name in variants}
        seconds = {name: [] for name in variants}
        for seed in seeds:
            for name, overrides in variants.items():
                params = {**base(seed), **overrides}
                model = shared.attach(DBNClassifier(**params), (label, seed))
                result = run(name, model, data, args.epochs)
                scores[name].append(result["accuracy"])
                seconds[name].append(result["fine_tune"])
                print(  # progress, on stderr: the tables are on stdout
                    f"{label}, seed {seed}, {name}: {result['accuracy']:.4f} "
                    f"({result['total']:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )
        activation_table(label, seeds, scores, seconds)


def activation_table(label, seeds, scores, seconds):
    from statistics import mean

    print(f"\n{label}: test accuracy, seeds {seeds.start}-{seeds.stop - 1}")
    print(
        f"| activation | {' | '.join(f'seed {s}' for s in seeds)} | mean "
        "| vs first (mean of paired differences) | fine-tuning (s, mean) |"
    )
    print("| --- |" + " ---: |" * (len(seeds) + 3))
    first = next(iter(scores.values()))
    for name, values in scores.items():
        cells = " | ".join(f"{a:.4f}" for a in values)
        diff = mean(a - b for a, b in zip(values, first, strict=True))
        print(
            f"| {name} | {cells} | {mean(values):.4f} | {diff:+.4f} "
            f"| {mean(seconds[name]):.1f} |"
        )


def table(results, names):
    from statistics import median

    summary = {
        n: {
            k: median(r[k] for r in results if r["name"] == n)
            for k in ("accuracy", "total", "pretrain", "fine_tune", "throughput")
        }
        for n in names
    }
    mlp = summary["MLPClassifier"]
    print(
        "| model | test accuracy | fit (s) | pre-training (s) | fine-tuning (s) "
        "| fine-tuning samples/s | vs MLP |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in names:
        s = summary[n]
        ratio = s["throughput"] / mlp["throughput"]
        tune = "n/a" if s["fine_tune"] != s["fine_tune"] else f"{s['fine_tune']:.1f}"
        rate = "n/a" if tune == "n/a" else f"{s['throughput']:,.0f} | {ratio:.2f}x"
        print(
            f"| {n} | {s['accuracy']:.4f} | {s['total']:.1f} | {s['pretrain']:.1f} "
            f"| {tune} | {rate} |"
        )


if __name__ == "__main__":
    main()
