"""``store_init_arguments``, until every estimator assigns its parameters
explicitly (issue #18)."""


def store_init_arguments(estimator, arguments):
    """Store ``__init__``'s arguments (its ``locals()``) unchanged, as sklearn wants.

    For estimators with many parameters, this replaces one assignment per line.
    """
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)
