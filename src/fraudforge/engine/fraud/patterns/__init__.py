"""The fraud patterns, one module each: a module defines its builder (and a schedule hook if
its incidents span several accounts) and ``PATTERN``, the pattern's ``FraudPattern`` record.
The registry collects every module of this package; label codes, the Enum order, the default
mix, expected rows, the schedule's per-pattern steps and ``docs/fraud-patterns.md`` all derive
from the records, so adding a pattern is adding a file with the next free code.

The taxonomy (and through it the service's wire types) reads the registry at import, so pattern
modules import only light modules at top level: NumPy, ``market``, ``geo``, ``ids``, ``rows``
and the ``fraud`` package's ``build``, ``parts`` and ``record`` (types of heavier ones under
``TYPE_CHECKING``).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from fraudforge.engine.fraud.record import FraudPattern, Registry
from fraudforge.foundation.errors import UnsupportedTypeError


def discover(package: str = __name__) -> Registry:
    """The registry of every module's ``PATTERN`` in ``package`` (modules starting with ``_``
    are helpers and skipped)."""
    mod = importlib.import_module(package)
    found: list[FraudPattern] = []
    for info in sorted(pkgutil.iter_modules(mod.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        pattern = importlib.import_module(f"{package}.{info.name}").PATTERN
        if not isinstance(pattern, FraudPattern) or pattern.name != info.name:
            raise UnsupportedTypeError(
                f"{package}.{info.name}.PATTERN must be the FraudPattern {info.name!r}"
            )
        found.append(pattern)
    return Registry(tuple(found))


REGISTRY = discover()
"""The default registry: every pattern of this package, in code order."""


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _busiest(hours: tuple[float, ...]) -> str:
    """The hours of the day above 1.25 times the profile's mean, as ranges (``18-21``)."""
    mean = sum(hours) / len(hours)
    busy = [h for h, w in enumerate(hours) if w > 1.25 * mean]
    spans: list[list[int]] = []
    for h in busy:
        if spans and spans[-1][1] == h - 1:
            spans[-1][1] = h
        else:
            spans.append([h, h])
    return ", ".join(f"{a:02d}-{b + 1:02d}" for a, b in spans) or "flat"


def _weekdays(weekdays: tuple[float, ...]) -> str:
    """A weekday profile in words: flat, or the days above the mean."""
    mean = sum(weekdays) / 7
    if max(weekdays) - min(weekdays) < 1e-9:
        return "flat"
    return "more on " + ", ".join(d for d, w in zip(_DAYS, weekdays, strict=True) if w > mean)


