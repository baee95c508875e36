"""The compiled trees give LightGBM's own raw scores and probabilities, missing values included,
and Saabas contributions that add up to the raw score."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pytest

from fraudforge.models import FraudModel, ModelData, load_model, save_model, train_model
from fraudforge.models._masks import MAX_LEAVES, MaskTables
from fraudforge.models._store import TextClassifier
from fraudforge.models.compiled import (
    CompiledTrees,
    ModelTextError,
    TextBooster,
    UnsupportedModelError,
    lightgbm_booster,
    parse_model_text,
    top_positive,
)

RTOL = 1e-12


@dataclass(frozen=True)
class Trained:
    """A scenario's model data and a LightGBM model trained on a subset of its features."""

    data: ModelData
    model: FraudModel


@pytest.fixture(scope="module")
def trained(small_data: ModelData) -> Trained:
    """A 60-tree LightGBM model on every other feature, in reverse order (not the layout's)."""
    model = train_model(
        small_data,
        features=small_data.features[::2][::-1],
        params={"n_estimators": 60, "num_leaves": 15, "min_child_samples": 10},
        name="fraud-lightgbm",
    )
    return Trained(small_data, model)


def _matrix(trained: Trained) -> np.ndarray:
    return trained.model.matrix(trained.data)


def test_real_rows_match_lightgbm(trained: Trained) -> None:
    """Every row of the scenario scores the same raw value and probability as the booster."""
    booster = lightgbm_booster(trained.model.estimator)
    assert booster is not None
    x = _matrix(trained)
    assert np.isnan(x).any(), "the real rows should include missing values"
    compiled = CompiledTrees.from_booster(booster)
    assert compiled.n_trees == booster.num_trees()
    np.testing.assert_allclose(
        compiled.raw_many(x), booster.predict(x, raw_score=True), rtol=RTOL, atol=0
    )
    np.testing.assert_allclose(
        compiled.probability_many(x), trained.model.score(x), rtol=RTOL, atol=0
    )
    for i in range(0, x.shape[0], 997):
        assert compiled.raw(x[i]) == pytest.approx(compiled.raw_many(x[i : i + 1])[0], rel=RTOL)
        assert compiled.probability(x[i]) == pytest.approx(
            float(trained.model.score(x[i : i + 1])[0]), rel=RTOL
        )


def test_registry_round_trip_compiles_the_same(trained: Trained, tmp_path: Path) -> None:
    """A model saved and loaded (a BoosterClassifier from LightGBM's text) compiles to the same
    scores."""
    loaded = load_model(save_model(trained.model, tmp_path / "m"))
    booster = lightgbm_booster(loaded.estimator)
    assert booster is not None
    x = _matrix(trained)[:5000]
    np.testing.assert_allclose(
        CompiledTrees.from_booster(booster).probability_many(x),
        loaded.score(x),
        rtol=RTOL,
        atol=0,
    )


