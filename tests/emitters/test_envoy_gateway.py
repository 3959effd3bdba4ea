"""The Envoy Gateway emitter: what each policy family and left-out Gateway API intent becomes (exact spec
fragments), what is refused and why, where policies attach, and validity against Gateway API + the
Envoy Gateway v1.9.0 CRDs."""

from __future__ import annotations

import json

import pytest

from conftest import crdset_for

from ingress2gw.emitters.envoy_gateway import REFUSED, EnvoyGatewayEmitter
from ingress2gw.emitters.envoy_gateway.values import eg_duration, per_unit, quantity, status_matches
from ingress2gw.emitters.standard import EmitOptions
from ingress2gw.gwapi import Target
from ingress2gw.model.ir import (
    CORS, BackendTLS, ExternalAuth, IdleTimeout, IngressDraft, Match, Origin, PathMatch, PolicyIntent, Retry,
    RuleDraft, ServiceBackend, SessionPersistence, TLSCert, Timeouts,
)
from ingress2gw.model.policies import FAMILIES
from ingress2gw.stages.merge import merge_hosts
from ingress2gw.stages.translate import Translation
from ingress2gw.report import Report
from ingress2gw.source.location import Location

O = Origin(namespace="app", name="ing", location=Location("in.yaml", 1, 1), annotation="x/y")
SVC = ServiceBackend(namespace="app", name="svc", port=80)
API = "gateway.envoyproxy.io/v1alpha1"


def pi(family: str, **params) -> PolicyIntent:
    return FAMILIES[family](origin=O, **params)


def rule(*intents, path="/", host="a.example.com", https=False) -> RuleDraft:
    return RuleDraft(host=host, match=Match(path=PathMatch(type="PathPrefix", value=path)), backends=[SVC],
                     origin=O, intents=list(intents), serve_https=https)


def render(intent, *others, target=Target(), **kw):
    """The merged fragments per (kind, scope, key) the intent becomes, or the refusal reason."""
    em = EnvoyGatewayEmitter(EmitOptions(target=target), Report())
    r = rule(intent, *others, **kw)
    out = em.render_policy(intent, r)
    if isinstance(out, str):
        return out, em
    merged: dict = {}
    for p in out:
        assert p.api_version == API
        merged.setdefault((p.kind, p.scope, p.key), {}).update(p.fragment)
    return merged, em


def emit(rules, target=Target(), tls=()):
    d = IngressDraft(origin=O, provider="ingress-nginx", ingress_class="nginx", gateway="nginx", created="",
                     rules=rules, hosts=sorted({r.host for r in rules}, key=str), tls=list(tls))
    report = Report()
    em = EnvoyGatewayEmitter(EmitOptions(target=target), report)
    return em.emit(merge_hosts(Translation([d]), target, report)), em, report


def by_kind(objs, kind):
    return [o for o in objs if o["kind"] == kind]


# -- values ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,want", [("10s", "10s"), ("1728000s", "480h"), ("90s", "1m30s"), ("500ms", "500ms"),
                                       ("0s", "0s"), (60, "1m"), ("soon", None)])
def test_durations_fit_the_crd_pattern(text, want):
    assert eg_duration(text) == want


def test_quantities_rates_and_status_codes():
    assert (quantity(8 << 20), quantity(65536), quantity(2000000)) == ("8Mi", "64Ki", "2000000")
    assert per_unit(600, "1m") == (10, "Second") and per_unit(100, "1m") == (100, "Minute")
    assert per_unit(7, "3s") == (140, "Minute") and per_unit(5, "nope") is None
    assert status_matches((404, "500-599")) == [{"type": "Value", "value": 404},
                                                {"type": "Range", "range": {"start": 500, "end": 599}}]


# -- BackendTrafficPolicy ----------------------------------------------------------------------------------
def test_rate_limit_is_local_per_client_ip_with_the_differences_stated():
    intent = pi("rate-limit", requests=10, period="1s", burst=30, key="client-ip", status=503,
                counting="per-pod-per-client-ip", client_ip="tcp-peer", exempt=("10.9.0.0/16",))
    got, em = render(intent)
    assert got == {("BackendTrafficPolicy", "route", ""): {"rateLimit": {"local": {"rules": [
        {"clientSelectors": [{"sourceCIDR": {"type": "Distinct", "value": "0.0.0.0/0"}}],
         "limit": {"requests": 10, "unit": "Second"}},
        {"clientSelectors": [{"sourceCIDR": {"type": "Distinct", "value": "::/0"}}],
         "limit": {"requests": 10, "unit": "Second"}}]}}}}
    caveat = em.ledger.about(intent).describe()
    for text in ("counted by each Envoy replica", "rate-limit service", "burst 30", "429, not 503", "10.9.0.0/16"):
        assert text in caveat


