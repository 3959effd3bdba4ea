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
    return TraefikSimulator(inv.ingresses, inv.services, **kw)


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
