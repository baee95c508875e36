"""The 7-day window step of the customer kernel: adding rows at the new end and dropping them at
the old end keeps exactly the aggregates a count over the window's rows gives."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fraudforge.features import kernels as k

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
