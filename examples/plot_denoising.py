"""
==============================
Denoising images with an RBM
==============================

An RBM trained on clean digits has learned what digits look like. Given a
corrupted image, one mean-field pass up to the hidden units and back down
(``inverse_transform(transform(X))``) reconstructs it from the features the
model has learned: the reconstruction is pulled towards digit-like patterns and
much of the noise is gone. It is one deterministic step, not a search for the
most probable clean image. See :ref:`rbm`.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skdbn import RBMTransformer

X = load_digits().data / 16
X_train, X_test = train_test_split(X, test_size=0.2, random_state=0)

rbm = RBMTransformer(
    n_components=200,
    learning_rate=0.05,
    n_iter=30,
    persistent=False,
    momentum=0.5,
    final_momentum=0.9,
    weight_decay=1e-4,
    random_state=0,
).fit(X_train)

# Salt-and-pepper noise: 15% of the pixels set to black or white at random.
rng = np.random.RandomState(0)
noisy = X_test.copy()
mask = rng.rand(*noisy.shape) < 0.15
noisy[mask] = rng.randint(2, size=mask.sum())

denoised = rbm.inverse_transform(rbm.transform(noisy))


def error(A):
    return np.mean(np.sum((A - X_test) ** 2, axis=1))


# %%
# Squared error to the clean images, per image.
print(f"noisy     {error(noisy):.2f}")
print(f"denoised  {error(denoised):.2f}")

# %%
# Clean, noisy and denoised versions of ten test digits.
fig, axes = plt.subplots(3, 10, figsize=(10, 3.3))
for row, (label, images) in enumerate(
    [("clean", X_test), ("noisy", noisy), ("denoised", denoised)]
):
    for col in range(10):
        ax = axes[row, col]
        ax.imshow(images[col].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[row, 0].set_ylabel(label)
fig.suptitle("Denoising with one up-down pass through an RBM")
plt.show()
