"""Indian geography: city arrays, haversine distances and the nearby / far city sets that drive
home, nearby and travel mobility."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fraudforge.engine._data.cities import CITIES

F64 = npt.NDArray[np.float64]
EARTH_RADIUS_KM = 6371.0088
NEARBY_KM = 200.0
"""Cities within this distance are day-trip destinations."""
FAR_KM = 1000.0
"""Cities at least this far apart cannot be reached by road within hours."""

CITY_NAMES: tuple[str, ...] = tuple(c[0] for c in CITIES)
CITY = {name: i for i, name in enumerate(CITY_NAMES)}
"""City name -> code (index into the city arrays and the ``city`` Enum)."""
CITY_STATE_NAMES: tuple[str, ...] = tuple(c[1] for c in CITIES)
STATES: tuple[str, ...] = tuple(sorted(set(CITY_STATE_NAMES)))
CITY_STATE = np.array([STATES.index(s) for s in CITY_STATE_NAMES], dtype=np.int32)
CITY_LAT: F64 = np.array([c[2] for c in CITIES], dtype=np.float64)
CITY_LON: F64 = np.array([c[3] for c in CITIES], dtype=np.float64)
CITY_TIER = np.array([c[4] for c in CITIES], dtype=np.int8)
CITY_POP: F64 = np.array([c[5] for c in CITIES], dtype=np.float64)
CITY_WEIGHT: F64 = CITY_POP / CITY_POP.sum()
N_CITIES = len(CITIES)


def haversine_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> F64:
    """Great-circle distance in km between points given in decimal degrees (vectorised)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return np.asarray(
        2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), dtype=np.float64
    )


CITY_DIST_KM: F64 = haversine_km(
    CITY_LAT[:, None], CITY_LON[:, None], CITY_LAT[None, :], CITY_LON[None, :]
)
"""Matrix of distances between the cities, km."""


def _csr(mask: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    rows, cols = np.nonzero(mask)
    offsets = np.zeros(mask.shape[0] + 1, dtype=np.int64)
    np.add.at(offsets, rows + 1, 1)
    return np.cumsum(offsets), cols.astype(np.int64)


_near = (CITY_DIST_KM > 0) & (CITY_DIST_KM <= NEARBY_KM)
NEARBY_OFFSETS, NEARBY_CITIES = _csr(_near)
FAR_OFFSETS, FAR_CITIES = _csr(CITY_DIST_KM >= FAR_KM)


def pick_from_sets(
    rng: np.random.Generator,
    offsets: npt.NDArray[np.int64],
    members: npt.NDArray[np.int64],
    city: npt.NDArray[np.int64],
    fallback: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """For each city, a uniformly chosen member of its set (``fallback`` where the set is empty)."""
    start = offsets[city]
    count = offsets[city + 1] - start
    pick = start + np.floor(rng.random(city.shape[0]) * np.maximum(count, 1)).astype(np.int64)
    out = np.where(count > 0, members[np.minimum(pick, members.shape[0] - 1)], fallback)
    return np.asarray(out, dtype=np.int64)


TIER_SHARE: F64 = np.array([0.18, 0.16, 0.66])
"""Share of UPI transactions from the eight metros (tier 1), other large cities (tier 2) and the
towns and villages beyond them (tier 3): PhonePe Pulse, 2021 (docs/realism.md)."""
HINTERLAND_KM = 25.0
"""Spread of the homes of customers who live in the towns and villages around a listed city."""
URBAN_KM = 6.0
"""Spread of the homes of customers who live in the city itself."""


def state_weights() -> F64:
    """Share of customers in each state (``STATES`` order): the NPCI shares where published, the
    rest by population times relative UPI use per head."""
    from fraudforge.engine._data.states import STATE_POPULATION_M, STATE_UPI_SHARE, UPI_PER_HEAD

    rest = {
        s: STATE_POPULATION_M[s] * UPI_PER_HEAD.get(s, 1.0)
        for s in STATES
        if s not in STATE_UPI_SHARE
    }
    left = 1.0 - sum(STATE_UPI_SHARE.values())
    total = sum(rest.values())
    return np.array([STATE_UPI_SHARE.get(s, left * rest.get(s, 0.0) / total) for s in STATES])


def _home_cells() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int8], F64]:
    """Where customers live: each listed city itself (at its own tier) and the towns and villages
    around it (tier 3), weighted so that the states' and the tiers' shares both hold (iterative
    proportional fitting from population-based starting weights)."""
    cities = np.arange(N_CITIES, dtype=np.int64)
    hinter = CITY_TIER < 3
    city = np.concatenate([cities, cities[hinter]])
    tier = np.concatenate([CITY_TIER, np.full(int(hinter.sum()), 3, dtype=np.int8)])
    weight = np.concatenate([CITY_POP, CITY_POP[hinter] ** 0.6])
    state = CITY_STATE[city]
    want_state, want_tier = state_weights(), TIER_SHARE
    for _ in range(200):
        have = np.bincount(state, weights=weight, minlength=len(STATES))
        weight = weight * np.where(have[state] > 0, want_state[state] / have[state], 0.0)
        have_t = np.bincount(tier - 1, weights=weight, minlength=3)
        weight = weight * want_tier[tier - 1] / have_t[tier - 1]
    return city, tier, weight / weight.sum()


HOME_CITY, HOME_TIER, HOME_WEIGHT = _home_cells()
"""Customers' home cells: listed city, tier of the place (3 for the hinterland), probability."""
HOME_CITY_WEIGHT: F64 = np.bincount(HOME_CITY, weights=HOME_WEIGHT, minlength=N_CITIES).astype(
    np.float64
)
"""Share of customers whose home city (or the city their town or village looks to) is each."""


def jitter(rng: np.random.Generator, n: int, km: float | F64) -> tuple[F64, F64]:
    """Random offsets in degrees (lat, lon) with a spread of about ``km`` kilometres."""
    d = np.asarray(km, dtype=np.float64) / 111.0
    return rng.normal(0.0, 1.0, n) * d, rng.normal(0.0, 1.0, n) * d
