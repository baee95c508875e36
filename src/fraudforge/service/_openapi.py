"""The service's OpenAPI 3.1 document, built from its endpoint table and the msgspec Structs'
JSON Schemas (the same types the handlers decode with, so the schema cannot drift from the
validation), and an HTML docs page rendered from it on the server: no JavaScript, no CDN."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from fraudforge.service._errors import RESPONSES
from fraudforge.wire import ErrorBody

_REF = "#/components/schemas/{name}"
Method = Literal["GET", "POST"]
_REASONS = {
    200: "OK",
    202: "Accepted",
    404: "Not found",
    **{response.status: response.problem for response in RESPONSES},
}
"""What each status means: the error answers' own problem types (``_errors``), and the rest."""


@dataclass(frozen=True)
class Endpoint:
    """One route: method, path, what it takes and returns, and the scope it needs."""

    method: Method
    path: str
    summary: str
    returns: type | None
    body: type | None = None
    scope: str | None = None
    status: int = 200
    media_type: str = "application/json"
    errors: tuple[int, ...] = ()
    bodies: tuple[tuple[int, type], ...] = ()
    """Statuses whose body is not the usual one (``returns`` or ErrorBody), with their type."""

    @property
    def codes(self) -> tuple[int, ...]:
        """Every status the endpoint may answer with."""
        auth = (401, 403, 429) if self.scope else ()
        body = (400, 413, 422) if self.body else ()
        return tuple(sorted({self.status, *auth, *body, *self.errors}))


def openapi_document(
    endpoints: tuple[Endpoint, ...], *, title: str, version: str, description: str
) -> dict[str, Any]:
    """The OpenAPI document of ``endpoints``."""
    types: set[type] = {ErrorBody}
    for e in endpoints:
        types.update(t for t in (e.body, e.returns) if t is not None)
        types.update(t for _, t in e.bodies)
    ordered = sorted(types, key=lambda t: t.__name__)
    refs, components = msgspec.json.schema_components(ordered, ref_template=_REF)
    ref_of = dict(zip(ordered, refs, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for e in endpoints:
        op: dict[str, Any] = {
            "summary": e.summary,
            "operationId": (e.method + e.path).lower().replace("/", "_").replace(".", "_"),
            "responses": {},
        }
        if e.scope:
            op["security"] = [{"apiKey": []}, {"bearer": []}]
            op["description"] = f"Needs an API key with scope `{e.scope}`."
            op["x-scope"] = e.scope
        if e.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref_of[e.body]}},
            }
        for code in e.codes:
            answer: dict[str, Any] = {"description": _REASONS.get(code, "Answer")}
            special = dict(e.bodies).get(code)
            if special is not None:
                answer["content"] = {"application/json": {"schema": ref_of[special]}}
            elif code == e.status and e.returns is not None:
                answer["content"] = {e.media_type: {"schema": ref_of[e.returns]}}
            elif code == e.status and e.media_type != "application/json":
                answer["content"] = {e.media_type: {"schema": {"type": "string"}}}
            elif code >= 400:
                answer["content"] = {"application/json": {"schema": ref_of[ErrorBody]}}
            op["responses"][str(code)] = answer
        paths.setdefault(e.path, {})[e.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
    }


def docs_page(doc: dict[str, Any], *, schema_url: str) -> str:
    """A self-contained HTML page describing ``doc``: endpoints, then every schema."""
    e = html.escape
    info = doc["info"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(info['title'])} API</title><style>",
        "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}",
        "code,pre{font-family:ui-monospace,monospace;font-size:13px}",
        "pre{background:#f4f4f4;padding:.75rem;overflow:auto}",
        ".m{display:inline-block;min-width:3.5rem;font-weight:600}",
        "table{border-collapse:collapse}td{padding:0 .75rem 0 0;vertical-align:top}",
        "</style></head><body>",
        f"<h1>{e(info['title'])} <small>{e(info['version'])}</small></h1>",
        f"<p>{e(info['description'])}</p>",
        f"<p>Machine-readable schema: <a href='{e(schema_url)}'>{e(schema_url)}</a></p>",
        "<h2>Endpoints</h2>",
    ]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            parts.append(
                f"<h3><span class='m'>{e(method.upper())}</span><code>{e(path)}</code></h3>"
            )
            parts.append(f"<p>{e(op['summary'])} {e(op.get('description', ''))}</p>")
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                parts.append(f"<p>Body: {_link(body['schema'])}</p>")
            rows = []
            for code, answer in op["responses"].items():
                media: dict[str, Any] = next(iter(answer.get("content", {}).values()), {})
                schema = media.get("schema", {})
                rows.append(
                    f"<tr><td>{e(code)}</td><td>{e(answer['description'])}</td>"
                    f"<td>{_link(schema)}</td></tr>"
                )
            parts.append("<table>" + "".join(rows) + "</table>")
    parts.append("<h2>Schemas</h2>")
    for name, schema in doc["components"]["schemas"].items():
        text = json.dumps(schema, indent=2, sort_keys=True)
        parts.append(f"<h3 id='{e(name)}'>{e(name)}</h3><pre>{e(text)}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _link(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref")
    if not ref:
        return html.escape(str(schema.get("type", "")))
    name = ref.rsplit("/", 1)[-1]
    return f"<a href='#{html.escape(name)}'>{html.escape(name)}</a>"


__all__ = ["Endpoint", "docs_page", "openapi_document"]
