"""
=====================================================
Log-likelihood of an RBM during training: CD-1 vs PCD
=====================================================

Contrastive divergence does not follow the gradient of the log-likelihood, and
the reconstruction error it reports is not the likelihood either. Here we measure
the real thing: the average log-probability of held-out binarised digits,
:math:`\\log p(v) = -F(v) - \\log Z`, after every epoch of CD-1 and of persistent
CD (PCD-1), with the same learning rate, batch size and initial weights.

With 16 hidden units the partition function :math:`Z` is computed exactly by
:meth:`~skdbn.RBMTransformer.estimate_log_partition` (it enumerates the
:math:`2^{16}` hidden states). Every few epochs we also estimate it by annealed
importance sampling (``exact=False``), the method used for larger models, and
draw its :math:`\\pm 3\\sigma` band as error bars: it lands on the exact curve.
On a model this small the runs reach every mode; on larger ones the band can
be narrow and wrong, which only annealing from the other side too reveals
(:ref:`sphx_glr_auto_examples_plot_likelihood_bracket.py`).

With a constant learning rate, PCD's likelihood climbs, then oscillates below
CD-1's: the persistent chains and the weights chase each other. Letting the
learning rate decay linearly over the run, to ``1 / n_iter`` of its start in
the last epoch (``learning_rate_schedule='linear'``, as in Tieleman's
experiments), settles it. On this small model, read the curves
rather than a ranking: PCD's advantage as a density model is documented for
larger models and longer training on MNIST (see ``benchmarks/bench_likelihood.py``
for 500 hidden units, where ``log Z`` needs AIS).
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skdbn import RBMTransformer

X, _ = load_digits(return_X_y=True)
X = (X > 7).astype(float)  # binary 8 x 8 images
X_train, X_test = train_test_split(X, test_size=0.2, random_state=0)

n_epochs, ais_every = 30, 10
settings = {
    "CD-1": dict(persistent=False),
    "PCD-1": dict(persistent=True),
    "PCD-1, decaying rate": dict(persistent=True, learning_rate_schedule="linear"),
}
curves, ais_points = {}, {}
for name, options in settings.items():
    rbm = RBMTransformer(
        n_components=16,
        learning_rate=0.05,
        batch_size=10,
        n_iter=n_epochs,  # the length of the 'linear' schedule
        random_state=0,
        **options,
    )
    curves[name], ais_points[name] = [], []
    for epoch in range(1, n_epochs + 1):
        rbm.partial_fit(X_train)  # one epoch; it discards the previous log Z
        curves[name].append(rbm.estimate_log_partition().log_likelihood(X_test).mean())
        if epoch % ais_every == 0:
            rbm.estimate_log_partition(
                X_train, n_runs=100, n_betas=1000, random_state=0, exact=False
            )
            ll, low, high = rbm.log_likelihood(X_test, return_bounds=True)
            ais_points[name].append((epoch, ll.mean(), low.mean(), high.mean()))
    print(f"{name}: test log-likelihood after {n_epochs} epochs {curves[name][-1]:.2f}")

fig, ax = plt.subplots(figsize=(6, 4))
epochs = np.arange(1, n_epochs + 1)
colors = ["tab:blue", "tab:orange", "tab:green"]
for (name, curve), color in zip(curves.items(), colors, strict=True):
    ax.plot(epochs, curve, color=color, label=f"{name} (exact log Z)")
    e, mean, low, high = np.array(ais_points[name]).T
    ax.errorbar(
        e,
        mean,
        yerr=[mean - low, high - mean],
        fmt="o",
        color=color,
        capsize=3,
        label=f"{name} (AIS)",
    )
ax.set_xlabel("epoch")
ax.set_ylabel("mean test log-likelihood (nats)")
ax.set_title(
    "RBM, 16 hidden units, binarised digits\n"
    "(dots: AIS, 100 runs x 1,000 temperatures)",
    fontsize=10,
)
ax.legend()
fig.tight_layout()
plt.show()
