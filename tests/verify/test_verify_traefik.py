"""Traefik simulator core cases: rule-length priority, character PathPrefix, entry points and router.tls,
the default backend as the lowest-priority router, one-label wildcards; Middlewares, the regex ones
(stripPrefixRegex, replacePathRegex, redirectRegex with Go regexp and replacement semantics) and
basicAuth.removeHeader included."""

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


# -- regex middlewares and basicAuth.removeHeader (Traefik v3: stripPrefixRegex, replacePathRegex, redirectRegex) --


def test_strip_prefix_regex_cuts_the_first_matching_prefix():
    s = msim("d-sr@kubernetescrd", mw("sr", {"stripPrefixRegex": {"regex": ["/nomatch", " /api/v[0-9]+ "]}}))
    d = s.decide(Request("a.com", "/api/v12/users", query="q=1"))
    assert (d.path, d.headers) == ("/users?q=1", (("set", "x-forwarded-prefix", "/api/v12"),))
    assert s.decide(Request("a.com", "/api/v2x")).path == "/x"  # ensureLeadingSlash
    assert s.decide(Request("a.com", "/api/v2")).path == "/"  # empty path, sent as /
    # no match: the path is left alone and no header is added
    d = s.decide(Request("a.com", "/api/latest"))
    assert (d.path, d.headers) == ("/api/latest", ())


def test_strip_prefix_regex_needs_a_non_empty_match_at_the_start():
    # the leftmost match of /v[0-9]+ in /api/v1 is not a prefix: Traefik tries the next regex
    s = msim("d-sr@kubernetescrd", mw("sr", {"stripPrefixRegex": {"regex": ["/v[0-9]+", "x*", "/a(p)i"]}}))
    d = s.decide(Request("a.com", "/api/v1"))
    assert (d.path, d.headers) == ("/v1", (("set", "x-forwarded-prefix", "/api"),))  # x* matched empty: skipped


def test_replace_path_regex_go_replacement_with_captures():
    s = msim("d-rr@kubernetescrd", mw("rr", {"replacePathRegex": {
        "regex": "^/api/(?P<ver>v[0-9]+)/(.*)", "replacement": "/${2}/$ver/$$1"}}))
    d = s.decide(Request("a.com", "/api/v2/users/7", query="x=1"))
    assert (d.path, d.headers) == ("/users/7/v2/$1?x=1", (("set", "x-replaced-path", "/api/v2/users/7"),))
    # no match: nothing changes, no X-Replaced-Path
    d = s.decide(Request("a.com", "/api/latest"))
    assert (d.path, d.headers) == ("/api/latest", ())


def test_replace_path_regex_go_expansion_details():
    # $1x names the group "1x" (empty), ${1}x is group 1 then x; every match is replaced (ReplaceAllString)
    s = msim("d-a@kubernetescrd,d-b@kubernetescrd",
             mw("a", {"replacePathRegex": {"regex": "/api/(v[0-9])", "replacement": "/$1x-${1}x"}}),
             mw("b", {"replacePathRegex": {"regex": "o", "replacement": "0"}}))
    d = s.decide(Request("a.com", "/api/v1/foo"))
    assert d.path == "/-v1x/f00"
    assert d.headers == (("set", "x-replaced-path", "/-v1x/foo"),)  # the last replacement's old path
    # Go skips an empty match right after a match (Python's re.sub would not): x* on /axb → -/-a-b-
    t = msim("d-e@kubernetescrd", mw("e", {"replacePathRegex": {"regex": "x*", "replacement": "-"}}))
    assert t.decide(Request("a.com", "/apixb")).path == "-/-a-p-i-b-"
    # v3: an empty replacement deletes the match (v2 left the path alone); the old path is still sent
    u = msim("d-n@kubernetescrd", mw("n", {"replacePathRegex": {"regex": "^/api", "replacement": ""}}))
    d = u.decide(Request("a.com", "/api/x"))
    assert (d.path, d.headers) == ("/x", (("set", "x-replaced-path", "/api/x"),))
    # a result that is not a valid escaped path: Traefik answers 500
    v = msim("d-bad@kubernetescrd", mw("bad", {"replacePathRegex": {"regex": "^/api", "replacement": "/%zz"}}))
    assert (v.decide(Request("a.com", "/api")).kind, v.decide(Request("a.com", "/api")).status) == ("error", 500)


