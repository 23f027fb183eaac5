"""The ``skdbn`` command."""

import argparse
import sys
import time


def _demo(args):
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skdbn import LogisticRegressionGD

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=args.random_state, stratify=y
    )
    models = {
        "skdbn LogisticRegressionGD": LogisticRegressionGD(
            random_state=args.random_state
        ),
        "sklearn LogisticRegression": LogisticRegression(max_iter=1000),
    }
    print(f"digits: {len(X_train)} training and {len(X_test)} test images")
    print(f"{'model':<30} {'accuracy':>9} {'fit (s)':>8}")
    for name, model in models.items():
        pipe = make_pipeline(StandardScaler(), model)
        start = time.perf_counter()
        pipe.fit(X_train, y_train)
        elapsed = time.perf_counter() - start
        print(f"{name:<30} {pipe.score(X_test, y_test):>9.4f} {elapsed:>8.2f}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skdbn", description="Deep Belief Networks for scikit-learn."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="train on built-in digits and compare")
    demo.add_argument("--random-state", type=int, default=0)
    demo.set_defaults(func=_demo)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