def _missing_types(dump: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    stack = [t["tree_structure"] for t in dump["tree_info"]]
    while stack:
        node = stack.pop()
        if "split_feature" in node:
            seen.add(node["missing_type"])
            stack += [node["left_child"], node["right_child"]]
    return seen


@pytest.mark.parametrize("zero_as_missing", [False, True])
def test_missing_value_directions(zero_as_missing: bool) -> None:
    """NaN, zeros, tiny values and negative zero follow each split's missing type and default
    direction as LightGBM does (missing types None, NaN and Zero)."""
    rng = np.random.default_rng(5)
    n = 4000
    x = rng.normal(size=(n, 4))
    x[rng.random(n) < 0.2, 0] = np.nan  # feature 0 has NaN in training: missing type NaN
    x[rng.random(n) < 0.3, 1] = 0.0  # feature 1 has many zeros
    y = (np.nan_to_num(x[:, 0], nan=1.5) + x[:, 1] + 0.5 * x[:, 2] > 0.3).astype(int)
    y[np.isnan(x[:, 0])] ^= rng.random(int(np.isnan(x[:, 0]).sum())) < 0.3
    booster = lgb.train(
        {"objective": "binary", "num_leaves": 8, "verbose": -1, "zero_as_missing": zero_as_missing,
         "min_data_in_leaf": 5},
        lgb.Dataset(x, y),
        num_boost_round=40,
    )  # fmt: skip
    dump = booster.dump_model()
    expected = {"Zero"} if zero_as_missing else {"NaN", "None"}  # NaN is zero then
    assert expected <= _missing_types(dump)
    probe = rng.normal(size=(3000, 4))
    for col in range(4):  # every feature sees NaN, exact and tiny zeros: None splits get NaN too
        probe[rng.random(3000) < 0.15, col] = np.nan
        probe[rng.random(3000) < 0.1, col] = 0.0
        probe[rng.random(3000) < 0.05, col] = -0.0
        probe[rng.random(3000) < 0.05, col] = 1e-40
    compiled = CompiledTrees.from_dump(dump)
    np.testing.assert_allclose(
        compiled.raw_many(probe), booster.predict(probe, raw_score=True), rtol=RTOL, atol=0
    )
    np.testing.assert_allclose(
        compiled.probability_many(probe), booster.predict(probe), rtol=RTOL, atol=0
    )
    probe[rng.random(probe.shape) < 0.02] = np.inf
    probe[rng.random(probe.shape) < 0.02] = -np.inf
    _explain_is_the_walk(compiled, probe)


def _explain_is_the_walk(compiled: CompiledTrees, rows: np.ndarray) -> None:
    """``explain`` of each row gives the walk's raw score and contributions, to the bit, and
    their top three."""
    walked, explained = np.empty(rows.shape[1]), np.full(rows.shape[1], 7.0)
    top, expected = np.zeros(3, dtype=np.int64), np.zeros(3, dtype=np.int64)
    for x in rows:
        raw, n = compiled.explain(x, explained, 3, top)
        assert raw == compiled.contributions(x, walked)
        assert explained.tolist() == walked.tolist()
        assert n == top_positive(walked, 3, expected)
        assert top[:n].tolist() == expected[:n].tolist()


def test_random_forest_averages_its_trees() -> None:
    """A random-forest booster (average_output): LightGBM's raw score is the trees' sum, its
    probability the sigmoid of their mean."""
    rng = np.random.default_rng(8)
    x = rng.normal(size=(2000, 3))
    y = (x[:, 0] - x[:, 1] > 0).astype(int)
    booster = lgb.train(
        {"objective": "binary", "boosting": "rf", "bagging_fraction": 0.7, "bagging_freq": 1,
         "num_leaves": 8, "verbose": -1},
        lgb.Dataset(x, y),
        num_boost_round=15,
    )  # fmt: skip
    compiled = CompiledTrees.from_booster(booster)
    np.testing.assert_allclose(
        compiled.raw_many(x), booster.predict(x, raw_score=True), rtol=RTOL, atol=0
    )
    np.testing.assert_allclose(compiled.probability_many(x), booster.predict(x), rtol=RTOL, atol=0)
    assert compiled.probability(x[0]) == pytest.approx(float(booster.predict(x[:1])[0]), rel=RTOL)


def test_contributions_sum_to_raw(trained: Trained) -> None:
    """Saabas contributions plus the bias equal the raw score on every sampled row, and only the
    model's split features get any."""
    booster = lightgbm_booster(trained.model.estimator)
    compiled = CompiledTrees.from_booster(booster)
    x = _matrix(trained)
    used = set(compiled.split_features.tolist())
    out = np.empty(x.shape[1])
    for i in range(0, x.shape[0], 211):
        raw = compiled.contributions(x[i], out)
        assert raw == pytest.approx(compiled.raw(x[i]), rel=RTOL)
        assert out.sum() + compiled.bias == pytest.approx(raw, abs=1e-9)
        assert set(np.flatnonzero(out).tolist()) <= used


@pytest.mark.parametrize("trees", [60, 59, 3, 1])
def test_explain_is_contributions_and_their_top(trained: Trained, trees: int) -> None:
    """``explain`` (leaves found by masks) gives the same raw score and contributions as
    ``contributions``' walk (exactly, over leftovers in its buffer) and the indices
    ``top_positive`` picks from them, on the model's first ``trees`` trees."""
    whole = CompiledTrees.from_booster(lightgbm_booster(trained.model.estimator))
    compiled = CompiledTrees(
        ints=whole.ints,
        floats=whole.floats,
        roots=whole.roots[:trees],
        n_features=whole.n_features,
        sigmoid=whole.sigmoid,
    )
    x = _matrix(trained)
    out, again = np.empty(x.shape[1]), np.full(x.shape[1], 7.0)
    top, expected = np.zeros(3, dtype=np.int64), np.zeros(3, dtype=np.int64)
    for i in range(0, x.shape[0], 97):
        raw, n = compiled.explain(x[i], again, 3, top)
        assert raw == compiled.contributions(x[i], out)
        assert again.tolist() == out.tolist()
        assert n == top_positive(out, 3, expected)
        assert top[:n].tolist() == expected[:n].tolist()
    assert compiled.explain(x[0], again, 0, top)[1] == 0


def test_top_positive_is_the_sorted_positives() -> None:
    """``top_positive`` gives the positive entries by value, largest first and of equal ones
    the first, cut at ``k``, on random vectors with ties, zeros, negatives and NaN."""
    rng = np.random.default_rng(11)
    out = np.zeros(8, dtype=np.int64)
    for _ in range(2000):
        picks = rng.choice([-1.0, 0.0, 0.25, 0.5, 1.0, np.nan], size=12) * rng.integers(1, 3, 12)
        c = np.asarray(picks, dtype=np.float64)
        expected = sorted((j for j in range(12) if c[j] > 0), key=lambda j: (-c[j], j))
        for k in (0, 1, 3, 8):
            n = top_positive(c, k, out)
            assert out[:n].tolist() == expected[:k]


def leaf(value: float) -> dict[str, float]:
    """A leaf node of a dump."""
    return {"leaf_value": value}


def _hand_dump() -> dict[str, Any]:
    """One tree: x0 <= 1 (NaN goes right) then x1 <= 0 (missing type None), values hand-picked."""
    return {
        "num_tree_per_iteration": 1,
        "objective": "binary sigmoid:2",
        "max_feature_idx": 1,
        "feature_names": ["a", "b"],
        "tree_info": [
            {
                "tree_structure": {
                    "split_feature": 0, "threshold": 1.0, "decision_type": "<=",
                    "default_left": False, "missing_type": "NaN", "internal_value": 0.5,
                    "left_child": {
                        "split_feature": 1, "threshold": 0.0, "decision_type": "<=",
                        "default_left": True, "missing_type": "None", "internal_value": 0.25,
                        "left_child": leaf(-1.0), "right_child": leaf(2.0),
                    },
                    "right_child": leaf(3.0),
                }
            },
            {"tree_structure": leaf(0.125)},
        ],
    }  # fmt: skip


def test_hand_checked_tree() -> None:
    """Scores and contributions of a hand-built two-tree model, worked out by hand."""
    compiled = CompiledTrees.from_dump(_hand_dump())
    assert compiled.bias == 0.5 + 0.125
    assert compiled.deepest == 2
    cases = [
        ([0.5, -1.0], -1.0, [0.25 - 0.5, -1.0 - 0.25]),
        ([0.5, np.nan], -1.0, [-0.25, -1.25]),  # NaN on a None split counts as 0.0 <= 0: left
        ([1.0, 0.1], 2.0, [-0.25, 1.75]),
        ([np.nan, 5.0], 3.0, [2.5, 0.0]),  # NaN on a NaN split: the default (right)
        ([1.5, -7.0], 3.0, [2.5, 0.0]),
    ]
    out = np.empty(2)
    for row, leaf, contrib in cases:
        x = np.array(row)
        assert compiled.raw(x) == leaf + 0.125
        assert compiled.probability(x) == 1.0 / (1.0 + np.exp(-2.0 * (leaf + 0.125)))
        assert compiled.contributions(x, out) == leaf + 0.125
        np.testing.assert_array_equal(out, contrib)


def test_hand_checked_masks() -> None:
    """The hand-built model's mask tables: leaves numbered left to right per tree, each split's
    mask clearing its left subtree's leaves, splits grouped by feature, each leaf's path."""
    tables = MaskTables.of(*_node_arrays(CompiledTrees.from_dump(_hand_dump())))
    assert tables is not None
    assert tables.leaf_value.tolist() == [-1.0, 2.0, 3.0, 0.125]
    assert tables.first_leaf.tolist() == [0, 3]
    assert tables.full.tolist() == [0b111, 0b1]
    assert tables.start.tolist() == [0, 1, 2]  # one split on feature 0, one on feature 1
    assert tables.threshold.tolist() == [1.0, 0.0]
    assert tables.tree.tolist() == [0, 0]
    assert tables.mask.tolist() == [0b100, 0b110]
    # feature 0's split (NaN type, default right): NaN right, zero by its threshold 1 (left);
    # feature 1's (None type, default left): NaN and zero both as 0.0 <= 0, left
    assert tables.flags.tolist() == [1, 0]
    assert tables.path_start.tolist() == [0, 2, 4, 5, 5]
    assert tables.path_feature.tolist() == [0, 1, 0, 1, 0]
    assert tables.path_change.tolist() == [-0.25, -1.25, -0.25, 1.75, 2.5]


def _node_arrays(compiled: CompiledTrees) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return compiled.ints, compiled.floats, compiled.roots


@pytest.mark.parametrize("leaves", [MAX_LEAVES, MAX_LEAVES + 36])
def test_trees_of_many_leaves(leaves: int) -> None:
    """Trees of up to 64 leaves fit the masks (every bit of one used); a wider tree has no mask
    tables and ``explain`` walks it. Either way, the same doubles as ``contributions``."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3000, 5))
    x[rng.random(3000) < 0.1, 2] = np.nan
    y = (x[:, 0] + np.sin(3 * x[:, 1]) + np.nan_to_num(x[:, 2]) > 0).astype(int)
    params = {"objective": "binary", "num_leaves": leaves, "min_data_in_leaf": 2, "verbose": -1}
    compiled = CompiledTrees.from_dump(
        lgb.train(params, lgb.Dataset(x, y), num_boost_round=5).dump_model()
    )
    first = compiled.ints[compiled.roots[0] : compiled.roots[1], 0]
    assert int(np.count_nonzero(first < 0)) == leaves
    tables = MaskTables.of(*_node_arrays(compiled))
    assert (tables is None) == (leaves > MAX_LEAVES)
    _explain_is_the_walk(compiled, x[:500])


def test_reindexed_reads_a_wider_row() -> None:
    """Reindexed to columns (4, 1) of a wide row, the model scores as on its own two columns."""
    compiled = CompiledTrees.from_dump(_hand_dump())
    wide = compiled.reindexed([4, 1])
    for a, b in [(0.5, -1.0), (1.0, 0.1), (np.nan, 5.0)]:
        row = np.array([9.0, b, 9.0, 9.0, a])
        assert wide.raw(row) == compiled.raw(np.array([a, b]))
    with pytest.raises(ValueError, match="one column per model feature"):
        compiled.reindexed([1, 2, 3])


def test_unsupported_models_are_refused() -> None:
    """Categorical splits and multiclass models are refused with what is allowed."""
    dump = _hand_dump()
    dump["tree_info"][0]["tree_structure"]["decision_type"] = "=="
    with pytest.raises(UnsupportedModelError, match="only numerical splits"):
        CompiledTrees.from_dump(dump)
    with pytest.raises(UnsupportedModelError, match="allowed is a binary classifier"):
        CompiledTrees.from_dump({**_hand_dump(), "num_tree_per_iteration": 3})
    with pytest.raises(UnsupportedModelError, match="objective 'regression'"):
        CompiledTrees.from_dump({**_hand_dump(), "objective": "regression"})
    assert lightgbm_booster(object()) is None


def test_the_text_model_scores_as_lightgbm(trained: Trained) -> None:
    """Read from LightGBM's text model without LightGBM, the trees give ``Booster.predict``'s raw
    scores and probabilities on every row of the scenario (missing values included), and the
    same raw scores as the trees compiled from the booster's own dump (``from_booster`` reads
    the text too, so the service and an in-process scorer compile the same doubles)."""
    booster = lightgbm_booster(trained.model.estimator)
    assert booster is not None
    text = booster.model_to_string()
    reread = lgb.Booster(model_str=text)
    x = _matrix(trained)
    from_text = TextBooster(text)
    assert from_text.num_trees() == reread.num_trees() == 60
    assert from_text.num_feature() == reread.num_feature() == x.shape[1]
    np.testing.assert_allclose(
        from_text.predict(x, raw_score=True), reread.predict(x, raw_score=True), rtol=RTOL, atol=0
    )
    np.testing.assert_allclose(from_text.predict(x), reread.predict(x), rtol=RTOL, atol=0)
    np.testing.assert_array_equal(
        CompiledTrees.from_text(text).raw_many(x),
        CompiledTrees.from_dump(booster.dump_model()).raw_many(x),
    )
    # contributions come from the text's internal values (6 digits): they still add up
    compiled, out = from_text.trees, np.empty(x.shape[1])
    for i in range(0, x.shape[0], 499):
        raw = compiled.contributions(x[i], out)
        assert out.sum() + compiled.bias == pytest.approx(raw, abs=1e-9)
    served = TextClassifier(text, classes=(False, True))
    assert lightgbm_booster(served) is served.booster_
    np.testing.assert_allclose(served.predict_proba(x)[:, 1], reread.predict(x), rtol=RTOL)


HAND_TEXT = """tree
version=v4
num_class=1
num_tree_per_iteration=1
label_index=0
max_feature_idx=1
objective=binary sigmoid:2
feature_names=a b
feature_infos=none none
tree_sizes=1 1

