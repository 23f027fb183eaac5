"""The errors and warnings skdbn raises for users to act on.

As :mod:`sklearn.exceptions`: one public module, so that a caller catches
``skdbn.exceptions.DivergenceError`` without knowing where it is raised. Each
class carries the fields a caller needs (the estimator, the training stage, the
parameter to change), so that a program reacting to it (the ``skdbn`` command
names its own options) reads the fields, never the message.

This module imports nothing from skdbn: every other module may import it.
"""

from sklearn.exceptions import ConvergenceWarning

__all__ = [
    "CSVFormatError",
    "CollapseWarning",
    "DeviceError",
    "DivergenceError",
    "MaxIterationsWarning",
    "ModelVersionWarning",
    "NoProgressWarning",
    "TrainingInterruptedWarning",
    "UntrustedModelError",
]


class _WithFields:
    """An error or warning with named fields: ``Error(message, field=value)``.

    Every field in ``_fields`` is an attribute (None when not given), so that
    pickling (``n_jobs`` workers send errors back) rebuilds it from the message
    and the attributes.
    """

    _fields: tuple[str, ...] = ()

    def __init__(self, message, **fields):
        unknown = sorted(set(fields) - set(self._fields))
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {unknown[0]!r}.")
        super().__init__(message)
        for name in self._fields:
            setattr(self, name, fields.get(name))


class DeviceError(_WithFields, ValueError):
    """Data of one array namespace or device given to a model of another, or a
    method that runs on NumPy arrays only called on a model fitted on a device.

    The first is scikit-learn's "must use the same namespace and the same
    device" error; both say to move the data or the model
    (:func:`skdbn.to_device`).

    Attributes
    ----------
    estimator : str
        Class name of the estimator.
    method : str
        The method called (``'predict'``, ``'estimate_log_partition'``...).
    fitted : str
        The namespace and device of the fitted arrays (``'torch on cuda:0'``).
    given : str or None
        Those of the data passed, when they differ.
    """

    _fields = ("estimator", "method", "fitted", "given")


class DivergenceError(_WithFields, ValueError):
    """Training produced a non-finite loss, weights or optimiser state.

    The weights are put back (no infinite or NaN weight is kept) and the
    message says which learning rate to lower.

    Attributes
    ----------
    estimator : str
        Class name of the estimator that was trained.
    stage : str
        What was being trained: ``'training'``, ``'fine-tuning'``,
        ``'pre-training layer 1/2'``...
    epoch : int
        The epoch that diverged (1-based, counted within the call).
    parameter : str
        The learning-rate parameter to lower (``'learning_rate_init'``,
        ``'rbm_learning_rate'``...).
    value : float
        Its value.
    """

    _fields = ("estimator", "stage", "epoch", "parameter", "value")


class NoProgressWarning(_WithFields, ConvergenceWarning):
    """Training ran but made no progress; the learning rate is probably too large.

    Attributes
    ----------
    estimator, stage : str
        As for :class:`DivergenceError`.
    parameter : str
        The learning-rate parameter to lower.
    value : float
        Its value.
    """

    _fields = ("estimator", "stage", "parameter", "value")


class MaxIterationsWarning(_WithFields, ConvergenceWarning):
    """``max_iter`` epochs ran without a stopping rule firing.

    Attributes
    ----------
    estimator : str
        Class name of the estimator.
    max_iter : int
        The epochs that ran.
    """

    _fields = ("estimator", "max_iter")


class CollapseWarning(_WithFields, ConvergenceWarning):
    """A classifier's fine-tuning predicts one class for every training sample.

    Attributes
    ----------
    estimator : str
        Class name of the estimator.
    label : object
        The single predicted class.
    learning_rate_init : float
        The fine-tuning learning rate (the first suspect).
    pretrain : bool
        Whether the network was pre-trained (without, pre-training may help).
    """

    _fields = ("estimator", "label", "learning_rate_init", "pretrain")


class TrainingInterruptedWarning(_WithFields, UserWarning):
    """Ctrl-C (KeyboardInterrupt) stopped a training stage.

    The weights are those of the stage's last complete epoch and ``fit``
    returns normally; a DBN skips the stages after (another warning says so).

    Attributes
    ----------
    estimator, stage : str
        As for :class:`DivergenceError`.
    epochs : int
        The complete epochs the stage kept.
    """

    _fields = ("estimator", "stage", "epochs")


class UntrustedModelError(ValueError):
    """A file :func:`skdbn.io.load` does not build: not a skdbn model file,
    damaged, of a newer format, or carrying a type skdbn does not trust.
    :func:`skdbn.io.save` raises it too, instead of writing a file that
    :func:`skdbn.io.load` would refuse."""


class ModelVersionWarning(UserWarning):
    """A model file was written by another version of skdbn or scikit-learn.

    Like scikit-learn's ``InconsistentVersionWarning`` for pickles: the model
    loads, but its predictions may differ; fitting and saving it again with the
    running versions makes sure they do not.
    """


class CSVFormatError(ValueError):
    """A CSV file is ragged, has a non-numeric feature, or lacks a column.

    The message names the file, the line and the column.
    """
