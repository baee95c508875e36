"""The dataset's tables: every column's name, Polars type, meaning and role, declared once.
Every other list of columns derives from these definitions: the label columns, the columns seen
at authorisation (the service's ``Transaction`` carries exactly those), the labels carried next
to the features, the values of the wire's enumerations (``fraudforge.wire.vocabulary``, generated
from here) and ``docs/schema.md``; the generator's output is checked against them."""

from __future__ import annotations

import enum
import json
import sys
from dataclasses import dataclass

import polars as pl

from fraudforge.engine import geo
from fraudforge.engine import market as mkt
from fraudforge.engine.taxonomy import ANOMALY_LABELS, FRAUD_LABELS

SCHEMA_VERSION = 3
"""Version 3 added the session columns (``upi_initiation`` .. ``remote_access``); datasets of
version 2 are still read, those columns null (``engine.dataset.scan_dataset``)."""
READABLE_VERSIONS: tuple[int, ...] = (2, 3)
"""Schema versions of datasets this fraudforge reads."""


class Role(enum.Enum):
    """What a transactions column is to a bank: whether it sees it when it authorises the
    payment, learns it later, or never (``ROLE_MEANINGS``)."""

    IDENTIFIER = "identifier"
    OBSERVED = "observed"
    OUTCOME = "outcome"
    LABEL = "label"


