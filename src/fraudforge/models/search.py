"""Hyper-parameter search over a model kind's parameter space: exhaustive grid, random sampling,
or Bayesian optimisation (Optuna's TPE sampler with a median pruner that stops a trial after a
poor fold). Each candidate is scored by cross-validation, prequential (time-ordered, the default)
or stratified, on a metric chosen by name; the results table (Polars) exports to CSV and
Markdown with the best parameters."""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import msgspec
import numpy as np
import numpy.typing as npt
import polars as pl
from joblib import Parallel, delayed
from sklearn.model_selection import StratifiedKFold

from fraudforge.foundation.atomic import write_atomic
from fraudforge.foundation.errors import ConfigError, DataError
from fraudforge.foundation.extras import require
from fraudforge.models._tables import markdown_table
from fraudforge.models.data import ModelData
from fraudforge.models.metric_registry import DEFAULT_METRIC
from fraudforge.models.metric_registry import metric as registered_metric
from fraudforge.models.metrics import metric_value
from fraudforge.models.splits import PrequentialSplit
from fraudforge.models.training import train_model
from fraudforge.models.zoo import MODEL_KINDS, N_JOBS, Imbalance, check_kind

Method = Literal["grid", "random", "bayes"]
CV = Literal["prequential", "stratified"]
Folds = list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]
ProgressFn = Callable[[int, int], None]

METHODS: tuple[str, ...] = ("grid", "random", "bayes")
CVS: tuple[str, ...] = ("prequential", "stratified")


@dataclass(frozen=True)
class Range:
    """Numbers in ``[low, high]``: whole numbers with ``integer``, log-uniform with ``log``;
    ``grid`` are the values a grid search tries."""

    low: float
    high: float
    grid: tuple[float, ...]
    log: bool = False
    integer: bool = False


@dataclass(frozen=True)
class Choice:
    """One of ``values`` (all of them in a grid search)."""

    values: tuple[Any, ...]

    @property
    def grid(self) -> tuple[Any, ...]:
        return self.values


Dimension = Range | Choice
Space = Mapping[str, Dimension]

_TREES: dict[str, Dimension] = {
    "n_estimators": Range(50, 400, (100, 200), integer=True),
    "max_depth": Choice((8, 16, None)),
    "min_samples_leaf": Range(1, 50, (1, 10), log=True, integer=True),
    "max_features": Choice(("sqrt", 0.3)),
}
SPACES: dict[str, dict[str, Dimension]] = {
    "lightgbm": {
        "n_estimators": Range(100, 600, (100, 300), integer=True),
        "learning_rate": Range(0.01, 0.2, (0.03, 0.1), log=True),
        "num_leaves": Range(15, 127, (15, 63), log=True, integer=True),
        "min_child_samples": Range(5, 100, (20,), log=True, integer=True),
        "colsample_bytree": Range(0.5, 1.0, (0.8,)),
        "reg_lambda": Range(1e-3, 10.0, (1.0,), log=True),
    },
    "logistic": {"C": Range(1e-3, 100.0, (0.01, 0.1, 1.0, 10.0), log=True)},
    "decision_tree": {
        "max_depth": Choice((2, 4, 6, 8, 12, None)),
        "min_samples_leaf": Range(1, 200, (1, 20, 100), log=True, integer=True),
    },
    "random_forest": dict(_TREES),
    "extra_trees": dict(_TREES),
    "hist_gradient_boosting": {
        "max_iter": Range(100, 500, (100, 300), integer=True),
        "learning_rate": Range(0.01, 0.3, (0.05, 0.1), log=True),
        "max_leaf_nodes": Range(15, 127, (15, 31, 63), log=True, integer=True),
        "l2_regularization": Range(1e-3, 10.0, (1.0,), log=True),
    },
    "isolation_forest": {
        "n_estimators": Range(50, 300, (100, 200), integer=True),
        "max_samples": Range(64, 1024, (128, 256, 512), log=True, integer=True),
        "max_features": Range(0.3, 1.0, (0.5, 1.0)),
    },
}
"""Default search space of each kind."""


def grid_points(space: Space) -> list[dict[str, Any]]:
    """Every combination of the dimensions' grid values, in a fixed order."""
    names = list(space)
    return [
        dict(zip(names, combo, strict=True))
        for combo in itertools.product(*(space[n].grid for n in names))
    ]


