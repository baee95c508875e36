"""The scoring service: a Litestar + msgspec HTTP app over a registered model and the online
features. Its wire types are defined in ``fraudforge.wire`` (shared with the client) and
re-exported here. It loads and runs what other stages build: the model and its compiled trees
and fraud-type model (``models``), the online state (``features.replay``)."""

from typing import TYPE_CHECKING

from fraudforge.foundation.lazy import lazy_exports

if TYPE_CHECKING:
    from fraudforge.service.scoring import Scorer, transactions_of
    from fraudforge.wire import (
        BatchRequest,
        BatchResult,
        ErrorBody,
        Feedback,
        ModelRef,
        Reason,
        ScoreResult,
        Thresholds,
        Transaction,
    )

__getattr__, __dir__ = lazy_exports(__name__)

__all__ = [
    "BatchRequest",
    "BatchResult",
    "ErrorBody",
    "Feedback",
    "ModelRef",
    "Reason",
    "ScoreResult",
    "Scorer",
    "Thresholds",
    "Transaction",
    "transactions_of",
]
