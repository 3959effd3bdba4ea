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


def test_app_root_is_host_wide_even_without_a_root_path(nginx, tmp_path):
    """nginx.tmpl renders app-root as a server-level ``if ($uri = /)``: it answers / on the host although no
    path of the Ingress serves / (checked against real NGINX: the controller answers 302, not 404)."""
    from ingress2gw.pipeline import Options
    from ingress2gw.verify.command import verify

    text = ingress({"app-root": "/dashboard"})
    report, drafts, _ = nginx(text)
    (root,) = [r for r in drafts[0].rules if r.origin.annotation.endswith("/app-root")]
    assert (root.host, root.match.path.type, root.match.path.value) == ("web.example.com", "Exact", "/")
    assert _redirects(root)[0].replace_full_path == "/dashboard"
    assert not [f for f in report.findings if f.annotation.endswith("/app-root")]  # its verdict is the emitter's
    (tmp_path / "in.yaml").write_text(text)
    result = verify(Options(paths=[str(tmp_path / "in.yaml")]))
    assert not result.differences, [d.to_dict() for d in result.differences]


def test_force_ssl_redirect_sets_the_rule_flag(nginx):
    report, drafts, _ = nginx(ingress({"force-ssl-redirect": "true"}))
    assert all(r.force_ssl_redirect for r in drafts[0].rules) and drafts[0].force_ssl_redirect
    assert codes_for(report, "/force-ssl-redirect") == [], "reported once every Ingress's certificates are known"


@pytest.mark.parametrize("tls, want", [(True, "annotation.translated"), (False, "annotation.lossy")])
def test_force_ssl_redirect_needs_a_certificate_for_its_host(nginx, tls, want):
    """Without a certificate for the host the redirect leads to an HTTPS listener that does not exist: the
    controller answered there with its default certificate, which the manifests do not name."""
    from ingress2gw_nginx.annotations.redirects import report_force_ssl_redirect

    report, drafts, _ = nginx(ingress({"force-ssl-redirect": "true"}, tls=tls))
    report_force_ssl_redirect(drafts, report)
    (finding,) = [f for f in report.findings if f.annotation.endswith("/force-ssl-redirect")]
    assert finding.code.value == want
    if not tls:
        assert "no HTTPS listener for it" in finding.message and "web.example.com" in finding.message
        assert "--default-ssl-certificate" in finding.remediation


def test_force_ssl_redirect_host_certificate_from_another_ingress(nginx):
    """The certificate of the host may come from another Ingress of the same Gateway (the controller keeps one
    server per host)."""
    from ingress2gw_nginx.annotations.redirects import report_force_ssl_redirect

    text = ingress({"force-ssl-redirect": "true"}) + "---\n" + ingress({}, name="certs", tls=True)
    report, drafts, _ = nginx(text)
    report_force_ssl_redirect(drafts, report)
    assert codes_for(report, "/force-ssl-redirect") == ["annotation.translated"]


def test_ssl_redirect_kept_its_behaviour(nginx):
    report, drafts, _ = nginx(ingress({"ssl-redirect": "false"}, tls=True))
    assert drafts[0].ssl_redirect is False and not any(r.ssl_redirect for r in drafts[0].rules)


def test_one_parse_bool_for_every_family():
    from ingress2gw_nginx.annotations import _read, cors
    from ingress2gw_nginx.values import parse_bool

    assert _read.parse_bool is parse_bool and cors.parse_bool is parse_bool


def _passthrough(nginx, text: str):
    """Translate, then settle the host-wide annotations (ssl-passthrough depends on every Ingress of a host)."""
    from ingress2gw_nginx.annotations import hosts

    report, drafts, ctx = nginx(text)
    hosts.apply_host_wide(drafts, ctx, report)
    found = [f for f in report.findings if f.annotation.endswith("/ssl-passthrough")]
    return drafts, found


def test_ssl_passthrough_uses_the_root_backend(nginx):
    drafts, (finding,) = _passthrough(nginx, ROOT.replace("nginx.ingress.kubernetes.io/app-root: /app, %s",
                                                          "nginx.ingress.kubernetes.io/ssl-passthrough: 'true'"))
    (host, backend), = drafts[0].passthrough
    assert (host, backend.name) == ("web.example.com", "web")
    assert not any(r.serve_https for r in drafts[0].rules)
    assert finding.code.value == "annotation.translated" and "no passthrough" not in finding.message


def test_ssl_passthrough_without_root_path_is_ignored(nginx):
    drafts, (finding,) = _passthrough(nginx, ingress({"ssl-passthrough": "true"}))
    assert drafts[0].passthrough == []
    assert finding.code.value == "annotation.ignored"
    assert "no Ingress has a / path for it" in finding.message


_PASS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: shop
  creationTimestamp: "{created}"
  annotations: {{{annotations}}}
spec:
  ingressClassName: nginx
  rules:
  - {host}http:
      paths:
      - {{path: {path}, pathType: {path_type}, backend: {{service: {{name: {svc}, port: {port}}}}}}}
