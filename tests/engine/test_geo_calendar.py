"""Reference tables: Indian cities and states, haversine distances, the festival calendar."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from fraudforge.engine import geo
from fraudforge.engine import market as mkt
from fraudforge.engine.calendar import festival_dates, period_calendar

STATES_AND_UTS = {
    "Andhra Pradesh", "Arunachal Pradesh", "Assam", "Bihar", "Chhattisgarh", "Goa", "Gujarat",
    "Haryana", "Himachal Pradesh", "Jharkhand", "Karnataka", "Kerala", "Madhya Pradesh",
    "Maharashtra", "Manipur", "Meghalaya", "Mizoram", "Nagaland", "Odisha", "Punjab", "Rajasthan",
    "Sikkim", "Tamil Nadu", "Telangana", "Tripura", "Uttar Pradesh", "Uttarakhand", "West Bengal",
    "Andaman and Nicobar Islands", "Chandigarh", "Dadra and Nagar Haveli and Daman and Diu",
    "Delhi", "Jammu and Kashmir", "Ladakh", "Lakshadweep", "Puducherry",
}  # fmt: skip


def test_every_state_and_union_territory_has_a_city() -> None:
    """At least 50 cities, covering all 28 states and 8 union territories."""
    assert geo.N_CITIES >= 50
    assert set(geo.STATES) == STATES_AND_UTS
    assert np.isclose(geo.CITY_WEIGHT.sum(), 1.0)
    assert set(np.unique(geo.CITY_TIER)) == {1, 2, 3}


def test_haversine_known_distances() -> None:
    """Mumbai-Delhi is about 1,150 km; a point is 0 km from itself; the formula is symmetric."""
    i, j = geo.CITY_NAMES.index("Mumbai"), geo.CITY_NAMES.index("Delhi")
    d = geo.haversine_km(geo.CITY_LAT[i], geo.CITY_LON[i], geo.CITY_LAT[j], geo.CITY_LON[j])
    assert d == pytest.approx(1_150, abs=15)
    assert geo.CITY_DIST_KM[i, i] == 0.0
    assert np.allclose(geo.CITY_DIST_KM, geo.CITY_DIST_KM.T)
    # One degree of latitude is about 111.2 km.
    assert geo.haversine_km(10.0, 77.0, 11.0, 77.0) == pytest.approx(111.19, abs=0.05)


def test_nearby_and_far_sets() -> None:
    """Nearby cities are within 200 km, far cities at least 1,000 km away."""
    for c in range(geo.N_CITIES):
        near = geo.NEARBY_CITIES[geo.NEARBY_OFFSETS[c] : geo.NEARBY_OFFSETS[c + 1]]
        far = geo.FAR_CITIES[geo.FAR_OFFSETS[c] : geo.FAR_OFFSETS[c + 1]]
        assert (geo.CITY_DIST_KM[c, near] <= geo.NEARBY_KM).all()
        assert (geo.CITY_DIST_KM[c, far] >= geo.FAR_KM).all()
        assert far.size > 0


def test_festivals_on_their_real_dates() -> None:
    """Known festival dates appear in the calendar."""
    got = dict(festival_dates(dt.date(2025, 1, 1), dt.date(2026, 1, 1)))
    assert got["diwali"] == dt.date(2025, 10, 20)
    assert got["holi"] == dt.date(2025, 3, 14)
    assert got["christmas"] == dt.date(2025, 12, 25)
    assert got["raksha_bandhan"] == dt.date(2025, 8, 9)
    assert got["eid_ul_fitr"] == dt.date(2025, 3, 31)


def test_period_calendar_effects() -> None:
    """Weekends and salary days raise the day factor, month ends lower it, festivals lift it."""
    cal = period_calendar(dt.date(2025, 6, 2), 30)  # June 2025: no major festival
    days = [dt.date(2025, 6, 2) + dt.timedelta(days=i) for i in range(30)]
    f = dict(zip(days, cal.day_factor, strict=True))
    assert f[dt.date(2025, 6, 7)] > f[dt.date(2025, 6, 10)]  # Saturday vs Tuesday
    assert f[dt.date(2025, 6, 3)] > f[dt.date(2025, 6, 10)]  # salary day vs mid-month
    assert f[dt.date(2025, 6, 30)] < f[dt.date(2025, 6, 10)]  # month end
    diwali = period_calendar(dt.date(2025, 10, 1), 31)
    assert diwali.festival_day[19]
    assert diwali.weekday[0] == dt.date(2025, 10, 1).weekday()
    # Diwali (2025-10-20) lifts national volume by about 12 %, ramping up over the window.
    assert diwali.state_factor[:, 19] == pytest.approx(1.12)
    assert 1.0 < diwali.state_factor[0, 15] < diwali.state_factor[0, 18] < 1.12
    assert diwali.state_factor[0, 0] < diwali.state_factor[0, 10] < diwali.state_factor[0, 19]


def test_salary_day_depends_on_occupation() -> None:
    """Salaried customers spend about 18 % more on the 1st, fading over the first week, and
    dip at the month's end; traders and gig workers barely change."""
    cal = period_calendar(dt.date(2025, 6, 1), 30)
    salaried, gig = mkt.OCCUPATIONS.index("salaried"), mkt.OCCUPATIONS.index("gig_worker")
    f = cal.occupation_factor
    assert f[salaried, 0] == pytest.approx(1.18)
    assert f[salaried, 0] > f[salaried, 2] > f[salaried, 6] > 1.0
    assert f[salaried, 29] == pytest.approx(1 - 0.09, abs=1e-3)
    assert f[gig, 0] == pytest.approx(1.02)
    assert abs(f[gig] - 1).max() <= 0.02 + 1e-9


def test_regional_festivals_stay_in_their_states() -> None:
    """Onam (2025-09-05) lifts Kerala's volume and apparel there, not Delhi's; Dhanteras
    (2025-10-18) multiplies jewellery purchases everywhere."""
    cal = period_calendar(dt.date(2025, 9, 1), 60)
    kerala, delhi = geo.STATES.index("Kerala"), geo.STATES.index("Delhi")
    onam = 4
    assert cal.state_factor[kerala, onam] == pytest.approx(1.12)
    assert cal.state_factor[delhi, onam] == 1.0
    apparel = mkt.CAT["apparel"]
    assert cal.tilt[cal.tilt_id[kerala, onam], apparel] == pytest.approx(2.0)
    assert cal.tilt_id[delhi, onam] == 0
    assert (cal.tilt[0] == 1.0).all()
    dhanteras = 47
    jewellery = mkt.CAT["jewellery"]
    assert cal.tilt[cal.tilt_id[delhi, dhanteras], jewellery] == pytest.approx(8.0)


def test_everyday_shops_exist_in_every_city() -> None:
    """The categories card-present fraud falls back to are guaranteed in every city."""
    from fraudforge.engine.fraud.build import EVERYDAY_SHOPS
    from fraudforge.engine.population import BASE_LOCAL_CATEGORIES

    assert set(EVERYDAY_SHOPS) <= set(BASE_LOCAL_CATEGORIES)
