"""The Istio emitter: AuthorizationPolicies scoped to exactly the requests of their rules (DENY only),
DestinationRules per Service and Gateway (workloadSelector), refusals with reasons, and validity against
Gateway API + the Istio 1.30.3 CRDs."""

from __future__ import annotations

import pytest

from conftest import crdset_for

from ingress2gw.emitters.istio import REFUSED, IstioEmitter, istio_duration
from ingress2gw.emitters.istio.authz import covers, host_patterns
from ingress2gw.emitters.istio.destination import GATEWAY_LABEL
from ingress2gw.emitters.standard import EmitOptions
from ingress2gw.gwapi import Target
from ingress2gw.model.ir import (
    BackendTLS, HeaderMatch, IngressDraft, Match, Origin, PathMatch, PolicyIntent, Retry, RuleDraft,
    ServiceBackend, SessionPersistence, TLSCert,
)
from ingress2gw.model.policies import FAMILIES
from ingress2gw.stages.merge import merge_hosts
from ingress2gw.stages.translate import Translation
from ingress2gw.report import Report
from ingress2gw.source.location import Location

O = Origin(namespace="app", name="ing", location=Location("in.yaml", 1, 1), annotation="x/y")
O2 = Origin(namespace="app", name="other", location=Location("in.yaml", 20, 1), annotation="x/z")
SVC = ServiceBackend(namespace="app", name="svc", port=80)
SVC2 = ServiceBackend(namespace="app", name="svc2", port=80)


def pi(family: str, origin=O, **params) -> PolicyIntent:
    return FAMILIES[family](origin=origin, **params)


def rule(*intents, path="/", ptype="PathPrefix", host="a.example.com", origin=O, backends=None, headers=(),
         https=False) -> RuleDraft:
    return RuleDraft(host=host, match=Match(path=PathMatch(type=ptype, value=path), headers=tuple(headers)),
                     backends=[SVC] if backends is None else backends, origin=origin, intents=list(intents),
                     ssl_redirect=https, created="2024-01-01T00:00:00Z" if origin is O else "2024-02-01T00:00:00Z")


def render(intent, *others, target=Target(), **kw):
    em = IstioEmitter(EmitOptions(target=target), Report())
    out = em.render_policy(intent, rule(intent, *others, **kw))
    if isinstance(out, str):
        return out, em
    merged: dict = {}
    for p in out:
        merged.setdefault((p.kind, p.scope), {}).update(p.fragment)
    return merged, em


def emit(rules, target=Target(), tls=(), mode="shared"):
    gateway = "app/nginx" if mode == "per-namespace" else "nginx"
    d = IngressDraft(origin=O, provider="ingress-nginx", ingress_class="nginx", gateway=gateway, created="",
                     rules=rules, hosts=sorted({r.host for r in rules}, key=str), tls=list(tls), ssl_redirect=bool(tls))
    report = Report()
    em = IstioEmitter(EmitOptions(target=target, gateway_mode=mode), report)
    return em.emit(merge_hosts(Translation([d]), target, report)), em, report


def by_kind(objs, kind):
    return [o for o in objs if o["kind"] == kind]


def valid(objs, target=Target()):
    from ingress2gw.validate import validate_object

    crds = crdset_for(target.version, target.channel, (IstioEmitter.crd_bundle,))
    problems = [f"{o['kind']} {o['metadata']['name']}: {p.field}: {p.message}"
                for o in objs for p in validate_object(crds, o)]
    assert not problems, "\n".join(problems)


ALLOW = dict(cidrs=("10.0.0.0/8",), status=403, client_ip="tcp-peer")


# -- values ----------------------------------------------------------------------------------------------
def test_values():
    assert istio_duration(3000) == "3s" and istio_duration(1500) == "1500ms"
    assert host_patterns("a.example.com") == ["a.example.com", "a.example.com:*"]
    assert host_patterns("*.example.com") == ["*.example.com", "*.example.com:80", "*.example.com:443"]
    assert covers(None, "a.example.com") and covers("*.example.com", "a.example.com")
    assert not covers("a.example.com", "b.example.com") and not covers("*.example.com", "example.com")


def test_every_family_is_rendered_or_refused_with_a_reason():
    for name, fam in FAMILIES.items():
        intent = fam(**fam.example, origin=O)
        out, _ = render(intent)
        assert out, name
        if isinstance(out, str) and name in REFUSED:
            assert out == REFUSED[name]


