"""What the commands tell the user: exit codes, one-line errors, warnings.

Estimators name their parameters (``max_iter``); the user typed options
(``--epochs``). skdbn's own errors and warnings carry the parameter as a field
(:mod:`skdbn.exceptions`), which :func:`in_cli_terms` reads; scikit-learn's
parameter errors and other estimator messages are translated by their
``'name' parameter`` and ``name=value`` forms only, so that a path or a column
called ``max_iter`` keeps its name.
"""

import re
import sys

from ..exceptions import CollapseWarning, MaxIterationsWarning

EXIT_OK, EXIT_USAGE, EXIT_DEGENERATE, EXIT_INTERRUPTED = 0, 2, 3, 130


class UsageError(Exception):
    """A mistake the user can fix: reported in one line, exit code 2."""


# The estimators' parameters that `skdbn fit` sets, as its options. RBMTransformer
# (--model rbm) calls its rate learning_rate and its epochs n_iter; the CLI never
# sets the fine-tuning schedule that DBNClassifier calls learning_rate.
_OPTIONS = {
    "learning_rate_init": "--learning-rate",
    "rbm_learning_rate": "--pretrain-lr",
    "learning_rate": "--pretrain-lr",
    "rbm_n_iter": "--pretrain-epochs",
    "n_iter": "--pretrain-epochs",
    "max_iter": "--epochs",
    "batch_size": "--batch-size",
    "hidden_layer_sizes": "--layers",
    "n_components": "--layers",
    "early_stopping": "--early-stopping",
    "validation_fraction": "--validation-fraction",
}
_NAMES = "|".join(sorted(_OPTIONS, key=len, reverse=True))
# "The 'max_iter' parameter of DBNClassifier must be" -> "The --epochs option must be"
_PARAMETER = re.compile(rf"'({_NAMES})' parameter of \w+")
# "learning_rate_init=0.5" -> "--learning-rate 0.5"; only the `name=` form, so
# that a file or column called max_iter keeps its name.
_ASSIGNED = re.compile(rf"\b({_NAMES})=")


def in_cli_terms(exc):
    """An estimator's error or warning with the options of `skdbn fit` in place
    of its parameter names (which the user never typed); the CLI's own errors
    (UsageError: paths, column names) as they are."""
    if isinstance(exc, UsageError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    if isinstance(exc, MaxIterationsWarning):
        return (
            f"{exc.estimator}: Maximum iterations ({exc.max_iter}) reached and the "
            "optimization hasn't converged yet; increase --epochs."
        )
    if isinstance(exc, CollapseWarning):
        return _collapse(exc)
    message = _PARAMETER.sub(lambda m: f"{_OPTIONS[m[1]]} option", str(exc))
    return _ASSIGNED.sub(lambda m: _OPTIONS[m[1]] + " ", message)


def _collapse(warning):
    """A :class:`~skdbn.exceptions.CollapseWarning` with the options' advice."""
    pretrain = "" if warning.pretrain else ", or pre-training (leave out --no-pretrain)"
    return (
        f"{warning.estimator} fine-tuning collapsed: it predicts the single class "
        f"{warning.label!r} for every training sample. The learning rate "
        f"(--learning-rate {warning.learning_rate_init}) may be too large, the "
        "inputs unscaled (Bernoulli units want [0, 1]), or training too short; try "
        "a smaller --learning-rate (0.003), scaled inputs, a smaller batch_size or "
        f"more --epochs{pretrain}."
    )


def print_warnings(caught, translate=True):
    """Each distinct warning once, in the order raised; the estimators' in the
    CLI's terms (``translate``)."""
    distinct = {str(w.message): w.message for w in reversed(caught)}
    for text in dict.fromkeys(str(w.message) for w in caught):
        message = in_cli_terms(distinct[text]) if translate else text
        print(f"warning: {message}", file=sys.stderr)


def short(values, n=10):
    values = [str(v) for v in values]
    return ", ".join(values[:n]) + (", ..." if len(values) > n else "")
