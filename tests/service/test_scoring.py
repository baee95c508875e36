"""Scorer: online features in, the batch model's scores, decisions, reasons and fraud types out;
feedback feeds the delayed-label features; a registry round trip serves the same."""

from __future__ import annotations

import collections
from pathlib import Path

import msgspec
import numpy as np
import pytest

from fraudforge.features.layout import COL, LAYOUT
from fraudforge.features.online import OnlineFeatures
from fraudforge.models import FraudModel, Registry, train_model
from fraudforge.models.compiled import top_positive
from fraudforge.models.fraud_type import TYPE_SUFFIX, FraudTypes, fit_fraud_type
from fraudforge.service.scoring import Scorer, risk_score, transactions_of
from fraudforge.wire import Feedback, Thresholds, Transaction
from tests.service.conftest import Served

N = 4000


@pytest.fixture(scope="module")
def type_model(served: Served) -> FraudModel:
    """A fraud-type model over the fraud model's features."""
    return fit_fraud_type(served.data, features=served.model.features, name="t")


@pytest.fixture(scope="module")
def txns(served: Served) -> list[Transaction]:
    """The first N transactions as wire structs."""
    return transactions_of(served.transactions.head(N))


def _online(served: Served) -> OnlineFeatures:
    return OnlineFeatures.from_customers(served.customers, served.outlier)


def test_scores_equal_the_batch_model(
    served: Served, txns: list[Transaction], type_model: FraudModel
) -> None:
    """Online scores equal the model on the batch features of the same rows; decisions, risk,
    reasons and fraud types follow from them."""
    thresholds = Thresholds(flag=0.2, review=0.5, block=0.8)
    types = FraudTypes(type_model)
    scorer = Scorer(
        served.model, _online(served), thresholds=thresholds, version=4, fraud_types=types
    )
    results = [scorer.score(t) for t in txns]
    batch = served.model.score(served.data)[:N]
    assert [r.transaction_id for r in results] == served.data.transaction_id[:N].tolist()
    got = np.array([r.fraud_probability for r in results])
    np.testing.assert_allclose(got, batch, rtol=1e-9, atol=1e-12)
    expected_types = type_model.estimator.predict(served.model.matrix(served.data)[:N])
    assert [r.fraud_type for r in results] == expected_types.tolist()
    for r in results:
        assert r.decision == thresholds.decide(r.fraud_probability)
        assert r.risk_score == risk_score(r.fraud_probability)
        assert r.model.name == "fraud-lightgbm"
        assert r.model.version == 4
        assert 0.0 < r.processing_ms < 1000.0
        assert len(r.reasons) <= 3
        contributions = [reason.contribution for reason in r.reasons]
        assert contributions == sorted(contributions, reverse=True)
        assert all(c > 0 for c in contributions)
        assert {reason.feature for reason in r.reasons} <= set(served.model.features)
    assert {r.decision for r in results} >= {"ALLOW", "BLOCK"}


def test_reasons_are_the_largest_contributions(served: Served, txns: list[Transaction]) -> None:
    """Each reason is a model feature with its row value and Saabas contribution, the top ones
    of the row's contributions."""
    scorer = Scorer(served.model, _online(served), top_k=5)
    x = served.model.matrix(served.data)
    compiled = Scorer(served.model, _online(served)).compiled
    assert compiled is not None
    plain = compiled.__class__.from_booster(served.model.estimator.booster_)
    out = np.empty(x.shape[1])
    for i, txn in enumerate(txns[:500]):
        result = scorer.score(txn)
        plain.contributions(x[i], out)
        order = np.argsort(-out, kind="stable")
        top = [served.model.features[j] for j in order[:5] if out[j] > 0]
        assert [r.feature for r in result.reasons] == top
        for reason in result.reasons:
            j = served.model.features.index(reason.feature)
            assert reason.contribution == pytest.approx(out[j], rel=1e-9, abs=1e-12)
            if np.isnan(x[i, j]):
                assert reason.value is None
            else:
                assert reason.value == pytest.approx(x[i, j], rel=1e-9, abs=1e-12)


