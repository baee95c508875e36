"""Names of the fraud patterns and anomaly types, and their default mixes.

The order of each tuple is the integer code used inside the generator and the category order of
the ``fraud_type`` / ``anomaly_type`` Enum columns ("none" is code 0).
"""

from __future__ import annotations

FRAUD_TYPES: tuple[str, ...] = (
    "card_cloning",
    "account_takeover",
    "merchant_collusion",
    "velocity_abuse",
    "amount_manipulation",
    "refund_fraud",
    "stolen_card",
    "synthetic_identity",
    "bust_out",
    "friendly_fraud",
    "transaction_replay",
    "card_testing",
    "money_mule",
    "shipping_fraud",
    "loyalty_abuse",
)
"""The 15 fraud patterns of the design's taxonomy (``bust_out`` is first-party bust-out,
``amount_manipulation`` is structuring just below reporting thresholds)."""

ANOMALY_TYPES: tuple[str, ...] = ("behavioural", "geographic", "temporal", "amount")
"""The 4 kinds of legitimate but unusual behaviour."""

FRAUD_LABELS: tuple[str, ...] = ("none", *FRAUD_TYPES)
ANOMALY_LABELS: tuple[str, ...] = ("none", *ANOMALY_TYPES)

DEFAULT_FRAUD_MIX: dict[str, float] = {
    "card_cloning": 0.08,
    "account_takeover": 0.09,
    "merchant_collusion": 0.05,
    "velocity_abuse": 0.08,
    "amount_manipulation": 0.05,
    "refund_fraud": 0.05,
    "stolen_card": 0.08,
    "synthetic_identity": 0.06,
    "bust_out": 0.06,
    "friendly_fraud": 0.07,
    "transaction_replay": 0.05,
    "card_testing": 0.09,
    "money_mule": 0.08,
    "shipping_fraud": 0.06,
    "loyalty_abuse": 0.05,
}
"""Default share of fraud *rows* per pattern (sums to 1)."""

DEFAULT_ANOMALY_MIX: dict[str, float] = {
    "behavioural": 0.3,
    "geographic": 0.25,
    "temporal": 0.25,
    "amount": 0.2,
}
"""Default share of anomalous rows per anomaly type (sums to 1)."""
