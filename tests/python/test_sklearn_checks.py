"""scikit-learn's own estimator checks (sklearn.utils.estimator_checks), every one, on
both estimators: the contract a scikit-learn estimator keeps (fitting, refitting,
pickling, shapes, dtypes, error messages, n_features_in_, ...)."""
import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

import mlp


@parametrize_with_checks([mlp.MLPClassifier(max_iter=200), mlp.MLPRegressor(max_iter=200)])
def test_sklearn_check(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)
