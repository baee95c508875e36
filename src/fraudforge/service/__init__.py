"""The scoring service: a Litestar + msgspec HTTP app over a registered model and the online
features, with its wire types."""

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

__all__ = [
    "BatchRequest",
    "BatchResult",
    "ErrorBody",
    "Feedback",
    "ModelRef",
    "Reason",
    "ScoreResult",
    "Thresholds",
    "Transaction",
]