Tree=0
num_leaves=3
num_cat=0
split_feature=0 1
split_gain=1 1
threshold=1 0
decision_type=8 2
left_child=1 -1
right_child=-3 -2
leaf_value=-1 2 3
internal_value=0.5 0.25
is_linear=0
shrinkage=1


Tree=1
num_leaves=1
num_cat=0
split_feature=
split_gain=
threshold=
decision_type=
left_child=
right_child=
leaf_value=0.125
is_linear=0
shrinkage=1


end of trees

feature_importances:
a=1
b=1
"""
"""``_hand_dump``'s model as LightGBM's text model (decision type 8: missing type NaN, default
right; 2: missing type None, default left; a negative child ``~i`` is leaf ``i``)."""


def test_the_hand_text_reads_as_the_hand_dump() -> None:
    """The text form of the hand-built model parses to its dump's trees and compiles to the
    same arrays."""
    parsed = parse_model_text(HAND_TEXT)
    dump = _hand_dump()
    assert [t["tree_structure"] for t in parsed["tree_info"]] == [
        t["tree_structure"] for t in dump["tree_info"]
    ]
    assert parsed["feature_names"] == ["a", "b"]
    assert parsed["objective"] == "binary sigmoid:2"
    a, b = CompiledTrees.from_text(HAND_TEXT), CompiledTrees.from_dump(dump)
    for got, want in [(a.ints, b.ints), (a.floats, b.floats), (a.roots, b.roots)]:
        np.testing.assert_array_equal(got, want)
    assert (a.sigmoid, a.n_features, a.average) == (2.0, 2, False)
    averaged = HAND_TEXT.replace(
        "objective=binary sigmoid:2\n", "objective=binary sigmoid:2\naverage_output\n"
    )
    assert CompiledTrees.from_text(averaged).average


@pytest.mark.parametrize(
    ("old", "new", "error", "match"),
    [
        ("end of trees", "end of", ModelTextError, "no `end of trees` line"),
        ("leaf_value=-1 2 3", "leaf_value=-1 2", ModelTextError, "leaf_value has 2 values"),
        ("threshold=1 0", "threshold=1 x", ModelTextError, "tree 0: threshold holds a value that"),
        ("Tree=1", "Tree=5", ModelTextError, "'Tree=5', expected Tree=1"),
        ("tree_sizes=1 1", "tree_sizes=1 1 1", ModelTextError, "lists 3 trees, the text has 2"),
        ("left_child=1 -1", "left_child=1 -7", ModelTextError, "tree 0 has a child -7 outside"),
        ("left_child=1 -1", "left_child=0 -1", ModelTextError, "tree 0 has a cycle"),
        ("max_feature_idx=1\n", "", ModelTextError, "no valid max_feature_idx"),
        ("tree\nversion", "version", ModelTextError, "does not start with `tree`"),
        ("is_linear=0\nshrinkage=1\n\n\nTree=1", "is_linear=1\nshrinkage=1\n\n\nTree=1",
         UnsupportedModelError, "tree 0 is a linear tree"),
        ("decision_type=8 2", "decision_type=9 2", UnsupportedModelError, "only numerical splits"),
    ],
)  # fmt: skip
def test_a_damaged_text_is_refused_with_what_is_wrong(
    old: str, new: str, error: type[Exception], match: str
) -> None:
    """A truncated or altered text model is an error naming what is wrong (never a crash); what
    the walk cannot compute (linear trees, categorical splits) is refused as unsupported."""
    assert old in HAND_TEXT
    with pytest.raises(error, match=match):
        CompiledTrees.from_text(HAND_TEXT.replace(old, new, 1))
