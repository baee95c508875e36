"""Turn the quickstart (docs/quickstart.md) into the bash script that follows it, for
scripts/quickstart-check.sh. Standard library only: it runs before anything is installed.

Every ``sh`` block's commands are kept as written, in order, with only these changes, each
needed to run them unattended beside other work on the machine:

- ``--rows 50000`` (the documented size) becomes ``--rows $QUICKSTART_ROWS``;
- port 8000 becomes ``$PORT`` (a free port), and the examples get ``--url`` for it;
- ``fraudforge api-key ...`` keeps the key it prints in ``KEY``;
- ``fraudforge serve ...`` runs in the background (its output in ``serve.log``) and the next
  command waits until ``/ready`` says ready, as a person would before using it;
- the ``python`` block is run by the venv's python with ``KEY`` taken from the environment;
- lines of output quoted in a block (starting with ``#``) are left out;
- the last step, stopping the server with Ctrl-C, is a SIGINT, after which ``state.npz`` must
  hold the snapshot it writes.

Usage: ``python3 scripts/quickstart_script.py docs/quickstart.md > quickstart.sh``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

DOCUMENTED_ROWS = "--rows 50000"
WAIT_READY = (
    'for _ in $(seq 600); do curl -sf "localhost:$PORT/ready" >/dev/null && break; '
    'kill -0 "$SERVE_PID" || { cat serve.log; exit 1; }; sleep 0.5; done'
)


STOP = (
    'kill -INT "$SERVE_PID"\nwait "$SERVE_PID" || true\ncat serve.log\n'
    "test -s state.npz  # Ctrl-C writes a last snapshot"
)
"""The quickstart's last step, "Stop the server with Ctrl-C", and what it promises."""


def blocks(markdown: str) -> list[tuple[str, str]]:
    """The fenced code blocks of ``markdown`` as (language, text), in order."""
    found = re.findall(r"^```(\w*)\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL)
    return [(lang, text) for lang, text in found]


def commands(text: str) -> list[str]:
    """The commands of an ``sh`` block: continuation lines joined, comments dropped (a
    quoted string may span lines, as the curl body does, and is kept whole)."""
    result: list[str] = []
    current = ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line + "\n"
        if current.endswith("\\\n") or current.count("'") % 2:
            continue
        result.append(_strip_comment(current.rstrip("\n")))
        current = ""
    return result


def _strip_comment(command: str) -> str:
    """``command`` without a trailing ``# comment`` outside quotes."""
    quote = ""
    for i, char in enumerate(command):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or command[i - 1] in " \t"):
            return command[:i].rstrip()
    return command


def adapt(command: str) -> str:
    """One documented command as the check runs it (see the module's docstring)."""
    command = command.replace(DOCUMENTED_ROWS, "--rows $QUICKSTART_ROWS")
    command = re.sub(r"(localhost|127\.0\.0\.1):8000", r"\1:$PORT", command)
    command = command.replace("--port 8000", "--port $PORT")
    command = re.sub(r"^curl -s ", "curl -s --fail-with-body ", command)
    command = re.sub(r"^(python examples/\S+)", r'\1 --url "http://127.0.0.1:$PORT"', command)
    if command.startswith("fraudforge api-key"):
        return f"KEY=$({command})\nexport KEY"
    if command.startswith("fraudforge serve"):
        return (
            f"{command} > serve.log 2>&1 &\nSERVE_PID=$!\n"
            "trap 'kill \"$SERVE_PID\" 2>/dev/null || true' EXIT\n" + WAIT_READY
        )
    return command


def script(markdown: str) -> str:
    """The bash script that runs the quickstart's blocks in order."""
    lines = ["set -euxo pipefail"]
    for lang, text in blocks(markdown):
        if lang == "sh":
            lines.extend(adapt(c) for c in commands(text))
        elif lang == "python":
            code = "import os\nKEY = os.environ['KEY']\n" + text.replace(
                '"http://127.0.0.1:8000"', '"http://127.0.0.1:" + os.environ["PORT"]'
            )
            lines.append(f".venv/bin/python - <<'PYTHON'\n{code}PYTHON")
    if any(line.startswith("fraudforge serve") for line in lines):
        lines.append(STOP)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(script(Path(sys.argv[1]).read_text(encoding="utf-8")))
