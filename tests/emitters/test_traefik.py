"""The Traefik emitter: Middlewares of the input kept (or copied) and attached with ExtensionRef filters, new
Middlewares generated from policy intents (exact specs), their order and chaining, what is refused and why,
the findings, and validity against Gateway API + the Traefik v3.7.9 CRDs."""

from __future__ import annotations

import ipaddress
import json

import pytest

from conftest import crdset_for

from ingress2gw.emitters.traefik import middlewares as tm
from ingress2gw.emitters.standard import EmitOptions
from ingress2gw.emitters.traefik import TraefikEmitter
from ingress2gw.gwapi import Target
from ingress2gw.model.ir import (
    CORS, ExternalAuth, HeaderModifier, IngressDraft, Match, Origin, PathMatch, PolicyIntent, RequestMirror, Retry,
    RuleDraft, ServiceBackend, URLRewrite,
)
from ingress2gw.model.policies import FAMILIES, BasicAuthPolicy
from ingress2gw.stages.merge import merge_hosts
from ingress2gw.stages.translate import GatewayDefaults, Translation
from ingress2gw.pipeline import Options, run
from ingress2gw.report import Code, Report
from ingress2gw.source.location import Location
from ingress2gw.validate import validate_object
from ingress2gw_traefik.middlewares import MiddlewareUse

O = Origin(namespace="app", name="ing", location=Location("in.yaml", 1, 1), annotation="x/y")
SVC = ServiceBackend(namespace="app", name="svc", port=80)


def pi(family: str, **params) -> PolicyIntent:
    return FAMILIES[family](origin=O, **params)


def rule(*intents, path="/", uses=(), host="a.example.com") -> RuleDraft:
    return RuleDraft(host=host, match=Match(path=PathMatch(type="PathPrefix", value=path)), backends=[SVC],
                     origin=O, intents=list(intents), unmapped=list(uses))


def use(name: str, kind: str, settings: dict, ns: str = "app", group: str = "traefik.io") -> MiddlewareUse:
    origin = Origin(kind="Middleware", namespace=ns, name=name, location=Location("mw.yaml", 3, 3),
                    annotation=f"Middleware.spec.{kind}")
    return MiddlewareUse(origin=origin, reason=f"Traefik Middleware {ns}/{name}", api_version=f"{group}/v1alpha1",
                         kind=kind, spec=json.dumps({kind: settings}))


def emit(*rules_, target=Target()):
    rules_ = list(rules_)
    d = IngressDraft(origin=O, provider="traefik", ingress_class="traefik", gateway="traefik", created="",
                     rules=rules_, hosts=sorted({r.host for r in rules_}, key=str))
    report = Report()
    em = TraefikEmitter(EmitOptions(target=target), report)
    objs = em.emit(merge_hosts(Translation([d], {d.gateway: GatewayDefaults(redirect_code=301)}), target, report))
    return objs, em, report


def middlewares(objs) -> dict:
    return {o["metadata"]["name"]: o["spec"] for o in objs if o["kind"] == "Middleware"}


def route_filters(objs) -> list[list[dict]]:
    return [r.get("filters", []) for o in objs if o["kind"] == "HTTPRoute" for r in o["spec"]["rules"]]


def spec_of(intent, *others):
    """The Middleware spec an intent becomes (or the refusal reason / [] for 'nothing needed')."""
    out = tm.render(intent, rule(intent, *others))
    return out.spec if isinstance(out, tm.Generated) else out


# -- generated Middlewares, family by family --------------------------------------------------------------