def test_rate_limits_of_one_rule_are_combined_and_header_keys_are_distinct():
    rps = pi("rate-limit", requests=10, period="1s", key="header:X-User")
    rpm = pi("rate-limit", requests=100, period="1m", key="host")
    got, _ = render(rpm, rps)
    assert got[("BackendTrafficPolicy", "route", "")]["rateLimit"]["local"]["rules"] == [
        {"limit": {"requests": 100, "unit": "Minute"}},
        {"clientSelectors": [{"headers": [{"name": "X-User", "type": "Distinct"}]}],
         "limit": {"requests": 10, "unit": "Second"}}]
    assert render(pi("rate-limit", requests=0, period="1s"))[0] == {}


def test_client_ip_from_the_controller_config_becomes_a_gateway_policy():
    got, em = render(pi("rate-limit", requests=5, period="1s", client_ip="x-forwarded-for"))
    assert got[("ClientTrafficPolicy", "gateway", "")] == {
        "clientIPDetection": {"xForwardedFor": {"trustedCIDRs": ["0.0.0.0/0"]}}}
    got, _ = render(pi("ip-deny", cidrs=("10.0.0.0/8",), client_ip="proxy-protocol"))
    assert got[("ClientTrafficPolicy", "gateway", "")] == {"proxyProtocol": {}}


def test_client_ip_depth_set_per_route_is_refused():
    reason, _ = render(pi("ip-allow", cidrs=("10.0.0.0/8",), client_ip="x-forwarded-for", xff_depth=1))
    assert "X-Forwarded-For per Gateway" in reason and "every route" in reason


def test_timeouts_and_retry_budget():
    got, em = render(pi("upstream-timeouts", connect="15s", send="120s"))
    assert got == {("BackendTrafficPolicy", "route", ""): {"timeout": {
        "tcp": {"connectTimeout": "15s"}, "http": {"streamIdleTimeout": "2m"}}}}
    budget = pi("retry", budget="10s")
    got, em = render(budget)
    assert got == {("BackendTrafficPolicy", "route", ""): {"retry": {"perRetry": {"timeout": "10s"}}}}
    assert "default retry" in em.ledger.about(budget).describe()


def test_stream_idle_timeout_is_the_longer_of_read_and_send():
    # One Envoy idle timer for both directions: never shorter than either nginx timeout, whichever intent asks.
    r = O.model_copy(update={"annotation": "x/read"})
    read, send = IdleTimeout(read="3600s", origin=r), pi("upstream-timeouts", send="120s")
    for intent in (read, send):
        got, em = render(intent, read, send)
        assert got[("BackendTrafficPolicy", "route", "")]["timeout"]["http"] == {"streamIdleTimeout": "1h"}
        assert em.ledger.about(read) is None  # no difference stated: the read timeout is held as nginx timed it
    assert "the read timeout (1h), the longer one" in em.ledger.about(send).describe()
    read, send = IdleTimeout(read="60s", origin=O), pi("upstream-timeouts", send="300s")
    got, em = render(read, send)
    assert got[("BackendTrafficPolicy", "route", "")]["timeout"]["http"] == {"streamIdleTimeout": "5m"}
    assert "silent for between 60s and 5m is no longer cut off" in em.ledger.about(read).describe()


def test_read_timeout_alone_and_not_written():
    got, em = render(i := IdleTimeout(read="60s", origin=O))
    assert got == {("BackendTrafficPolicy", "route", ""): {"timeout": {"http": {"streamIdleTimeout": "1m"}}}}
    assert em.ledger.about(i) is None  # no difference stated
    got, em = render(i := IdleTimeout(read="60s", written=False, origin=O))
    assert got == {} and "route timeout of 15s" in em.ledger.about(i).describe()


def test_retry_intent_last_one_wins_and_budget_repeats_it():
    first, last = Retry(attempts=2, codes=(502,), origin=O), Retry(attempts=4, codes=(502, 503), origin=O)
    want = {"numRetries": 4, "retryOn": {"triggers": ["connect-failure", "reset", "retriable-status-codes"],
                                         "httpStatusCodes": [502, 503]}}
    got, _ = render(first, last)
    assert got == {("BackendTrafficPolicy", "route", ""): {"retry": want}}
    got, _ = render(pi("retry", budget="10s"), first, last)
    assert got[("BackendTrafficPolicy", "route", "")]["retry"] == {**want, "perRetry": {"timeout": "10s"}}
    got, _ = render(Retry(attempts=3, backoff="100ms", origin=O))
    assert got[("BackendTrafficPolicy", "route", "")]["retry"]["perRetry"] == {"backOff": {"baseInterval": "100ms"}}


