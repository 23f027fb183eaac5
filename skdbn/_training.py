"""The mini-batch epoch loop shared by every gradient-trained estimator.

An *objective* is any object with

- ``params``: the list of arrays being trained (updated in place),
- ``grads``: arrays shaped like ``params``,
- ``__call__(X_batch, y_batch, sample_weight_batch, scale=1.0) -> float``: the
  batch loss, filling ``grads`` with ``scale`` times its gradient (``y`` and the
  weights may be ``None``; ``scale`` is the optimiser's ``gradient_scale``).

:func:`train` runs epochs of shuffled mini-batches through an objective and an
optimiser from :mod:`skdbn._optimizers` and records the history on the estimator it
is given, with scikit-learn's attribute names (``loss_curve_``, ``n_iter_``,
``best_loss_``, ``validation_scores_``, ``best_validation_score_``, ``t_``). It owns
the stopping rules, early stopping, divergence detection and interruption, so every
estimator behaves the same way.
"""

import contextvars
import functools
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import gen_batches

from . import _outofcore
from ._backend import all_finite, copy, ops
from ._callsite import user_stacklevel
from .exceptions import (
    DivergenceError,
    MaxIterationsWarning,
    NoProgressWarning,
    TrainingInterruptedWarning,
)

_CALLBACKS = contextvars.ContextVar("skdbn_epoch_callbacks", default=())
_STAGE = contextvars.ContextVar("skdbn_training_stage", default=None)
# Stages Ctrl-C stopped, inside stop_after_interruption (None outside).
_INTERRUPTED = contextvars.ContextVar("skdbn_interrupted_stages", default=None)


@dataclass(frozen=True)
class EpochEnd:
    """What an :func:`on_epoch` callback receives after every training epoch.

    Attributes
    ----------
    estimator : str
        Class name of the estimator being trained.
    stage : str
        What is being trained, e.g. ``'fine-tuning'`` or
        ``'pre-training layer 1/2'``.
    epoch : int
        Epochs completed in this stage (1-based).
    max_epochs : int or None
        Epochs this stage will run at most; None for a ``partial_fit`` epoch
        (``epoch`` then counts every call's epoch).
    loss : float
        The epoch's training loss (reconstruction error for RBMs).
    validation_score : float or None
        The epoch's validation score, with early stopping.
    """

    estimator: str
    stage: str
    epoch: int
    max_epochs: int | None
    loss: float
    validation_score: float | None


@contextmanager
def on_epoch(callback):
    """Call ``callback(EpochEnd)`` after every epoch of every fit in this block.

    Works through pipelines, grid searches (in this process) and the layers of a
    DBN, so it can drive a progress bar or a live plot without parsing ``verbose``
    output. Callbacks nest; each block adds one.

    Parameters
    ----------
    callback : callable
        Receives one :class:`EpochEnd` per epoch.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdbn import LogisticRegressionGD, on_epoch
    >>> X, y = load_digits(return_X_y=True)
    >>> seen = []
    >>> with on_epoch(seen.append):
    ...     _ = LogisticRegressionGD(max_iter=3, tol=0).fit(X / 16, y)
    >>> len(seen), seen[-1].estimator, seen[-1].epoch
    (3, 'LogisticRegressionGD', 3)
    """
    token = _CALLBACKS.set((*_CALLBACKS.get(), callback))
    try:
        yield
    finally:
        _CALLBACKS.reset(token)


@contextmanager
def stage(estimator, name):
    """Label the training inside this block: whose it is, and what it trains."""
    token = _STAGE.set((type(estimator).__name__, name))
    try:
        yield
    finally:
        _STAGE.reset(token)


def _notify(est, loss, max_epochs, validated):
    callbacks = _CALLBACKS.get()
    if not callbacks:
        return
    owner, name = _stage_of(est)
    event = EpochEnd(
        estimator=owner,
        stage=name,
        epoch=est.n_iter_,
        max_epochs=max_epochs,
        loss=loss,
        # this run's score only: an earlier early-stopping fit's list stays
        validation_score=est.validation_scores_[-1] if validated else None,
    )
    for callback in callbacks:
        callback(event)


