"""``Rows``: a block of transactions as aligned NumPy columns of integer codes, the form every
generator (legitimate, fraud, anomaly, handbook) produces before a shard is assembled.

``FIELDS_SPEC`` declares each array once: its NumPy type, its value in an empty row, and the
transactions columns (``engine.schema.TRANSACTIONS``) that store it as it is, converted only
by the column's type (``engine.frames.stored``): Enum codes become the Enum, a negative value
null, epoch seconds a datetime, a 0 / 1 flag a Boolean. The arrays no column stores (``cust``,
``merchant``, ``payee``, ``label_delay``) are the generator's own: columns are derived from
them (ids, the counterparty's address, when the label is known) and they never reach the
dataset themselves. ``tests/test_contracts.py`` holds these records and the schema together.

This module imports only NumPy: every pattern module imports it, and the schema imports the
patterns (through the taxonomy's fraud labels), so the schema cannot be imported here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from fraudforge.foundation.errors import DataError, NotFoundError

UNSET = -2
"""A session field a builder left to the genuine distribution (``engine.session.fill_session``
draws it; a row that never reaches it, as the handbook preset's, shows null)."""


@dataclass(frozen=True)
class Field:
    """One array of ``Rows``.

    Parameters
    ----------
    name
        The array's name in ``Rows``.
    dtype
        Its NumPy type.
    meaning
        What it holds, in the generator's terms.
    stored_as
        The transactions columns that store it as it is (converted by the column's type); empty
        for an array only the generator holds.
    empty
        Its value in ``Rows.empty``: -1 for a party or incident that is absent, ``UNSET`` for a
        session field left to ``engine.session``.
    """

    name: str
    dtype: type[np.generic]
    meaning: str
    stored_as: tuple[str, ...] = ()
    empty: int = 0


FIELDS_SPEC: tuple[Field, ...] = (
    Field("cust", np.int64, "customer index, 0-based (customer_id is one more)"),
    Field("ts", np.int64, "epoch seconds, naive IST", ("timestamp",)),
    Field("merchant", np.int64, "merchant index (merchant_id is one more); -1 for P2P", (), -1),
    Field("payee", np.int64, "a P2P payee's customer index (counterparty: its VPA); or -1", (), -1),
    Field("amount", np.float64, "rupees", ("amount_inr",)),
    Field("mode", np.int8, "payment mode code", ("payment_mode",)),
    Field("channel", np.int8, "channel code", ("channel",)),
    Field("txn_type", np.int8, "transaction type code", ("txn_type",)),
    Field("status", np.int8, "authorisation status code", ("status",)),
    Field("category", np.int8, "merchant category code (the MCC follows)", ("category",)),
    Field("city", np.int16, "city code (the state follows)", ("city",)),
    Field("lat", np.float64, "latitude of the payment", ("lat",)),
    Field("lon", np.float64, "longitude of the payment", ("lon",)),
    Field("device", np.int64, "opaque device id; -1 when no device is used", ("device_id",), -1),
    Field("card", np.int64, "opaque card id; -1 when no card is used", ("card_id",), -1),
    Field("network", np.int8, "card network code; 0 = none", ("card_network",)),
    Field("fraud", np.int8, "fraud label code; 0 = none", ("fraud_type", "is_fraud")),
    Field("scenario", np.int64, "opaque fraud incident id; -1 = none", ("fraud_scenario_id",), -1),
    Field("label_delay", np.int64, "seconds from ts until the label is known (label_known_at)"),
    Field("anomaly", np.int8, "anomaly label code; 0 = none", ("anomaly_type", "is_anomaly")),
    Field("severity", np.float32, "anomaly severity", ("anomaly_severity",)),
    # The session (``engine.session``): negative is null; UNSET leaves it to the genuine
    # distribution of the row's context.
    Field("upi_via", np.int8, "UPI initiation code; -1 = not UPI", ("upi_initiation",), UNSET),
    Field("payee_age", np.int32, "days since the payee's UPI address was created; -1 = not UPI",
          ("payee_handle_age_days",), UNSET),
    Field("bound", np.int32, "days since the device was bound to the app; -1 = no device",
          ("device_bound_days",), UNSET),
    Field("sim", np.int32, "days since the SIM last changed; -1 = no device",
          ("sim_changed_days",), UNSET),
    Field("remote", np.int8, "remote-access tool seen (0/1); -1 = no device", ("remote_access",),
          UNSET),
)  # fmt: skip
"""Every array of ``Rows``, in order."""

ROW_DTYPES: dict[str, type[np.generic]] = {f.name: f.dtype for f in FIELDS_SPEC}
FIELDS: tuple[str, ...] = tuple(ROW_DTYPES)
SESSION_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS_SPEC if f.empty == UNSET)
"""The session's fields (``engine.session`` fills those a builder left ``UNSET``)."""
STORED: tuple[tuple[str, str], ...] = tuple(
    (f.name, column) for f in FIELDS_SPEC for column in f.stored_as
)
"""(field, column) for every transactions column stored as a field is."""
GENERATOR_ONLY: tuple[str, ...] = tuple(f.name for f in FIELDS_SPEC if not f.stored_as)
"""The arrays no column stores; columns derived from them are built in ``engine.frames``."""
_EMPTY: tuple[tuple[str, np.dtype[Any], int], ...] = tuple(
    (f.name, np.dtype(f.dtype), f.empty) for f in FIELDS_SPEC
)


class Rows:
    """Aligned columns of one block of transactions."""

    __slots__ = ("cols",)

    def __init__(self, cols: dict[str, npt.NDArray[Any]]) -> None:
        missing = set(FIELDS) - set(cols)
        if missing:
            raise NotFoundError(f"Rows is missing columns: {sorted(missing)}")
        n = {len(v) for v in cols.values()}
        if len(n) > 1:
            raise DataError(f"Rows columns have different lengths: {n}")
        self.cols = {k: np.asarray(cols[k], dtype=ROW_DTYPES[k]) for k in FIELDS}

    @classmethod
    def empty(cls, n: int = 0) -> Rows:
        """``n`` rows of defaults: no merchant, payee, device, card, labels; the session's
        fields ``UNSET``."""
        cols = {}
        for name, dtype, value in _EMPTY:  # empty and fill: a third of np.full's time
            cols[name] = np.empty(n, dtype=dtype)
            cols[name].fill(value)
        return cls._of(cols)

    def __len__(self) -> int:
        return len(self.cols["ts"])

    def __getitem__(self, key: str) -> npt.NDArray[Any]:
        return self.cols[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.cols[key][:] = value

    @classmethod
    def _of(cls, cols: dict[str, npt.NDArray[Any]]) -> Rows:
        """Rows over ``cols`` as they are: every field, aligned, of its type (what ``take``
        and ``concat`` make from valid rows), so the constructor's checks are skipped (a shard
        makes hundreds of small blocks)."""
        rows = cls.__new__(cls)
        rows.cols = cols
        return rows

    def take(self, idx: Any) -> Rows:
        """Rows at the given positions (or boolean mask)."""
        return Rows._of({k: v[idx] for k, v in self.cols.items()})

    @staticmethod
    def concat(blocks: Iterable[Rows]) -> Rows:
        """Concatenate blocks in order."""
        blocks = list(blocks)
        if not blocks:
            return Rows.empty(0)
        return Rows._of({k: np.concatenate([b.cols[k] for b in blocks]) for k in FIELDS})
