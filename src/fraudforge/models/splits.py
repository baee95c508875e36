"""Time-based splits of time-ordered rows: train / validation / test with a gap for the label
delay, and prequential (rolling) folds. Nothing here shuffles: a model is always assessed on days
after the ones it learnt from, with the gap standing for the labels not yet known when it is
trained."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from fraudforge.foundation.errors import ConfigError, DataError
from fraudforge.models.data import US_PER_DAY, ModelData

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class TimeSplit:
    """Row indices of the three periods, each in time order, and the days they cover
    (days since the epoch, half-open ``[first, end)``)."""

    train: I64
    validation: I64
    test: I64
    train_days: tuple[int, int]
    validation_days: tuple[int, int]
    test_days: tuple[int, int]


def _days(x: ModelData | npt.ArrayLike) -> I64:
    """Local day of each row from ModelData or from µs timestamps."""
    if isinstance(x, ModelData):
        return x.day
    return np.asarray(x, dtype=np.int64) // US_PER_DAY


def _rows(day: I64, first: int, end: int) -> I64:
    return np.flatnonzero((day >= first) & (day < end)).astype(np.int64)


def _check_days(**values: int | None) -> None:
    for name, value in values.items():
        if value is not None and value < 0:
            raise ConfigError(f"`{name}` = {value}: allowed is a whole number of days >= 0")


def time_split(
    data: ModelData | npt.ArrayLike,
    *,
    validation_days: int = 7,
    test_days: int = 7,
    gap_days: int = 7,
    train_days: int | None = None,
) -> TimeSplit:
    """Split by calendar day, anchored at the last day: ``[train][gap][validation][gap][test]``.
    The test period is the last ``test_days`` days; ``train_days=None`` trains on every earlier
    day. ``data`` is ModelData or the rows' µs timestamps.

    Parameters
    ----------
    data
        ModelData, or the rows' µs timestamps.
    validation_days
        Days of the validation period (0: none).
    test_days
        Days of the test period.
    gap_days
        Days left out before the validation and the test periods (the label delay).
    train_days
        Days of training before the first gap (default: every earlier day).

    Returns
    -------
    TimeSplit
        The three periods' row indices and their days.

    Raises
    ------
    ValueError
        When a period would be empty or a number of days is out of range.
    """
    _check_days(
        validation_days=validation_days,
        test_days=test_days,
        gap_days=gap_days,
        train_days=train_days,
    )
    if test_days == 0:
        raise ConfigError("`test_days` = 0: allowed is a whole number of days >= 1")
    day = _days(data)
    if day.shape[0] == 0:
        raise DataError("cannot split an empty dataset")
    test_end = int(day.max()) + 1
    test_first = test_end - test_days
    val_end = test_first - gap_days if validation_days else test_first
    val_first = val_end - validation_days
    train_end = val_first - gap_days
    train_first = int(day.min()) if train_days is None else train_end - train_days
    split = TimeSplit(
        train=_rows(day, train_first, train_end),
        validation=_rows(day, val_first, val_end),
        test=_rows(day, test_first, test_end),
        train_days=(train_first, train_end),
        validation_days=(val_first, val_end),
        test_days=(test_first, test_end),
    )
    span = test_end - int(day.min())
    if split.train.shape[0] == 0:
        raise DataError(
            f"no training rows: the data covers {span} days, fewer than the "
            f"{test_days} test + {validation_days} validation + gaps of {gap_days} days need; "
            "shorten the periods or the gap"
        )
    return split


class PrequentialSplit:
    """Prequential (rolling) validation as a scikit-learn splitter: fold ``i`` tests on
    ``test_days`` days, after a gap of ``gap_days`` following ``train_days`` days of training
    (``None``: every earlier day). Folds step back ``test_days`` from the last day and are yielded
    oldest first, as the Fraud Detection Handbook's prequential assessment does.

    Parameters
    ----------
    n_splits
        How many folds.
    train_days
        Days of training before each fold's gap; None trains on every earlier day.
    gap_days
        Days left out between training and test (the label delay).
    test_days
        Days of each fold's test period, and the step between folds.
    """

    def __init__(
        self,
        n_splits: int = 4,
        *,
        train_days: int | None = 7,
        gap_days: int = 7,
        test_days: int = 7,
    ) -> None:
        self.n_splits = n_splits
        self.train_days = train_days
        self.gap_days = gap_days
        self.test_days = test_days

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:  # noqa: N803
        """Number of folds.

        Parameters
        ----------
        X, y, groups
            Ignored (scikit-learn's splitter interface).

        Returns
        -------
        int
            ``n_splits``.
        """
        return self.n_splits

    def folds(self, data: ModelData | npt.ArrayLike) -> list[TimeSplit]:
        """The folds, oldest first, as TimeSplits with an empty validation period.

        Parameters
        ----------
        data
            ModelData, or the rows' µs timestamps.

        Returns
        -------
        list[TimeSplit]
            ``n_splits`` folds.

        Raises
        ------
        ValueError
            When the data spans too few days for the folds.
        """
        if self.n_splits < 1:
            raise ConfigError(f"`n_splits` = {self.n_splits}: allowed is 1 or more")
        _check_days(train_days=self.train_days, gap_days=self.gap_days)
        if self.test_days < 1:
            raise ConfigError(f"`test_days` = {self.test_days}: allowed is 1 or more")
        day = _days(data)
        if day.shape[0] == 0:
            raise DataError("cannot split an empty dataset")
        first_day, last_end = int(day.min()), int(day.max()) + 1
        out: list[TimeSplit] = []
        for i in reversed(range(self.n_splits)):
            test_end = last_end - i * self.test_days
            test_first = test_end - self.test_days
            train_end = test_first - self.gap_days
            train_first = first_day if self.train_days is None else train_end - self.train_days
            train = _rows(day, train_first, train_end)
            if train.shape[0] == 0:
                raise DataError(
                    f"prequential fold {self.n_splits - i} of {self.n_splits} has no training "
                    f"rows: {self.n_splits} folds of {self.test_days} test days after a "
                    f"{self.gap_days}-day gap need more than the {last_end - first_day} days "
                    "the data covers; use fewer folds or shorter periods"
                )
            empty = np.empty(0, dtype=np.int64)
            out.append(
                TimeSplit(
                    train=train,
                    validation=empty,
                    test=_rows(day, test_first, test_end),
                    train_days=(train_first, train_end),
                    validation_days=(train_end, train_end),
                    test_days=(test_first, test_end),
                )
            )
        return out

    def split(
        self,
        X: Any,  # noqa: N803 - scikit-learn's name
        y: Any = None,
        groups: npt.ArrayLike | None = None,
    ) -> Iterator[tuple[I64, I64]]:
        """(train, test) row indices per fold. ``X`` is ModelData, or an array whose rows'
        µs timestamps are passed as ``groups``.

        Parameters
        ----------
        X
            ModelData, or an array of rows (then ``groups`` holds their timestamps).
        y
            Ignored (scikit-learn's splitter interface).
        groups
            The rows' µs timestamps, when ``X`` is an array.

        Yields
        ------
        tuple[numpy.ndarray, numpy.ndarray]
            The training and test row indices of each fold, oldest first.
        """
        if isinstance(X, ModelData):
            source: ModelData | npt.ArrayLike = X
        elif groups is not None:
            source = groups
        else:
            raise ConfigError(
                "PrequentialSplit needs the rows' times: pass ModelData as X, or the µs "
                "timestamps as groups"
            )
        for fold in self.folds(source):
            yield fold.train, fold.test

    def __repr__(self) -> str:
        return (
            f"PrequentialSplit(n_splits={self.n_splits}, train_days={self.train_days}, "
            f"gap_days={self.gap_days}, test_days={self.test_days})"
        )
