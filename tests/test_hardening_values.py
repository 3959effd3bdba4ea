"""Hostile values never reach the output: a value the target Gateway API field does not accept (a line break in a
header value, a space or CR/LF in a path, a bad header name or host name) is refused when the provider builds the
intent, reported ``annotation.invalid-value`` at the annotation, and the setting is left out."""

from __future__ import annotations

import json

import pytest

from ingress2gw.model.ir import HeaderModifier, RequestRedirect, URLRewrite
from ingress2gw.pipeline import Options, run
from pydantic import ValidationError

NGINX = "nginx.ingress.kubernetes.io/"
TRAEFIK = "traefik.ingress.kubernetes.io/"


def _ingress(name: str, cls: str, annotations: dict) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": "shop", "annotations": annotations},
            "spec": {"ingressClassName": cls, "rules": [{"host": f"{name}.example.com", "http": {"paths": [
                {"path": "/old", "pathType": "Prefix",
                 "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}


def _middleware(name: str, spec: dict) -> dict:
    return {"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware",
            "metadata": {"name": name, "namespace": "shop"}, "spec": spec}


CASES = {
    "rewrite-target with CR/LF": ([_ingress("a", "nginx", {NGINX + "rewrite-target": "/a\r\nX-Injected: 1"})],
                                  NGINX + "rewrite-target"),
    "permanent-redirect path with a space": (
        [_ingress("b", "nginx", {NGINX + "permanent-redirect": "https://b.test/x y"})], NGINX + "permanent-redirect"),
    "x-forwarded-prefix with CR/LF": (
        [_ingress("c", "nginx", {NGINX + "x-forwarded-prefix": "/a\r\nb", NGINX + "rewrite-target": "/new"})],
        NGINX + "x-forwarded-prefix"),
    "upstream-vhost that is not a host name": (
        [_ingress("d", "nginx", {NGINX + "upstream-vhost": "evil.test\r\nX: 1"})], NGINX + "upstream-vhost"),
    "app-root with a space": ([_ingress("e", "nginx", {NGINX + "app-root": "/x y"})], NGINX + "app-root"),
    "Traefik request header with CR/LF": (
        [_middleware("h", {"headers": {"customRequestHeaders": {"X-T": "v\r\nX-Injected: 1"}}}),
         _ingress("f", "traefik", {TRAEFIK + "router.middlewares": "shop-h@kubernetescrd"})],
        "Middleware.spec.headers"),
    "Traefik header name with a space": (
        [_middleware("n", {"headers": {"customResponseHeaders": {"Bad Name": "v"}}}),
         _ingress("g", "traefik", {TRAEFIK + "router.middlewares": "shop-n@kubernetescrd"})],
        "Middleware.spec.headers"),
    "Traefik replacePath with CR/LF": (
        [_middleware("r", {"replacePath": {"path": "/a\r\nb"}}),
         _ingress("i", "traefik", {TRAEFIK + "router.middlewares": "shop-r@kubernetescrd"})],
        TRAEFIK + "router.middlewares"),
}


def _strings(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)
    elif isinstance(obj, str):
        yield obj


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_hostile_value_is_refused_and_left_out(tmp_path, name):
    objects, annotation = CASES[name]
    src = tmp_path / "in.json"
    src.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    result = run(Options(paths=[str(src)]))
    refused = [f for f in result.report.findings if f.annotation == annotation]
    # invalid-value (refused by the intent), or the handler's own refusal of a value it cannot carry.
    assert any(f.code.value in ("annotation.invalid-value", "annotation.unsupported") for f in refused), [
        (f.code.value, f.message) for f in result.report.findings]
    assert all(f.location.line > 0 for f in refused)
    written = [s for o in result.objects for s in _strings(o)]
    assert not [s for s in written if any(c in s for c in "\r\n\x00")], "a control character reached the output"
    assert not [s for s in written if "Injected" in s or " y" in s.split("/")[-1]]


@pytest.mark.parametrize("build", [
    lambda: HeaderModifier(direction="request", set=(("X-A", "a\r\nb"),)),
    lambda: HeaderModifier(direction="response", add=(("", "v"),)),
    lambda: HeaderModifier(direction="request", remove=("a b",)),
    lambda: HeaderModifier(direction="request", set=(("X-A", "v" * 4097),)),
    lambda: URLRewrite(replace_full_path="relative"),
    lambda: URLRewrite(replace_prefix_match="/" + "a" * 1024),
    lambda: URLRewrite(hostname="Bad_Host"),
    lambda: RequestRedirect(replace_full_path="/a\tb"),
    lambda: RequestRedirect(hostname="a" * 254),
])
def test_intents_refuse_values_gateway_api_does_not_accept(build):
    with pytest.raises(ValidationError):
        build()


def test_intents_keep_values_gateway_api_accepts():
    assert HeaderModifier(direction="request", set=(("X-Forwarded-Prefix", "/api"),), remove=("x-debug",)).set
    assert URLRewrite(replace_full_path="/v2/%7Euser;a=b", hostname="api.example.com").hostname
    assert RequestRedirect(replace_prefix_match="/", hostname="www.example.com").replace_prefix_match == "/"


def test_a_path_longer_than_gateway_api_accepts_is_refused_at_its_line(tmp_path):
    """HTTPRoute path matches are at most 1024 characters (the CRD); a longer Ingress path is path.invalid."""
    ing = _ingress("long", "nginx", {})
    ing["spec"]["rules"][0]["http"]["paths"][0]["path"] = "/" + "a" * 10_000
    ing["spec"]["rules"][0]["http"]["paths"].append(
        {"path": "/" + "b" * 1023, "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}})
    src = tmp_path / "in.json"
    src.write_text(json.dumps(ing))
    result = run(Options(paths=[str(src)]))
    [bad] = [f for f in result.report.findings if f.code.value == "path.invalid"]
    assert bad.location.line > 0 and len(bad.message) < 600  # the finding quotes the path, not 10,000 characters
    values = [m["path"]["value"] for o in result.objects if o["kind"] == "HTTPRoute"
              for r in o["spec"]["rules"] for m in r.get("matches", [])]
    assert values == ["/" + "b" * 1023]  # the path of exactly 1024 characters is kept


def _names(objects) -> list[str]:
    return [str(o["metadata"].get(k, "")) for o in objects for k in ("name", "namespace")]


def test_objects_the_api_server_refuses_are_reported_and_never_reach_the_output(tmp_path):
    """An invalid namespace, a tls.secretName that is not a Secret name, a host over 253 characters: each is an
    input.invalid-object at its line, and no emitted object carries the bad value (a ReferenceGrant named after
    'other/secret' was invalid output)."""
    bad_ns = _ingress("badns", "nginx", {})
    bad_ns["metadata"]["namespace"] = "Bad_NS"
    tls = _ingress("tls", "nginx", {})
    tls["spec"]["tls"] = [{"hosts": ["tls.example.com"], "secretName": "other/secret"}]
    long_host = _ingress("long", "nginx", {})
    long_host["spec"]["rules"][0]["host"] = ".".join(["a" * 63] * 4) + ".test"  # 260 characters
    src = tmp_path / "in.json"
    src.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [bad_ns, tls, long_host]}))
    result = run(Options(paths=[str(src)]))
    invalid = [f for f in result.report.findings if f.code.value == "input.invalid-object"]
    messages = " | ".join(f.message for f in invalid)
    assert "'Bad_NS' is not a DNS label" in messages and "got 'other/secret'" in messages, messages
    assert any("not a valid DNS name" in f.message for f in invalid), messages
    assert all(f.location.line > 0 for f in invalid)
    assert result.report.ingresses.get(next(f.obj for f in invalid if "Bad_NS" in f.message)) != "converted"
    names = _names(result.objects)
    assert not [n for n in names if "/" in n or "Bad_NS" in n or len(n) > 253], names


def test_object_and_backend_names_the_api_server_refuses_never_reach_the_output(tmp_path):
    """Found by the fuzz suite: a backend Service name of 300 characters was copied into a backendRef (invalid
    HTTPRoute); names that are not DNS names (an upper-case Ingress, a Service named '9lives') were read."""
    long_backend = _ingress("longsvc", "nginx", {})
    long_backend["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] = "x" * 300
    bad_port = _ingress("badport", "nginx", {})
    bad_port["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"] = {"name": "HTTP_PORT"}
    upper = _ingress("upper", "nginx", {})
    upper["metadata"]["name"] = "Upper"
    empty = _ingress("empty", "nginx", {})
    empty["metadata"]["name"] = ""
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "9lives", "namespace": "shop"},
               "spec": {"ports": [{"name": "http", "port": 80}]}}
    good = _ingress("good", "nginx", {})
    src = tmp_path / "in.json"
    src.write_text(json.dumps({"apiVersion": "v1", "kind": "List",
                               "items": [long_backend, bad_port, upper, empty, service, good]}))
    result = run(Options(paths=[str(src)]))
    messages = [f.message for f in result.report.findings if f.code.value == "input.invalid-object"]
    text = " | ".join(messages)
    assert "backend.service.name: expected a Service name (a DNS-1035 label" in text, text
    assert "backend.service.port: expected a port name (an IANA service name" in text, text
    assert "metadata.name 'Upper' is not a Ingress name" in text and "metadata.name '9lives' is not a Service" in text
    assert "metadata.name: expected a string, got an empty string" in text, text
    assert not any("MarkedMap" in m or "got a map" in m for m in messages), text  # one finding per problem
    names = _names(result.objects) + [ref["name"] for o in result.objects for r in o.get("spec", {}).get("rules", [])
                                      for ref in r.get("backendRefs", [])]
    assert "web" in names and not [n for n in names if len(n) > 63 or n in ("Upper", "9lives")], names


def test_control_characters_never_reach_any_rendering_of_the_report():
    """Found by the fuzz suite: a DEL in an annotation value and in a ConfigMap value was written raw into the
    JSON report, and an ESC sequence or a line starting with '::error::' reached the terminal and CI logs."""
    from ingress2gw.report.formats import render
    from ingress2gw.report import Report

    hostile = "a\x1b[31mred\x07\r\n::error::injected\x7f\u202e\x9b"
    configmap = {"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
                 "data": {"forwarded-for-header": hostile}}
    ing = _ingress("ctl", "nginx", {NGINX + "configuration-snippet": hostile, NGINX + "rewrite-target": hostile,
                                    "example.com/unknown\x1b": hostile})
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        src = f"{tmp}/in.json"
        with open(src, "w") as fh:
            json.dump({"apiVersion": "v1", "kind": "List", "items": [configmap, ing]}, fh)
        result = run(Options(paths=[src]))
    assert isinstance(result.report, Report)
    import re

    control = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]")
    for fmt in ("text", "json", "sarif", "github", "markdown", "html"):
        out = render(result.report, fmt, tool_version="test")
        found = control.search(out)
        assert found is None, (fmt, out[max(0, found.start() - 60):found.end() + 60])
        if fmt in ("text", "github"):  # the line-oriented ones a CI log shows: no workflow command of the input's own
            assert not re.search(r"^::error::injected", out, re.M), fmt
    assert any("\\x1b[31mred" in f.message or "\\x1b[31mred" in (f.value or "") for f in result.report.findings)


def test_emitter_value_helpers_refuse_numbers_they_cannot_hold():
    """Sizes, durations and status codes of thousands of digits (int() refuses them) or hundreds (a float
    overflows to infinity) are not values: the helpers say None, never raise."""
    from ingress2gw.emitters.envoy_gateway.values import duration_ms, status_matches
    from ingress2gw.emitters.kgateway.traffic import nginx_bytes as kgateway_bytes
    from ingress2gw.emitters.nginx_gateway_fabric.values import duration_ms as ngf_ms, nginx_bytes

    huge = "9" * 5000
    assert duration_ms(huge) is None and duration_ms("9" * 400 + "s") is None and ngf_ms("9" * 400 + "s") is None
    assert status_matches([huge]) is None
    assert nginx_bytes(huge + "k") is None and kgateway_bytes(huge) is None
    assert (duration_ms("1m30s"), ngf_ms("1.5s"), nginx_bytes("8k"), kgateway_bytes("1m")) == (90000, 1500, 8192,
                                                                                               1 << 20)


def test_a_service_port_out_of_range_is_reported_not_a_traceback(tmp_path):
    """Found by the fuzz suite: a Service port 0 named like the backend's port gave a backendRef with port 0, a
    validation error and a traceback."""
    ing = _ingress("named", "nginx", {})
    ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"] = {"name": "http"}
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
           "spec": {"ports": [{"name": "http", "port": 0}, {"name": "http", "port": 70000}]}}
    src = tmp_path / "in.json"
    src.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [ing, svc]}))
    result = run(Options(paths=[str(src)]))
    bad = [f for f in result.report.findings if f.code.value == "input.invalid-object"]
    assert [f.message for f in bad] == ["spec.ports.0.port: expected a port between 1 and 65535, got 0",
                                        "spec.ports.1.port: expected a port between 1 and 65535, got 70000"]
    ports = [ref.get("port") for o in result.objects for r in o.get("spec", {}).get("rules", [])
             for ref in r.get("backendRefs", [])]
    assert 0 not in ports and 70000 not in ports
