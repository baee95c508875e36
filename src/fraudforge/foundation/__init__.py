"""foundation: what every stage stands on, below the engine: atomic writes, checksums, the
machine's cores and memory, runtime settings, optional extras and the root of the errors. It
imports nothing of fraudforge's stages."""

from fraudforge.foundation.errors import (
    ConfigError,
    DataError,
    FraudforgeError,
    ModelError,
    NotFoundError,
    NotLoadedError,
    OutputExistsError,
    UnsafeOutputError,
    UnsupportedTypeError,
)

__all__ = [
    "ConfigError",
    "DataError",
    "FraudforgeError",
    "ModelError",
    "NotFoundError",
    "NotLoadedError",
    "OutputExistsError",
    "UnsafeOutputError",
    "UnsupportedTypeError",
]
