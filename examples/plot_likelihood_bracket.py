"""
===========================================================
Bracketing an RBM's log-likelihood from both sides
===========================================================

Annealed importance sampling (AIS) estimates the partition function :math:`Z`
by annealing runs from a simple base-rate model to the RBM. Its estimate of
:math:`\\log Z` is low in expectation (the log of an unbiased estimate of
:math:`Z`), so the log-likelihood :math:`-F(v) - \\log \\hat Z` it gives is an
estimate from *above*; and when the runs miss some of the model's modes, the
spread of their weights cannot show it: the band looks narrow and the estimate
is simply too high.

Reverse annealing (RAISE; Burda, Grosse and Salakhutdinov, 2015) runs the same
chain the other way, from each test image down to the base rate, and gives a
stochastic lower bound on its log-likelihood under the annealed model, which on
data like the model's own samples estimates the mean log-likelihood from
*below*. :meth:`~skdbn.RBMTransformer.log_likelihood_bounds` returns both, on
the same temperatures, and warns when they disagree by more than one nat per
image on average.

Here a 20-hidden-unit RBM, trained by CD-1 on binarised digits, is small
enough for its exact :math:`\\log Z` (:math:`2^{20}` hidden states), so we can
watch both sides close in on the exact value as the number of temperatures
grows: the bracket is wide and flagged with tens of temperatures, and both
sides sit within a few hundredths of a nat of the truth with thousands. For
784 -> 500 models on MNIST see ``benchmarks/bench_likelihood.py`` and the
Benchmarks page.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdbn import RBMTransformer

X, _ = load_digits(return_X_y=True)
X = (X > 7).astype(float)  # binary 8 x 8 images
X_train, X_test = train_test_split(X, test_size=0.2, random_state=0)

rbm = RBMTransformer(
    n_components=20,
    learning_rate=0.1,
    batch_size=10,
    n_iter=50,
    persistent=False,
    random_state=0,
).fit(X_train)
exact = rbm.estimate_log_partition().log_likelihood(X_test).mean()

n_betas = [10, 30, 100, 300, 1000, 3000]
seeds = [0, 1, 2]
lower = np.empty((len(seeds), len(n_betas)))
upper = np.empty_like(lower)
for i, seed in enumerate(seeds):
    for j, n in enumerate(n_betas):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # counted below
            low, high = rbm.log_likelihood_bounds(
                X_test, X_train, n_runs=100, n_betas=n, random_state=seed, exact=False
            )
        lower[i, j], upper[i, j] = low.mean(), high.mean()

print(f"exact mean test log-likelihood: {exact:.3f}")
for j, n in enumerate(n_betas):
    gaps = upper[:, j] - lower[:, j]
    print(
        f"{n:5d} temperatures: reverse {lower[:, j].mean():.3f}, forward "
        f"{upper[:, j].mean():.3f} (mean of {len(seeds)} seeds); "
        f"flagged (gap > 1 nat): {int((np.abs(gaps) > 1).sum())} of {len(seeds)}"
    )

fig, ax = plt.subplots(figsize=(6, 4))
for i in range(len(seeds)):
    first = i == 0
    ax.plot(
        n_betas,
        upper[i],
        "v-",
        color="tab:red",
        alpha=0.7,
        label="forward AIS (from above)" if first else None,
    )
    ax.plot(
        n_betas,
        lower[i],
        "^-",
        color="tab:blue",
        alpha=0.7,
        label="reverse annealing (from below)" if first else None,
    )
ax.axhline(exact, color="k", linestyle="--", label="exact")
ax.set_xscale("log")
ax.set_xlabel("number of temperatures")
ax.set_ylabel("mean test log-likelihood (nats)")
ax.set_title(
    "RBM, 20 hidden units, binarised digits: both sides converge\n"
    "(100 forward runs, one reverse chain per test image; 3 seeds)",
    fontsize=10,
)
ax.legend()
fig.tight_layout()
plt.show()
