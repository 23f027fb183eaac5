"""scikit-learn's own estimator checks, run on every public skdbn estimator."""

import inspect
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    check_set_output_transform,
    check_transformer_get_feature_names_out,
    parametrize_with_checks,
)

import skdbn

# The checks feed standardised (negative) data to every estimator: Bernoulli units
# warn about it, as documented, and short fits may not converge.
pytestmark = [
    pytest.mark.filterwarnings(r"ignore:.*expects data in \[0, 1\]:UserWarning"),
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
]


def all_estimators():
    """Every public estimator class exported by ``skdbn``, sorted by name."""
    return sorted(
        (
            obj
            for name in skdbn.__all__
            if inspect.isclass(obj := getattr(skdbn, name))
            and issubclass(obj, BaseEstimator)
        ),
        key=lambda cls: cls.__name__,
    )


# Small, quick settings for the checks; every estimator must still pass them all.
_SMALL_DBN = dict(hidden_layer_sizes=(16, 8), rbm_n_iter=3, max_iter=100)
FAST_PARAMS = {
    "DBNClassifier": _SMALL_DBN,
    "DBNRegressor": _SMALL_DBN,
    "DBNTransformer": dict(hidden_layer_sizes=(16, 8), rbm_n_iter=3),
}


# scikit-learn's sample-weight equivalence checks compare a fit with integer
# weights to a fit on the repeated rows, to rtol=1e-7. Shuffled mini-batches
# differ between the two, and so do the random draws of contrastive divergence
# (a row of weight 3 gets one Gibbs sample, its three copies three), so, as
# scikit-learn runs MLPClassifier's and MLPRegressor's checks with other
# settings (its PER_ESTIMATOR_CHECK_PARAMS), these two run on full batches
# and with deterministic draws (the ``deterministic_draws`` fixture): what is
# left to compare is the weighting of every stage, pre-training included.
# tests/test_sample_weight.py runs them on the shipped sampler too, without
# pre-training, and checks the stochastic fits statistically.
WEIGHT_EQUIVALENCE_CHECKS = (
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weight_equivalence_on_sparse_data",
)
FULL_BATCH_PARAMS = {
    "DBNClassifier": dict(rbm_batch_size=1000, batch_size=None),
    "DBNRegressor": dict(rbm_batch_size=1000, batch_size=None),
    "DBNTransformer": dict(rbm_batch_size=1000),
    "RBMTransformer": dict(batch_size=1000),
    "LogisticRegressionGD": {},  # full-batch and deterministic already
}


def _check_name(check):
    return getattr(check, "func", check).__name__


def _instances(transformers_only=False):
    for cls in all_estimators():
        if transformers_only and not issubclass(cls, TransformerMixin):
            continue
        yield cls(**FAST_PARAMS.get(cls.__name__, {}))


def test_all_estimators_found():
    names = {cls.__name__ for cls in all_estimators()}
    assert names == {
        "DBNClassifier",
        "DBNRegressor",
        "DBNTransformer",
        "LogisticRegressionGD",
        "RBMTransformer",
    }


@parametrize_with_checks(list(_instances()))
def test_sklearn_compatible_estimator(estimator, check, request):
    if _check_name(check) in WEIGHT_EQUIVALENCE_CHECKS:
        name = type(estimator).__name__
        estimator = clone(estimator).set_params(**FULL_BATCH_PARAMS[name])
        request.getfixturevalue("deterministic_draws")
    check(estimator)


@pytest.mark.parametrize("estimator", list(_instances()), ids=repr)
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)


@pytest.mark.parametrize("estimator", list(_instances()), ids=repr)
def test_dataframe_column_names_consistency(estimator):
    pytest.importorskip("pandas")
    check_dataframe_column_names_consistency(type(estimator).__name__, estimator)


@pytest.mark.parametrize(
    "estimator", list(_instances(transformers_only=True)), ids=repr
)
def test_transformer_get_feature_names_out(estimator):
    check_transformer_get_feature_names_out(type(estimator).__name__, estimator)


@pytest.mark.parametrize(
    "estimator", list(_instances(transformers_only=True)), ids=repr
)
def test_set_output_transform(estimator):
    check_set_output_transform(type(estimator).__name__, estimator)


@pytest.mark.parametrize(
    "estimator",
    [e for e in _instances() if hasattr(e, "inverse_transform")],
    ids=repr,
)
def test_inverse_transform_takes_X(estimator):
    # scikit-learn's convention: inverse_transform(X), so that callers passing
    # X=... work and metadata routing sees no spurious H parameter.
    X = np.random.RandomState(0).uniform(size=(20, 5))
    estimator = estimator.set_params(random_state=0).fit(X)
    assert list(inspect.signature(estimator.inverse_transform).parameters) == ["X"]
    H = estimator.transform(X)
    expected = estimator.inverse_transform(H)
    np.testing.assert_array_equal(estimator.inverse_transform(X=H), expected)
    assert expected.shape == X.shape
    assert not hasattr(estimator, "set_inverse_transform_request")


@pytest.mark.parametrize("estimator", list(_instances()), ids=repr)
def test_html_repr_links_to_the_api_reference(estimator):
    name = type(estimator).__name__
    url = f"https://skdbn.readthedocs.io/en/latest/generated/skdbn.{name}.html"
    assert estimator._get_doc_link() == url
    assert url in estimator._repr_html_()
    # docs/api.rst builds that page (autosummary into generated/).
    api = (Path(__file__).parents[1] / "docs" / "api.rst").read_text()
    assert ":toctree: generated/" in api and f"\n   {name}\n" in api


def test_public_methods_are_typed():
    # skdbn ships py.typed: every public method of every estimator, defined in
    # skdbn, has a type hint for each argument and its return (mypy checks
    # them in .ci/run).
    import skdbn as package

    assert (Path(package.__file__).parent / "py.typed").is_file()
    untyped = []
    for cls in all_estimators():
        for name, method in inspect.getmembers(cls, inspect.isfunction):
            if name.startswith("_") or not method.__module__.startswith("skdbn"):
                continue
            signature = inspect.signature(method)
            params = [p for p in signature.parameters.values() if p.name != "self"]
            missing = [p.name for p in params if p.annotation is p.empty]
            if missing or signature.return_annotation is signature.empty:
                untyped.append(f"{cls.__name__}.{name}{missing}")
    assert untyped == []
