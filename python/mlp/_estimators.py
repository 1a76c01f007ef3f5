"""MLPClassifier and MLPRegressor: scikit-learn's conventions, libmlp's training.

Arguments are named as scikit-learn's MLPClassifier and MLPRegressor name them where
the meaning is the same; docs/python.md lists each and what differs.
"""
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from . import _core

_SOLVERS = {"adam": "adam", "sgd": "sgd", "lbfgs": "lbfgs", "lm": "lm", "rprop": "irprop-"}
_FULL_BATCH = ("lbfgs", "lm", "rprop")
_FLOATS = (np.dtype(np.float64), np.dtype(np.float32))
_ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu",
                "leaky_relu": "leaky_relu", "elu": "elu", "softplus": "softplus",
                "gelu": "gelu", "silu": "silu"}


def _float_array(a, dtype):
    """C-ordered, of dtype: a copy only where the array is not already so."""
    return np.ascontiguousarray(a, dtype=dtype)


class _BaseMLP(BaseEstimator):
    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate_init=0.001, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, momentum=0.9, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8, warm_start=False, learning_rate="constant",
                 nesterovs_momentum=True, scale_inputs=True, precision=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.momentum = momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.warm_start = warm_start
        self.learning_rate = learning_rate
        self.nesterovs_momentum = nesterovs_momentum
        self.scale_inputs = scale_inputs
        self.precision = precision

    # ---- the arguments, checked when fit reads them (scikit-learn's rule) ----------------

    def _hidden(self):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral):
            sizes = (sizes,)
        try:
            sizes = [int(s) for s in sizes]
        except TypeError:
            raise ValueError(f"hidden_layer_sizes must be an int or a sequence of ints, "
                             f"got {self.hidden_layer_sizes!r}") from None
        if any(s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {list(sizes)}")
        return sizes

    def _check_params(self):
        if self.activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, "
                             f"got {self.activation!r}")
        if self.solver not in _SOLVERS:
            raise ValueError(f"solver must be one of {sorted(_SOLVERS)}, got {self.solver!r}")
        if not isinstance(self.max_iter, numbers.Integral) or self.max_iter <= 0:
            raise ValueError(f"max_iter must be an int >= 1, got {self.max_iter!r}")
        if not isinstance(self.alpha, numbers.Real) or not self.alpha >= 0:
            raise ValueError(f"alpha must be >= 0, got {self.alpha!r}")
        if not isinstance(self.learning_rate_init, numbers.Real) or \
                not self.learning_rate_init > 0:
            raise ValueError(f"learning_rate_init must be > 0, got {self.learning_rate_init!r}")
        if not isinstance(self.tol, numbers.Real) or not self.tol >= 0:
            raise ValueError(f"tol must be >= 0, got {self.tol!r}")
        if not isinstance(self.n_iter_no_change, numbers.Integral) or \
                self.n_iter_no_change <= 0:
            raise ValueError(f"n_iter_no_change must be an int >= 1, "
                             f"got {self.n_iter_no_change!r}")
        if not (isinstance(self.validation_fraction, numbers.Real) and
                0 < self.validation_fraction < 1):
            raise ValueError(f"validation_fraction must be in (0, 1), "
                             f"got {self.validation_fraction!r}")
        if self.batch_size != "auto" and (not isinstance(self.batch_size, numbers.Integral)
                                          or self.batch_size <= 0):
            raise ValueError(f"batch_size must be 'auto' or an int >= 1, "
                             f"got {self.batch_size!r}")
        if self.learning_rate not in ("constant", "adaptive"):
            raise ValueError(f"learning_rate must be 'constant' or 'adaptive' (libmlp has no "
                             f"'invscaling'), got {self.learning_rate!r}")
        if self.precision not in (None, "float64", "float32"):
            raise ValueError(f"precision must be None (the data's), 'float64' or 'float32', "
                             f"got {self.precision!r}")

    def _dtype(self, X, reset):
        """The network's type: a new one's from precision or the data, else its own."""
        if not reset:
            return np.float32 if self._net.precision == "float32" else np.float64
        if self.precision is not None:
            return np.float32 if self.precision == "float32" else np.float64
        return np.float32 if getattr(X, "dtype", None) == np.float32 else np.float64

    # ---- the network -------------------------------------------------------------------

    def _new_net(self, n_features, n_out, out_activation, dtype, seed):
        layers = [("dense", s, _ACTIVATIONS[self.activation], True, 0.0)
                  for s in self._hidden()]
        layers.append(("dense", n_out, out_activation, True, 0.0))
        precision = "float32" if dtype == np.float32 else "float64"
        self.__dict__.pop("_columns", None)  # a loaded table model's columns: not this net's
        return _core.create(n_features, layers, precision, "auto", seed)

    def _seed(self):
        return int(check_random_state(self.random_state).randint(0, 2**31 - 1))

    def _train(self, X, Y, n_classes, loss, epochs, incremental, k_outputs, y=None):
        """One fit of the network on X, Y (class indices in one column with n_classes, or
        targets); with early_stopping (not for partial_fit), validation_fraction of the
        rows held out as scikit-learn holds them (stratified by y for a classifier)."""
        stopping = self.early_stopping and not incremental
        val = ()
        if stopping:
            X, Xv, Y, Yv = train_test_split(
                X, Y, test_size=self.validation_fraction, random_state=self._seed(),
                stratify=y if n_classes else None)
            X, Y, Xv, Yv = (np.ascontiguousarray(a) for a in (X, Y, Xv, Yv))
            val = (Xv, Yv, not n_classes)
        n = X.shape[0]
        full = self.solver in _FULL_BATCH
        if full:
            batch = 0
            rows = n
        elif self.batch_size == "auto":
            rows = batch = min(200, n)
        else:
            rows = batch = min(self.batch_size, n)
        # scikit-learn's alpha: its L2 term's gradient, alpha·W / rows, beside a loss
        # gradient that the squared error takes as ½ Σ over outputs where libmlp takes
        # the mean over the cells (hence 2 / outputs for regressions)
        scale = 2.0 / k_outputs if loss == "mse" else 1.0
        opt = {"kind": _SOLVERS[self.solver], "weight_decay": self.alpha * scale / rows}
        if self.solver in ("adam", "sgd"):
            opt["learning_rate"] = self.learning_rate_init
        if self.solver == "adam":
            opt.update(beta1=self.beta_1, beta2=self.beta_2, epsilon=self.epsilon)
        if self.solver == "sgd":
            if self.momentum > 0:
                opt["kind"] = "nesterov" if self.nesterovs_momentum else "momentum"
                opt["momentum"] = self.momentum
            if self.learning_rate == "adaptive":
                # the rate divided by 5 after two epochs without an improvement of tol
                opt.update(schedule="plateau", schedule_factor=0.2, schedule_patience=2,
                           schedule_min_delta=self.tol)
        result = self._net.fit(X, Y, n_classes, loss, opt, epochs, batch, self._seed(),
                               0 if incremental else self.n_iter_no_change, self.tol,
                               bool(self.shuffle) and not full, incremental, *val)
        if result["error"]:
            warnings.warn(f"training stopped early: {result['error']}", ConvergenceWarning)
        self.n_iter_ = getattr(self, "n_iter_", 0) if incremental else 0
        self.n_iter_ += result["epochs"]
        self.t_ = getattr(self, "t_", 0) * incremental + result["epochs"] * n
        curve = list(result["loss"])
        self.loss_curve_ = (getattr(self, "loss_curve_", []) if incremental else []) + curve
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else np.inf
        self.best_loss_ = min(self.loss_curve_) if self.loss_curve_ else np.inf
        if stopping:
            self.validation_loss_curve_ = list(result["val_loss"])
            scores = result["val_metric"] if n_classes else result["scores"]
            self.validation_scores_ = list(scores)
            self.best_validation_score_ = max(scores) if scores else None
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
        if result["stop"] == "epochs" and not incremental and epochs > 1:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({epochs}) reached and "
                          f"the optimization hasn't converged yet.", ConvergenceWarning)
        return result

    # ---- learned attributes in scikit-learn's layout -----------------------------------

    def _weights(self):
        coefs, intercepts = [], []
        for l in range(len(self._net.layers())):
            w = self._net.weights(l)
            if w is None:
                continue
            data, out, inp, b = w
            coefs.append(np.frombuffer(data, dtype=np.float64).reshape(out, inp).T.copy())
            intercepts.append(np.frombuffer(b, dtype=np.float64).copy() if b is not None
                              else np.zeros(out))
        return coefs, intercepts

    @property
    def coefs_(self):
        """The weights of each layer, (inputs, outputs) as scikit-learn lays them (a copy)."""
        check_is_fitted(self, "_net")
        return self._weights()[0]

    @property
    def intercepts_(self):
        """The biases of each layer (a copy)."""
        check_is_fitted(self, "_net")
        return self._weights()[1]

    @property
    def n_layers_(self):
        check_is_fitted(self, "_net")
        return len(self._net.layers()) + 1

    def _raw(self, X):
        if "_net" not in self.__dict__:
            check_is_fitted(self, "_net")  # raises NotFittedError, scikit-learn's way
        if "_columns" in self.__dict__:
            return self._raw_table(X)
        # A C-ordered array of the right width and finite values, from an estimator
        # fitted without column names, is what _validate_data would return: taken as
        # it is (scikit-learn's validation costs 50 us, 15 times the prediction of a
        # row); anything else goes through it, and its messages.
        if not (type(X) is np.ndarray and X.ndim == 2 and X.dtype in _FLOATS and
                X.shape[1] == self.n_features_in_ and X.shape[0] > 0 and
                X.flags.c_contiguous and not hasattr(self, "feature_names_in_") and
                np.isfinite(X).all()):
            X = self._validate_data(X, reset=False, dtype=[np.float64, np.float32])
        dtype = np.float32 if X.dtype == np.float32 and self._net.precision == "float32" \
            else np.float64
        X = _float_array(X, dtype)
        Y = np.empty((X.shape[0], self._net.n_outputs), dtype=dtype)
        self._net.predict(X, Y)
        return Y.astype(np.float64, copy=False)

    def _raw_table(self, X):
        """Rows of a table as a model of the mlp command reads them when it encodes text
        columns (load() sets _columns): a DataFrame with the model's columns, found by
        name (others ignored), or a 2-D array of them in order; numbers as numbers or
        text, text as text, a missing cell as None, NaN or one of the model's tokens. A
        category the model never saw is no category, counted in a warning (as `mlp
        predict` does)."""
        cols = self._columns
        if hasattr(X, "columns"):
            absent = [c for c in cols if c not in X.columns]
            if absent:
                raise ValueError(f"X has no column {absent[0]!r}; the model reads "
                                 f"{', '.join(cols)}")
            values = X[cols].to_numpy(dtype=object)
        else:
            values = np.asarray(X, dtype=object)
            if values.ndim != 2 or values.shape[1] != len(cols):
                raise ValueError(f"X is of shape {values.shape}; the model reads rows of "
                                 f"{len(cols)} columns: {', '.join(cols)}")
        if values.shape[0] == 0:
            raise ValueError("Found array with 0 sample(s) (shape=(0, %d)) while a minimum "
                             "of 1 is required." % len(cols))
        rows = [[_field(v) for v in row] for row in values.tolist()]
        x = np.empty((len(rows), self._net.n_inputs))
        unseen = self._net.encode(rows, x)
        if unseen:
            warnings.warn(f"{unseen} value{'s' if unseen > 1 else ''} the model did not see "
                          f"in training, encoded as no category", UserWarning)
        Y = np.empty((x.shape[0], self._net.n_outputs))
        self._net.predict(x, Y)
        return Y

    # ---- persistence: the model file's bytes --------------------------------------------

    def __getstate__(self):
        state = super().__getstate__() if hasattr(super(), "__getstate__") else \
            self.__dict__.copy()
        state = dict(state)
        if "_net" in state:
            state["_net"] = state["_net"].to_bytes()
        return state

    def __setstate__(self, state):
        state = dict(state)
        if "_net" in state:
            state["_net"] = _core.from_bytes(state["_net"])
        if hasattr(super(), "__setstate__"):
            super().__setstate__(state)
        else:
            self.__dict__.update(state)

    def _name_model(self, classes=None, y=None):
        names = getattr(self, "feature_names_in_", None)
        inputs = [str(c) for c in names] if names is not None else None
        target = getattr(y, "name", None)  # a pandas Series's
        targets = [str(target) if target is not None else "target"] \
            if classes is not None else None
        if inputs is None and classes is not None:
            inputs = [f"x{i}" for i in range(self.n_features_in_)]
        self._net.set_names(inputs, targets,
                            [str(c) for c in classes] if classes is not None else None)

    def save(self, path):
        """Write the model file: `mlp predict`, `mlp info` and the C API's mlp_net_load()
        read it, and mlp.load() brings it back as an estimator."""
        check_is_fitted(self, "_net")
        self._net.save(path)


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A multi-layer perceptron classifier trained by libmlp: softmax output and
    cross-entropy for three classes or more, one sigmoid output for two.

    Arguments as scikit-learn's MLPClassifier, plus solver 'lm' (Levenberg–Marquardt,
    regressions only: refused here), 'rprop' (iRPROP-, full batch), scale_inputs
    (standardize the inputs inside the model, default True) and precision (None: the
    data's, 'float64' or 'float32').
    """

    def _encode(self, y):
        return np.searchsorted(self.classes_, y).astype(np.float64)

    def _setup(self, X, y, classes, reset):
        X, y = self._validate_data(X, y, dtype=[np.float64, np.float32], reset=reset)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if reset:
            self.classes_ = np.unique(y) if classes is None else np.unique(np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError(f"MLPClassifier needs samples of at least 2 classes in the "
                                 f"data, but the data contains only one class: "
                                 f"{self.classes_[0]!r}")
        unseen = np.setdiff1d(np.unique(y), self.classes_)
        if len(unseen):
            raise ValueError(f"y holds labels not in classes_: {unseen[:5]!r}")
        return X, y

    def _fit(self, X, y, incremental, classes=None):
        self._check_params()
        reset = not (incremental or self.warm_start) or not hasattr(self, "_net")
        y_in = y
        X, y = self._setup(X, y, classes, reset)
        dtype = self._dtype(X, reset)
        X = _float_array(X, dtype)
        k = len(self.classes_)
        if reset:
            out, act = (1, "sigmoid") if k == 2 else (k, "softmax")
            self._net = self._new_net(X.shape[1], out, act, dtype, self._seed())
            self.n_outputs_ = out
            self.out_activation_ = "logistic" if k == 2 else "softmax"
            if self.scale_inputs:
                self._net.fit_scaling(X, None, "standard", "none")
            self._name_model(self.classes_, y_in)
        loss = "binary_crossentropy" if k == 2 else "categorical_crossentropy"
        Y = _float_array(self._encode(y), dtype)
        self._train(X, Y, k, loss, 1 if incremental else self.max_iter,
                    incremental or (self.warm_start and not reset), k, y=y)
        return self

    def fit(self, X, y):
        """Train on X (n_samples, n_features) and labels y of any type scikit-learn takes."""
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X, y, classes=None):
        """One epoch over X, y, continuing the optimizer's state; the first call needs
        `classes`, every label there will be."""
        _not_a_table_model(self)
        if not hasattr(self, "_net"):
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            if self.solver in _FULL_BATCH:
                raise ValueError(f"partial_fit needs a stochastic solver ('adam', 'sgd'), "
                                 f"not {self.solver!r}")
        return self._fit(X, y, incremental=True, classes=classes)

    def predict_proba(self, X):
        """Class probabilities, (n_samples, n_classes), columns in the order of classes_."""
        P = self._raw(X)
        if len(self.classes_) == 2:
            P = np.hstack([1.0 - P, P])
        return P

    def predict_log_proba(self, X):
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class of each row."""
        P = self.predict_proba(X)  # first: it says when the estimator is not fitted
        return self.classes_[np.argmax(P, axis=1)]

    def _more_tags(self):
        return {"preserves_dtype": [np.float64, np.float32]}


class MLPRegressor(RegressorMixin, _BaseMLP):
    """A multi-layer perceptron regressor trained by libmlp: identity output, squared
    error.

    Arguments as scikit-learn's MLPRegressor, plus solver 'lm' (Levenberg–Marquardt,
    full batch) and 'rprop' (iRPROP-), scale_inputs and scale_targets (standardize the
    inputs and the targets inside the model, default True: predictions come back in
    the targets' units) and precision.
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate_init=0.001, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, momentum=0.9, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8, warm_start=False, learning_rate="constant",
                 nesterovs_momentum=True, scale_inputs=True, scale_targets=True,
                 precision=None):
        super().__init__(hidden_layer_sizes, activation, solver=solver, alpha=alpha,
                         batch_size=batch_size, learning_rate_init=learning_rate_init,
                         max_iter=max_iter, shuffle=shuffle, random_state=random_state,
                         tol=tol, early_stopping=early_stopping,
                         validation_fraction=validation_fraction,
                         n_iter_no_change=n_iter_no_change, momentum=momentum,
                         beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         warm_start=warm_start, learning_rate=learning_rate,
                         nesterovs_momentum=nesterovs_momentum, scale_inputs=scale_inputs,
                         precision=precision)
        self.scale_targets = scale_targets

    def _fit(self, X, y, incremental):
        self._check_params()
        reset = not (incremental or self.warm_start) or not hasattr(self, "_net")
        X, y = self._validate_data(X, y, dtype=[np.float64, np.float32], reset=reset,
                                   multi_output=True, y_numeric=True)
        dtype = self._dtype(X, reset)
        if reset:
            self._y_1d = y.ndim == 1
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        X, Y = _float_array(X, dtype), _float_array(Y, dtype)
        if reset:
            self._net = self._new_net(X.shape[1], Y.shape[1], "identity", dtype, self._seed())
            self.n_outputs_ = Y.shape[1]
            self.out_activation_ = "identity"
            self._net.fit_scaling(X, Y, "standard" if self.scale_inputs else "none",
                                  "standard" if self.scale_targets else "none")
            self._name_model()
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {Y.shape[1]} targets, the model {self.n_outputs_}")
        self._train(X, Y, 0, "mse", 1 if incremental else self.max_iter,
                    incremental or (self.warm_start and not reset), Y.shape[1])
        return self

    def fit(self, X, y):
        """Train on X (n_samples, n_features) and targets y (n_samples,) or (n_samples, k)."""
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X, y):
        """One epoch over X, y, continuing the optimizer's state."""
        _not_a_table_model(self)
        if self.solver in _FULL_BATCH:
            raise ValueError(f"partial_fit needs a stochastic solver ('adam', 'sgd'), "
                             f"not {self.solver!r}")
        return self._fit(X, y, incremental=True)

    def predict(self, X):
        """Predictions in the targets' units: (n_samples,) for a single target."""
        Y = self._raw(X)
        return Y.ravel() if self._y_1d else Y

    def _more_tags(self):
        return {"preserves_dtype": [np.float64, np.float32], "multioutput": True}


def _not_a_table_model(est):
    """partial_fit continues a network on numbers: not one load() made from a table."""
    if "_columns" in est.__dict__:
        raise ValueError("this model reads a table's columns (text, missing cells) as `mlp "
                         "train` made it: it predicts them, but partial_fit cannot continue "
                         "it (fit trains a new network)")


def _field(v):
    """A table cell as the text the model reads: None for a missing one (None, NaN,
    pandas' NA), numbers as the shortest text that reads back to them."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        return None if v != v else repr(float(v))
    if type(v).__name__ == "NAType":  # pandas.NA, without importing pandas
        return None
    return str(v)


def _labels(names):
    """Class labels from a model file, where they are text: integers when every one reads
    back as the same text from an integer ("3", "-1"; not "03"), booleans for exactly
    "False" and "True", else the text. An estimator fitted on integer labels saves
    them as str(label), so they come back as integers and score() compares them right."""
    try:
        ints = [int(n) for n in names]
        if all(str(i) == n for i, n in zip(ints, names)):
            return np.asarray(ints)
    except ValueError:
        pass
    if sorted(names) == ["False", "True"]:
        return np.asarray([n == "True" for n in names])
    return np.asarray(names)


def load(path):
    """A model file (from the `mlp` command, the C API or save()) as a fitted estimator:
    an MLPClassifier when it labels classes, else an MLPRegressor. The file holds labels
    as text: classes_ are integers where every label is an integer's text, booleans for
    False/True, else strings (_labels)."""
    net = _core.load(path)
    inputs, _, classes = net.names()
    layers = net.layers()
    est = MLPClassifier() if classes else MLPRegressor()
    est.hidden_layer_sizes = tuple(l[1] for l in layers[:-1] if l[0] == "dense")
    est._net = net
    est.n_features_in_ = net.n_inputs
    columns = net.columns()  # a model that encodes text columns takes the table's rows
    if columns is not None:
        est._columns = columns
        est.n_features_in_ = len(columns)
        est.feature_names_in_ = np.asarray(columns, dtype=object)
    elif inputs is not None and not all(n == f"x{i}" for i, n in enumerate(inputs)):
        est.feature_names_in_ = np.asarray(inputs, dtype=object)
    est.n_outputs_ = net.n_outputs
    if classes:
        est.classes_ = _labels(classes)
        est.out_activation_ = "logistic" if net.n_outputs == 1 else "softmax"
    else:
        est._y_1d = net.n_outputs == 1
        est.out_activation_ = "identity"
    est.n_iter_ = 0
    return est
