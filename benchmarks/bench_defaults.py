"""The defaults panel: skdbn's estimators with nothing set against scikit-learn's.

Every model gets only ``random_state``; the DBNs see their data through a
``MinMaxScaler`` (Bernoulli visible units want [0, 1]) unless the data already
is in [0, 1], and scikit-learn's networks through a ``StandardScaler``, their
documented preprocessing. For each data set and seed, the rows are split 75/25
(stratified for classification) with the seed, and each model is fitted on the
training rows and scored on the test rows (accuracy, or R2 for regression).

Data sets: scikit-learn's iris, wine, breast cancer and digits; six
``make_classification`` problems (200, 2,000 and 20,000 rows with 20 and 200
features, binary and four-class); sparse binary "documents" (CSR); Friedman #1
and #2 and diabetes for the regressors (both visible unit types); and, with
``--data`` or ``$SKDBN_DATA``, MNIST-10k (the first 8,000 images train, the last
2,000 test), also with the settings ``hidden_layer_sizes=(500, 500),
batch_size=100, max_iter=30`` on both networks.

Prints one row per data set (means over the seeds, the worst seed, fit times)
and the checks of issue #17: DBN accuracy >= MLP's - 1 point on every
classification set, no collapsed seed, no regression seed below R2 0.2, and the
total DBN fit time over the small sets against MLP's.

    python benchmarks/bench_defaults.py                     # built-in data only
    SKDBN_DATA=../shared/data/mnist10k python benchmarks/bench_defaults.py
    python benchmarks/bench_defaults.py --sets iris,wine --seeds 0,1
"""

import argparse
import json
import os
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from _common import limit_threads, machine_description
from sklearn import datasets
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skdbn import DBNClassifier, DBNRegressor, LogisticRegressionGD

SMALL = 5000  # rows: data sets below this count towards the small-data time


@dataclass
class Problem:
    name: str
    X: object
    y: np.ndarray
    task: str  # 'classification' or 'regression'
    unit_range: bool = False  # already in [0, 1]: the DBNs take it as it is
    split: tuple = None  # a fixed (train, test) split instead of a seeded one
    models: dict = field(default_factory=dict)  # extra settings per model name


def _documents(n=2000, n_features=1000, n_classes=3, seed=0):
    """Sparse binary bag-of-words rows: each class favours its own words."""
    rng = np.random.RandomState(seed)
    y = rng.randint(n_classes, size=n)
    rates = rng.gamma(0.3, 0.05, size=(n_classes, n_features)).clip(0, 0.5)
    X = sp.csr_matrix((rng.rand(n, n_features) < rates[y]).astype(np.float64))
    return X, y


def _classification(n, p, classes):
    informative = 10 if p == 20 else 20
    return datasets.make_classification(
        n_samples=n,
        n_features=p,
        n_informative=informative,
        n_redundant=informative // 2,
        n_classes=classes,
        random_state=0,
    )


def problems(data):
    """The panel, small sets first."""
    yield Problem("iris", *datasets.load_iris(return_X_y=True), "classification")
    yield Problem("wine", *datasets.load_wine(return_X_y=True), "classification")
    cancer = datasets.load_breast_cancer(return_X_y=True)
    yield Problem("breast_cancer", *cancer, "classification")
    X, y = datasets.load_digits(return_X_y=True)
    yield Problem("digits", X / 16, y, "classification", unit_range=True)
    for n in (200, 2000, 20000):
        for p, classes in ((20, 2), (200, 4)) if n != 2000 else ((20, 4), (200, 2)):
            X, y = _classification(n, p, classes)
            yield Problem(f"classif_{n}x{p}_{classes}c", X, y, "classification")
    X, y = _documents()
    yield Problem("sparse_binary", X, y, "classification", unit_range=True)
    X, y = datasets.make_friedman1(n_samples=1000, noise=1.0, random_state=0)
    yield Problem("friedman1", X, y, "regression")
    X, y = datasets.make_friedman2(n_samples=1000, noise=0.0, random_state=0)
    yield Problem("friedman2", X, y, "regression")
    yield Problem("diabetes", *datasets.load_diabetes(return_X_y=True), "regression")
    if data:
        from skdbn.datasets import load_mnist

        X, y = load_mnist(data, dtype=np.float32)
        split = (np.arange(8000), np.arange(8000, len(y)))
        yield Problem("mnist10k", X, y, "classification", True, split)
        recipe = dict(hidden_layer_sizes=(500, 500), batch_size=100, max_iter=30)
        yield Problem(
            "mnist10k_500x500_batch100_30epochs",
            X,
            y,
            "classification",
            True,
            split,
            models={"DBN": recipe, "MLP": recipe},
        )


def models(problem, seed, dbn_params):
    """name -> unfitted estimator, each with nothing set but random_state."""
    extra = problem.models
    dbn_scaler = [] if problem.unit_range else [MinMaxScaler()]
    mlp_scaler = StandardScaler(with_mean=not sp.issparse(problem.X))
    if problem.task == "classification":
        return {
            "DBN": make_pipeline(
                *dbn_scaler,
                DBNClassifier(random_state=seed, **dbn_params, **extra.get("DBN", {})),
            ),
            "MLP": make_pipeline(
                mlp_scaler, MLPClassifier(random_state=seed, **extra.get("MLP", {}))
            ),
            "LogReg": make_pipeline(
                StandardScaler(with_mean=not sp.issparse(problem.X)),
                LogisticRegression(random_state=seed),
            ),
            "LogRegGD": make_pipeline(
                StandardScaler(with_mean=not sp.issparse(problem.X)),
                LogisticRegressionGD(random_state=seed),
            ),
        }
    return {
        "DBN": make_pipeline(
            MinMaxScaler(), DBNRegressor(random_state=seed, **dbn_params)
        ),
        "DBN gauss": make_pipeline(
            StandardScaler(),
            DBNRegressor(visible_units="gaussian", random_state=seed, **dbn_params),
        ),
        "MLP": make_pipeline(StandardScaler(), MLPRegressor(random_state=seed)),
    }


