"""Feature importance on a model whose answer is known: one feature decides, one is its exact
double, one is noise and one is constant."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import polars as pl
import pytest

from fraudforge.analytics import importance as imp

NAMES = ("signal", "double", "noise", "constant")


@pytest.fixture(scope="module")
def fitted() -> tuple[lgb.LGBMClassifier, np.ndarray, np.ndarray]:
    """A small LightGBM fitted where y = signal > 0.8 (noise-free)."""
    rng = np.random.default_rng(5)
    signal = rng.random(3_000)
    x = np.c_[signal, 2 * signal + 1, rng.random(3_000), np.full(3_000, 4.0)]
    y = signal > 0.8
    model = lgb.LGBMClassifier(n_estimators=30, num_leaves=7, n_jobs=1, verbose=-1, seed=0)
    model.fit(x, y, feature_name=list(NAMES))
    return model, x, y


def test_gain_and_split(fitted: tuple[lgb.LGBMClassifier, np.ndarray, np.ndarray]) -> None:
    """The constant feature is never split on; gain shares sum to one."""
    model, _, _ = fitted
    table = imp.gain_split(model)
    assert set(table["feature"].to_list()) == set(NAMES)
    constant = table.filter(pl.col("feature") == "constant").row(0, named=True)
    assert (constant["gain"], constant["split"], constant["gain_share"]) == (0.0, 0, 0.0)
    assert table["gain_share"].sum() == pytest.approx(1.0)
    assert table["feature"][0] in ("signal", "double")


def test_permutation_importance(
    fitted: tuple[lgb.LGBMClassifier, np.ndarray, np.ndarray],
) -> None:
    """Shuffling the deciding feature costs average precision; the unused one costs exactly 0."""
    model, x, y = fitted
    table = imp.permutation_importance(model, x, y, names=NAMES, repeats=2, max_rows=1_000)
    drop = dict(zip(table["feature"], table["ap_drop"], strict=True))
    assert drop["constant"] == 0.0
    assert max(drop["signal"], drop["double"]) > 0.05
    assert abs(drop["noise"]) < 0.05
    with pytest.raises(ValueError, match="labels are all genuine"):
        imp.permutation_importance(model, x, np.zeros(x.shape[0]), names=NAMES)


def test_shap_values_add_up_to_the_raw_score(
    fitted: tuple[lgb.LGBMClassifier, np.ndarray, np.ndarray],
) -> None:
    """base + sum of contributions = the model's log-odds, row by row; the constant gets 0."""
    model, x, _ = fitted
    shap = imp.shap_values(model, x, names=NAMES, max_rows=200)
    raw = model.booster_.predict(shap.x, raw_score=True)
    np.testing.assert_allclose(shap.base + shap.values.sum(axis=1), raw, rtol=1e-9, atol=1e-9)
    assert np.all(shap.values[:, 3] == 0)
    assert shap.values.shape == (200, 4)
    assert shap.mean_abs()["feature"][0] in ("signal", "double")
    base, values = imp.explain_row(model, x[0], names=NAMES)
    assert base + values.sum() == pytest.approx(
        float(model.booster_.predict(x[:1], raw_score=True)[0])
    )


def test_partial_dependence_rises_with_the_signal(
    fitted: tuple[lgb.LGBMClassifier, np.ndarray, np.ndarray],
) -> None:
    """Setting every row's deciding feature high raises the mean probability; grid points are
    sorted distinct quantiles (one for a constant feature)."""
    model, x, _ = fitted
    split_on = imp.gain_split(model)["feature"][0]
    pd = imp.partial_dependence(model, x, names=NAMES, feature=split_on, grid_points=10)
    assert np.all(np.diff(pd.grid) > 0)
    assert pd.mean_prediction[-1] > pd.mean_prediction[0] + 0.5
    flat = imp.partial_dependence(model, x, names=NAMES, feature="constant")
    assert flat.grid.shape == (1,)
    with pytest.raises(ValueError, match="unknown feature `nope`"):
        imp.partial_dependence(model, x, names=NAMES, feature="nope")


def test_redundant_features(fitted: tuple[lgb.LGBMClassifier, np.ndarray, np.ndarray]) -> None:
    """The exact double of a more important feature is flagged with |r| = 1; noise is not."""
    _, x, _ = fitted
    out = imp.redundant_features(x, names=NAMES, order=["signal", "noise", "double", "constant"])
    assert out["feature"].to_list() == ["double"]
    assert out["kept"].to_list() == ["signal"]
    assert out["abs_corr"][0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="order must list"):
        imp.redundant_features(x, names=NAMES, order=["signal"])


def test_model_and_input_errors() -> None:
    """Unfitted or foreign models and tables without the model's features are refused."""
    with pytest.raises(ValueError, match="not fitted"):
        imp.as_booster(lgb.LGBMClassifier())
    with pytest.raises(TypeError, match=r"allowed are lightgbm\.Booster"):
        imp.as_booster("model")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lacks the model's feature"):
        imp.matrix(pl.DataFrame({"a": [1.0]}), ["a", "b"])
    m = imp.matrix(pl.DataFrame({"a": [1, None]}, schema={"a": pl.Int32}), ["a"])
    assert m.dtype == np.float64
    assert np.isnan(m[1, 0])


def test_permutation_importance_of_chosen_features(
    fitted: tuple[lgb.LGBMClassifier, np.ndarray, np.ndarray],
) -> None:
    """``only`` restricts the table to the named features; unknown names are refused."""
    model, x, y = fitted
    table = imp.permutation_importance(
        model, x, y, names=NAMES, repeats=1, max_rows=500, only=["noise", "constant"]
    )
    assert sorted(table["feature"].to_list()) == ["constant", "noise"]
    with pytest.raises(ValueError, match="unknown feature"):
        imp.permutation_importance(model, x, y, names=NAMES, only=["nope"])


def test_feature_names_for_a_model_fitted_on_unnamed_columns() -> None:
    """Names can be given to a model fitted without them, but must not contradict real ones."""
    rng = np.random.default_rng(1)
    x = rng.random((400, 2))
    y = x[:, 1] > 0.7
    unnamed = lgb.LGBMClassifier(n_estimators=5, n_jobs=1, verbose=-1).fit(x, y)
    assert imp.model_names(unnamed) == ["Column_0", "Column_1"]
    table = imp.gain_split(unnamed, names=["a", "b"])
    assert table["feature"][0] == "b"
    with pytest.raises(ValueError, match="has 1 names; the model has 2"):
        imp.model_names(unnamed, ["a"])
    named = lgb.LGBMClassifier(n_estimators=5, n_jobs=1, verbose=-1).fit(
        x, y, feature_name=["p", "q"]
    )
    with pytest.raises(ValueError, match="differ from the names"):
        imp.model_names(named, ["q", "p"])
