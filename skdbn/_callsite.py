"""Where skdbn's warnings point: the user's call, whatever the call depth."""

import os
import sys

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def _internal(frame):
    path = os.path.abspath(frame.f_code.co_filename)
    in_skdbn = path == _PACKAGE or path.startswith(_PACKAGE + os.sep)
    # scikit-learn's wrappers (``_fit_context``, ``Pipeline``) sit in between too.
    return in_skdbn or frame.f_globals.get("__name__", "").startswith("sklearn.")


def user_stacklevel():
    """The ``stacklevel`` for a ``warnings.warn`` in the calling function that
    names the first frame outside skdbn and scikit-learn: the same line of user
    code however many of skdbn's layers and decorators lie in between."""
    frame, level = sys._getframe(1), 1
    while frame is not None and _internal(frame):
        frame, level = frame.f_back, level + 1
    return level
