"""The wire types the service and the client share: msgspec Structs decoded strictly (unknown
fields rejected, no type coercion) and encoded as JSON. They need only msgspec and the standard
library. Enum fields are ``Literal`` types over ``wire.vocabulary``, generated from the engine's
schema, so the API accepts exactly the values the generator produces and the features
understand; ``Transaction`` carries exactly the schema's authorisation columns
(``tests/test_contracts.py``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

import msgspec
from msgspec import Meta

from fraudforge.wire.reference import NAME_PATTERN, STAGES
from fraudforge.wire.vocabulary import ENUM_VALUES

IST = dt.timezone(dt.timedelta(hours=5, minutes=30), "IST")
"""Timestamps in the engine are naive Indian Standard Time; aware ones are converted to it."""

DECISIONS: tuple[str, ...] = ("ALLOW", "FLAG", "REVIEW", "BLOCK")
FEEDBACK_KINDS: tuple[str, ...] = ("fraud", "chargeback")

MAX_AMOUNT_INR = 1e9
"""Hard upper bound on an amount in the schema; the service's configured maximum is lower."""


def _literal(values: tuple[str, ...]) -> Any:
    """A ``Literal`` type over ``values`` (built at import so it follows the vocabulary)."""
    return Literal.__getitem__(values)


if TYPE_CHECKING:
    PaymentMode: TypeAlias = str
    CardNetwork: TypeAlias = str
    Channel: TypeAlias = str
    TxnType: TypeAlias = str
    Status: TypeAlias = str
    Category: TypeAlias = str
    City: TypeAlias = str
    State: TypeAlias = str
    UpiInitiation: TypeAlias = str
    FraudType: TypeAlias = str
    Decision: TypeAlias = str
    FeedbackKind: TypeAlias = str
    Stage: TypeAlias = str
else:
    PaymentMode = _literal(ENUM_VALUES["payment_mode"])
    CardNetwork = _literal(ENUM_VALUES["card_network"])
    Channel = _literal(ENUM_VALUES["channel"])
    TxnType = _literal(ENUM_VALUES["txn_type"])
    Status = _literal(ENUM_VALUES["status"])
    Category = _literal(ENUM_VALUES["category"])
    City = _literal(ENUM_VALUES["city"])
    State = _literal(ENUM_VALUES["state"])
    UpiInitiation = _literal(ENUM_VALUES["upi_initiation"])
    FraudType = _literal(ENUM_VALUES["fraud_type"])
    Decision = _literal(DECISIONS)
    FeedbackKind = _literal(FEEDBACK_KINDS)
    Stage = _literal(STAGES)

Id = Annotated[int, Meta(ge=0, le=2**63 - 1, description="A non-negative 64-bit id.")]
CustomerId = Annotated[int, Meta(ge=1, le=2**63 - 1, description="customers.customer_id")]
Amount = Annotated[
    float,
    Meta(gt=0.0, le=MAX_AMOUNT_INR, description="Amount in rupees, positive and finite."),
]
Latitude = Annotated[float, Meta(ge=-90.0, le=90.0, description="Decimal degrees.")]
Longitude = Annotated[float, Meta(ge=-180.0, le=180.0, description="Decimal degrees.")]
Mcc = Annotated[int, Meta(ge=0, le=9999, description="ISO 18245 merchant category code.")]
Counterparty = Annotated[str, Meta(min_length=1, max_length=256, description="Payee VPA.")]
Unit = Annotated[float, Meta(ge=0.0, le=1.0)]
Days = Annotated[int, Meta(ge=0, le=2**31 - 1, description="Whole days since an event.")]
Timestamp = Annotated[
    dt.datetime,
    Meta(
        description="ISO 8601; naive means Indian Standard Time, aware ones are converted.",
        extra_json_schema={"format": "date-time"},
    ),
]


def to_ist_naive(ts: dt.datetime, field: str = "timestamp") -> dt.datetime:
    """A timestamp as the engine's naive Indian Standard Time.

    Parameters
    ----------
    ts
        An aware timestamp (converted to IST) or a naive one (taken as IST and kept).
    field
        The request field it came from, for the error message.

    Returns
    -------
    datetime.datetime
        The naive IST time.

    Raises
    ------
    ValueError
        Naming ``field`` when the time has no IST equivalent (e.g.
        ``0001-01-01T00:00:00+14:00``); msgspec reports it as a validation error.
    """
    if ts.tzinfo is None:
        return ts
    try:
        return ts.astimezone(IST).replace(tzinfo=None)
    except OverflowError:
        raise ValueError(
            f"invalid field `{field}`: {ts.isoformat()} is outside the years 1-9999 in IST"
        ) from None


