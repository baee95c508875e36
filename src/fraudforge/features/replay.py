"""Online state from data, and on disk: a stream of transactions replayed into
``OnlineFeatures`` (the one way the service warm-starts and the demo and benchmarks build a
state to serve with), and the state's snapshots.

A replay feeds the transactions in the batch pipeline's order (timestamp, then transaction_id),
then reports each confirmed fraud at its merchant and device counting from its
``label_known_at``, as the batch features count it; so the state after a replay gives the next
transaction the features the batch pipeline would.

A snapshot is ``OnlineFeatures.to_state`` saved as a NumPy ``.npz`` (no pickles) with a format
number, written atomically and durably (``foundation.atomic``: a temporary sibling no other
writer uses, flushed, renamed, the directory flushed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from fraudforge.engine.dataset import scan_dataset
from fraudforge.features.online import OnlineFeatures
from fraudforge.features.outlier import OutlierModel
from fraudforge.features.pipeline import read_features, source_dataset
from fraudforge.foundation.atomic import staged_file
from fraudforge.foundation.errors import DataError
from fraudforge.foundation.progress import ProgressFn, ignore

SNAPSHOT_FORMAT = 2
"""The snapshot layout this code writes and reads (2: the payee entities and the session
columns of the catalogue of issue 16 in the customers' rows; format 1 is refused)."""

_LABELS = ("merchant_id", "device_id", "label_known_at")


class SnapshotFormatError(DataError):
    """A snapshot written in a layout this code does not read."""


REPLAY_STEP = "replaying"
"""The progress step of a replay, counted in transactions."""
REPORT_EVERY = 50_000
"""Transactions between two progress reports of a replay."""


def replay(
    transactions: pl.DataFrame,
    online: OnlineFeatures,
    *,
    ordered: bool = False,
    progress: ProgressFn = ignore,
) -> OnlineFeatures:
    """Fold ``transactions`` (the engine's schema, labels included) into ``online`` and return
    it: each row in time order (sorted by timestamp and transaction_id unless ``ordered`` says
    they already are), then each fraud row's merchant and device labelled from its
    ``label_known_at``. Each customer's transactions must not be earlier than what ``online``
    already holds for that customer (``TimeOrderError``). ``progress`` hears of the rows
    replayed (``REPLAY_STEP``) every ``REPORT_EVERY`` rows."""
    tx = transactions if ordered else transactions.sort("timestamp", "transaction_id")
    total = tx.height
    progress(REPLAY_STEP, 0, total)
    for i, row in enumerate(tx.iter_rows(named=True), 1):
        online.process_row(row)
        if i % REPORT_EVERY == 0:
            progress(REPLAY_STEP, i, total)
    progress(REPLAY_STEP, total, total)
    for merchant_id, device_id, known_at in tx.filter(pl.col("is_fraud")).select(_LABELS).rows():
        online.add_label(merchant_id=merchant_id, device_id=device_id, known_at=known_at)
    return online


def replayed(
    transactions: pl.DataFrame, customers: pl.DataFrame, outlier: OutlierModel
) -> OnlineFeatures:
    """A fresh ``OnlineFeatures`` over ``customers`` (customer_id, home_lat, home_lon) and the
    batch pipeline's ``outlier`` model, with ``transactions`` replayed into it (``replay``)."""
    return replay(transactions, OnlineFeatures.from_customers(customers, outlier))


def warm_start(
    data: str | Path, *, features: str | Path | None = None, progress: ProgressFn = ignore
) -> OnlineFeatures:
    """``OnlineFeatures`` after the whole dataset ``data`` (a dataset directory, or a features
    directory naming its dataset) replayed into it, reporting to ``progress``. The outlier model
    comes from ``features``' ``features.json``, else it is fitted on the dataset as the batch
    pipeline would."""
    src, _ = source_dataset(data)
    customers = scan_dataset(src, "customers").select("customer_id", "home_lat", "home_lon")
    tx = scan_dataset(src, "transactions").sort("timestamp", "transaction_id").collect()
    cust = customers.collect()
    outlier: OutlierModel
    if features is not None:
        outlier = read_features(features, dataset=src)[0].outlier
    else:
        from fraudforge.features.batch import compute_features

        outlier = compute_features(tx, cust)[1]
    online = OnlineFeatures.from_customers(cust, outlier)
    return replay(tx, online, ordered=True, progress=progress)


def save_snapshot(online: OnlineFeatures, path: str | Path) -> int:
    """Write ``online``'s state to ``path`` atomically (NumPy ``.npz``, no pickles); returns the
    bytes written."""
    return write_state(online.to_state(), path)


def write_state(state: dict[str, np.ndarray[Any, Any]], path: str | Path) -> int:
    """Write a ``to_state`` dict to ``path`` atomically and durably; returns the bytes
    written."""
    target = Path(path)
    with staged_file(target) as work, open(work, "wb") as f:
        np.savez(f, __format__=np.array([SNAPSHOT_FORMAT]), **state)  # type: ignore[arg-type]
    return target.stat().st_size


def load_snapshot(path: str | Path) -> OnlineFeatures:
    """The ``OnlineFeatures`` saved in ``path``, or an error saying what is wrong with it."""
    with np.load(Path(path), allow_pickle=False) as z:
        state = {k: z[k] for k in z.files}
    found = state.pop("__format__", np.array([0]))
    if int(found[0]) != SNAPSHOT_FORMAT:
        raise SnapshotFormatError(
            f"snapshot {path} has format {found[0]}: this reads {SNAPSHOT_FORMAT}"
        )
    return OnlineFeatures.from_state(state)


__all__ = [
    "SNAPSHOT_FORMAT",
    "SnapshotFormatError",
    "load_snapshot",
    "replay",
    "replayed",
    "save_snapshot",
    "warm_start",
    "write_state",
]
