"""Domain tables of the Indian payments market: categories with MCC and amount profiles,
customer segments, occupations with hour-of-day profiles, payment modes and channels.

Every table is a tuple of names (whose index is the integer code used in the generator and the
category order of the matching Enum column) plus NumPy parameter arrays aligned with it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

# --- merchant categories -------------------------------------------------------------------------
# name, ISO 18245 MCC, median amount INR, log-sd, share of merchants that are online, bill payment,
# relative purchase frequency (how often customers buy it, before their own preferences).
# Medians and spreads give UPI P2M payments a mean ticket near INR 630 with about three in four
# at or below INR 500 (docs/realism.md): everyday purchases (kirana, food, fuel, pharmacy,
# recharges, rides) are small; the long tail comes from electronics, jewellery and travel.
_CATEGORY_ROWS: tuple[tuple[str, int, float, float, float, bool, float], ...] = (
    ("grocery", 5411, 105.0, 0.95, 0.15, False, 1.7),
    ("restaurants", 5812, 171.0, 0.85, 0.45, False, 1.0),
    ("fast_food", 5814, 67.0, 0.8, 0.35, False, 1.3),
    ("fuel", 5541, 247.0, 0.75, 0.0, False, 1.0),
    ("apparel", 5651, 475.0, 1.1, 0.40, False, 0.55),
    ("electronics", 5732, 2851.0, 1.2, 0.50, False, 0.3),
    ("jewellery", 5944, 11405.0, 1.0, 0.08, False, 0.15),
    ("pharmacy", 5912, 171.0, 0.9, 0.25, False, 1.2),
    ("healthcare", 8062, 475.0, 1.3, 0.10, False, 0.7),
    ("education", 8299, 4277.0, 1.0, 0.40, True, 0.7),
    ("airlines", 4511, 4752.0, 0.5, 0.95, False, 0.6),
    ("railways", 4112, 380.0, 0.9, 0.80, False, 1.0),
    ("ride_hailing", 4121, 143.0, 0.6, 1.0, False, 1.0),
    ("entertainment", 7832, 238.0, 0.6, 0.60, False, 0.9),
    ("utilities", 4900, 665.0, 0.8, 0.90, True, 1.0),
    ("telecom", 4814, 284.0, 0.5, 0.90, True, 1.1),
    ("insurance", 6300, 6653.0, 0.9, 0.80, True, 0.6),
    ("marketplace", 5399, 238.0, 1.3, 1.0, False, 0.75),
    ("home_furnishing", 5712, 2851.0, 1.1, 0.45, False, 0.4),
    ("gaming", 5816, 95.0, 1.0, 1.0, False, 1.0),
    ("digital_goods", 5815, 94.0, 0.7, 1.0, False, 1.0),
    ("hotels", 7011, 2661.0, 0.7, 0.70, False, 0.5),
    ("personal_care", 7230, 190.0, 0.8, 0.10, False, 1.0),
    ("government", 9399, 760.0, 1.0, 0.90, True, 0.8),
    ("atm", 6011, 2500.0, 0.8, 0.0, False, 1.0),
)
CATEGORIES: tuple[str, ...] = (*(r[0] for r in _CATEGORY_ROWS), "p2p")
"""Category names; ``p2p`` (a transfer between people) has no merchant and no MCC."""
N_MERCHANT_CATEGORIES = len(_CATEGORY_ROWS)
CAT = {name: i for i, name in enumerate(CATEGORIES)}
CAT_MCC = np.array([r[1] for r in _CATEGORY_ROWS] + [0], dtype=np.int32)
CAT_MEDIAN: F64 = np.array([r[2] for r in _CATEGORY_ROWS] + [650.0])
CAT_SIGMA: F64 = np.array([r[3] for r in _CATEGORY_ROWS] + [1.55])
CAT_ONLINE_SHARE: F64 = np.array([r[4] for r in _CATEGORY_ROWS] + [0.0])
CAT_IS_BILL = np.array([r[5] for r in _CATEGORY_ROWS] + [False])
CAT_FREQUENCY: F64 = np.array([r[6] for r in _CATEGORY_ROWS])
"""Relative purchase frequency of each merchant category (everyday shops often, big tickets
rarely); customers' preference weights are on top of it."""
BILL_CATEGORIES = np.flatnonzero(CAT_IS_BILL)
PURCHASE_CATEGORIES = np.array(
    [i for i, r in enumerate(_CATEGORY_ROWS) if not r[5] and r[0] != "atm"], dtype=np.int64
)
# Share of merchants per category in the merchant population.
CAT_MERCHANT_WEIGHT: F64 = np.array(
    [14, 12, 8, 5, 9, 5, 3, 6, 4, 2, 1, 1, 1, 2, 2, 2, 2, 3, 3, 1, 1, 3, 4, 1, 5], dtype=np.float64
)