def test_retry_rendered_by_the_route_is_not_repeated():
    assert render(Retry(attempts=2, origin=O), target=Target("1.6", "experimental"))[0] == {}


def test_gateway_api_timeouts_become_the_request_timeout():
    # Every supported target holds rules[].timeouts, so this rendering is only reached directly.
    from ingress2gw.emitters.envoy_gateway.traffic import timeouts

    em = EnvoyGatewayEmitter(EmitOptions(), Report())
    t = Timeouts(request="30s", backend_request="10s", origin=O)
    (piece,) = timeouts(em, t, rule(t))
    assert piece.fragment == {"timeout": {"http": {"requestTimeout": "30s"}}}
    assert render(t)[0] == {}  # the HTTPRoute holds it


def test_body_size_buffers_and_unlimited_needs_nothing():
    got, em = render(pi("body-size", max_bytes=8 << 20, text="8m", status=413))
    assert got == {("BackendTrafficPolicy", "route", ""): {"requestBuffer": {"limit": "8Mi"}}}
    assert render(pi("body-size", max_bytes=0, text="0"))[0] == {}


def test_load_balancer_algorithms_and_hashes():
    got, em = render(pi("load-balancer", algorithm="ewma"))
    assert got == {("BackendTrafficPolicy", "route", ""): {"loadBalancer": {"type": "LeastRequest"}}}
    got, _ = render(pi("load-balancer", hashBy="$http_x_user", hashKind="header", hashName="x-user", subset=True))
    assert got[("BackendTrafficPolicy", "route", "")] == {"loadBalancer": {
        "type": "ConsistentHash", "consistentHash": {"type": "Headers", "headers": [{"name": "x-user"}]}}}
    got, _ = render(pi("load-balancer", hashBy="$binary_remote_addr", hashKind="sourceIP"))
    assert got[("BackendTrafficPolicy", "route", "")]["loadBalancer"]["consistentHash"] == {"type": "SourceIP"}
    reason, _ = render(pi("load-balancer", hashBy="$request_uri", hashKind="uri"))
    assert "client IP, a header, a cookie or a query parameter" in reason


def test_affinity_cookie_with_attributes_and_precedence_over_load_balancing():
    sp = SessionPersistence(session_name="route", absolute_timeout="3600s", lifetime="Permanent", origin=O)
    cookie = pi("session-cookie", sameSite="Lax", secure=True)
    want = {"loadBalancer": {"type": "ConsistentHash", "consistentHash": {"type": "Cookie", "cookie": {
        "name": "route", "ttl": "1h", "attributes": {"SameSite": "Lax", "Secure": ""}}}}}
    assert render(sp, cookie)[0] == {("BackendTrafficPolicy", "route", ""): want}
    assert render(cookie, sp)[0] == {("BackendTrafficPolicy", "route", ""): want}
    session = render(SessionPersistence(session_name="s", origin=O))[0]
    assert session[("BackendTrafficPolicy", "route", "")]["loadBalancer"]["consistentHash"]["cookie"]["ttl"] == "0s"
    assert "affinity" in render(pi("load-balancer", algorithm="ewma"), sp)[0]
    assert "cookie affinity" in render(cookie)[0]
    assert "sessionPersistence" in render(cookie, sp, target=Target("1.6", "experimental"))[0]


def test_compression_and_error_pages():
    got, em = render(pi("compression", min_response_body_bytes=2048))
    assert got == {("BackendTrafficPolicy", "route", ""): {"compressor": [
        {"type": "Brotli", "minContentLength": 2048}, {"type": "Gzip", "minContentLength": 2048}]}}
    got, em = render(pi("error-pages", codes=("500-599",), service="ops/errors:80", query="/{status}.html"))
    assert got == {("BackendTrafficPolicy", "route", ""): {"responseOverride": [{
        "match": {"statusCodes": [{"type": "Range", "range": {"start": 500, "end": 599}}]},
        "response": {"contentType": "text/plain", "body": {"type": "Inline", "inline": "Error %RESPONSE_CODE%"}},
        "source": "Backend"}]}}


