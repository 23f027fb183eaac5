"""Where skdbn's warnings point: the user's call, whatever the call depth."""

import os
import sys

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
# Libraries whose frames sit between the user and skdbn: scikit-learn's wrappers
# (``_fit_context``, ``Pipeline``, ``cross_val_score``) and joblib, through which
# they call (``Memory`` in a Pipeline, ``Parallel``).
_BETWEEN = ("sklearn.", "joblib.")


def _internal(frame):
    path = os.path.abspath(frame.f_code.co_filename)
    if path == _PACKAGE or path.startswith(_PACKAGE + os.sep):
        return True
    return frame.f_globals.get("__name__", "").startswith(_BETWEEN)


def user_stacklevel():
    """The ``stacklevel`` for a ``warnings.warn`` in the calling function that
    names the first frame outside skdbn, scikit-learn and joblib: the same line
    of user code however many layers and decorators lie in between. Where there
    is none (a worker process of ``n_jobs``), the warning's own line."""
    frame, level = sys._getframe(1), 1
    while frame is not None and _internal(frame):
        frame, level = frame.f_back, level + 1
    return level if frame is not None else 1
