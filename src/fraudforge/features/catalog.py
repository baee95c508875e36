"""The feature catalogue: every model feature's name, group, type, unit, window and definition.

Conventions for every definition: "before" means earlier in (timestamp, transaction_id) order; a
window w covers timestamps in (t - w, t]; the current transaction is never part of its own
window. Only observable fields are read; the two delayed-label rates read ``is_fraud`` only
through rows whose ``label_known_at`` is before the transaction.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

GROUPS: tuple[str, ...] = ("fraud", "anomaly", "interaction")


@dataclass(frozen=True)
class FeatureSpec:
    """One catalogue entry."""

    name: str
    group: str
    dtype: str
    unit: str
    window: str
    definition: str


def _f(name: str, dtype: str, unit: str, window: str, definition: str) -> FeatureSpec:
    return FeatureSpec(name, "fraud", dtype, unit, window, definition)


def _a(name: str, dtype: str, unit: str, window: str, definition: str) -> FeatureSpec:
    return FeatureSpec(name, "anomaly", dtype, unit, window, definition)


def _i(name: str, dtype: str, unit: str, definition: str) -> FeatureSpec:
    return FeatureSpec(name, "interaction", dtype, unit, "-", definition)


FRAUD: tuple[FeatureSpec, ...] = (
    _f("txn_count_1h", "Int32", "transactions", "1h", "The customer's transactions before this one in the window."),
    _f("txn_count_24h", "Int32", "transactions", "24h", "The customer's transactions before this one in the window."),
    _f("txn_count_7d", "Int32", "transactions", "7d", "The customer's transactions before this one in the window."),
    _f("amount_sum_24h", "Float64", "INR", "24h", "Sum of amount_inr of the customer's transactions before this one in the window."),
    _f("amount_sum_7d", "Float64", "INR", "7d", "Sum of amount_inr of the customer's transactions before this one in the window."),
    _f("amount_avg_24h", "Float64", "INR", "24h", "Mean amount of the customer's transactions in the window; 0 if none."),
    _f("amount_avg_7d", "Float64", "INR", "7d", "Mean amount of the customer's transactions in the window; 0 if none."),
    _f("amount_avg_30d", "Float64", "INR", "30d", "Mean amount of the customer's transactions in the window; 0 if none."),
    _f("amount_ratio_30d", "Float64", "ratio", "30d", "amount_inr / (amount_avg_30d + 1)."),
    _f("amount_zscore_30d", "Float64", "sd", "30d", "(amount_inr - mean) / (std + 1) over the customer's window amounts; 0 if none."),
    _f("amount_percentile_30d", "Float64", "share", "30d", "Share of window amounts below amount_inr (ties count half); 0.5 if none."),
    _f("log_amount", "Float64", "log INR", "-", "log1p(amount_inr): the payment's own amount."),
    _f("upi_initiation_code", "Int8", "code", "-", "How a UPI payment was started: 0 pay, 1 collect (a payee's request the payer approved), 2 QR scan, 3 intent, 4 mandate; -1 when not UPI (upi_initiation)."),
    _f("distance_from_home_km", "Float64", "km", "-", "Haversine km from the customer's home (home_lat, home_lon) to (lat, lon)."),
    _f("distance_from_prev_km", "Float64", "km", "prev", "Haversine km from the customer's previous transaction; 0 for the first."),
    _f("speed_from_prev_kmh", "Float64", "km/h", "prev", "distance_from_prev_km / max(hours since the previous transaction, 1 minute); 0 for the first."),
    _f("distinct_cities_7d", "Int32", "cities", "7d", "Distinct cities of the customer's transactions in the window."),
    _f("is_new_payee", "Int8", "flag", "all", "A P2P transfer to a payee (counterparty) the customer never paid before."),
    _f("new_payee_transfers_7d", "Int32", "transactions", "7d", "The customer's P2P transfers to payees new to the customer at the time, before this one in the window."),
    _f("new_payee_amount_7d", "Float64", "INR", "7d", "Sum of amount_inr of the customer's P2P transfers to payees new to the customer at the time, before this one in the window (escalating transfers to new payees)."),
    _f("secs_since_prev_txn", "Float64", "s", "prev", "Seconds since the customer's previous transaction; null for the first."),
    _f("hour", "Int8", "hour", "-", "Hour of day of the timestamp (0-23)."),
    _f("weekday", "Int8", "day", "-", "Day of week (0 = Monday ... 6 = Sunday)."),
    _f("declines_24h", "Int32", "transactions", "24h", "The customer's declined transactions before this one in the window."),
    _f("merchant_txn_count_24h", "Int32", "transactions", "24h", "Transactions at this merchant, all customers, before this one in the window; 0 for P2P."),
    _f("merchant_fraud_rate", "Float64", "share", "all", "Earlier transactions at this merchant confirmed fraud (label_known_at before this one) / (earlier transactions + 1)."),
    _f("merchant_fraud_7d", "Int32", "transactions", "7d", "Earlier transactions at this merchant confirmed fraud within the window (t - 7 d < label_known_at < t), all customers; 0 for P2P (a compromised terminal's recent fraud, the Handbook's terminal risk with the labels' own delay)."),
    _f("merchant_fraud_30d", "Int32", "transactions", "30d", "The same within 30 days."),
    _f("device_fraud_rate", "Float64", "share", "all", "The same for this device, over all customers; 0 without a device."),
    _f("payee_txn_count_24h", "Int32", "transactions", "24h", "Transactions to this P2P payee (counterparty), all customers, before this one in the window; 0 for payments to merchants."),
    _f("payee_distinct_payers_7d", "Int32", "customers", "7d", "Distinct customers who paid this P2P payee (counterparty) before this one in the window, all customers; 0 for payments to merchants (mule accounts receive from many victims)."),
    _f("payee_amount_24h", "Float64", "INR", "24h", "Sum of amount_inr this P2P payee received before this one in the window, all customers; 0 for payments to merchants."),
)  # fmt: skip

ANOMALY: tuple[FeatureSpec, ...] = (
    _a("hour_rarity", "Float64", "share", "all", "1 - (earlier transactions in this hour + 1) / (earlier transactions + 24)."),
    _a("category_rarity", "Float64", "share", "all", "1 - (earlier transactions in this category + 1) / (earlier transactions + 26)."),
    _a("payment_mode_rarity", "Float64", "share", "all", "1 - (earlier transactions with this mode + 1) / (earlier transactions + 7)."),
    _a("channel_rarity", "Float64", "share", "all", "1 - (earlier transactions on this channel + 1) / (earlier transactions + 4)."),
    _a("city_rarity", "Float64", "share", "all", "1 - (earlier transactions in this city + 1) / (earlier transactions + number of cities)."),
    _a("txn_type_rarity", "Float64", "share", "all", "1 - (earlier transactions of this type + 1) / (earlier transactions + 5)."),
    _a("amount_percentile_category_30d", "Float64", "share", "30d", "Share of the customer's window amounts in this category below amount_inr (ties half); 0.5 if none."),
    _a("new_payee_amount_ratio", "Float64", "ratio", "30d", "For a transfer to a new payee (is_new_payee): amount_inr / (amount of the customer's previous such transfer in the window + 1), escalation from one new payee to the next; 0 when this is not one or none came before."),
    _a("amount_robust_z_30d", "Float64", "MAD", "30d", "(amount_inr - median) / (1.4826 MAD + 1) of the window amounts; 0 if none."),
    _a("dormancy_ratio", "Float64", "ratio", "30d", "secs_since_prev_txn / (mean gap between window transactions + 60 s); 0 for the first."),
    _a("spend_trend_7d_30d", "Float64", "ratio", "30d", "(amount_sum_7d / 7) / (window sum over 30d / 30 + 1)."),
    _a("count_trend_7d_30d", "Float64", "ratio", "30d", "(txn_count_7d / 7) / (window count over 30d / 30 + 0.1)."),
    _a("category_entropy", "Float64", "nats", "all", "Shannon entropy of the customer's earlier category counts; 0 if none."),
    _a("merchant_loyalty_30d", "Float64", "share", "30d", "Share of window transactions at this merchant (P2P: this payee); 0 if none."),
    _a("distinct_merchants_7d", "Int32", "merchants", "7d", "Distinct merchants (payees for P2P) of the customer's window transactions."),
    _a("distinct_categories_7d", "Int32", "categories", "7d", "Distinct categories of the customer's window transactions."),
    _a("city_switches_7d", "Int32", "switches", "7d", "Consecutive window transactions in different cities."),
    _a("hour_deviation", "Float64", "hours", "all", "Circular distance in hours from the customer's mean hour of earlier transactions; 0 if none."),
    _a("distance_from_centroid_km", "Float64", "km", "30d", "Haversine km from the mean (lat, lon) of the window transactions; distance from home if none."),
    _a("weekend_deviation", "Float64", "share", "all", "|is weekend - share of earlier transactions on weekends|; 0 if none."),
    _a("night_deviation", "Float64", "share", "all", "|night (hour before 06:00) - share of earlier transactions at night|; 0 if none."),
    _a("payee_address_age_days", "Int32", "days", "-", "Days since the payee's UPI address was created (payee_handle_age_days); -1 when not UPI."),
    _a("device_binding_age_days", "Int32", "days", "-", "Days since the device was bound to the customer's app (device_bound_days): a new phone, a reinstall or a fraudster's device; -1 outside an app session."),
    _a("sim_change_age_days", "Int32", "days", "-", "Days since the SIM of the customer's number last changed (sim_changed_days); -1 outside an app session."),
    _a("is_remote_access", "Int8", "flag", "-", "A screen-sharing or remote-access tool ran during the app session (remote_access); 0 when not seen or outside an app session."),
    _a("unusual_events_7d", "Int32", "transactions", "7d", "Window transactions that were unusual: with 10+ earlier rows, an hour used in under 2% of them or a first-time category; an amount above every one of 20+ in its 30-day window; or over 500 km from home."),
    _a("outlier_score", "Float64", "score", "-", "Mean absolute robust z-score of 8 observable features (txn_count_24h, log1p amount_ratio_30d, log1p distance_from_home_km, log1p speed_from_prev_kmh, log1p secs_since_prev_txn, hour_rarity, category_rarity, city_rarity) and log1p(amount_inr), against medians and MADs fitted on training data (unsupervised)."),
)  # fmt: skip

INTERACTION: tuple[FeatureSpec, ...] = (
    _i("velocity_x_distance", "Float64", "-", "txn_count_1h * log1p(distance_from_prev_km)."),
    _i("new_payee_x_amount", "Float64", "-", "is_new_payee * log_amount (a first transfer to someone, by its size)."),
    _i("new_device_x_amount", "Float64", "-", "log_amount if a device is used that the customer never used before, else 0."),
    _i("sim_recency_x_amount", "Float64", "-", "log_amount / (1 + sim_change_age_days); 0 outside an app session (a large payment soon after a SIM change: SIM swap)."),
    _i("binding_recency_x_amount", "Float64", "-", "log_amount / (1 + device_binding_age_days); 0 outside an app session (a large payment from a newly bound device)."),
    _i("address_recency_x_amount", "Float64", "-", "log_amount / (1 + payee_address_age_days); 0 when not UPI (a large payment to a newly created address: a mule's)."),
    _i("declines_x_velocity", "Float64", "-", "declines_24h * txn_count_1h."),
    _i("category_rarity_x_amount_pct", "Float64", "-", "category_rarity * amount_percentile_30d."),
    _i("home_distance_x_hour_rarity", "Float64", "-", "log1p(distance_from_home_km) * hour_rarity."),
    _i("merchant_risk_x_amount", "Float64", "-", "merchant_fraud_rate * log1p(amount_inr)."),
)  # fmt: skip

CATALOG: tuple[FeatureSpec, ...] = (*FRAUD, *ANOMALY, *INTERACTION)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in CATALOG)
BY_NAME: dict[str, FeatureSpec] = {f.name: f for f in CATALOG}
ENTITY_FEATURES: tuple[str, ...] = (
    "merchant_txn_count_24h",
    "merchant_fraud_rate",
    "merchant_fraud_7d",
    "merchant_fraud_30d",
    "device_fraud_rate",
    "payee_txn_count_24h",
    "payee_distinct_payers_7d",
    "payee_amount_24h",
)
"""The merchant-, device- and payee-side features: computed over every customer's rows of an
entity (the bucketed entity phase of ``pipeline.build_features``), not from one customer's."""
DELAYED_LABEL_FEATURES: tuple[str, ...] = (
    "merchant_fraud_rate",
    "merchant_fraud_7d",
    "merchant_fraud_30d",
    "device_fraud_rate",
    "merchant_risk_x_amount",
)
"""The only features that read labels (through label_known_at)."""


def catalog_rows() -> list[dict[str, str]]:
    """The catalogue as plain rows (for printing and hashing)."""
    return [dataclasses.asdict(f) for f in CATALOG]


def catalog_markdown() -> str:
    """``docs/features.md``, generated from the catalogue."""
    lines = [
        "# Feature catalogue",
        "",
        "<!-- generated by `fraudforge features --list --markdown > docs/features.md`; do not edit -->",
        "",
        " ".join((__doc__ or "").split()),
        "",
        f"{len(CATALOG)} features: {len(FRAUD)} fraud, {len(ANOMALY)} anomaly, "
        f"{len(INTERACTION)} interaction.",
    ]
    for group, specs in (("fraud", FRAUD), ("anomaly", ANOMALY), ("interaction", INTERACTION)):
        lines += [
            "",
            f"## {group}",
            "",
            "| name | type | unit | window | definition |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| `{f.name}` | {f.dtype} | {f.unit} | {f.window} | {f.definition} |" for f in specs
        ]
    return "\n".join(lines) + "\n"
