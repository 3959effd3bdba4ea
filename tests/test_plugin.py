"""The plugin API: first-party providers are found through entry points, and a third-party provider
written against ``ingress2gw.plugin`` alone runs through the whole pipeline."""

from __future__ import annotations

import ast
from pathlib import Path

from ingress2gw.pipeline import Options, run
from ingress2gw.plugin import AnnotationRegistry, IngressProvider, Status, Timeouts, load_providers

REPO = Path(__file__).resolve().parents[1]


def test_first_party_providers_are_entry_points():
    found = load_providers()
    assert {"ingress-nginx", "traefik"} <= set(found)
    assert found["ingress-nginx"].controllers == ("k8s.io/ingress-nginx",)


def test_first_party_providers_import_only_the_public_plugin_api():
    allowed = {"ingress2gw.plugin"}
    for path in (REPO / "providers").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ingress2gw."):
                assert node.module in allowed, f"{path}: imports {node.module}"


REGISTRY = AnnotationRegistry("haproxy", "haproxy.org/")


def parse_duration(value, report):
    text = value.text.strip()
    if not (text[:-1].isdigit() and text[-1:] in ("s", "m", "h")):
        value.invalid(report, f"expected a duration such as 30s, got {value.text!r}")
        return None
    return text


@REGISTRY.annotation("timeout-server", area="timeouts", status=Status.LOSSY,
                     maps_to="HTTPRoute rules[].timeouts.backendRequest", parse=parse_duration)
def timeout_server(duration, value, draft, ctx, report):
    for rule in draft.rules:
        rule.add(Timeouts(backend_request=duration, origin=value.origin, caveat="inactivity vs total"))


REGISTRY.declare("maxconn", area="limits", status=Status.UNSUPPORTED, reason="No Gateway API field.")


class HAProxy(IngressProvider):
    name = "haproxy"
    controllers = ("haproxy.org/ingress-controller",)
    class_names = ("haproxy",)
    registry = REGISTRY


def test_a_third_party_provider_runs_through_the_pipeline(tmp_path: Path):
    src = tmp_path / "in.yaml"
    src.write_text("""\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    haproxy.org/timeout-server: 30s
    haproxy.org/maxconn: "100"
    haproxy.org/made-up: "1"
spec:
  ingressClassName: haproxy
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
""")
    result = run(Options(paths=[str(src)]), providers={"haproxy": HAProxy(), **load_providers()})
    route = next(o for o in result.objects if o["kind"] == "HTTPRoute")
    assert route["spec"]["rules"][0]["timeouts"] == {"backendRequest": "30s"}
    by_key = {f.annotation: f for f in result.report.findings if f.annotation}
    assert by_key["haproxy.org/timeout-server"].code.value == "annotation.lossy"
    assert by_key["haproxy.org/timeout-server"].location.line == 7
    assert by_key["haproxy.org/maxconn"].code.value == "annotation.unsupported"
    assert by_key["haproxy.org/made-up"].code.value == "annotation.unknown"


INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: shop
  annotations:
    haproxy.org/timeout-server: "{timeout}"
spec:
  ingressClassName: haproxy
  rules:
  - host: {name}.example.com
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}
"""


def test_a_parse_function_reads_the_value_before_the_handler(tmp_path: Path):
    src = tmp_path / "in.yaml"
    src.write_text(INGRESS.format(name="web", timeout=" 45s ") + "---\n" + INGRESS.format(name="bad", timeout="soon"))
    result = run(Options(paths=[str(src)]), providers={"haproxy": HAProxy(), **load_providers()})
    routes = {o["metadata"]["name"]: o for o in result.objects if o["kind"] == "HTTPRoute"}
    good = next(r for n, r in routes.items() if "web" in n)
    assert good["spec"]["rules"][0]["timeouts"] == {"backendRequest": "45s"}  # the parsed value, stripped
    bad = next(r for n, r in routes.items() if "bad" in n)
    assert "timeouts" not in bad["spec"]["rules"][0]  # the handler never ran
    finding = next(f for f in result.report.findings if f.obj and f.obj.name == "bad" and f.annotation)
    assert finding.code.value == "annotation.invalid-value" and "soon" in finding.message


def test_annotations_of_an_ingress_whose_every_path_was_refused_claim_no_translation(tmp_path: Path):
    # Issue 11: an Ingress the tool refused (here: its only host is not a DNS name) reported its annotations as
    # translated / unsupported although nothing of it was emitted.
    src = tmp_path / "in.yaml"
    src.write_text("""\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    haproxy.org/timeout-server: 30s
    haproxy.org/maxconn: "100"
    haproxy.org/made-up: "1"
spec:
  ingressClassName: haproxy
  rules:
  - host: Not_A_Host
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
""")
    result = run(Options(paths=[str(src)]), providers={"haproxy": HAProxy(), **load_providers()})
    assert not [o for o in result.objects if o["kind"] == "HTTPRoute"]
    by_key = {f.annotation: f for f in result.report.findings if f.annotation}
    for key in ("haproxy.org/timeout-server", "haproxy.org/maxconn"):
        assert by_key[key].code.value == "annotation.ignored", key
        assert "no path of this Ingress could be converted" in by_key[key].message
        assert str(by_key[key].obj) == "Ingress shop/web"
    assert by_key["haproxy.org/made-up"].code.value == "annotation.unknown", "an unknown key stays unknown"


def test_providers_name_their_verify_simulator():
    found = load_providers()
    assert found["ingress-nginx"].simulator and found["traefik"].simulator
    assert HAProxy().source_simulator([], None, {}) is None  # no simulator: verify says so and goes on