@pytest.mark.parametrize("intent,expected", [
    (pi("rate-limit", requests=10, period="1s", burst=50, key="client-ip", client_ip="tcp-peer"),
     {"rateLimit": {"average": 10, "period": "1s", "burst": 50}}),
    (pi("rate-limit", requests=600, period="1m", burst=5, key="header:X-Api-Key"),
     {"rateLimit": {"average": 600, "period": "1m", "burst": 5,
                    "sourceCriterion": {"requestHeaderName": "X-Api-Key"}}}),
    (pi("rate-limit", requests=5, period="1s", burst=5, key="client-ip", client_ip="x-forwarded-for"),
     {"rateLimit": {"average": 5, "period": "1s", "burst": 5, "sourceCriterion": {"ipStrategy": {"depth": 1}}}}),
    (pi("rate-limit", requests=0, period="1s"), []),
    (pi("connection-limit", connections=20, status=503),
     {"inFlightReq": {"amount": 20, "sourceCriterion": {"ipStrategy": {}}}}),
    (pi("in-flight", amount=7), {"inFlightReq": {"amount": 7}}),
    (pi("ip-allow", cidrs=("10.0.0.0/8",), status=403, client_ip="tcp-peer"),
     {"ipAllowList": {"sourceRange": ["10.0.0.0/8"]}}),
    (pi("ip-allow", cidrs=("10.0.0.0/8",), status=401, xff_depth=2),
     {"ipAllowList": {"sourceRange": ["10.0.0.0/8"], "ipStrategy": {"depth": 2}, "rejectStatusCode": 401}}),
    (pi("basic-auth", type="basic", secret="app/users", secret_type="auth-file", realm="Staff"),
     {"basicAuth": {"secret": "users", "realm": "Staff"}}),
    (pi("basic-auth", type="digest", secret="app/digest", secret_type="users", remove_header=True),
     {"digestAuth": {"secret": "digest", "removeHeader": True}}),
    (pi("ext-auth", url="http://auth.app.svc:8080/check", response_headers=("X-User",)),
     {"forwardAuth": {"address": "http://auth.app.svc:8080/check", "preserveRequestMethod": True,
                      "authResponseHeaders": ["X-User"]}}),
    (pi("ext-auth", url="https://sso.example.net/verify", method="GET", signin="https://sso.example.net/start"),
     {"forwardAuth": {"address": "https://sso.example.net/verify", "tls": {"insecureSkipVerify": True},
                      "authSigninURL": "https://sso.example.net/start"}}),
    (pi("body-size", max_bytes=8388608, text="8m", status=413), {"buffering": {"maxRequestBodyBytes": 8388608}}),
    (pi("body-size", max_bytes=0, text="0", status=413), []),
    (pi("client-body-buffer", bytes=65536, text="64k"), {"buffering": {"memRequestBodyBytes": 65536}}),
    (pi("proxy-buffering", requestBuffering=False), []),
    (pi("compression", encodings=("gzip", "brotli"), min_response_body_bytes=1024),
     {"compress": {"encodings": ["gzip", "br"], "minResponseBodyBytes": 1024}}),
    (pi("error-pages", codes=("500-599",), service="app/errors:8080", query="/{status}.html"),
     {"errors": {"status": ["500-599"], "service": {"name": "errors", "port": 8080}, "query": "/{status}.html"}}),
    (pi("regex-rewrite", pattern="(?i)^/user/([0-9]+)/profile.*", substitution="/profiles/\\1"),
     {"replacePathRegex": {"regex": "(?i)^/user/([0-9]+)/profile.*", "replacement": "/profiles/${1}"}}),
    (pi("regex-rewrite", pattern="^/v[0-9]+", substitution="/", strip=True),
     {"stripPrefixRegex": {"regex": ["^/v[0-9]+"]}}),
    (pi("circuit-breaker", expression="NetworkErrorRatio() > 0.30", response_code=503),
     {"circuitBreaker": {"expression": "NetworkErrorRatio() > 0.30", "responseCode": 503}}),
    (pi("grpc-web", allow_origins=("https://a.example",)), {"grpcWeb": {"allowOrigins": ["https://a.example"]}}),
    (pi("client-cert-forward", pem=True), {"passTLSClientCert": {"pem": True}}),
    (pi("encoded-characters", allowed=("allowEncodedSlash",)), {"encodedCharacters": {"allowEncodedSlash": True}}),
    (Retry(attempts=2, codes=(503, 502), backoff="100ms", origin=O),
     {"retry": {"attempts": 2, "status": ["502", "503"], "initialInterval": "100ms"}}),
    (ExternalAuth(backend=ServiceBackend(namespace="auth", name="oauth2", port=4180), path="/oauth2/auth",
                  allowed_response_headers=("X-User",), origin=O),
     {"forwardAuth": {"address": "http://oauth2.auth.svc.cluster.local:4180/oauth2/auth",
                      "preserveRequestMethod": True, "authResponseHeaders": ["X-User"]}}),
])
def test_generated_spec(intent, expected):
    assert spec_of(intent) == expected


