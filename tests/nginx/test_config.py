"""The controller ConfigMap: typed settings under ConfigMap key names, defaults, and provider.defaults."""

from __future__ import annotations

import textwrap

from ingress2gw_nginx.config import DEFAULTS, parse_cidrs, parse_size

from .conftest import ingress

CM = textwrap.dedent("""\
apiVersion: v1
kind: ConfigMap
metadata: {name: NAME, namespace: ingress-nginx}
data:
  ssl-redirect: "false"
  http-redirect-code: "301"
  proxy-body-size: 10m
  proxy-read-timeout: "120"
  use-forwarded-headers: "true"
  whitelist-source-range: "10.0.0.0/8,192.168.0.1"
  hsts: "yes"
  annotations-risk-level: Extreme
  http-snippet: "map $a $b {}"
  global-auth-url: http://auth.x.svc/verify
---
""")


def test_defaults_without_configmap(nginx):
    report, _, ctx = nginx(ingress({}))
    assert ctx.settings["ssl-redirect"] is True and ctx.settings["http-redirect-code"] == 308
    assert ctx.settings["proxy-body-size"] == 1024 ** 2 and ctx.settings["proxy-body-size@text"] == "1m"
    assert ctx.settings["proxy-read-timeout"] == 60 and ctx.settings["allow-snippet-annotations"] is False
    assert ctx.settings["whitelist-source-range"] == ()
    assert set(DEFAULTS) <= set(ctx.settings)
    assumed = report.assumptions["ingress-nginx"]
    assert any(a.startswith("proxy-body-size=1m") for a in assumed)
    assert "configmap" not in ctx.settings


def test_configmap_by_name(nginx):
    report, _, ctx = nginx(CM.replace("NAME", "ingress-nginx-controller") + ingress({}))
    s = ctx.settings
    assert s["ssl-redirect"] is False and s["http-redirect-code"] == 301
    assert s["proxy-body-size"] == 10 * 1024 ** 2 and s["proxy-read-timeout"] == 120
    assert s["use-forwarded-headers"] is True
    assert s["whitelist-source-range"] == ("10.0.0.0/8", "192.168.0.1/32")
    assert s["hsts"] is True and s["annotations-risk-level"] == "High"  # invalid values keep the defaults
    invalid = {f.annotation for f in report.findings if f.code.value == "annotation.invalid-value"}
    assert invalid == {"hsts", "annotations-risk-level"}
    by_key = {f.annotation: f.code.value for f in report.findings if f.obj and f.obj.kind == "ConfigMap"}
    assert by_key["http-snippet"] == "annotation.security" and by_key["global-auth-url"] == "annotation.policy"
    assert by_key["whitelist-source-range"] == "annotation.policy"
    assert report.assumptions["ingress-nginx"][0].startswith("ConfigMap ingress-nginx/ingress-nginx-controller:")
    # the redirect default of the provider follows the ConfigMap
    assert s["configmap"] == "ingress-nginx/ingress-nginx-controller"


def test_unrelated_configmap_is_not_the_controller_config(nginx):
    _, _, ctx = nginx(CM.replace("NAME", "app-settings") + ingress({}))
    assert ctx.settings["ssl-redirect"] is True


def test_controller_config_file_with_any_name(nginx):
    _, _, ctx = nginx(ingress({}), controller_config_text=CM.replace("NAME", "my-settings").rstrip("-\n"))
    assert ctx.settings["http-redirect-code"] == 301 and ctx.settings["configmap"] == "ingress-nginx/my-settings"


def test_parse_helpers():
    assert parse_size("512") == 512 and parse_size("8k") == 8192 and parse_size("2G") == 2 * 1024 ** 3
    assert parse_size("1.5m") is None and parse_size("") is None and parse_size("8mb") is None
    assert parse_cidrs("10.0.0.1, ::1") == ("10.0.0.1/32", "::1/128") and parse_cidrs("10.0.0.0/33") is None
    assert parse_cidrs("") == ()
