#!/bin/sh
# Runs `python -m fraudforge.ops COMMAND` for the link it is called through: scripts/deploy,
# scripts/rollback and scripts/health-check link here. Pass --help for each one's options.
# The Python is $PYTHON, else the repository's .venv, else python3 on PATH (fraudforge must be
# importable by it: inside the image it is).
set -eu
case "$(basename "$0")" in
    deploy) command=deploy ;;
    rollback) command=rollback ;;
    health-check) command=health ;;
    *) echo "ops.sh: call it as scripts/deploy, scripts/rollback or scripts/health-check" >&2
       exit 2 ;;
esac
repo=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-}
if [ -z "$python" ]; then
    if [ -x "$repo/.venv/bin/python" ]; then python=$repo/.venv/bin/python; else python=python3; fi
fi
if ! "$python" -c 'import fraudforge.ops' 2>/dev/null; then
    echo "$(basename "$0"): $python cannot import fraudforge (set PYTHON, or run make .venv/.installed)" >&2
    exit 2
fi
exec "$python" -m fraudforge.ops "$command" "$@"
