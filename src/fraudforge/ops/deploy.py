"""Deploy and roll back a running service. A model version is put in place through the
service's admin API (``POST /v1/admin/promote`` with ``serve``: the registry moves it to
production, archiving the previous production version, and the service swaps to it with no
downtime); an image tag by rewriting ``FRAUDFORGE_IMAGE`` in the compose environment file and
running the command that recreates the container. Each release is recorded in a history file.
Rollback finds the previous production version in the registry's stage history and the
previous image in the release history."""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fraudforge.foundation.errors import ConfigError, FraudforgeError
from fraudforge.ops._http import AdminError, call
from fraudforge.ops.health import wait_healthy
from fraudforge.ops.releases import (
    IMAGE_VARIABLE,
    Release,
    current_image,
    now,
    previous_image,
    read_history,
    read_variable,
    record,
    set_variable,
)
from fraudforge.wire.reference import FORMS, ModelSpec

API_KEY_VARIABLE = "FRAUDFORGE_API_KEY"
"""Where the admin key is read from when not given as an option (keeps it out of ``ps``)."""


class DeployError(FraudforgeError, RuntimeError):
    """A deploy or rollback step failed; the message says which and why."""


@dataclass(frozen=True)
class Target:
    """The service to act on: its base URL, an admin-scoped API key and how long to wait."""

    url: str
    api_key: str | None = None
    timeout: float = 60.0

    def admin(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One admin-API call (POST with a body, GET without)."""
        method = "GET" if body is None else "POST"
        try:
            return call(
                self.url.rstrip("/") + path,
                method=method,
                body=body,
                api_key=self.api_key,
                timeout=self.timeout,
            )
        except AdminError as exc:
            raise DeployError(str(exc)) from None

    def wait(self) -> str | None:
        """Wait until the service is live and ready; the model it serves."""
        probe = wait_healthy(self.url, timeout=self.timeout)
        if not probe.ready:
            state = "not live" if not probe.live else "live but not ready"
            raise DeployError(f"{self.url} is {state} after {probe.seconds:.1f} s: {probe.error}")
        return probe.model


@dataclass(frozen=True)
class Restart:
    """How the image is put in place: the environment file compose reads and the command that
    recreates the service from it (run with ``FRAUDFORGE_IMAGE`` also in its environment)."""

    env_file: Path
    command: tuple[str, ...]

    def apply(self, image: str) -> None:
        """Point the environment file at ``image`` and run the restart command."""
        set_variable(self.env_file, image)
        env = {**os.environ, IMAGE_VARIABLE: image}
        try:
            done = subprocess.run(self.command, env=env, capture_output=True, text=True)
        except OSError as exc:
            raise DeployError(f"restart command {shlex.join(self.command)}: {exc}") from None
        if done.returncode != 0:
            raise DeployError(
                f"restart command {shlex.join(self.command)} exited {done.returncode}: "
                f"{(done.stderr or done.stdout).strip()[-500:]}"
            )


def served(target: Target) -> tuple[str, int]:
    """The model name and version the service serves now."""
    info = target.admin("/v1/model")
    return str(info["name"]), int(info["version"])


def serve_version(target: Target, name: str, version: int) -> tuple[str, int]:
    """Promote ``name`` ``version`` to production through the service and serve it; checks
    that the service then serves exactly it."""
    info = target.admin(
        "/v1/admin/promote",
        {"name": name, "version": version, "stage": "production", "serve": True},
    )
    got = (str(info.get("name")), int(info.get("version", 0)))
    if got != (name, version) or info.get("stage") != "production":
        raise DeployError(
            f"the service answered the promotion of {name}:{version} with {got[0]}:{got[1]} "
            f"in stage {info.get('stage')}"
        )
    if served(target) != (name, version):
        raise DeployError(f"after promoting {name}:{version} the service serves {served(target)}")
    return got


def registered_version(registry: str | Path, model: ModelSpec) -> int:
    """The version ``model`` names in ``registry`` (a bare name: production if promoted, else
    the newest); one the registry does not hold is refused naming the ones it does."""
    from fraudforge.models.registry import Registry

    return Registry(registry, create=False).resolve(model).version


def open_registry(registry: str | Path) -> None:
    """Refuse, before anything changes, a directory that holds no registry."""
    from fraudforge.models.registry import Registry

    Registry(registry, create=False)


def previous_production(registry: str | Path, name: str) -> int:
    """The version that was in production before the current one: the newest production
    promotion in the registry's stage history of a version other than the current production
    version (so a second rollback returns to where the first one started)."""
    from fraudforge.models.registry import Registry

    reg = Registry(registry, create=False)
    versions = reg.list(name)
    current = {v.version for v in versions if v.stage == "production"}
    promotions = sorted(
        (at, v.version)
        for v in versions
        for stage, at in reg.history(name, v.version)
        if stage == "production"
    )
    for _, version in reversed(promotions):
        if version not in current:
            return version
    now_in = ", ".join(f"v{v}" for v in sorted(current)) or "none"
    raise DeployError(
        f"no earlier production version of {name} to roll back to (in production now: {now_in})"
    )


def deploy(
    target: Target,
    *,
    model: ModelSpec | None = None,
    registry: str | Path | None = None,
    image: str | None = None,
    restart: Restart | None = None,
    history: str | Path | None = None,
) -> Release:
    """Put ``image`` (through ``restart``) and then ``model`` (through the admin API) in place,
    waiting for the service to be ready after each; with ``registry`` the reference is resolved
    and checked there first (``NAME@STAGE`` and a bare ``NAME`` need it). Records the release
    in ``history``."""
    if image is None and model is None:
        raise ConfigError(f"nothing to deploy: give a model ({FORMS}) or an image")
    if image is not None and restart is None:
        raise ConfigError("deploying an image needs a restart command")
    version = None
    if model is not None:
        if registry is not None:
            version = registered_version(registry, model)
        elif model.version is None:
            raise ConfigError(f"model {model} names no version: pass NAME:VERSION or a registry")
        else:
            version = model.version
    if image is not None:
        assert restart is not None
        if history is not None:
            _record_baseline(history, restart.env_file, image)
        restart.apply(image)
    target.wait()
    if model is not None:
        assert version is not None
        serve_version(target, model.name, version)
    release = Release(at=now(), action="deploy", image=image, model="{}:{}".format(*served(target)))
    if history is not None:
        record(history, release)
    return release


def _record_baseline(history: str | Path, env_file: Path, image: str) -> None:
    """Before the first recorded image deploy, record the image the environment file names,
    so that the deploy can be rolled back to it."""
    running = read_variable(env_file)
    if running and running != image and current_image(read_history(history)) is None:
        record(history, Release(at=now(), action="baseline", image=running))


def rollback(
    target: Target,
    *,
    registry: str | Path | None = None,
    name: str | None = None,
    restart: Restart | None = None,
    history: str | Path | None = None,
    image: bool = False,
    model: bool = True,
) -> Release:
    """Go back to the previous image (``image``: from ``history``, through ``restart``) and
    then to the previous production version of ``name`` (``model``: from ``registry``'s stage
    history, through the admin API; ``name`` defaults to the model the service serves)."""
    if not (image or model):
        raise ConfigError("nothing to roll back: ask for the image, the model or both")
    if model:
        if registry is None:
            raise ConfigError("rolling back the model needs the registry (to find the version)")
        open_registry(registry)
    back_to: str | None = None
    if image:
        if history is None or restart is None:
            raise ConfigError("rolling back the image needs the history file and a restart command")
        try:
            back_to = previous_image(read_history(history))
        except ValueError as exc:
            raise DeployError(str(exc)) from None
        restart.apply(back_to)
    target.wait()
    if model:
        assert registry is not None
        model_name = name or served(target)[0]
        serve_version(target, model_name, previous_production(registry, model_name))
    release = Release(
        at=now(), action="rollback", image=back_to, model="{}:{}".format(*served(target))
    )
    if history is not None:
        record(history, release)
    return release


__all__ = [
    "API_KEY_VARIABLE",
    "DeployError",
    "Restart",
    "Target",
    "deploy",
    "previous_production",
    "registered_version",
    "rollback",
    "serve_version",
    "served",
]
