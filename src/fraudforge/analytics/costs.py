"""What alerts cost and what catching fraud recovers: the inputs of the cost-benefit curve."""

from __future__ import annotations

import math

import msgspec


class Costs(msgspec.Struct, frozen=True, kw_only=True):
    """Costs of acting on a model's alerts, in INR.

    ``review_cost_inr`` is paid for every alert (an analyst looks at it), ``friction_cost_inr``
    for every false alert (a genuine customer is held up), and ``recovery_rate`` is the share of
    a caught fraud's amount that is saved.
    """

    review_cost_inr: float = 150.0
    friction_cost_inr: float = 50.0
    recovery_rate: float = 1.0

    def __post_init__(self) -> None:
        for name in ("review_cost_inr", "friction_cost_inr"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"invalid cost `{name}` = {value!r}: allowed is a number >= 0")
        if not (0.0 <= self.recovery_rate <= 1.0):
            raise ValueError(
                f"invalid cost `recovery_rate` = {self.recovery_rate!r}: allowed is 0 to 1"
            )
