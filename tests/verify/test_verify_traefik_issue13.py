"""Issue 13: Traefik routing semantics in the simulator (character PathPrefix, hostless routers and fall-through,
router.priority, redirect status per method, the headers Traefik adds, entry-point ports), and ``verify`` on the
fixtures/traefik/13-* cases with requests verify does not derive (other methods, ports)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES
from ingress2gw.verify.command import verify
from ingress2gw.verify.model import Request
from test_verify_fixtures import options_for
from test_verify_traefik import T, backend, ing, msim, mw, rule, sim

CASES = sorted(p.parent for p in (FIXTURES / "traefik").glob("13-*/case.yaml"))


def test_path_prefix_is_a_character_prefix():
    s = sim(ing("a", [rule("a.com", ("/api", "Prefix", "api"), ("/", "Prefix", "web"))]))
    assert backend(s.decide(Request("a.com", "/apiv2"))) == "d/api:80"
    assert backend(s.decide(Request("a.com", "/ap"))) == "d/web:80"
    t = sim(ing("a", [rule("a.com", ("/v1/", "Prefix", "v1"), ("/", "Prefix", "web"))]))
    assert backend(t.decide(Request("a.com", "/v1"))) == "d/web:80"  # /v1/ is not a prefix of /v1


def test_hostless_routers_share_the_muxer_with_every_host():
    s = sim(ing("app", [rule("h.com", ("/app", "Prefix", "app"))]),
            ing("any", [rule(None, ("/app/x", "Prefix", "app-x"), ("/", "Prefix", "fallback"))]))
    assert backend(s.decide(Request("h.com", "/other"))) == "d/fallback:80"  # falls through
    # Host(`h.com`) && PathPrefix(`/app`) (35 bytes) outranks PathPrefix(`/app/x`) (20 bytes)
    assert backend(s.decide(Request("h.com", "/app/x"))) == "d/app:80"
    assert backend(s.decide(Request("other.com", "/app/x"))) == "d/app-x:80"


def test_router_priority_overrides_the_length_and_zero_is_unset():
    s = sim(ing("root", [rule("a.com", ("/", "Prefix", "root"))], {T + "router.priority": "100"}),
            ing("api", [rule("a.com", ("/api", "Prefix", "api"))]))
    assert backend(s.decide(Request("a.com", "/api/x"))) == "d/root:80"
    z = sim(ing("zero", [rule("z.com", ("/a", "Prefix", "prefix"))], {T + "router.priority": "0"}),
            ing("exact", [rule("z.com", ("/ab", "Exact", "exact"))]))
    assert backend(z.decide(Request("z.com", "/ab"))) == "d/prefix:80"  # 0 = rule length (33 > 28)
    n = sim(ing("neg", [rule("n.com", ("/long", "Prefix", "long"))], {T + "router.priority": "-5"}),
            ing("root", [rule("n.com", ("/", "Prefix", "root"))]))
    assert backend(n.decide(Request("n.com", "/long"))) == "d/root:80"


@pytest.mark.parametrize("permanent,method,status", [
    (True, "GET", 301), (True, "HEAD", 308), (True, "POST", 308), (True, "PUT", 308),
    (False, "GET", 302), (False, "HEAD", 307), (False, "POST", 307), ("true", "DELETE", 308), ("false", "GET", 302),
])
def test_redirect_scheme_status_per_method(permanent, method, status):
    s = msim("d-r@kubernetescrd", mw("r", {"redirectScheme": {"scheme": "https", "permanent": permanent}}))
    d = s.decide(Request("a.com", "/api", method=method))
    assert (d.kind, d.status, d.location) == ("redirect", status, "https://a.com/api")


def test_headers_traefik_adds():
    s = msim("d-s@kubernetescrd", mw("s", {"stripPrefix": {"prefixes": ["/api/"]}}), path=("/api/", "Prefix", "api"))
    d = s.decide(Request("a.com", "/api/v1"))
    assert (d.path, d.headers) == ("/v1", (("set", "x-forwarded-prefix", "/api/"),))  # as configured
    # replacePath sends the path as the middlewares before it left it, even when stripPrefix cut all of it
    r = msim("d-s@kubernetescrd,d-r@kubernetescrd", mw("s", {"stripPrefix": {"prefixes": ["/api"]}}),
             mw("r", {"replacePath": {"path": "/index.html"}}))
    assert r.decide(Request("a.com", "/api")).headers == (
        ("set", "x-forwarded-prefix", "/api"), ("set", "x-replaced-path", ""))
    assert dict((n, v) for _, n, v in r.decide(Request("a.com", "/api/x")).headers)["x-replaced-path"] == "/x"


def test_digest_auth_remove_header():
    s = msim("d-h@kubernetescrd,d-a@kubernetescrd", mw("h", {"headers": {"customRequestHeaders": {
        "Authorization": "Basic x"}}}), mw("a", {"digestAuth": {"secret": "users", "removeHeader": True}}))
    assert s.decide(Request("a.com", "/api")).headers == (("remove", "authorization", ""),)


def test_only_the_entry_point_ports_answer():
    s = sim(ing("a", [rule("a.com", ("/", "Prefix", "web"))], tls=[{"hosts": ["a.com"]}]))
    assert backend(s.decide(Request("a.com", "/", port=80))) == "d/web:80"
    assert backend(s.decide(Request("a.com", "/", "https", port=443))) == "d/web:80"
    for scheme, port in (("http", 8080), ("http", 8000), ("https", 8443), ("http", 443)):
        assert s.decide(Request("a.com", "/", scheme, port=port)).kind == "unserved"


def _run(case: Path, emitter: str, requests: str | None):
    import dataclasses
    import os

    cwd = os.getcwd()
    os.chdir(case)
    try:
        return verify(dataclasses.replace(options_for(case), emitter=emitter), requests_file=requests)
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("emitter", ["standard", "traefik", "envoy-gateway"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_issue13_fixtures_verify_with_their_requests(case: Path, emitter: str):
    extra = case / "requests.yaml"
    result = _run(case, emitter, str(extra) if extra.exists() else None)
    assert not list(result.unexplained), [d.request.label() for d in result.unexplained]
    for d in result.differences:
        for e in d.explanations:
            assert e.findings and all(f.dimensions & e.aspect.accepts for f in e.findings)


def test_redirect_status_differences_are_the_non_get_methods_and_explained_as_redirects():
    result = _run(FIXTURES / "traefik" / "13-redirect-status", "standard",
                  str(FIXTURES / "traefik" / "13-redirect-status" / "requests.yaml"))
    got = {(d.request.host, d.request.method, d.source.status, d.gateway.status) for d in result.differences}
    assert got == {("p.example.com", "POST", 308, 301), ("p.example.com", "HEAD", 308, 301),
                   ("p.example.com", "PUT", 308, 301), ("t.example.com", "POST", 307, 302),
                   ("t.example.com", "HEAD", 307, 302)}
    for d in result.differences:
        assert {e.aspect.name for e in d.explanations} == {"redirect-status"}
        assert all(f.code.value == "annotation.lossy" for e in d.explanations for f in e.findings)


def test_hostless_fall_through_is_kept_on_the_gateway():
    result = _run(FIXTURES / "traefik" / "13-hostless-routers", "standard", None)
    labels = {d.request.label() for d in result.differences}
    assert "http://h.example.com/" not in labels and "http://h.example.com/ingress2gw-unmatched" not in labels
    assert "http://h.example.com/app/x" in labels  # the priority difference, explained by route.priority
    (d,) = [d for d in result.differences if d.request.label() == "http://h.example.com/app/x"]
    assert "route.priority" in {f.code.value for e in d.explanations for f in e.findings}