# -- HTTPRouteFilter -------------------------------------------------------------------------------------
def test_regex_rewrite_is_an_extension_ref_filter():
    intent = pi("regex-rewrite", pattern="(?i)^/user/([0-9]+)/profile.*", substitution="/profiles/\\1")
    got, _ = render(intent)
    assert got == {("HTTPRouteFilter", "rule", ""): {"urlRewrite": {"path": {
        "type": "ReplaceRegexMatch",
        "replaceRegexMatch": {"pattern": "(?i)^/user/([0-9]+)/profile.*", "substitution": "/profiles/\\1"}}}}}
    strip, _ = render(pi("regex-rewrite", pattern="/api/v[0-9]+", substitution="/", strip=True))
    assert strip[("HTTPRouteFilter", "rule", "")]["urlRewrite"]["path"]["replaceRegexMatch"] == {
        "pattern": "^(?:/api/v[0-9]+)/?", "substitution": "/"}
    objs, _, _ = emit([rule(intent)])
    route, filt = by_kind(objs, "HTTPRoute")[0], by_kind(objs, "HTTPRouteFilter")[0]
    assert route["spec"]["rules"][0]["filters"] == [{"type": "ExtensionRef", "extensionRef": {
        "group": "gateway.envoyproxy.io", "kind": "HTTPRouteFilter", "name": filt["metadata"]["name"]}}]
    assert filt["metadata"]["namespace"] == "app" and "targetRefs" not in filt["spec"]


# -- SecurityPolicy --------------------------------------------------------------------------------------
def test_ip_allow_and_deny_share_one_authorization():
    allow = pi("ip-allow", cidrs=("10.1.0.0/16", "2001:db8::/32"), status=403, client_ip="tcp-peer")
    deny = pi("ip-deny", cidrs=("10.1.2.3",), status=403, client_ip="tcp-peer")
    want = {"authorization": {"defaultAction": "Deny", "rules": [
        {"name": "deny-source-ranges", "action": "Deny", "principal": {"clientCIDRs": ["10.1.2.3/32"]}},
        {"name": "allow-source-ranges", "action": "Allow",
         "principal": {"clientCIDRs": ["10.1.0.0/16", "2001:db8::/32"]}}]}}
    assert render(allow, deny)[0] == {("SecurityPolicy", "route", ""): want}
    assert render(deny, allow)[0] == {("SecurityPolicy", "route", ""): want}
    only_deny = render(deny)[0][("SecurityPolicy", "route", "")]["authorization"]
    assert only_deny["defaultAction"] == "Allow"


def test_basic_auth_references_the_secret_and_states_the_sha_format():
    intent = pi("basic-auth", type="basic", secret="other/users", secret_type="auth-file", realm="Staff")
    got, em = render(intent)
    assert got == {("SecurityPolicy", "route", ""): {"basicAuth": {"users": {"name": "users", "namespace": "other"}}}}
    assert "{SHA}" in em.ledger.about(intent).describe() and "'.htpasswd'" in em.ledger.about(intent).describe()
    assert "Digest" in render(pi("basic-auth", type="digest", secret="app/u"))[0]


def test_ext_auth_calls_the_url_as_written():
    intent = pi("ext-auth", url="http://oauth2-proxy.app.svc.cluster.local:4180/oauth2/auth",
                service="app/oauth2-proxy:4180", path="/oauth2/auth", response_headers=("X-User",),
                signin="https://auth.example.com/start")
    got, em = render(intent)
    assert got == {("SecurityPolicy", "route", ""): {"extAuth": {
        "http": {"backendRefs": [{"name": "oauth2-proxy", "port": 4180}], "pathOverride": "/oauth2/auth",
                 "headersToBackend": ["X-User"]},
        "headersToExtAuth": ["cookie"], "statusOnError": 500}}}
    assert "sign-in" in em.ledger.about(intent).describe()


def test_ext_auth_over_tls_goes_through_a_backend():
    intent = pi("ext-auth", url="https://auth.auth-system:8443/verify", service="auth-system/auth:8443",
                path="/verify")
    objs, em, _ = emit([rule(intent)])
    backend = by_kind(objs, "Backend")[0]
    assert backend["spec"] == {"endpoints": [{"fqdn": {"hostname": "auth.auth-system.svc.cluster.local",
                                                       "port": 8443}}],
                               "tls": {"insecureSkipVerify": True, "sni": "auth.auth-system"}}
    ref = by_kind(objs, "SecurityPolicy")[0]["spec"]["extAuth"]["http"]["backendRefs"][0]
    assert ref == {"group": "gateway.envoyproxy.io", "kind": "Backend", "name": backend["metadata"]["name"],
                   "port": 8443}


