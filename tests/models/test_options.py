"""The models stage's option choices are declared once (``models.options``): the command line
offers exactly them, the functions refuse anything else naming them, and the module loads
without scikit-learn."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fraudforge.models.metrics import evaluate
from fraudforge.models.options import (
    CALIBRATION_METHODS,
    ENTITIES,
    THRESHOLD_RULES,
    refuse_unknown,
)
from fraudforge.models.training import best_threshold
from fraudforge.models.zoo import calibrate, make_estimator
from tests.models.cases import six
from tests.models.test_metric_registry import _option, _subcommand


def test_the_command_line_offers_the_declared_choices() -> None:
    """``train``'s ``--calibrate``, ``--threshold-rule`` and ``--entity`` take exactly the
    declared values, defaulting to the functions' defaults."""
    train = _subcommand("train")
    assert CALIBRATION_METHODS == ("isotonic", "sigmoid")
    assert tuple(_option(train, "--calibrate").choices or ()) == CALIBRATION_METHODS
    assert THRESHOLD_RULES == ("cost", "f1")
    rule = _option(train, "--threshold-rule")
    assert (tuple(rule.choices or ()), rule.default) == (THRESHOLD_RULES, "cost")
    assert ENTITIES == ("customer", "card")
    entity = _option(train, "--entity")
    assert (tuple(entity.choices or ()), entity.default) == (ENTITIES, "customer")


def test_an_unknown_choice_names_the_allowed_ones() -> None:
    """Each function refuses a value outside its choices with the allowed values named."""
    data, score = six()
    with pytest.raises(ValueError, match="unknown entity `shop`: allowed are customer, card"):
        evaluate(data, score, entity="shop")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown threshold rule `auc`: allowed are cost, f1"):
        best_threshold(data, score, rule="auc")  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match="unknown calibration method `beta`: allowed are isotonic, sigmoid"
    ):
        calibrate(make_estimator("logistic", {}), data.X, data.y, method="beta")  # type: ignore[arg-type]
    refuse_unknown("entity", "card", ENTITIES)


def test_the_options_load_without_scikit_learn() -> None:
    """The command line reads the choices when it builds its parser: no model library."""
    code = "import sys, fraudforge.models.options\nprint('sklearn' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
