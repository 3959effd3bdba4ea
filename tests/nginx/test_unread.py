"""Keys on an ingress-nginx Ingress that the controller never read still get a finding (issue 11)."""

from __future__ import annotations

import pytest

from .conftest import ingress


def _findings(report, key: str):
    return [f for f in report.findings if f.annotation == key]


@pytest.mark.parametrize("key, says", [
    ("ingress.kubernetes.io/rewrite-target", "its current spelling is nginx.ingress.kubernetes.io/rewrite-target"),
    ("ingress.kubernetes.io/frame-deny", "nginx.ingress.kubernetes.io/frame-deny is not an ingress-nginx annotation"),
    ("ingress.kubernetes.io/secure-backends", "has been removed from ingress-nginx too"),
])
def test_pre_0_9_prefix_is_reported_as_ignored(nginx, key, says):
    report, drafts, _ = nginx(ingress({key: "/"}))
    (finding,) = _findings(report, key)
    assert finding.code.value == "annotation.ignored" and str(finding.obj) == "Ingress shop/web"
    assert "prefix of ingress-nginx before 0.9.0" in finding.message and says in finding.message
    assert not any(r.intents for r in drafts[0].rules), "an ignored key changes nothing"


def test_pre_0_9_prefix_names_the_current_key_the_ingress_also_sets(nginx):
    report, _, _ = nginx(ingress({"ingress.kubernetes.io/ssl-redirect": "false", "ssl-redirect": "true"}))
    (finding,) = _findings(report, "ingress.kubernetes.io/ssl-redirect")
    assert "which this Ingress also sets ('true') and which the controller used" in finding.message


def test_pre_0_9_prefix_is_read_when_it_is_the_controllers_prefix(nginx):
    report, _, _ = nginx(ingress({"use-regex": "true"}, prefix="ingress.kubernetes.io/"),
                         annotations_prefix="ingress.kubernetes.io")
    (finding,) = _findings(report, "ingress.kubernetes.io/use-regex")
    assert finding.code.value == "annotation.translated"


def test_default_prefix_under_a_custom_prefix_is_ignored(nginx):
    report, _, _ = nginx(ingress({"nginx.ingress.kubernetes.io/proxy-body-size": "100m", "proxy-body-size": "2m"},
                                 prefix="corp.io/"), annotations_prefix="corp.io")
    (finding,) = _findings(report, "nginx.ingress.kubernetes.io/proxy-body-size")
    assert finding.code.value == "annotation.ignored"
    assert "--annotations-prefix corp.io" in finding.message and "corp.io/proxy-body-size ('2m')" in finding.message


@pytest.mark.parametrize("value, says", [
    ("false", '"false" did not close plain HTTP'),
    ("true", "never read kubernetes.io/ingress.allow-http"),
])
def test_allow_http_is_ignored_and_says_what_plain_http_did(nginx, value, says):
    report, drafts, _ = nginx(ingress({"kubernetes.io/ingress.allow-http": value}, tls=True))
    (finding,) = _findings(report, "kubernetes.io/ingress.allow-http")
    assert finding.code.value == "annotation.ignored" and says in finding.message
    assert "redirected to HTTPS on hosts with a certificate" in finding.message
    assert all(r.serve_http for r in drafts[0].rules), "plain HTTP is still served, as the controller did"


def test_allow_http_false_with_ssl_redirect_off_says_plain_http_was_proxied(nginx):
    report, _, _ = nginx(ingress({"kubernetes.io/ingress.allow-http": "false", "ssl-redirect": "false"}, tls=True))
    (finding,) = _findings(report, "kubernetes.io/ingress.allow-http")
    assert "proxied to the backends (ssl-redirect is off)" in finding.message


def test_traefik_keys_on_an_nginx_ingress_are_reported(nginx):
    report, _, _ = nginx(ingress({"traefik.ingress.kubernetes.io/router.tls": "true"}))
    (finding,) = _findings(report, "traefik.ingress.kubernetes.io/router.tls")
    assert finding.code.value == "annotation.ignored" and "Traefik annotation" in finding.message


def test_unrelated_keys_stay_quiet(nginx):
    report, _, _ = nginx(ingress({"example.com/owner": "team-a", "kubernetes.io/description": "x"}))
    assert not [f for f in report.findings if f.annotation]
