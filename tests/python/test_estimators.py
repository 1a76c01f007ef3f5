"""The estimators against scikit-learn's own MLP, its estimator checks and the model
file; expected values come from scikit-learn, NumPy or the data, never from libmlp."""
import copy
import os
import pickle
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor
from sklearn.preprocessing import StandardScaler

import mlp


def iris():
    X, y = load_iris(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


def test_classifier_learns_iris_as_sklearn_does():
    Xtr, Xte, ytr, yte = iris()
    ours = mlp.MLPClassifier(hidden_layer_sizes=(16,), max_iter=300, random_state=0)
    ours.fit(Xtr, ytr)
    sc = StandardScaler().fit(Xtr)
    theirs = SkClassifier(hidden_layer_sizes=(16,), max_iter=300, random_state=0)
    with pytest.warns(Warning):
        theirs.fit(sc.transform(Xtr), ytr)
    assert ours.score(Xte, yte) >= theirs.score(sc.transform(Xte), yte) - 0.05
    assert ours.score(Xte, yte) >= 0.8  # chance is 1/3
    P = ours.predict_proba(Xte)
    assert P.shape == (len(Xte), 3)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    assert list(ours.classes_) == [0, 1, 2]
    assert ours.n_features_in_ == 4 and ours.n_iter_ >= 1
    assert len(ours.loss_curve_) == ours.n_iter_


def test_string_and_boolean_labels():
    Xtr, Xte, ytr, yte = iris()
    names = np.array(["setosa", "versicolor", "virginica"])
    clf = mlp.MLPClassifier(hidden_layer_sizes=(8,), max_iter=200, random_state=1)
    clf.fit(Xtr, names[ytr])
    assert set(clf.predict(Xte)) <= set(names)
    assert (clf.predict(Xte) == names[yte]).mean() >= 0.7  # chance is 1/3
    b = mlp.MLPClassifier(hidden_layer_sizes=(8,), max_iter=200, random_state=1)
    b.fit(Xtr, ytr == 0)
    assert b.classes_.dtype == bool and b.predict_proba(Xte).shape == (len(Xte), 2)
    assert (b.predict(Xte) == (yte == 0)).mean() >= 0.95


def test_binary_probabilities_are_the_sigmoid_output():
    X, y = load_breast_cancer(return_X_y=True)
    clf = mlp.MLPClassifier(hidden_layer_sizes=(8,), max_iter=50, random_state=0).fit(X, y)
    P = clf.predict_proba(X)
    np.testing.assert_allclose(P[:, 0] + P[:, 1], 1.0, rtol=1e-12)
    # the argmax of the two columns is the 0.5 threshold of the positive one
    assert np.array_equal(clf.predict(X), clf.classes_[(P[:, 1] > 0.5).astype(int)])


def test_coefs_in_sklearn_layout_reproduce_predictions():
    """A forward pass written here in NumPy from coefs_, intercepts_ and the scaling
    must give predict_proba's values."""
    Xtr, Xte, ytr, _ = iris()
    clf = mlp.MLPClassifier(hidden_layer_sizes=(5, 4), activation="tanh", max_iter=100,
                            random_state=3).fit(Xtr, ytr)
    assert [c.shape for c in clf.coefs_] == [(4, 5), (5, 4), (4, 3)]
    mean, sd = Xtr.mean(axis=0), Xtr.std(axis=0)
    a = (Xte - mean) / sd
    for i, (W, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        a = a @ W + b
        if i < 2:
            a = np.tanh(a)
    e = np.exp(a - a.max(axis=1, keepdims=True))
    np.testing.assert_allclose(clf.predict_proba(Xte), e / e.sum(axis=1, keepdims=True),
                               rtol=1e-10, atol=1e-12)


def test_regressor_on_diabetes_as_sklearn_does():
    X, y = load_diabetes(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0)
    reg = mlp.MLPRegressor(hidden_layer_sizes=(32,), max_iter=300, random_state=0,
                           early_stopping=True).fit(Xtr, ytr)
    pred = reg.predict(Xte)
    assert pred.shape == yte.shape
    r2 = 1 - ((yte - pred) ** 2).sum() / ((yte - yte.mean()) ** 2).sum()
    sc = StandardScaler().fit(Xtr)
    theirs = SkRegressor(hidden_layer_sizes=(32,), max_iter=300, random_state=0,
                         early_stopping=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.fit(sc.transform(Xtr), ytr)
    assert r2 > 0.2 and r2 >= theirs.score(sc.transform(Xte), yte) - 0.05
    assert reg.score(Xte, yte) == pytest.approx(r2, rel=1e-12)
    Y2 = np.column_stack([ytr, 2 * ytr])
    two = mlp.MLPRegressor(hidden_layer_sizes=(16,), max_iter=50, random_state=0).fit(Xtr, Y2)
    assert two.predict(Xte).shape == (len(Xte), 2)


def test_solvers():
    X, y = load_diabetes(return_X_y=True)
    for solver in ("adam", "sgd", "lbfgs", "lm", "rprop"):
        reg = mlp.MLPRegressor(hidden_layer_sizes=(8,), solver=solver, max_iter=30,
                               random_state=0, learning_rate_init=0.01)
        reg.fit(X, y)
        assert reg.score(X, y) > 0.2, solver


def test_same_seed_same_bits_and_float32():
    Xtr, _, ytr, _ = iris()
    a = mlp.MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=5).fit(Xtr, ytr)
    b = mlp.MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=5).fit(Xtr, ytr)
    assert all(np.array_equal(p, q) for p, q in zip(a.coefs_, b.coefs_))
    f = mlp.MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=5)
    f.fit(Xtr.astype(np.float32), ytr)
    assert f._net.precision == "float32"
    np.testing.assert_allclose(f.predict_proba(Xtr.astype(np.float32)),
                               a.predict_proba(Xtr), atol=1e-3)
    # Fortran order and float32 into a float64 model: converted once, same answers
    np.testing.assert_array_equal(a.predict_proba(np.asfortranarray(Xtr)), a.predict_proba(Xtr))


