"""The scoring service: a Litestar + msgspec HTTP app over a registered model and the online
features, with its wire types. It loads and runs what other stages build: the model and its
compiled trees and fraud-type model (``models``), the online state (``features.replay``)."""

from typing import TYPE_CHECKING

from fraudforge.foundation.lazy import lazy_exports

if TYPE_CHECKING:
    from fraudforge.service.schema import (
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
    from fraudforge.service.scoring import Scorer, transactions_of

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
