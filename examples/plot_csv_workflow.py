"""
====================================
The CSV workflow of the command line
====================================

The ``skdbn`` command trains on a CSV file with the target in the last column,
scales the features to [0, 1], pre-trains RBMs and fine-tunes the network, and
writes a secure model file. This example writes a CSV and runs the commands
in-process through :func:`skdbn.cli.main` (in a shell: ``skdbn fit data.csv -o
model.skops`` and so on). See :ref:`command_line`.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from skdbn.cli import main
from skdbn.io import load
from skdbn.plotting import plot_learning_curves

folder = Path(tempfile.mkdtemp())
X, y = load_digits(return_X_y=True)
header = ",".join([f"pixel{i}" for i in range(64)] + ["digit"])
for name, rows in [("train.csv", slice(0, 1400)), ("test.csv", slice(1400, None))]:
    np.savetxt(
        folder / name,
        np.column_stack([X[rows], y[rows]]),
        delimiter=",",
        fmt="%d",
        header=header,
        comments="",
    )

# %%
# ``skdbn fit``: header detected, target in the last column, min-max scaling.
model = folder / "digits.skops"
exit_code = main(
    [
        "fit",
        str(folder / "train.csv"),
        "-o",
        str(model),
        "--layers",
        "128,64",
        "--pretrain-epochs",
        "10",
        "--quiet",
    ]
)

# %%
# ``skdbn evaluate`` on held-out rows (the target column is recognised).
exit_code = main(["evaluate", str(model), str(folder / "test.csv")])

# %%
# ``skdbn predict`` writes one prediction per row.
exit_code = main(
    ["predict", str(model), str(folder / "test.csv"), "-o", str(folder / "p.csv")]
)
print((folder / "p.csv").read_text().splitlines()[:5])

# %%
# ``skdbn info`` describes the model file.
exit_code = main(["info", str(model)])

# %%
# The file loads as a scikit-learn pipeline (scaler, then the DBN).
pipeline = load(model)
fig = plot_learning_curves(pipeline)
plt.show()
