#!/usr/bin/env bash
# Follow the quickstart (docs/quickstart.md) as a new user would: a fresh clone of this
# repository's HEAD, an empty Numba cache (so the first-run compile is part of it), and every
# command of the page's sh and python blocks in order, as scripts/quickstart_script.py writes
# them (the documented 50,000 rows become QUICKSTART_ROWS, default 20,000; port 8000 a free
# port; the server runs in the background until the page's Ctrl-C). Fails on the first command
# that fails, when `features` does not say it is compiling its kernels, or when stopping the
# server leaves no snapshot. About 3 minutes on two cores, of which 2 install the venv.
#
#   scripts/quickstart-check.sh            # run by .ci/run
#   QUICKSTART_KEEP=1 scripts/quickstart-check.sh   # keep the work directory to look at
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/fraudforge-quickstart.XXXXXX")"
if [ -z "${QUICKSTART_KEEP:-}" ]; then
    trap 'rm -rf "$work"' EXIT
fi
git clone --quiet "$repo" "$work/fraudforge"
cd "$work/fraudforge"
export NUMBA_CACHE_DIR="$work/numba-cache"   # empty: the first `features` compiles
export QUICKSTART_ROWS="${QUICKSTART_ROWS:-20000}"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export PORT
python3 scripts/quickstart_script.py docs/quickstart.md > "$work/quickstart.sh"
start=$SECONDS
bash "$work/quickstart.sh" > "$work/quickstart.log" 2>&1 || {
    tail -n 60 "$work/quickstart.log"
    echo "quickstart-check: a command of docs/quickstart.md failed (log above; $work)" >&2
    exit 1
}
if ! grep -q "feature kernels (first run only" "$work/quickstart.log"; then
    echo "quickstart-check: the first features run did not say it compiles its kernels" >&2
    exit 1
fi
grep -E "^(\+ fraudforge|\+ python|\+ \.venv/bin/python|\+ curl -s --fail|compiling|features features|registered|report )" \
    "$work/quickstart.log" || true
echo "quickstart-check: docs/quickstart.md followed from a fresh clone at $QUICKSTART_ROWS rows in $((SECONDS - start)) s"
