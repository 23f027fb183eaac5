"""skdbn.exceptions: one public module, errors with fields, picklable."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skdbn import LogisticRegressionGD
from skdbn.exceptions import (
    CSVFormatError,
    DivergenceError,
    MaxIterationsWarning,
    ModelVersionWarning,
    NoProgressWarning,
    UntrustedModelError,
)


def test_the_old_import_paths_still_work():
    from skdbn.datasets import CSVFormatError as csv_error
    from skdbn.io import ModelVersionWarning as version_warning
    from skdbn.io import UntrustedModelError as untrusted

    assert (csv_error, version_warning, untrusted) == (
        CSVFormatError,
        ModelVersionWarning,
        UntrustedModelError,
    )


def test_divergence_error_names_parameter_stage_and_epoch():
    X = np.random.RandomState(0).rand(40, 5)
    y = np.arange(40) % 2
    with pytest.raises(DivergenceError) as info:
        LogisticRegressionGD(learning_rate_init=1e30).fit(X, y)
    error = info.value
    assert isinstance(error, ValueError)
    assert (error.estimator, error.stage) == ("LogisticRegressionGD", "training")
    assert error.parameter == "learning_rate_init" and error.value == 1e30
    copy = pickle.loads(pickle.dumps(error))  # as n_jobs workers send it back
    assert (str(copy), copy.parameter) == (str(error), "learning_rate_init")
    assert copy.epoch == error.epoch >= 1


def test_max_iterations_warning_is_a_convergence_warning_with_fields():
    X = np.random.RandomState(0).rand(40, 3)
    y = np.arange(40) % 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LogisticRegressionGD(max_iter=2, tol=0, gtol=0).fit(X, y)
    found = [w.message for w in caught if w.category is MaxIterationsWarning]
    assert len(found) == 1 and isinstance(found[0], ConvergenceWarning)
    assert (found[0].estimator, found[0].max_iter) == ("LogisticRegressionGD", 2)


def test_fields_are_checked():
    with pytest.raises(TypeError, match="no field 'learning_rate'"):
        NoProgressWarning("text", learning_rate=0.1)
