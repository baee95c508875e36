"""Small helpers the tests share for reading Polars results."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
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


def unmix63(ids: npt.ArrayLike) -> npt.NDArray[np.uint64]:
    """The key an opaque id was made from: the inverse of ``ids.mix63``."""
    from fraudforge.engine.ids import _C1, _C2, MASK63

    def unshift(y: npt.NDArray[np.uint64], s: int) -> npt.NDArray[np.uint64]:
        x, k = y.copy(), s
        while k < 63:
            x ^= y >> np.uint64(k)
            k += s
        return x

    x = np.asarray(ids, dtype=np.uint64) & MASK63
    with np.errstate(over="ignore"):
        x = unshift(x, 32)
        x = (x * np.uint64(pow(int(_C2), -1, 1 << 63))) & MASK63
        x = unshift(x, 29)
        x = (x * np.uint64(pow(int(_C1), -1, 1 << 63))) & MASK63
        x = unshift(x, 31)
    return x


def fresh_fingerprint(transactions: pl.DataFrame) -> pl.Series:
    """Whether each row's device is a fingerprint seen once: an id of the customers' device
    space under an owner number no customer has (``population.fresh_device_ids``)."""
    from fraudforge.engine.ids import KEY_CUSTOMER_DEVICE
    from fraudforge.engine.population import FRESH_OWNER

    key = unmix63(transactions["device_id"].fill_null(0).to_numpy())
    space = key >> np.uint64(60)
    owner = (key >> np.uint64(4)) & np.uint64((1 << 56) - 1)
    fresh = (space == KEY_CUSTOMER_DEVICE) & (owner >= FRESH_OWNER)
    present = transactions["device_id"].is_not_null().to_numpy()
    return pl.Series("fresh_fingerprint", fresh & present)
