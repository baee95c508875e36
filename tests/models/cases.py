"""Small hand-made inputs shared by the models tests."""

from __future__ import annotations

import numpy as np

from fraudforge.models.data import US_PER_DAY, ModelData


def six() -> tuple[ModelData, np.ndarray]:
    """Six rows on one day: fraud rows 0, 2 (card_cloning) and 5 (stolen_card), anomalies on
    rows 1, 3 (amount) and 4 (geographic), and their scores."""
    n = 6
    data = ModelData(
        features=("f",),
        X=np.zeros((n, 1)),
        y=np.array([True, False, True, False, False, True]),
        t=np.full(n, 20_000 * US_PER_DAY, dtype=np.int64),
        customer_id=np.array([1, 2, 1, 3, 4, 5]),
        card_id=np.array([11, -1, 11, 33, -1, 55]),
        amount=np.array([1000.0, 500.0, 2000.0, 100.0, 300.0, 4000.0]),
        fraud_type=np.array(
            ["card_cloning", "none", "card_cloning", "none", "none", "stolen_card"]
        ),
        anomaly_type=np.array(["none", "amount", "none", "amount", "geographic", "none"]),
        label_known_at=np.zeros(n, dtype=np.int64),
        transaction_id=np.arange(n, dtype=np.int64),
    )
    return data, np.array([0.9, 0.8, 0.3, 0.2, 0.6, 0.7])
