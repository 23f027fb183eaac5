"""
==========================================================================
XOR: logistic regression fails, a product feature or a hidden layer solves
==========================================================================

The label of XOR is 1 when exactly one of two inputs is on. No straight line
separates the classes, so logistic regression (a single logistic unit) stays
near chance. Give it the product feature :math:`x_1 x_2` as a third input and
the classes become separable (:math:`x_1 + x_2 - 2 x_1 x_2` is the label on the
corners): the same model then classifies every point but those the noise
pushed across the boundary. A network with one small hidden layer learns such a
feature by itself. See :ref:`logistic` and :ref:`neural_networks`.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures

from skdbn import DBNClassifier, LogisticRegressionGD
from skdbn.datasets import make_xor

X, y = make_xor(400, noise=0.15, random_state=0)

# x1, x2 and x1 * x2: the degree-2 terms without the squares.
with_product = PolynomialFeatures(2, interaction_only=True, include_bias=False)
models = {
    "logistic regression": LogisticRegressionGD(random_state=0),
    "... with x1 * x2": make_pipeline(
        with_product, LogisticRegressionGD(random_state=0)
    ),
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
fig, axes = plt.subplots(1, 3, figsize=(13, 4))
for ax, (name, model) in zip(axes, models.items(), strict=True):
    model.fit(X, y)
    proba = model.predict_proba(grid)[:, 1].reshape(xx.shape)
    ax.contourf(xx, yy, proba, levels=20, cmap="RdBu_r", alpha=0.7)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolor="k", s=15)
    ax.set_title(f"{name}: accuracy {model.score(X, y):.3f}")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
fig.suptitle("P(y = 1) learned on XOR")
fig.tight_layout()
plt.show()
