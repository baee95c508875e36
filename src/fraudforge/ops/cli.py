"""The operations command line: ``python -m fraudforge.ops deploy|rollback|health``, which
``scripts/deploy``, ``scripts/rollback`` and ``scripts/health-check`` run. Exit codes: 0 done,
1 a step failed (the message says which), 2 bad arguments; the health check's are its own
(``fraudforge.ops.health``)."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from fraudforge.ops import health
from fraudforge.ops.deploy import (
    API_KEY_VARIABLE,
    DeployError,
    Restart,
    Target,
    deploy,
    rollback,
)
from fraudforge.ops.releases import Release
from fraudforge.wire.reference import FORMS, ModelRefError, ModelSpec

FAILED = 1
USAGE = 2


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--url", default=None, help="the service's base URL (default: http://127.0.0.1:8000)"
    )
    p.add_argument(
        "--api-key",
        default=None,
        help=f"an API key with the admin scope (default: ${API_KEY_VARIABLE}; none when the "
        "service runs without a keys file)",
    )
    p.add_argument(
        "--timeout", type=float, default=60.0,
        help="seconds to wait for the service to be ready, and per request (default: 60)",
    )  # fmt: skip
    p.add_argument("--registry", help="the model registry directory the service serves from")
    p.add_argument(
        "--env-file", default=".env",
        help=f"the compose environment file holding {'FRAUDFORGE_IMAGE'} (default: .env)",
    )  # fmt: skip
    p.add_argument(
        "--restart",
        help="the command that recreates the service with the image in the environment file, "
        "e.g. 'docker compose up -d fraudforge' (needed to change the image)",
    )
    p.add_argument(
        "--history", default=".deploy-history.json",
        help="the release history file (default: .deploy-history.json)",
    )  # fmt: skip


def parser() -> argparse.ArgumentParser:
    """``deploy`` and ``rollback`` (``health`` has its own parser)."""
    p = argparse.ArgumentParser(prog="fraudforge.ops", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    dep = sub.add_parser(
        "deploy",
        help="put a model version (and optionally an image) in production",
        description="Deploy: with --image, write it to the environment file and run --restart, "
        "then wait for /ready; with a model, promote it to production through the service's "
        "admin API (the registry archives the previous production version) and serve it "
        "without downtime. The release is recorded in --history.",
        epilog="exit codes: 0 deployed, 1 a step failed, 2 bad arguments",
    )
    dep.add_argument(
        "model",
        nargs="?",
        help="NAME:VERSION; or NAME@STAGE, or NAME for its production version (the newest when "
        "none is promoted), both resolved in --registry",
    )
    dep.add_argument("--image", help="image to run, e.g. fraudforge:0.2.0")
    _common(dep)
    back = sub.add_parser(
        "rollback",
        help="go back to the previous model version and/or image",
        description="Rollback: the model to the version that was in production before the "
        "current one (from the registry's stage history), and with --image the image to the "
        "one deployed before the current one (from --history). Rolling back twice returns to "
        "where the first rollback started.",
        epilog="exit codes: 0 rolled back, 1 a step failed (or nothing to go back to), 2 bad "
        "arguments",
    )
    back.add_argument("--name", help="the model to roll back (default: the one being served)")
    back.add_argument("--image", action="store_true", help="roll the image back too")
    back.add_argument(
        "--image-only", action="store_true", help="roll back the image and leave the model"
    )
    _common(back)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one operations command; the exit code says how it went."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["health"]:
        return health.main(args_list[1:])
    args = parser().parse_args(args_list)
    target = Target(
        url=args.url or health.default_url(),
        api_key=args.api_key or os.environ.get(API_KEY_VARIABLE) or None,
        timeout=args.timeout,
    )
    if args.timeout <= 0:
        return _usage("--timeout must be above 0")
    restart = (
        Restart(env_file=Path(args.env_file), command=tuple(shlex.split(args.restart)))
        if args.restart
        else None
    )
    try:
        if args.command == "deploy":
            try:
                model = ModelSpec.parse(args.model) if args.model else None
            except ModelRefError as exc:
                return _usage(str(exc))
            if args.image and restart is None:
                return _usage(
                    "--image needs --restart CMD: the command that recreates the service with "
                    "the new image, e.g. --restart 'docker compose up -d fraudforge'"
                )
            if model is None and args.image is None:
                return _usage(f"nothing to deploy: give a model ({FORMS}) or --image")
            if model is not None and model.version is None and args.registry is None:
                return _usage(
                    f"{model} names no version: give {model.name}:VERSION or --registry DIR"
                )
            release = deploy(
                target, model=model, registry=args.registry,
                image=args.image, restart=restart, history=args.history,
            )  # fmt: skip
        else:
            image = args.image or args.image_only
            if image and restart is None:
                return _usage("rolling back the image needs --restart CMD")
            if not args.image_only and args.registry is None:
                return _usage(
                    "rolling back the model needs --registry DIR (its stage history says which "
                    "version was in production before); use --image-only for the image alone"
                )
            release = rollback(
                target, registry=args.registry, name=args.name, restart=restart,
                history=args.history, image=image, model=not args.image_only,
            )  # fmt: skip
    except ValueError as exc:  # a registry that refuses (unknown name or version), bad input
        print(f"{args.command}: {exc}", file=sys.stderr)
        return FAILED
    except DeployError as exc:
        print(f"{args.command} failed: {exc}", file=sys.stderr)
        return FAILED
    print(_describe(release, target.url))
    return 0


def _describe(release: Release, url: str) -> str:
    parts = [f"{release.action}: {url} serves {release.model}"]
    if release.image:
        parts.append(f"on image {release.image}")
    return " ".join(parts)


def _usage(message: str) -> int:
    print(f"fraudforge.ops: {message}", file=sys.stderr)
    return USAGE


__all__ = ["FAILED", "USAGE", "main", "parser"]