# --- customers -----------------------------------------------------------------------------------
SEGMENTS: tuple[str, ...] = (
    "young_professional",
    "family",
    "budget",
    "tech_savvy_millennial",
    "affluent",
    "senior",
    "student",
)
SEG_WEIGHT: F64 = np.array([0.18, 0.24, 0.20, 0.14, 0.07, 0.09, 0.08])
SEG_AGE_RANGE = np.array([[23, 32], [30, 50], [21, 60], [24, 38], [32, 65], [60, 85], [18, 24]])
SEG_TXN_PER_DAY: F64 = np.array([1.6, 1.3, 0.7, 2.2, 1.8, 0.5, 1.0])
"""Mean transactions per customer-day by segment."""
SEG_AMOUNT_SCALE: F64 = np.array([1.1, 1.0, 0.55, 1.0, 2.4, 0.9, 0.45])
SEG_TRAVEL_PROB: F64 = np.array([0.35, 0.25, 0.08, 0.35, 0.55, 0.12, 0.15])
"""Probability of taking a multi-day trip in a 90-day period."""
SEG_CREDIT_CARD_PROB: F64 = np.array([0.25, 0.18, 0.03, 0.30, 0.75, 0.10, 0.02])
"""About one in five customers holds a credit card (docs/realism.md)."""

INCOME_BRACKETS: tuple[str, ...] = ("<3L", "3-6L", "6-12L", "12-25L", "25-50L", ">50L")
"""Annual income brackets in lakh rupees (1 L = 100,000 INR)."""
SEG_INCOME = np.array(
    [
        [0.0, 0.15, 0.45, 0.30, 0.08, 0.02],
        [0.05, 0.25, 0.40, 0.20, 0.08, 0.02],
        [0.55, 0.35, 0.10, 0.0, 0.0, 0.0],
        [0.0, 0.10, 0.40, 0.35, 0.12, 0.03],
        [0.0, 0.0, 0.05, 0.25, 0.40, 0.30],
        [0.25, 0.35, 0.25, 0.10, 0.04, 0.01],
        [0.85, 0.12, 0.03, 0.0, 0.0, 0.0],
    ]
)

OCCUPATIONS: tuple[str, ...] = (
    "salaried",
    "business_owner",
    "student",
    "retired",
    "homemaker",
    "gig_worker",
    "professional",
    "government",
)
SEG_OCCUPATION = np.array(
    [
        [0.70, 0.05, 0.0, 0.0, 0.0, 0.10, 0.10, 0.05],
        [0.45, 0.20, 0.0, 0.0, 0.15, 0.05, 0.05, 0.10],
        [0.35, 0.15, 0.0, 0.0, 0.15, 0.30, 0.0, 0.05],
        [0.65, 0.10, 0.0, 0.0, 0.0, 0.10, 0.15, 0.0],
        [0.30, 0.35, 0.0, 0.05, 0.05, 0.0, 0.25, 0.0],
        [0.0, 0.05, 0.0, 0.80, 0.10, 0.0, 0.0, 0.05],
        [0.0, 0.0, 0.90, 0.0, 0.0, 0.10, 0.0, 0.0],
    ]
)