"""


_PASSTHROUGH = "nginx.ingress.kubernetes.io/ssl-passthrough: 'true'"


def _pass_ingress(name="vault", created="2024-01-01T00:00:00Z", annotations=_PASSTHROUGH, path="/",
                  path_type="Prefix", svc="vault", port="{number: 443}"):
    return _PASS.format(name=name, created=created, annotations=annotations, host="host: vault.example.com\n    ",
                        path=path, path_type=path_type, svc=svc, port=port)


_TWO_RULES = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: vault
  namespace: shop
  annotations: {nginx.ingress.kubernetes.io/ssl-passthrough: 'true'}
spec:
  ingressClassName: nginx
  rules:
  - host: vault.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: vault, port: {number: 443}}}}
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: other, port: %s}}}
"""


def test_ssl_passthrough_rule_without_host_is_named_as_such_not_as_missing_root(nginx):
    # Issue 11: the finding said "no / path" for a rule that has one, but no host.
    drafts, (finding,) = _passthrough(nginx, _TWO_RULES % "{number: 443}")
    assert [h for h, _ in drafts[0].passthrough] == ["vault.example.com"]
    assert "no passthrough for rules without a host" in finding.message
    assert "no / path" not in finding.message


def test_ssl_passthrough_root_whose_backend_was_not_converted(nginx):
    # The / path of vault.example.com names a port of a Service that is not in the input: left out.
    text = _TWO_RULES.replace("name: vault, port: {number: 443}", "name: vault, port: {name: https}")
    drafts, (finding,) = _passthrough(nginx, text % "{number: 443}")
    assert drafts[0].passthrough == [] and finding.code.value == "annotation.ignored"
    assert "vault.example.com (its / path was not converted" in finding.message


def test_ssl_passthrough_takes_the_root_path_of_another_ingress_of_the_host(nginx):
    # The controller's server for the host passes TLS to the host's root location, whichever Ingress defined it.
    text = (_pass_ingress(path="/api", svc="api") + "---\n"
            + _pass_ingress(name="site", created="2024-02-01T00:00:00Z", annotations="", svc="site"))
    drafts, (finding,) = _passthrough(nginx, text)
    (host, backend), = drafts[0].passthrough
    assert (host, backend.name) == ("vault.example.com", "site")
    assert finding.code.value == "annotation.translated" and "the / path of Ingress shop/site" in finding.message


def test_ssl_passthrough_of_an_ingress_that_did_not_define_the_host_is_ignored(nginx):
    text = (_pass_ingress(name="site", annotations="", svc="site") + "---\n"
            + _pass_ingress(created="2024-02-01T00:00:00Z", path="/api", svc="api"))
    drafts, (finding,) = _passthrough(nginx, text)
    assert all(d.passthrough == [] for d in drafts)
    assert "Ingress shop/site defined the host first" in finding.message


def test_ssl_passthrough_exact_root_is_not_the_root_location(nginx):
    drafts, (finding,) = _passthrough(nginx, _pass_ingress(path_type="Exact"))
    assert drafts[0].passthrough == [] and "its / path is Exact" in finding.message


def test_from_to_www_adds_counterpart_with_certificate(nginx):
    report, drafts, _ = nginx(ingress({"from-to-www-redirect": "true"}, tls=True))
    added = [r for r in drafts[0].rules if r.origin.annotation.endswith("/from-to-www-redirect")]
    (rule,) = added
    assert rule.host == "www.web.example.com" and rule.backends == []
    (redirect,) = _redirects(rule)
    assert (redirect.hostname, redirect.status_code) == ("web.example.com", 308)
    assert any(c.host == "www.web.example.com" and c.secret == "web-tls" for c in drafts[0].tls)


@pytest.mark.parametrize("value, says, never", [
    ("true", "are redirected to HTTPS, as the controller did (true is the default)", "plain HTTP too"),
    ("false", "served on plain HTTP too, instead of being redirected to HTTPS", "are redirected to HTTPS, as"),
])
def test_ssl_redirect_finding_describes_its_own_value(nginx, value, says, never):
    # Issue 11: "true" was reported with the text meant for "false".
    report, _, _ = nginx(ingress({"ssl-redirect": value}, tls=True))
    (finding,) = [f for f in report.findings if f.annotation.endswith("/ssl-redirect")]
    assert finding.code.value == "annotation.translated"
    assert says in finding.message and never not in finding.message


def test_ssl_redirect_true_over_a_configmap_that_turned_it_off(nginx):
    configmap = """\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
        data: {ssl-redirect: "false"}
        """
    report, drafts, _ = nginx(ingress({"ssl-redirect": "true"}, tls=True), controller_config_text=configmap)
    (finding,) = [f for f in report.findings if f.annotation.endswith("/ssl-redirect")]
    assert "turns it back on" in finding.message and drafts[0].ssl_redirect
