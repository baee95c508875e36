"""The kernels' small building blocks, on exact inputs: the open-addressing set the customer pass
tracks a customer's parties and devices with, and the grouping of time-ordered rows by entity."""

from __future__ import annotations

import itertools

import numpy as np

from fraudforge.features.kernels import EMPTY_KEY, first_seen, group_rows


def test_first_seen_adds_each_key_once_and_records_its_slot() -> None:
    table = np.full(8, EMPTY_KEY, dtype=np.int64)
    used = np.empty(8, dtype=np.int64)
    n = 0
    news = []
    for key in (5, 2**61 + 3, 5, 0, 2**61 + 3, 7):
        after = first_seen(table, used, n, key)
        news.append(after - n)
        n = after
    assert news == [1, 1, 0, 1, 0, 1]
    assert n == 4
    assert sorted(table[used[:n]].tolist()) == [0, 5, 7, 2**61 + 3]
    table[used[:n]] = EMPTY_KEY  # emptied by its used slots alone
    assert (table == EMPTY_KEY).all()


def test_first_seen_probes_past_keys_of_the_same_slot() -> None:
    """A table of 2 slots: the second key always lands on a taken slot or the free one."""
    table = np.full(2, EMPTY_KEY, dtype=np.int64)
    used = np.empty(2, dtype=np.int64)
    assert first_seen(table, used, 0, 11) == 1
    assert first_seen(table, used, 1, 12) == 2
    assert first_seen(table, used, 2, 11) == 2
    assert first_seen(table, used, 2, 12) == 2
    assert sorted(table.tolist()) == [11, 12]


def test_group_rows_groups_keys_in_first_appearance_order() -> None:
    keys = np.array([7, -1, 3, 7, 2**62 - 1, 3, -1, 7], dtype=np.int64)
    positions, bounds = group_rows(keys)
    assert positions.tolist() == [0, 3, 7, 2, 5, 4]
    assert bounds.tolist() == [0, 3, 5, 6]


def test_group_rows_of_nothing() -> None:
    positions, bounds = group_rows(np.array([-1, -1], dtype=np.int64))
    assert positions.tolist() == []
    assert bounds.tolist() == [0]
    positions, bounds = group_rows(np.zeros(0, dtype=np.int64))
    assert positions.tolist() == []
    assert bounds.tolist() == [0]


def test_group_rows_equals_a_stable_sort_by_key_up_to_the_groups_order() -> None:
    rng = np.random.default_rng(4)
    keys = rng.choice(
        np.array([-1, 0, 1, 2**32, 2**33, 2**61 + 9, 123_456_789], dtype=np.int64), 5_000
    )
    positions, bounds = group_rows(keys)
    valid = np.flatnonzero(keys >= 0)
    stable = valid[np.argsort(keys[valid], kind="stable")]
    groups = {
        int(keys[positions[a]]): positions[a:b].tolist() for a, b in itertools.pairwise(bounds)
    }
    expected = {int(k): stable[keys[stable] == k].tolist() for k in np.unique(keys[valid])}
    assert groups == expected
    assert len(groups) == bounds.shape[0] - 1