ROLE_MEANINGS: dict[Role, str] = {
    Role.IDENTIFIER: "an id of the payment or of a party to it, seen at authorisation",
    Role.OBSERVED: "a fact of the payment seen at authorisation (time, amount, mode, place, ...)",
    Role.OUTCOME: "known to the bank only later: whether the payment was fraud, and from when; "
    "features read it only once `label_known_at` has passed (the delayed-label rates)",
    Role.LABEL: "the generator's record of what happened (fraud pattern and incident, anomaly); "
    "never a feature input",
}


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Parameters
    ----------
    name
        Column name.
    dtype
        Its Polars type (Enum columns list their values in code order).
    meaning
        One sentence for ``docs/schema.md``.
    role
        What a bank knows of it and when (``Role``); customers' and merchants' columns are the
        bank's own records of them, observed.
    with_features
        Copied next to the features in the features table, for training and evaluation.
    """

    name: str
    dtype: pl.DataType
    meaning: str
    role: Role = Role.OBSERVED
    with_features: bool = False


def _enum(values: tuple[str, ...]) -> pl.Enum:
    return pl.Enum(list(values))


TIMESTAMP = pl.Datetime("us")
CITY = _enum(geo.CITY_NAMES)
STATE = _enum(geo.STATES)

ID, SEEN, OUTCOME, LABEL = Role.IDENTIFIER, Role.OBSERVED, Role.OUTCOME, Role.LABEL

TRANSACTIONS: tuple[Column, ...] = (
    Column(
        "transaction_id",
        pl.Int64(),
        "Opaque unique id (a bijective mix of shard and position).",
        ID,
    ),
    Column(
        "timestamp", TIMESTAMP, "When the payment was authorised, Indian Standard Time (naive)."
    ),
    Column("customer_id", pl.Int64(), "The paying customer (customers.customer_id).", ID),
    Column(
        "merchant_id",
        pl.Int64(),
        "The merchant or ATM paid (merchants.merchant_id); null for P2P.",
        ID,
    ),
    Column(
        "device_id", pl.Int64(), "Device used (app, web, UPI); null for card-present and ATM.", ID
    ),
    Column(
        "card_id",
        pl.Int64(),
        "Card used (debit or credit; EMI is on the credit card); null otherwise.",
        ID,
    ),
    Column(
        "amount_inr", pl.Float64(), "Amount in rupees (positive; refunds are positive credits)."
    ),
    Column(
        "payment_mode",
        _enum(mkt.PAYMENT_MODES),
        "UPI, credit or debit card, net banking, wallet, BNPL or EMI.",
    ),
    Column(
        "card_network",
        _enum(mkt.CARD_NETWORKS),
        "Network of the card used (RuPay, Visa, ...); none if no card.",
    ),
    Column("channel", _enum(mkt.CHANNELS), "Point of sale, e-commerce (web), mobile app, or ATM."),
    Column(
        "txn_type",
        _enum(mkt.TXN_TYPES),
        "Purchase, refund, P2P transfer, bill payment or cash withdrawal.",
    ),
    Column("status", _enum(mkt.STATUSES), "Outcome of authorisation."),
    Column(
        "category", _enum(mkt.CATEGORIES), "Merchant category; p2p for transfers between people."
    ),
    Column("mcc", pl.Int16(), "ISO 18245 merchant category code; null for P2P."),
    Column(
        "city", CITY, "City where the payment happened (the shop's, or the customer's when online)."
    ),
    Column("state", STATE, "State or union territory of `city`."),
    Column("lat", pl.Float64(), "Latitude of the payment, decimal degrees."),
    Column("lon", pl.Float64(), "Longitude of the payment, decimal degrees."),
    Column(
        "counterparty",
        pl.String(),
        "Payee UPI address: the merchant's, or the receiving customer's for P2P.",
    ),
    Column(
        "upi_initiation",
        _enum(mkt.UPI_INITIATIONS),
        "How a UPI payment was started: pay (pushed to a number, contact or address), collect "
        "(a payee's request the payer approved), qr (a scanned QR code), intent (handed over by a "
        "merchant's app or checkout) or mandate (a UPI AutoPay debit); null when not UPI.",
    ),
    Column(
        "payee_handle_age_days",
        pl.Int32(),
        "Days since the payee's UPI address was created (the payee's PSP reports it with the "
        "address lookup); null when not UPI.",
    ),
    Column(
        "device_bound_days",
        pl.Int32(),
        "Days since the device was bound to the customer's UPI or banking app (SIM-verified "
        "registration: a new phone, a reinstall, a fraudster's device); null outside an app "
        "session (a card or wallet payment, or no device).",
    ),
    Column(
        "sim_changed_days",
        pl.Int32(),
        "Days since the SIM of the customer's registered mobile number last changed (the "
        "telecom operator's SIM-change signal: a port, a replacement, a swap); null outside an "
        "app session.",
    ),
    Column(
        "remote_access",
        pl.Boolean(),
        "The bank's or UPI app saw a screen-sharing or remote-access tool running during the "
        "session; null outside an app session (UPI, or net banking in the app, on a device).",
    ),
    Column(
        "is_fraud",
        pl.Boolean(),
        "Label: the row belongs to a fraud scenario.",
        OUTCOME,
        with_features=True,
    ),
    Column(
        "fraud_type",
        _enum(FRAUD_LABELS),
        "Label: the fraud pattern, none for genuine rows.",
        LABEL,
        with_features=True,
    ),
    Column(
        "fraud_scenario_id",
        pl.Int64(),
        "Label: opaque id shared by the rows of one fraud incident; null if genuine.",
        LABEL,
    ),
    Column(
        "is_anomaly",
        pl.Boolean(),
        "Label: legitimate but unusual behaviour.",
        LABEL,
        with_features=True,
    ),
    Column(
        "anomaly_type",
        _enum(ANOMALY_LABELS),
        "Label: behavioural, geographic, temporal, amount, or none.",
        LABEL,
        with_features=True,
    ),
    Column(
        "anomaly_severity",
        pl.Float32(),
        "Label: how unusual, in (0, 1]; 0 when not an anomaly.",
        LABEL,
    ),
    Column(
        "label_known_at",
        TIMESTAMP,
        "When the label became known: fraud confirmed (reported, or a chargeback), or for genuine "
        "rows the close of the dispute window. Features may read a label only after this time.",
        OUTCOME,
        with_features=True,
    ),
)


SESSION_COLUMNS: tuple[str, ...] = (
    "upi_initiation", "payee_handle_age_days", "device_bound_days", "sim_changed_days",
    "remote_access",
)  # fmt: skip
"""The session columns schema version 3 added (``engine.session`` generates them)."""


def _names(columns: tuple[Column, ...], *roles: Role) -> tuple[str, ...]:
    """The names of ``columns`` with one of ``roles``, in table order."""
    return tuple(c.name for c in columns if c.role in roles)


AUTHORISATION_COLUMNS: tuple[str, ...] = _names(TRANSACTIONS, ID, SEEN)
"""What a bank sees when it authorises a payment: the fields of the service's ``Transaction``."""
LABEL_COLUMNS: tuple[str, ...] = _names(TRANSACTIONS, OUTCOME, LABEL)
"""Never a model input (the features read the outcome only through ``label_known_at``)."""
OUTCOME_COLUMNS: tuple[str, ...] = _names(TRANSACTIONS, OUTCOME)
"""What the delayed-label features may read, once ``label_known_at`` has passed."""
TRAINING_LABELS: tuple[str, ...] = tuple(c.name for c in TRANSACTIONS if c.with_features)
"""The labels copied next to the features in the features table (``features.compute_features``)
and read from there by the models stage."""