def test_redirect_regex_full_url_with_captures():
    s = msim("d-rx@kubernetescrd", mw("rx", {"redirectRegex": {
        "regex": r"^https?://a\.com/api/(.*)", "replacement": "https://api.example.com/${1}", "permanent": True}}),
             tls=[{"hosts": ["a.com"]}])
    d = s.decide(Request("a.com", "/api/users", query="page=2"))
    assert (d.kind, d.status, d.location) == ("redirect", 301, "https://api.example.com/users?page=2")
    assert s.decide(Request("a.com", "/api/users", "https", method="POST")).status == 308
    # no match (the regex wants /api/ with a slash): the request passes through unchanged
    d = s.decide(Request("a.com", "/api"))
    assert (backend(d), d.path, d.headers) == ("d/api:80", "/api", ())
    t = msim("d-tmp@kubernetescrd",
             mw("tmp", {"redirectRegex": {"regex": "^http://(.*)", "replacement": "https://$1"}}))
    assert (t.decide(Request("a.com", "/api")).status, t.decide(Request("a.com", "/api", method="PUT")).status) == \
        (302, 307)


def test_redirect_regex_sees_the_port_and_earlier_middlewares_and_no_self_redirect():
    s = msim("d-strip@kubernetescrd,d-rx@kubernetescrd",
             mw("strip", {"stripPrefix": {"prefixes": ["/api"]}}),
             mw("rx", {"redirectRegex": {"regex": r"^http://a\.com(:\d+)?/old/(.*)",
                                         "replacement": "http://a.com$1/new/$2"}}))
    # Nothing listens on :8080 (the entry points are reached on 80 and 443 of Traefik's Service).
    assert s.decide(Request("a.com", "/api/old/x", port=8080)).kind == "unserved"
    assert s.decide(Request("a.com", "/api/old/x")).location == "http://a.com/new/x"
    # the replacement gives the same URL back: no redirect, the request goes on
    t = msim("d-same@kubernetescrd", mw("same", {"redirectRegex": {"regex": "^(http://.*)$", "replacement": "$1"}}))
    assert backend(t.decide(Request("a.com", "/api/x"))) == "d/api:80"


def test_basic_auth_remove_header():
    s = msim("d-auth@kubernetescrd", mw("auth", {"basicAuth": {"secret": "users", "removeHeader": True}}))
    d = s.decide(Request("a.com", "/api", headers=(("Authorization", "Basic dTpw"),)))
    assert (backend(d), d.headers) == ("d/api:80", (("remove", "authorization", ""),))
    keep = msim("d-auth@kubernetescrd", mw("auth", {"basicAuth": {"secret": "users"}}))
    assert keep.decide(Request("a.com", "/api")).headers == ()
    # a later headers middleware that sets Authorization wins
    again = msim("d-auth@kubernetescrd,d-h@kubernetescrd",
                 mw("auth", {"basicAuth": {"secret": "users", "removeHeader": True}}),
                 mw("h", {"headers": {"customRequestHeaders": {"Authorization": "Bearer t"}}}))
    assert again.decide(Request("a.com", "/api")).headers == (("set", "authorization", "Bearer t"),)


def test_regex_dialect_go_rejects_is_a_build_error_and_python_limits_are_reported():
    # look-ahead is not RE2: Traefik cannot build the Middleware, so the router is left out
    for spec in ({"stripPrefixRegex": {"regex": ["/(?=api)"]}},
                 {"replacePathRegex": {"regex": r"(a)\1", "replacement": "/x"}},
                 {"redirectRegex": {"regex": "a++", "replacement": "/x"}}):
        assert msim("d-bad@kubernetescrd", mw("bad", spec)).decide(Request("a.com", "/api")).kind == "not-found", spec
    # RE2 syntax that Python cannot run: the request passes through, listed as not simulated
    d = msim("d-u@kubernetescrd", mw("u", {"replacePathRegex": {"regex": r"^/\pL+", "replacement": "/x"}})).decide(
        Request("a.com", "/api"))
    assert d.path == "/api" and d.unsimulated and "not simulated" in d.unsimulated[0]
    # Go's $ is the end of text, x{,2} is literal: translated
    s = msim("d-t@kubernetescrd", mw("t", {"replacePathRegex": {"regex": "^/api/[[:digit:]]+$", "replacement": "/n"}}))
    assert s.decide(Request("a.com", "/api/12")).path == "/n"
    assert s.decide(Request("a.com", "/api/12\n")).path == "/api/12\n"
