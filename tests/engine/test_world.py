"""The generator interface: every preset is a ``World`` drawn once per scenario, and a world
carries everything scenario-wide, so a shard generated from a copy of it (as a helper process or
a Ray task receives it) is the shard generated here."""

from __future__ import annotations

import pickle

from fraudforge.engine.scenario import PRESETS, Scenario
from fraudforge.engine.shard import PRESET_WORLDS, build_world
from fraudforge.engine.world import World


def test_every_preset_has_a_world() -> None:
    """Each preset named by the scenario is one implementation of the interface."""
    assert set(PRESET_WORLDS) == set(PRESETS)
    for preset in PRESETS:
        world = build_world(Scenario(preset=preset, customers=300, days=10).resolved())
        assert isinstance(world, World)
        assert world.merchants().height == world.scenario.merchants


def test_a_copied_world_makes_the_same_shards() -> None:
    """A pickled and restored world gives identical tables for both presets."""
    for preset in PRESETS:
        s = Scenario(preset=preset, customers=300, days=10, shard_size=128).resolved()
        world = build_world(s)
        copy = pickle.loads(pickle.dumps(world))
        for shard in range(s.n_shards):
            tx, cu = world.tables(shard)
            tx2, cu2 = copy.tables(shard)
            assert tx.equals(tx2)
            assert cu.equals(cu2)
        assert copy.merchants().equals(world.merchants())
