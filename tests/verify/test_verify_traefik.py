"""Traefik simulator core cases: rule-length priority, character PathPrefix, entry points and router.tls,
the default backend as the lowest-priority router, one-label wildcards."""

from __future__ import annotations

from fractions import Fraction

from ingress2gw.verify.model import Request
from ingress2gw.verify.traefik import TraefikSimulator
from test_verify_nginx import inventory

T = "traefik.ingress.kubernetes.io/"


def ing(name, rules, annotations=None, tls=None, default=None):
    spec = {"ingressClassName": "traefik", "rules": rules}
    if tls:
        spec["tls"] = tls
    if default:
        spec["defaultBackend"] = {"service": {"name": default, "port": {"number": 80}}}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": "d", "annotations": annotations or {}}, "spec": spec}


def rule(host, *paths):
    return {"host": host, "http": {"paths": [
        {"path": p, "pathType": t, "backend": {"service": {"name": svc, "port": {"number": 80}}}}
        for p, t, svc in paths]}}


def sim(*objs, **kw):
    inv = inventory(list(objs))
    return TraefikSimulator(inv.ingresses, inv.services, middlewares=inv.others.get("Middleware", []), **kw)


def backend(d):
    assert d.kind == "backend", d
    assert d.backends[0][1] == Fraction(1)
    return d.backends[0][0]


def test_priority_is_rule_length_and_prefix_is_character_prefix():
    s = sim(ing("a", [rule("a.com", ("/ab", "Exact", "exact"), ("/a", "Prefix", "short"),
                           ("/abc", "ImplementationSpecific", "long"))]))
    # Host(`a.com`) && PathPrefix(`/a`) (33 chars) outranks Host(`a.com`) && Path(`/ab`) (28 chars)
    assert backend(s.decide(Request("a.com", "/ab"))) == "d/short:80"
    assert backend(s.decide(Request("a.com", "/abcd"))) == "d/long:80"
    assert backend(s.decide(Request("a.com", "/ax"))) == "d/short:80"  # character prefix
    assert s.decide(Request("b.com", "/a")).kind == "not-found"


def test_router_priority_annotation():
    s = sim(ing("low", [rule("a.com", ("/", "Prefix", "root"))], {T + "router.priority": "100"}),
            ing("high", [rule("a.com", ("/api", "Prefix", "api"))]))
    assert backend(s.decide(Request("a.com", "/api"))) == "d/root:80"


def test_entrypoints_and_tls():
    s = sim(ing("both", [rule("both.com", ("/", "Prefix", "both"))], tls=[{"hosts": ["both.com"]}]),
            ing("secure", [rule("s.com", ("/", "Prefix", "s"))], {T + "router.tls": "true"},
                tls=[{"hosts": ["s.com"]}]),
            ing("plain", [rule("p.com", ("/", "Prefix", "p"))], {T + "router.entrypoints": "web"},
                tls=[{"hosts": ["p.com"]}]))
    assert backend(s.decide(Request("both.com", "/", "http"))) == "d/both:80"  # spec.tls: no redirect
    assert backend(s.decide(Request("both.com", "/", "https"))) == "d/both:80"
    assert s.decide(Request("s.com", "/", "http")).kind == "not-found"
    assert backend(s.decide(Request("s.com", "/", "https"))) == "d/s:80"
    assert backend(s.decide(Request("p.com", "/", "http"))) == "d/p:80"
    assert s.decide(Request("p.com", "/", "https")).kind == "not-found"


def test_default_backend_and_wildcards():
    s = sim(ing("fallback", [], default="fb"), ing("w", [rule("*.a.com", ("/", "Prefix", "w"))]))
    assert backend(s.decide(Request("x.a.com", "/q"))) == "d/w:80"
    assert backend(s.decide(Request("x.y.a.com", "/q"))) == "d/fb:80"  # one label only
    assert backend(s.decide(Request("other.com", "/"))) == "d/fb:80"


def test_strict_prefix_option():
    s = sim(ing("a", [rule("a.com", ("/api", "Prefix", "api"))]), strict_prefix=True)
    assert s.decide(Request("a.com", "/apix")).kind == "not-found"
    assert backend(s.decide(Request("a.com", "/api/x"))) == "d/api:80"


# -- middlewares ------------------------------------------------------------------------------------------------


