"""engine: streaming, reproducible generator of labelled Indian payment data."""

from typing import TYPE_CHECKING

from fraudforge.foundation.lazy import lazy_exports

if TYPE_CHECKING:
    from fraudforge.engine.dataset import (
        Manifest,
        dataset_hash,
        generate,
        read_manifest,
        scan_dataset,
    )
    from fraudforge.engine.errors import OutputExistsError, ScenarioError, UnsafeOutputError
    from fraudforge.engine.scenario import Scenario, load_scenario
    from fraudforge.engine.schema import CUSTOMERS, LABEL_COLUMNS, MERCHANTS, TRANSACTIONS
    from fraudforge.engine.streaming import scan, scan_customers
    from fraudforge.engine.taxonomy import ANOMALY_TYPES, FRAUD_TYPES

__getattr__, __dir__ = lazy_exports(__name__)

__all__ = [
    "ANOMALY_TYPES",
    "CUSTOMERS",
    "FRAUD_TYPES",
    "LABEL_COLUMNS",
    "MERCHANTS",
    "TRANSACTIONS",
    "Manifest",
    "OutputExistsError",
    "Scenario",
    "ScenarioError",
    "UnsafeOutputError",
    "dataset_hash",
    "generate",
    "load_scenario",
    "read_manifest",
    "scan",
    "scan_customers",
    "scan_dataset",
]
