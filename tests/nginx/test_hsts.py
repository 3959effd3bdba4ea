"""The controller's HSTS header (ConfigMap hsts, hsts-max-age, hsts-include-subdomains, hsts-preload): set on the
HTTPS rules of hosts with a certificate, never on plain HTTP; left out, with a finding per host, under
``--controller-defaults report``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ingress2gw.emitters.render import render_rule_intents
from ingress2gw.gwapi import Target
from ingress2gw.model.ir import HeaderModifier, Origin
from ingress2gw.pipeline import Options, run
from ingress2gw.source.location import Location

STS = "Strict-Transport-Security"


def _ingress(name: str, host: str, *, tls: bool = True, annotations: dict | None = None, created: str = "2024-01-01",
             namespace: str = "shop", paths: tuple[str, ...] = ("/",)) -> str:
    anns = "".join(f"\n    nginx.ingress.kubernetes.io/{k}: {v!r}" for k, v in (annotations or {}).items()) or " {}"
    tls_block = f"\n  tls:\n  - hosts: [{host}]\n    secretName: {name}-tls" if tls else ""
    rules = "".join(f"""
      - path: {p}
        pathType: Prefix
        backend: {{service: {{name: {name}, port: {{number: 80}}}}}}""" for p in paths)
    return f"""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: {namespace}
  creationTimestamp: "{created}T00:00:00Z"
  annotations:{anns}
spec:
  ingressClassName: nginx{tls_block}
  rules:
  - host: {host}
    http:
      paths:{rules}
