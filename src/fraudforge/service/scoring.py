"""``Scorer``: one transaction in, a scored and explained decision out, in tens of microseconds.

The online features turn the transaction into its full feature row (``finish.LAYOUT`` order);
a LightGBM model is compiled (``compiled.CompiledTrees``) and re-indexed onto that row, so no
per-call gather or allocation of the model's feature vector happens; its Saabas contributions
give the reasons. Other model kinds score through ``FraudModel.score`` on the model's columns of
the row and give no reasons (they have no path contributions; see docs/performance.md).
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import msgspec
import numba as nb
import numpy as np
import numpy.typing as npt
import polars as pl

from fraudforge.features.layout import COL, LAYOUT
from fraudforge.features.online import OnlineFeatures
from fraudforge.foundation.errors import ConfigError, ModelError
from fraudforge.models import FraudModel, Registry, RegistryError
from fraudforge.models.compiled import CompiledTrees, explain_masked, lightgbm_booster
from fraudforge.models.fraud_type import TYPE_SUFFIX, FraudTypes, best_class
from fraudforge.wire import (
    Feedback,
    ModelRef,
    Reason,
    ScoreResult,
    Thresholds,
    Transaction,
)

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def risk_score(probability: float) -> int:
    """The fraud probability as a 0-100 risk score (rounded, half up)."""
    return min(100, max(0, math.floor(probability * 100.0 + 0.5)))


@nb.njit(cache=True)
def _explain_and_type(
    row: F64,
    ints: npt.NDArray[np.int32],
    floats: F64,
    masks: npt.NDArray[np.uint64],
    contrib: F64,
    k: int,
    top: I64,
    picked: F64,
    columns: I64,
    fill: F64,
    coef: F64,
    intercept: F64,
) -> tuple[float, int, int]:
    """What a scored row needs after its features, in one kernel call: the raw score and the
    reasons (``explain_masked``: the indices in ``top``, each one's value and contribution in
    ``picked``, two by two) and the fraud type's class (``best_class``; -1 with no classes).
    Three calls (the trees, the fraud type, the reasons' values read one by one from Python)
    each paid the dispatcher for their arrays."""
    raw, n = explain_masked(row, ints, floats, masks, contrib, k, top)
    for i in range(n):
        picked[2 * i] = row[top[i]]
        picked[2 * i + 1] = contrib[top[i]]
    kind = best_class(row, columns, fill, coef, intercept) if intercept.shape[0] else -1
    return raw, n, kind


BLOCK_SHARE = 0.75
"""BLOCK starts this share of the way from a model's alert threshold to 1."""


def thresholds_from_alert(alert: float) -> Thresholds:
    """The decision bands of a model whose registered (validated) alert threshold is ``alert``:
    REVIEW from the alert threshold itself (the validated score from which a transaction is
    worth an analyst's look), FLAG from half of it (logged, let through), BLOCK from
    ``alert + BLOCK_SHARE * (1 - alert)`` (three quarters of the way from the alert threshold
    to certainty). A model validated at 0.6 gets the former fixed bands 0.3 / 0.6 / 0.9."""
    if not 0.0 <= alert <= 1.0 or math.isnan(alert):
        raise ConfigError(f"alert threshold {alert!r} is out of range: allowed is 0 to 1")
    block = alert + BLOCK_SHARE * (1.0 - alert)
    # flag and block rounded to 12 places only so that 0.6 gives 0.9, not 0.8999999999999999
    return Thresholds(
        flag=min(alert, round(alert / 2.0, 12)), review=alert, block=max(alert, round(block, 12))
    )


class Scorer:
    """Scores transactions with one model over shared online state.

    ``model`` is a fitted FraudModel (``version`` its registry version), ``online`` the
    OnlineFeatures it reads and updates, ``thresholds`` map probability to a decision (default:
    ``thresholds_from_alert(model.threshold)``, the bands of the model's own alert threshold),
    ``top_k``
    reasons are the features that pushed the score up most, ``fraud_types`` (optional) names the
    most likely fraud type (else ``"none"``). ``lock`` guards ``online``: scorers that share state
    must share it (``with_model`` does)."""

    def __init__(
        self,
        model: FraudModel,
        online: OnlineFeatures,
        *,
        thresholds: Thresholds | None = None,
        version: int = 0,
        top_k: int = 3,
        fraud_types: FraudTypes | None = None,
        lock: threading.Lock | None = None,
    ) -> None:
        if top_k < 0 or top_k > len(LAYOUT):
            raise ConfigError(f"top_k {top_k} is out of range: allowed is 0 to {len(LAYOUT)}")
        unknown = [f for f in model.features if f not in COL]
        if unknown:
            raise ModelError(
                f"model {model.name!r} reads {', '.join(unknown)}, which the online features do "
                f"not compute: allowed are the {len(LAYOUT)} catalogue features"
            )
        self.model = model
        self.online = online
        self.fixed_thresholds = thresholds
        """The thresholds given, or None when they follow the model."""
        self.thresholds = (
            thresholds if thresholds is not None else thresholds_from_alert(model.threshold)
        )
        self.version = int(version)
        self.top_k = int(top_k)
        self.fraud_types = fraud_types
        self.lock = lock if lock is not None else threading.Lock()
        self.ref = ModelRef(name=model.name or model.kind, version=self.version)
        self.columns: I64 = np.array([COL[f] for f in model.features], dtype=np.int64)
        """Position of each model feature in the online row."""
        booster = lightgbm_booster(model.estimator) if model.kind == "lightgbm" else None
        self.compiled: CompiledTrees | None = (
            None if booster is None else CompiledTrees.from_booster(booster).reindexed(self.columns)
        )
        self._type_columns: I64 | None = None
        if fraud_types is not None:
            self._type_columns = np.array([COL[f] for f in fraud_types.features], dtype=np.int64)
        self._contrib = np.zeros(len(LAYOUT), dtype=np.float64)
        self._top = np.zeros(max(self.top_k, 1), dtype=np.int64)
        self._picked = np.zeros(2 * max(self.top_k, 1), dtype=np.float64)
        self._types: tuple[I64, F64, F64, F64] = (
            (np.zeros(0, np.int64), np.zeros(0), np.zeros((0, 0)), np.zeros(0))
            if fraud_types is None or self._type_columns is None
            else (
                self._type_columns,
                fraud_types.fill,
                fraud_types.coef,
                fraud_types.intercept,
            )
        )
        """``_explain_and_type``'s fraud-type arguments (none: no classes)."""
        self._classes = ("none",) if fraud_types is None else fraud_types.classes

    def with_model(
        self,
        model: FraudModel,
        *,
        version: int,
        fraud_types: FraudTypes | None = None,
    ) -> Scorer:
        """A scorer of another model over the same online state and lock, and the same
        thresholds if they were given (else the new model's own), for a swap without downtime:
        requests holding the old scorer finish on it."""
        return Scorer(
            model,
            self.online,
            thresholds=self.fixed_thresholds,
            version=version,
            top_k=self.top_k,
            fraud_types=fraud_types,
            lock=self.lock,
        )

    @classmethod
    def from_registry(
        cls,
        registry: Registry | str | Path,
        name: str,
        online: OnlineFeatures,
        *,
        version: int | None = None,
        stage: str | None = None,
        thresholds: Thresholds | None = None,
        top_k: int = 3,
        lock: threading.Lock | None = None,
    ) -> Scorer:
        """The scorer of a registered model (``version``, or the newest at ``stage``, or the
        newest), with its fraud-type model ``<name>-type`` when one is registered (its newest
        version at the same stage, else its newest)."""
        reg = registry if isinstance(registry, Registry) else Registry(registry, create=False)
        info = reg.show(name, version, stage=stage)
        model = reg.load(name, info.version)
        return cls(
            model,
            online,
            thresholds=thresholds,
            version=info.version,
            top_k=top_k,
            fraud_types=load_fraud_types(reg, name, stage=stage),
            lock=lock,
        )

    def _row(self, txn: Transaction) -> F64:
        return self.online.process_row(txn)

    def _explain(self, row: F64, n: int) -> list[Reason]:
        """The reasons of the ``n`` features in ``_top`` (found by ``CompiledTrees.explain``)."""
        if n == 0:
            return []
        reasons = []
        for j in self._top[:n].tolist():
            value = float(row[j])
            reasons.append(
                Reason(
                    feature=LAYOUT[j],
                    value=None if math.isnan(value) else value,
                    contribution=float(self._contrib[j]),
                )
            )
        return reasons

    def _fraud_type(self, row: F64) -> str:
        if self.fraud_types is None or self._type_columns is None:
            return "none"
        return self.fraud_types.predict(row, self._type_columns)

    def _picked_reasons(self, n: int) -> list[Reason]:
        """The reasons of the ``n`` features in ``_top`` from ``_explain_and_type``'s
        ``_picked`` (each one's value and contribution, two by two)."""
        picked = self._picked[: 2 * n].tolist()
        return [
            Reason(
                feature=LAYOUT[j],
                value=None if picked[2 * i] != picked[2 * i] else picked[2 * i],
                contribution=picked[2 * i + 1],
            )
            for i, j in enumerate(self._top[:n].tolist())
        ]

    def _result(
        self,
        txn: Transaction,
        probability: float,
        fraud_type: str,
        reasons: list[Reason],
        start: int,
    ) -> ScoreResult:
        """The answer to ``txn``: its probability, decision, fraud type and reasons."""
        return ScoreResult(
            transaction_id=txn.transaction_id,
            fraud_probability=probability,
            risk_score=risk_score(probability),
            decision=self.thresholds.decide(probability),
            fraud_type=fraud_type,
            reasons=reasons,
            model=self.ref,
            processing_ms=(time.perf_counter_ns() - start) / 1e6,
        )

    def warm_up(self) -> float:
        """Run once every kernel a request runs (the online step on a throwaway state, then the
        trees, reasons and fraud type on its row), so the first request after a start or a swap
        pays no Numba compilation or cache load; the served state is not touched. Returns the
        seconds it took."""
        start = time.perf_counter()
        row = self.online.probe_row()
        if row is None:
            row = np.full(len(LAYOUT), np.nan)
        contrib = np.zeros(len(LAYOUT), dtype=np.float64)
        masks = None if self.compiled is None else self.compiled.mask_tables()
        if self.compiled is not None and masks is not None:
            ints, floats, bits = masks
            top = np.zeros(max(self.top_k, 1), np.int64)
            picked = np.zeros_like(self._picked)
            raw = _explain_and_type(
                row, ints, floats, bits, contrib, self.top_k, top, picked, *self._types
            )[0]  # fmt: skip
            self.compiled.to_probability(raw)
        elif self.compiled is not None:
            top = np.zeros(max(self.top_k, 1), np.int64)
            self.compiled.to_probability(self.compiled.explain(row, contrib, self.top_k, top)[0])
            self._fraud_type(row)
        else:
            self.model.score(row[self.columns].reshape(1, -1))
            self._fraud_type(row)
        return time.perf_counter() - start

    def score(self, txn: Transaction) -> ScoreResult:
        """Compute ``txn``'s online features (folding it into the state), score and explain it."""
        start = time.perf_counter_ns()
        compiled = self.compiled
        with self.lock:
            row = self._row(txn)
            masks = None if compiled is None else compiled.mask_tables()
            if compiled is not None and masks is not None:
                ints, floats, bits = masks
                raw, n, kind = _explain_and_type(
                    row, ints, floats, bits, self._contrib, self.top_k, self._top, self._picked,
                    *self._types,
                )  # fmt: skip
                fraud_type = "none" if kind < 0 else self._classes[kind]
                reasons = self._picked_reasons(n)
                return self._result(txn, compiled.to_probability(raw), fraud_type, reasons, start)
            if compiled is not None:
                raw, n = compiled.explain(row, self._contrib, self.top_k, self._top)
                probability = compiled.to_probability(raw)
                return self._result(
                    txn, probability, self._fraud_type(row), self._explain(row, n), start
                )
        probability = float(self.model.score(row[self.columns].reshape(1, -1))[0])
        return self._result(txn, probability, self._fraud_type(row), [], start)

    def score_many(self, txns: Sequence[Transaction]) -> list[ScoreResult]:
        """``score`` for each transaction, in input order (state updated in that order); other
        model kinds are scored in one call over the batch's rows."""
        if self.compiled is not None:
            return [self.score(t) for t in txns]
        start = time.perf_counter_ns()
        with self.lock:
            rows = [self._row(t) for t in txns]
        if not rows:
            return []
        matrix = np.vstack(rows)
        probabilities = self.model.score(matrix[:, self.columns]).tolist()
        return [
            self._result(t, float(p), self._fraud_type(r), [], start)
            for t, r, p in zip(txns, rows, probabilities, strict=True)
        ]

    def feedback(self, feedback: Feedback, *, replaces: dt.datetime | None = None) -> None:
        """A confirmed fraud or chargeback: the merchant's and device's fraud rates count it from
        ``known_at`` on. With ``replaces``, the label already counted from that time for this
        transaction moves to ``known_at`` instead (an earlier report of the same fraud)."""
        with self.lock:
            if replaces is not None:
                self.online.remove_label(
                    merchant_id=feedback.merchant_id,
                    device_id=feedback.device_id,
                    known_at=replaces,
                )
            self.online.add_label(
                merchant_id=feedback.merchant_id,
                device_id=feedback.device_id,
                known_at=feedback.known_at,
            )


def load_fraud_types(registry: Registry, name: str, *, stage: str | None) -> FraudTypes | None:
    """The fraud-type model registered for fraud model ``name`` (at ``stage`` if it has a
    version there, else its newest), or None when none is registered."""
    type_name = name + TYPE_SUFFIX
    if type_name not in registry.names():
        return None
    try:
        info = registry.show(type_name, stage=stage)
    except RegistryError:
        info = registry.show(type_name)
    return FraudTypes(registry.load(type_name, info.version))


TRANSACTION_FIELDS: tuple[str, ...] = Transaction.__struct_fields__
"""The transaction columns the service takes (the engine's schema without the labels)."""


def transactions_of(frame: pl.DataFrame) -> list[Transaction]:
    """The rows of a transactions table (the engine's schema; label columns ignored) as
    validated ``Transaction`` structs, in row order."""
    rows = frame.select(TRANSACTION_FIELDS).to_dicts()
    return msgspec.convert(rows, list[Transaction])


__all__ = [
    "BLOCK_SHARE",
    "TRANSACTION_FIELDS",
    "Scorer",
    "load_fraud_types",
    "risk_score",
    "thresholds_from_alert",
    "transactions_of",
]