def sample_point(space: Space, rng: np.random.Generator) -> dict[str, Any]:
    """One random point of ``space`` (uniform, or log-uniform for ``log`` ranges)."""
    out: dict[str, Any] = {}
    for name, dim in space.items():
        if isinstance(dim, Choice):
            out[name] = dim.values[int(rng.integers(len(dim.values)))]
        elif dim.log:
            value = math.exp(rng.uniform(math.log(dim.low), math.log(dim.high)))
            out[name] = int(min(max(round(value), dim.low), dim.high)) if dim.integer else value
        elif dim.integer:
            out[name] = int(rng.integers(int(dim.low), int(dim.high) + 1))
        else:
            out[name] = float(rng.uniform(dim.low, dim.high))
    return out


class Trial(msgspec.Struct, kw_only=True):
    """One candidate: its parameters, its score on each fold and their mean."""

    number: int
    params: dict[str, Any]
    fold_scores: list[float]
    mean: float
    std: float
    seconds: float
    state: str = "complete"
    """``complete``, or ``pruned`` when the Bayesian search stopped it early."""


@dataclass
class SearchResult:
    """What a search tried and what won. ``table`` has one row per trial, best first."""

    kind: str
    method: str
    metric: str
    cv: str
    trials: list[Trial]
    fixed_params: dict[str, Any] = field(default_factory=dict)

    @property
    def complete(self) -> list[Trial]:
        """Trials scored on every fold with a defined mean, best first."""
        done = [t for t in self.trials if t.state == "complete" and not math.isnan(t.mean)]
        return sorted(done, key=lambda t: (-t.mean, t.number))

    @property
    def best(self) -> Trial:
        """The trial with the highest mean score."""
        done = self.complete
        if not done:
            raise DataError(
                f"no trial of the {self.method} search has a defined `{self.metric}`: the "
                "validation folds may lack fraud; use longer folds or another metric"
            )
        return done[0]

    @property
    def best_params(self) -> dict[str, Any]:
        """The winning parameters together with the fixed ones."""
        return {**self.fixed_params, **self.best.params}

    @property
    def table(self) -> pl.DataFrame:
        """One row per trial, best first: trial number, state, each searched parameter, mean and
        standard deviation of the metric, the per-fold scores and the seconds taken."""
        names = sorted({p for t in self.trials for p in t.params})
        order = self.complete + [t for t in self.trials if t not in self.complete]
        folds = max((len(t.fold_scores) for t in self.trials), default=0)
        columns: dict[str, pl.Series] = {
            "trial": pl.Series([t.number for t in order], dtype=pl.Int64),
            "state": pl.Series([t.state for t in order], dtype=pl.String),
        }
        for name in names:
            columns[name] = _param_column(name, [t.params.get(name) for t in order])
        columns[f"mean_{self.metric}"] = pl.Series([t.mean for t in order], dtype=pl.Float64)
        columns[f"std_{self.metric}"] = pl.Series([t.std for t in order], dtype=pl.Float64)
        for i in range(folds):
            columns[f"fold_{i + 1}"] = pl.Series(
                [t.fold_scores[i] if i < len(t.fold_scores) else None for t in order],
                dtype=pl.Float64,
            )
        columns["seconds"] = pl.Series([t.seconds for t in order], dtype=pl.Float64)
        return pl.DataFrame(columns)

    def to_markdown(self) -> str:
        """The table as Markdown, headed by the search's settings and best parameters."""
        df = self.table
        rows = [[_fmt(v) for v in row] for row in df.iter_rows()]
        best = json.dumps(self.best_params, sort_keys=True)
        return (
            f"# {self.method} search: {self.kind}, {self.cv} cross-validation\n\n"
            f"Best mean `{self.metric}`: {self.best.mean:.4f} (trial {self.best.number}) "
            f"with parameters `{best}`.\n\n" + markdown_table(df.columns, rows)
        )

    def write_csv(self, path: str | Path) -> Path:
        """The table as CSV, written atomically.

        Parameters
        ----------
        path
            The file to write.

        Returns
        -------
        pathlib.Path
            ``path``.
        """
        return write_atomic(path, self.table.write_csv())

    def write_markdown(self, path: str | Path) -> Path:
        """:meth:`to_markdown`, written atomically.

        Parameters
        ----------
        path
            The file to write.

        Returns
        -------
        pathlib.Path
            ``path``.
        """
        return write_atomic(path, self.to_markdown())


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4g}"
    return "" if value is None else str(value)


