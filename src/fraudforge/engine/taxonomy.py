"""Names of the fraud patterns and anomaly types, and their default mixes.

The order of each tuple is the integer code used inside the generator and the category order of
the ``fraud_type`` / ``anomaly_type`` Enum columns ("none" is code 0).
"""

from __future__ import annotations

from fraudforge.engine.fraud.patterns import REGISTRY

FRAUD_TYPES: tuple[str, ...] = REGISTRY.names
"""The fraud patterns, in code order: one module each under ``engine/fraud/patterns``
(``bust_out`` is first-party bust-out, ``amount_manipulation`` is structuring just below
reporting thresholds)."""
RESERVED_PREFIX = "reserved_"
"""Label of a code no pattern of this build holds (a code taken by a pattern built elsewhere, or
a retired pattern's): the Enum keeps every code at its position, so released codes never move."""
_BY_CODE = {p.code: p.name for p in REGISTRY.patterns}

ANOMALY_TYPES: tuple[str, ...] = ("behavioural", "geographic", "temporal", "amount")
"""The 4 kinds of legitimate but unusual behaviour."""

FRAUD_LABELS: tuple[str, ...] = (
    "none",
    *(_BY_CODE.get(c, f"{RESERVED_PREFIX}{c}") for c in range(1, max(_BY_CODE, default=0) + 1)),
)
"""The ``fraud_type`` Enum: position is the label code (``reserved_<code>`` where no pattern
holds the code)."""
ANOMALY_LABELS: tuple[str, ...] = ("none", *ANOMALY_TYPES)

DEFAULT_FRAUD_MIX: dict[str, float] = REGISTRY.default_mix()
"""Default share of fraud *rows* per pattern (sums to 1): the records' weights."""

DEFAULT_ANOMALY_MIX: dict[str, float] = {
    "behavioural": 0.3,
    "geographic": 0.25,
    "temporal": 0.25,
    "amount": 0.2,
}
"""Default share of anomalous rows per anomaly type (sums to 1)."""
