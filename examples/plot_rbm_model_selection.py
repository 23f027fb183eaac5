"""
==========================================================
Choosing an RBM's size and learning rate by its likelihood
==========================================================

An RBM is an unsupervised model: without labels, the natural way to compare
two of them is how well each explains data it was not trained on.
:meth:`RBMTransformer.score <skdbn.RBMTransformer.score>` is the mean log
pseudo-likelihood of the samples (the sum over every pixel of
``log P(x_i | other pixels)``, deterministic and needing no partition
function), so ``GridSearchCV`` needs no ``scoring``: it keeps the model with
the highest cross-validated pseudo-likelihood. Here it chooses the number of
hidden units and the learning rate on binarised digits.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from skdbn import RBMTransformer

X = (load_digits().data[:600] > 7).astype(np.float64)

rbm = RBMTransformer(n_iter="auto", batch_size="auto", random_state=0)
grid = {"n_components": [4, 16, 64], "learning_rate": [0.01, 0.15]}
search = GridSearchCV(rbm, grid, cv=3).fit(X)

# %%
# The mean held-out pseudo-log-likelihood of every combination, in nats per
# image (higher is better). An independent-pixel model scores about -24.
results = pd.DataFrame(search.cv_results_)[
    ["param_n_components", "param_learning_rate", "mean_test_score"]
].sort_values("mean_test_score", ascending=False)
print(results.to_string(index=False))
print("best:", search.best_params_)

# %%
table = results.pivot(
    index="param_n_components", columns="param_learning_rate", values="mean_test_score"
)
fig, ax = plt.subplots(figsize=(5, 3.5))
for rate in table.columns:
    ax.plot(table.index, table[rate], marker="o", label=f"learning_rate={rate}")
ax.set_xscale("log", base=2)
ax.set_xlabel("hidden units (n_components)")
ax.set_ylabel("CV pseudo-log-likelihood (nats)")
ax.legend()
ax.set_title("GridSearchCV on RBMTransformer.score")
fig.tight_layout()
plt.show()