SAVVINESS: tuple[str, ...] = ("low", "medium", "high")
SEG_SAVVINESS = np.array(
    [
        [0.05, 0.35, 0.60],
        [0.20, 0.55, 0.25],
        [0.45, 0.45, 0.10],
        [0.0, 0.15, 0.85],
        [0.10, 0.45, 0.45],
        [0.60, 0.35, 0.05],
        [0.05, 0.35, 0.60],
    ]
)

# Category preference base weights by segment (columns follow CATEGORIES up to `atm`).
SEG_CATEGORY = np.array(
    [
        # columns: grocery .. atm in CATEGORIES order
        [10, 12, 10, 5, 6, 2, 0.3, 3, 1, 0.5, 1, 1, 10, 4, 2, 2, 0.5, 10, 1, 2, 5, 1, 3, 0.5, 4],
        [22, 8, 5, 6, 6, 2, 0.6, 6, 3, 2, 0.5, 1.5, 3, 3, 4, 3, 1.5, 8, 2, 0.5, 2, 0.6, 3, 1, 5],
        [28, 4, 6, 3, 4, 1, 0.1, 6, 2, 0.5, 0.1, 2, 2, 2, 4, 4, 0.3, 4, 0.5, 1, 2, 0.1, 2, 0.5, 9],
        [8, 12, 12, 4, 6, 3, 0.3, 2, 1, 0.5, 1, 1, 12, 5, 2, 2, 0.5, 14, 1.5, 4, 7, 1, 2, 0.5, 3],
        [12, 14, 4, 7, 8, 3, 2, 3, 3, 2, 3, 1, 6, 4, 4, 2, 3, 8, 3, 0.5, 2, 4, 4, 1, 2],
        [24, 5, 2, 3, 3, 1, 0.5, 12, 8, 0.2, 0.3, 2, 2, 1, 6, 4, 2, 2, 1, 0.1, 0.5, 0.5, 2, 2, 7],
        [
            12,
            8,
            16,
            2,
            6,
            2,
            0.1,
            2,
            0.5,
            4,
            0.3,
            3,
            8,
            6,
            0.5,
            4,
            0.1,
            10,
            0.3,
            6,
            8,
            0.2,
            2,
            0.5,
            5,
        ],
    ],
    dtype=np.float64,
)

