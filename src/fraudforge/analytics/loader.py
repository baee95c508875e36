"""Loading the model a report explains. Today a LightGBM text model file; the model registry
(``NAME@STAGE``) plugs in here."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb


def load_model(spec: str) -> lgb.Booster:
    """The LightGBM Booster saved as a text model file at ``spec`` (``Booster.save_model``)."""
    path = Path(spec)
    if not path.is_file():
        raise FileNotFoundError(
            f"model `{spec}` not found: give the path of a LightGBM text model file "
            "(written by Booster.save_model)"
        )
    try:
        return lgb.Booster(model_file=str(path))
    except lgb.basic.LightGBMError as exc:
        raise ValueError(f"{path} is not a LightGBM text model file: {exc}") from exc