def mw(name, spec, ns="d", group="traefik.io"):
    return {"apiVersion": f"{group}/v1alpha1", "kind": "Middleware", "metadata": {"name": name, "namespace": ns},
            "spec": spec}


def msim(middlewares: str, *objs, path=("/api", "Prefix", "api"), tls=None):
    return sim(ing("a", [rule("a.com", path)], {T + "router.middlewares": middlewares}, tls=tls), *objs)


def test_strip_prefix_is_a_character_prefix_and_sets_x_forwarded_prefix():
    s = msim("d-strip@kubernetescrd", mw("strip", {"stripPrefix": {"prefixes": ["/api"]}}))
    d = s.decide(Request("a.com", "/api/v1", query="q=1"))
    assert (d.path, d.headers) == ("/v1?q=1", (("set", "x-forwarded-prefix", "/api"),))
    assert s.decide(Request("a.com", "/apix")).path == "/x"  # character prefix: /apix → /x
    assert s.decide(Request("a.com", "/api")).path == "/"  # empty path, sent as /


def test_chain_of_both_groups_applies_in_order():
    s = msim("d-chain@kubernetescrd",
             mw("chain", {"chain": {"middlewares": [{"name": "strip"}, {"name": "add"}]}}),
             mw("strip", {"stripPrefix": {"prefixes": ["/api"]}}),
             mw("add", {"addPrefix": {"prefix": "/v2"}}, group="traefik.containo.us"))
    assert s.decide(Request("a.com", "/api/users")).path == "/v2/users"
    assert s.decide(Request("a.com", "/api")).path == "/v2"


def test_replace_path_keeps_the_old_path_in_x_replaced_path():
    d = msim("d-rp@kubernetescrd", mw("rp", {"replacePath": {"path": "/new"}})).decide(Request("a.com", "/api/x"))
    assert (d.path, d.headers) == ("/new", (("set", "x-replaced-path", "/api/x"),))


def test_redirect_scheme_only_when_the_scheme_differs():
    s = msim("d-https@kubernetescrd", mw("https", {"redirectScheme": {"scheme": "https", "permanent": True}}),
             tls=[{"hosts": ["a.com"]}])
    d = s.decide(Request("a.com", "/api/x", query="a=1"))
    assert (d.kind, d.status, d.location) == ("redirect", 301, "https://a.com/api/x?a=1")
    assert s.decide(Request("a.com", "/api/x", method="POST")).status == 308
    assert backend(s.decide(Request("a.com", "/api/x", "https"))) == "d/api:80"
    t = msim("d-tmp@kubernetescrd", mw("tmp", {"redirectScheme": {"scheme": "https"}}))
    assert t.decide(Request("a.com", "/api")).status == 302


def test_headers_request_and_response():
    s = msim("d-h@kubernetescrd", mw("h", {"headers": {
        "customRequestHeaders": {"X-Team": "shop", "X-Debug": ""},
        "customResponseHeaders": {"X-Served-By": "gw"}, "frameDeny": True}}))
    d = s.decide(Request("a.com", "/api"))
    assert d.headers == (("remove", "x-debug", ""), ("set", "x-team", "shop"))
    assert d.response_headers == (("set", "x-frame-options", "DENY"), ("set", "x-served-by", "gw"))


def test_unresolved_middleware_leaves_the_router_out():
    # missing, another provider, no provider: the router is not built (404 here, as no other router matches)
    for ref in ("d-missing@kubernetescrd", "compress@file", "plain"):
        assert msim(ref).decide(Request("a.com", "/api")).kind == "not-found", ref
    # ambiguous: d-a-b is both d/a-b and d-a/b
    amb = msim("d-a-b@kubernetescrd", mw("a-b", {"addPrefix": {"prefix": "/1"}}),
               mw("b", {"addPrefix": {"prefix": "/2"}}, ns="d-a"))
    assert amb.decide(Request("a.com", "/api")).kind == "not-found"
    # another router that matches still serves the request
    s = sim(ing("a", [rule("a.com", ("/api", "Prefix", "api"))], {T + "router.middlewares": "d-missing@kubernetescrd"}),
            ing("b", [rule("a.com", ("/", "Prefix", "root"))]))
    assert backend(s.decide(Request("a.com", "/api"))) == "d/root:80"
