"""skdbn: Restricted Boltzmann Machines and Deep Belief Networks for scikit-learn."""

from ._logistic import LogisticRegressionGD

__version__ = "0.1.0.dev0"

__all__ = ["LogisticRegressionGD", "__version__"]