def _param_column(name: str, values: list[Any]) -> pl.Series:
    """A parameter's values as a typed column: numbers stay numeric, mixed ones become text."""
    present = [v for v in values if v is not None]
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pl.Series(name, values, dtype=pl.Int64)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pl.Series(name, values, dtype=pl.Float64)
    return pl.Series(name, [None if v is None else str(v) for v in values], dtype=pl.String)


def cv_folds(
    data: ModelData,
    *,
    cv: CV = "prequential",
    n_splits: int = 3,
    gap_days: int = 7,
    test_days: int = 7,
    train_days: int | None = None,
    seed: int = 0,
) -> Folds:
    """Cross-validation folds as (train, validation) row indices: prequential (time-ordered,
    rolling back from the last day, see PrequentialSplit) or stratified k-fold (shuffled; only
    when the caller asks for it)."""
    if cv == "prequential":
        split = PrequentialSplit(
            n_splits, train_days=train_days, gap_days=gap_days, test_days=test_days
        )
        return list(split.split(data))
    if cv == "stratified":
        skf = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        return [(a.astype(np.int64), b.astype(np.int64)) for a, b in skf.split(data.X, data.y)]
    raise ConfigError(f"unknown cross-validation `{cv}`: allowed are {', '.join(CVS)}")


@dataclass(frozen=True)
class _Scorer:
    """Trains a kind on each fold's training rows and scores the metric on its validation rows."""

    data: ModelData
    folds: Folds
    kind: str
    metric: str
    fixed: dict[str, Any]
    imbalance: Imbalance
    seed: int
    metric_options: dict[str, Any]

    def fold(self, i: int, params: Mapping[str, Any]) -> float:
        train, valid = self.folds[i]
        model = train_model(
            self.data.subset(train),
            kind=self.kind,
            params={**self.fixed, **params},
            imbalance=self.imbalance,
            seed=self.seed,
        )
        held_out = self.data.subset(valid)
        return metric_value(self.metric, held_out, model.score(held_out), **self.metric_options)

    def trial(self, number: int, params: dict[str, Any]) -> Trial:
        started = time.perf_counter()
        scores = [self.fold(i, params) for i in range(len(self.folds))]
        return _trial(number, params, scores, time.perf_counter() - started)


def _trial(number: int, params: dict[str, Any], scores: list[float], seconds: float) -> Trial:
    values = np.array(scores, dtype=np.float64)
    defined = not np.isnan(values).any() and values.size > 0
    return Trial(
        number=number,
        params=params,
        fold_scores=scores,
        mean=float(values.mean()) if defined else math.nan,
        std=float(values.std()) if defined else math.nan,
        seconds=seconds,
    )


