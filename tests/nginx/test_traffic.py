"""Traffic annotations (timeouts, retries, backend, CORS, mirror, affinity, load balancing): value edge
cases from ``traffic_values.yaml`` and the explicit default timeouts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from ingress2gw.gwapi import Target
from ingress2gw.pipeline import Options, run

HERE = Path(__file__).parent
PREFIX = "nginx.ingress.kubernetes.io/"
ROWS = YAML(typ="safe", pure=True).load((HERE / "traffic_values.yaml").read_text())


def convert(tmp_path: Path, annotations: dict, *, channel: str = "standard", version: str = "1.6",
            extra: str = ""):
    ing = {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "app", "namespace": "shop",
                     "annotations": {PREFIX + k: str(v) for k, v in annotations.items()}},
        "spec": {"ingressClassName": "nginx", "rules": [{"host": "shop.example.com", "http": {"paths": [
            {"path": "/", "pathType": "Prefix",
             "backend": {"service": {"name": "app", "port": {"number": 80}}}}]}}]},
    }
    src = tmp_path / "in.yaml"
    src.write_text(json.dumps(ing) + ("\n---\n" + extra if extra else ""))
    return run(Options(paths=[str(src)], target=Target(version=version, channel=channel)))


def codes_by_key(result) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in result.report.findings:
        if f.annotation.startswith(PREFIX):
            out.setdefault(f.annotation[len(PREFIX):], set()).add(f.code.value)
    return out


@pytest.mark.parametrize("row", ROWS, ids=lambda r: ",".join(f"{k}={v}" for k, v in r["annotations"].items()))
def test_value_edge_cases(row, tmp_path):
    result = convert(tmp_path, row["annotations"], channel=row.get("channel", "standard"),
                     version=row.get("version", "1.6"))
    got = codes_by_key(result)
    for key, want in row["expect"].items():
        assert got.get(key, set()) == set(want), f"{key}: {got.get(key)}"


def _rules(result):
    return [r for o in result.objects if o["kind"] == "HTTPRoute" for r in o["spec"]["rules"]]


def test_every_rule_gets_explicit_timeouts(tmp_path):
    rules = _rules(convert(tmp_path, {}))
    assert rules and all(r["timeouts"] == {"request": "0s", "backendRequest": "60s"} for r in rules)


def test_configmap_read_timeout_is_the_default(tmp_path):
    cm = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ingress-nginx-controller, namespace: ingress-nginx}\n"
          "data: {proxy-read-timeout: \"90\"}\n")
    rules = _rules(convert(tmp_path, {}, extra=cm))
    assert all(r["timeouts"]["backendRequest"] == "90s" for r in rules)


def test_read_timeout_annotation_wins_and_long_values_stay_valid(tmp_path):
    rules = _rules(convert(tmp_path, {"proxy-read-timeout": "200000"}))
    assert rules[0]["timeouts"] == {"request": "0s", "backendRequest": "55h33m20s"}


def test_cors_defaults_are_explicit(tmp_path):
    rules = _rules(convert(tmp_path, {"enable-cors": "true"}))
    cors = rules[0]["filters"][0]["cors"]
    assert cors["allowOrigins"] == ["*"] and cors["allowCredentials"] is True and cors["maxAge"] == 1728000
    assert "Authorization" in cors["allowHeaders"] and cors["allowMethods"][0] == "GET"


def test_retry_attempts_are_tries_minus_one(tmp_path):
    rules = _rules(convert(tmp_path, {"proxy-next-upstream": "error http_502", "proxy-next-upstream-tries": "4"},
                           channel="experimental"))
    assert rules[0]["retry"] == {"attempts": 3, "codes": [502]}
