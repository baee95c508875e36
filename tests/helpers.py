"""Small helpers the tests share for reading Polars results."""

from __future__ import annotations

import numpy as np
import polars as pl

from fraudforge.engine import geo


def num(value: object) -> float:
    """A numeric scalar computed by Polars, as a float."""
    assert isinstance(value, int | float), f"expected a number, got {value!r}"
    return float(value)


def share(df: pl.DataFrame, column: str) -> float:
    """Share of true values in a boolean column."""
    return num(df[column].cast(pl.Float64).mean())


def city_dist_km(a: pl.Series, b: pl.Series) -> pl.Series:
    """Distance between the centres of two city columns (Enums ordered as geo.CITY_NAMES)."""
    i = a.to_physical().to_numpy().astype(np.int64)
    j = b.to_physical().to_numpy().astype(np.int64)
    return pl.Series("dist_km", geo.CITY_DIST_KM[i, j])
