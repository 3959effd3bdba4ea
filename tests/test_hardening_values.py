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