CUSTOMERS: tuple[Column, ...] = (
    Column("customer_id", pl.Int64(), "Customer id, 1..N.", ID),
    Column("name", pl.String(), "Full name."),
    Column("segment", _enum(mkt.SEGMENTS), "Customer segment."),
    Column("age", pl.Int16(), "Age in years."),
    Column("income_bracket", _enum(mkt.INCOME_BRACKETS), "Annual income bracket in lakh rupees."),
    Column("occupation", _enum(mkt.OCCUPATIONS), "Occupation (drives hour-of-day habits)."),
    Column("digital_savviness", _enum(mkt.SAVVINESS), "How readily the customer pays digitally."),
    Column("home_city", CITY, "Home city, or the city a town or village customer looks to."),
    Column("home_state", STATE, "State or union territory of the home city."),
    Column("home_lat", pl.Float64(), "Home latitude."),
    Column("home_lon", pl.Float64(), "Home longitude."),
    Column(
        "city_tier",
        pl.Int8(),
        "Tier of the customer's home: 1 metro, 2 large city, 3 town or village (around "
        "home_city when that is a tier 1 or 2 city).",
    ),
    Column("vpa", pl.String(), "The customer's UPI address."),
    Column(
        "has_credit_card",
        pl.Boolean(),
        "Holds a credit card (credit card and EMI payments possible).",
    ),
    Column(
        "credit_limit_inr",
        pl.Float64(),
        "Credit card limit in INR (0 without a credit card); card and EMI payments above it "
        "are declined.",
    ),
    Column("debit_card_network", _enum(mkt.CARD_NETWORKS), "Network of the debit card."),
    Column(
        "credit_card_network",
        _enum(mkt.CARD_NETWORKS),
        "Network of the credit card; none without one.",
    ),
    Column(
        "n_devices", pl.Int8(), "Number of personal devices (phones, laptops) used for payments."
    ),
    Column(
        "preferred_categories", pl.List(pl.String()), "The three categories the customer buys most."
    ),
    Column(
        "preferred_payment_modes",
        pl.List(pl.String()),
        "The two payment modes the customer uses most.",
    ),
)

MERCHANTS: tuple[Column, ...] = (
    Column("merchant_id", pl.Int64(), "Merchant id, 1..M.", ID),
    Column("name", pl.String(), "Trading name (a chain brand, or a local shop's name)."),
    Column("category", _enum(mkt.CATEGORIES), "Merchant category."),
    Column("mcc", pl.Int16(), "ISO 18245 merchant category code."),
    Column("is_chain", pl.Boolean(), "Part of a chain or brand (else an independent business)."),
    Column("is_online", pl.Boolean(), "Sells online (e-commerce / app) rather than from a shop."),
    Column("city", CITY, "City of the shop, or the registered city of an online business."),
    Column("state", STATE, "State or union territory of `city`."),
    Column("lat", pl.Float64(), "Latitude."),
    Column("lon", pl.Float64(), "Longitude."),
    Column("reputation", pl.Float64(), "Reputation score in [0, 1] (ratings, complaint history)."),
    Column("vpa", pl.String(), "The merchant's UPI address."),
)


def polars_schema(columns: tuple[Column, ...]) -> pl.Schema:
    """The Polars schema of a table."""
    return pl.Schema({c.name: c.dtype for c in columns})


def _type_name(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Enum):
        values = list(dtype.categories)
        if len(values) > 16:
            return f"Enum ({len(values)} values)"
        return "Enum: " + ", ".join(values)
    if isinstance(dtype, pl.Datetime):
        return f"Datetime[{dtype.time_unit}]"
    return str(dtype)


def markdown(columns: tuple[Column, ...], *, roles: bool = False) -> str:
    """A Markdown table documenting a table's columns (with ``roles``, each column's role)."""
    if roles:
        head = ["| column | type | role | meaning |", "|---|---|---|---|"]
        rows = [
            f"| `{c.name}` | {_type_name(c.dtype)} | {c.role.value} | {c.meaning} |"
            for c in columns
        ]
    else:
        head = ["| column | type | meaning |", "|---|---|---|"]
        rows = [f"| `{c.name}` | {_type_name(c.dtype)} | {c.meaning} |" for c in columns]
    return "\n".join([*head, *rows])


