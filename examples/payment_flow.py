"""The scoring service inside a payment flow: ``authorise`` asks the service for a decision
and approves, steps up (asks for an OTP or 3-D Secure) or declines. When no score comes in time
(the service is down, slow, rate-limiting or refuses the request) it falls back to simple
amount rules, so payments never wait on the fraud check.

    python examples/payment_flow.py --url http://127.0.0.1:8000 --api-key KEY \
        --data pipeline-output/data --rows 20
"""

from __future__ import annotations

import collections
import logging
from dataclasses import dataclass
from typing import Literal

import httpx
from _stream import service_options, stamp, upcoming

from fraudforge.client import (
    Client,
    ClientError,
    RetryPolicy,
    ServiceError,
    Transaction,
)

log = logging.getLogger("payments")

Outcome = Literal["approve", "step_up", "decline"]
OUTCOMES: dict[str, Outcome] = {
    "ALLOW": "approve",
    "FLAG": "approve",  # approved, but the case system watches the account
    "REVIEW": "step_up",
    "BLOCK": "decline",
}
"""The payment outcome of each service decision."""


@dataclass(frozen=True)
class Authorisation:
    """What the payment flow does with one payment, and why."""

    outcome: Outcome
    source: Literal["model", "fallback"]
    detail: str
    fraud_probability: float | None = None


@dataclass(frozen=True, kw_only=True)
class FallbackRules:
    """Without a score: approve payments up to ``approve_up_to_inr``, step up the rest. Nothing
    is declined without evidence."""

    approve_up_to_inr: float = 2_000.0

    def decide(self, txn: Transaction, why: str) -> Authorisation:
        """The fallback outcome of ``txn``; ``why`` says why there was no score."""
        outcome: Outcome = "approve" if txn.amount_inr <= self.approve_up_to_inr else "step_up"
        return Authorisation(outcome, "fallback", why)


def authorise(client: Client, txn: Transaction, *, fallback: FallbackRules) -> Authorisation:
    """Score ``txn`` and turn the decision into an outcome; on any service failure or timeout,
    the fallback rules decide."""
    try:
        result = client.score(txn)
    except ServiceError as exc:
        if exc.status in (401, 403):
            log.error("the fraud service refused our API key: %s", exc.error)
        return fallback.decide(txn, f"service answered {exc.status}: {exc.error}")
    except httpx.TimeoutException as exc:
        return fallback.decide(txn, f"no answer in time ({type(exc).__name__})")
    except (ClientError, httpx.HTTPError) as exc:
        return fallback.decide(txn, f"service unavailable ({type(exc).__name__})")
    return Authorisation(
        OUTCOMES[result.decision],
        "model",
        f"{result.decision} p={result.fraud_probability:.4f} risk={result.risk_score}",
        result.fraud_probability,
    )


def main(argv: list[str] | None = None) -> int:
    """Authorise the dataset's next payments one by one and print each outcome."""
    parser = service_options(__doc__.splitlines()[0], rows=20, rows_help="payments to authorise")
    parser.add_argument("--timeout", type=float, default=0.25, help="seconds per attempt")
    parser.add_argument("--attempts", type=int, default=2, help="tries per payment")
    parser.add_argument("--approve-up-to", type=float, default=2_000.0, help="fallback, INR")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    fallback = FallbackRules(approve_up_to_inr=args.approve_up_to)
    retry = RetryPolicy(attempts=args.attempts, base_s=0.01, cap_s=0.05)
    counts: collections.Counter[str] = collections.Counter()
    with Client(args.url, api_key=args.api_key, timeout=args.timeout, retry=retry) as client:
        for replayed in upcoming(args.data, args.rows, period=args.period):
            txn = stamp(replayed, args.period)
            auth = authorise(client, txn, fallback=fallback)
            counts[auth.outcome] += 1
            counts[auth.source] += 1
            print(
                f"txn {txn.transaction_id} amount {txn.amount_inr:.2f} -> {auth.outcome} "
                f"by {auth.source}: {auth.detail}"
            )
    print(
        "outcomes: "
        + " ".join(f"{k}={counts[k]}" for k in ("approve", "step_up", "decline"))
        + f"; scored by the model {counts['model']}, by the fallback {counts['fallback']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
