"""The choices of the models stage's options, declared once: the functions' parameter types,
their checks and the command line's choices all read them (``tests/models/test_options.py``
holds the command line to them). It imports only the standard library, so the command line
builds its parser without loading scikit-learn."""

from __future__ import annotations

from typing import Literal, get_args

from fraudforge.foundation.errors import ConfigError

CalibrationMethod = Literal["isotonic", "sigmoid"]
"""How ``calibrate`` maps scores to probabilities: isotonic regression or Platt's sigmoid."""
ThresholdRule = Literal["cost", "f1"]
"""How ``best_threshold`` chooses the alert threshold on validation."""
Entity = Literal["customer", "card"]
"""What Card Precision@k ranks: customers (every payment has one) or cards."""

CALIBRATION_METHODS: tuple[str, ...] = get_args(CalibrationMethod)
THRESHOLD_RULES: tuple[str, ...] = get_args(ThresholdRule)
ENTITIES: tuple[str, ...] = get_args(Entity)


def refuse_unknown(option: str, value: str, allowed: tuple[str, ...]) -> None:
    """Raise ``ValueError`` naming ``option`` and the allowed values unless ``value`` is one.

    Parameters
    ----------
    option
        What the value chooses, as the message names it (``calibration method``).
    value
        The value given.
    allowed
        The values accepted.

    Raises
    ------
    ValueError
        When ``value`` is not in ``allowed``.
    """
    if value not in allowed:
        raise ConfigError(f"unknown {option} `{value}`: allowed are {', '.join(allowed)}")
