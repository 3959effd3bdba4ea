"""Redirect family of the ingress-nginx provider (issue 4). Value edge cases: ``redirect_values.yaml``."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from ingress2gw.model.ir import RequestRedirect

from .conftest import codes_for, ingress

ROWS = YAML(typ="safe", pure=True).load((Path(__file__).parent / "redirect_values.yaml").read_text())


def _redirects(rule) -> list[RequestRedirect]:
    return [i for i in rule.intents if isinstance(i, RequestRedirect)]


@pytest.mark.parametrize("row", ROWS, ids=[r["name"] for r in ROWS])
def test_redirect_values(row, nginx):
    report, drafts, _ = nginx(ingress(row["annotations"]))
    for key, want in (row.get("codes") or {}).items():
        assert codes_for(report, "/" + key) == want, f"{key}: {[f.message for f in report.findings]}"
    rules = [r for r in drafts[0].rules if not r.origin.annotation]
    if row["redirect"] is None:
        assert not any(_redirects(r) for r in rules)
        return
    for rule in rules:  # every path of the Ingress redirects
        (got,) = _redirects(rule)
        for field, want in row["redirect"].items():
            assert getattr(got, field) == want, f"{field}: {got}"


ROOT = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations: {nginx.ingress.kubernetes.io/app-root: /app, %s}
spec:
  ingressClassName: nginx
  rules:
  - host: web.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
"""


def test_app_root_redirects_only_slash_and_keeps_flags(nginx):
    report, drafts, _ = nginx(ROOT % "nginx.ingress.kubernetes.io/force-ssl-redirect: 'true'")
    rules = drafts[0].rules
    added = [r for r in rules if r.origin.annotation.endswith("/app-root")]
    assert len(added) == 1
    (root,) = added
    assert (root.match.path.type, root.match.path.value) == ("Exact", "/")
    (redirect,) = _redirects(root)
    assert (redirect.replace_full_path, redirect.status_code, redirect.scheme, redirect.hostname) == (
        "/app", 302, None, None)
    assert rules[0] is root, "the redirect goes ahead of an Exact / of the same Ingress"
    assert root.force_ssl_redirect, "force-ssl-redirect (read after app-root) covers the added rule too"
    assert all(not _redirects(r) for r in rules if r is not root)


def test_force_ssl_redirect_sets_the_rule_flag(nginx):
    report, drafts, _ = nginx(ingress({"force-ssl-redirect": "true"}))
    assert all(r.force_ssl_redirect for r in drafts[0].rules)
    assert codes_for(report, "/force-ssl-redirect") == ["annotation.translated"]


def test_ssl_redirect_kept_its_behaviour(nginx):
    report, drafts, _ = nginx(ingress({"ssl-redirect": "false"}, tls=True))
    assert drafts[0].ssl_redirect is False and not any(r.ssl_redirect for r in drafts[0].rules)


def test_one_parse_bool_for_every_family():
    from ingress2gw_nginx.annotations import _read, cors
    from ingress2gw_nginx.values import parse_bool

    assert _read.parse_bool is parse_bool and cors.parse_bool is parse_bool


def test_ssl_passthrough_uses_the_root_backend(nginx):
    report, drafts, _ = nginx(ROOT.replace("nginx.ingress.kubernetes.io/app-root: /app, %s",
                                           "nginx.ingress.kubernetes.io/ssl-passthrough: 'true'"))
    (host, backend), = drafts[0].passthrough
    assert (host, backend.name) == ("web.example.com", "web")
    assert not any(r.serve_https for r in drafts[0].rules)


def test_ssl_passthrough_without_root_path_is_ignored(nginx):
    report, drafts, _ = nginx(ingress({"ssl-passthrough": "true"}))
    assert drafts[0].passthrough == []
    assert codes_for(report, "/ssl-passthrough") == ["annotation.ignored"]


def test_from_to_www_adds_counterpart_with_certificate(nginx):
    report, drafts, _ = nginx(ingress({"from-to-www-redirect": "true"}, tls=True))
    added = [r for r in drafts[0].rules if r.origin.annotation.endswith("/from-to-www-redirect")]
    (rule,) = added
    assert rule.host == "www.web.example.com" and rule.backends == []
    (redirect,) = _redirects(rule)
    assert (redirect.hostname, redirect.status_code) == ("web.example.com", 308)
    assert any(c.host == "www.web.example.com" and c.secret == "web-tls" for c in drafts[0].tls)