@pytest.mark.parametrize("intent,others,reason", [
    (pi("basic-auth", type="basic", secret="other/users"), (), "another namespace"),
    (pi("ext-auth", url="http://auth.app.svc/check?u=$request_uri"), (), "NGINX variables"),
    (pi("error-pages", codes=(404,)), (), "default backend"),
    (pi("retry", budget="10s"), (), "needs a number of retries"),
    (pi("proxy-buffering", bufferSize="16k"), (), "no Traefik equivalent"),
    (pi("session-cookie", sameSite="Lax"), (), "TraefikService"),
    (pi("load-balancer", algorithm="ewma"), (), "Traefik Service"),
    (pi("waf", engine="modsecurity"), (), "plugin"),
])
def test_refused_with_reason(intent, others, reason):
    out = spec_of(intent, *others)
    assert isinstance(out, str) and reason in out


def test_retry_budget_joins_the_retry_of_the_same_rule():
    objs, em, _ = emit(rule(Retry(attempts=3, codes=(502,), origin=O), pi("retry", budget="10s")))
    assert middlewares(objs) == {"ing--retry": {"retry": {"attempts": 3, "status": ["502"], "timeout": "10s"}}}


def test_caveats_say_what_traefik_does_differently():
    out = tm.render(pi("rate-limit", requests=5, period="1s", burst=5, status=503, exempt=("10.9.0.0/16",),
                       client_ip="x-forwarded-for"), rule())
    assert any("429" in c for c in out.caveats)
    assert any("10.9.0.0/16" in c for c in out.caveats)
    assert any("X-Forwarded-For" in c for c in out.caveats)
    auth = tm.render(pi("basic-auth", type="basic", secret="users", secret_type="auth-file"), rule())
    assert any("key users" in c for c in auth.caveats)


@pytest.mark.parametrize("denied", [("10.1.2.3/32",), ("10.0.0.0/8", "192.168.0.0/16"), ("2001:db8::/32",),
                                    ("0.0.0.0/0",)])
def test_deny_list_complement_is_exact(denied):
    allowed = [ipaddress.ip_network(c) for c in tm.complement(denied)]
    nets = [ipaddress.ip_network(c) for c in denied]
    for a in allowed:
        assert not any(a.overlaps(n) for n in nets)
    for probe in ("10.1.2.3", "10.1.2.4", "192.168.7.7", "8.8.8.8", "2001:db8::1", "2001:db9::1", "::1"):
        ip = ipaddress.ip_address(probe)
        assert any(ip in n for n in nets) != any(ip in a for a in allowed), probe
    assert tm.complement(denied) == tm.complement(tuple(reversed(denied)))


def test_go_replacement():
    assert tm._go_replacement("\\1/x/\\2") == "${1}/x/${2}"
    assert tm._go_replacement("/cost$/\\1") == "/cost$$/${1}"


# -- attaching: order, chains, filters -------------------------------------------------------------------

