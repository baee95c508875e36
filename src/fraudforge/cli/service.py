"""``fraudforge serve`` and ``fraudforge api-key``: the scoring service."""

from __future__ import annotations

import argparse
from typing import Any

from fraudforge.cli._common import err, out
from fraudforge.foundation.errors import ConfigError


def _add_service_commands(sub: Any) -> None:
    """The ``serve`` and ``api-key`` commands."""
    import msgspec

    from fraudforge.service.settings import Settings
    from fraudforge.wire.reference import FORMS

    default = {f.name: f.default for f in msgspec.structs.fields(Settings)}

    serve = sub.add_parser("serve", help="serve a registered model over HTTP")
    serve.add_argument("--config", help="TOML settings file (flags and FRAUDFORGE_* win)")
    serve.add_argument("--registry", help="model registry directory")
    serve.add_argument(
        "--model",
        help=f"{FORMS}; a bare NAME is its production version, else its newest (default: "
        "fraud-model@production)",
    )
    serve.add_argument("--host", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: 8000)")
    serve.add_argument("--data", help="dataset to warm-start the online state from")
    serve.add_argument("--features", help="features directory giving the outlier model")
    serve.add_argument("--state", help="snapshot file: restored at start, written periodically")
    serve.add_argument(
        "--snapshot-interval", dest="snapshot_interval_s", type=float,
        help="seconds between snapshots (default: 300; 0: at shutdown only)",
    )  # fmt: skip
    serve.add_argument("--keys", help="API keys file (see `api-key`); none: no auth")
    serve.add_argument(
        "--rate", dest="rate_per_s", type=float,
        help=f"requests/s per key (default: {default['rate_per_s']:,g})",
    )  # fmt: skip
    serve.add_argument(
        "--burst", type=int, help=f"requests a key may send at once (default: {default['burst']:,})"
    )
    serve.add_argument(
        "--max-batch", dest="max_batch", type=int,
        help=f"transactions per batch request at most (default: {default['max_batch']:,})",
    )  # fmt: skip
    serve.add_argument(
        "--max-body", dest="max_body_bytes", type=int,
        help=f"request body size at most, bytes (default: {default['max_body_bytes']:,})",
    )  # fmt: skip
    serve.add_argument(
        "--max-amount", dest="max_amount_inr", type=float,
        help=f"amount_inr of a transaction at most (default: {default['max_amount_inr']:,.0f})",
    )  # fmt: skip
    serve.add_argument(
        "--cors-origin", dest="cors_origins", action="append",
        help="a browser origin allowed to call the API (repeat; default: none)",
    )  # fmt: skip
    serve.add_argument(
        "--thresholds",
        help="FLAG,REVIEW,BLOCK probability cut-offs for every model (default: from each "
        "model's registered alert threshold t: t/2, t, t + 0.75*(1-t))",
    )
    serve.add_argument(
        "--log-level", dest="log_level",
        help=f"debug, info, warning or error (default: {default['log_level']})",
    )  # fmt: skip
    serve.set_defaults(func=cmd_serve)
    key = sub.add_parser("api-key", help="create an API key and add its hash to a keys file")
    key.add_argument("--keys", required=True, help="keys file (created if missing)")
    key.add_argument("--id", dest="key_id", required=True, help="name of the key")
    key.add_argument(
        "--scopes", default="score", help="comma-separated: score, admin (default: score)"
    )
    key.set_defaults(func=cmd_api_key)


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve a model until interrupted."""
    from fraudforge.foundation.kernel_cache import seed_from_environment

    # before any kernel runs: an image's pre-compiled kernels into the writable Numba cache
    seed_from_environment()
    from fraudforge.service.server import run
    from fraudforge.service.settings import load_settings
    from fraudforge.service.state import preflight

    overrides = {k: v for k, v in vars(args).items() if k not in ("func", "command", "config")}
    if args.thresholds is not None:
        parts = args.thresholds.split(",")
        if len(parts) != 3:
            raise ConfigError(f"--thresholds {args.thresholds!r}: allowed is FLAG,REVIEW,BLOCK")
        overrides["thresholds"] = dict(zip(("flag", "review", "block"), parts, strict=True))
    settings = load_settings(toml=args.config, overrides=overrides)
    # before anything listens: the registry opens, the model exists and passes the swap
    # checks (catalogue hash, files, LightGBM reads it in a child process); else exit 2
    preflight(settings)
    err.print(
        f"[bold]serve[/bold] {settings.model} from {settings.registry} on "
        f"http://{settings.host}:{settings.port} (docs at /docs)"
    )
    run(settings, preflighted=True)
    return 0


def cmd_api_key(args: argparse.Namespace) -> int:
    """Create a key; print it once (only its hash is stored)."""
    from fraudforge.service.security import add_key

    key = add_key(args.keys, args.key_id, [s.strip() for s in args.scopes.split(",")])
    err.print(f"added key `{args.key_id}` to {args.keys}; it is shown only now:")
    out.print(key, markup=False, highlight=False)
    return 0
