"""``python -m fraudforge.ops``: deploy, rollback and health checks (see ``cli``)."""

from fraudforge.ops.cli import main

raise SystemExit(main())
