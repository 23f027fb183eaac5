"""
===========================================
A DBN on MNIST (or the digits without it)
===========================================

A :class:`~skdbn.DBNClassifier` pre-trains two hidden layers as RBMs and
fine-tunes them with the labels; the same network without pre-training
(``pretrain=False``) is the control. With the ``SKDBN_DATA`` environment
variable pointing at a folder of MNIST IDX files, the example trains on the
first 8,000 test-set images and tests on the last 2,000; without it, it uses
scikit-learn's 8x8 digits, so it always runs and never downloads anything.
Epochs are few to keep the example fast: train longer for the best figures.
See :ref:`dbn`.
"""

import os
import time

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skdbn import DBNClassifier
from skdbn.datasets import load_mnist
from skdbn.plotting import plot_learning_curves

if os.environ.get("SKDBN_DATA"):
    X, y = load_mnist(subset="test")  # 10,000 images in [0, 1]
    X_train, X_test, y_train, y_test = X[:8000], X[8000:], y[:8000], y[8000:]
    data, layers, epochs = "MNIST", (256, 128), 5
else:
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16, y, test_size=0.2, random_state=0, stratify=y
    )
    data, layers, epochs = "digits (SKDBN_DATA not set)", (256, 128), 20

rows = []
for name, pretrain in [("pre-trained DBN", True), ("pretrain=False", False)]:
    clf = DBNClassifier(
        hidden_layer_sizes=layers,
        pretrain=pretrain,
        rbm_n_iter=epochs,
        dropout=0.2,
        max_iter=50,
        early_stopping=True,
        random_state=0,
    )
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    rows.append((name, clf.score(X_test, y_test), time.perf_counter() - start))
    if pretrain:
        pretrained = clf

# %%
# Test accuracy.
print(f"data: {data}, {len(X_train)} training and {len(X_test)} test images")
print(f"{'model':<18}{'accuracy':>10}{'fit (s)':>9}")
for name, accuracy, seconds in rows:
    print(f"{name:<18}{accuracy:>10.4f}{seconds:>9.1f}")

# %%
# Pre-training curves of both layers, then fine-tuning with early stopping.
fig = plot_learning_curves(pretrained)
plt.show()
