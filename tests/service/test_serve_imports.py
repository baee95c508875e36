"""The serving image's requirements cover the real serve path: the service started (warm
start from a dataset, a fraud-type model beside the model), scoring once and stopped imports
nothing that requirements-serve.txt leaves out, and none of LightGBM, scikit-learn, skops or
SciPy (docs/deployment.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

from fraudforge.ops.footprint import SERVE_REQUIREMENTS, exercise, missing_requirements, read_pins
from tests.service.conftest import Deployment, Served

ROOT = Path(__file__).resolve().parents[2]


def test_the_serve_path_needs_only_the_serving_requirements(
    served: Served, deployment: Deployment, tmp_path: Path
) -> None:
    """The real service, warm-started from a dataset, with a fraud-type model beside its model,
    scores once and stops: everything it imported is in requirements-serve.txt (or is one of
    the libraries' optional imports), and nothing of training, the model libraries, the report
    or Ray."""
    from fraudforge.engine.dataset import generate
    from fraudforge.engine.scenario import Scenario
    from fraudforge.features.pipeline import build_features
    from fraudforge.models import Registry
    from fraudforge.models.fraud_type import TYPE_SUFFIX, fit_fraud_type

    registry = tmp_path / "registry"
    shutil.copytree(deployment.registry, registry)
    types = fit_fraud_type(served.data, features=served.model.features)
    reg = Registry(registry, create=False)
    version = reg.register(types, name=deployment.name + TYPE_SUFFIX).version
    reg.promote(deployment.name + TYPE_SUFFIX, version, "production")
    data, features = tmp_path / "data", tmp_path / "features"
    generate(Scenario(customers=200, days=14, seed=3), data, threads=1)
    build_features(data, features, threads=1)

    modules = exercise(
        registry,
        tmp_path / "state.npz",
        model=f"{deployment.name}@production",
        data=data,
        features=features,
        log=tmp_path / "serve.log",
    )
    assert (tmp_path / "state.npz").stat().st_size > 0  # the snapshot written on SIGTERM
    assert {"fraudforge.service.server", "fraudforge.models.compiled"} <= set(modules)
    assert missing_requirements(modules, read_pins(ROOT / SERVE_REQUIREMENTS)) == []
    tops = {m.split(".", 1)[0] for m in modules}
    # scoring reads the booster's text and the fraud-type arrays: no model library is imported
    # (SciPy only as numba's version check when it is installed: OPTIONAL_IMPORTS)
    assert not {"lightgbm", "sklearn", "skops", "joblib", "ray", "plotly"} & tops
    assert "scipy.sparse" not in modules
    assert not {"fraudforge.models.training", "fraudforge.models.zoo"} & set(modules)
    assert not any(m.startswith("fraudforge.analytics") for m in modules)
