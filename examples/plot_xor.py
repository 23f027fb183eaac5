"""
=====================================================
XOR: logistic regression fails, a hidden layer solves
=====================================================

The label of XOR is 1 when exactly one of two inputs is on. No straight line
separates the classes, so logistic regression (a single logistic unit) stays
near chance, while a network with one small hidden layer learns the problem
exactly. See :ref:`logistic` and :ref:`neural_networks`.
"""

import matplotlib.pyplot as plt
import numpy as np

from skdbn import DBNClassifier, LogisticRegressionGD
from skdbn.datasets import make_xor

X, y = make_xor(400, noise=0.15, random_state=0)

models = {
    "logistic regression": LogisticRegressionGD(random_state=0),
    "8 hidden units": DBNClassifier(
        hidden_layer_sizes=(8,),
        pretrain=False,
        learning_rate_init=0.05,
        max_iter=300,
        random_state=0,
    ),
}

xx, yy = np.meshgrid(np.linspace(-0.6, 1.6, 200), np.linspace(-0.6, 1.6, 200))
grid = np.c_[xx.ravel(), yy.ravel()]
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, (name, model) in zip(axes, models.items(), strict=True):
    model.fit(X, y)
    proba = model.predict_proba(grid)[:, 1].reshape(xx.shape)
    ax.contourf(xx, yy, proba, levels=20, cmap="RdBu_r", alpha=0.7)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolor="k", s=15)
    ax.set_title(f"{name}: accuracy {model.score(X, y):.2f}")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
fig.suptitle("P(y = 1) learned on XOR")
fig.tight_layout()
plt.show()