# --- payment modes, channels, types, statuses ----------------------------------------------------
PAYMENT_MODES: tuple[str, ...] = (
    "upi",
    "credit_card",
    "debit_card",
    "net_banking",
    "wallet",
    "bnpl",
    "emi",
)
MODE = {name: i for i, name in enumerate(PAYMENT_MODES)}
SEG_MODE = np.array(
    [
        [1.0, 1.3, 0.9, 0.8, 1.0, 1.5, 1.0],
        [1.0, 1.0, 1.2, 1.2, 0.8, 0.6, 1.2],
        [1.0, 0.5, 1.0, 0.5, 1.2, 0.5, 0.3],
        [1.0, 1.3, 0.6, 0.6, 1.3, 1.8, 0.9],
        [0.9, 2.0, 1.0, 1.8, 0.5, 0.3, 1.5],
        [0.9, 0.8, 2.0, 2.0, 0.3, 0.0, 0.5],
        [1.0, 0.5, 0.8, 0.3, 1.8, 1.2, 0.0],
    ],
    dtype=np.float64,
)
"""Relative propensity of each segment for each payment mode (1 = an average customer); the
context tables below set the levels, so UPI carries most payments whatever the segment."""
MODE_CONTEXTS: tuple[str, ...] = ("pos", "online", "bill")
MODE_CONTEXT = np.array(
    [
        [1.0, 0.22, 0.045, 0.0, 0.0, 0.0, 0.0],
        [1.0, 0.30, 0.03, 0.20, 0.10, 0.06, 0.03],
        [1.0, 0.20, 0.022, 0.90, 0.06, 0.0, 0.0],
    ],
    dtype=np.float64,
)
"""Base weight of each mode where the payment happens: a shop's counter (UPI QR and cards), an
online checkout (every mode), a bill (no BNPL or EMI)."""
AMOUNT_BAND_EDGES: F64 = np.array([200.0, 2000.0, 10000.0, 50000.0, 100000.0])
# Multiplier on each mode's weight by amount band (<200, <2k, <10k, <50k, <=1L, >1L); UPI stops
# at its INR 1 lakh limit.
MODE_BAND = np.array(
    [
        [1.15, 1.0, 0.85, 0.7, 0.35, 0.0],
        [0.1, 0.5, 2.8, 4.0, 3.0, 3.0],
        [0.015, 0.3, 2.6, 2.8, 1.0, 0.0],
        [0.1, 0.5, 1.5, 3.0, 5.0, 6.0],
        [1.2, 1.0, 0.3, 0.02, 0.0, 0.0],
        [0.1, 1.0, 1.5, 0.5, 0.0, 0.0],
        [0.0, 0.0, 0.3, 4.0, 8.0, 8.0],
    ],
    dtype=np.float64,
).T
MODE_AT_POS = np.array([1, 1, 1, 0, 0, 0, 0], dtype=np.float64)
"""Modes a card-present (POS) merchant accepts: UPI QR and cards."""
MODE_IS_CARD = np.array([False, True, True, False, False, False, True])
"""EMI is charged to a credit card."""
DECLINE_PRESENT: F64 = np.array([0.060, 0.04, 0.05, 0.05, 0.03, 0.06, 0.05])
"""Business-decline rate by mode (``PAYMENT_MODES``) at a counter or an ATM, for an average
customer: wrong PIN, insufficient funds, limits. UPI remitter banks report 4-9 % business
declines (NPCI UPI ecosystem statistics, 2024-25)."""
DECLINE_REMOTE: F64 = np.array([0.060, 0.10, 0.12, 0.05, 0.03, 0.06, 0.05])
"""The same for payments online or in an app: cards are declined more often without the card
present."""
TECHNICAL_DECLINE: F64 = np.array([0.003, 0.004, 0.004, 0.005, 0.003, 0.004, 0.004])
"""Declines for the bank's or the network's own failures, whoever pays."""
PENDING_RATE: F64 = np.array([0.004, 0.0, 0.0, 0.004, 0.0, 0.0, 0.0])
"""Payments left pending (deemed approved later): UPI and bank transfers."""
P2P_UPI_SHARE = 0.93
"""Transfers between people go by UPI, the rest by IMPS / NEFT (net banking)."""

UPI_INITIATIONS: tuple[str, ...] = ("pay", "collect", "qr", "intent", "mandate")
"""How a UPI payment was started (NPCI's initiation modes): the payer pushes it to a number,
contact or address (``pay``), approves a payee's request (``collect``), scans a QR code
(``qr``), is handed over by a merchant's app or checkout (``intent``), or a recurring mandate
(UPI AutoPay) executes it (``mandate``); ``engine.session`` draws them."""
UPI_INITIATION = {name: i for i, name in enumerate(UPI_INITIATIONS)}

CHANNELS: tuple[str, ...] = ("pos", "ecommerce", "mobile_app", "atm")
CHANNEL = {name: i for i, name in enumerate(CHANNELS)}
TXN_TYPES: tuple[str, ...] = ("purchase", "refund", "p2p_transfer", "bill_payment", "withdrawal")
TXN = {name: i for i, name in enumerate(TXN_TYPES)}
TXN_TYPE_WEIGHT: F64 = np.array([0.57, 0.008, 0.33, 0.07, 0.035])
STATUSES: tuple[str, ...] = ("approved", "declined", "pending")
STATUS = {name: i for i, name in enumerate(STATUSES)}
CARD_NETWORKS: tuple[str, ...] = ("none", "rupay", "visa", "mastercard", "amex")
DEBIT_NETWORK_P: F64 = np.array([0.0, 0.6, 0.25, 0.15, 0.0])
CREDIT_NETWORK_P: F64 = np.array([0.0, 0.17, 0.47, 0.33, 0.03])
UPI_LIMIT_INR = 100_000.0
"""Per-transaction UPI limit for ordinary payments (and transfers between people)."""
_UPI_LIMITS = {
    "jewellery": 200_000.0,
    "healthcare": 500_000.0,
    "education": 500_000.0,
    "insurance": 500_000.0,
    "government": 500_000.0,
    "airlines": 500_000.0,
    "hotels": 500_000.0,
}
CAT_UPI_LIMIT: F64 = np.array([_UPI_LIMITS.get(c, UPI_LIMIT_INR) for c in CATEGORIES])
"""Per-transaction UPI limit by category: NPCI raised it to INR 5 lakh for hospitals and
education (Dec 2023) and for tax, insurance and travel, and to INR 2 lakh for jewellery
(Sep 2025)."""