def test_ext_auth_to_an_address_uses_an_ip_endpoint():
    objs, _, _ = emit([rule(pi("ext-auth", url="https://10.0.0.5:8443/check", path="/check"))])
    assert by_kind(objs, "Backend")[0]["spec"] == {"endpoints": [{"ip": {"address": "10.0.0.5", "port": 8443}}],
                                                   "tls": {"insecureSkipVerify": True}}
    assert "NGINX variables" in render(pi("ext-auth", url="http://auth.example.com/$host"))[0]
    objs, _, _ = emit([rule(pi("ext-auth", url="https://auth.example.com/check", verify=True))])
    assert by_kind(objs, "Backend")[0]["spec"]["tls"] == {"wellKnownCACertificates": "System",
                                                          "sni": "auth.example.com"}


def test_external_auth_intent_and_its_policy_twin():
    ea = ExternalAuth(backend=ServiceBackend(namespace="auth", name="authz", port=9000), path="/check",
                      allowed_response_headers=("X-User",), origin=O)
    got, _ = render(ea)
    assert got == {("SecurityPolicy", "route", ""): {"extAuth": {"http": {
        "backendRefs": [{"name": "authz", "namespace": "auth", "port": 9000}], "pathOverride": "/check",
        "headersToBackend": ["X-User"]}, "headersToExtAuth": ["cookie"], "statusOnError": 500}}}
    twin = pi("ext-auth", url="http://authz.auth:9000/check", service="auth/authz:9000", path="/check")
    assert render(ea, twin)[0] == {}  # the ext-auth policy of the same rule covers it
    # Where the target has the ExternalAuth filter, it holds the check: no second SecurityPolicy; what only
    # the policy could carry is answered field by field (here: nothing beyond the filter).
    got, _ = render(twin, ea, target=Target("1.6", "experimental"))
    assert got == {}


def test_cors_before_gateway_api_1_5():
    intent = CORS(allow_origins=("https://a.example", "null"), allow_methods=("GET",), max_age=1728000,
                  allow_credentials=True, origin=O)
    got, em = render(intent, target=Target("1.4"))
    assert got == {("SecurityPolicy", "route", ""): {"cors": {
        "allowOrigins": ["https://a.example"], "allowMethods": ["GET"], "maxAge": "480h", "allowCredentials": True}}}
    assert "null" in em.ledger.about(intent).describe()
    assert render(intent, target=Target("1.6"))[0] == {}  # the HTTPRoute CORS filter holds it


# -- ClientTrafficPolicy on a host's listener ----------------------------------------------------------------
def test_client_cert_on_the_https_listener_of_the_host():
    intent = pi("client-cert", ca_secret="app/ca", hosts=("a.example.com",), verify="optional", depth=2,
                match_cn="CN=x", pass_certificate=True)
    got, em = render(intent, https=True)
    assert got == {("ClientTrafficPolicy", "gateway", "listener-https-a-example-com"): {
        "tls": {"clientValidation": {"mode": "VerifyIfGiven", "caCertificateRefs": [
            {"group": "", "kind": "Secret", "name": "ca", "namespace": "app"}]}},
        "headers": {"xForwardedClientCert": {"mode": "SanitizeSet", "certDetailsToAdd": ["Cert"]}}}}
    assert "SECURITY" in em.ledger.about(intent).describe()
    assert "HTTPS listener" in render(intent)[0]
    em = EnvoyGatewayEmitter(EmitOptions(existing_gateway=("infra", "gw")), Report())
    assert "listener names" in em.render_policy(intent, rule(intent, https=True))


def test_gateway_and_listener_client_policies_and_reference_grants():
    cert = pi("client-cert", ca_secret="pki/ca", hosts=("a.example.com",), verify="on")
    xff = pi("ip-allow", cidrs=("10.0.0.0/8",), client_ip="x-forwarded-for")
    objs, _, _ = emit([rule(cert, xff, https=True)], tls=[TLSCert("a.example.com", "app", "a-tls")])
    ctps = {o["metadata"]["name"]: o["spec"] for o in by_kind(objs, "ClientTrafficPolicy")}
    wide = {"clientIPDetection": {"xForwardedFor": {"trustedCIDRs": ["0.0.0.0/0"]}}}
    assert ctps["nginx"] == {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                             "name": "nginx"}], **wide}
    listener = ctps["nginx--https-a-example-com"]
    assert listener["targetRefs"][0]["sectionName"] == "https-a-example-com"
    assert listener["clientIPDetection"] == wide["clientIPDetection"]  # the listener policy wins in Envoy Gateway
    grants = [g for g in by_kind(objs, "ReferenceGrant") if g["metadata"]["namespace"] == "pki"]
    assert grants[0]["spec"] == {"from": [{"group": "gateway.envoyproxy.io", "kind": "ClientTrafficPolicy",
                                           "namespace": "gateway-system"}],
                                 "to": [{"group": "", "kind": "Secret", "name": "ca"}]}


