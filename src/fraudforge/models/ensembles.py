"""Ensembles of the zoo's models: soft and hard voting, stacking with a meta-learner, bagging.
Each is fitted on the training rows and reports, on the same validation rows, its metric next to
every single member's and its gain over the best of them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sklearn.ensemble import BaggingClassifier, StackingClassifier, VotingClassifier
from sklearn.frozen import FrozenEstimator

from fraudforge.foundation.errors import ConfigError, DataError
from fraudforge.models.artefact import FraudModel
from fraudforge.models.data import ModelData
from fraudforge.models.metric_registry import DEFAULT_METRIC
from fraudforge.models.metric_registry import metric as registered_metric
from fraudforge.models.metrics import metric_value
from fraudforge.models.zoo import (
    SUPERVISED_KINDS,
    Imbalance,
    check_kind,
    make_estimator,
    resolve_params,
)

EnsembleKind = Literal["voting_soft", "voting_hard", "stacking", "bagging"]
ENSEMBLE_KINDS: tuple[str, ...] = ("voting_soft", "voting_hard", "stacking", "bagging")
DEFAULT_MEMBERS: tuple[str, ...] = ("lightgbm", "logistic", "random_forest")


@dataclass(frozen=True)
class EnsembleReport:
    """An ensemble and how it compares with its members on the same validation rows."""

    model: FraudModel
    metric: str
    score: float
    """The ensemble's metric on the validation rows."""
    members: dict[str, float]
    """Each single member's metric on the same rows (bagging: its base model alone)."""
    best_member: str
    gain: float
    """``score`` minus the best member's score (positive: the ensemble helps)."""


def _member(
    kind: str,
    params: Mapping[str, Mapping[str, Any]],
    train: ModelData,
    imbalance: Imbalance,
    seed: int,
) -> Any:
    check_kind(kind, SUPERVISED_KINDS)
    return make_estimator(
        kind, resolve_params(kind, params.get(kind), y=train.y, imbalance=imbalance, seed=seed)
    )


def build_ensemble(
    train: ModelData,
    validation: ModelData,
    *,
    kind: EnsembleKind = "voting_soft",
    members: Sequence[str] = DEFAULT_MEMBERS,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    metric: str = DEFAULT_METRIC,
    features: Sequence[str] | None = None,
    meta_share: float = 0.3,
    bagging_estimators: int = 10,
    bagging_samples: float = 0.5,
    imbalance: Imbalance = "balanced",
    seed: int = 0,
    **metric_options: Any,
) -> EnsembleReport:
    """Fit a ``kind`` ensemble of ``members`` (zoo kinds; ``params`` per kind) on ``train`` and
    compare it with each member on ``validation``.

    * ``voting_soft`` / ``voting_hard``: average of the members' probabilities / share of their
      votes; the members are the voting ensemble's own fitted estimators.
    * ``stacking``: members fitted on the earlier ``1 - meta_share`` of the training rows, a
      logistic meta-learner on their probabilities for the later rows (time order, never a
      shuffled fold).
    * ``bagging``: ``bagging_estimators`` copies of the first member, each on a random
      ``bagging_samples`` share of the rows; compared with that member fitted once on all rows.

    Parameters
    ----------
    train
        The rows the ensemble and the members are fitted on, in time order.
    validation
        The later rows they are compared on.
    kind
        ``voting_soft``, ``voting_hard``, ``stacking`` or ``bagging``.
    members
        Zoo kinds of the members (``bagging`` uses the first).
    params
        Parameters per member kind.
    metric
        The metric the comparison ranks by (a name of the metric registry).
    features
        The features to read (default: all of ``train``'s).
    meta_share
        ``stacking``: the later share of the training rows the meta-learner is fitted on.
    bagging_estimators
        ``bagging``: how many copies.
    bagging_samples
        ``bagging``: the share of rows each copy draws.
    imbalance
        How the members weight the rare fraud class.
    seed
        Random seed of the members and the bagging draws.
    **metric_options
        Options of ``metric`` (e.g. ``k`` for Card Precision@k).

    Returns
    -------
    EnsembleReport
        The ensemble as a FraudModel, its score and each member's, and its gain over the best
        member.

    Raises
    ------
    ValueError
        For an unknown kind, member or metric, naming what is allowed.
    """
    if kind not in ENSEMBLE_KINDS:
        raise ConfigError(
            f"unknown ensemble kind `{kind}`: allowed are {', '.join(ENSEMBLE_KINDS)}"
        )
    if not members:
        raise ConfigError("an ensemble needs at least one member kind")
    if len(set(members)) != len(members):
        raise ConfigError(f"member kinds repeat in {', '.join(members)}: name each kind once")
    registered_metric(metric, ranked=True)  # the best member is the highest: ranked ones only
    names = tuple(features) if features is not None else train.features
    tr, va = train.select(names), validation.select(names)
    p = params or {}
    fitted_members: dict[str, Any]
    if kind in ("voting_soft", "voting_hard"):
        voting = "soft" if kind == "voting_soft" else "hard"
        estimator: Any = VotingClassifier(
            [(m, _member(m, p, tr, imbalance, seed)) for m in members], voting=voting
        ).fit(tr.X, tr.y)
        fitted_members = dict(estimator.named_estimators_)
    elif kind == "stacking":
        if not 0.0 < meta_share < 1.0:
            raise ConfigError(f"`meta_share` = {meta_share}: allowed is strictly between 0 and 1")
        cut = round(len(tr) * (1.0 - meta_share))
        early, late = tr.subset(np.arange(cut)), tr.subset(np.arange(cut, len(tr)))
        for part, label in ((early, "member"), (late, "meta-learner")):
            if part.y.all() or not part.y.any():
                raise DataError(
                    f"the {label} part of the time-ordered stacking split has one class only: "
                    "use more training rows or another `meta_share`"
                )
        fitted_members = {
            m: _member(m, p, early, imbalance, seed).fit(early.X, early.y) for m in members
        }
        meta = make_estimator("logistic", resolve_params("logistic", y=late.y, imbalance=imbalance))
        estimator = StackingClassifier(
            [(m, FrozenEstimator(e)) for m, e in fitted_members.items()],
            final_estimator=meta,
            stack_method="predict_proba",
        ).fit(late.X, late.y)
    else:
        base = members[0]
        estimator = BaggingClassifier(
            _member(base, p, tr, imbalance, seed),
            n_estimators=bagging_estimators,
            max_samples=bagging_samples,
            random_state=seed,
        ).fit(tr.X, tr.y)
        fitted_members = {base: _member(base, p, tr, imbalance, seed).fit(tr.X, tr.y)}
    model = FraudModel(
        kind=kind,
        estimator=estimator,
        features=names,
        params={"members": list(members), **{m: dict(p.get(m, {})) for m in members}},
    )
    score = metric_value(metric, va, model.score(va), **metric_options)
    member_scores = {
        m: metric_value(
            metric,
            va,
            FraudModel(kind=m, estimator=e, features=names).score(va),
            **metric_options,
        )
        for m, e in fitted_members.items()
    }
    best = max(member_scores, key=lambda m: member_scores[m])
    return EnsembleReport(
        model=model,
        metric=metric,
        score=score,
        members=member_scores,
        best_member=best,
        gain=score - member_scores[best],
    )
