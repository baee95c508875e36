"""scripts/quickstart_script.py turns the quickstart page into the script that CI runs
(scripts/quickstart-check.sh): every command as written, in order, with only the documented
changes (rows, port, the key kept, the server in the background and waited for, Ctrl-C)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _converter() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "quickstart_script", ROOT / "scripts" / "quickstart_script.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


PAGE = """# Title

```sh
make .venv/.installed            # a comment
fraudforge generate --rows 50000 --out data/
```

Output, not run:

```
error: something
```

```sh
fraudforge api-key --keys keys.json --id app
fraudforge serve --registry registry/ \\
    --port 8000
curl -s localhost:8000/ready
# {"ready":true}
curl -s -X POST localhost:8000/v1/score -d '{
  "a": "'"$(date)"'"
}'
python examples/flow.py --api-key $KEY   # the example
```

```python
with Client("http://127.0.0.1:8000", api_key=KEY) as client:
    pass
```
"""


def test_a_page_becomes_its_script() -> None:
    """Exact script of a small page: comments and quoted output dropped, continuation lines and
    a multi-line quoted body kept whole, rows and port substituted, the key kept, the server
    backgrounded and waited for, the python block run with KEY and PORT, then stopped."""
    qs = _converter()
    expected = "\n".join(
        [
            "set -euxo pipefail",
            "make .venv/.installed",
            "fraudforge generate --rows $QUICKSTART_ROWS --out data/",
            "KEY=$(fraudforge api-key --keys keys.json --id app)",
            "export KEY",
            "fraudforge serve --registry registry/ \\\n    --port $PORT > serve.log 2>&1 &",
            "SERVE_PID=$!",
            "trap 'kill \"$SERVE_PID\" 2>/dev/null || true' EXIT",
            qs.WAIT_READY,
            "curl -s --fail-with-body localhost:$PORT/ready",
            "curl -s --fail-with-body -X POST localhost:$PORT/v1/score -d '{\n"
            '  "a": "\'"$(date)"\'"\n'
            "}'",
            'python examples/flow.py --url "http://127.0.0.1:$PORT" --api-key $KEY',
            ".venv/bin/python - <<'PYTHON'\nimport os\nKEY = os.environ['KEY']\n"
            'with Client("http://127.0.0.1:" + os.environ["PORT"], api_key=KEY) as client:\n'
            "    pass\nPYTHON",
            qs.STOP,
        ]
    )
    assert qs.script(PAGE) == expected + "\n"


def test_the_quickstart_page_is_followed_whole() -> None:
    """The real page's script runs every documented step: install, generate at the check's
    size, features, train, report, a key, the server waited for, curl, the client, both
    examples, and Ctrl-C; nothing is left on port 8000."""
    page = (ROOT / "docs" / "quickstart.md").read_text()
    text = _converter().script(page)
    for step in (
        "make .venv/.installed",
        "fraudforge generate --rows $QUICKSTART_ROWS",
        "fraudforge features --in data/ --out features/",
        "fraudforge train ",
        "fraudforge report ",
        "KEY=$(fraudforge api-key ",
        "SERVE_PID=$!",
        "from fraudforge.client import Client",
        "python examples/payment_flow.py --url",
        "python examples/live_monitor.py --url",
        'kill -INT "$SERVE_PID"',
    ):
        assert step in text, step
    assert "8000" not in text
    assert text.index("fraudforge features --in") < text.index("fraudforge train ")
