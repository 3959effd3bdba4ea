"""custom-headers and the controller ConfigMap's global-allowed-response-headers (the allow-list of the response
headers the annotation may set; empty by default, so every header is refused): read from the controller ConfigMap
when it is in the input, a caveat when it is not."""

from __future__ import annotations

from tests.nginx.test_hsts import CONFIGMAP, _ingress, _run

HEADERS = """
apiVersion: v1
kind: ConfigMap
metadata: {name: hdrs, namespace: shop}
data: {X-Frame-Options: DENY, X-Team: shop}
---"""


def _custom(result) -> list:
    return [f for f in result.report.findings if f.annotation == "nginx.ingress.kubernetes.io/custom-headers"]


def _set(routes) -> list:
    return sorted(h["name"] for r in routes.values() for rule in r["spec"]["rules"] for f in rule.get("filters", [])
                  if f["type"] == "ResponseHeaderModifier" for h in f["responseHeaderModifier"].get("set", [])
                  if h["name"] != "Strict-Transport-Security")


def test_allowed_headers_are_set(tmp_path):
    text = (CONFIGMAP.format(data="{global-allowed-response-headers: 'x-frame-options, X-Team'}") + HEADERS
            + _ingress("web", "web.example.com", tls=False, annotations={"custom-headers": "shop/hdrs"}))
    result, routes = _run(tmp_path, text)
    assert _set(routes) == ["X-Frame-Options", "X-Team"]
    [f] = _custom(result)
    assert f.code.value == "annotation.translated" and "was not in the input" not in f.message


def test_a_header_outside_the_allow_list_refuses_the_annotation(tmp_path):
    text = (CONFIGMAP.format(data="{global-allowed-response-headers: X-Frame-Options}") + HEADERS
            + _ingress("web", "web.example.com", tls=False, annotations={"custom-headers": "shop/hdrs"}))
    result, routes = _run(tmp_path, text)
    assert _set(routes) == []
    [f] = _custom(result)
    assert f.code.value == "annotation.ignored" and "X-Team" in f.message and "X-Frame-Options" in f.message


def test_controller_configmap_without_the_key_allows_nothing(tmp_path):
    text = (CONFIGMAP.format(data="{ssl-redirect: 'true'}") + HEADERS
            + _ingress("web", "web.example.com", tls=False, annotations={"custom-headers": "shop/hdrs"}))
    result, routes = _run(tmp_path, text)
    assert _set(routes) == []
    [f] = _custom(result)
    assert f.code.value == "annotation.ignored" and "no header is allowed" in f.message


def test_without_the_controller_configmap_the_headers_come_with_a_caveat(tmp_path):
    text = HEADERS + _ingress("web", "web.example.com", tls=False, annotations={"custom-headers": "shop/hdrs"})
    result, routes = _run(tmp_path, text)
    assert _set(routes) == ["X-Frame-Options", "X-Team"]
    [f] = _custom(result)
    assert "global-allowed-response-headers" in f.message and "was not in the input" in f.message