def test_several_middlewares_become_one_chain_in_phase_order():
    r = rule(pi("basic-auth", type="basic", secret="users"), pi("ip-allow", cidrs=("10.0.0.0/8",)),
             pi("rate-limit", requests=10, period="1s", burst=10, key="client-ip"))
    objs, em, _ = emit(r)
    mws = middlewares(objs)
    assert mws["ing--middlewares"] == {"chain": {"middlewares": [
        {"name": "ing--rate-limit"}, {"name": "ing--ip-allow"}, {"name": "ing--basic-auth"}]}}
    assert route_filters(objs) == [[{"type": "ExtensionRef", "extensionRef": {
        "group": "traefik.io", "kind": "Middleware", "name": "ing--middlewares"}}]]


def test_one_middleware_is_attached_directly_after_redirect_and_cors():
    r = rule(pi("basic-auth", type="basic", secret="users"), CORS(allow_origins=("https://a.example",), origin=O),
             HeaderModifier(direction="request", set=(("X-A", "1"),), origin=O),
             URLRewrite(replace_prefix_match="/v2", origin=O))
    objs, _, _ = emit(r)
    types = [f["type"] for f in route_filters(objs)[0]]
    assert types == ["CORS", "ExtensionRef", "URLRewrite", "RequestHeaderModifier"]
    assert route_filters(objs)[0][1]["extensionRef"]["name"] == "ing--basic-auth"


def test_rules_with_different_middlewares_never_merge():
    a = rule(pi("basic-auth", type="basic", secret="users"), path="/a")
    b = rule(path="/b")
    c = rule(pi("basic-auth", type="basic", secret="users"), path="/c")
    objs, _, _ = emit(a, b, c)
    routes = [o for o in objs if o["kind"] == "HTTPRoute"]
    assert len(routes) == 1  # one route: Middlewares attach per rule, routes are not split
    paths = sorted((tuple(m["path"]["value"] for m in r["matches"]), bool(r.get("filters")))
                   for r in routes[0]["spec"]["rules"])
    assert paths == [(("/a", "/c"), True), (("/b",), False)]


def test_request_mirror_is_left_out_and_reported():
    m = RequestMirror(backend=ServiceBackend(namespace="app", name="shadow", port=80), origin=O)
    objs, em, _ = emit(rule(m))
    assert route_filters(objs) == [[]]
    assert not em.ledger.about(m).held and "RequestMirror" in em.ledger.about(m).describe()


def test_generated_objects_are_valid_and_deterministic():
    families = [pi(name, **f.example) for name, f in sorted(FAMILIES.items())]
    auth_origin = Origin(namespace="app", name="ing", location=Location("in.yaml", 9, 1))

    def intents():
        return [*families, Retry(attempts=2, origin=O), ExternalAuth(backend=SVC, path="/auth", origin=auth_origin)]

    objs, em, _ = emit(rule(*intents()))
    again, _, _ = emit(rule(*intents()))
    assert objs == again
    crds = crdset_for("1.6", "standard", ("traefik/v3.7.9",))
    problems = [(o["kind"], o["metadata"]["name"], p.field, p.message) for o in objs for p in validate_object(crds, o)]
    assert not problems
    assert len(middlewares(objs)) > 10


# -- Middlewares of the input: kept, or copied ----------------------------------------------------------

def test_same_namespace_middlewares_are_kept_in_order_and_replace_their_translation():
    strip = use("strip", "stripPrefix", {"prefixes": ["/api"]})
    auth = use("auth", "basicAuth", {"secret": "users"})
    rw = URLRewrite(replace_prefix_match="/", origin=strip.origin, caveat="Traefik strips character prefixes")
    hdr = HeaderModifier(direction="request", set=(("X-Forwarded-Prefix", "/api"),), origin=strip.origin)
    basic = BasicAuthPolicy(secret="app/users", type="basic", origin=auth.origin)
    r = rule(hdr, rw, basic, path="/api", uses=(strip, auth))
    objs, em, _ = emit(r)
    assert middlewares(objs) == {"ing--middlewares": {"chain": {"middlewares": [{"name": "strip"}, {"name": "auth"}]}}}
    assert [f["type"] for f in route_filters(objs)[0]] == ["ExtensionRef"]  # no URLRewrite, no header filter
    for intent in r.intents:  # the translations count as used, without their Gateway API caveats
        assert em.ledger.about(intent).held and not em.ledger.about(intent).differences
        assert list(em.ledger.about(intent).objects)[0].endswith("(kept, ExtensionRef)")


