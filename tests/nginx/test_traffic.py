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
            extra: str = "", emitter: str = "standard", paths: tuple[str, ...] = ("/",), **options):
    ing = {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "app", "namespace": "shop",
                     "annotations": {PREFIX + k: str(v) for k, v in annotations.items()}},
        "spec": {"ingressClassName": "nginx", "rules": [{"host": "shop.example.com", "http": {"paths": [
            {"path": p, "pathType": "Prefix",
             "backend": {"service": {"name": "app", "port": {"number": 80}}}} for p in paths]}}]},
    }
    src = tmp_path / "in.yaml"
    src.write_text(json.dumps(ing) + ("\n---\n" + extra if extra else ""))
    return run(Options(paths=[str(src)], target=Target(version=version, channel=channel), emitter=emitter,
                       provider_options=options))


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


def _defaults(result) -> list:
    return [f for f in result.report.findings if f.code.value == "controller-default.lossy"]


def _policies(result, kind: str) -> list[dict]:
    return [o["spec"] for o in result.objects if o["kind"] == kind]


def test_every_rule_has_no_total_bound_and_the_idle_time_is_said_once_per_ingress(tmp_path):
    # nginx times the silence of the backend (60s), never the whole response: Gateway API has no idle timeout, and
    # a backendRequest bound would cut every longer stream, so the rules only lift the implementation's total bound.
    result = convert(tmp_path, {}, paths=("/", "/api", "/events"))
    rules = _rules(result)
    assert rules and all(r["timeouts"] == {"request": "0s"} for r in rules)
    (finding,) = _defaults(result)  # one per Ingress, not one per rule
    assert finding.obj.name == "app" and finding.severity.value == "warning"
    assert finding.message.startswith("proxy-read-timeout 60s (the controller's value")
    assert "nothing ends a response whose backend stays silent for 60s" in finding.message


def test_read_timeout_is_the_stream_idle_timeout_where_the_implementation_has_one(tmp_path):
    kg = convert(tmp_path, {}, emitter="kgateway")
    assert _policies(kg, "TrafficPolicy")[0]["timeouts"] == {"streamIdle": "60s"} and not _defaults(kg)
    assert all(r["timeouts"] == {"request": "0s"} for r in _rules(kg))  # Envoy's 15s route timeout lifted
    eg = convert(tmp_path, {}, emitter="envoy-gateway")
    assert _policies(eg, "BackendTrafficPolicy")[0]["timeout"] == {"http": {"streamIdleTimeout": "1m"}}
    assert not _defaults(eg)
    ngf = convert(tmp_path, {}, emitter="nginx-gateway-fabric")  # NGINX's own 60s: nothing to write
    assert not _policies(ngf, "ProxySettingsPolicy") and not _defaults(ngf)
    assert all("timeouts" not in r for r in _rules(ngf))


def test_configmap_read_timeout_is_the_default(tmp_path):
    cm = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ingress-nginx-controller, namespace: ingress-nginx}\n"
          "data: {proxy-read-timeout: \"90\"}\n")
    (finding,) = _defaults(convert(tmp_path, {}, extra=cm))
    assert finding.message.startswith("proxy-read-timeout 90s")
    kg = convert(tmp_path, {}, extra=cm, emitter="kgateway")
    assert _policies(kg, "TrafficPolicy")[0]["timeouts"] == {"streamIdle": "90s"}
    ngf = convert(tmp_path, {}, extra=cm, emitter="nginx-gateway-fabric")
    assert _policies(ngf, "ProxySettingsPolicy")[0]["timeout"] == {"read": "90s"}


def test_read_timeout_annotation_wins_and_long_values_stay_valid(tmp_path):
    result = convert(tmp_path, {"proxy-read-timeout": "200000"})
    assert _rules(result)[0]["timeouts"] == {"request": "0s"} and not _defaults(result)
    kg = convert(tmp_path, {"proxy-read-timeout": "200000"}, emitter="kgateway")
    assert _policies(kg, "TrafficPolicy")[0]["timeouts"] == {"streamIdle": "55h33m20s"}