def test_pickle_deepcopy_and_model_file(tmp_path):
    Xtr, Xte, ytr, _ = iris()
    names = np.array(["setosa", "versicolor", "virginica"])
    clf = mlp.MLPClassifier(hidden_layer_sizes=(8,), max_iter=50, random_state=0)
    clf.fit(Xtr, names[ytr])
    want = clf.predict_proba(Xte)
    for other in (pickle.loads(pickle.dumps(clf)), copy.deepcopy(clf)):
        np.testing.assert_array_equal(other.predict_proba(Xte), want)
    path = tmp_path / "iris.mlp"
    clf.save(str(path))
    back = mlp.load(str(path))
    assert isinstance(back, mlp.MLPClassifier)
    assert list(back.classes_) == list(names)
    np.testing.assert_array_equal(back.predict_proba(Xte), want)


def test_labels_come_back_from_the_model_file_as_they_went_in(tmp_path):
    """Integer and boolean labels are text in the file; load gives them back as integers
    and booleans, so that score() against the original labels is not silently 0."""
    Xtr, Xte, ytr, yte = iris()
    for y_train, y_test in ((ytr, yte), (ytr - 1, yte - 1), (ytr == 0, yte == 0)):
        clf = mlp.MLPClassifier(hidden_layer_sizes=(8,), max_iter=100, random_state=0)
        clf.fit(Xtr, y_train)
        clf.save(str(tmp_path / "m.mlp"))
        back = mlp.load(str(tmp_path / "m.mlp"))
        assert back.classes_.dtype.kind == clf.classes_.dtype.kind
        np.testing.assert_array_equal(back.classes_, clf.classes_)
        assert back.score(Xte, y_test) == clf.score(Xte, y_test) > 0.5
    # text that is not an integer's own text stays text
    names = np.array(["03", "7", "x"])
    clf = mlp.MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    clf.fit(Xtr, names[ytr]).save(str(tmp_path / "s.mlp"))
    assert list(mlp.load(str(tmp_path / "s.mlp")).classes_) == ["03", "7", "x"]


