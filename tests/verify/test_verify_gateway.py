"""The Gateway API simulator against the request/response expectations of the Gateway API conformance suite.

Each ``conformance/*.yaml`` transcribes one conformance test (or a table of the API reference): the objects
and, per request, the expected outcome. ``backend: NAME`` means ``gateway-conformance-infra/NAME:8080``.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from ingress2gw.verify.gateway import GatewaySimulator, replace_prefix
from ingress2gw.verify.model import Request

HERE = Path(__file__).parent
NS = "gateway-conformance-infra"
BASE_GATEWAY = {
    "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
    "metadata": {"name": "same-namespace", "namespace": NS},
    "spec": {"gatewayClassName": "conformance",
             "listeners": [{"name": "http", "port": 80, "protocol": "HTTP",
                            "allowedRoutes": {"namespaces": {"from": "Same"}}}]},
}


def _cases():
    for f in sorted((HERE / "conformance").glob("*.yaml")):
        doc = YAML(typ="safe", pure=True).load(f.read_text())
        for i, case in enumerate(doc["cases"]):
            yield pytest.param(doc, case, id=f"{doc['test']}-{i}")


def request_from(spec: dict, default_host: str = "example.com") -> Request:
    return Request(
        host=spec.get("host", default_host), path=spec.get("path", "/"), scheme=spec.get("scheme", "http"),
        query=spec.get("query", ""), method=spec.get("method", "GET"),
        headers=tuple((k, str(v)) for k, v in (spec.get("headers") or {}).items()),
        cookies=tuple((k, str(v)) for k, v in (spec.get("cookies") or {}).items()), port=spec.get("port"),
    )


def _ref(name: str) -> str:
    return name if "/" in name else f"{NS}/{name}:8080"


@pytest.mark.parametrize("doc,case", list(_cases()))
def test_conformance(doc, case):
    objects = ([BASE_GATEWAY] if doc.get("base_gateway") else []) + doc["objects"]
    got = GatewaySimulator(objects).decide(request_from(case["request"]))
    exp = case["expect"]
    outcome = exp.get("outcome") or ("redirect" if "location" in exp else "backend")
    assert got.kind == outcome, got
    if "backend" in exp:
        assert got.backends == ((_ref(exp["backend"]), Fraction(1)),), got
    if "backends" in exp:
        assert got.backends == tuple(sorted((_ref(k), Fraction(v)) for k, v in exp["backends"].items())), got
    if "path" in exp:
        assert got.path == exp["path"], got
    if "host" in exp:
        assert got.host == exp["host"], got
    if "headers" in exp:
        assert [list(h) for h in got.headers] == exp["headers"], got
    if "status" in exp:
        assert got.status == exp["status"], got
    if "location" in exp:
        assert got.location == exp["location"], got


@pytest.mark.parametrize("prefix,path,replacement,want", [
    # The ReplacePrefixMatch table of the HTTPPathModifier reference.
    ("/foo", "/foo/bar", "/xyz", "/xyz/bar"),
    ("/foo", "/foo/bar", "/xyz/", "/xyz/bar"),
    ("/foo", "/foo", "/xyz", "/xyz"),
    ("/foo", "/foo/", "/xyz", "/xyz/"),
    ("/foo", "/foo", "/", "/"),
    ("/foo", "/foo/", "/", "/"),
    ("/foo", "/foo/bar", "/", "/bar"),
    ("", "/foo/bar", "/xyz", "/xyz/foo/bar"),
])
def test_replace_prefix_table(prefix, path, replacement, want):
    assert replace_prefix(prefix, replacement, path) == want


def test_regex_is_full_match_and_after_prefixes():
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
             "metadata": {"name": "r", "namespace": NS},
             "spec": {"parentRefs": [{"name": "same-namespace"}], "rules": [
                 {"matches": [{"path": {"type": "RegularExpression", "value": "/api/[0-9]+"}}],
                  "backendRefs": [{"name": "re", "port": 1}]},
                 {"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                  "backendRefs": [{"name": "root", "port": 1}]},
                 {"matches": [{"path": {"type": "RegularExpression", "value": "/api/.*"}}],
                  "backendRefs": [{"name": "re-short", "port": 1}]},
             ]}}
    sim = GatewaySimulator([BASE_GATEWAY, route])
    # A PathPrefix "/" is a prefix match: it outranks every regex.
    assert sim.decide(Request("a", "/api/12")).backends[0][0] == f"{NS}/root:1"
    route["spec"]["rules"].pop(1)
    sim = GatewaySimulator([BASE_GATEWAY, route])
    assert sim.decide(Request("a", "/api/12")).backends[0][0] == f"{NS}/re:1"  # longer pattern first
    assert sim.decide(Request("a", "/api/12x")).backends[0][0] == f"{NS}/re-short:1"  # full match only
    assert sim.decide(Request("a", "/other")).kind == "not-found"


def test_header_names_case_insensitive_and_more_headers_win():
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
             "metadata": {"name": "r", "namespace": NS},
             "spec": {"parentRefs": [{"name": "same-namespace"}], "rules": [
                 {"matches": [{"headers": [{"name": "X-A", "value": "1"}]}], "backendRefs": [{"name": "one", "port": 1}]},
                 {"matches": [{"headers": [{"name": "x-a", "value": "1"}, {"name": "x-b", "value": "2"}]}],
                  "backendRefs": [{"name": "two", "port": 1}]},
                 {"matches": [{"method": "POST"}], "backendRefs": [{"name": "post", "port": 1}]},
             ]}}
    sim = GatewaySimulator([BASE_GATEWAY, route])
    assert sim.decide(Request("a", "/", headers=(("x-A", "1"),))).backends[0][0] == f"{NS}/one:1"
    assert sim.decide(Request("a", "/", headers=(("x-a", "1"), ("X-B", "2")))).backends[0][0] == f"{NS}/two:1"
    # method outranks header count
    assert sim.decide(Request("a", "/", method="POST", headers=(("x-a", "1"), ("X-B", "2")))).backends[0][0] \
        == f"{NS}/post:1"
    assert sim.decide(Request("a", "/")).kind == "not-found"