def test_controller_defaults_report_writes_no_timeout_and_says_what_changes(tmp_path):
    result = convert(tmp_path, {}, paths=("/", "/api"), controller_defaults="report")
    assert all("timeouts" not in r for r in _rules(result))
    (finding,) = _defaults(result)
    assert "not written" in finding.message and "15s" in finding.message
    kg = convert(tmp_path, {}, emitter="kgateway", controller_defaults="report")
    assert not _policies(kg, "TrafficPolicy") and all("timeouts" not in r for r in _rules(kg))
    (finding,) = _defaults(kg)
    assert "route timeout of 15s ends every response that takes longer" in finding.message
    # NGF's NGINX keeps 60s between two reads, as the controller did: nothing changes, nothing to say.
    ngf = convert(tmp_path, {}, emitter="nginx-gateway-fabric", controller_defaults="report")
    assert not _defaults(ngf)
    # An annotation is not a default: it is written whatever the option says.
    kg = convert(tmp_path, {"proxy-read-timeout": "300"}, emitter="kgateway", controller_defaults="report")
    assert _policies(kg, "TrafficPolicy")[0]["timeouts"] == {"streamIdle": "300s"} and not _defaults(kg)


def test_cors_defaults_are_explicit(tmp_path):
    rules = _rules(convert(tmp_path, {"enable-cors": "true"}))
    cors = rules[0]["filters"][0]["cors"]
    assert cors["allowOrigins"] == ["*"] and cors["allowCredentials"] is True and cors["maxAge"] == 1728000
    assert "Authorization" in cors["allowHeaders"] and cors["allowMethods"][0] == "GET"


def test_retry_attempts_are_tries_minus_one(tmp_path):
    rules = _rules(convert(tmp_path, {"proxy-next-upstream": "error http_502", "proxy-next-upstream-tries": "4"},
                           channel="experimental"))
    assert rules[0]["retry"] == {"attempts": 3, "codes": [502]}


@pytest.mark.parametrize("emitter,field", [("kgateway", "attempts"), ("envoy-gateway", "numRetries")])
def test_tries_are_the_retries_plus_one_on_every_emitter(tmp_path, emitter, field):
    kind = "TrafficPolicy" if emitter == "kgateway" else "BackendTrafficPolicy"
    for tries in (2, 5, 11):
        result = convert(tmp_path, {"proxy-next-upstream": "error timeout http_503",
                                    "proxy-next-upstream-tries": str(tries)}, emitter=emitter)
        (spec,) = [p for p in _policies(result, kind) if "retry" in p]
        assert spec["retry"][field] == tries - 1, (emitter, tries)


def test_tries_alone_retry_on_the_configmap_conditions(tmp_path):
    cm = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ingress-nginx-controller, namespace: ingress-nginx}\n"
          "data: {proxy-next-upstream: \"error timeout http_502\"}\n")
    result = convert(tmp_path, {"proxy-next-upstream-tries": "4"}, channel="experimental", extra=cm)
    assert _rules(result)[0]["retry"] == {"attempts": 3, "codes": [502]}
    (f,) = [f for f in result.report.findings if f.annotation.endswith("proxy-next-upstream-tries")]
    assert f.code.value == "annotation.lossy" and "nginx never retried POST" in f.message


def test_zero_tries_is_no_limit_and_the_written_number_is_said(tmp_path):
    result = convert(tmp_path, {"proxy-next-upstream": "error timeout", "proxy-next-upstream-tries": "0"},
                     channel="experimental")
    assert _rules(result)[0]["retry"] == {"attempts": 2}
    (f,) = [f for f in result.report.findings if f.annotation.endswith("proxy-next-upstream-tries")]
    assert f.code.value == "annotation.lossy"
    assert "no limit" in f.message and "2 retries (3 tries) were written" in f.message
    # With the ConfigMap allowing more tries, no fewer are written than the ConfigMap's.
    cm = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ingress-nginx-controller, namespace: ingress-nginx}\n"
          "data: {proxy-next-upstream-tries: \"6\"}\n")
    result = convert(tmp_path, {"proxy-next-upstream-tries": "0"}, channel="experimental", extra=cm)
    assert _rules(result)[0]["retry"] == {"attempts": 5}


def test_one_try_means_no_retry_and_both_keys_say_so(tmp_path):
    result = convert(tmp_path, {"proxy-next-upstream": "error http_502", "proxy-next-upstream-tries": "1"},
                     channel="experimental")
    assert "retry" not in _rules(result)[0]
    got = codes_by_key(result)
    assert got["proxy-next-upstream"] == got["proxy-next-upstream-tries"] == {"annotation.translated"}
