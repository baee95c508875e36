"""States and union territories: population (Census 2011) and how much more or less than the
average each pays by UPI per head, from which customers' home states are drawn.

Sources (docs/realism.md): Census of India 2011 population totals; NPCI state-wise UPI data for
May 2025 via Moneycontrol (Maharashtra about 13 %, Karnataka 7.7 %, Uttar Pradesh over 7 %,
Telangana 6 %, Tamil Nadu about 4 % of all transactions, 22 % unclassified); the RBI Bulletin of
September 2025 (UPI use per head: Telangana highest, then Karnataka, Andhra Pradesh, Delhi and
Maharashtra; Maharashtra about seven times Bihar).
"""

from __future__ import annotations

STATE_POPULATION_M: dict[str, float] = {
    "Uttar Pradesh": 199.8,
    "Maharashtra": 112.4,
    "Bihar": 104.1,
    "West Bengal": 91.3,
    "Madhya Pradesh": 72.6,
    "Tamil Nadu": 72.1,
    "Rajasthan": 68.5,
    "Karnataka": 61.1,
    "Gujarat": 60.4,
    "Andhra Pradesh": 49.4,
    "Odisha": 42.0,
    "Telangana": 35.2,
    "Kerala": 33.4,
    "Jharkhand": 33.0,
    "Assam": 31.2,
    "Punjab": 27.7,
    "Chhattisgarh": 25.5,
    "Haryana": 25.4,
    "Delhi": 16.8,
    "Jammu and Kashmir": 12.0,
    "Uttarakhand": 10.1,
    "Himachal Pradesh": 6.9,
    "Tripura": 3.67,
    "Meghalaya": 2.97,
    "Manipur": 2.86,
    "Nagaland": 1.98,
    "Goa": 1.46,
    "Arunachal Pradesh": 1.38,
    "Puducherry": 1.25,
    "Mizoram": 1.10,
    "Chandigarh": 1.06,
    "Sikkim": 0.61,
    "Dadra and Nagar Haveli and Daman and Diu": 0.59,
    "Andaman and Nicobar Islands": 0.38,
    "Ladakh": 0.27,
    "Lakshadweep": 0.064,
}
"""Population in millions, Census 2011 (Andhra Pradesh and Telangana as split in 2014, Jammu and
Kashmir and Ladakh as split in 2019)."""

STATE_UPI_SHARE: dict[str, float] = {
    "Maharashtra": 0.167,
    "Karnataka": 0.099,
    "Uttar Pradesh": 0.09,
    "Telangana": 0.077,
    "Tamil Nadu": 0.051,
}
"""Share of UPI transactions with a known state, May 2025 (NPCI's shares over the 78 % that
were classified)."""

UPI_PER_HEAD: dict[str, float] = {
    "Delhi": 2.2,
    "Andhra Pradesh": 1.3,
    "Goa": 1.8,
    "Chandigarh": 1.8,
    "Haryana": 1.5,
    "Kerala": 1.3,
    "Gujarat": 1.2,
    "Punjab": 1.2,
    "Puducherry": 1.2,
    "Rajasthan": 0.8,
    "Madhya Pradesh": 0.8,
    "Jammu and Kashmir": 0.8,
    "Ladakh": 0.8,
    "West Bengal": 0.7,
    "Odisha": 0.7,
    "Chhattisgarh": 0.6,
    "Tripura": 0.6,
    "Meghalaya": 0.6,
    "Manipur": 0.6,
    "Nagaland": 0.6,
    "Mizoram": 0.6,
    "Arunachal Pradesh": 0.6,
    "Lakshadweep": 0.6,
    "Jharkhand": 0.5,
    "Assam": 0.5,
    "Bihar": 0.35,
}
"""UPI use per head relative to the average of the states not in ``STATE_UPI_SHARE`` (1 where
not listed): the richer south and west and the capital above it, the east and north-east
below."""
