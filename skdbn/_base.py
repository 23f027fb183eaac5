"""What every skdbn estimator shares with scikit-learn's: the documentation link
of the HTML representation (``DocLinkMixin``) and the type of their data
(``MatrixLike``) for the type hints."""

from typing import TypeAlias, Union

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

#: The built documentation; the API reference pages are
#: ``generated/skdbn.<Estimator>.html`` under it (``docs/api.rst``).
DOCS_URL = "https://skdbn.readthedocs.io/en/latest/"


class DocLinkMixin:
    """Link the HTML representation (the "?" icon in a notebook) to the
    estimator's page of the API reference, as scikit-learn's estimators do.

    ``estimator_module`` is the public module (``skdbn``: the path up to the
    first private part), ``estimator_name`` the class name. Listed before
    ``BaseEstimator``, whose ``_doc_link_template`` points at scikit-learn.
    """

    _doc_link_module = "skdbn"
    _doc_link_template = DOCS_URL + "generated/{estimator_module}.{estimator_name}.html"


#: What the estimators' methods accept as data: anything ``np.asarray`` takes
#: (lists, arrays, DataFrames) and SciPy sparse matrices and arrays.
MatrixLike: TypeAlias = Union[ArrayLike, sp.spmatrix, "sp.sparray"]

#: What ``random_state`` accepts, as ``sklearn.utils.check_random_state`` does.
RandomStateLike: TypeAlias = int | np.random.RandomState | None
