"""A fitted estimator's state as NumPy arrays and builtins, for model files.

The estimators keep a few private helper objects between calls, so that
``partial_fit`` goes on where it stopped: an RBM's trainer (with its CD
objective and optimiser), a network's optimiser. A model file (pickle, joblib or
skops) records the class of every object it holds, so a file holding these
would break as soon as one moved. :func:`plain_state` therefore replaces each by
a plain dict of its own state, tagged with its kind (``{"__skdbn_state__":
"SGD", ...}``), and :func:`rebuilt_state` builds the objects again when the
file is read. Files written before this held the objects themselves; they still
load (``skdbn.io`` maps their class paths to the current ones).
"""

import numpy as np

from ._cd import RBMObjective, RBMTrainer
from ._optimizers import SGD, Adam

_TAG = "__skdbn_state__"
#: The private classes whose objects a fitted estimator keeps, by kind.
KINDS = {cls.__name__: cls for cls in (RBMTrainer, RBMObjective, SGD, Adam)}


def plain_state(state):
    """``state`` (an estimator's ``__dict__`` or its ``__getstate__``) with every
    helper object replaced by a tagged dict; other values are kept as they are."""
    memo = {}
    return {name: _to_plain(value, memo) for name, value in state.items()}


def rebuilt_state(state):
    """The inverse of :func:`plain_state`: the tagged dicts become objects again.
    Objects themselves (from a file written before) are kept as they are."""
    memo = {}
    return {name: _from_plain(value, memo) for name, value in state.items()}


def _to_plain(value, memo):
    kind = type(value).__name__
    if KINDS.get(kind) is type(value):
        if id(value) in memo:  # one object seen twice stays one
            return memo[id(value)]
        plain = memo[id(value)] = {_TAG: kind}
        own = value.__getstate__() if "__getstate__" in vars(type(value)) else None
        for name, item in (own if own is not None else vars(value)).items():
            plain[name] = _to_plain(item, memo)
        return plain
    return _map_container(value, lambda item: _to_plain(item, memo))


def _from_plain(value, memo):
    if isinstance(value, dict) and value.get(_TAG) in KINDS:
        if id(value) in memo:
            return memo[id(value)]
        cls = KINDS[value[_TAG]]
        obj = memo[id(value)] = cls.__new__(cls)
        state = {k: _from_plain(v, memo) for k, v in value.items() if k != _TAG}
        if "__setstate__" in vars(cls):
            obj.__setstate__(state)
        else:
            obj.__dict__.update(state)
        return obj
    return _map_container(value, lambda item: _from_plain(item, memo))


def _map_container(value, convert):
    """``value`` with ``convert`` applied to the items of a list, tuple or dict;
    the same object when no item changes (the history lists an estimator shares
    with its trainer stay shared)."""
    if isinstance(value, np.ndarray) or not isinstance(value, (list, tuple, dict)):
        return value
    items = value.items() if isinstance(value, dict) else enumerate(value)
    converted = {key: convert(item) for key, item in items}
    if all(converted[key] is item for key, item in _items(value)):
        return value
    if isinstance(value, dict):
        return converted
    return type(value)(converted[i] for i in range(len(value)))


def _items(value):
    return value.items() if isinstance(value, dict) else enumerate(value)
