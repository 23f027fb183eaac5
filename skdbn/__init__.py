"""skdbn: Restricted Boltzmann Machines and Deep Belief Networks for scikit-learn."""

from ._backend import to_device
from ._dbn import DBNTransformer
from ._dbn_classifier import DBNClassifier
from ._dbn_regressor import DBNRegressor
from ._logistic import LogisticRegressionGD
from ._rbm import RBMTransformer
from ._training import EpochEnd, on_epoch

__version__ = "0.1.0.dev0"

__all__ = [
    "DBNClassifier",
    "DBNRegressor",
    "DBNTransformer",
    "EpochEnd",
    "LogisticRegressionGD",
    "RBMTransformer",
    "on_epoch",
    "to_device",
    "__version__",
]