def resolve_batch_size(batch_size, n_samples):
    """``None`` means full batch, ``'auto'`` means ``min(200, ceil(n / 10))``
    (at least ten updates an epoch); clip to ``n``."""
    if batch_size is None:
        return n_samples
    if batch_size == "auto":
        return min(200, max(1, -(-n_samples // 10)))
    return int(np.clip(batch_size, 1, n_samples))


def init_history(est, *, early_stopping=False):
    """Reset the training history attributes of ``est`` before a fresh fit."""
    est.loss_curve_ = []
    est.n_iter_ = 0
    est.t_ = 0
    est.validation_scores_ = [] if early_stopping else None
    restart_stopping(est, early_stopping=early_stopping)


def restart_stopping(est, *, early_stopping=False):
    """Start the stopping rules afresh and keep the curves (a warm-start fit).

    As in MLPClassifier, ``best_loss_`` is None with early stopping (the
    validation score decides) and ``best_validation_score_`` None without.
    """
    est._no_improvement_count = 0
    est.best_loss_ = None if early_stopping else np.inf
    est.best_validation_score_ = -np.inf if early_stopping else None
    if early_stopping and getattr(est, "validation_scores_", None) is None:
        est.validation_scores_ = []


def split_validation(X, y, sample_weight, *, fraction, rng, stratify):
    """Hold out ``fraction`` of the samples; returns (train, validation) triples."""
    arrays = [X, y] if sample_weight is None else [X, y, sample_weight]
    parts = train_test_split(
        *arrays,
        test_size=fraction,
        random_state=rng,
        stratify=y if stratify else None,
    )
    if parts[1].shape[0] < 2:
        raise ValueError(
            "The validation set is too small: "
            f"validation_fraction={fraction} leaves {parts[1].shape[0]} sample(s). "
            "Increase validation_fraction or use more data."
        )
    train, val = parts[0::2], parts[1::2]
    if sample_weight is None:
        train, val = [*train, None], [*val, None]
    return tuple(train), tuple(val)


@contextmanager
def stop_after_interruption():
    """Inside this block, once Ctrl-C has cut a training stage short (which
    returns normally, keeping its last complete epoch), every later stage is
    stopped at its first epoch, as if Ctrl-C had been pressed again.

    A pipeline would otherwise train its next step in full, only for the
    caller (the command line) to throw the model away.
    """
    token = _INTERRUPTED.set([])
    try:
        with on_epoch(_stop_if_interrupted):
            yield
    finally:
        _INTERRUPTED.reset(token)


def _stop_if_interrupted(event):
    if _INTERRUPTED.get():
        raise KeyboardInterrupt


def _stage_of(est):
    """``(estimator name, stage)`` of the training under way."""
    return _STAGE.get() or (type(est).__name__, "training")


def _rise_warning(est, first_epoch, optimizer, lr_name, patience):
    """The warning for a run whose loss rose (see :func:`_loss_rose`), or None.

    Not an error: the common checks fit unscaled data (features around 100)
    with the default learning rate and expect a model back."""
    run = est.loss_curve_[first_epoch:]
    if not _loss_rose(run, patience):
        return None
    return no_progress_warning(
        est,
        f"the loss rose from {run[0]:.4g} to {run[-1]:.4g} in {len(run)} epochs and "
        "no epoch improved on the first, so this model is no better than its start",
        lr_name,
        optimizer.learning_rate_init,
    )


def no_progress_warning(est, why, lr_name, learning_rate):
    """A :class:`NoProgressWarning`: training made no progress (``why``), so the
    learning rate is probably too large."""
    owner, name = _stage_of(est)
    return NoProgressWarning(
        f"{owner}: {name} made no progress: {why}. The learning rate {lr_name}="
        f"{learning_rate} is probably too large; try a smaller value or scale "
        f"{_what_to_scale(est)}.",
        estimator=owner,
        stage=name,
        parameter=lr_name,
        value=learning_rate,
    )


def _what_to_scale(est):
    """What the advice after a failed run asks to scale (regressors: the targets
    too, whose squared errors are the loss)."""
    return getattr(est, "_what_to_scale", "the input features")


def _loss_rose(losses, patience):
    """A run of more than ``patience`` epochs (``n_iter_no_change``: a few
    epochs of a converged warm start wander by more than 10%) whose loss ended
    more than 10% above its first epoch's, which no epoch beat: a learning rate
    too large for the loss to blow up to infinity (which the finiteness check
    catches) but large enough to stop any progress."""
    return (
        len(losses) > max(patience, 1)
        and min(losses[1:]) >= losses[0]
        and losses[-1] > losses[0] + 0.1 * abs(losses[0])
    )


def _is_finite(loss, params, optimizer):
    """The loss, the weights and the optimiser's state (Adam's squared
    gradients can overflow while the weights stay finite) are all finite."""
    return (
        np.isfinite(loss)
        and all(all_finite(p) for p in params)
        and optimizer.state_is_finite()
    )


class _EpochRunner:
    """One pass over the data in shuffled mini-batches; buffers made once."""

    def __init__(
        self, X, y, sample_weight, batch_size, shuffle, rng, track_grad, rows=None
    ):
        self.X, self.y, self.sw = X, y, sample_weight
        # ``rows``: train on these rows of X only, gathered batch by batch.
        self.order = np.arange(X.shape[0]) if rows is None else np.array(rows)
        self.n = len(self.order)
        self._by_index = rows is not None  # batches must go through order
        self.batch_size = batch_size
        self.shuffle = shuffle and batch_size < self.n  # full batch: order is moot
        self.rng = rng
        self.track_grad = track_grad
        # Memory-mapped X: batches are copied out of the file and its pages let go,
        # even in order (a view would leave every page it touched mapped).
        self._mapping = _outofcore.file_mapping(X)
        self._X_buf = None
        gathered = self.shuffle or self._by_index or self._mapping is not None
        self.xp = xp = ops(X)
        self._y_buf = self._sw_buf = None
        if xp is not np and gathered:  # batch order to the device once per epoch
            self._device_order = xp.asarray(self.order)
            self._X_buf, self._y_buf, self._sw_buf = (
                None
                if a is None
                else xp.empty((batch_size, *a.shape[1:]), dtype=a.dtype)
                for a in (X, y, sample_weight)
            )
        elif isinstance(X, np.ndarray) and gathered:
            self._X_buf = np.empty((batch_size, X.shape[1]), dtype=X.dtype)

    def _batch(self, batch):
        if self.xp is not np:
            return self._device_batch(batch)
        by_index = self.shuffle or self._by_index
        idx = self.order[batch] if by_index else batch
        if self._X_buf is not None:
            rows = idx if by_index else self.order[batch]  # positions, not a slice
            out = self._X_buf[: len(rows)]
            Xb = _outofcore.take_rows(self.X, rows, out, self._mapping)
        else:
            Xb = self.X[idx]
        yb = None if self.y is None else self.y[idx]
        swb = None if self.sw is None else self.sw[idx]
        return Xb, yb, swb

    def _device_batch(self, batch):
        """A mini-batch on the device: views in order, else gathered into the
        batch buffers."""
        if self._X_buf is None:  # in order: slices, nothing copied
            return tuple(
                None if a is None else a[batch, ...] for a in (self.X, self.y, self.sw)
            )
        idx = self._device_order[batch]
        return tuple(
            None if a is None else self.xp.take(a, idx, out=buf[: idx.shape[0], ...])
            for a, buf in (
                (self.X, self._X_buf),
                (self.y, self._y_buf),
                (self.sw, self._sw_buf),
            )
        )

    def run(self, objective, optimizer):
        """Return the epoch's mean loss and the max-norm of its mean gradient."""
        xp = self.xp
        if self.shuffle:
            self.rng.shuffle(self.order)
            if xp is not np:
                self._device_order = xp.asarray(self.order)
        grad_sum = (
            [xp.zeros_like(g) for g in objective.grads] if self.track_grad else []
        )
        scratch = [xp.empty_like(g) for g in grad_sum]
        proximal_step = getattr(objective, "proximal_step", None)
        stationarity = getattr(objective, "stationarity", None)
        total = 0.0
        for batch in gen_batches(self.n, self.batch_size):
            Xb, yb, swb = self._batch(batch)
            # A batch's loss is its rows' mean (of weighted losses, the weights
            # having mean 1 over the data): rows make up the epoch's mean.
            rows = Xb.shape[0]
            # The objective applies the optimiser's first factor (see _optimizers),
            # unless it is 0 (a learning rate that underflowed) and would hide the
            # gradient from grad_sum.
            scale = optimizer.gradient_scale
            prescaled = scale != 0
            scale = scale if prescaled else 1.0
            total += objective(Xb, yb, swb, scale=scale) * rows
            share = rows / self.n / scale  # of the unscaled gradient
            for acc, g, tmp in zip(grad_sum, objective.grads, scratch, strict=False):
                acc += xp.multiply(g, share, out=tmp)
            optimizer.update_params(objective.params, objective.grads, prescaled)
            if proximal_step is not None:  # a penalty applied by its prox
                proximal_step(optimizer)
        if grad_sum and stationarity is not None:
            grad_sum = stationarity(grad_sum)
        grad_norm = max((float(xp.amax(xp.abs(g))) for g in grad_sum), default=np.inf)
        # Other backends add device scalars: one read (a sync) per epoch.
        return float(total) / self.n, grad_norm


def train(
    est,
    objective,
    optimizer,
    X,
    y=None,
    sample_weight=None,
    *,
    max_iter,
    batch_size,
    shuffle,
    rng,
    tol=None,
    n_iter_no_change=10,
    gtol=None,
    validation=None,
    verbose=0,
    incremental=False,
    lr_name="learning_rate_init",
    epoch_metrics=None,
    convergence_warning=True,
    rows=None,
    keep_start=False,
    log_name=None,
):
    """Train ``objective`` for up to ``max_iter`` epochs, recording history on ``est``.

    Parameters
    ----------
    est : estimator
        Receives ``loss_curve_``, ``n_iter_``, ``t_``, ``best_loss_`` and, with
        ``validation``, ``validation_scores_`` and ``best_validation_score_``
        (call :func:`init_history` first on a fresh fit).
    objective, optimizer : see the module docstring.
    X, y, sample_weight : training data (``y`` and weights may be ``None``).
    max_iter : int
        Maximum number of epochs (``incremental=True`` runs exactly one).
    batch_size : int
        Mini-batch size, already resolved by :func:`resolve_batch_size`.
    shuffle : bool
        Reshuffle the samples before every epoch.
    rng : numpy.random.RandomState
    tol, n_iter_no_change : float or None, int
        Stop (or, with the adaptive schedule, lower the learning rate) when the
        training loss, or the validation score with ``validation``, has not improved
        by ``tol`` for ``n_iter_no_change`` consecutive epochs. ``None`` disables it.
    gtol : float or None
        Stop when the largest absolute entry of the epoch's mean gradient is below
        ``gtol`` (exactly the gradient norm for full-batch training).
    validation : tuple (X_val, y_val, sw_val, score) or None
        Enables early stopping: ``score(X_val, y_val, sw_val)`` (higher is better) is
        recorded after each epoch and the best parameters are restored at the end.
    verbose : int
        Print one line per epoch in scikit-learn's style.
    incremental : bool
        One epoch (``partial_fit``); no convergence warning.
    lr_name : str
        The parameter named in the divergence message.
    epoch_metrics : callable, optional
        ``epoch_metrics(epoch)`` is called after each epoch and returns a dict of
        extra figures for the verbose line; it can also record them.
    convergence_warning : bool, default=True
        Warn with a ``ConvergenceWarning`` when ``max_iter`` epochs ran without a
        stopping rule firing. Estimators that always run a fixed number of epochs
        (the RBM: ``tol=None``) turn it off.
    rows : array of int, optional
        Train on these rows of X (and y, weights) only, without copying X: each
        mini-batch is gathered from them (the RBM's validation split).
    keep_start : bool, default=False
        Keep a copy of the weights as they were at the start, and put them back
        if training diverges (a warm start then keeps its previous model);
        otherwise a divergence leaves the last finite epoch's weights.
    log_name : str, optional
        Start each verbose line with ``[log_name]``, as BernoulliRBM's do
        (MLPClassifier's, like the fine-tuning lines, have no prefix).

    Returns
    -------
    interrupted : bool
        True when Ctrl-C (KeyboardInterrupt) stopped training: the weights and the
        history were put back to the end of the last complete epoch and a warning
        says so. Callers with further stages (a DBN's layers) skip them.
    """
    runner = _EpochRunner(
        X, y, sample_weight, batch_size, shuffle, rng, track_grad=bool(gtol), rows=rows
    )
    checkpoints = _Checkpoints(est, objective.params, keep_start)
    first_epoch = len(est.loss_curve_)
    rules = _StoppingRules(tol, n_iter_no_change, gtol, validation, verbose, log_name)
    interrupted = False
    try:
        stopped = _run_epochs(
            est,
            runner,
            objective,
            optimizer,
            checkpoints,
            rules,
            max_epochs=None if incremental else max_iter,
            epoch_metrics=epoch_metrics,
            lr_name=lr_name,
        )
        if not incremental:
            _warn_after_run(
                est,
                optimizer,
                first_epoch,
                lr_name,
                n_iter_no_change,
                max_iter=max_iter if convergence_warning and not stopped else None,
                rise=tol is not None,
            )
    except KeyboardInterrupt:
        checkpoints.rewind()
        _warn_interrupted(est)
        interrupted = True
    if checkpoints.best is not None:  # early stopping's best epoch
        _restore(objective.params, checkpoints.best)
    return interrupted


@dataclass(frozen=True)
class _StoppingRules:
    """:func:`train`'s stopping parameters (see there)."""

    tol: float | None
    n_iter_no_change: int
    gtol: float | None
    validation: tuple | None
    verbose: int
    log_name: str | None = None


def _run_epochs(
    est,
    runner,
    objective,
    optimizer,
    checkpoints,
    rules,
    *,
    max_epochs,
    epoch_metrics,
    lr_name,
):
    """Up to ``max_epochs`` epochs (one when None: ``partial_fit``); True when
    a stopping rule ended them."""
    start = time.perf_counter()
    validation = rules.validation
    for _ in range(1 if max_epochs is None else max_epochs):
        loss, grad_norm = _run_epoch(
            est, runner, objective, optimizer, checkpoints, lr_name
        )
        _append_epoch(est, runner.n, loss)
        extra = epoch_metrics(est.n_iter_) if epoch_metrics else {}
        checkpoints.best = _update_stopping(
            est, loss, objective, validation, rules.tol, checkpoints.best
        )
        if rules.verbose:
            _print_epoch(est, loss, extra, validation, start, rules.log_name)
        _notify(est, loss, max_epochs, validation is not None)
        optimizer.iteration_ends(est.t_)
        checkpoints.save()
        if _stopping_rule_fired(est, optimizer, grad_norm, rules):
            return True
    return False


def _run_epoch(est, runner, objective, optimizer, checkpoints, lr_name):
    """One epoch: its loss and gradient norm, or a DivergenceError after putting
    back the last finite weights (the start's, with ``keep_start``)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        loss, grad_norm = runner.run(objective, optimizer)
    if _is_finite(loss, objective.params, optimizer):
        return loss, grad_norm
    checkpoints.restore_finite()
    optimizer.reset()  # a partial_fit after this one starts afresh
    owner, name = _stage_of(est)
    value = optimizer.learning_rate_init
    raise DivergenceError(
        f"{owner}: {name} diverged in epoch {est.n_iter_ + 1}: the loss, the weights "
        "or the optimiser's state became infinite or NaN. The learning rate "
        f"{lr_name}={value} is probably too large; try a smaller value or scale "
        f"{_what_to_scale(est)}. No infinite or NaN weights were kept.",
        estimator=owner,
        stage=name,
        epoch=est.n_iter_ + 1,
        parameter=lr_name,
        value=value,
    )


def _append_epoch(est, n_samples, loss):
    """Add a finished epoch of ``n_samples`` to ``est``'s history."""
    est.n_iter_ += 1
    est.t_ += n_samples
    est.loss_curve_.append(loss)


def _update_stopping(est, loss, objective, validation, tol, best):
    """Record the epoch's loss or validation score for the stopping rules;
    returns the best weights so far (early stopping) or ``best`` unchanged."""
    if validation is not None:
        return _record_validation(est, objective, validation, tol, best)
    _record_loss(est, loss, tol)
    return best


def _stopping_rule_fired(est, optimizer, grad_norm, rules):
    """Whether training stops after this epoch: the gradient is small enough,
    or the loss (validation score) stalled and the schedule cannot lower the
    learning rate any further ('adaptive' lowers it and goes on)."""
    tol, patience = rules.tol, rules.n_iter_no_change
    if rules.gtol and grad_norm < rules.gtol:
        if rules.verbose:
            print(f"Gradient max-norm {grad_norm:.3g} < gtol={rules.gtol}. Stopping.")
        return True
    if tol is not None and est._no_improvement_count > patience:
        what = "Validation score" if rules.validation else "Training loss"
        msg = (
            f"{what} did not improve more than tol={tol:f} for "
            f"{patience} consecutive epochs."
        )
        if optimizer.trigger_stopping(msg, rules.verbose):
            return True
        est._no_improvement_count = 0
    return False


def _warn_after_run(est, optimizer, first_epoch, lr_name, patience, *, max_iter, rise):
    """After a whole run: a NoProgressWarning when the loss rose (``rise``),
    else a MaxIterationsWarning when ``max_iter`` (not None) epochs ran out."""
    warning = None
    if rise:
        warning = _rise_warning(est, first_epoch, optimizer, lr_name, patience)
    if warning is None and max_iter is not None:
        warning = MaxIterationsWarning(
            f"{type(est).__name__}: Maximum iterations ({max_iter}) reached "
            "and the optimization hasn't converged yet; increase max_iter "
            "or relax tol.",
            estimator=type(est).__name__,
            max_iter=max_iter,
        )
    if warning is not None:
        warnings.warn(warning, stacklevel=user_stacklevel())


def _warn_interrupted(est):
    owner, name = _stage_of(est)
    stopped = _INTERRUPTED.get()
    if stopped is not None:
        stopped.append((owner, name))
    warnings.warn(
        TrainingInterruptedWarning(
            f"{owner}: {name} interrupted by the user after {est.n_iter_} complete "
            "epoch(s); the weights are those of the last complete epoch.",
            estimator=owner,
            stage=name,
            epochs=est.n_iter_,
        ),
        stacklevel=user_stacklevel(),
    )


class _Checkpoints:
    """The weights and history at the end of the last complete epoch.

    The copy goes into spare arrays and one assignment swaps it in, so that a
    Ctrl-C at any moment finds a whole checkpoint. With ``keep_start``, the
    weights at the start are kept too, for a divergence to put back (a warm
    start then keeps its previous model).
    """

    def __init__(self, est, params, keep_start):
        self.est, self.params = est, params
        self.spare = [copy(p) for p in params]
        self.good = _checkpoint(est, [copy(p) for p in params])
        self.initial = [copy(p) for p in params] if keep_start else None
        self.best = None  # early stopping's best weights so far

    def save(self):
        _restore(self.spare, self.params)
        self.spare, self.good = self.good[0], _checkpoint(self.est, self.spare)

    def rewind(self):
        _rewind(self.est, self.params, self.good)

    def restore_finite(self):
        _restore(self.params, self.good[0] if self.initial is None else self.initial)


# History lists an epoch appends to; an interrupted epoch's entries are removed.
_HISTORY = (
    "loss_curve_",
    "validation_scores_",
    "train_free_energy_",
    "validation_free_energy_",
)


def _checkpoint(est, arrays):
    """``arrays`` (a copy of the weights) with the history's state at this moment."""
    lengths = {
        name: len(getattr(est, name))
        for name in _HISTORY
        if isinstance(getattr(est, name, None), list)
    }
    return arrays, est.n_iter_, est.t_, lengths


def _rewind(est, params, checkpoint):
    """Put the weights and the history back to ``checkpoint``."""
    arrays, est.n_iter_, est.t_, lengths = checkpoint
    _restore(params, arrays)
    for name, length in lengths.items():
        del getattr(est, name)[length:]


def _restore(dst, src):
    for d, s in zip(dst, src, strict=True):
        ops(d).copyto(d, s)


def _record_loss(est, loss, tol):
    # None after an early-stopping fit that partial_fit now continues
    best = np.inf if est.best_loss_ is None else est.best_loss_
    if tol is not None and loss > best - tol:
        est._no_improvement_count += 1
    else:
        est._no_improvement_count = 0
    est.best_loss_ = min(best, loss)


def _record_validation(est, objective, validation, tol, best):
    X_val, y_val, sw_val, score = validation
    value = float(score(X_val, y_val, sw_val))
    est.validation_scores_.append(value)
    if tol is not None and value < est.best_validation_score_ + tol:
        est._no_improvement_count += 1
    else:
        est._no_improvement_count = 0
    if value > est.best_validation_score_:
        est.best_validation_score_ = value
        best = [p.copy() for p in objective.params]
    return best


def _print_epoch(est, loss, extra, validation, start, log_name=None):
    prefix = "" if log_name is None else f"[{log_name}] "
    parts = [f"{prefix}Iteration {est.n_iter_}, loss = {loss:.8f}"]
    parts += [f"{name} = {value:.6g}" for name, value in extra.items()]
    if validation is not None:
        parts.append(f"validation score = {est.validation_scores_[-1]:.6f}")
    parts.append(f"time = {time.perf_counter() - start:.2f}s")
    print(", ".join(parts))


def unchanged_on_error(method):
    """Decorate ``fit``/``partial_fit``: if it raises, put the estimator's
    attributes back as they were, so a failed call never leaves a half-fitted
    model (``n_features_in_`` of data it was not fitted on, ``classes_`` without
    weights), and cut the history lists (``loss_curve_``...) back to their
    length. A cold ``fit`` thus leaves the estimator exactly as it was. Arrays
    trained in place keep what training left in them: on divergence the weights
    from before the call (``partial_fit``'s one epoch, warm starts, which keep a
    copy), or a DBN pre-training layer's last finite epoch.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        saved = dict(vars(self))
        lengths = {
            name: len(value)
            for name, value in saved.items()
            if name in _HISTORY and isinstance(value, list)
        }
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            vars(self).clear()
            vars(self).update(saved)
            for name, length in lengths.items():
                del saved[name][length:]
            raise

    return wrapper