def test_other_namespace_and_legacy_group_are_copied():
    remote = use("limit", "rateLimit", {"average": 5}, ns="platform")
    legacy = use("gzip", "compress", {}, group="traefik.containo.us")
    objs, em, _ = emit(rule(uses=(remote, legacy)))
    mws = middlewares(objs)
    assert mws["platform-limit"] == {"rateLimit": {"average": 5}}
    assert mws["gzip"] == {"compress": {}}
    assert mws["ing--middlewares"]["chain"]["middlewares"] == [{"name": "platform-limit"}, {"name": "gzip"}]
    copies = [o for o in objs if o["kind"] == "Middleware" and o["metadata"]["name"] == "platform-limit"]
    assert copies[0]["apiVersion"] == "traefik.io/v1alpha1"
    assert "Middleware platform/limit" in copies[0]["metadata"]["annotations"]["ingress2gw.io/source"]


def test_a_copy_never_takes_the_name_of_an_input_middleware():
    remote = use("limit", "rateLimit", {"average": 5}, ns="platform")
    own = use("platform-limit", "inFlightReq", {"amount": 1})
    objs, _, _ = emit(rule(uses=(remote,), path="/a"), rule(uses=(own,), path="/b"))
    names = set(middlewares(objs))
    assert "platform-limit" not in names  # the input's own Middleware keeps that name
    assert any(n.startswith("platform-limit-") for n in names)


# -- findings ---------------------------------------------------------------------------------------------

TRAEFIK_INPUT = """
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: digest, namespace: shop}
spec:
  digestAuth: {secret: users}
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: office, namespace: shop}
spec:
  ipAllowList: {sourceRange: [10.0.0.0/8]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    traefik.ingress.kubernetes.io/router.middlewares: shop-digest@kubernetescrd,shop-office@kubernetescrd
spec:
  ingressClassName: traefik
  rules:
  - host: web.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""


def _findings(tmp_path, emitter: str) -> dict[str, str]:
    path = tmp_path / "in.yaml"
    path.write_text(TRAEFIK_INPUT)
    result = run(Options(paths=[str(path)], emitter=emitter))
    return {f.annotation: f.code for f in result.report.findings if f.annotation.startswith("Middleware.spec.")}


def test_kept_middlewares_are_no_longer_reported(tmp_path):
    assert _findings(tmp_path, "standard") == {"Middleware.spec.digestAuth": Code.ANNOTATION_UNSUPPORTED,
                                                "Middleware.spec.ipAllowList": Code.ANNOTATION_POLICY}
    assert _findings(tmp_path, "traefik") == {"Middleware.spec.digestAuth": Code.ANNOTATION_POLICY_EMITTED,
                                               "Middleware.spec.ipAllowList": Code.ANNOTATION_POLICY_EMITTED}


def test_catalog_capabilities():
    from ingress2gw.catalog import emitter_capabilities

    caps = emitter_capabilities("traefik")
    for family in ("rate-limit", "ip-allow", "ip-deny", "basic-auth", "ext-auth", "body-size", "regex-rewrite",
                   "compression", "circuit-breaker", "Retry", "ExternalAuth"):
        assert caps[family].held, family
    assert caps["session-cookie"].refused


def test_cors_is_a_filter_where_the_target_has_it_and_a_headers_middleware_before():
    c = CORS(allow_origins=("https://*.example.com", "https://a.example"), allow_methods=("GET",), max_age=60,
             origin=O, caveat="a wildcard origin matches one DNS label in nginx, any number in Gateway API")
    objs, _, _ = emit(rule(c))
    assert [f["type"] for f in route_filters(objs)[0]] == ["CORS"] and not middlewares(objs)
    c2 = c.model_copy()
    objs, em, _ = emit(rule(c2, pi("basic-auth", type="basic", secret="users")), target=Target("1.4"))
    mws = middlewares(objs)
    assert mws["ing--cors"] == {"headers": {
        "accessControlAllowOriginListRegex": ["^https://[^.]+\\.example\\.com$"],
        "accessControlAllowOriginList": ["https://a.example"], "accessControlAllowMethods": ["GET"],
        "accessControlMaxAge": 60}}
    assert mws["ing--middlewares"]["chain"]["middlewares"][0] == {"name": "ing--cors"}  # preflights first


# -- what the Traefik provider records for this emitter ----------------------------------------------------

PROVIDER_INPUT = """
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: apex, namespace: web}
spec:
  redirectRegex: {regex: "^https?://www\\\\.example\\\\.com/(.*)", replacement: "https://example.com/${1}", permanent: true}
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: stack, namespace: web}
spec:
  chain:
    middlewares: [{name: strip}, {name: old}]
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: strip, namespace: web}
spec:
  stripPrefix: {prefixes: [/app]}