def test_errors_carry_libmlp_messages(tmp_path):
    with pytest.raises(OSError, match="nothing.mlp"):
        mlp.load(str(tmp_path / "nothing.mlp"))
    bad = tmp_path / "bad.mlp"
    bad.write_bytes(b"not a model")
    with pytest.raises(ValueError):
        mlp.load(str(bad))
    Xtr, _, ytr, _ = iris()
    clf = mlp.MLPClassifier(max_iter=5, random_state=0).fit(Xtr, ytr)
    with pytest.raises(ValueError, match="features"):
        clf.predict(Xtr[:, :3])
    with pytest.raises(ValueError, match="activation"):
        mlp.MLPClassifier(activation="cube").fit(Xtr, ytr)


def test_partial_fit_continues():
    Xtr, Xte, ytr, yte = iris()
    clf = mlp.MLPClassifier(hidden_layer_sizes=(16,), random_state=0, learning_rate_init=0.01)
    for _ in range(60):
        clf.partial_fit(Xtr, ytr, classes=[0, 1, 2])
    assert clf.n_iter_ == 60 and len(clf.loss_curve_) == 60
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.score(Xte, yte) > 0.85


def test_threads_predict_side_by_side():
    X, y = load_breast_cancer(return_X_y=True)
    clf = mlp.MLPClassifier(hidden_layer_sizes=(64,), max_iter=5, random_state=0).fit(X, y)
    want = clf.predict_proba(X)
    got = [None] * 4

    def run(i):
        got[i] = clf.predict_proba(X)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for g in got:
        np.testing.assert_array_equal(g, want)


def test_keyboard_interrupt_ends_fit_after_an_epoch():
    """SIGINT during fit: KeyboardInterrupt, and the estimator still predicts (run in a
    child so that the signal reaches a main thread of its own)."""
    code = r"""
import os, signal, threading, numpy as np, mlp
rng = np.random.default_rng(0)
X = rng.normal(size=(20000, 50)); y = (X[:, 0] > 0).astype(int)
clf = mlp.MLPClassifier(hidden_layer_sizes=(256, 256), max_iter=10000, random_state=0)
threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
try:
    clf.fit(X, y)
    print("no interrupt")
except KeyboardInterrupt:
    print("interrupted", clf.predict(X[:3]).shape)
"""
    env = dict(os.environ)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=300)
    assert "interrupted (3,)" in out.stdout, out.stdout + out.stderr


def test_regressor_validation_scores_are_r2_of_the_held_out_rows():
    """With early_stopping the rows are held out as scikit-learn holds them (from the
    estimator's random_state); the network ends with the best epoch's weights, whose R²
    on those rows, by sklearn.metrics.r2_score, is the best validation score."""
    from sklearn.metrics import r2_score
    X, y = load_diabetes(return_X_y=True)
    reg = mlp.MLPRegressor(hidden_layer_sizes=(16,), max_iter=60, random_state=4,
                           early_stopping=True, n_iter_no_change=5).fit(X, y)
    seed = np.random.RandomState(4).randint(0, 2**31 - 1)
    _, Xv, _, yv = train_test_split(X, y, test_size=0.1, random_state=seed)
    assert len(reg.validation_scores_) == reg.n_iter_
    assert reg.best_validation_score_ == max(reg.validation_scores_)
    assert r2_score(yv, reg.predict(Xv)) == pytest.approx(reg.best_validation_score_,
                                                          rel=1e-9)


def test_sgd_nesterov_and_adaptive_rate():
    Xtr, Xte, ytr, yte = iris()
    for nesterov in (True, False):
        for rate in ("constant", "adaptive"):
            clf = mlp.MLPClassifier(hidden_layer_sizes=(16,), solver="sgd", max_iter=200,
                                    learning_rate_init=0.05, nesterovs_momentum=nesterov,
                                    learning_rate=rate, random_state=0).fit(Xtr, ytr)
            assert clf.score(Xte, yte) > 0.8, (nesterov, rate)
    with pytest.raises(ValueError, match="invscaling"):
        mlp.MLPClassifier(learning_rate="invscaling").fit(Xtr, ytr)


