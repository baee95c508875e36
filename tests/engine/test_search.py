"""The samplers' exact searches (``engine.search``): each gives the integers of the NumPy
expression it replaces, on hand-made tables and on generated ones."""

from __future__ import annotations

import numpy as np
import pytest

from fraudforge.engine import search
from fraudforge.engine.search import Grid, count_at_or_below, grouped_right, row_cumsum


def _offset_table(rng: np.random.Generator, groups: int, k: int) -> np.ndarray:
    """Cumulative shares of ``groups`` rows of ``k`` weights (some zero), each offset by its
    group and flattened, as the samplers build them."""
    w = rng.random((groups, k)) * (rng.random((groups, k)) < 0.7)
    w[:, -1] += 0.01
    cum = np.cumsum(w, axis=1) / w.sum(axis=1, keepdims=True)
    return np.asarray((cum + np.arange(groups)[:, None]).ravel(), dtype=np.float64)


def test_grid_answers_a_hand_made_table_exactly() -> None:
    """Exact values: queries on, between and at the ends of the table's values."""
    table = np.array([0.25, 0.5, 1.0, 1.5, 2.0, 2.0, 3.0])
    group = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 1])
    v = np.array([0.0, 0.25, 0.3, 0.999, 1.0, 1.5, 1.75, 2.0, 2.999, 2.0])
    grid = Grid.build(table, 3)
    assert grid is not None
    assert grid.right(table, group, v).tolist() == [0, 1, 1, 2, 3, 4, 4, 6, 6, 6]
    assert grid.right(table, group, v).tolist() == np.searchsorted(table, v, side="right").tolist()


def test_grid_refuses_an_unsorted_table() -> None:
    """The search's answer over an unsorted table depends on its path: no grid is built, and
    ``grouped_right`` searches directly."""
    table = np.array([0.5, 1.0000000000000002, 1.0, 1.5])
    assert Grid.build(table, 2) is None
    group = np.zeros(1_000, dtype=np.int64)
    v = np.linspace(0.0, 0.999, 1_000)
    expected = np.searchsorted(table, v, side="right")
    assert np.array_equal(grouped_right(table, 2, group, v), expected)


@pytest.mark.parametrize("held", [False, True])
@pytest.mark.parametrize(("groups", "k"), [(1, 3), (17, 24), (7, 5), (300, 25)])
def test_grouped_right_equals_searchsorted(groups: int, k: int, held: bool) -> None:
    """Property: the same integers as ``np.searchsorted(table, v, side="right")`` for random
    queries, for queries equal to table values and for the ends of every group."""
    rng = np.random.default_rng(groups * 100 + k)
    table = _offset_table(rng, groups, k)
    n = max(table.shape[0] * search.CELLS_PER_VALUE, 1_000)
    group = rng.integers(0, groups, n)
    v = group + rng.random(n) * 0.999999
    on = rng.integers(0, table.shape[0], n // 10)
    edges = np.arange(groups)
    on_group = np.minimum(np.floor(table[on]).astype(np.int64), groups - 1)
    group = np.concatenate([group, on_group, edges, edges])
    v = np.concatenate([v, table[on], edges.astype(np.float64), edges + 1.0])
    v = np.minimum(v, group + 1.0)
    got = grouped_right(table, groups, group, v, held=held)
    assert got.dtype == np.int64
    assert np.array_equal(got, np.searchsorted(table, v, side="right"))


def test_held_grid_is_kept_while_its_table_lives() -> None:
    """A held table's grid is built once and dropped with the table."""
    table = _offset_table(np.random.default_rng(3), 4, 6)
    group = np.zeros(table.shape[0] * search.CELLS_PER_VALUE, dtype=np.int64)
    grouped_right(table, 4, group, group + 0.5, held=True)
    grid = search._HELD[id(table)][1]
    grouped_right(table, 4, group, group + 0.25, held=True)
    assert search._HELD[id(table)][1] is grid
    key = id(table)
    del table
    assert key not in search._HELD


@pytest.mark.parametrize("k", [1, 2, 5, 8, 16, 25])
def test_count_at_or_below_equals_the_matrix_count(k: int) -> None:
    """Property: ``(cum[group] <= u[:, None]).sum(axis=1)`` for cumulative rows with ties,
    zero rows (every entry at or below any draw) and draws equal to entries."""
    rng = np.random.default_rng(k)
    w = rng.random((50, k)) * (rng.random((50, k)) < 0.6)
    w[:5] = 0.0
    total = w.sum(axis=1, keepdims=True)
    cum = np.cumsum(w, axis=1) / np.where(total > 0, total, 1.0)
    group = rng.integers(0, 50, 5_000)
    u = rng.random(5_000)
    u[:500] = cum[group[:500], rng.integers(0, k, 500)]
    got = count_at_or_below(cum, group, u)
    assert got.dtype == np.int64
    assert np.array_equal(got, (cum[group] <= u[:, None]).sum(axis=1))


def test_count_at_or_below_hand_made() -> None:
    """Exact values, and a table with a decreasing row counted the long way."""
    cum = np.array([[0.0, 0.5, 1.0], [0.2, 0.2, 1.0]])
    group = np.array([0, 0, 0, 1, 1, 1])
    u = np.array([0.0, 0.5, 0.99, 0.1, 0.2, 1.0])
    assert count_at_or_below(cum, group, u).tolist() == [1, 2, 2, 0, 2, 3]
    odd = np.array([[0.5, 0.2, 1.0]])
    assert count_at_or_below(odd, np.zeros(2, dtype=np.int64), np.array([0.3, 0.6])).tolist() == [
        1,
        2,
    ]


@pytest.mark.parametrize(("rows", "k"), [(3, 4), (64, 1), (500, 8), (2_000, 25)])
def test_row_cumsum_equals_numpy(rows: int, k: int) -> None:
    """Property: the same floats as ``np.cumsum(weights, axis=1)``, short tables and tall."""
    w = np.random.default_rng(rows + k).random((rows, k)) ** 3
    assert row_cumsum(w).tobytes() == np.cumsum(w, axis=1).tobytes()


def test_row_cumsum_exact_values() -> None:
    """Exact values on a tall table of a repeated row."""
    w = np.tile([0.5, 0.25, 0.0, 0.25], (search.TALL, 1))
    assert row_cumsum(w)[-1].tolist() == [0.5, 0.75, 0.75, 1.0]


def test_a_table_too_large_for_a_grid_is_searched_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above ``GRID_MAX_CELLS`` no grid is built, and the answers are searchsorted's."""
    table = _offset_table(np.random.default_rng(5), 40, 8)
    monkeypatch.setattr(search, "GRID_MAX_CELLS", 100)
    assert Grid.build(table, 40) is None
    group = np.repeat(np.arange(40), 200)
    v = group + np.random.default_rng(6).random(group.shape[0]) * 0.999999
    got = grouped_right(table, 40, group, v, held=True)
    assert np.array_equal(got, np.searchsorted(table, v, side="right"))