def _model_threads(kind: str, fixed: Mapping[str, Any], n_jobs: int) -> dict[str, Any]:
    """Each model's own threads, so that parallel trials together use at most N_JOBS."""
    out = dict(fixed)
    if kind in ("lightgbm", "random_forest", "extra_trees", "isolation_forest"):
        out.setdefault("n_jobs", max(1, N_JOBS // n_jobs))
    return out


def search(
    data: ModelData,
    *,
    kind: str = "lightgbm",
    method: Method = "random",
    metric: str = DEFAULT_METRIC,
    space: Space | None = None,
    n_trials: int = 20,
    cv: CV = "prequential",
    n_splits: int = 3,
    gap_days: int = 7,
    test_days: int = 7,
    train_days: int | None = None,
    params: Mapping[str, Any] | None = None,
    features: Sequence[str] | None = None,
    imbalance: Imbalance = "balanced",
    n_jobs: int = 1,
    seed: int = 0,
    progress: ProgressFn | None = None,
    **metric_options: Any,
) -> SearchResult:
    """Search ``kind``'s ``space`` (default: SPACES[kind]) for the parameters with the best mean
    ``metric`` over the cross-validation folds. ``method`` is ``grid`` (every grid point; n_trials
    ignored), ``random`` or ``bayes`` (Optuna TPE, median pruning after each fold). ``params``
    are fixed for every trial (and taken out of the space); ``n_jobs`` trials run at once
    (models' own threads shrink so the total stays within two). Extra keywords go to the metric
    (``k``, ``alert_budget``, ``threshold``, ``costs``, ``entity``)."""
    check_kind(kind, MODEL_KINDS)
    if method not in METHODS:
        raise ConfigError(f"unknown search method `{method}`: allowed are {', '.join(METHODS)}")
    canonical = registered_metric(metric, ranked=True).name
    if n_trials < 1 or n_jobs < 1:
        raise ConfigError(f"n_trials = {n_trials}, n_jobs = {n_jobs}: allowed are 1 or more each")
    fixed_names = set(params or {})
    dims = {
        n: d
        for n, d in (space if space is not None else SPACES[kind]).items()
        if n not in fixed_names
    }
    if not dims:
        raise ConfigError("nothing to search: every parameter of the space is fixed by `params`")
    d = data.select(features) if features is not None else data
    folds = cv_folds(
        d,
        cv=cv,
        n_splits=n_splits,
        gap_days=gap_days,
        test_days=test_days,
        train_days=train_days,
        seed=seed,
    )
    fixed = _model_threads(kind, params or {}, n_jobs)
    scorer = _Scorer(d, folds, kind, canonical, fixed, imbalance, seed, dict(metric_options))
    if method == "bayes":
        trials = _bayes(scorer, dims, n_trials, n_jobs, seed, progress)
    else:
        rng = np.random.default_rng(seed)
        points = (
            grid_points(dims)
            if method == "grid"
            else [sample_point(dims, rng) for _ in range(n_trials)]
        )
        trials = _run_points(scorer, points, n_jobs, progress)
    return SearchResult(
        kind=kind,
        method=method,
        metric=canonical,
        cv=cv,
        trials=trials,
        fixed_params=dict(params or {}),
    )


def _run_points(
    scorer: _Scorer, points: list[dict[str, Any]], n_jobs: int, progress: ProgressFn | None
) -> list[Trial]:
    """Score every point, ``n_jobs`` at a time (threads: the models release the GIL)."""
    total = len(points)
    done: list[Trial] = []
    batch = max(1, n_jobs)
    with Parallel(n_jobs=n_jobs, prefer="threads") as parallel:
        for start in range(0, total, batch):
            chunk = points[start : start + batch]
            done += parallel(delayed(scorer.trial)(start + i, p) for i, p in enumerate(chunk))
            if progress is not None:
                progress(len(done), total)
    return done


def require_optuna() -> None:
    """Refuse ``method="bayes"`` without optuna (the ``tune`` extra), naming the install line."""
    require("optuna", "tune", "Bayesian search (method `bayes`)")


def _bayes(
    scorer: _Scorer,
    dims: dict[str, Dimension],
    n_trials: int,
    n_jobs: int,
    seed: int,
    progress: ProgressFn | None,
) -> list[Trial]:
    """Optuna TPE over ``dims``; after each fold the running mean is reported, and the median
    pruner stops a trial that falls below the median of earlier trials at the same fold."""
    require_optuna()
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0)
    study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner)
    results: dict[int, Trial] = {}

    def objective(trial: optuna.Trial) -> float:
        params = _suggest(trial, dims)
        started = time.perf_counter()
        scores: list[float] = []
        for i in range(len(scorer.folds)):
            scores.append(scorer.fold(i, params))
            running = float(np.mean(scores))
            if math.isnan(running):
                break
            trial.report(running, i)
            if i + 1 < len(scorer.folds) and trial.should_prune():
                pruned = _trial(trial.number, params, scores, time.perf_counter() - started)
                pruned.state = "pruned"
                pruned.mean = pruned.std = math.nan
                results[trial.number] = pruned
                raise optuna.TrialPruned()
        done = _trial(trial.number, params, scores, time.perf_counter() - started)
        results[trial.number] = done
        return done.mean

    def report(study: optuna.Study, _: optuna.trial.FrozenTrial) -> None:
        if progress is not None:
            progress(len(study.trials), n_trials)

    study.optimize(objective, n_trials=n_trials, n_jobs=n_jobs, callbacks=[report])
    return [results[n] for n in sorted(results)]


def _suggest(trial: Any, dims: Mapping[str, Dimension]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, dim in dims.items():
        if isinstance(dim, Choice):
            out[name] = trial.suggest_categorical(name, list(dim.values))
        elif dim.integer:
            out[name] = trial.suggest_int(name, int(dim.low), int(dim.high), log=dim.log)
        else:
            out[name] = trial.suggest_float(name, dim.low, dim.high, log=dim.log)
    return out