def _hour_profile(peaks: list[tuple[float, float, float]], floor: float) -> F64:
    """24 hourly weights from a floor plus Gaussian peaks (centre hour, width, height)."""
    hours = np.arange(24) + 0.5
    w = np.full(24, floor)
    for centre, width, height in peaks:
        d = np.minimum(np.abs(hours - centre), 24 - np.abs(hours - centre))
        w += height * np.exp(-0.5 * (d / width) ** 2)
    return np.asarray(w / w.sum(), dtype=np.float64)


# Hour-of-day weights by occupation, weekday (row 0) and weekend (row 1).
_HOURS: dict[str, tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]] = {
    "salaried": (
        [(8.5, 1.0, 0.8), (13.2, 1.0, 1.0), (20.0, 1.8, 1.6)],
        [(12.5, 2.0, 1.2), (19.5, 2.2, 1.5)],
    ),
    "business_owner": (
        [(11.0, 2.5, 1.0), (17.5, 2.5, 1.0), (21.0, 1.2, 0.6)],
        [(12.0, 2.5, 1.0), (19.0, 2.5, 1.0)],
    ),
    "student": ([(13.5, 1.5, 0.8), (21.5, 2.0, 1.6)], [(14.0, 2.5, 1.0), (22.0, 2.0, 1.5)]),
    "retired": ([(9.5, 1.5, 1.5), (17.5, 1.5, 0.9)], [(10.0, 1.8, 1.5), (18.0, 1.5, 0.8)]),
    "homemaker": (
        [(10.5, 1.5, 1.5), (16.5, 1.5, 1.0), (20.0, 1.5, 0.5)],
        [(11.0, 2.0, 1.3), (18.5, 2.0, 1.0)],
    ),
    "gig_worker": (
        [(9.0, 3.0, 0.8), (14.0, 3.0, 0.8), (21.0, 2.0, 1.0)],
        [(13.0, 3.5, 1.0), (21.0, 2.5, 1.0)],
    ),
    "professional": (
        [(9.0, 1.0, 0.6), (13.5, 1.0, 0.9), (20.5, 1.5, 1.5)],
        [(12.0, 2.0, 1.1), (20.0, 2.0, 1.4)],
    ),
    "government": (
        [(9.5, 1.0, 0.7), (13.5, 1.0, 0.9), (18.5, 1.5, 1.4)],
        [(11.5, 2.0, 1.2), (18.5, 2.0, 1.3)],
    ),
}
HOUR_PROFILE = np.stack(
    [
        np.stack([_hour_profile(wd, 0.01), _hour_profile(we, 0.012)])
        for wd, we in (_HOURS[o] for o in OCCUPATIONS)
    ]
)
"""Array (occupation, weekend, hour) of hour-of-day probabilities."""
NIGHT_OWL_HOURS: F64 = _hour_profile([(23.0, 2.0, 1.6), (1.5, 1.5, 0.8), (20.5, 2.0, 0.8)], 0.015)
"""Hour-of-day probabilities of a night owl's late payments: late dinners, online shopping and
gaming around midnight."""
HOURS_BY_GROUP: F64 = np.vstack([HOUR_PROFILE.reshape(-1, 24), NIGHT_OWL_HOURS[None, :]])
"""Rows (occupation * 2 + weekend), then the night owls' profile (``NIGHT_OWL_GROUP``)."""
NIGHT_OWL_GROUP = HOURS_BY_GROUP.shape[0] - 1
