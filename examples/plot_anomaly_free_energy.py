"""
====================================
Anomaly detection with free energy
====================================

For binary data, an RBM's free energy :math:`F(v)` is the negative
log-probability of ``v`` up to a constant, :math:`\\log Z`, so
``score_samples`` (:math:`-F`) ranks samples from typical to unusual without any
label. We train an RBM on bars-and-stripes images
(:func:`skdbn.datasets.make_bars_and_stripes`) with a little pixel noise, then
score held-out bars and stripes against random binary images and against
"plaids" (a bar pattern combined with a stripe pattern). All three sets are
binary, so the scores are log-probabilities shifted by one constant. For data
in :math:`[0, 1]` that is not binary, :math:`-F` is an unnormalised score: it
still ranks samples under one model, but it is not a log-probability, and
scores (and thresholds) of two different models are not comparable. See
:ref:`rbm`.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import roc_auc_score

from skdbn import RBMTransformer
from skdbn.datasets import make_bars_and_stripes

X_train, _ = make_bars_and_stripes(2000, size=6, noise=0.02, random_state=0)
normal, _ = make_bars_and_stripes(300, size=6, noise=0.02, random_state=1)

rng = np.random.RandomState(2)
random_images = (rng.rand(300, 36) < 0.5).astype(float)
# Plaids: some columns on (a bar pattern) OR some rows on (a stripe pattern).
# With neither set of lines all on or all off, no plaid is a bar or stripe image.
cols = rng.randint(2, size=(1000, 6))
rows = rng.randint(2, size=(1000, 6))
mixed = (cols.sum(1) % 6 > 0) & (rows.sum(1) % 6 > 0)
plaids = np.maximum(cols[mixed, None, :], rows[mixed, :, None])[:300]
plaids = plaids.reshape(-1, 36).astype(float)

rbm = RBMTransformer(
    n_components=32, learning_rate=0.05, n_iter=30, batch_size=20, random_state=0
).fit(X_train)

scores = {
    "held-out bars/stripes": rbm.score_samples(normal),
    "plaids": rbm.score_samples(plaids),
    "random images": rbm.score_samples(random_images),
}

# %%
# How well does ``-F`` separate each kind of anomaly from normal data?
for name in ("plaids", "random images"):
    y_true = np.r_[np.zeros(len(normal)), np.ones(len(scores[name]))]
    anomaly_score = -np.r_[scores["held-out bars/stripes"], scores[name]]
    print(f"ROC AUC, normal vs {name:<14} {roc_auc_score(y_true, anomaly_score):.3f}")

# %%
# Distribution of the scores: anomalies have a higher free energy.
fig, ax = plt.subplots(figsize=(7, 4))
for name, values in scores.items():
    ax.hist(values, bins=40, alpha=0.6, label=name)
ax.set_xlabel("score_samples = -free energy (higher is more typical)")
ax.set_ylabel("count")
ax.legend()
ax.set_title("RBM trained on bars and stripes")
plt.show()
