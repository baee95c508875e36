"""The dataset's tables: every column's name, Polars type and meaning. ``docs/schema.md`` is
generated from these definitions, and the generator's output is checked against them."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from fraudforge.engine import catalog as cat
from fraudforge.engine import geo
from fraudforge.engine.taxonomy import ANOMALY_LABELS, FRAUD_LABELS

SCHEMA_VERSION = 2


@dataclass(frozen=True)
class Column:
    """One column of a table."""

    name: str
    dtype: pl.DataType
    meaning: str


def _enum(values: tuple[str, ...]) -> pl.Enum:
    return pl.Enum(list(values))


TIMESTAMP = pl.Datetime("us")
CITY = _enum(geo.CITY_NAMES)
STATE = _enum(geo.STATES)

TRANSACTIONS: tuple[Column, ...] = (
    Column(
        "transaction_id", pl.Int64(), "Opaque unique id (a bijective mix of shard and position)."
    ),
    Column(
        "timestamp", TIMESTAMP, "When the payment was authorised, Indian Standard Time (naive)."
    ),
    Column("customer_id", pl.Int64(), "The paying customer (customers.customer_id)."),
    Column(
        "merchant_id", pl.Int64(), "The merchant or ATM paid (merchants.merchant_id); null for P2P."
    ),
    Column("device_id", pl.Int64(), "Device used (app, web, UPI); null for card-present and ATM."),
    Column(
        "card_id",
        pl.Int64(),
        "Card used (debit or credit; EMI is on the credit card); null otherwise.",
    ),
    Column(
        "amount_inr", pl.Float64(), "Amount in rupees (positive; refunds are positive credits)."
    ),
    Column(
        "payment_mode",
        _enum(cat.PAYMENT_MODES),
        "UPI, credit or debit card, net banking, wallet, BNPL or EMI.",
    ),
    Column(
        "card_network",
        _enum(cat.CARD_NETWORKS),
        "Network of the card used (RuPay, Visa, ...); none if no card.",
    ),
    Column("channel", _enum(cat.CHANNELS), "Point of sale, e-commerce (web), mobile app, or ATM."),
    Column(
        "txn_type",
        _enum(cat.TXN_TYPES),
        "Purchase, refund, P2P transfer, bill payment or cash withdrawal.",
    ),
    Column("status", _enum(cat.STATUSES), "Outcome of authorisation."),
    Column(
        "category", _enum(cat.CATEGORIES), "Merchant category; p2p for transfers between people."
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
    Column("is_fraud", pl.Boolean(), "Label: the row belongs to a fraud scenario."),
    Column("fraud_type", _enum(FRAUD_LABELS), "Label: the fraud pattern, none for genuine rows."),
    Column(
        "fraud_scenario_id",
        pl.Int64(),
        "Label: opaque id shared by the rows of one fraud incident; null if genuine.",
    ),
    Column("is_anomaly", pl.Boolean(), "Label: legitimate but unusual behaviour."),
    Column(
        "anomaly_type",
        _enum(ANOMALY_LABELS),
        "Label: behavioural, geographic, temporal, amount, or none.",
    ),
    Column(
        "anomaly_severity", pl.Float32(), "Label: how unusual, in (0, 1]; 0 when not an anomaly."
    ),
    Column(
        "label_known_at",
        TIMESTAMP,
        "When the label became known: fraud confirmed (reported, or a chargeback), or for genuine "
        "rows the close of the dispute window. Features may read a label only after this time.",
    ),
)

LABEL_COLUMNS: tuple[str, ...] = (
    "is_fraud",
    "fraud_type",
    "fraud_scenario_id",
    "is_anomaly",
    "anomaly_type",
    "anomaly_severity",
    "label_known_at",
)

CUSTOMERS: tuple[Column, ...] = (
    Column("customer_id", pl.Int64(), "Customer id, 1..N."),
    Column("name", pl.String(), "Full name."),
    Column("segment", _enum(cat.SEGMENTS), "Customer segment."),
    Column("age", pl.Int16(), "Age in years."),
    Column("income_bracket", _enum(cat.INCOME_BRACKETS), "Annual income bracket in lakh rupees."),
    Column("occupation", _enum(cat.OCCUPATIONS), "Occupation (drives hour-of-day habits)."),
    Column("digital_savviness", _enum(cat.SAVVINESS), "How readily the customer pays digitally."),
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
    Column("debit_card_network", _enum(cat.CARD_NETWORKS), "Network of the debit card."),
    Column(
        "credit_card_network",
        _enum(cat.CARD_NETWORKS),
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
    Column("merchant_id", pl.Int64(), "Merchant id, 1..M."),
    Column("name", pl.String(), "Trading name (a chain brand, or a local shop's name)."),
    Column("category", _enum(cat.CATEGORIES), "Merchant category."),
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


def markdown(columns: tuple[Column, ...]) -> str:
    """A Markdown table documenting a table's columns."""
    rows = [f"| `{c.name}` | {_type_name(c.dtype)} | {c.meaning} |" for c in columns]
    return "\n".join(["| column | type | meaning |", "|---|---|---|", *rows])


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
        markdown(TRANSACTIONS),
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


if __name__ == "__main__":  # pragma: no cover
    print(schema_markdown(), end="")
