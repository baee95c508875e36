"""Schemathesis against the app's own OpenAPI document, on a real server: generated valid and
invalid requests to every operation never get a server error, and every answer's status, media
type and body match the document. Bounded to a few hundred requests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

from fraudforge.service.app import ENDPOINTS, OPENAPI_PATH, create_app

from .conftest import Deployment
from .live import live_server


@pytest.fixture(scope="module")
def fuzzed(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private server (its state and snapshot are its own)."""
    state: Path = tmp_path_factory.mktemp("fuzz") / "state.npz"
    app = create_app(deployment.settings(state, max_batch=20))
    with live_server(app) as base:
        yield base


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error_and_answers_match_the_schema(
    fuzzed: str, deployment: Deployment, mode: GenerationMode
) -> None:
    """Every generated request (valid or not by the document) answers below 500 with a status,
    media type and body the document declares; invalid data is never accepted."""
    api = schemathesis.openapi.from_url(fuzzed + OPENAPI_PATH)
    operations = [cast(Any, result).ok() for result in api.get_all_operations()]
    assert len(operations) == len(ENDPOINTS)
    headers = {"x-api-key": deployment.admin_key}
    used = [
        checks.not_a_server_error,
        checks.status_code_conformance,
        checks.content_type_conformance,
        checks.response_schema_conformance,
    ]
    if mode is GenerationMode.NEGATIVE:
        used.append(checks.negative_data_rejection)
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not list(operation.body):
            continue  # nothing to get wrong in a request without a body or parameters

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: Any) -> None:
            case.call_and_validate(base_url=fuzzed, headers=headers, checks=used, timeout=10)

        run()
    text = httpx.get(fuzzed + "/metrics").text
    sent = re.findall(
        r'^fraudforge_http_requests_total\{method="POST",route="/v1/score",[^}]*\} (\d+)',
        text,
        re.M,
    )
    assert sum(map(int, sent)) >= 20  # the cases did reach the server
