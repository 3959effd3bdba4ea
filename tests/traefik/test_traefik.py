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


# -- routers on a TLS entry point need a certificate (regression: issue 11) ----------------------------------

def _tls_run(tmp_path, ingresses: list[dict], others: list[dict] = (), **provider_options):
    from ingress2gw.pipeline import Options, run

    path = tmp_path / "input.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [*others, *ingresses]}))
    opts = Options(paths=[str(path)])
    opts.provider_options.update(provider_options)
    result = run(opts)
    findings = [(f.code.value, f.annotation.rsplit("/", 1)[-1], f.message) for f in result.report.findings
                if f.code.value not in ("provider.defaults", "ingress.class-assumed")]
    return result, findings


def _ing(name, *, host="app.example.com", annotations=None, tls_secret=None):
    rule = {"http": {"paths": [{"path": "/", "pathType": "Prefix",
                                "backend": {"service": {"name": name, "port": {"number": 80}}}}]}}
    if host:
        rule["host"] = host
    spec = {"ingressClassName": "traefik", "rules": [rule]}
    if tls_secret:
        spec["tls"] = [{"hosts": [host], "secretName": tls_secret}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": "demo", "annotations": {
                "traefik.ingress.kubernetes.io/" + k: v for k, v in (annotations or {}).items()}},
            "spec": spec}


def _routes(result):
    return [o for o in result.objects if o["kind"] == "HTTPRoute"]


@pytest.mark.parametrize("annotations,code", [
    ({"router.entrypoints": "websecure"}, "annotation.unsupported"),
    ({"router.tls": "true"}, "annotation.unsupported"),
    ({"router.entrypoints": "web,websecure"}, "annotation.lossy"),
])
@pytest.mark.parametrize("host", ["app.example.com", None])
def test_tls_router_without_any_certificate_is_reported(tmp_path, annotations, code, host):
    result, findings = _tls_run(tmp_path, [_ing("app", host=host, annotations=annotations)])
    key = next(iter(annotations))
    (finding,) = [f for f in findings if f[1] == key]
    assert finding[0] == code
    assert "no HTTPS listener" in finding[2]
    if code == "annotation.unsupported":
        assert not _routes(result), "nothing can be served without a certificate"
        assert "no route was emitted for /" in finding[2]
    else:
        assert "plain HTTP still serves them" in finding[2] and _routes(result)


def test_tls_router_certificate_from_another_ingress(tmp_path):
    """Traefik's certificates are one global store: spec.tls of another Ingress covers the host."""
    result, findings = _tls_run(tmp_path, [_ing("app", annotations={"router.entrypoints": "websecure"}),
                                           _ing("certs", annotations={"router.entrypoints": "websecure"},
                                                tls_secret="app-tls")])
    assert [f[0] for f in findings if f[1] == "router.entrypoints"] == ["annotation.translated"] * 2


_STORE = {"apiVersion": "traefik.io/v1alpha1", "kind": "TLSStore", "metadata": {"name": "default",
          "namespace": "traefik"}, "spec": {"defaultCertificate": {"secretName": "wildcard"}}}


def _https_listeners(result) -> dict:
    (gw,) = [o for o in result.objects if o["kind"] == "Gateway"]
    return {lst.get("hostname"): lst for lst in gw["spec"]["listeners"] if lst["protocol"] == "HTTPS"}


def test_tls_router_uses_the_default_certificate(tmp_path):
    """With the TLSStore named default, a host gets an HTTPS listener with its certificate, and a rule without
    host the HTTPS listener without hostname (Traefik answered every other SNI with that certificate)."""
    result, findings = _tls_run(tmp_path, [_ing("app", annotations={"router.entrypoints": "websecure"}),
                                           _ing("any", host=None, annotations={"router.entrypoints": "websecure"})],
                                [_STORE])
    listeners = _https_listeners(result)
    assert set(listeners) == {"app.example.com", None}
    for lst in listeners.values():
        assert lst["tls"]["certificateRefs"] == [{"group": "", "kind": "Secret", "name": "wildcard",
                                                  "namespace": "traefik"}]
    (catch_all,) = [r for r in _routes(result) if "hostnames" not in r["spec"]]
    assert [p["sectionName"] for p in catch_all["spec"]["parentRefs"]] == [listeners[None]["name"]]
    (grant,) = [o for o in result.objects if o["kind"] == "ReferenceGrant"]
    assert grant["metadata"]["namespace"] == "traefik" and grant["spec"]["to"][0]["name"] == "wildcard"
    assert "the listener without hostname" in grant["metadata"]["annotations"]["ingress2gw.io/source"]
    assert sorted(f[0] for f in findings if f[1] == "router.entrypoints") == ["annotation.translated"] * 2


@pytest.mark.parametrize("certificate, grant", [("traefik/wildcard", True), ("gateway-system/wildcard", False)])
def test_hostless_tls_router_with_the_default_certificate_option(tmp_path, certificate, grant):
    """--traefik-default-certificate: the listener without hostname uses it; a ReferenceGrant only when the
    Secret is in another namespace than the Gateway."""
    ing = _ing("any", host=None, annotations={"router.tls": "true"})
    result, findings = _tls_run(tmp_path, [ing], traefik_default_certificate=certificate)
    (listener,) = _https_listeners(result).values()
    assert "hostname" not in listener
    ref = listener["tls"]["certificateRefs"][0]
    assert (ref.get("namespace", "gateway-system"), ref["name"]) == tuple(certificate.split("/"))
    assert bool([o for o in result.objects if o["kind"] == "ReferenceGrant"]) is grant
    assert [f[0] for f in findings if f[1] == "router.tls"] == ["annotation.translated"]


