"""What every generator of a shard reads: the scenario, the shard's stream, its customers, the
merchants and the calendar."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fraudforge.engine.calendar import PeriodCalendar
from fraudforge.engine.population import Customers, Merchants
from fraudforge.engine.scenario import ResolvedScenario


@dataclass
class ShardContext:
    """Inputs of one shard's generation."""

    scenario: ResolvedScenario
    shard: int
    rng: np.random.Generator
    calendar: PeriodCalendar
    customers: Customers
    merchants: Merchants

    @property
    def t_start(self) -> int:
        """Epoch seconds at the start of the period."""
        return int(self.calendar.day_start_s[0])

    @property
    def t_end(self) -> int:
        """Epoch seconds at the end of the period (exclusive)."""
        return int(self.calendar.day_start_s[-1]) + 86_400

    def local(self, cust: np.ndarray) -> np.ndarray:
        """Shard-local positions of global customer indices."""
        return np.asarray(cust, dtype=np.int64) - self.customers.offset