---
apiVersion: traefik.containo.us/v1alpha1
kind: Middleware
metadata: {name: old, namespace: web}
spec:
  ipWhiteList: {sourceRange: [10.0.0.0/8]}
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: zip, namespace: web}
spec:
  compress: {}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: site
  namespace: web
  annotations:
    traefik.ingress.kubernetes.io/router.middlewares: web-apex@kubernetescrd,web-stack@kubernetescrd
spec:
  ingressClassName: traefik
  rules:
  - host: www.example.com
    http:
      paths:
      - {path: /app, pathType: Prefix, backend: {service: {name: site, port: {number: 80}}}}
---
apiVersion: v1
kind: Service
metadata:
  name: site
  namespace: web
  annotations:
    traefik.ingress.kubernetes.io/service.middlewares: web-zip@kubernetescrd
spec:
  ports: [{name: http, port: 80}]
"""


def test_provider_records_middlewares_in_order_and_translates_host_redirects(tmp_path):
    path = tmp_path / "in.yaml"
    path.write_text(PROVIDER_INPUT)
    seen = []
    original = TraefikEmitter._plan

    def spy(self, r):
        seen.append([(u.origin.name, u.kind, u.api_version) for u in r.unmapped])
        return original(self, r)

    TraefikEmitter._plan = spy
    try:
        result = run(Options(paths=[str(path)], emitter="traefik"))
    finally:
        TraefikEmitter._plan = original
    # router Middlewares (chain expanded in place, both API groups), then the Service's
    assert seen == [[("apex", "redirectRegex", "traefik.io/v1alpha1"), ("strip", "stripPrefix", "traefik.io/v1alpha1"),
                     ("old", "ipWhiteList", "traefik.containo.us/v1alpha1"), ("zip", "compress", "traefik.io/v1alpha1")]]
    assert "old" in middlewares(result.objects)  # the legacy-group member is copied

    standard = run(Options(paths=[str(path)]))
    rules = [r for o in standard.objects if o["kind"] == "HTTPRoute" for r in o["spec"]["rules"]]
    assert rules[0]["filters"][0] == {"type": "RequestRedirect", "requestRedirect": {
        "scheme": "https", "hostname": "example.com", "statusCode": 301}}
    codes = {f.annotation: f.code for f in standard.report.findings if f.annotation.startswith("Middleware.spec.")}
    assert codes["Middleware.spec.redirectRegex"] == Code.ANNOTATION_LOSSY
