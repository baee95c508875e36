"""Operating a deployed service: health checks (``wait_healthy``), deploys and rollbacks of
model versions through the service's admin API and of image tags through compose
(``deploy``, ``rollback``), and the release history they keep."""

from fraudforge.ops.deploy import (
    DeployError,
    Restart,
    Target,
    deploy,
    previous_production,
    rollback,
)
from fraudforge.ops.health import Probe, wait_healthy
from fraudforge.ops.releases import Release, previous_image, read_history

__all__ = [
    "DeployError",
    "Probe",
    "Release",
    "Restart",
    "Target",
    "deploy",
    "previous_image",
    "previous_production",
    "read_history",
    "rollback",
    "wait_healthy",
]
