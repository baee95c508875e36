"""Calendar lookups the feature kernels need."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from fraudforge.engine._data.festivals import FESTIVALS

EPOCH = dt.date(1970, 1, 1)


@lru_cache(maxsize=1)
def festival_days() -> npt.NDArray[np.int64]:
    """Sorted day numbers (days since 1970-01-01) of every festival date in the calendar."""
    days = {
        (dt.date.fromisoformat(iso) - EPOCH).days
        for by_year in FESTIVALS.values()
        for iso in by_year.values()
    }
    return np.array(sorted(days), dtype=np.int64)
