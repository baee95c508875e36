"""The wire: what the service and its client exchange, in a package that needs only msgspec and
the standard library, so the client loads neither the stages nor their libraries. The request,
answer and error types (``messages``), the enumerations' values (``vocabulary``, generated from
the engine's schema) and model references (``reference``)."""

from fraudforge.wire.messages import (
    DECISIONS,
    FEEDBACK_KINDS,
    IST,
    MAX_AMOUNT_INR,
    BatchRequest,
    BatchResult,
    ErrorBody,
    Feedback,
    Health,
    LoadModel,
    ModelInfo,
    ModelRef,
    Promote,
    Ready,
    Reason,
    ScoreResult,
    SnapshotInfo,
    Thresholds,
    Transaction,
    to_ist_naive,
)
from fraudforge.wire.reference import STAGES, ModelRefError, ModelSpec
from fraudforge.wire.vocabulary import ENUM_VALUES

__all__ = [
    "DECISIONS",
    "ENUM_VALUES",
    "FEEDBACK_KINDS",
    "IST",
    "MAX_AMOUNT_INR",
    "STAGES",
    "BatchRequest",
    "BatchResult",
    "ErrorBody",
    "Feedback",
    "Health",
    "LoadModel",
    "ModelInfo",
    "ModelRef",
    "ModelRefError",
    "ModelSpec",
    "Promote",
    "Ready",
    "Reason",
    "ScoreResult",
    "SnapshotInfo",
    "Thresholds",
    "Transaction",
    "to_ist_naive",
]
