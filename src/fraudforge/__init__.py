"""fraudforge: high-throughput synthetic Indian payment data with labelled fraud and anomalies.

>>> import fraudforge
>>> lf = fraudforge.scan(fraudforge.Scenario(customers=1_000))   # streaming LazyFrame
>>> manifest = fraudforge.generate(fraudforge.Scenario(target_rows=100_000), "data/")"""

from typing import TYPE_CHECKING

from fraudforge.foundation.lazy import lazy_exports

if TYPE_CHECKING:
    from fraudforge.engine import (
        ANOMALY_TYPES,
        FRAUD_TYPES,
        Manifest,
        OutputExistsError,
        Scenario,
        ScenarioError,
        dataset_hash,
        generate,
        load_scenario,
        read_manifest,
        scan,
        scan_customers,
        scan_dataset,
    )
    from fraudforge.foundation.errors import FraudforgeError

__getattr__, __dir__ = lazy_exports(__name__)

__all__ = [
    "ANOMALY_TYPES",
    "FRAUD_TYPES",
    "FraudforgeError",
    "Manifest",
    "OutputExistsError",
    "Scenario",
    "ScenarioError",
    "dataset_hash",
    "generate",
    "load_scenario",
    "read_manifest",
    "scan",
    "scan_customers",
    "scan_dataset",
]
