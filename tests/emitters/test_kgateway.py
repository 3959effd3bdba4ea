"""The kgateway emitter: what each policy family and left-out Gateway API intent becomes (exact spec fragments),
what is refused and why, where policies attach, and validity against Gateway API + the kgateway v2.4.3 CRDs."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import crdset_for

from ingress2gw.emitters.kgateway import REFUSED, KgatewayEmitter
from ingress2gw.emitters.standard import EmitOptions
from ingress2gw.gwapi import Target
from ingress2gw.model.ir import (
    CORS, BackendTLS, ExternalAuth, IdleTimeout, IngressDraft, Match, Origin, PathMatch, PolicyIntent, Retry,
    RuleDraft, ServiceBackend, SessionPersistence, Timeouts, TLSCert,
)
from ingress2gw.model.policies import FAMILIES
from ingress2gw.stages.merge import merge_hosts
from ingress2gw.stages.translate import Translation
from ingress2gw.report import Code, Report
from ingress2gw.source.location import Location

O = Origin(namespace="app", name="ing", location=Location("in.yaml", 1, 1), annotation="x/y")
NGINX = Origin(namespace="app", name="ing", location=Location("in.yaml", 2, 1),
               annotation="nginx.ingress.kubernetes.io/affinity")
SVC = ServiceBackend(namespace="app", name="svc", port=80)
API = "gateway.kgateway.dev/v1alpha1"


def pi(family: str, origin=O, **params) -> PolicyIntent:
    return FAMILIES[family](origin=origin, **params)


def rule(*intents, path="/", host="a.example.com", backends=None, origin=O) -> RuleDraft:
    return RuleDraft(host=host, match=Match(path=PathMatch(type="PathPrefix", value=path)),
                     backends=[SVC] if backends is None else backends, origin=origin, intents=list(intents))


def render(intent, *others, target=Target(), **kw):
    """The merged fragments per (kind, scope, key) the intent becomes, or the refusal reason."""
    em = KgatewayEmitter(EmitOptions(target=target), Report())
    out = em.render_policy(intent, rule(intent, *others, **kw))
    if isinstance(out, str):
        return out, em
    merged: dict = {}
    for p in out:
        assert p.api_version == API
        merged.setdefault((p.kind, p.scope, p.key), {}).update(p.fragment)
    return merged, em


def emit(drafts_rules, target=Target(), tls=(), opts=None):
    """Emit one IngressDraft per list of rules (oldest first)."""
    drafts = []
    for i, rules in enumerate(drafts_rules):
        origin = rules[0].origin if rules else O
        drafts.append(IngressDraft(origin=origin, provider="ingress-nginx", ingress_class="nginx", gateway="nginx",
                                   created=f"2024-01-0{i + 1}T00:00:00Z", rules=rules,
                                   hosts=sorted({r.host for r in rules}, key=str), tls=list(tls)))
    report = Report()
    em = KgatewayEmitter(opts or EmitOptions(target=target), report)
    return em.emit(merge_hosts(Translation(drafts), target, report)), em, report


def by_kind(objs, kind):
    return [o for o in objs if o["kind"] == kind]


def assert_valid(objs, target=Target()):
    from ingress2gw.validate import validate_object

    crds = crdset_for(target.version, target.channel, (KgatewayEmitter.crd_bundle,))
    problems = [f"{o['kind']} {o['metadata']['name']}: {p.field}: {p.message}"
                for o in objs for p in validate_object(crds, o)]
    assert not problems, "\n".join(problems)


# -- every family: rendered or refused with a reason ----------------------------------------------------------------
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_is_rendered_or_refused_with_a_reason(family):
    out, _ = render(pi(family, **FAMILIES[family].example))
    assert isinstance(out, dict) or (isinstance(out, str) and len(out) > 20), out
    if family in REFUSED:
        assert out == REFUSED[family]


# -- TrafficPolicy fields ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("intent,kind,fragment", [
    (pi("body-size", max_bytes=8 << 20, text="8m", status=413), "TrafficPolicy", {"buffer": {"maxRequestSize": "8Mi"}}),
    (pi("body-size", max_bytes=1000, text="1000"), "TrafficPolicy", {"buffer": {"maxRequestSize": 1000}}),
    (pi("rate-limit", requests=100, period="1m", burst=200, key="host", counting="per-replica"), "TrafficPolicy",
     {"rateLimit": {"local": {"tokenBucket": {"fillInterval": "1m", "maxTokens": 200, "tokensPerFill": 100}}}}),
    (pi("bandwidth-limit", kbytes_per_second=100, after_kbytes=0), "TrafficPolicy",
     {"faultInjection": {"responseRateLimit": {"kbitsPerSecond": 100, "percentage": 100}}}),
    (pi("regex-rewrite", pattern="(?i)^/u/([0-9]+).*", substitution="/users/\\1"), "TrafficPolicy",
     {"urlRewrite": {"pathRegex": {"pattern": "(?i)^/u/([0-9]+).*", "substitution": "/users/\\1"}}}),
    (pi("regex-rewrite", pattern="^/t/[a-z]+", substitution="/", strip=True), "TrafficPolicy",
     {"urlRewrite": {"pathRegex": {"pattern": "^(?:/t/[a-z]+)/?", "substitution": "/"}}}),
    (pi("compression", encodings=("br", "gzip")), "TrafficPolicy",
     {"compression": {"responseCompression": {"libraries": ["Brotli", "Gzip"]}}}),
    (pi("tracing", enabled=False), "TrafficPolicy", {"tracing": {"disable": {}}}),
    (pi("global-auth-opt-out", disabled=True), "TrafficPolicy", {"extAuth": {"disable": {}}}),
    (pi("basic-auth", type="basic", secret="app/users", secret_type="auth-file"), "TrafficPolicy",
     {"basicAuth": {"secretRef": {"name": "users", "key": "auth"}}}),
    (pi("basic-auth", type="basic", secret="other/users", secret_type="users", remove_header=True), "TrafficPolicy",
     {"basicAuth": {"secretRef": {"name": "users", "key": "users", "namespace": "other"}},
      "headerModifiers": {"request": {"remove": ["Authorization"]}}}),
    (pi("upstream-timeouts", connect="10s"), "BackendConfigPolicy", {"connectTimeout": "10s"}),
    (pi("in-flight", amount=10), "BackendConfigPolicy",
     {"circuitBreakers": {"maxConnections": 10, "maxPendingRequests": 1, "maxRequests": 10}}),
    (pi("load-balancer", algorithm="ewma"), "BackendConfigPolicy", {"loadBalancer": {"leastRequest": {}}}),
    (pi("load-balancer", algorithm="round_robin"), "BackendConfigPolicy", {"loadBalancer": {"roundRobin": {}}}),
    (pi("load-balancer", hashBy="$http_x_user", hashKind="header", hashName="x-user"), "BackendConfigPolicy",
     {"loadBalancer": {"ringHash": {"hashPolicies": [{"header": {"name": "x-user"}}]}}}),
    (pi("load-balancer", hashBy="$remote_addr", hashKind="sourceIP"), "BackendConfigPolicy",
     {"loadBalancer": {"ringHash": {"hashPolicies": [{"sourceIP": {}}]}}}),
])
def test_family_fragments(intent, kind, fragment):
    out, _ = render(intent)
    assert isinstance(out, dict), out
    (got_kind, _scope, _key), = out
    assert got_kind == kind
    assert out[next(iter(out))] == fragment


@pytest.mark.parametrize("intent,words", [
    (pi("rate-limit", requests=10, period="1s", burst=50, key="client-ip"), "RemoteAddress descriptor"),
    (pi("rate-limit", requests=10, period="1s", key="header:X-Tenant"), "Header descriptor"),
    (pi("rate-limit", requests=10, period="10ms", key="host"), "at least 50ms"),
    (pi("basic-auth", type="digest", secret="app/u"), "digest"),
    (pi("basic-auth", type="basic", secret="app/u", secret_type="auth-map"), "htpasswd"),
    (pi("load-balancer", hashBy="$request_uri", hashKind="uri"), "hashes on a header, a cookie or the client IP"),
    (pi("load-balancer", algorithm="peak_ewma"), "no 'peak_ewma' load balancer"),
    (pi("in-flight", amount=5, key="client-ip"), "not per client-ip"),
    (pi("regex-rewrite", pattern="^/a(?=b)", substitution="/"), "look-around"),
    (pi("ext-auth", url="http://auth.$host/check"), "NGINX variables"),
    (pi("tracing", enabled=True), "ListenerPolicy"),
    (pi("proxy-buffering", bufferSize="128k"), "60 KiB"),
    (pi("retry", budget="10s"), "perTryTimeout"),
    (pi("connection-limit", connections=5), "per-client connection limit"),
])
def test_refusals_say_why(intent, words):
    out, _ = render(intent)
    assert isinstance(out, str) and words in out, out


def test_handled_without_an_object():
    for intent in (pi("access-log", enabled=False), pi("proxy-buffering", responseBuffering=True)):
        out, em = render(intent)
        assert out == {} and em.ledger.about(intent).describe(), intent  # what differs is stated
    for intent in (pi("client-body-buffer", bytes=65536, text="64k"), pi("body-size", max_bytes=0, text="0")):
        out, em = render(intent)
        # kgateway's default is the same: held without an object, nothing differs
        assert out == {} and (em.ledger.about(intent) is None or not em.ledger.about(intent).differences), intent


def test_send_timeout_is_stream_idle_no_shorter_than_the_read_timeout():
    send = pi("upstream-timeouts", send="10s")
    out, em = render(send, IdleTimeout(read="60s", origin=O))
    assert out[("TrafficPolicy", "route", "")] == {"timeouts": {"streamIdle": "60s"}}
    out, _ = render(pi("upstream-timeouts", send="120s"), IdleTimeout(read="60s", origin=O))
    assert out[("TrafficPolicy", "route", "")] == {"timeouts": {"streamIdle": "120s"}}
    # A default read timeout the user chose not to write does not count.
    out, _ = render(send, IdleTimeout(read="60s", written=False, origin=O))
    assert out[("TrafficPolicy", "route", "")] == {"timeouts": {"streamIdle": "10s"}}


def test_read_timeout_is_stream_idle_the_longer_of_read_and_send():
    read = IdleTimeout(read="60s", origin=O)
    out, em = render(read)
    assert out == {("TrafficPolicy", "route", ""): {"timeouts": {"streamIdle": "60s"}}}
    assert em.ledger.about(read) is None  # no difference stated: Envoy's stream idle timeout is nginx's read timeout
    out, em = render(read, pi("upstream-timeouts", send="300s"))
    assert out == {("TrafficPolicy", "route", ""): {"timeouts": {"streamIdle": "300s"}}}
    assert "silent for between 60s and 300s is no longer cut off" in em.ledger.about(read).describe()
    out, em = render(unwritten := IdleTimeout(read="60s", written=False, origin=O))
    assert out == {} and "route timeout of 15s" in em.ledger.about(unwritten).describe()


def test_gateway_api_timeouts_on_a_grpc_route_are_the_total_only():
    # GRPCRoute has no timeouts: TrafficPolicy holds request: 0s (no total bound); the idle time is IdleTimeout's.
    from ingress2gw.emitters.kgateway import traffic as traffic

    em = KgatewayEmitter(EmitOptions(), Report())
    t = Timeouts(request="0s", origin=O)
    (piece,) = traffic.timeouts(em, t, rule(t))
    assert piece.fragment == {"timeouts": {"request": "0s"}}


def test_retry_last_one_wins_so_tries_are_never_capped():
    # proxy-next-upstream attaches a Retry, proxy-next-upstream-tries a later one: the last is what nginx did.
    first, last = Retry(attempts=2, codes=(503,), origin=O), Retry(attempts=4, codes=(503,), origin=O)
    for intent in (first, last):
        out, em = render(intent, first, last)
        assert out[("TrafficPolicy", "route", "")]["retry"]["attempts"] == 4
    assert "retries up to 4 times" in em.ledger.about(first).describe()


def test_left_out_gateway_api_intents():
    out, _ = render(Retry(attempts=2, codes=(502, 503), backoff="100ms", origin=O))
    assert out[("TrafficPolicy", "route", "")] == {"retry": {
        "attempts": 2, "retryOn": ["connect-failure", "reset"], "statusCodes": [502, 503],
        "backoffBaseInterval": "100ms"}}
    out, _ = render(CORS(allow_origins=("https://a.example.com",), allow_methods=("GET",), max_age=600,
                         allow_credentials=True, origin=O), target=Target("1.4"))
    assert out[("TrafficPolicy", "route", "")] == {"cors": {
        "allowOrigins": ["https://a.example.com"], "allowMethods": ["GET"], "allowCredentials": True, "maxAge": 600}}
    out, _ = render(CORS(allow_origins=("null",), origin=O), target=Target("1.4"))
    assert "cannot hold 'null'" in out
    # Already on the HTTPRoute at this target: nothing more.
    out, _ = render(Retry(attempts=2, origin=O), target=Target("1.6", "experimental"))
    assert out == {}


def test_cookie_affinity_with_attributes_and_its_precedence():
    sp = SessionPersistence(session_name="route", absolute_timeout="3600s", lifetime="Permanent", origin=NGINX)
    same_site = pi("session-cookie", sameSite="lax")
    algo = pi("load-balancer", algorithm="ewma")
    out, em = render(algo, sp, same_site)
    assert out[("BackendConfigPolicy", "service", "")] == {"loadBalancer": {"ringHash": {"hashPolicies": [{"cookie": {
        "name": "route", "ttl": "3600s", "path": "/", "httpOnly": True, "sameSite": "Lax"}}]}}}
    assert "cookie affinity takes precedence" in em.ledger.about(algo).describe()
    # On the experimental channel the route holds the affinity; the attributes have nowhere to go.
    out, _ = render(same_site, sp, target=Target("1.6", "experimental"))
    assert "sessionPersistence" in out


def test_backend_tls_fields_make_one_tls_value():
    tls = BackendTLS(hostname="b.internal", verify=False, origin=O)
    protocols = pi("backend-tls", protocols=("TLSv1.2", "TLSv1.3"))
    ciphers = pi("backend-tls", ciphers="HIGH:!aNULL")
    out, _ = render(tls, protocols, ciphers)
    assert out[("BackendConfigPolicy", "service", "")] == {"tls": {
        "sni": "b.internal", "insecureSkipVerify": True, "parameters": {"minVersion": "1.2", "maxVersion": "1.3"}}}
    out, _ = render(ciphers, tls)
    assert "OpenSSL cipher expression" in out
    out, _ = render(pi("backend-tls", clientSecret="elsewhere/client"), tls)
    assert "copy elsewhere/client" in out
    verified = BackendTLS(hostname="b.internal", origin=O)
    out, _ = render(verified, target=Target("1.2"))
    assert out[("BackendConfigPolicy", "service", "")] == {"tls": {
        "sni": "b.internal", "wellKnownCACertificates": "System", "verifySubjectAltNames": ["b.internal"]}}


@pytest.mark.parametrize("grpc", [False, True])
def test_an_unverified_backend_gets_insecure_skip_verify_and_no_backend_tls_policy(grpc):
    bt = BackendTLS(hostname="svc.app.svc", verify=False, origin=O)
    r = rule(bt)
    r.protocol = "grpc" if grpc else "http"
    objs, em, _ = emit([[r]])
    assert not by_kind(objs, "BackendTLSPolicy")
    (bcp,) = by_kind(objs, "BackendConfigPolicy")
    assert bcp["spec"]["tls"] == {"insecureSkipVerify": True, "sni": "svc.app.svc"}
    answer = em.ledger.about(bt)
    assert answer.objects == ("BackendConfigPolicy",) and not answer.lossy
    assert_valid(objs)


def test_a_client_certificate_verifies_as_the_source_did_or_says_how_it_differs():
    secret = pi("backend-tls", clientSecret="app/client")
    verified = BackendTLS(hostname="svc.app.svc", ca_secret="app/client", origin=O)
    objs, em, _ = emit([[rule(verified, secret)]])
    (bcp,) = by_kind(objs, "BackendConfigPolicy")
    assert bcp["spec"]["tls"] == {"secretRef": {"name": "client"}, "sni": "svc.app.svc",
                                  "verifySubjectAltNames": ["svc.app.svc"]}
    assert not em.ledger.about(verified).lossy and not em.ledger.about(secret).lossy
    unverified = BackendTLS(hostname="svc.app.svc", verify=False, origin=O)
    objs, em, _ = emit([[rule(unverified, secret)]])
    (bcp,) = by_kind(objs, "BackendConfigPolicy")
    assert bcp["spec"]["tls"] == {"secretRef": {"name": "client"}, "sni": "svc.app.svc"}
    assert "not both" in em.ledger.about(unverified).describe()  # kgateway cannot skip with a client certificate
    assert_valid(objs)


# -- IP lists ----------------------------------------------------------------------------------------------------------
def test_acl_follows_nginx_order_and_intersects_allow_lists():
    allow = pi("ip-allow", cidrs=("10.0.0.0/8", "192.168.0.0/16", "::/0"), status=403, client_ip="tcp-peer")
    deny = pi("ip-deny", cidrs=("10.66.0.0/16", "192.168.0.0/16"), status=403, client_ip="tcp-peer")
    out, _ = render(allow, deny)
    assert out[("TrafficPolicy", "route", "")]["acl"] == {
        "defaultAction": "deny", "denyResponse": {"statusCode": 403},
        "rules": [{"action": "deny", "cidrs": ["10.66.0.0/16", "192.168.0.0/16"]},
                  {"action": "allow", "cidrs": ["10.0.0.0/8", "0::/0"]}]}
    other = pi("ip-allow", cidrs=("10.20.0.0/16", "172.16.0.0/12"))
    out, _ = render(pi("ip-allow", cidrs=("10.0.0.0/8",)), other)
    assert out[("TrafficPolicy", "route", "")]["acl"]["rules"] == [{"action": "allow", "cidrs": ["10.20.0.0/16"]}]


def test_controller_wide_client_address_becomes_a_gateway_listener_policy():
    out, em = render(pi("ip-allow", cidrs=("10.0.0.0/8",), client_ip="x-forwarded-for"))
    assert out[("ListenerPolicy", "gateway", "")] == {"default": {"httpSettings": {
        "useRemoteAddress": False, "xffTrustedCIDRs": ["0.0.0.0/0", "0::/0"]}}}
    out, _ = render(pi("ip-deny", cidrs=("10.0.0.0/8",), client_ip="proxy-protocol"))
    assert out[("ListenerPolicy", "gateway", "")] == {"default": {"proxyProtocol": {}}}


# -- objects -----------------------------------------------------------------------------------------------------------
def test_external_auth_filter_becomes_a_gateway_extension_even_where_the_filter_exists():
    ea = ExternalAuth(backend=ServiceBackend(namespace="auth", name="authz", port=8080), path="/check",
                      allowed_headers=("Cookie",), origin=O)
    target = Target("1.6", "experimental")
    objs, em, report = emit([[rule(ea)]], target=target)
    route = by_kind(objs, "HTTPRoute")[0]
    assert not any(f["type"] == "ExternalAuth" for r in route["spec"]["rules"] for f in r.get("filters", []))
    ext = by_kind(objs, "GatewayExtension")[0]
    assert ext["spec"]["extAuth"]["httpService"]["backendRef"] == {"name": "authz", "port": 8080, "namespace": "auth"}
    assert by_kind(objs, "TrafficPolicy")[0]["spec"]["extAuth"] == {"extensionRef": {"name": ext["metadata"]["name"]}}
    grant = by_kind(objs, "ReferenceGrant")[0]
    assert grant["metadata"]["namespace"] == "auth"
    assert grant["spec"]["from"] == [{"group": "gateway.kgateway.dev", "kind": "GatewayExtension", "namespace": "app"}]
    assert_valid(objs, target)


def test_a_service_with_kgateway_tls_gets_no_backend_tls_policy_and_conflicts_are_reported():
    other = Origin(namespace="app", name="other", location=Location("in.yaml", 9, 1), annotation="x/z")
    tls_a = BackendTLS(hostname="svc.app.svc", verify=False, origin=O)
    tls_b = BackendTLS(hostname="svc.app.svc", origin=other)
    objs, em, report = emit([[rule(tls_a)], [rule(tls_b, host="b.example.com", origin=other)]])
    assert not by_kind(objs, "BackendTLSPolicy")
    (bcp,) = by_kind(objs, "BackendConfigPolicy")
    assert bcp["spec"]["tls"] == {"insecureSkipVerify": True, "sni": "svc.app.svc"}
    assert any(f.code is Code.POLICY_CONFLICT for f in report.findings)
    assert_valid(objs)


def test_service_upstream_sends_to_a_backend():
    objs, em, report = emit([[rule(pi("service-upstream", enabled=True), pi("upstream-timeouts", connect="3s"))]])
    (backend,) = by_kind(objs, "Backend")
    assert backend["spec"] == {"type": "Static", "static": {"hosts": [{"host": "svc.app.svc.cluster.local",
                                                                       "port": 80}]}}
    refs = by_kind(objs, "HTTPRoute")[0]["spec"]["rules"][0]["backendRefs"]
    assert refs == [{"group": "gateway.kgateway.dev", "kind": "Backend", "name": backend["metadata"]["name"]}]
    (bcp,) = by_kind(objs, "BackendConfigPolicy")
    assert {"group": "gateway.kgateway.dev", "kind": "Backend", "name": backend["metadata"]["name"]} in \
        bcp["spec"]["targetRefs"]
    assert_valid(objs)


def test_client_certificates_target_the_gateway_that_holds_the_listener():
    hosts = [f"h{i}.example.com" for i in range(40)]
    rules = [rule(host=h) for h in hosts]
    last = hosts[-1]
    rules[-1].intents.append(pi("client-cert", ca_secret="certs/ca", hosts=(last,), verify="on", depth=1))
    tls = [TLSCert(host=h, namespace="app", secret="tls") for h in hosts]
    objs, em, report = emit([rules], tls=tls)
    (lp,) = by_kind(objs, "ListenerPolicy")
    holder = next(g["metadata"]["name"] for g in by_kind(objs, "Gateway")
                  if any(lst["name"] == f"https-{last.replace('.', '-')}" for lst in g["spec"]["listeners"]))
    assert holder != "nginx"
    assert lp["spec"]["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": holder,
                                         "sectionName": f"https-{last.replace('.', '-')}"}]
    assert by_kind(objs, "ReferenceGrant")
    assert_valid(objs)


def test_an_existing_gateway_gets_no_listener_policy():
    intent = pi("client-cert", ca_secret="certs/ca", hosts=("a.example.com",), verify="on")
    objs, em, report = emit([[rule(intent)]], tls=[TLSCert(host="a.example.com", namespace="app", secret="tls")],
                            opts=EmitOptions(existing_gateway=("infra", "shared")))
    assert not by_kind(objs, "ListenerPolicy")
    assert "existing Gateway" in em.ledger.about(intent).describe()


# -- property: any mix of policies emits objects the CRDs accept ------------------------------------------------------
_SAMPLES = [pi(name, **fam.example) for name, fam in sorted(FAMILIES.items())] + [
    pi("ip-deny", cidrs=("10.0.0.0/16", "2001:db8::/32"), client_ip="x-forwarded-for"),
    pi("rate-limit", requests=5, period="1s", burst=5, key="host"),
    BackendTLS(hostname="svc.app.svc", verify=False, origin=O), BackendTLS(hostname="svc.app.svc", origin=O),
    pi("backend-tls", clientSecret="app/client"),
    pi("load-balancer", hashBy="$cookie_sid", hashKind="cookie", hashName="sid"),
    Retry(attempts=3, codes=(503,), origin=O), CORS(allow_origins=("*",), origin=O),
    SessionPersistence(session_name="s", origin=NGINX), pi("session-cookie", secure=True, path="/app"),
    ExternalAuth(backend=ServiceBackend(namespace="auth", name="ext", port=9000), path="/", origin=O),
    Timeouts(request="0s", backend_request="60s", origin=O),
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.lists(st.sampled_from(range(len(_SAMPLES))), max_size=6, unique=True), st.booleans()),
                min_size=1, max_size=3),
       st.sampled_from([Target("1.6"), Target("1.6", "experimental"), Target("1.2")]))
def test_any_mix_of_policies_is_valid(picks, target):
    rules = []
    for i, (idx, grpc) in enumerate(picks):
        r = rule(*[_SAMPLES[j] for j in idx], path=f"/pkg.Svc{i}" if grpc else f"/p{i}", host="a.example.com")
        r.protocol = "grpc" if grpc else "http"
        rules.append(r)
    tls = [TLSCert(host="a.example.com", namespace="app", secret="tls")]
    objs, em, _ = emit([rules], target=target, tls=tls)
    assert_valid(objs, target)
    for r in rules:
        for intent in r.intents:
            if em.ledger.about(intent) is not None:
                assert em.ledger.about(intent).held or em.ledger.about(intent).describe(), intent
