"""audit: search a dataset for tells (``fraudforge audit DATA``): rules on observable columns
that give fraud away, with their precision, recall and the patterns they hit, and a depth-2 tree
per pattern on the raw row."""

from fraudforge.analytics.audit._frame import ATOM_SOURCES, ATOMS, AuditError
from fraudforge.analytics.audit.core import (
    MIN_RECALL,
    SPREAD_INCIDENTS,
    STEP_UNITS,
    TOP,
    Audit,
    PatternTree,
    Rule,
    audit,
    pattern_text,
    to_json,
    to_markdown,
)

__all__ = [
    "ATOMS",
    "ATOM_SOURCES",
    "MIN_RECALL",
    "SPREAD_INCIDENTS",
    "STEP_UNITS",
    "TOP",
    "Audit",
    "AuditError",
    "PatternTree",
    "Rule",
    "audit",
    "pattern_text",
    "to_json",
    "to_markdown",
]