class Transaction(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One payment as the bank sees it at authorisation time: the engine's transaction columns
    without the labels."""

    transaction_id: Id
    timestamp: Timestamp
    customer_id: CustomerId
    amount_inr: Amount
    payment_mode: PaymentMode
    card_network: CardNetwork
    channel: Channel
    txn_type: TxnType
    status: Status
    category: Category
    city: City
    state: State
    lat: Latitude
    lon: Longitude
    counterparty: Counterparty
    merchant_id: Id | None = None
    device_id: Id | None = None
    card_id: Id | None = None
    mcc: Mcc | None = None
    upi_initiation: UpiInitiation | None = None
    """How a UPI payment was started; null when not UPI."""
    payee_handle_age_days: Days | None = None
    """Days since the payee's UPI address was created; null when not UPI."""
    device_bound_days: Days | None = None
    """Days since the device was bound to the customer's app; null outside an app session."""
    sim_changed_days: Days | None = None
    """Days since the SIM of the customer's number last changed; null outside an app session."""
    remote_access: bool | None = None
    """A screen-sharing or remote-access tool ran during the session; null outside an app
    session (UPI, or net banking in the app, on a device)."""

    def __post_init__(self) -> None:
        self.timestamp = to_ist_naive(self.timestamp)


class Reason(msgspec.Struct, kw_only=True, frozen=True):
    """One feature's part in a score: its value and its contribution to the raw (log-odds)
    score."""

    feature: str
    value: float | None
    """The feature's value; null when missing (NaN)."""
    contribution: float


class ModelRef(msgspec.Struct, kw_only=True, frozen=True):
    """Which registered model produced a score."""

    name: str
    version: int


class ScoreResult(msgspec.Struct, kw_only=True, frozen=True):
    """The answer for one transaction."""

    transaction_id: int
    fraud_probability: Annotated[float, Meta(ge=0.0, le=1.0)]
    risk_score: Annotated[int, Meta(ge=0, le=100)]
    decision: Decision
    fraud_type: FraudType
    """Most likely fraud pattern should the transaction be fraud."""
    reasons: list[Reason]
    model: ModelRef
    processing_ms: float
    replayed: bool = False
    """True when the transaction had been scored already (same ``transaction_id`` and body):
    this is the original result, and the online state was not changed again."""


class BatchRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Several transactions scored in one call (up to the service's configured limit)."""

    transactions: list[Transaction]


class BatchResult(msgspec.Struct, kw_only=True, frozen=True):
    """Results in the order of the request's transactions."""

    results: list[ScoreResult]
    processing_ms: float


class Feedback(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A transaction this service scored, confirmed as fraud (``kind`` ``fraud``: reported or
    found) or disputed as unauthorised (``chargeback``), known from ``known_at``: from then on
    it counts once in its merchant's and device's delayed-label fraud rates. ``merchant_id``
    and ``device_id`` may be left out; when given they must be the scored transaction's."""

    transaction_id: Id
    customer_id: CustomerId
    kind: FeedbackKind
    known_at: Timestamp
    merchant_id: Id | None = None
    device_id: Id | None = None

    def __post_init__(self) -> None:
        self.known_at = to_ist_naive(self.known_at, "known_at")


class Thresholds(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Fraud-probability cut-offs: below ``flag`` ALLOW, then FLAG, REVIEW and from ``block``
    BLOCK. Each in [0, 1], ascending."""

    flag: Unit = 0.3
    review: Unit = 0.6
    block: Unit = 0.9

    def __post_init__(self) -> None:
        if not self.flag <= self.review <= self.block:
            raise ValueError(
                f"thresholds must ascend: flag ({self.flag}) <= review ({self.review}) <= "
                f"block ({self.block})"
            )

    def decide(self, probability: float) -> str:
        """The decision for a fraud probability.

        Parameters
        ----------
        probability
            The model's fraud probability, 0 to 1.

        Returns
        -------
        str
            ``BLOCK`` from ``block``, ``REVIEW`` from ``review``, ``FLAG`` from ``flag``, else
            ``ALLOW``.
        """
        if probability >= self.block:
            return "BLOCK"
        if probability >= self.review:
            return "REVIEW"
        if probability >= self.flag:
            return "FLAG"
        return "ALLOW"


class ModelInfo(msgspec.Struct, kw_only=True, frozen=True):
    """The model being served, as the registry describes it."""

    name: str
    version: int
    kind: str
    stage: str
    created_at: str
    features: list[str]
    thresholds: Thresholds


class Health(msgspec.Struct, kw_only=True, frozen=True):
    """Liveness: the process answers."""

    status: Literal["ok"] = "ok"
    uptime_s: float = 0.0


class Ready(msgspec.Struct, kw_only=True, frozen=True):
    """Readiness: a model is loaded and the online state restored."""

    ready: bool
    model: ModelRef | None = None
    error: str | None = None
    """Why startup failed, if it did."""


ModelName = Annotated[str, Meta(pattern=f"^{NAME_PATTERN}$")]


class LoadModel(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Admin: serve another registered model: ``NAME:VERSION``, ``NAME@STAGE``, or ``NAME`` for
    its production version (its newest when none is promoted)."""

    model: Annotated[str, Meta(min_length=1, max_length=80, examples=["fraud-model@production"])]


class Promote(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Admin: move a version to a stage, and serve it when ``serve`` is true."""

    name: ModelName
    version: Annotated[int, Meta(ge=1, le=2**31)]
    stage: Stage = "production"
    serve: bool = True


class SnapshotInfo(msgspec.Struct, kw_only=True, frozen=True):
    """Admin: a snapshot of the online state was written."""

    path: str
    bytes: int
    seconds: float


class ErrorBody(msgspec.Struct, kw_only=True, frozen=True):
    """Every error answer: what was wrong and, when one field is to blame, its path."""

    error: str
    field: str | None = None
