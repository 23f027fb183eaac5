"""Draw the Benchmarks page's figure from ``benchmarks/results.json``.

::

    python benchmarks/plot_results.py

writes ``docs/images/benchmarks_accuracy_vs_time.png``: test accuracy against
fit time, skdbn's estimators and scikit-learn's, one panel per data set. The
figures in ``results.json`` are the medians the ``bench_*.py`` scripts print
(see ``benchmarks/README.md``); after a new run, copy them there and run this.
"""

import argparse
import json
from pathlib import Path

HERE = Path(__file__).parent
DEFAULT_OUTPUT = HERE.parent / "docs" / "images" / "benchmarks_accuracy_vs_time.png"
STYLE = {"skdbn": ("tab:blue", "o"), "scikit-learn": ("tab:orange", "s")}


def plot(results, output):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    panels = results["accuracy_vs_fit_time"]
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.5))
    for ax, (title, rows) in zip(axes, panels.items(), strict=True):
        for library, (color, marker) in STYLE.items():
            mine = [r for r in rows if r["library"] == library]
            ax.scatter(
                [r["fit_seconds"] for r in mine],
                [r["accuracy"] for r in mine],
                c=color,
                marker=marker,
                label=library,
            )
            for r in mine:
                ax.annotate(
                    r["model"],
                    (r["fit_seconds"], r["accuracy"]),
                    fontsize=7,
                    xytext=(4, -10 if r.get("label_below") else 3),
                    textcoords="offset points",
                )
        ax.set_xscale("log")
        ax.margins(x=0.3, y=0.1)
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel("fit time (s, log scale)")
        ax.set_ylabel("test accuracy")
        ax.set_title(title, fontsize=10)
        ax.legend(loc="lower right")
    fig.suptitle(f"{results['machine']} ({results['date']})", fontsize=8)
    fig.tight_layout()
    fig.savefig(output, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=HERE / "results.json", type=Path)
    parser.add_argument("--output", default=DEFAULT_OUTPUT, type=Path)
    args = parser.parse_args()
    plot(json.loads(args.results.read_text()), args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