# -- AuthorizationPolicy ------------------------------------------------------------------------------
def test_allow_list_is_a_deny_of_every_other_address():
    out, _ = render(pi("ip-allow", **ALLOW))
    ((key, frag),) = out.items()
    assert key == ("AuthorizationPolicy", "gateway")
    assert frag == {"action": "DENY", "source": {"notIpBlocks": ["10.0.0.0/8"]}}
    out, em = render(intent := pi("ip-deny", cidrs=("192.0.2.1/32",), client_ip="x-forwarded-for", status=403))
    assert list(out.values())[0] == {"action": "DENY", "source": {"remoteIpBlocks": ["192.0.2.1/32"]}}
    assert "numTrustedProxies" in em.ledger.about(intent).describe()


def test_regex_paths_cannot_be_scoped():
    out, _ = render(pi("ip-allow", **ALLOW), path="(?i)^/app.*", ptype="RegularExpression")
    assert "never by regular expression" in out


def test_policy_is_scoped_to_the_rule_and_leaves_out_more_specific_rules():
    allow = pi("ip-allow", **ALLOW)
    objs, em, _ = emit([rule(allow, path="/v1"), rule(allow, path="/login", ptype="Exact"),
                        rule(path="/v1/public", origin=O2), rule(path="/v1/health", ptype="Exact", origin=O2),
                        rule(path="/v10", origin=O2)])
    (ap,) = by_kind(objs, "AuthorizationPolicy")
    assert ap["metadata"]["namespace"] == "gateway-system"
    assert ap["spec"]["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "nginx"}]
    assert ap["spec"]["action"] == "DENY"
    (statement,) = ap["spec"]["rules"]
    assert statement["from"] == [{"source": {"notIpBlocks": ["10.0.0.0/8"]}}]
    ops = [t["operation"] for t in statement["to"]]
    hosts = ["a.example.com", "a.example.com:*"]
    assert {"hosts": hosts, "paths": ["/login"]} in ops
    assert {"hosts": hosts, "paths": ["/v1", "/v1/*"],
            "notPaths": ["/v1/health", "/v1/public", "/v1/public/*"]} in ops \
        or {"hosts": hosts, "paths": ["/v1", "/v1/*"],
            "notPaths": ["/v1/public", "/v1/public/*", "/v1/health"]} in ops
    assert em.ledger.about(allow).held
    valid(objs)


def test_catch_all_rules_leave_out_hosts_with_their_own_listener():
    deny = pi("ip-deny", cidrs=("192.0.2.0/24",), client_ip="tcp-peer")
    objs, _, _ = emit([rule(deny, host=None), rule(path="/", origin=O2, host="b.example.com")])
    (ap,) = by_kind(objs, "AuthorizationPolicy")
    assert ap["spec"]["rules"][0]["to"] == [{"operation": {"notHosts": ["b.example.com", "b.example.com:*"]}}]
    valid(objs)


def test_header_rules_are_subsumed_or_conditioned():
    allow = pi("ip-allow", **ALLOW)
    canary = [HeaderMatch(name="X-Canary", value="always")]
    objs, _, _ = emit([rule(allow, path="/"), rule(allow, path="/", headers=canary, backends=[SVC2])])
    (ap,) = by_kind(objs, "AuthorizationPolicy")
    assert "when" not in ap["spec"]["rules"][0]  # the header rule is inside the path rule's scope
    objs, _, _ = emit([rule(allow, path="/", headers=canary, backends=[SVC2]), rule(path="/", origin=O2)])
    (ap,) = by_kind(objs, "AuthorizationPolicy")
    assert ap["spec"]["rules"][0]["when"] == [{"key": "request.headers[X-Canary]", "values": ["always"]}]
    valid(objs)


def test_a_more_specific_header_rule_without_the_setting_is_refused():
    allow = pi("ip-allow", **ALLOW)
    objs, em, _ = emit([rule(allow, path="/"), rule(path="/", origin=O2, headers=[HeaderMatch(name="X-A", value="1")],
                                                     backends=[SVC2])])
    assert not by_kind(objs, "AuthorizationPolicy")
    assert not em.ledger.about(allow).held
    assert "header conditions" in em.ledger.about(allow).describe()


def test_a_host_with_regex_rules_is_refused():
    allow = pi("ip-allow", **ALLOW)
    objs, em, _ = emit([rule(allow, path="/"), rule(path="(?i)^/x.*", ptype="RegularExpression", origin=O2)])
    assert not by_kind(objs, "AuthorizationPolicy")
    assert "regular-expression rules" in em.ledger.about(allow).describe()


def test_redirect_rules_of_tls_hosts_do_not_block_scoping():
    allow = pi("ip-allow", **ALLOW)
    objs, em, _ = emit([rule(allow, path="/app", https=True), rule(path="/", origin=O2, https=True)],
                       tls=[TLSCert("a.example.com", "app", "a-tls")])
    (ap,) = by_kind(objs, "AuthorizationPolicy")
    assert ap["spec"]["rules"][0]["to"] == [{"operation": {"hosts": ["a.example.com", "a.example.com:*"],
                                                           "paths": ["/app", "/app/*"]}}]
    assert em.ledger.about(allow).held
    valid(objs)


# -- DestinationRule ------------------------------------------------------------------------------------
@pytest.mark.parametrize("params,want", [
    ({"algorithm": "round_robin"}, {"simple": "ROUND_ROBIN"}),
    ({"algorithm": "ewma"}, {"simple": "LEAST_REQUEST"}),
    ({"hashBy": "$remote_addr", "hashKind": "sourceIP"}, {"consistentHash": {"useSourceIp": True}}),
    ({"hashBy": "$http_x_user", "hashKind": "header", "hashName": "x-user"},
     {"consistentHash": {"httpHeaderName": "x-user"}}),
    ({"hashBy": "$cookie_sid", "hashKind": "cookie", "hashName": "sid"},
     {"consistentHash": {"httpCookie": {"name": "sid"}}}),
    ({"hashBy": "$arg_u", "hashKind": "query", "hashName": "u"}, {"consistentHash": {"httpQueryParameterName": "u"}}),
])
def test_load_balancing(params, want):
    out, _ = render(pi("load-balancer", **params))
    assert out == {("DestinationRule", "service"): {"trafficPolicy": {"loadBalancer": want}}}


def test_uri_hashing_is_refused():
    out, _ = render(pi("load-balancer", hashBy="$request_uri", hashKind="uri"))
    assert "none of them" in out


def test_session_cookie_from_session_persistence_and_attributes():
    sp = SessionPersistence(session_name="route", absolute_timeout="3600s", lifetime="Permanent", origin=O)
    out, _ = render(sp)
    assert out == {("DestinationRule", "service"): {"trafficPolicy": {"loadBalancer": {"consistentHash": {
        "httpCookie": {"name": "route", "ttl": "3600s"}}}}}}
    out, _ = render(SessionPersistence(session_name="s", lifetime="Session", origin=O))
    assert out[("DestinationRule", "service")]["trafficPolicy"]["loadBalancer"]["consistentHash"]["httpCookie"][
        "ttl"] == "0s"
    attrs = pi("session-cookie", sameSite="Lax", secure=True, path="/app")
    out, _ = render(attrs, sp)
    assert out[("DestinationRule", "service")]["trafficPolicy"]["loadBalancer"]["consistentHash"]["httpCookie"] == {
        "name": "route", "path": "/app", "attributes": [{"name": "SameSite", "value": "Lax"}, {"name": "Secure"}]}
    out, _ = render(attrs, sp, target=Target("1.6", "experimental"))
    assert "sessionPersistence holds the cookie" in out
    out, _ = render(attrs)
    assert "without a sticky-session cookie" in out


def test_per_route_settings_need_every_route_to_the_service():
    connect = pi("upstream-timeouts", connect="3s")
    objs, em, _ = emit([rule(connect, path="/a"), rule(path="/b", origin=O2)])
    assert not by_kind(objs, "DestinationRule")
    assert "wider than the source" in em.ledger.about(connect).describe()
    objs, em, _ = emit([rule(connect, path="/a"), rule(path="/b", origin=O2, backends=[SVC2])])
    (dr,) = by_kind(objs, "DestinationRule")
    assert dr["metadata"]["namespace"] == "gateway-system"
    assert dr["spec"] == {"host": "svc.app.svc.cluster.local",
                          "workloadSelector": {"matchLabels": {GATEWAY_LABEL: "nginx"}},
                          "trafficPolicy": {"connectionPool": {"tcp": {"connectTimeout": "3s"}}}}
    assert em.ledger.about(connect).held
    valid(objs)


def test_send_timeout_is_refused():
    out, _ = render(pi("upstream-timeouts", send="60s"))
    assert "between two writes" in out


def test_skip_verify_replaces_the_backend_tls_policy():
    bt = BackendTLS(hostname="secure.internal", verify=False, origin=O)
    objs, em, _ = emit([rule(bt)])
    assert not by_kind(objs, "BackendTLSPolicy")
    (dr,) = by_kind(objs, "DestinationRule")
    assert dr["spec"]["trafficPolicy"] == {"tls": {"mode": "SIMPLE", "sni": "secure.internal",
                                                   "insecureSkipVerify": True}}
    answer = em.ledger.about(bt)  # Istio does not verify either: the same behaviour
    assert answer.objects == ("DestinationRule",) and not answer.lossy
    valid(objs)


def test_skip_verify_on_a_grpc_rule_is_a_destination_rule_too():
    bt = BackendTLS(hostname="greeter.app.svc", verify=False, origin=O)
    r = rule(bt, path="/")
    r.protocol = "grpc"
    objs, em, _ = emit([r])
    assert by_kind(objs, "GRPCRoute") and not by_kind(objs, "BackendTLSPolicy")
    (dr,) = by_kind(objs, "DestinationRule")
    assert dr["spec"]["trafficPolicy"]["tls"] == {"mode": "SIMPLE", "sni": "greeter.app.svc",
                                                  "insecureSkipVerify": True}
    answer = em.ledger.about(bt)
    assert answer.objects == ("DestinationRule",) and not answer.lossy and not answer.refused
    valid(objs)


def test_verified_tls_stays_a_backend_tls_policy_and_says_which_ca_differs():
    bt = BackendTLS(hostname="svc.app.svc", origin=O)
    objs, em, _ = emit([rule(bt)])
    assert by_kind(objs, "BackendTLSPolicy") and not by_kind(objs, "DestinationRule")
    assert not em.ledger.about(bt).lossy
    ca = BackendTLS(hostname="svc.app.svc", ca_secret="app/client", origin=O)
    objs, em, _ = emit([rule(ca)])  # the client Secret is not held here (shared Gateway): the system CAs verify
    assert "ca.crt of Secret app/client" in em.ledger.about(ca).describe()
    objs, em, _ = emit([rule(ca, pi("backend-tls", clientSecret="app/client"))], mode="per-namespace")
    (dr,) = by_kind(objs, "DestinationRule")
    assert dr["spec"]["trafficPolicy"]["tls"]["credentialName"] == "client"
    assert not by_kind(objs, "BackendTLSPolicy") and not em.ledger.about(ca).lossy  # its ca.crt verifies
    valid(objs)


def test_client_certificates_need_the_secret_in_the_gateway_namespace():
    bt = BackendTLS(hostname="svc.app.svc", origin=O)
    client = pi("backend-tls", clientSecret="app/client")
    objs, em, _ = emit([rule(bt, client)])
    assert "credentialName" in em.ledger.about(client).describe()
    assert by_kind(objs, "BackendTLSPolicy")
    objs, em, _ = emit([rule(bt, client)], mode="per-namespace")
    (dr,) = by_kind(objs, "DestinationRule")
    assert dr["spec"]["trafficPolicy"]["tls"] == {"mode": "MUTUAL", "credentialName": "client", "sni": "svc.app.svc",
                                                  "subjectAltNames": ["svc.app.svc"]}
    valid(objs)


def test_backend_tls_ciphers_alone_are_refused():
    out, _ = render(pi("backend-tls", ciphers="HIGH"), BackendTLS(hostname="h", origin=O))
    assert "no cipher or protocol-version setting" in out


def test_circuit_breaker_is_an_approximate_outlier_detection():
    out, em = render(cb := pi("circuit-breaker", expression="NetworkErrorRatio() > 0.30", fallback_duration="30s"))
    assert out == {("DestinationRule", "service"): {"trafficPolicy": {"outlierDetection": {
        "consecutiveGatewayErrors": 5, "maxEjectionPercent": 100, "interval": "100ms", "baseEjectionTime": "30s"}}}}
    assert "approximation" in em.ledger.about(cb).describe()
    out, _ = render(pi("circuit-breaker", expression="LatencyAtQuantileMS(50.0) > 100"))
    assert "no equivalent" in out


def test_a_hash_overrides_the_algorithm_and_differing_settings_conflict():
    lb = pi("load-balancer", algorithm="round_robin")
    sp = SessionPersistence(session_name="route", origin=O)
    objs, em, _ = emit([rule(lb, sp, path="/a")])
    (dr,) = by_kind(objs, "DestinationRule")
    assert "simple" not in dr["spec"]["trafficPolicy"]["loadBalancer"]
    assert not em.ledger.about(lb).held and "overrides the balancing algorithm" in em.ledger.about(lb).describe()
    first, second = pi("load-balancer", algorithm="ewma"), pi("load-balancer", origin=O2, algorithm="random")
    objs, em, report = emit([rule(first, path="/a"), rule(second, path="/b", origin=O2)])
    (dr,) = by_kind(objs, "DestinationRule")
    assert dr["spec"]["trafficPolicy"]["loadBalancer"] == {"simple": "LEAST_REQUEST"}
    assert not em.ledger.about(second).held
    assert any(f.code.value == "policy.conflict" for f in report.findings)
    valid(objs)


def test_refusals():
    for family in ("rate-limit", "basic-auth", "connection-limit", "in-flight", "body-size"):
        out, _ = render(pi(family, **FAMILIES[family].example))
        assert out == REFUSED[family]
    out, _ = render(Retry(attempts=2, origin=O))
    assert isinstance(out, str)


def test_backend_tls_without_backend_tls_policy_in_the_target_is_a_destination_rule():
    target = Target("1.3")
    objs, em, _ = emit([rule(bt := BackendTLS(hostname="secure.internal", origin=O))], target=target)
    assert not by_kind(objs, "BackendTLSPolicy")
    (dr,) = by_kind(objs, "DestinationRule")
    assert dr["spec"]["trafficPolicy"] == {"tls": {"mode": "SIMPLE", "sni": "secure.internal",
                                                   "subjectAltNames": ["secure.internal"]}}
    assert em.ledger.about(bt).held
    valid(objs, target)
    objs, em, _ = emit([rule(BackendTLS(hostname="secure.internal", verify=False, origin=O))], target=target)
    (dr,) = by_kind(objs, "DestinationRule")
    assert dr["spec"]["trafficPolicy"]["tls"] == {"mode": "SIMPLE", "sni": "secure.internal",
                                                  "insecureSkipVerify": True}
    out, _ = render(BackendTLS(hostname="h", ca_config_maps=("ca",), origin=O), target=target)
    assert "not from ConfigMap ca" in out


def test_skip_verify_for_one_ingress_only_keeps_the_other_verified():
    skip = BackendTLS(hostname="secure.internal", verify=False, origin=O)
    objs, em, _ = emit([rule(skip, path="/a"), rule(BackendTLS(hostname="secure.internal", origin=O2),
                                                    path="/b", origin=O2)])
    assert not by_kind(objs, "DestinationRule")
    assert by_kind(objs, "BackendTLSPolicy")
    assert "wider than the source" in em.ledger.about(skip).describe()


def test_the_read_timeout_has_no_istio_idle_timeout_and_the_response_stays_unbounded():
    from ingress2gw.model.ir import IdleTimeout, Timeouts

    t, i = Timeouts(request="0s", origin=O), IdleTimeout(read="60s", origin=O)
    objs, em, _ = emit([rule(t, i)])
    (route,) = by_kind(objs, "HTTPRoute")
    assert route["spec"]["rules"][0]["timeouts"] == {"request": "0s"}  # Istio: no route timeout, as nginx
    said = em.ledger.about(i)
    assert said.held and "backend stays silent for 60s" in said.describe() and "Istio has no per-route idle" in \
        said.describe()
    u = IdleTimeout(read="60s", written=False, origin=O.model_copy(update={"default": "proxy-read-timeout 60s"}))
    objs, em, _ = emit([rule(u)])
    assert "timeouts" not in by_kind(objs, "HTTPRoute")[0]["spec"]["rules"][0]
    (difference,) = em.ledger.about(u).differences  # one statement, not split
    assert difference.detail.startswith("not written") and "Istio sets no route timeout" in difference.detail