def test_answers_are_the_rows_explained(
    served: Served, txns: list[Transaction], type_model: FraudModel
) -> None:
    """Each answer (found in one kernel call after the features) holds exactly what the row's
    ``explain`` and fraud-type ``predict`` give: the probability of its raw score, the top
    five features with their row values (None for NaN) and contributions, and the type."""
    types = FraudTypes(type_model)
    scorer = Scorer(served.model, _online(served), top_k=5, fraud_types=types)
    online = _online(served)
    compiled = scorer.compiled
    assert compiled is not None
    contrib, top = np.empty(len(LAYOUT)), np.zeros(5, dtype=np.int64)
    # every other transaction without its optional signals (missing values in its row)
    blanks = dict.fromkeys(("payee_handle_age_days", "device_bound_days", "sim_changed_days"))
    sent = [msgspec.structs.replace(t, **blanks) if i % 2 else t for i, t in enumerate(txns)]
    for txn in sent:
        result = scorer.score(txn)
        row = online.process_row(txn)
        raw, n = compiled.explain(row, contrib, 5, top)
        assert result.fraud_probability == compiled.to_probability(raw)
        picked = top[:n].tolist()
        assert [r.feature for r in result.reasons] == [LAYOUT[j] for j in picked]
        assert [r.contribution for r in result.reasons] == [float(contrib[j]) for j in picked]
        values = [None if np.isnan(row[j]) else float(row[j]) for j in picked]
        assert [r.value for r in result.reasons] == values
        assert result.fraud_type == types.predict(row, np.array([COL[f] for f in types.features]))


def test_score_many_keeps_order_and_state(served: Served, txns: list[Transaction]) -> None:
    """A batch gives the same results, in input order, as scoring one at a time."""
    one = Scorer(served.model, _online(served))
    many = Scorer(served.model, _online(served))
    singles = [one.score(t) for t in txns[:600]]
    batch = many.score_many(txns[:300]) + many.score_many(txns[300:600])
    assert [r.transaction_id for r in batch] == [t.transaction_id for t in txns[:600]]
    assert [r.fraud_probability for r in batch] == [r.fraud_probability for r in singles]
    assert many.score_many([]) == []


def test_feedback_feeds_the_merchant_fraud_rate(served: Served, txns: list[Transaction]) -> None:
    """Confirmed fraud at a merchant raises its fraud rate for later transactions there."""
    at = [t for t in txns if t.merchant_id is not None]
    # The busiest merchant: most merchants see a customer or two in a small dataset.
    merchant = collections.Counter(t.merchant_id for t in at).most_common(1)[0][0]
    later = [t for t in at if t.merchant_id == merchant][:2]
    assert len(later) == 2
    with_label = _online(served)
    without = _online(served)
    for online in (with_label, without):
        online.process_row({f: getattr(later[0], f) for f in Transaction.__struct_fields__})
    scorer = Scorer(served.model, with_label)
    scorer.feedback(
        Feedback(
            transaction_id=later[0].transaction_id,
            customer_id=later[0].customer_id,
            merchant_id=merchant,
            device_id=None,
            kind="chargeback",
            known_at=later[0].timestamp,
        )
    )
    fields = {f: getattr(later[1], f) for f in Transaction.__struct_fields__}
    assert with_label.process(fields)["merchant_fraud_rate"] > 0.0
    assert without.process(fields)["merchant_fraud_rate"] == 0.0


def test_other_kinds_fall_back_to_the_model(served: Served, txns: list[Transaction]) -> None:
    """A logistic model scores through FraudModel.score (same as batch) and gives no reasons."""
    logistic = train_model(served.data, kind="logistic", features=served.model.features[:10])
    scorer = Scorer(logistic, _online(served))
    assert scorer.compiled is None
    results = scorer.score_many(txns[:800])
    batch = logistic.score(served.data)[:800]
    np.testing.assert_allclose([r.fraud_probability for r in results], batch, rtol=1e-9)
    assert all(r.reasons == [] for r in results)
    assert all(r.fraud_type == "none" for r in results)
    single = Scorer(logistic, _online(served)).score(txns[0])
    assert single.fraud_probability == pytest.approx(batch[0], rel=1e-9)


def test_from_registry_serves_the_registered_pair(
    served: Served, txns: list[Transaction], type_model: FraudModel, tmp_path: Path
) -> None:
    """The registered model and its ``-type`` companion load into a scorer that scores the same."""
    registry = Registry(tmp_path / "reg")
    registry.register(served.model, name="fraud")
    registry.promote("fraud", 1, "staging")
    registry.register(type_model, name="fraud" + TYPE_SUFFIX)
    scorer = Scorer.from_registry(tmp_path / "reg", "fraud", _online(served), stage="staging")
    assert scorer.ref.name == "fraud"
    assert scorer.ref.version == 1
    assert scorer.fraud_types is not None
    direct = Scorer(served.model, _online(served), fraud_types=FraudTypes(type_model))
    for t in txns[:200]:
        a, b = scorer.score(t), direct.score(t)
        assert (a.fraud_probability, a.fraud_type) == (b.fraud_probability, b.fraud_type)
    swapped = scorer.with_model(served.model, version=9)
    assert swapped.online is scorer.online
    assert swapped.lock is scorer.lock
    assert swapped.ref.version == 9


