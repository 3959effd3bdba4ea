"""The Gateway simulator applies the implementation objects the emitters write (``verify/implementations.py``):
Traefik Middlewares, Envoy Gateway HTTPRouteFilters, kgateway TrafficPolicy / DirectResponse, and records what
it cannot model in ``Decision.unsimulated``."""

from __future__ import annotations

import re

import pytest

from ingress2gw.pipeline import Options, run
from ingress2gw.verify.gateway import GatewaySimulator
from ingress2gw.verify.implementations import _go_expand, _re2_expand, _replace_all
from ingress2gw.verify.model import BACKEND, ERROR, NOT_FOUND, REDIRECT, Decision, Request

GW = "gateway.networking.k8s.io"
NS = "shop"
GATEWAY = {"apiVersion": f"{GW}/v1", "kind": "Gateway", "metadata": {"name": "gw", "namespace": NS},
           "spec": {"listeners": [{"name": "http", "port": 80, "protocol": "HTTP"},
                                  {"name": "https", "port": 443, "protocol": "HTTPS"}]}}


def route(*rules: dict, name: str = "r", kind: str = "HTTPRoute", labels: dict | None = None) -> dict:
    meta = {"name": name, "namespace": NS, **({"labels": labels} if labels else {})}
    return {"apiVersion": f"{GW}/v1", "kind": kind, "metadata": meta,
            "spec": {"parentRefs": [{"name": "gw"}], "hostnames": ["a.test"], "rules": list(rules)}}


def rule(*filters: dict, path: str = "/", name: str | None = None) -> dict:
    r = {"matches": [{"path": {"type": "PathPrefix", "value": path}}], "filters": list(filters),
         "backendRefs": [{"name": "app", "port": 80}]}
    return {**r, "name": name} if name else r


def ext(kind: str, name: str, group: str) -> dict:
    return {"type": "ExtensionRef", "extensionRef": {"group": group, "kind": kind, "name": name}}


def obj(api: str, kind: str, name: str, spec: dict, **meta) -> dict:
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": NS, **meta}, "spec": spec}


def decide(objects: list[dict], path: str = "/", **req) -> Decision:
    return GatewaySimulator([GATEWAY, *objects]).decide(Request(host="a.test", path=path, **req))


# -- Traefik Middlewares (ExtensionRef group traefik.io, kind Middleware) ------------------------------------------


def mw(name: str, spec: dict) -> dict:
    return obj("traefik.io/v1alpha1", "Middleware", name, spec)


def with_mw(spec: dict, path: str, **req) -> Decision:
    return decide([route(rule(ext("Middleware", "m", "traefik.io"))), mw("m", spec)], path, **req)


def test_traefik_strip_prefix_first_character_prefix_and_forwarded_prefix():
    d = with_mw({"stripPrefix": {"prefixes": ["/app", "/api"]}}, "/apiv1/x", query="q=1")
    assert (d.kind, d.path, d.headers) == (BACKEND, "/v1/x?q=1", (("set", "x-forwarded-prefix", "/api"),))
    assert with_mw({"stripPrefix": {"prefixes": ["/api"]}}, "/api").path == "/"  # empty path is sent as /
    assert with_mw({"stripPrefix": {"prefixes": ["/api"]}}, "/other").headers == ()


def test_traefik_strip_prefix_regex_only_at_the_start():
    spec = {"stripPrefixRegex": {"regex": ["/v[0-9]+"]}}
    d = with_mw(spec, "/v1/x")
    assert (d.path, d.headers) == ("/x", (("set", "x-forwarded-prefix", "/v1"),))
    assert with_mw(spec, "/a/v1/x").path == "/a/v1/x"


def test_traefik_add_prefix():
    assert with_mw({"addPrefix": {"prefix": "/v2"}}, "/x").path == "/v2/x"


