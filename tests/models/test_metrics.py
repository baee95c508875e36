"""Metrics on tiny hand-checked inputs: Card Precision@k, threshold metrics, budget, cost, and the
breakdowns by fraud and anomaly type."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fraudforge.models.metrics import Costs, card_precision_at_k, evaluate
from tests.models.cases import six


def test_card_precision_at_k_per_day_with_and_without_dropping_detected_cards() -> None:
    #            day 0 ----------------------  day 1 -------------
    entity = np.array([1, 1, 2, 3, 1, 3, 4])
    day = np.array([0, 0, 0, 0, 1, 1, 1])
    score = np.array([0.9, 0.1, 0.8, 0.7, 0.95, 0.6, 0.5])
    y = np.array([True, False, False, True, True, True, False])
    # day 0: card maxima 1:0.9 (compromised), 2:0.8, 3:0.7 (compromised) -> top 2 = {1, 2}: 1/2
    # day 1, card 1 dropped (detected on day 0): top 2 = {3, 4}: 1/2; kept: {1, 3}: 2/2
    assert card_precision_at_k(score, entity, day, y, 2) == 0.5
    assert card_precision_at_k(score, entity, day, y, 2, drop_detected=False) == 0.75
    # k larger than the active cards still divides by k: day 0 2/5; day 1 drops cards 1 and 3
    # (both detected on day 0), leaving card 4: 0/5
    assert card_precision_at_k(score, entity, day, y, 5) == pytest.approx(0.2)
    assert card_precision_at_k(score, entity, day, y, 5, drop_detected=False) == 0.4
    with pytest.raises(ValueError, match="`k` = 0"):
        card_precision_at_k(score, entity, day, y, 0)


def test_card_precision_ties_rank_the_smaller_id_first() -> None:
    y = np.array([False, True])
    assert card_precision_at_k(np.array([0.5, 0.5]), np.array([7, 9]), np.zeros(2), y, 1) == 0.0
    assert card_precision_at_k(np.array([0.5, 0.5]), np.array([9, 7]), np.zeros(2), y, 1) == 1.0


def test_evaluate_overall_metrics_by_hand() -> None:
    data, score = six()
    e = evaluate(data, score, threshold=0.5, k=2, alert_budget=1 / 3)
    # alerts: rows 0, 1, 4, 5; true positives 0 and 5; false positives 1 and 4
    assert (e.rows, e.positives) == (6, 3)
    assert e.precision == 0.5
    assert e.recall == pytest.approx(2 / 3)
    assert e.f1 == pytest.approx(4 / 7)
    # fraud scores 0.9, 0.3, 0.7 beat 3, 1 and 2 of the genuine 0.8, 0.2, 0.6
    assert e.roc_auc == pytest.approx(6 / 9)
    # ranking T F T F T F: precision 1, 2/3, 3/5 at each fraud
    assert e.average_precision == pytest.approx((1 + 2 / 3 + 3 / 5) / 3)
    # budget of 2 rows: 0.9 (fraud) and 0.8 (genuine)
    assert e.recall_at_budget == pytest.approx(1 / 3)
    # customers' maxima: 1: 0.9 (fraud), 2: 0.8 -> 1 of 2
    assert e.card_precision_at_k == 0.5
    # saved 1000 + 4000, 4 reviews at 150, 2 false positives at 50
    assert e.cost_benefit_inr == pytest.approx(4300.0)
    costs = Costs(review_cost_inr=10.0, friction_cost_inr=0.0, recovery_rate=0.5)
    assert evaluate(data, score, costs=costs).cost_benefit_inr == pytest.approx(2500.0 - 40.0)


def test_evaluate_breakdowns_by_hand() -> None:
    data, score = six()
    e = evaluate(data, score, threshold=0.5, k=2, alert_budget=1 / 3)
    assert set(e.by_fraud_type) == {"card_cloning", "stolen_card"}
    stolen = e.by_fraud_type["stolen_card"]  # row 5 plus genuine rows 1, 3, 4
    assert (stolen["rows"], stolen["positives"]) == (4.0, 1.0)
    assert stolen["recall"] == 1.0
    assert stolen["precision"] == pytest.approx(1 / 3)
    assert stolen["roc_auc"] == pytest.approx(2 / 3)
    assert stolen["cost_benefit_inr"] == pytest.approx(4000.0 - 3 * 150.0 - 2 * 50.0)
    cloning = e.by_fraud_type["card_cloning"]  # rows 0, 2 plus genuine rows 1, 3, 4
    assert cloning["recall"] == 0.5
    assert cloning["roc_auc"] == pytest.approx(4 / 6)
    assert cloning["recall_at_budget"] == 0.5
    assert set(e.by_anomaly_type) == {"amount", "geographic"}
    amount = e.by_anomaly_type["amount"]  # genuine rows 1 (alerted) and 3
    assert amount["roc_auc"] is None
    assert amount["alert_rate"] == 0.5
    assert amount["precision"] == 0.0
    assert amount["cost_benefit_inr"] == pytest.approx(-200.0)


def test_evaluate_with_cards_and_bad_input() -> None:
    data, score = six()
    # cards: 11 (rows 0, 2; 0.9 fraud), row 1 has no card -> its customer 2 (0.8)
    assert evaluate(data, score, k=1, entity="card").card_precision_at_k == 1.0
    one_class = data.subset(np.array([1, 3, 4]))
    e = evaluate(one_class, score[[1, 3, 4]])
    assert e.roc_auc is None
    assert e.average_precision is None
    assert e.recall == 0.0
    with pytest.raises(ValueError, match="got 2 scores for 6 rows"):
        evaluate(data, score[:2])
    with pytest.raises(ValueError, match="scores contain NaN"):
        evaluate(data, np.full(6, math.nan))
    with pytest.raises(ValueError, match="`recovery_rate` = 2"):
        Costs(recovery_rate=2.0)
    with pytest.raises(ValueError, match=r"`alert_budget` = 1.5"):
        evaluate(data, score, alert_budget=1.5)
