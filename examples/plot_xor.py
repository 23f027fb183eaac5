"""
==========================================================================
XOR: logistic regression fails, a product feature or a hidden layer solves
==========================================================================

The label of XOR is 1 when exactly one of two inputs is on. No straight line
separates the classes, so logistic regression (a single logistic unit) stays
near chance. Give it the product feature :math:`x_1 x_2` as a third input and
the classes become separable (:math:`x_1 + x_2 - 2 x_1 x_2` is the label on the
corners): the same model then classifies every point but those the noise
pushed across the boundary.

A network with one small hidden layer needs no such feature. Three tanh hidden
units whose weights we choose by hand already compute XOR: one unit fires for
"only :math:`x_1`", one for "only :math:`x_2`", one for "both", and the output
unit adds the first two and subtracts the third. Scikit-learn estimators have
no constructor for given weights, so
:meth:`DBNClassifier.from_weights <skdbn.DBNClassifier.from_weights>` builds a
classifier that holds them, as if fitted. The last panel is the same network,
three tanh units, with its weights learned by backpropagation
(``activation='tanh', pretrain=False``) from random ones. See :ref:`logistic`
and :ref:`neural_networks`.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures

from skdbn import DBNClassifier, LogisticRegressionGD
from skdbn.datasets import make_xor

X, y = make_xor(400, noise=0.15, random_state=0)

# %%
# The hand-set network
# --------------------
# ``coefs[0][i, j]`` is the weight from input ``i`` to hidden unit ``j``. Each
# hidden unit is a steep tanh (weights of 10), so it is close to -1 or +1 on
# the corners; the output is a sigmoid of ``4 * (h1 + h2 - h3)``.
hidden_weights = np.array([[10.0, -10.0, 10.0], [-10.0, 10.0, 10.0]])
hidden_biases = np.array([-5.0, -5.0, -15.0])  # only x1, only x2, both
output_weights = np.array([[4.0], [4.0], [-4.0]])
output_bias = np.array([0.0])
by_hand = DBNClassifier.from_weights(
    [hidden_weights, output_weights],
    [hidden_biases, output_bias],
    classes=[0, 1],
    activation="tanh",
    pretrain=False,
)
corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
print("hidden units on the corners:")
print(by_hand.transform(corners).round(2))
print("P(y = 1) on the corners:", by_hand.predict_proba(corners)[:, 1].round(3))
print("predicted:", by_hand.predict(corners))

# %%
# The four models
# ---------------
# x1, x2 and x1 * x2: the degree-2 terms without the squares.
with_product = PolynomialFeatures(2, interaction_only=True, include_bias=False)
models = {
    "logistic regression": LogisticRegressionGD(random_state=0),
    "... with x1 * x2": make_pipeline(
        with_product, LogisticRegressionGD(random_state=0)
    ),
    "3 tanh units, set by hand": by_hand,
    "3 tanh units, learned": DBNClassifier(
        hidden_layer_sizes=(3,),
        activation="tanh",
        pretrain=False,
        learning_rate_init=0.05,
        max_iter=300,
        random_state=0,
    ),
}

xx, yy = np.meshgrid(np.linspace(-0.6, 1.6, 150), np.linspace(-0.6, 1.6, 150))
grid = np.c_[xx.ravel(), yy.ravel()]
fig, axes = plt.subplots(2, 2, figsize=(10, 8.5))
for ax, (name, model) in zip(axes.ravel(), models.items(), strict=True):
    if model is not by_hand:
        model.fit(X, y)
    proba = model.predict_proba(grid)[:, 1].reshape(xx.shape)
    ax.contourf(xx, yy, proba, levels=20, cmap="RdBu_r", alpha=0.7)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolor="k", s=15)
    ax.set_title(f"{name}: accuracy {model.score(X, y):.3f}")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
fig.suptitle("P(y = 1) on XOR")
fig.tight_layout()

learned = models["3 tanh units, learned"]
print("learned hidden weights:")
print(learned.coefs_[0].round(2))
print("learned predictions on the corners:", learned.predict(corners))
plt.show()
