"""realism: how closely a dataset matches the market it imitates. A calibration table of public
figures (data: the bundled ``india`` table, or a user's own in TOML) and the scorecard that
measures any dataset's genuine traffic against it (``fraudforge realism DATA``)."""

from fraudforge.realism.scorecard import Result, Scorecard, score, to_json, to_markdown
from fraudforge.realism.targets import (
    MEASURES,
    Figure,
    Selection,
    Targets,
    TargetsError,
    load_targets,
)

__all__ = [
    "MEASURES",
    "Figure",
    "Result",
    "Scorecard",
    "Selection",
    "Targets",
    "TargetsError",
    "load_targets",
    "score",
    "to_json",
    "to_markdown",
]