---"""


CONFIGMAP = """
apiVersion: v1
kind: ConfigMap
metadata: {{name: ingress-nginx-controller, namespace: ingress-nginx}}
data: {data}
---"""


def _run(tmp_path: Path, text: str, *, emitter: str = "standard", **provider_options):
    src = tmp_path / "in.yaml"
    src.write_text(textwrap.dedent(text))
    result = run(Options(paths=[str(src)], emitter=emitter, provider_options=provider_options))
    routes = {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in result.objects
              if o["kind"] in ("HTTPRoute", "GRPCRoute")}
    return result, routes


def _sts(route: dict) -> list[str | None]:
    """The Strict-Transport-Security value each rule of a route sets (None: none)."""
    out = []
    for rule in route["spec"]["rules"]:
        value = None
        for f in rule.get("filters", []):
            for h in (f.get("responseHeaderModifier") or {}).get("set", []):
                if h["name"] == STS:
                    value = h["value"]
        out.append(value)
    return out


def _hsts_findings(result):
    return [f for f in result.report.findings if f.annotation.startswith("hsts")]


def test_default_header_on_https_rules_only(tmp_path):
    result, routes = _run(tmp_path, _ingress("web", "web.example.com", paths=("/", "/api"))
                          + _ingress("plain", "plain.example.com", tls=False))
    assert _sts(routes[("shop", "web-example-com")]) == ["max-age=31536000; includeSubDomains"]  # / and /api
    assert _sts(routes[("shop", "web-example-com--http")]) == [None]  # the 308 redirect rule
    assert _sts(routes[("shop", "plain-example-com")]) == [None]
    [f] = _hsts_findings(result)
    assert f.code.value == "annotation.translated" and f.obj.name == "web" and f.location.line == 12
    assert "web.example.com" in f.message and "hsts defaults" in f.message


def test_a_tls_host_served_on_plain_http_gets_separate_routes(tmp_path):
    """ssl-redirect "false": the rules serve both listeners, but only their HTTPS copy carries the header."""
    _, routes = _run(tmp_path, _ingress("web", "web.example.com", annotations={"ssl-redirect": "false"}))
    https, http = routes[("shop", "web-example-com")], routes[("shop", "web-example-com--http")]
    assert [p["sectionName"] for p in https["spec"]["parentRefs"]] == ["https-web-example-com"]
    assert [p["sectionName"] for p in http["spec"]["parentRefs"]] == ["http-web-example-com"]
    assert _sts(https) == ["max-age=31536000; includeSubDomains"]
    assert _sts(http) == [None] and http["spec"]["rules"][0]["backendRefs"]


def test_configmap_values_and_origin(tmp_path):
    cm = CONFIGMAP.format(data='{hsts-max-age: "600", hsts-include-subdomains: "false", hsts-preload: "true"}')
    result, routes = _run(tmp_path, cm + _ingress("web", "web.example.com") + _ingress("api", "api.example.com"))
    assert _sts(routes[("shop", "web-example-com")]) == ["max-age=600; preload"]
    assert _sts(routes[("shop", "api-example-com")]) == ["max-age=600; preload"]
    [f] = _hsts_findings(result)  # one finding for the ConfigMap, naming both hosts
    assert (f.obj.kind, f.obj.name, f.annotation, f.location.line) == (
        "ConfigMap", "ingress-nginx-controller", "hsts-max-age", 5)
    assert "api.example.com" in f.message and "web.example.com" in f.message


def test_hsts_false_writes_nothing(tmp_path):
    result, routes = _run(tmp_path, CONFIGMAP.format(data='{hsts: "false"}') + _ingress("web", "web.example.com"))
    assert _sts(routes[("shop", "web-example-com")]) == [None]
    assert not _hsts_findings(result)


def test_redirects_outside_a_location_get_no_header(tmp_path):
    """app-root and from-to-www-redirect answer at server level in nginx (no header filter there); a location's own
    return (permanent-redirect) does get the header."""
    text = (_ingress("web", "web.example.com", annotations={"app-root": "/app"})
            + _ingress("moved", "web.example.com", tls=False, paths=("/old",), created="2024-02-01",
                       annotations={"permanent-redirect": "https://web.example.com/new"})
            + _ingress("bare", "example.com", annotations={"from-to-www-redirect": "true"}))
    _, routes = _run(tmp_path, text)
    https = routes[("shop", "web-example-com")]
    by_match = {(m["path"]["type"], m["path"]["value"]): v
                for r, v in zip(https["spec"]["rules"], _sts(https)) for m in r["matches"]}
    default = "max-age=31536000; includeSubDomains"
    assert by_match == {("Exact", "/"): None, ("PathPrefix", "/old"): default, ("PathPrefix", "/"): default}
    assert _sts(routes[("shop", "www-example-com")]) == [None]


def test_custom_headers_setting_the_header_wins(tmp_path):
    text = ("""
apiVersion: v1
kind: ConfigMap
metadata: {name: hdrs, namespace: shop}
data: {Strict-Transport-Security: "max-age=5", X-Frame-Options: DENY}
---""" + _ingress("web", "web.example.com", annotations={"custom-headers": "shop/hdrs"}))
    _, routes = _run(tmp_path, text)
    assert _sts(routes[("shop", "web-example-com")]) == ["max-age=5"]


def test_sixteen_response_headers_leave_no_room(tmp_path):
    data = "{" + ", ".join(f"X-H{i:02d}: v" for i in range(16)) + "}"
    text = (f"""