def test_default_backend_on_websecure_gets_the_listener_without_hostname(tmp_path):
    """spec.defaultBackend is Traefik's default-router for every host: on websecure with the default
    certificate it answers HTTPS for hosts no rule names."""
    ing = _ing("fallback", annotations={"router.entrypoints": "websecure"})
    ing["spec"]["defaultBackend"] = {"service": {"name": "fallback", "port": {"number": 80}}}
    result, _ = _tls_run(tmp_path, [ing], [_STORE])
    listeners = _https_listeners(result)
    assert None in listeners and "app.example.com" in listeners
    (catch_all,) = [r for r in _routes(result) if "hostnames" not in r["spec"]]
    assert catch_all["spec"]["rules"][0]["backendRefs"] == [{"name": "fallback", "port": 80}]


def test_redirect_to_websecure_without_certificate_is_reported(tmp_path):
    """entryPoints.web.http.redirections: plain HTTP only redirects, so a host without certificate is lost."""
    result, findings = _tls_run(tmp_path, [_ing("app")], traefik_redirect_to_https=True)
    (lost,) = [f for f in findings if f[0] == "tls.default-certificate"]
    assert "only redirects to HTTPS" in lost[2] and "no route was emitted" in lost[2]


@pytest.mark.parametrize("skip", [False, True])
@pytest.mark.parametrize("emitter", ["kgateway", "envoy-gateway"])
def test_forward_auth_to_an_https_server_verifies_it_as_traefik_did(tmp_path, emitter, skip):
    """Traefik's forwardAuth verifies the auth server's certificate unless tls.insecureSkipVerify (nginx's
    auth_request never does): the implementation's TLS to the auth host does the same, and says nothing differs."""
    from ingress2gw.pipeline import Options, run

    tls = {"insecureSkipVerify": True} if skip else {}
    mw = {"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware", "metadata": {"name": "auth", "namespace": "app"},
          "spec": {"forwardAuth": {"address": "https://auth.example.com/check", **({"tls": tls} if tls else {})}}}
    ing = _ing("web", annotations={"router.middlewares": "app-auth@kubernetescrd"})
    ing["metadata"]["namespace"] = "app"
    path = tmp_path / "input.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [mw, ing]}))
    result = run(Options(paths=[str(path)], emitter=emitter))
    text = json.dumps(result.objects)
    if skip:
        assert '"insecureSkipVerify": true' in text and "wellKnownCACertificates" not in text
    else:
        assert "wellKnownCACertificates" in text and "insecureSkipVerify" not in text
    (f,) = [f for f in result.report.findings if f.annotation.endswith("forwardAuth")]
    if emitter == "kgateway":
        assert "verif" not in f.message, f.message  # nothing to say about TLS: it is as before
    else:  # Envoy Gateway's note on its Backend says how TLS goes, as Traefik did it
        assert ("without verifying" in f.message) == skip, f.message


# -- objects referenced by name: the one used never depends on input order (regression: shuffled inputs) --------

def _servers_transport(ns, name, server, group="traefik.io"):
    return {"apiVersion": f"{group}/v1alpha1", "kind": "ServersTransport", "metadata": {"name": name, "namespace": ns},
            "spec": {"serverName": server}}


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("transports, expected", [
    ([_servers_transport("a", "b-c", "io.internal"), _servers_transport("a", "b-c", "legacy.internal",
                                                                          "traefik.containo.us")], "io.internal"),
    ([_servers_transport("a", "b-c", "one.internal"), _servers_transport("a-b", "c", "two.internal")], "ambiguous"),
])
def test_servers_transport_reference_is_resolved_whatever_the_order(tmp_path, transports, expected, reverse):
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "app", "namespace": "demo", "annotations": {
        "traefik.ingress.kubernetes.io/service.serverstransport": "a-b-c@kubernetescrd"}},
        "spec": {"ports": [{"port": 80}]}}
    others = [*transports, svc]
    result, findings = _tls_run(tmp_path, [_ing("app")], others[::-1] if reverse else others)
    (finding,) = [f for f in findings if f[1] == "service.serverstransport"]
    if expected == "ambiguous":
        assert finding[0] == "annotation.unsupported" and "ambiguous: it names a-b/c, a/b-c" in finding[2]
    else:
        (policy,) = [o for o in result.objects if o["kind"] == "BackendTLSPolicy"]
        assert policy["spec"]["validation"]["hostname"] == expected


def _path_ing(name: str, created: str, path: str, path_type: str, service: str) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": "shop", "creationTimestamp": created},
            "spec": {"ingressClassName": "traefik", "rules": [{"host": "a.test", "http": {"paths": [
                {"path": path, "pathType": path_type,
                 "backend": {"service": {"name": service, "port": {"number": 80}}}}]}}]}}


def test_routers_of_equal_priority_are_reported_and_verify_explains_them(tmp_path):
    """Host(`a.test`) && PathPrefix(`/`) and Host(`a.test`) && Path(`/api/v1`) are both 33 characters long:
    Traefik breaks the tie itself, Gateway API always prefers the Exact rule."""
    from ingress2gw.pipeline import Options, run
    from ingress2gw.verify.command import verify

    src = tmp_path / "in.json"
    src.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        _path_ing("root", "2024-01-01T00:00:00Z", "/", "Prefix", "s0"),
        _path_ing("api", "2024-01-02T00:00:00Z", "/api/v1", "Exact", "s1")]}))
    assert len(rule_string("a.test", PathMatch(type="PathPrefix", value="/"))) == \
        len(rule_string("a.test", PathMatch(type="Exact", value="/api/v1")))
    found = [f for f in run(Options(paths=[str(src)])).report.findings if f.code.value == "route.priority"]
    assert len(found) == 1 and found[0].obj.name == "root" and "same priority (33)" in found[0].message
    assert not verify(Options(paths=[str(src)])).unexplained
