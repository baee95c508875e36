"""The service app for granian (``--factory bench.granian_app:app``), configured from the
``FRAUDFORGE_*`` environment as ``fraudforge serve`` is from its flags."""

from __future__ import annotations

from litestar import Litestar

from fraudforge.service.app import create_app
from fraudforge.service.settings import load_settings


def app() -> Litestar:
    """``create_app`` with the settings of the environment."""
    return create_app(load_settings())