def split(problem, seed):
    if problem.split is not None:
        train, test = problem.split
        return problem.X[train], problem.X[test], problem.y[train], problem.y[test]
    stratify = problem.y if problem.task == "classification" else None
    return train_test_split(
        problem.X, problem.y, test_size=0.25, random_state=seed, stratify=stratify
    )


def collapsed(y_test, y_pred, score, peer):
    """A classifier that predicts one class, or scores below the majority rate
    plus half of what the peer (MLP) gains over it on the same split."""
    majority = np.unique(y_test, return_counts=True)[1].max() / len(y_test)
    floor = majority + max(peer - majority, 0) / 2
    return np.unique(y_pred).size == 1 or score < floor


def run_problem(problem, seeds, dbn_params):
    """scores[name] and seconds[name] over the seeds, and collapsed seeds."""
    scores, seconds, failures = {}, {}, []
    for seed in seeds:
        X_train, X_test, y_train, y_test = split(problem, seed)
        predictions = {}
        for name, model in models(problem, seed, dbn_params).items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                start = time.perf_counter()
                try:
                    model.fit(X_train, y_train)
                except Exception as error:  # a default that fails is a finding
                    failures.append(f"{problem.name} {name} seed {seed}: {error!r:.90}")
                    model = None
                seconds.setdefault(name, []).append(time.perf_counter() - start)
            score = np.nan if model is None else model.score(X_test, y_test)
            scores.setdefault(name, []).append(score)
            if model is None:
                continue
            if problem.task == "classification" and name == "DBN":
                predictions[name] = model.predict(X_test), score
            elif name.startswith("DBN") and not score >= 0.2:  # a regressor
                failures.append(f"{problem.name} {name} seed {seed}: R2 {score:.3f}")
        if "DBN" in predictions:
            y_pred, score = predictions["DBN"]
            if collapsed(y_test, y_pred, score, scores["MLP"][-1]):
                failures.append(f"{problem.name} seed {seed}: {score:.3f}")
    return scores, seconds, failures


def report(rows, failures):
    names = ["DBN", "DBN gauss", "MLP", "LogReg", "LogRegGD"]
    print(
        "| data set | rows x features | "
        + " | ".join(f"{n} mean (min)" for n in names)
        + " | DBN s | MLP s | DBN - MLP |"
    )
    print("| --- | --- |" + " ---: |" * (len(names) + 3))
    for problem, scores, seconds in rows:
        cells = [
            f"{np.mean(scores[n]):.4f} ({np.min(scores[n]):.3f})" if n in scores else ""
            for n in names
        ]
        gap = np.mean(scores["DBN"]) - np.mean(scores["MLP"])
        n, p = problem.X.shape
        print(
            f"| {problem.name} | {n} x {p} | "
            + " | ".join(cells)
            + f" | {np.sum(seconds['DBN']):.1f} | {np.sum(seconds['MLP']):.1f}"
            + f" | {gap:+.4f} |"
        )
    print()
    small = [r for r in rows if r[0].X.shape[0] < SMALL]
    for label, subset in (("small data sets", small), ("all data sets", rows)):
        if not subset:
            continue
        dbn = sum(
            np.sum(s["DBN"]) + np.sum(s.get("DBN gauss", 0)) for _, _, s in subset
        )
        mlp = sum(np.sum(s["MLP"]) for _, _, s in subset)
        print(
            f"fit time over the {label}: DBN {dbn:.1f} s, MLP {mlp:.1f} s, "
            f"ratio {dbn / mlp:.2f}"
        )
    behind = [
        p.name
        for p, s, _ in rows
        if p.task == "classification" and np.mean(s["DBN"]) < np.mean(s["MLP"]) - 0.01
    ]
    print("classification sets where DBN < MLP - 1 point:", behind or "none")
    print("collapsed or below R2 0.2:", failures or "none")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SKDBN_DATA"))
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--sets", help="comma-separated names (default: all)")
    parser.add_argument("--skip", help="comma-separated names to leave out")
    parser.add_argument("--threads", type=int, help="limit BLAS threads")
    parser.add_argument(
        "--dbn-params", default="{}", help="JSON settings for the DBNs (a study)"
    )
    args = parser.parse_args()
    limit_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",")]
    dbn_params = json.loads(args.dbn_params)
    wanted = set(args.sets.split(",")) if args.sets else None
    skip = set(args.skip.split(",")) if args.skip else set()
    threads = f"{args.threads} BLAS thread(s)" if args.threads else "all BLAS threads"
    settings = dbn_params or "the defaults"
    print(f"{machine_description()}, {threads}; seeds {seeds}; DBNs: {settings}")
    rows, failures = [], []
    for problem in problems(args.data):
        if (wanted and problem.name not in wanted) or problem.name in skip:
            continue
        scores, seconds, failed = run_problem(problem, seeds, dbn_params)
        rows.append((problem, scores, seconds))
        failures += failed
        print(
            f"  {problem.name}: "
            + ", ".join(
                f"{n} {np.mean(v):.4f} in {np.sum(seconds[n]):.1f}s"
                for n, v in scores.items()
            ),
            flush=True,
        )
    print()
    report(rows, failures)


if __name__ == "__main__":
    main()
