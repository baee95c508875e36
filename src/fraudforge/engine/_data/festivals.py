"""Indian festival dates 2018-2027 (govt holiday lists / panchang) with shopping boosts."""

from __future__ import annotations

FESTIVAL_YEARS: tuple[int, int] = (2018, 2027)

# festival key -> {year: ISO date of the main day}. Lunar dates follow the Indian central
# government holiday lists where gazetted, otherwise standard (Drik) panchang reckoning.
FESTIVALS: dict[str, dict[int, str]] = {
    # Lakshmi Puja day (Kartika Amavasya)
    "diwali": {
        2018: "2018-11-07",
        2019: "2019-10-27",
        2020: "2020-11-14",
        2021: "2021-11-04",
        2022: "2022-10-24",
        2023: "2023-11-12",
        2024: "2024-10-31",
        2025: "2025-10-20",
        2026: "2026-11-08",
        2027: "2027-10-29",
    },
    # Dhanatrayodashi, Trayodashi tithi prevailing at Pradosh kaal (New Delhi)
    "dhanteras": {
        2018: "2018-11-05",
        2019: "2019-10-25",
        2020: "2020-11-13",
        2021: "2021-11-02",
        2022: "2022-10-22",
        2023: "2023-11-10",
        2024: "2024-10-29",
        2025: "2025-10-18",
        2026: "2026-11-06",
        2027: "2027-10-27",
    },
    # Rangwali Holi / Dhulandi, the day after Holika Dahan
    "holi": {
        2018: "2018-03-02",
        2019: "2019-03-21",
        2020: "2020-03-10",
        2021: "2021-03-29",
        2022: "2022-03-18",
        2023: "2023-03-08",
        2024: "2024-03-25",
        2025: "2025-03-14",
        2026: "2026-03-04",
        2027: "2027-03-22",
    },
    # as observed in India (moon sighting); 2027 is an estimate
    "eid_ul_fitr": {
        2018: "2018-06-16",
        2019: "2019-06-05",
        2020: "2020-05-25",
        2021: "2021-05-14",
        2022: "2022-05-03",
        2023: "2023-04-22",
        2024: "2024-04-11",
        2025: "2025-03-31",
        2026: "2026-03-21",
        2027: "2027-03-10",
    },
    # Bakrid as observed in India (moon sighting); 2027 is an estimate
    "eid_ul_adha": {
        2018: "2018-08-22",
        2019: "2019-08-12",
        2020: "2020-08-01",
        2021: "2021-07-21",
        2022: "2022-07-10",
        2023: "2023-06-29",
        2024: "2024-06-17",
        2025: "2025-06-07",
        2026: "2026-05-27",
        2027: "2027-05-17",
    },
    # Vijayadashami / Dussehra
    "durga_puja": {
        2018: "2018-10-19",
        2019: "2019-10-08",
        2020: "2020-10-25",
        2021: "2021-10-15",
        2022: "2022-10-05",
        2023: "2023-10-24",
        2024: "2024-10-12",
        2025: "2025-10-02",
        2026: "2026-10-20",
        2027: "2027-10-09",
    },
    # Ghatasthapana, first day of Sharad Navratri
    "navratri": {
        2018: "2018-10-10",
        2019: "2019-09-29",
        2020: "2020-10-17",
        2021: "2021-10-07",
        2022: "2022-09-26",
        2023: "2023-10-15",
        2024: "2024-10-03",
        2025: "2025-09-22",
        2026: "2026-10-11",
        2027: "2027-09-30",
    },
    # Thiruvonam day
    "onam": {
        2018: "2018-08-25",
        2019: "2019-09-11",
        2020: "2020-08-31",
        2021: "2021-08-21",
        2022: "2022-09-08",
        2023: "2023-08-29",
        2024: "2024-09-15",
        2025: "2025-09-05",
        2026: "2026-08-26",
        2027: "2027-09-12",
    },
    # Thai Pongal (Tamil Nadu government holiday)
    "pongal": {
        2018: "2018-01-14",
        2019: "2019-01-15",
        2020: "2020-01-15",
        2021: "2021-01-14",
        2022: "2022-01-14",
        2023: "2023-01-15",
        2024: "2024-01-15",
        2025: "2025-01-14",
        2026: "2026-01-15",
        2027: "2027-01-15",
    },
    # sidereal Sun enters Capricorn; next day if after sunset
    "makar_sankranti": {
        2018: "2018-01-14",
        2019: "2019-01-15",
        2020: "2020-01-15",
        2021: "2021-01-14",
        2022: "2022-01-14",
        2023: "2023-01-15",
        2024: "2024-01-15",
        2025: "2025-01-14",
        2026: "2026-01-14",
        2027: "2027-01-15",
    },
    # Shravana Purnima
    "raksha_bandhan": {
        2018: "2018-08-26",
        2019: "2019-08-15",
        2020: "2020-08-03",
        2021: "2021-08-22",
        2022: "2022-08-11",
        2023: "2023-08-30",
        2024: "2024-08-19",
        2025: "2025-08-09",
        2026: "2026-08-28",
        2027: "2027-08-17",
    },
    # Bhadrapada Shukla Chaturthi
    "ganesh_chaturthi": {
        2018: "2018-09-13",
        2019: "2019-09-02",
        2020: "2020-08-22",
        2021: "2021-09-10",
        2022: "2022-08-31",
        2023: "2023-09-19",
        2024: "2024-09-07",
        2025: "2025-08-27",
        2026: "2026-09-14",
        2027: "2027-09-04",
    },
    # Vaishnava / gazetted holiday date
    "janmashtami": {
        2018: "2018-09-03",
        2019: "2019-08-24",
        2020: "2020-08-12",
        2021: "2021-08-30",
        2022: "2022-08-19",
        2023: "2023-09-07",
        2024: "2024-08-26",
        2025: "2025-08-16",
        2026: "2026-09-04",
        2027: "2027-08-25",
    },
    "christmas": {
        2018: "2018-12-25",
        2019: "2019-12-25",
        2020: "2020-12-25",
        2021: "2021-12-25",
        2022: "2022-12-25",
        2023: "2023-12-25",
        2024: "2024-12-25",
        2025: "2025-12-25",
        2026: "2026-12-25",
        2027: "2027-12-25",
    },
    "new_year": {
        2018: "2018-01-01",
        2019: "2019-01-01",
        2020: "2020-01-01",
        2021: "2021-01-01",
        2022: "2022-01-01",
        2023: "2023-01-01",
        2024: "2024-01-01",
        2025: "2025-01-01",
        2026: "2026-01-01",
        2027: "2027-01-01",
    },
    "republic_day": {
        2018: "2018-01-26",
        2019: "2019-01-26",
        2020: "2020-01-26",
        2021: "2021-01-26",
        2022: "2022-01-26",
        2023: "2023-01-26",
        2024: "2024-01-26",
        2025: "2025-01-26",
        2026: "2026-01-26",
        2027: "2027-01-26",
    },
    "independence_day": {
        2018: "2018-08-15",
        2019: "2019-08-15",
        2020: "2020-08-15",
        2021: "2021-08-15",
        2022: "2022-08-15",
        2023: "2023-08-15",
        2024: "2024-08-15",
        2025: "2025-08-15",
        2026: "2026-08-15",
        2027: "2027-08-15",
    },
    "gandhi_jayanti": {
        2018: "2018-10-02",
        2019: "2019-10-02",
        2020: "2020-10-02",
        2021: "2021-10-02",
        2022: "2022-10-02",
        2023: "2023-10-02",
        2024: "2024-10-02",
        2025: "2025-10-02",
        2026: "2026-10-02",
        2027: "2027-10-02",
    },
}

