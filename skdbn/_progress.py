"""A progress bar for training, driven by :func:`skdbn.on_epoch` events.

Used by the ``skdbn`` command and by ``skdbn demo``; it reads only the public
:class:`skdbn.EpochEnd` events and the estimators' parameters.
"""

import sys

import numpy as np
from sklearn.pipeline import Pipeline

from ._cd import resolve_auto


class Progress:
    """An :func:`skdbn.on_epoch` callback that drives one tqdm bar.

    The bar spans every stage of the fit (each pre-training layer, then
    fine-tuning); its description names the current stage and its postfix the
    last epoch's loss. Without tqdm it prints one line per finished stage.
    """

    def __init__(self, total, *, enabled=True, file=None):
        # total None: not known yet (a conversion pass comes first, set_total)
        self.file = file or sys.stderr
        self.total, self.enabled = total, enabled
        self.stage, self.bar, self.epochs = None, None, 0
        self.read, self.reading_what = None, "reading"
        if enabled and (total is None or total > 0):
            try:
                from tqdm.auto import tqdm
            except ImportError:  # pragma: no cover - tqdm is a dependency
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(
                    total=total, unit="epoch", file=self.file, dynamic_ncols=True
                )

    def reading(self, rows, nbytes, seconds):
        """Show a conversion pass's rows read and speed on the bar, before its
        epochs; without tqdm, one line when :meth:`set_total` ends the pass."""
        self.read = (rows, nbytes, seconds)
        if self.bar is not None:
            self.bar.set_description(self.reading_what)
            speed = nbytes / 2**20 / max(seconds, 1e-9)
            self.bar.set_postfix({"rows": rows, "MB/s": f"{speed:.1f}"})

    def set_total(self, total):
        """The epochs the fit will run, once a conversion pass knows the rows."""
        self.total = total
        if self.read is not None and self.enabled and self.bar is None:
            rows, nbytes, seconds = self.read
            print(
                f"{self.reading_what}: {rows} rows, "
                f"{nbytes / 2**20 / max(seconds, 1e-9):.1f} MB/s",
                file=self.file,
            )
        if self.bar is not None:
            self.bar.total = total
            self.bar.refresh()

    def __call__(self, event):
        self.epochs += 1
        name = f"{event.estimator} {event.stage}"
        if name != self.stage:
            self._stage_done()
            self.stage = name
            if self.bar is not None:
                self.bar.set_description(name)
        self.last = event
        if self.bar is not None:
            postfix = {"loss": f"{event.loss:.4g}"}
            if event.validation_score is not None:
                postfix["val"] = f"{event.validation_score:.4f}"
            self.bar.set_postfix(postfix, refresh=False)
            self.bar.update(1)

    def _stage_done(self):
        if self.enabled and self.total and self.bar is None and self.stage:
            print(
                f"{self.stage}: {self.last.epoch} epochs, loss {self.last.loss:.4g}",
                file=self.file,
            )

    def close(self):
        if self.bar is not None:
            self.bar.total = self.epochs  # stopping rules may end a stage early
            self.bar.refresh()
            self.bar.close()
        else:
            self._stage_done()


def rbm_epochs(n_iter, batch_size, n_samples):
    """The epochs an RBM (or each DBN layer) trains on ``n_samples`` rows."""
    return resolve_auto(n_samples, batch_size=batch_size, n_iter=n_iter)[1]


def planned_epochs(model, n_samples):
    """Upper bound on the epochs a fit of ``model`` on ``n_samples`` rows runs
    (the bar's total; 'auto' epochs depend on the number of rows)."""
    if isinstance(model, Pipeline):
        return sum(planned_epochs(step, n_samples) for _, step in model.steps)
    if hasattr(model, "regressor"):  # TransformedTargetRegressor
        return planned_epochs(model.regressor, n_samples)
    params = model.get_params(deep=False) if hasattr(model, "get_params") else {}
    total = 0
    if "rbm_n_iter" in params and params.get("pretrain", True):
        epochs = rbm_epochs(params["rbm_n_iter"], params["rbm_batch_size"], n_samples)
        total += epochs * len(np.atleast_1d(params["hidden_layer_sizes"]))
    if "n_components" in params and "n_iter" in params:
        total += rbm_epochs(params["n_iter"], params["batch_size"], n_samples)
    if "max_iter" in params and type(model).__module__.startswith("skdbn"):
        total += params["max_iter"]
    return total
