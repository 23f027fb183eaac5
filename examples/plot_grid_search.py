"""
===================================
Grid search over a Pipeline
===================================

skdbn's estimators follow scikit-learn's conventions, so they compose with
``Pipeline`` and ``GridSearchCV`` like any other. Here a grid search tunes the
size of an RBM's hidden layer and the fine-tuning penalty of the logistic
regression on top of it. The grid and the data are small to keep the example
fast.
"""

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from skdbn import LogisticRegressionGD, RBMTransformer

X, y = load_digits(return_X_y=True)
X, y = X[:900], y[:900]

pipe = Pipeline(
    [
        ("scale", MinMaxScaler()),
        ("rbm", RBMTransformer(learning_rate=0.05, n_iter=10, random_state=0)),
        ("logistic", LogisticRegressionGD(max_iter=300, random_state=0)),
    ]
)
grid = {
    "rbm__n_components": [16, 64, 128],
    "logistic__alpha": [1e-4, 1e-2],
}
search = GridSearchCV(pipe, grid, cv=3).fit(X, y)

# %%
# Cross-validated accuracy of every combination.
results = pd.DataFrame(search.cv_results_)[
    ["param_rbm__n_components", "param_logistic__alpha", "mean_test_score"]
].sort_values("mean_test_score", ascending=False)
print(results.to_string(index=False))
print("best:", search.best_params_)

# %%
table = results.pivot(
    index="param_rbm__n_components",
    columns="param_logistic__alpha",
    values="mean_test_score",
)
fig, ax = plt.subplots(figsize=(5, 3.5))
for alpha in table.columns:
    ax.plot(table.index, table[alpha], marker="o", label=f"alpha={alpha}")
ax.set_xlabel("RBM hidden units")
ax.set_ylabel("mean CV accuracy")
ax.legend()
ax.set_title("GridSearchCV over RBM + logistic regression")
fig.tight_layout()
plt.show()
