"""Which rows the report evaluates its models on, and at which alert thresholds.

By default a registered model is judged only on the days after every day it learnt from: the
registry records the periods ``fraudforge train`` fitted the model on and chose its threshold on
(``models.provenance.TrainingRecord``), and the evaluation starts the day after the later of the
two. Its threshold is the registered (validated) one. ``test_days`` (the last N days) and
``threshold`` override both; an evaluation that overlaps a model's training data, or whose
overlap cannot be known (a model file, an old registration), carries a warning."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fraudforge.analytics.loader import ReportModel
from fraudforge.foundation.errors import ConfigError, DataError
from fraudforge.models.provenance import date_to_day, day_to_date

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ModelThreshold:
    """A model's alert threshold and where it came from, in words."""

    value: float
    source: str


@dataclass(frozen=True)
class EvaluationScope:
    """The rows to evaluate (a mask over the features rows), how they were chosen, the
    thresholds of the models that have one, and warnings the report must show."""

    keep: npt.NDArray[np.bool_]
    rows: str
    """How the rows were chosen, in words (the report adds their count and dates)."""
    thresholds: dict[str, ModelThreshold]
    warnings: tuple[str, ...]


def _no_record(model: ReportModel) -> str:
    if model.registered is None:
        why = f"`{model.name}` is a model file, which carries no training record"
    else:
        why = f"{model.registered} was registered without a training record"
    return f"{why}: the evaluation period may overlap the data it was trained on."


def _seen_until(model: ReportModel) -> dt.date:
    assert model.training is not None
    return model.training.seen_until


def _span(day: I64) -> str:
    return f"{day_to_date(int(day.min()))} to {day_to_date(int(day.max()))}"


def evaluation_scope(
    models: Sequence[ReportModel],
    day: npt.ArrayLike,
    *,
    test_days: int | None = None,
    threshold: float | None = None,
    data_hash: str | None = None,
) -> EvaluationScope:
    """The evaluation of ``models`` on rows whose local day (days since 1970-01-01) is ``day``.

    Default: the rows after the last day any recorded model was trained or validated on (every
    row when no model has a record); none left is an error naming the dates. ``test_days``: the
    last N days instead. Thresholds: ``threshold`` for every model, else each registered model's
    own; a model file gets none (the report then picks the cost-optimal one on the rows, and
    says so).

    Parameters
    ----------
    models
        The report's models.
    day
        Each row's local day.
    test_days
        Evaluate on the last N days instead.
    threshold
        The alert threshold of every model.
    data_hash
        The dataset's content hash, compared with the models' training records.

    Returns
    -------
    EvaluationScope
        The rows kept, how they were chosen, each model's threshold and warnings.

    Raises
    ------
    ValueError
        When no row is left to evaluate (naming the dates), or for ``test_days`` below 1 or a
        ``threshold`` outside 0 to 1.
    """
    d = np.asarray(day, dtype=np.int64)
    if d.shape[0] == 0:
        raise DataError("the features table has no rows to evaluate")
    if test_days is not None and test_days < 1:
        raise ConfigError(f"--test-days {test_days}: allowed is 1 or more")
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"threshold = {threshold!r}: allowed is 0 to 1")
    warnings = [_no_record(m) for m in models if m.training is None]
    recorded = [m for m in models if m.training is not None]
    last = int(d.max())
    if test_days is not None:
        keep = d > last - test_days
        rows = f"the last {test_days} day(s) of the data (--test-days {test_days})"
        first_kept = day_to_date(last - test_days + 1)
        for m in recorded:
            assert m.training is not None
            if first_kept <= m.training.seen_until:
                warnings.append(
                    f"The last {test_days} day(s) start on {first_kept}, inside the data "
                    f"{m.registered} learnt from ({m.training.seen_text()}): its results on "
                    "those rows are optimistic."
                )
    elif recorded:
        latest = max(recorded, key=_seen_until)
        assert latest.training is not None
        cut = latest.training.seen_until
        keep = d > date_to_day(cut)
        if not keep.any():
            raise DataError(
                f"no rows after the data {latest.registered} learnt from: it was "
                f"{latest.training.seen_text()}, and the data covers {_span(d)}. Evaluate it on "
                "data with later days, or pass --test-days N to evaluate on the last N days anyway "
                "(the report then warns that they overlap its training data)"
            )
        seen = latest.training.seen_text()
        rows = f"the rows after the data {latest.registered} learnt from ({seen})"
        others = [m.registered for m in recorded if m is not latest]
        if others:
            rows += f", which is also after the training data of {', '.join(map(str, others))}"
    else:
        keep = np.ones(d.shape[0], dtype=np.bool_)
        rows = "every row (no model records the period it was trained on; --test-days N limits "
        rows += "the evaluation to the last N days)"
    warnings.extend(
        f"{m.registered} was trained on another dataset (content hash {m.data_hash[:12]}, this "
        f"one is {data_hash[:12]}): its periods are compared with this one's by date only."
        for m in recorded
        if data_hash is not None and m.data_hash is not None and m.data_hash != data_hash
    )
    thresholds: dict[str, ModelThreshold] = {}
    for m in models:
        if threshold is not None:
            thresholds[m.name] = ModelThreshold(threshold, "given to the report (--threshold)")
        elif m.threshold is not None:
            how = (
                m.training.threshold_text()
                if m.training is not None
                else "how it was chosen is not recorded"
            )
            thresholds[m.name] = ModelThreshold(
                m.threshold, f"registered with {m.registered}: {how}"
            )
    return EvaluationScope(
        keep=np.asarray(keep, dtype=np.bool_),
        rows=rows,
        thresholds=thresholds,
        warnings=tuple(warnings),
    )
