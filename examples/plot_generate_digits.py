"""
=============================
Generating digits from a DBN
=============================

A :class:`~skdbn.DBNTransformer` is a generative model. ``sample`` runs a Gibbs
chain in the top RBM, starting with every hidden unit off, and passes the visible
means of its last step down through the lower layers by mean field: the images
are conditional means (grey levels), not binary draws. Short chains give blurry
averages; longer chains settle on sharper, more varied digits. See :ref:`dbn`.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits

from skdbn import DBNTransformer
from skdbn.plotting import plot_samples

X = load_digits().data / 16
dbn = DBNTransformer(hidden_layer_sizes=(256, 128), rbm_n_iter=20, random_state=0).fit(
    X
)

# %%
# Samples after 10 and 1,000 Gibbs steps in the top layer.
for n_steps in (10, 1000):
    samples = dbn.sample(30, n_steps=n_steps, random_state=0)
    plot_samples(
        samples, image_shape=(8, 8), title=f"30 samples, {n_steps} Gibbs steps"
    )
plt.show()
