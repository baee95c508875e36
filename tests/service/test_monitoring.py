"""The compose stack's monitoring agrees with the service: Prometheus scrapes the compose
service on the port it listens on, Grafana's provisioning points at that Prometheus and at the
dashboard directory, and every metric (and label) the dashboard queries is in the /metrics text
of a real server that has scored and swapped models."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from fraudforge.service.app import create_app

from .conftest import Deployment
from .live import live_server

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "fraudforge.json"

_METRIC = re.compile(r"\bfraudforge_[a-z_]+\b")
_SELECTOR = re.compile(r"\b(fraudforge_[a-z_]+)\{([^}]*)\}")
_MATCHER = re.compile(r'([a-z_]+)\s*(=~|!~|!=|=)\s*"([^"]*)"')
_BY = re.compile(r"\bby\s*\(([^)]*)\)")
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? ", re.MULTILINE)
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _queries() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [t["expr"] for p in panels for t in p["targets"]]


def _samples(text: str) -> dict[str, list[dict[str, str]]]:
    """Sample names of an exposition text and the label sets seen for each."""
    found: dict[str, list[dict[str, str]]] = {}
    for name, labels in _SAMPLE.findall(text):
        found.setdefault(name, []).append(dict(_LABEL.findall(labels)))
    return found


@pytest.fixture(scope="module")
def metrics_text(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """/metrics of a ready server after one score, one batch and one model swap."""
    state = tmp_path_factory.mktemp("monitoring") / "state.npz"
    app = create_app(deployment.settings(state))
    admin = {"x-api-key": deployment.admin_key}
    with live_server(app) as base:
        one, two = deployment.rest[0], deployment.rest[1]
        assert httpx.post(base + "/v1/score", json=one, headers=admin).status_code == 200
        batch = httpx.post(base + "/v1/score/batch", json={"transactions": [two]}, headers=admin)
        assert batch.status_code == 200
        swap = httpx.post(
            base + "/v1/admin/model", json={"model": f"{deployment.name}@staging"}, headers=admin
        )
        assert swap.status_code == 200, swap.text
        yield httpx.get(base + "/metrics").text


def test_dashboard_queries_only_metrics_the_service_exports(metrics_text: str) -> None:
    """Each fraudforge_* name in a dashboard query is a sample name in /metrics (histogram
    buckets included); each label a selector matches on is on that metric, with a value the
    service produced for an exact match; each `by` label is on the metric it groups."""
    samples = _samples(metrics_text)
    queries = _queries()
    assert len(queries) >= 10
    used = {name for q in queries for name in _METRIC.findall(q)}
    assert {
        "fraudforge_http_request_duration_seconds_bucket",
        "fraudforge_decisions_total",
        "fraudforge_model_info",
    } <= used
    assert not used - samples.keys(), f"not in /metrics: {sorted(used - samples.keys())}"
    for query in queries:
        names = _METRIC.findall(query)
        for name, matchers in _SELECTOR.findall(query):
            for label, op, value in _MATCHER.findall(matchers):
                values = {s.get(label) for s in samples[name]}
                assert values - {None}, f"{name} has no label {label} (in {query})"
                if op == "=":
                    assert value in values, f"{name}{{{label}}} is never {value!r}: {values}"
        for group in _BY.findall(query):
            for label in (g.strip() for g in group.split(",")):
                assert any(label in s for n in names for s in samples[n]), (label, query)


def test_model_version_panel_reads_the_served_version(
    metrics_text: str, deployment: Deployment
) -> None:
    """After the swap to the staging version, fraudforge_model_info names it (value 1)."""
    info = _samples(metrics_text)["fraudforge_model_info"]
    assert info == [{"name": deployment.name, "version": "2"}]
    assert re.search(r"^fraudforge_model_swaps_total 1$", metrics_text, re.MULTILINE)


def test_prometheus_scrapes_the_compose_service_on_its_port() -> None:
    """The scrape target is SERVICE:PORT of the compose service, at the port it listens on
    (its FRAUDFORGE_PORT, exposed) and the image's EXPOSE; the path is /metrics."""
    compose = _yaml(COMPOSE)
    jobs = _yaml(PROMETHEUS)["scrape_configs"]
    (job,) = [j for j in jobs if j["job_name"] == "fraudforge"]
    assert job.get("metrics_path", "/metrics") == "/metrics"
    (target,) = [t for c in job["static_configs"] for t in c["targets"]]
    host, port = target.split(":")
    service = compose["services"][host]
    assert service["environment"]["FRAUDFORGE_PORT"] == port
    assert port in [str(p) for p in service["expose"]]
    assert any(str(p).endswith(f":{port}") for p in service["ports"])
    assert f"EXPOSE {port}" in (ROOT / "Containerfile").read_text().splitlines()


