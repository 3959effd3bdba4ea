"""Traefik provider rules that goldens alone would not pin down precisely."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import require_shared

from ingress2gw.plugin import PathMatch
from ingress2gw_traefik import REGISTRY
from ingress2gw_traefik.middlewares import cluster_service, resolve
from ingress2gw_traefik.priority import _overlap, rule_string


class Obj:
    def __init__(self, ns, name):
        self.namespace, self.name = ns, name


@pytest.mark.parametrize("ref,objects,expected", [
    ("a-b-c@kubernetescrd", [("a", "b-c")], "a/b-c"),
    ("a-b-c@kubernetescrd", [("a-b", "c")], "a-b/c"),
    ("a-b-c@kubernetescrd", [("a", "b-c"), ("a-b", "c")], "ambiguous"),
    ("a-b-c@kubernetescrd", [], "no Middleware"),
    ("x@file", [("a", "x")], "file provider"),
    ("x", [("a", "x")], "no @provider"),
])
def test_reference_split_is_resolved_against_the_objects(ref, objects, expected):
    idx = {(ns, n): Obj(ns, n) for ns, n in objects}
    obj, why = resolve(ref, idx)
    if "/" in expected:
        assert obj is not None and f"{obj.namespace}/{obj.name}" == expected
    else:
        assert obj is None and expected in why


@pytest.mark.parametrize("url,ns,expected", [
    ("http://auth.sso.svc.cluster.local:4180/check", "app", ("sso", "auth", 4180, "/check")),
    ("http://auth.sso.svc:8080", "app", ("sso", "auth", 8080, "")),
    ("http://auth:9000/v", "app", ("app", "auth", 9000, "/v")),
    ("https://auth.sso", "app", ("sso", "auth", 443, "")),
    ("https://login.example.com/check", "app", None),
])
def test_forward_auth_addresses_in_the_cluster(url, ns, expected):
    backend, path = cluster_service(url, ns, None)
    if expected is None:
        assert backend is None
    else:
        assert (backend.namespace, backend.name, backend.port, path) == expected


def test_default_priority_is_the_rule_length():
    exact = PathMatch(type="Exact", value="/ab")
    prefix = PathMatch(type="PathPrefix", value="/a")
    assert len(rule_string("p.example.com", prefix)) > len(rule_string("p.example.com", exact))
    assert _overlap(exact, prefix) == "/ab"
    assert _overlap(PathMatch(type="PathPrefix", value="/b"), prefix) is None


def test_pattern_keys_and_case_insensitive_lookup():
    assert REGISTRY.lookup("router.tls.domains.12.sans").name == "router.tls.domains.n.sans"
    assert REGISTRY.lookup("ROUTER.TLS").name == "router.tls"
    assert REGISTRY.lookup("router.tls.domains.x.main") is None


def test_legacy_keys_name_their_v2_equivalent():
    spec = REGISTRY.lookup("ingress.kubernetes.io/ssl-redirect")
    assert spec is not None and "redirectScheme" in spec.caveat and spec.lifecycle == "removed"
    assert "router.entrypoints" in REGISTRY.lookup("frontend-entry-points").caveat


def test_every_catalog_entry_is_in_the_registry():
    from ruamel.yaml import YAML

    catalog = YAML(typ="safe").load(require_shared("reference/annotations.yaml").read_text())["traefik"]
    prefix = "traefik.ingress.kubernetes.io/"
    missing = []
    for entry in catalog:
        if entry["kind"] not in ("annotation", "service-annotation", "legacy-annotation", "middleware"):
            continue
        name = entry["name"]
        if name.startswith("Middleware.spec.plugin."):
            continue  # Traefik Hub plugins: reported through Middleware.spec.plugin
        key = name[len(prefix):] if name.startswith(prefix) else name
        if REGISTRY.lookup(key) is None:
            missing.append(name)
    assert not missing, missing


def test_annotations_command_lists_middleware_kinds():
    r = subprocess.run([sys.executable, "-m", "ingress2gw", "annotations", "--provider", "traefik", "--format",
                        "json"], capture_output=True, text=True)
    rows = json.loads(r.stdout)["annotations"]
    kinds = {row["key"] for row in rows if row["kind"] == "middleware"}
    assert {"Middleware.spec.stripPrefix", "Middleware.spec.basicAuth", "Middleware.spec.chain"} <= kinds
    keys = [row["key"] for row in rows]
    assert len(keys) == len(set(keys))