def test_traefik_replace_path_keeps_the_old_path_in_a_header():
    d = with_mw({"replacePath": {"path": "/legacy/index.html"}}, "/home")
    assert (d.path, d.headers) == ("/legacy/index.html", (("set", "x-replaced-path", "/home"),))


def test_traefik_replace_path_regex_go_replacement():
    spec = {"replacePathRegex": {"regex": "^/old/(.*)", "replacement": "/new/${1}"}}
    d = with_mw(spec, "/old/a/b")
    assert (d.path, d.headers) == ("/new/a/b", (("set", "x-replaced-path", "/old/a/b"),))
    assert with_mw(spec, "/other").headers == ()  # no match: untouched, no header


def test_traefik_redirect_scheme_codes_and_same_url():
    spec = {"redirectScheme": {"scheme": "https", "permanent": True}}
    d = with_mw(spec, "/x", query="a=1")
    assert (d.kind, d.status, d.location) == (REDIRECT, 301, "https://a.test/x?a=1")
    assert with_mw(spec, "/x", method="POST").status == 308
    assert with_mw({"redirectScheme": {"scheme": "https"}}, "/x").status == 302
    assert with_mw(spec, "/x", scheme="https").kind == BACKEND  # already https: no redirect
    d = with_mw({"redirectScheme": {"scheme": "https", "port": "8443"}}, "/x")
    assert d.location == "https://a.test:8443/x"


def test_traefik_redirect_regex():
    spec = {"redirectRegex": {"regex": r"^http://a\.test/docs/(.*)", "replacement": "https://docs.test/${1}"}}
    d = with_mw(spec, "/docs/x")
    assert (d.kind, d.status, d.location) == (REDIRECT, 302, "https://docs.test/x")
    assert with_mw(spec, "/other").kind == BACKEND


def test_traefik_headers():
    spec = {"headers": {"customRequestHeaders": {"X-Team": "shop", "X-Debug": ""},
                        "customResponseHeaders": {"X-Served-By": "gw", "Server": ""},
                        "frameDeny": True, "contentTypeNosniff": True}}
    d = with_mw(spec, "/")
    assert d.headers == (("remove", "x-debug", ""), ("set", "x-team", "shop"))
    assert d.response_headers == (("remove", "server", ""), ("set", "x-content-type-options", "nosniff"),
                                  ("set", "x-frame-options", "DENY"), ("set", "x-served-by", "gw"))
    assert d.unsimulated == ()


def test_traefik_headers_unmodelled_fields_are_recorded():
    d = with_mw({"headers": {"stsSeconds": 300, "accessControlAllowOriginList": ["*"]}}, "/")
    assert d.unsimulated == ("Middleware shop/m headers.stsSeconds",
                             "Middleware shop/m headers.accessControlAllowOriginList")


def test_traefik_chain_in_order_and_nested():
    objects = [route(rule(ext("Middleware", "c", "traefik.io"))),
               mw("c", {"chain": {"middlewares": [{"name": "inner"}, {"name": "add"}]}}),
               mw("inner", {"chain": {"middlewares": [{"name": "strip"}]}}),
               mw("strip", {"stripPrefix": {"prefixes": ["/api"]}}), mw("add", {"addPrefix": {"prefix": "/v2"}})]
    assert decide(objects, "/api/x").path == "/v2/x"


def test_traefik_access_control_passes_and_unknown_kinds_are_recorded():
    assert with_mw({"basicAuth": {"secret": "users"}}, "/x").unsimulated == ()
    d = with_mw({"plugin": {"geoblock": {}}}, "/x")
    assert (d.kind, d.path, d.unsimulated) == (BACKEND, "/x", ("Middleware shop/m plugin",))


def test_missing_object_is_recorded_not_guessed():
    d = decide([route(rule(ext("Middleware", "kept", "traefik.io")))], "/x")
    assert (d.kind, d.path, d.unsimulated) == (BACKEND, "/x", ("Middleware shop/kept: not among the manifests",))


