"""The registry of fraud patterns: name -> the function that materialises its parts."""

from __future__ import annotations

from collections.abc import Callable

from fraudforge.engine.context import ShardContext
from fraudforge.engine.fraud import accounts, cards, commerce, transfers
from fraudforge.engine.fraud.schedule import Parts
from fraudforge.engine.rows import Rows
from fraudforge.engine.taxonomy import FRAUD_TYPES

Builder = Callable[[ShardContext, Parts, Rows], Rows]

PATTERNS: dict[str, Builder] = {
    "card_cloning": cards.card_cloning,
    "account_takeover": accounts.account_takeover,
    "merchant_collusion": commerce.merchant_collusion,
    "velocity_abuse": cards.velocity_abuse,
    "amount_manipulation": transfers.amount_manipulation,
    "refund_fraud": commerce.refund_fraud,
    "stolen_card": cards.stolen_card,
    "synthetic_identity": accounts.synthetic_identity,
    "bust_out": accounts.bust_out,
    "friendly_fraud": accounts.friendly_fraud,
    "transaction_replay": cards.transaction_replay,
    "card_testing": cards.card_testing,
    "money_mule": transfers.money_mule,
    "shipping_fraud": commerce.shipping_fraud,
    "loyalty_abuse": commerce.loyalty_abuse,
}
assert tuple(PATTERNS) == FRAUD_TYPES


def fraud_rows(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """All fraud rows of a shard: each pattern materialises its own parts."""
    blocks = []
    for name, build in PATTERNS.items():
        mine = parts.of(name)
        if len(mine):
            blocks.append(build(ctx, mine, legit))
    return Rows.concat(blocks)


def patterns_markdown() -> str:
    """``docs/fraud-patterns.md``: every pattern's mechanism, from its docstring."""
    import inspect

    from fraudforge.engine import anomalies

    lines = [
        "# Fraud patterns and anomalies",
        "",
        "<!-- generated from the pattern docstrings by "
        "`python -c 'from fraudforge.engine.fraud.patterns import patterns_markdown as m; "
        'print(m(), end="")\' > docs/fraud-patterns.md`; do not edit -->',
        "",
        "Each fraud pattern *creates* the transactions that constitute it; labels record what "
        "happened. Incidents are drawn up front from the seed (a schedule every shard reads), so "
        "multi-party incidents (mule networks, collusion rings, loyalty rings) span shards "
        "consistently. `fraud_scenario_id` groups the rows of one incident.",
        "",
        "| pattern | mechanism |",
        "|---|---|",
    ]
    for name, build in PATTERNS.items():
        doc = " ".join((inspect.getdoc(build) or "").split())
        lines.append(f"| `{name}` | {doc} |")
    lines += ["", "## Anomalies", "", inspect.getdoc(anomalies) or "", ""]
    return "\n".join(lines)
