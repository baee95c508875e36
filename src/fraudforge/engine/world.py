"""``World``: the one generator interface every preset implements. A world holds everything
scenario-wide that shards read (merchants, calendar, fraud schedule, ...), built once per
scenario by ``build_world`` and passed to every shard, helper process and Ray task, so nothing
scenario-wide lives in a process-global cache and any shard can be generated from the world
alone, in any order, anywhere."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

    from fraudforge.engine.scenario import ResolvedScenario


class World(ABC):
    """A preset's generator bound to one scenario."""

    scenario: ResolvedScenario

    @abstractmethod
    def transactions(self, shard: int) -> pl.DataFrame:
        """The transactions table of one shard."""

    @abstractmethod
    def customers(self, shard: int) -> pl.DataFrame:
        """The customers table of one shard."""

    def tables(self, shard: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The transactions and customers tables of one shard (drawn once where they share
        draws)."""
        return self.transactions(shard), self.customers(shard)

    @abstractmethod
    def merchants(self) -> pl.DataFrame:
        """The merchants table of the scenario."""
