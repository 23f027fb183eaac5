"""
==============================================
RBM features for digit classification
==============================================

scikit-learn's classic RBM example, with skdbn: the digits are nudged one pixel
in four directions (:func:`skdbn.datasets.load_nudged_digits`), an
:class:`~skdbn.RBMTransformer` learns 100 features without labels, and a
logistic regression classifies those features. We compare with logistic
regression on the raw pixels. See :ref:`rbm`.
"""

import matplotlib.pyplot as plt
from sklearn import metrics
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from skdbn import RBMTransformer
from skdbn.datasets import load_nudged_digits
from skdbn.plotting import plot_filters

X, y = load_nudged_digits()
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)

rbm = RBMTransformer(
    n_components=100,
    learning_rate=0.02,
    batch_size=10,
    n_iter=10,
    persistent=False,
    momentum=0.5,
    final_momentum=0.9,
    weight_decay=1e-4,
    random_state=0,
)
rbm_features = Pipeline(
    [("rbm", rbm), ("logistic", LogisticRegression(C=6000, max_iter=1000))]
)
raw_pixels = LogisticRegression(C=100, max_iter=1000)

rbm_features.fit(X_train, y_train)
raw_pixels.fit(X_train, y_train)

# %%
# Accuracy on the held-out fifth of the nudged digits.
for name, model in [("RBM features", rbm_features), ("raw pixels", raw_pixels)]:
    y_pred = model.predict(X_test)
    print(f"{name:<14} accuracy {metrics.accuracy_score(y_test, y_pred):.4f}")

# %%
# The 100 features: each tile is one hidden unit's weights on the 8x8 pixels.
fig = plot_filters(rbm, image_shape=(8, 8), title="100 features learned by the RBM")
plt.show()
