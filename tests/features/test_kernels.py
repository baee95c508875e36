"""The kernels' small building blocks, on exact inputs: the customer kernel's 7-day window step
(adding rows at the new end and dropping them at the old end keeps exactly the aggregates a
count over the window's rows gives), the open-addressing set the customer pass tracks a
customer's parties and devices with, and the grouping of time-ordered rows by entity."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt

from fraudforge.features import kernels as k
from fraudforge.features.kernels import EMPTY_KEY, first_seen, group_rows

I64 = npt.NDArray[np.int64]


def _counted(city: I64, category: I64, party: I64, lo: int, hi: int) -> list[int]:
    """The ``A_*`` aggregates of rows [lo, hi), counted directly."""
    cities = city[lo:hi]
    switches = int((cities[1:] != cities[:-1]).sum())
    return [
        len(set(cities.tolist())),
        len(set(category[lo:hi].tolist())),
        len(set(party[lo:hi].tolist())),
        switches,
    ]


def test_adding_and_dropping_rows_keeps_the_counted_aggregates() -> None:
    rng = np.random.default_rng(3)
    n = 400
    city = rng.integers(0, 4, n)
    category = rng.integers(0, 3, n)
    party = rng.integers(0, 6, n)
    city_counts = np.zeros(4, dtype=np.int64)
    category_counts = np.zeros(3, dtype=np.int64)
    parties = np.zeros(n + 1, dtype=np.int64)
    week = np.zeros(k.AGG_SIZE, dtype=np.int64)
    start = 0
    for i in range(n):
        # a window of 0 to 9 rows: drop from the old end until it is at most the drawn size
        keep = int(rng.integers(0, 10))
        while i - start > keep:
            k.week_remove(
                start, i, city, category, party, city_counts, category_counts, parties, week
            )
            start += 1
        assert week.tolist() == _counted(city, category, party, start, i)
        k.week_add(i, start, city, category, party, city_counts, category_counts, parties, week)
        assert week.tolist() == _counted(city, category, party, start, i + 1)
        assert parties[: i + 1 - start].tolist() == sorted(party[start : i + 1].tolist())
    while start < n:
        k.week_remove(start, n, city, category, party, city_counts, category_counts, parties, week)
        start += 1
    assert week.tolist() == [0, 0, 0, 0]
    assert not city_counts.any()
    assert not category_counts.any()


def test_one_window_by_hand() -> None:
    # rows: (city, category, party) = (0, 0, 5), (1, 0, 5), (0, 1, 7)
    city = np.array([0, 1, 0])
    category = np.array([0, 0, 1])
    party = np.array([5, 5, 7])
    city_counts = np.zeros(2, dtype=np.int64)
    category_counts = np.zeros(2, dtype=np.int64)
    parties = np.zeros(4, dtype=np.int64)
    week = np.zeros(k.AGG_SIZE, dtype=np.int64)
    for i in range(3):
        k.week_add(i, 0, city, category, party, city_counts, category_counts, parties, week)
    # 2 cities, 2 categories, 2 parties (5 twice), 2 switches (0 -> 1 -> 0)
    assert week.tolist() == [2, 2, 2, 2]
    k.week_remove(0, 3, city, category, party, city_counts, category_counts, parties, week)
    # rows 1 and 2 left: cities 1, 0; category 0, 1; parties 5, 7; one switch
    assert week.tolist() == [2, 2, 2, 1]
    assert city_counts.tolist() == [1, 1]
    assert parties[:2].tolist() == [5, 7]


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