SESSION_NOTES: tuple[str, ...] = (
    "### The session columns (version 3)",
    "",
    "`upi_initiation`, `payee_handle_age_days`, `device_bound_days`, `sim_changed_days` and "
    "`remote_access` are what an issuing bank and its UPI app see of the session at "
    "authorisation: the initiation mode of the UPI request (NPCI's pay, collect, QR, intent "
    "and AutoPay mandate flows; P2P collect requests end on 1 October 2025 by NPCI's circular "
    "of 29 July 2025), the age of the payee's address from the address lookup, the device "
    "binding that UPI apps make with an SMS from the registered SIM, the telecom operator's "
    "SIM-change date, and the app's check for screen-sharing and remote-access tools, against "
    "which RBI and NPCI warned in February 2019 (AnyDesk). Whether the payee is new to the "
    "customer is left to the features: it follows from the customer's history. The UPI "
    "columns are null on other payments; the device, SIM and remote-access columns outside "
    "an app session (UPI, or net banking in the app, on a device): a card or wallet payment "
    "reaches the bank through the merchant's acquirer. Rates and sources: "
    "[realism.md](realism.md#the-session-how-upi-payments-start-devices-sims-and-remote-access).",
    "",
    "A dataset of schema version 2 (before these columns) is still read, with them null "
    "(unknown); any other version is refused with an error naming the version found and the "
    "versions read.",
)
"""The session columns' paragraph of ``docs/schema.md``."""


def schema_markdown() -> str:
    """The dataset reference page (``docs/schema.md``), generated from the definitions above."""
    from fraudforge.engine.taxonomy import ANOMALY_TYPES, FRAUD_TYPES

    parts = [
        "# Dataset schema",
        "",
        "<!-- generated by `python -m fraudforge.engine.schema > docs/schema.md`; do not edit -->",
        "",
        f"Schema version {SCHEMA_VERSION}. A dataset directory holds `transactions/` (Parquet or "
        "Arrow IPC files, rows ordered by customer, timestamp and transaction_id), `customers/` "
        "(the same shards' customers), `merchants` and `manifest.json` (scenario, row counts, "
        "counts by fraud and anomaly type, file checksums, content hash). Enum columns are "
        "stored as dictionary-encoded strings.",
        "",
        "## transactions",
        "",
        markdown(TRANSACTIONS, roles=True),
        "",
        "Roles:",
        "",
        *(f"- `{role.value}`: {meaning}." for role, meaning in ROLE_MEANINGS.items()),
        "",
        "The service's `Transaction` carries the identifier and observed columns.",
        "",
        *SESSION_NOTES,
        "",
        "Label columns (never to be used as model inputs, except through `label_known_at`): "
        + ", ".join(f"`{c}`" for c in LABEL_COLUMNS)
        + ".",
        "",
        "Fraud types: " + ", ".join(f"`{t}`" for t in FRAUD_TYPES) + ".",
        "",
        "Anomaly types: " + ", ".join(f"`{t}`" for t in ANOMALY_TYPES) + ".",
        "",
        "## customers",
        "",
        markdown(CUSTOMERS),
        "",
        "## merchants",
        "",
        markdown(MERCHANTS),
        "",
    ]
    return "\n".join(parts)


ENUM_VALUES: dict[str, tuple[str, ...]] = {
    c.name: tuple(c.dtype.categories) for c in TRANSACTIONS if isinstance(c.dtype, pl.Enum)
}
"""The allowed values of each Enum column of the transactions table, in code order."""


def wire_vocabulary() -> str:
    """The source of ``fraudforge/wire/vocabulary.py``: ``ENUM_VALUES`` as plain tuples, so that
    the wire types (and the client) accept exactly the generator's values without importing
    the engine (``tests/test_contracts.py`` holds the file equal to this)."""
    lines = [
        '"""The values of the dataset\'s enumerated transaction columns, for the wire types.',
        "",
        "Generated from the engine's schema (``engine/schema.py``); do not edit, regenerate:",
        '``python -m fraudforge.engine.schema wire > src/fraudforge/wire/vocabulary.py``."""',
        "",
        "ENUM_VALUES: dict[str, tuple[str, ...]] = {",
    ]
    for name, values in ENUM_VALUES.items():
        lines.append(f'    "{name}": (')
        lines.extend(f"        {json.dumps(v, ensure_ascii=False)}," for v in values)
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(wire_vocabulary() if sys.argv[1:] == ["wire"] else schema_markdown(), end="")
