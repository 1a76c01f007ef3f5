"""libmlp for Python: scikit-learn estimators over libmlp, a C library of
multi-layer perceptrons on BLAS.

    from mlp import MLPClassifier
    clf = MLPClassifier(hidden_layer_sizes=(64,), random_state=0).fit(X, y)
    clf.predict(X)

mlp.load(path) reads a model file made by the `mlp` command, the C API or an
estimator's save(path), as a fitted estimator.
"""
from ._core import version as _version
from ._estimators import MLPClassifier, MLPRegressor, load

__version__ = _version()
__all__ = ["MLPClassifier", "MLPRegressor", "load", "__version__"]