# -- refusals and attachment ------------------------------------------------------------------------------------
@pytest.mark.parametrize("family", sorted(REFUSED))
def test_refused_families_say_why(family):
    reason, _ = render(pi(family, **FAMILIES[family].example))
    assert isinstance(reason, str) and len(reason) > 40


def test_backend_tls_left_by_old_targets_is_refused():
    reason, _ = render(BackendTLS(hostname="svc.app", origin=O), target=Target("1.2"))
    assert "Backend" in reason


def test_route_policies_target_the_route_of_the_ingress_only():
    limited = rule(pi("rate-limit", requests=5, period="1s"), path="/api")
    objs, em, _ = emit([limited, rule(path="/web")])
    routes = by_kind(objs, "HTTPRoute")
    btp = by_kind(objs, "BackendTrafficPolicy")
    assert len(routes) == 2 and len(btp) == 1
    target = btp[0]["spec"]["targetRefs"]
    route = next(r for r in routes if r["metadata"]["name"] == target[0]["name"])
    assert [m["path"]["value"] for r in route["spec"]["rules"] for m in r["matches"]] == ["/api"]


def test_capability_probe_sees_the_rendered_families():
    from ingress2gw.catalog import emitter_capabilities

    caps = emitter_capabilities("envoy-gateway")
    for name in ("rate-limit", "ip-allow", "basic-auth", "ext-auth", "regex-rewrite", "client-cert", "Retry",
                 "SessionPersistence", "ExternalAuth"):
        assert caps[name].held, name
    assert caps["connection-limit"].refused


# -- validity ------------------------------------------------------------------------------------------------
def test_everything_validates_against_gateway_api_and_envoy_gateway_crds():
    from ingress2gw.validate import validate_object

    intents = [
        pi("rate-limit", requests=10, period="1s", key="client-ip", client_ip="x-forwarded-for"),
        pi("ip-allow", cidrs=("10.0.0.0/8",), client_ip="x-forwarded-for"), pi("ip-deny", cidrs=("10.1.2.3",)),
        pi("basic-auth", type="basic", secret="other/users", header_field="X-User"),
        pi("ext-auth", url="https://auth.example.net/check", path="/check"),
        pi("body-size", max_bytes=2000000), pi("upstream-timeouts", connect="5s", send="60s"),
        pi("retry", budget="10s"), Retry(attempts=3, codes=(503,), backoff="100ms", origin=O),
        pi("load-balancer", hashBy="$cookie_s", hashKind="cookie", hashName="s"),
        pi("compression", encodings=("gzip", "zstd"), min_response_body_bytes=10),
        pi("error-pages", codes=(404, "500-503")),
        pi("regex-rewrite", pattern="^/old/(.*)", substitution="/new/\\1"),
        pi("client-cert", ca_secret="pki/ca", hosts=("a.example.com",), verify="optional_no_ca",
           pass_certificate=True),
        CORS(allow_origins=("*",), allow_methods=("GET", "POST"), max_age=600, origin=O),
        SessionPersistence(session_name="s", origin=O), pi("session-cookie", path="/", httpOnly=True),
    ]
    for target in (Target("1.6"), Target("1.4"), Target("1.2")):
        objs, _, _ = emit([rule(*intents, https=True)], target=target,
                          tls=[TLSCert("a.example.com", "app", "a-tls")])
        kinds = {o["kind"] for o in objs}
        assert {"BackendTrafficPolicy", "SecurityPolicy", "ClientTrafficPolicy", "HTTPRouteFilter", "Backend",
                "ReferenceGrant"} <= kinds
        crds = crdset_for(target.version, target.channel, (EnvoyGatewayEmitter.crd_bundle,))
        problems = [f"{o['kind']} {o['metadata']['name']}: {p.field}: {p.message}"
                    for o in objs for p in validate_object(crds, json.loads(json.dumps(o)))]
        assert not problems, "\n".join(problems)
