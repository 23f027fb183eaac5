"""LogisticRegressionGD against scikit-learn's logistic regressions.

Fits skdbn's LogisticRegressionGD (full-batch gradient descent, the default, and
mini-batch Adam), LogisticRegression (lbfgs) and SGDClassifier(loss='log_loss') with
the same L2 strength on the same split (SGDClassifier capped at 100 epochs, as the
Adam run), alternating the runs, and prints the median
fit time, the ratio to lbfgs and the test accuracy.

    python benchmarks/bench_logistic.py                 # digits
    SKDBN_DATA=../shared/data/mnist10k python benchmarks/bench_logistic.py
"""

import argparse
import warnings

from _common import (
    add_common_arguments,
    alternate,
    limit_threads,
    load_split,
    machine_description,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.preprocessing import StandardScaler

from skdbn import LogisticRegressionGD


def main():
    parser = add_common_arguments(argparse.ArgumentParser(description=__doc__))
    parser.add_argument("--alpha", type=float, default=1e-4)
    args = parser.parse_args()
    limit_threads(args.threads)
    name, X_train, X_test, y_train, y_test = load_split(args.data, args.dtype)
    scaler = StandardScaler().fit(X_train)
    X_train = scaler.transform(X_train).astype(args.dtype)
    X_test = scaler.transform(X_test).astype(args.dtype)
    n = X_train.shape[0]
    models = {
        "LogisticRegressionGD (full batch)": LogisticRegressionGD(alpha=args.alpha),
        "LogisticRegressionGD (adam, batch 200)": LogisticRegressionGD(
            alpha=args.alpha,
            solver="adam",
            learning_rate_init=1e-3,
            batch_size=200,
            max_iter=100,
            random_state=0,
        ),
        "LogisticRegression (lbfgs)": LogisticRegression(
            C=1 / (args.alpha * n), max_iter=1000
        ),
        "SGDClassifier (log_loss)": SGDClassifier(
            loss="log_loss", alpha=args.alpha, max_iter=100, random_state=0
        ),
    }

    def runner(model):
        def run():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X_train, y_train)
            return {"accuracy": model.score(X_test, y_test)}

        return run

    times, results = alternate(
        {label: runner(m) for label, m in models.items()}, args.repeats
    )
    reference = times["LogisticRegression (lbfgs)"]
    print(f"data: {name}; {n} training samples; dtype {args.dtype}; alpha={args.alpha}")
    print(f"machine: {machine_description()}; median of {args.repeats} alternated runs")
    print("| model | fit time (s) | time / lbfgs | epochs | test accuracy |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, model in models.items():
        epochs = getattr(model, "n_iter_", "")
        epochs = epochs[0] if hasattr(epochs, "__len__") else epochs
        print(
            f"| {label} | {times[label]:.3f} | {times[label] / reference:.2f} | "
            f"{epochs} | {results[label]['accuracy']:.4f} |"
        )


if __name__ == "__main__":
    main()
