"""Running the app: ``run(settings)`` serves ``create_app(settings)`` with uvicorn (uvloop and
httptools, one worker, no access log) until interrupted; the lifespan writes the final
snapshot on the way out."""

from __future__ import annotations

import logging

from fraudforge.service.app import create_app
from fraudforge.service.settings import Settings


def run(settings: Settings, *, preflighted: bool = False) -> None:
    """Serve until SIGINT/SIGTERM (``preflighted``: the caller has run ``state.preflight``)."""
    import uvicorn

    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    uvicorn.run(
        create_app(settings, preflighted=preflighted),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        workers=1,
        access_log=False,
        log_level=settings.log_level,
        lifespan="on",
    )


__all__ = ["run"]
