"""Keys on a Traefik Ingress that Traefik never read still get a finding (issue 11)."""

from __future__ import annotations

import textwrap

import pytest

_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations: {%s: %s}
spec:
  ingressClassName: traefik
  rules:
  - host: web.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""


def _finding(tmp_path, key: str, value: str = "x"):
    from ingress2gw.plugin import Context, Report
    from ingress2gw.source.loader import load_paths
    from ingress2gw.source.objects import build_inventory
    from ingress2gw_traefik import Traefik

    src = tmp_path / "in.yaml"
    src.write_text(textwrap.dedent(_INGRESS % (key, value)))
    report = Report()
    inventory = build_inventory(load_paths([str(src)]).documents, report)
    provider, ctx = Traefik(), Context(inventory=inventory)
    provider.configure(ctx, report)
    provider.translate(inventory.ingresses[0], ctx, report, "traefik", "traefik")
    (finding,) = [f for f in report.findings if f.annotation == key]
    return finding


@pytest.mark.parametrize("key, says", [
    ("traefik.frontend.rule.type", "Traefik v1 label spelling of rule-type"),
    ("traefik.backend.loadbalancer.sticky", "Traefik v1 label spelling of affinity"),
    ("traefik.frontend.whitelistSourceRange", "A Traefik v1 label key"),
    ("ingress.kubernetes.io/not-a-v1-key", "Not a Traefik v1 annotation"),
    ("ingress.kubernetes.io/frame-deny", "Traefik v1 annotation, ignored by Traefik v2"),
    ("nginx.ingress.kubernetes.io/rewrite-target", "An ingress-nginx annotation on an Ingress that Traefik serves"),
])
def test_v1_and_foreign_keys_are_reported_as_ignored(tmp_path, key, says):
    finding = _finding(tmp_path, key)
    assert finding.code.value == "annotation.ignored" and says in finding.message
    assert str(finding.obj) == "Ingress shop/web"


def test_allow_http_false_says_plain_http_stayed_open(tmp_path):
    finding = _finding(tmp_path, "kubernetes.io/ingress.allow-http", '"false"')
    assert finding.code.value == "annotation.ignored"
    assert '"false" did not close plain HTTP' in finding.message and "router.entrypoints" in finding.message