def test_small_pieces_by_hand() -> None:
    """risk_score rounds half up within 0-100; top_positive picks the largest positive entries."""
    assert [risk_score(p) for p in (0.0, 0.004, 0.005, 0.5, 0.994, 0.995, 1.0)] == [
        0, 0, 1, 50, 99, 100, 100,
    ]  # fmt: skip
    out = np.zeros(3, dtype=np.int64)
    assert top_positive(np.array([0.1, -2.0, 0.5, 0.0, 0.3]), 3, out) == 3
    assert out.tolist() == [2, 4, 0]
    assert top_positive(np.array([-0.1, 0.0, 0.2]), 3, out) == 1
    assert out[0] == 2


def test_bad_setup_is_refused(served: Served) -> None:
    """An out-of-range top_k and a model reading a feature the online side lacks (an unknown
    name, or one the catalogue has replaced) are refused."""
    with pytest.raises(ValueError, match="top_k 99 is out of range"):
        Scorer(served.model, _online(served), top_k=99)
    odd = FraudModel(kind="lightgbm", estimator=served.model.estimator, features=["nope"])
    with pytest.raises(ValueError, match="reads nope"):
        Scorer(odd, _online(served))
    # A model of the catalogue before issue 16 (outside a registry, which refuses it by its
    # catalogue hash): named, never scored with other columns.
    old = FraudModel(
        kind="lightgbm",
        estimator=served.model.estimator,
        features=["txn_count_1h", "is_new_merchant", "micro_txn_count_1h"],
    )
    with pytest.raises(ValueError, match="reads is_new_merchant, micro_txn_count_1h, which"):
        Scorer(old, _online(served))


def test_warm_up_leaves_the_state_and_scores_unchanged(
    served: Served, txns: list[Transaction], type_model: FraudModel
) -> None:
    """``warm_up`` runs the kernels on a throwaway state: the served state is bit-identical
    afterwards, and the scores equal those of a scorer never warmed up."""
    types = FraudTypes(type_model)
    cold = Scorer(served.model, _online(served), fraud_types=types)
    warm = Scorer(served.model, _online(served), fraud_types=types)
    for t in txns[:200]:
        warm.score(t)
        cold.score(t)
    before = warm.online.to_state()
    assert warm.warm_up() >= 0.0
    after = warm.online.to_state()
    assert before.keys() == after.keys()
    for key in before:
        np.testing.assert_array_equal(before[key], after[key])
    for t in txns[200:400]:
        assert warm.score(t).fraud_probability == cold.score(t).fraud_probability


WARM_CHECK = """
import numba
from fraudforge.engine.streaming import scan, scan_customers
from fraudforge.engine.scenario import Scenario
from fraudforge.features import compute_features, online_kernel
from fraudforge.features.layout import COL, LAYOUT
from fraudforge.features.online import OnlineFeatures
from fraudforge.models import model_data, train_model
from fraudforge.models import compiled
from fraudforge.service import scoring
from fraudforge.service.scoring import Scorer, transactions_of

sc = Scenario(customers=300, days=10, seed=3)
tx = scan(sc).collect().sort("timestamp", "transaction_id")
customers = scan_customers(sc).collect()
features, outlier = compute_features(tx, customers)
model = train_model(model_data(features, tx), params={"n_estimators": 5})
scorer = Scorer(model, OnlineFeatures.from_customers(customers, outlier))

def signatures():
    return {
        (mod.__name__, name): len(obj.signatures)
        for mod in (compiled, scoring, online_kernel)
        for name, obj in vars(mod).items()
        if isinstance(obj, numba.core.registry.CPUDispatcher)
    }

cold = signatures()
scorer.warm_up()
warmed = signatures()
scorer.score(transactions_of(tx.head(1))[0])
assert signatures() == warmed, "the first score compiled a kernel the warm-up missed"
assert warmed != cold, "the warm-up compiled nothing"
print("ok")
"""


def test_warm_up_compiles_every_kernel_of_a_score() -> None:
    """In a fresh interpreter: after ``warm_up`` the first score compiles no further kernel."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", WARM_CHECK], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")