# Days BEFORE the festival during which shopping is elevated (the festival day itself is
# always included).
SHOPPING_WINDOW_DAYS: dict[str, int] = {
    "diwali": 21,
    "dhanteras": 3,
    "holi": 3,
    "eid_ul_fitr": 7,
    "eid_ul_adha": 3,
    "durga_puja": 7,
    "navratri": 2,
    "onam": 7,
    "pongal": 2,
    "makar_sankranti": 1,
    "raksha_bandhan": 5,
    "ganesh_chaturthi": 3,
    "janmashtami": 1,
    "christmas": 7,
    "new_year": 2,
    "republic_day": 1,
    "independence_day": 1,
    "gandhi_jayanti": 1,
}
"""Days of shopping before a festival: its effects ramp up over them to the festival day."""

FESTIVAL_LIFT: dict[str, float] = {
    "diwali": 1.12,
    "dhanteras": 1.10,
    "holi": 1.04,
    "eid_ul_fitr": 1.06,
    "eid_ul_adha": 1.03,
    "durga_puja": 1.10,
    "navratri": 1.05,
    "onam": 1.12,
    "pongal": 1.08,
    "makar_sankranti": 1.03,
    "raksha_bandhan": 1.06,
    "ganesh_chaturthi": 1.06,
    "janmashtami": 1.02,
    "christmas": 1.05,
    "new_year": 1.06,
    "republic_day": 1.0,
    "independence_day": 1.02,
    "gandhi_jayanti": 1.0,
}
"""Daily transaction volume on the festival day relative to an ordinary day, where it is
observed: record UPI days around Diwali run about 10-15 % above the month's average
(docs/realism.md)."""

FESTIVAL_STATES: dict[str, tuple[str, ...]] = {
    "onam": ("Kerala",),
    "pongal": ("Tamil Nadu", "Puducherry"),
    "durga_puja": ("West Bengal", "Tripura", "Assam", "Odisha", "Bihar", "Jharkhand"),
    "ganesh_chaturthi": ("Maharashtra", "Goa", "Karnataka", "Telangana", "Andhra Pradesh"),
}
"""Regional festivals and the states where they move spending; the others are national."""

FESTIVAL_CATEGORIES: dict[str, dict[str, float]] = {
    "dhanteras": {"jewellery": 8.0, "electronics": 2.0, "home_furnishing": 1.5},
    "diwali": {
        "apparel": 2.2,
        "electronics": 1.8,
        "marketplace": 1.6,
        "home_furnishing": 1.5,
        "jewellery": 1.8,
        "grocery": 1.2,
    },
    "navratri": {"apparel": 1.6, "restaurants": 1.2},
    "durga_puja": {"apparel": 1.8, "restaurants": 1.3, "fast_food": 1.2},
    "onam": {"apparel": 2.0, "grocery": 1.4, "jewellery": 1.5},
    "pongal": {"apparel": 1.5, "grocery": 1.3},
    "eid_ul_fitr": {"apparel": 1.8, "restaurants": 1.3, "grocery": 1.2},
    "eid_ul_adha": {"grocery": 1.3, "apparel": 1.3},
    "raksha_bandhan": {"apparel": 1.4, "jewellery": 1.4, "marketplace": 1.3},
    "christmas": {"restaurants": 1.5, "entertainment": 1.5, "hotels": 1.4, "marketplace": 1.2},
    "new_year": {"restaurants": 1.5, "entertainment": 1.5, "hotels": 1.4},
    "ganesh_chaturthi": {"grocery": 1.2, "apparel": 1.2},
    "holi": {"grocery": 1.3, "apparel": 1.2},
}
"""How a festival tilts purchases towards its categories on the festival day (a multiplier on
each customer's preference; the tilt ramps up over the shopping window): jewellery on
Dhanteras, apparel and electronics before Diwali."""
