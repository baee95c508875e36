"""What a model was trained on, recorded with it in the registry: the days and rows of its
training, validation and test periods and how its alert threshold was chosen. The report reads it
to evaluate a registered model only on days it never learnt from."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import msgspec

from fraudforge.foundation.errors import ModelError

ThresholdSource = Literal["validation", "given", "default"]
"""How a threshold was set: best on the validation period, given by the user, or the 0.5 default
(no validation period)."""

EPOCH = dt.date(1970, 1, 1)


def day_to_date(day: int) -> dt.date:
    """The calendar date of a day number (days since 1970-01-01, the local day of naive IST
    timestamps, as ``ModelData.day`` counts them)."""
    return EPOCH + dt.timedelta(days=int(day))


def date_to_day(date: dt.date) -> int:
    """Inverse of :func:`day_to_date`."""
    return (date - EPOCH).days


class PeriodRecord(msgspec.Struct, kw_only=True, frozen=True):
    """One period of a time split: its first and last day (inclusive), rows and fraud rows."""

    first: dt.date
    last: dt.date
    rows: int
    fraud: int

    def text(self) -> str:
        """``2025-01-01 to 2025-01-20 (12,345 rows)``."""
        return f"{self.first} to {self.last} ({self.rows:,} rows)"


class TrainingRecord(msgspec.Struct, kw_only=True, frozen=True):
    """The split a model was fitted, thresholded and tested on (``fraudforge train``)."""

    train: PeriodRecord
    validation: PeriodRecord | None
    """None when the split had no validation period (``--validation-days 0``)."""
    test: PeriodRecord | None
    gap_days: int
    threshold: float
    threshold_source: ThresholdSource
    threshold_rule: str | None = None
    """``cost`` or ``f1`` when the threshold was chosen on validation."""

    @property
    def seen_until(self) -> dt.date:
        """The last day whose rows the model learnt from or had its threshold chosen on."""
        if self.validation is not None and self.validation.rows:
            return max(self.train.last, self.validation.last)
        return self.train.last

    def seen_text(self) -> str:
        """Which periods ``seen_until`` closes, in words."""
        text = f"trained on {self.train.first} to {self.train.last}"
        if self.validation is not None and self.validation.rows:
            text += f", threshold validated on {self.validation.first} to {self.validation.last}"
        return text

    def threshold_text(self) -> str:
        """Where the threshold came from, in words."""
        if self.threshold_source == "given":
            return "given to `fraudforge train --threshold`"
        if self.threshold_source == "validation" and self.validation is not None:
            return (
                f"best {self.threshold_rule or 'cost'} on the validation period "
                f"{self.validation.first} to {self.validation.last}"
            )
        return "the default 0.5 (no validation period to choose it on)"


def training_record(run: Any) -> TrainingRecord:
    """The record of a ``models.workflow.TrainRun``."""
    periods = {p.name: p for p in run.periods}

    def period(name: str) -> PeriodRecord | None:
        p = periods[name]
        first, end = p.days
        if end <= first:
            return None
        return PeriodRecord(
            first=day_to_date(first), last=day_to_date(end - 1), rows=p.rows, fraud=p.fraud
        )

    train = period("train")
    assert train is not None  # time_split refuses a split without training rows
    split = run.split
    return TrainingRecord(
        train=train,
        validation=period("validation"),
        test=period("test"),
        gap_days=int(split.test_days[0] - split.validation_days[1])
        if split.validation_days[1] > split.validation_days[0]
        else int(split.test_days[0] - split.train_days[1]),
        threshold=float(run.model.threshold),
        threshold_source=run.threshold_source,
        threshold_rule=run.threshold_rule if run.threshold_source == "validation" else None,
    )


def read_training_record(value: Any) -> TrainingRecord | None:
    """A stored record (a dict, as the registry returns it) as a TrainingRecord; None when
    absent. A record this version cannot read is refused naming what it holds."""
    if value is None:
        return None
    try:
        return msgspec.convert(value, TrainingRecord)
    except msgspec.ValidationError as exc:
        raise ModelError(f"unreadable training record ({exc}): {value!r}") from exc