def test_unknown_extension_ref_kind_is_recorded():
    d = decide([route(rule(ext("Widget", "w", "example.com")))], "/x")
    assert d.unsimulated == ("ExtensionRef example.com/Widget shop/w: unknown filter kind",)
    assert d.to_dict()["notSimulated"] == list(d.unsimulated)
    assert "notSimulated" not in decide([route(rule())], "/x").to_dict()


# -- filter order ------------------------------------------------------------------------------------------------


def test_extension_ref_runs_in_order_with_the_other_filters():
    add = ext("Middleware", "add", "traefik.io")
    full = {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplaceFullPath", "replaceFullPath": "/fixed"}}}
    objects = [mw("add", {"addPrefix": {"prefix": "/v2"}})]
    assert decide([route(rule(add, full)), *objects], "/x").path == "/fixed"
    assert decide([route(rule(full, add)), *objects], "/x").path == "/v2/fixed"


def test_redirect_filter_sees_the_path_an_earlier_middleware_left():
    redirect = {"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}
    objects = [route(rule(ext("Middleware", "strip", "traefik.io"), redirect)),
               mw("strip", {"stripPrefix": {"prefixes": ["/api"]}})]
    assert decide(objects, "/api/x").location == "https://a.test/x"


def test_a_middleware_redirect_answers_before_later_filters():
    header = {"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "X-A", "value": "1"}]}}
    objects = [route(rule(ext("Middleware", "https", "traefik.io"), header)),
               mw("https", {"redirectScheme": {"scheme": "https"}})]
    d = decide(objects, "/x")
    assert (d.kind, d.via) == (REDIRECT, ("HTTPRoute shop/r",))


# -- Envoy Gateway HTTPRouteFilter -------------------------------------------------------------------------------


def hrf(spec: dict, path: str = "/", **req) -> Decision:
    objects = [route(rule(ext("HTTPRouteFilter", "f", "gateway.envoyproxy.io"))),
               obj("gateway.envoyproxy.io/v1alpha1", "HTTPRouteFilter", "f", spec)]
    return decide(objects, path, **req)


def test_envoy_gateway_replace_regex_match_replaces_every_match():
    rw = {"urlRewrite": {"path": {"type": "ReplaceRegexMatch", "replaceRegexMatch": {
        "pattern": "^/service/([^/]+)(/.*)$", "substitution": r"\2/instance/\1"}}}}
    assert hrf(rw, "/service/foo/v1/api", query="a=b").path == "/v1/api/instance/foo?a=b"
    every = {"urlRewrite": {"path": {"type": "ReplaceRegexMatch", "replaceRegexMatch": {
        "pattern": "o", "substitution": "0"}}}}
    assert hrf(every, "/foo/boo").path == "/f00/b00"


def test_envoy_gateway_hostname_rewrites():
    by_header = {"urlRewrite": {"hostname": {"type": "Header", "header": "X-Tenant"}, "appendXForwardedHost": False}}
    assert hrf(by_header, "/", headers=(("X-Tenant", "t1.internal"),)).host == "t1.internal"
    assert hrf(by_header, "/").host is None  # no header: no rewrite
    by_path = {"urlRewrite": {"hostname": {"type": "PathRegex", "pathRegex": {
        "pattern": "^/tenant/([a-z0-9-]+)/.*", "substitution": r"\1.example.internal"}}}}
    d = hrf(by_path, "/tenant/t1/api")
    assert (d.host, d.path) == ("t1.example.internal", "/tenant/t1/api")
    assert d.unsimulated == ("HTTPRouteFilter shop/f urlRewrite: X-Forwarded-Host",)


def test_envoy_gateway_direct_response():
    d = hrf({"directResponse": {"statusCode": 503, "body": {"inline": "down"}}})
    assert (d.kind, d.status) == (ERROR, 503)
    assert hrf({"directResponse": {"statusCode": 404}}).kind == NOT_FOUND


def test_envoy_gateway_unmodelled_fields_are_recorded():
    d = hrf({"credentialInjection": {"credential": {"valueRef": {"name": "s"}}}})
    assert d.unsimulated == ("HTTPRouteFilter shop/f credentialInjection (a header from a Secret)",)


# -- kgateway ----------------------------------------------------------------------------------------------------

KG = "gateway.kgateway.dev/v1alpha1"
REGEX = {"urlRewrite": {"pathRegex": {"pattern": "^/api/(v[0-9]+)/(.*)", "substitution": r"/\2/\1"}}}


def tp(name: str, spec: dict, *targets: dict, **meta) -> dict:
    refs = {"targetRefs": [{"group": GW, **t} for t in targets]} if targets else {}
    return obj(KG, "TrafficPolicy", name, {**refs, **spec}, **meta)


def test_kgateway_traffic_policy_on_the_route_rewrites_by_regex():
    objects = [route(rule()), tp("p", REGEX, {"kind": "HTTPRoute", "name": "r"})]
    assert decide(objects, "/api/v1/x", query="q").path == "/x/v1?q"
    assert decide(objects, "/other").path == "/other"


def test_kgateway_traffic_policy_with_section_name_attaches_to_that_rule_only():
    objects = [route(rule(path="/api", name="api"), rule(path="/web", name="web")),
               tp("p", {"urlRewrite": {"pathRegex": {"pattern": "^/[a-z]+", "substitution": "/x"}}},
                  {"kind": "HTTPRoute", "name": "r", "sectionName": "api"})]
    assert decide(objects, "/api/1").path == "/x/1"
    assert decide(objects, "/web/1").path == "/web/1"


def test_kgateway_the_most_specific_attachment_then_the_oldest_wins_per_field():
    header = {"headerModifiers": {"request": {"set": [{"name": "X-From", "value": "route"}]}}}
    objects = [route(rule(name="only")),
               tp("route-wide", {**REGEX, **header}, {"kind": "HTTPRoute", "name": "r"}),
               tp("on-rule", {"urlRewrite": {"pathRegex": {"pattern": "^/api", "substitution": "/rule"}}},
                  {"kind": "HTTPRoute", "name": "r", "sectionName": "only"})]
    d = decide(objects, "/api/v1/x")
    assert (d.path, d.headers) == ("/rule/v1/x", (("set", "x-from", "route"),))  # shallow merge per field
    older = [route(rule()),
             tp("b", REGEX, {"kind": "HTTPRoute", "name": "r"}, creationTimestamp="2024-01-01T00:00:00Z"),
             tp("a", {"urlRewrite": {"pathRegex": {"pattern": ".*", "substitution": "/a"}}},
                {"kind": "HTTPRoute", "name": "r"}, creationTimestamp="2024-02-01T00:00:00Z")]
    assert decide(older, "/api/v1/x").path == "/x/v1"


def test_kgateway_traffic_policy_through_extension_ref_has_the_highest_priority():
    objects = [route(rule(ext("TrafficPolicy", "mine", "gateway.kgateway.dev"))),
               tp("mine", {"urlRewrite": {"pathRegex": {"pattern": "^/api", "substitution": "/ext"}}}),
               tp("wide", REGEX, {"kind": "HTTPRoute", "name": "r"})]
    assert decide(objects, "/api/v1/x").path == "/ext/v1/x"


def test_kgateway_traffic_policy_on_the_gateway_and_listener():
    header = {"headerModifiers": {"response": {"add": [{"name": "X-Gw", "value": "1"}]}}}
    on_listener = {"headerModifiers": {"response": {"add": [{"name": "X-Gw", "value": "https"}]}}}
    objects = [route(rule()), tp("gw", header, {"kind": "Gateway", "name": "gw"}),
               tp("lst", on_listener, {"kind": "Gateway", "name": "gw", "sectionName": "https"})]
    assert decide(objects, "/").response_headers == (("add", "x-gw", "1"),)
    assert decide(objects, "/", scheme="https").response_headers == (("add", "x-gw", "https"),)


def test_kgateway_traffic_policy_by_target_selector():
    objects = [route(rule(), labels={"team": "shop"}),
               obj(KG, "TrafficPolicy", "sel", {"targetSelectors": [
                   {"group": GW, "kind": "HTTPRoute", "matchLabels": {"team": "shop"}}], **REGEX})]
    assert decide(objects, "/api/v1/x").path == "/x/v1"
    objects[1]["spec"]["targetSelectors"][0]["matchLabels"] = {"team": "ops"}
    assert decide(objects, "/api/v1/x").path == "/api/v1/x"


def test_kgateway_header_modifiers():
    spec = {"headerModifiers": {"request": {"set": [{"name": "X-A", "value": "1"}], "remove": ["Authorization"]},
                                "response": {"add": [{"name": "X-B", "value": "2"}]}}}
    d = decide([route(rule()), tp("p", spec, {"kind": "HTTPRoute", "name": "r"})], "/")
    assert d.headers == (("remove", "authorization", ""), ("set", "x-a", "1"))
    assert d.response_headers == (("add", "x-b", "2"),)


def test_kgateway_url_rewrite_is_for_httproutes_only():
    grpc = route({"backendRefs": [{"name": "app", "port": 80}]}, kind="GRPCRoute")
    d = decide([grpc, tp("p", REGEX, {"kind": "GRPCRoute", "name": "r"})], "/api/v1/x")
    assert d.path == "/api/v1/x"


def test_kgateway_url_rewrite_beside_a_url_rewrite_filter_is_recorded():
    prefix = {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}
    d = decide([route(rule(prefix, path="/api")), tp("p", REGEX, {"kind": "HTTPRoute", "name": "r"})], "/api/v1/x")
    assert d.path == "/v1/x"
    assert d.unsimulated == ("TrafficPolicy shop/p urlRewrite: and the rule's URLRewrite path filter "
                             "(Envoy keeps one path rewrite)",)


def test_kgateway_unmodelled_fields_are_recorded():
    spec = {"transformation": {"request": {"set": [{"name": "x", "value": "{{ header(\"y\") }}"}]}},
            "timeouts": {"request": "10s"}, "cors": {"allowOrigins": ["https://x.test"]}}
    objects = [route(rule()), tp("p", spec, {"kind": "HTTPRoute", "name": "r"})]
    assert decide(objects, "/").unsimulated == ("TrafficPolicy shop/p transformation",)
    with_origin = decide(objects, "/", headers=(("Origin", "https://x.test"),))
    assert set(with_origin.unsimulated) == {"TrafficPolicy shop/p transformation", "TrafficPolicy shop/p cors"}


def test_kgateway_direct_response():
    objects = [route(rule(ext("DirectResponse", "down", "gateway.kgateway.dev"))),
               obj(KG, "DirectResponse", "down", {"status": 503})]
    d = decide(objects, "/")
    assert (d.kind, d.status, d.via) == (ERROR, 503, ("HTTPRoute shop/r",))


# -- other implementations' objects ------------------------------------------------------------------------------


def test_nginx_gateway_fabric_filters():
    ngf = "gateway.nginx.org"
    objects = [route(rule(ext("AuthenticationFilter", "auth", ngf), ext("SnippetsFilter", "snip", ngf))),
               obj(f"{ngf}/v1alpha1", "AuthenticationFilter", "auth", {"type": "Basic"}),
               obj(f"{ngf}/v1alpha1", "SnippetsFilter", "snip", {"snippets": [{"context": "http.server.location",
                                                                               "value": "rewrite ^ /x;"}]})]
    d = decide(objects, "/a")
    assert (d.kind, d.path, d.unsimulated) == (BACKEND, "/a", ("SnippetsFilter shop/snip: raw NGINX snippets",))


def test_targeted_policies_that_would_change_the_answer_are_recorded():
    eg = "gateway.envoyproxy.io/v1alpha1"
    objects = [route(rule()),
               obj(eg, "BackendTrafficPolicy", "btp", {"targetRefs": [{"group": GW, "kind": "HTTPRoute", "name": "r"}],
                                                       "faultInjection": {"abort": {"httpStatus": 503}},
                                                       "timeout": {"http": {"requestTimeout": "5s"}}}),
               obj(eg, "EnvoyPatchPolicy", "patch", {"targetRef": {"group": GW, "kind": "Gateway", "name": "gw"},
                                                     "type": "JSONPatch"}),
               obj(eg, "SecurityPolicy", "sp", {"targetRefs": [{"group": GW, "kind": "HTTPRoute", "name": "r"}],
                                                "basicAuth": {"users": {"name": "u"}}})]
    assert decide(objects, "/").unsimulated == ("BackendTrafficPolicy shop/btp faultInjection.abort",
                                                "EnvoyPatchPolicy shop/patch")


# -- regex dialects ----------------------------------------------------------------------------------------------


def test_replace_all_skips_an_empty_match_after_a_match_as_re2_and_go_do():
    assert _replace_all(re.compile("x*"), "abxd", lambda m: "-") == "-a-b-d-"  # re.sub: "-a-b--d-"


def test_expansions():
    m = re.fullmatch(r"/(?P<a>\w+)/(\w+)", "/one/two")
    assert _go_expand(m, "${1}x $2 $1x $$ ${a} $") == "onex two  $ one $"
    assert _re2_expand(m, r"\2\10\\") == "twoone0\\"
    with pytest.raises(ValueError):
        _re2_expand(m, r"\q")


# -- end to end: the emitters' output for a regex rewrite-target ---------------------------------------------------

INGRESS = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: api
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/use-regex: "true"
    nginx.ingress.kubernetes.io/rewrite-target: "{target}"
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: "{path}"
        pathType: ImplementationSpecific
        backend: {{service: {{name: api, port: {{number: 80}}}}}}
"""
EMITTERS = {"kgateway": "TrafficPolicy", "envoy-gateway": "HTTPRouteFilter", "traefik": "Middleware"}


def _converted(tmp_path, emitter: str, path: str, target: str) -> list[dict]:
    src = tmp_path / "in.yaml"
    src.write_text(INGRESS.format(path=path, target=target))
    return run(Options(paths=[str(src)], emitter=emitter)).objects


@pytest.mark.parametrize("emitter", sorted(EMITTERS))
def test_end_to_end_prefix_idiom(tmp_path, emitter):
    """``/api(/|$)(.*)`` + ``/$2``: the translator recognises the prefix idiom (a standard URLRewrite)."""
    sim = GatewaySimulator(_converted(tmp_path, emitter, "/api(/|$)(.*)", "/$2"))
    d = sim.decide(Request(host="shop.example.com", path="/api/v1/x"))
    assert (d.kind, d.path, d.unsimulated) == (BACKEND, "/v1/x", ())


@pytest.mark.parametrize("emitter", sorted(EMITTERS))
def test_end_to_end_regex_rewrite_held_by_the_implementation(tmp_path, emitter):
    objects = _converted(tmp_path, emitter, "/api/(v[0-9]+/.*)", "/$1")
    assert EMITTERS[emitter] in {o["kind"] for o in objects}  # the rewrite is in the implementation's object
    d = GatewaySimulator(objects).decide(Request(host="shop.example.com", path="/api/v1/x", query="a=1"))
    assert (d.kind, d.path, d.unsimulated) == (BACKEND, "/v1/x?a=1", ())
    if emitter == "traefik":  # replacePathRegex also sends the original path
        assert d.headers == (("set", "x-replaced-path", "/api/v1/x"),)