def test_dataframe_column_names_go_into_the_model(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = load_iris(return_X_y=True, as_frame=True)
    clf = mlp.MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(X, y)
    assert list(clf.feature_names_in_) == list(X.columns)
    path = tmp_path / "iris.mlp"
    clf.save(str(path))
    back = mlp.load(str(path))
    assert list(back.feature_names_in_) == list(X.columns)
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X.to_numpy())
    assert isinstance(X, pd.DataFrame)


def test_a_model_of_a_text_table_reads_the_table(tmp_path):
    """mlp train on penguins (text columns, empty cells) -> mlp.load: feature_names_in_
    are the table's columns, and a DataFrame of them (any order, text, NaN, None, an
    island never seen) is predicted as `mlp predict` predicts the same rows, to the
    bit; a 2-D array of the columns in order too; a missing column is an error."""
    pd = pytest.importorskip("pandas")
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    table = os.path.join(top, "examples", "data", "penguins.csv")
    model, rows, out = tmp_path / "p.mlp", tmp_path / "new.csv", tmp_path / "pred.csv"
    subprocess.run([os.environ["MLP_TOOL"], "train", table, "--target", "species", "--hidden",
                    "16", "--epochs", "30", "-q", "-o", str(model)], check=True,
                   stdout=subprocess.DEVNULL)
    rows.write_text("sex,year,body_mass_g,flipper_length_mm,bill_depth_mm,bill_length_mm,"
                    "island\nmale,2009,5400,225,15.5,49.0,Biscoe\n,2008,,,,,Atlantis\n"
                    "female,2007,3400,185,18.0,38.5,NA\n")
    subprocess.run([os.environ["MLP_TOOL"], "predict", str(model), str(rows), "-q", "-o",
                    str(out)], check=True, stderr=subprocess.DEVNULL)
    want = np.loadtxt(out, delimiter=",", skiprows=1, usecols=(1, 2, 3))
    clf = mlp.load(str(model))
    assert list(clf.feature_names_in_) == ["island", "bill_length_mm", "bill_depth_mm",
                                           "flipper_length_mm", "body_mass_g", "sex", "year"]
    assert clf.n_features_in_ == 7
    new = pd.DataFrame({"sex": ["male", None, "female"], "year": [2009, 2008, 2007],
                        "body_mass_g": [5400, np.nan, 3400],
                        "flipper_length_mm": [225, None, 185],
                        "bill_depth_mm": [15.5, None, 18.0],
                        "bill_length_mm": [49.0, None, 38.5],
                        "island": ["Biscoe", "Atlantis", "NA"]})
    with pytest.warns(UserWarning, match="1 value the model did not see"):
        got = clf.predict_proba(new)
    np.testing.assert_array_equal(got, want)  # %.17g in the file: the same doubles
    assert list(clf.predict(new.iloc[[0, 2]])) == ["Gentoo", "Adelie"]
    full = pd.read_csv(table)
    inputs = full.drop(columns="species")
    np.testing.assert_array_equal(clf.predict_proba(inputs.to_numpy()),
                                  clf.predict_proba(inputs))
    assert clf.score(inputs, full["species"]) > 0.9
    with pytest.raises(ValueError, match="no column 'island'"):
        clf.predict(new.drop(columns="island"))
    with pytest.raises(ValueError, match="not a finite number"):
        clf.predict(new.assign(body_mass_g=["heavy", 1, 2]))
    with pytest.raises(ValueError, match="partial_fit cannot continue it"):
        clf.partial_fit(inputs, full["species"])
    # fitted again (on numbers), it is an estimator of numbers
    numbers = inputs.select_dtypes("number").fillna(0)
    clf.fit(numbers, full["species"])
    assert list(clf.feature_names_in_) == list(numbers.columns)
    assert clf.score(numbers, full["species"]) > 0.5