def test_compose_mounts_and_grafana_provisioning_agree() -> None:
    """Every file compose mounts exists; Prometheus reads the config this test checked; the
    Grafana datasource is the compose Prometheus, the dashboards provider reads the directory
    the dashboard is mounted in, and every panel queries that datasource."""
    compose = _yaml(COMPOSE)
    services = compose["services"]
    for svc in services.values():
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists() or source == "./deploy/volume", source
    prom = services["prometheus"]
    mounts = dict(v.split(":")[:2] for v in prom["volumes"])
    config = next(a.split("=", 1)[1] for a in prom["command"] if a.startswith("--config.file="))
    assert mounts["./deploy/prometheus/prometheus.yml"] == config
    graf = dict(v.split(":")[:2] for v in services["grafana"]["volumes"])
    datasource = _yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")
    (ds,) = datasource["datasources"]
    prom_port = prom["ports"][0].rsplit(":", 1)[1]
    assert ds["url"] == f"http://prometheus:{prom_port}"
    provider = _yaml(GRAFANA / "provisioning" / "dashboards" / "fraudforge.yml")["providers"][0]
    assert graf["./deploy/grafana/dashboards"] == provider["options"]["path"]
    assert graf["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    panels = json.loads(DASHBOARD.read_text())["panels"]
    for panel in panels:
        assert panel["datasource"]["uid"] == ds["uid"]
        assert all(t["datasource"]["uid"] == ds["uid"] for t in panel["targets"])
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))


PROMETHEUS_BIN = shutil.which("prometheus")


def _promql(base: str, expr: str) -> list[dict[str, Any]]:
    """The instant-query result of ``expr`` (Grafana's ``$__rate_interval`` read as 30 s)."""
    answer = httpx.get(
        base + "/api/v1/query", params={"query": expr.replace("$__rate_interval", "30s")}
    ).json()
    assert answer["status"] == "success", (expr, answer)
    result: list[dict[str, Any]] = answer["data"]["result"]
    return result


@pytest.mark.skipif(
    PROMETHEUS_BIN is None, reason="prometheus is not installed (apt-get install prometheus)"
)
def test_prometheus_evaluates_every_dashboard_query(deployment: Deployment, tmp_path: Path) -> None:
    """A real Prometheus, configured from deploy/prometheus/prometheus.yml with the target moved
    to a live server on 127.0.0.1, scrapes it while it scores; every dashboard query then
    evaluates, each returns series (the 5xx panel may be empty: no request failed), and the
    model panel shows the served version."""
    from fraudforge.service.server import free_port

    app = create_app(deployment.settings(tmp_path / "state.npz"))
    key = {"x-api-key": deployment.admin_key}
    with live_server(app) as base:
        config = _yaml(PROMETHEUS)
        config["global"]["scrape_interval"] = "1s"
        job = config["scrape_configs"][0]
        job["static_configs"][0]["targets"] = [base.removeprefix("http://")]
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        port = free_port()
        prom = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen(
            [
                str(PROMETHEUS_BIN),
                f"--config.file={tmp_path / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            # a snapshot, so that the snapshot-age panel has a last success to count from
            assert httpx.post(base + "/v1/admin/snapshot", headers=key).status_code == 200
            rest = iter(deployment.rest)
            deadline = time.monotonic() + 60
            scrapes = 0
            while scrapes < 5:  # score between scrapes, so every rate has two samples
                assert time.monotonic() < deadline, "prometheus did not scrape the service"
                for _ in range(5):
                    txn = next(rest)
                    assert httpx.post(base + "/v1/score", json=txn, headers=key).status_code == 200
                batch = {"transactions": [next(rest), next(rest)]}
                assert httpx.post(base + "/v1/score/batch", json=batch, headers=key).is_success
                time.sleep(0.5)
                try:
                    up = _promql(prom, f'count_over_time(up{{job="{job["job_name"]}"}}[1m])')
                except httpx.TransportError:
                    continue  # not listening yet
                scrapes = int(float(up[0]["value"][1])) if up else 0
            assert _promql(prom, "up")[0]["value"][1] == "1"
            for expr in _queries():
                result = _promql(prom, expr)
                if 'status=~"5.."' not in expr:
                    assert result, f"no series for the dashboard query {expr}"
            versions = _promql(prom, "max by (version) (fraudforge_model_info)")
            served = httpx.get(base + "/v1/model", headers=key).json()["version"]
            assert [v["metric"]["version"] for v in versions] == [str(served)]
        finally:
            proc.terminate()
            proc.wait(30)