def patterns_markdown(registry: Registry = REGISTRY) -> str:
    """``docs/fraud-patterns.md``: every pattern's record (code, share, size, targets, timing and
    mechanism) and the anomalies."""
    from fraudforge.engine import anomalies

    lines = [
        "# Fraud patterns and anomalies",
        "",
        "<!-- generated from the pattern records by "
        "`python -c 'from fraudforge.engine.fraud.patterns import patterns_markdown as m; "
        'print(m(), end="")\' > docs/fraud-patterns.md`; do not edit -->',
        "",
        "Each fraud pattern *creates* the transactions that constitute it; labels record what "
        "happened. Incidents are drawn up front from the seed (a schedule every shard reads), so "
        "multi-party incidents (mule networks, collusion rings, loyalty rings) span shards "
        "consistently. `fraud_scenario_id` groups the rows of one incident.",
        "",
        "Every pattern is one module of `src/fraudforge/engine/fraud/patterns/` holding its "
        "`FraudPattern` record: a stable code (its label code, which also keys its random "
        "streams, so adding a pattern never changes another's data), its default share of the "
        "fraud rows, the mean rows of one incident, who it targets, when it happens and how its "
        "rows are built.",
        "",
        "| code | pattern | share | rows per incident | targets |",
        "|---:|---|---:|---:|---|",
    ]
    mix = registry.default_mix()
    lines.extend(
        f"| {p.code} | `{p.name}` | {mix[p.name]:.1%} | {p.mean_rows:g} | {p.targets} |"
        for p in registry.patterns
    )
    lines += [
        "",
        "## When fraud happens",
        "",
        "An incident starts on a day drawn by that day's traffic (the calendar's weekends, "
        "salary days and festival sales), the pattern's weekday profile and the scenario's "
        "campaigns, at an hour drawn from the pattern's hour profile. Incidents start up to "
        "`span_days` before the period and run past its end, and the shard keeps the rows "
        "inside the period, so the fraud rate is flat from the first week to the last.",
        "",
        "| pattern | night starts (00-06) | busiest hours | weekday profile | span (days) |",
        "|---|---:|---|---|---:|",
    ]
    lines.extend(
        f"| `{p.name}` | {sum(p.hours[:6]) / sum(p.hours):.0%} | {_busiest(p.hours)} "
        f"| {_weekdays(p.weekdays)} | {p.span_days:g} |"
        for p in registry.patterns
    )
    lines += [
        "",
        "### Campaigns and drift",
        "",
        "A scenario's `campaigns` change one pattern's incidence over time, so a model's decay "
        "can be measured: from `start` until `end` (exclusive, open-ended when unset) the "
        "pattern is `factor` times as frequent, changing by `monthly_growth` per month since "
        "`start`; outside the window it is `outside` times as frequent. A pattern that appears "
        "on a date is `outside = 0` without an `end`. Campaigns on one pattern multiply, and the "
        "fraud rate moves with them (`fraud_rate` is the rate without campaigns).",
        "",
        "```toml",
        "[[campaigns]]            # an account-takeover wave in the Diwali month",
        'pattern = "account_takeover"',
        "start = 2025-10-10",
        "end = 2025-11-10",
        "factor = 3.0",
        "",
        "[[campaigns]]            # card testing appears on 1 November and doubles each month",
        'pattern = "card_testing"',
        "start = 2025-11-01",
        "outside = 0.0",
        "monthly_growth = 1.0",
        "```",
        "",
    ]
    lines += [
        "",
        "## Who and what it touches",
        "",
        "Victims are drawn by the record's `susceptibility` (age band, digital savviness, city "
        "tier, segment, credit card, payment rate and a latent vulnerability; first-party "
        "patterns by a latent propensity instead), so the same vulnerable customers are hit "
        "again and about a quarter of customers at most are touched in 90 days (sources in "
        "docs/realism.md). A main-party account serves `reuse` incidents on average, about "
        "`reuse_gap_days` (two weeks) apart at any size, and a fraudster's device "
        "`device_reuse` incidents in a row; devices come from the customers' own device id "
        "space. Rings (collusion, loyalty farming) recruit the "
        "leader's household and customers of the leader's city.",
        "",
        "## Camouflage",
        "",
        "The scenario's `camouflage`, from 0 to 1 (default preset 0.5), sets how far fraudsters "
        "imitate their victim's own habits: each incident part takes one of the customer's "
        "genuine payments as its model; amounts move that far towards the model's (in log "
        "terms; a merchant purchase whose amount would then fall outside its category's 1st "
        "to 99th percentile takes an amount that category's genuine purchases have instead), "
        "and with that probability the part moves to the model's time of day, its online "
        "purchases take the model's category, and the fraudster's device becomes the "
        "customer's own (a remote-access app). Each record names the habits its mechanism "
        "allows; micro-payments, thresholds, ATM notes and a cloned card's timing are kept.",
        "",
        "| pattern | reuse | device reuse | imitates |",
        "|---|---:|---:|---|",
    ]
    lines.extend(
        f"| `{p.name}` | {p.reuse:g} | {p.device_reuse:g} | {', '.join(p.camouflage) or '-'} |"
        for p in registry.patterns
    )
    lines += ["", "## Mechanisms", ""]
    for p in registry.patterns:
        lines += [f"### `{p.name}`", "", " ".join(p.description.split()), ""]
    lines += ["## Anomalies", "", inspect.getdoc(anomalies) or "", ""]
    return "\n".join(lines)