apiVersion: v1
kind: ConfigMap
metadata: {{name: hdrs, namespace: shop}}
data: {data}
---""" + _ingress("web", "web.example.com", annotations={"custom-headers": "shop/hdrs"}))
    result, routes = _run(tmp_path, text)
    rule = routes[("shop", "web-example-com")]["spec"]["rules"][0]
    [mod] = [f["responseHeaderModifier"] for f in rule["filters"] if f["type"] == "ResponseHeaderModifier"]
    assert len(mod["set"]) == 16 and STS not in [h["name"] for h in mod["set"]]
    [f] = _hsts_findings(result)
    assert f.code.value == "annotation.unsupported" and "16" in f.message


def test_render_leaves_nothing_of_a_refused_modifier():
    o = Origin(namespace="a", name="b", location=Location("in.yaml", 1, 1))
    full = HeaderModifier(direction="response", set=tuple((f"X-{i}", "v") for i in range(16)), origin=o)
    extra = HeaderModifier(direction="response", set=((STS, "max-age=1"),), origin=o)
    out = render_rule_intents([full, extra], Target(), "PathPrefix")
    assert [i for i, _ in out.left] == [extra]
    assert len(out.filters[0]["responseHeaderModifier"]["set"]) == 16


def test_report_mode_leaves_it_out_once_per_host(tmp_path):
    text = (_ingress("web", "web.example.com")
            + _ingress("web-api", "web.example.com", paths=("/api",), created="2024-02-01")
            + _ingress("plain", "plain.example.com", tls=False))
    result, routes = _run(tmp_path, text, controller_defaults="report")
    assert all(v is None for r in routes.values() for v in _sts(r))
    found = _hsts_findings(result)
    assert [(f.code.value, f.obj.name) for f in found] == [("controller-default.lossy", "web")]
    assert "web.example.com" in found[0].message and "not written" in found[0].message


@pytest.mark.parametrize("emitter", ["kgateway", "envoy-gateway", "nginx-gateway-fabric", "istio", "traefik"])
def test_every_emitter_keeps_the_header_on_https_only(tmp_path, emitter):
    result, routes = _run(tmp_path, _ingress("web", "web.example.com", annotations={"ssl-redirect": "false"}),
                          emitter=emitter)
    # (implementation emitters may name routes after their policies: found by listener)
    by_listener = {p["sectionName"]: r for r in routes.values() for p in r["spec"]["parentRefs"]}
    assert len(by_listener) == 2 and by_listener["https-web-example-com"] is not by_listener["http-web-example-com"]
    assert _sts(by_listener["https-web-example-com"]) == ["max-age=31536000; includeSubDomains"]
    assert _sts(by_listener["http-web-example-com"]) == [None]
    [f] = _hsts_findings(result)
    assert f.code.value == "annotation.translated"


@pytest.mark.parametrize("paths, code", [(("/",), "annotation.translated"), (("/api",), "annotation.lossy")])
def test_paths_no_rule_matches_make_it_lossy(tmp_path, paths, code):
    """The controller's 404 for a path no location matches carried the header (root location); the Gateway's own
    404 does not: only a host whose rules match every path keeps every response as it was."""
    result, _ = _run(tmp_path, _ingress("web", "web.example.com", paths=paths))
    (f,) = [f for f in result.report.findings if f.annotation == "hsts"]
    assert f.code.value == code, f.message
    assert ("own 404" in f.message) == (code == "annotation.lossy")


def test_a_root_that_redirects_is_no_404(tmp_path):
    """The oldest Ingress of the host has permanent-redirect and no default backend: the host's root location
    redirects every path no rule matches (a catch-all RequestRedirect rule, with the header over HTTPS), so no
    finding may say those paths get the Gateway's own 404; a host whose root is the controller's 404 keeps it."""
    text = (_ingress("moved", "moved.example.com", paths=("/a",),
                     annotations={"permanent-redirect": "https://new.example.com/"})
            + _ingress("plain", "plain.example.com", paths=("/a",)))
    result, routes = _run(tmp_path, text)
    texts = [f.message for f in result.report.findings if "Gateway's own 404" in f.message]
    assert texts and all("plain.example.com" in t and "moved.example.com" not in t for t in texts)
    https = routes[("shop", "moved-example-com")]
    catch_all = [r for r in https["spec"]["rules"] if any(m["path"]["value"] == "/" for m in r["matches"])]
    assert catch_all and all(STS in [h["name"] for f in r["filters"] if f["type"] == "ResponseHeaderModifier"
                                     for h in f["responseHeaderModifier"]["set"]] for r in catch_all)
