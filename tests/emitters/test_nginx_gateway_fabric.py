"""The NGINX Gateway Fabric emitter: what each policy family becomes (exact spec fragments), what is refused and
why, where policies and ExtensionRef filters attach, and validity against Gateway API + the NGF v2.6.7 CRDs."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conftest import crdset_for

from ingress2gw.emitters.nginx_gateway_fabric import REFUSED, NginxGatewayFabricEmitter
from ingress2gw.emitters.nginx_gateway_fabric.values import (
    claimable, duration_ms, nginx_bytes, ngf_duration, ngf_size, rate_key, request_rate,
)
from ingress2gw.emitters.standard import EmitOptions
from ingress2gw.gwapi import Target
from ingress2gw.model.ir import (
    IdleTimeout, IngressDraft, Match, Origin, PathMatch, PolicyIntent, Retry, RuleDraft, ServiceBackend,
    SessionPersistence, TLSCert, Timeouts,
)
from ingress2gw.model.policies import FAMILIES
from ingress2gw.stages.merge import merge_hosts
from ingress2gw.stages.translate import Translation
from ingress2gw.report import Report
from ingress2gw.source.location import Location

O = Origin(namespace="app", name="ing", location=Location("in.yaml", 1, 1), annotation="x/y")
O2 = Origin(namespace="app", name="other", location=Location("in.yaml", 20, 1), annotation="x/z")
SVC = ServiceBackend(namespace="app", name="svc", port=80)
API = "gateway.nginx.org/v1alpha1"


@dataclass
class SnippetOptions(EmitOptions):
    allow_snippets: bool = False


def pi(family: str, origin=O, **params) -> PolicyIntent:
    return FAMILIES[family](origin=origin, **params)


def rule(*intents, path="/", host="a.example.com", origin=O, https=False, backends=None) -> RuleDraft:
    return RuleDraft(host=host, match=Match(path=PathMatch(type="PathPrefix", value=path)),
                     backends=[SVC] if backends is None else backends, origin=origin, intents=list(intents),
                     ssl_redirect=https, created="2024-01-01T00:00:00Z" if origin is O else "2024-02-01T00:00:00Z")


def render(intent, *others, opts=None, **kw):
    """(kind, scope) -> fragment of the pieces the intent becomes, or the refusal reason; and the emitter."""
    em = NginxGatewayFabricEmitter(opts or EmitOptions(), Report())
    out = em.render_policy(intent, rule(intent, *others, **kw))
    if isinstance(out, str):
        return out, em
    merged: dict = {}
    for p in out:
        assert p.api_version == API
        merged.setdefault((p.kind, p.scope), {}).update(p.fragment)
    return merged, em


def emit(rules, target=Target(), tls=(), opts=None):
    d = IngressDraft(origin=O, provider="ingress-nginx", ingress_class="nginx", gateway="nginx", created="",
                     rules=rules, hosts=sorted({r.host for r in rules}, key=str), tls=list(tls), ssl_redirect=bool(tls))
    report = Report()
    em = NginxGatewayFabricEmitter(opts or EmitOptions(target=target), report)
    return em.emit(merge_hosts(Translation([d]), target, report)), em, report


def by_kind(objs, kind):
    return [o for o in objs if o["kind"] == kind]


def valid(objs, target=Target()):
    from ingress2gw.validate import validate_object

    crds = crdset_for(target.version, target.channel, (NginxGatewayFabricEmitter.crd_bundle,))
    problems = [f"{o['kind']} {o['metadata']['name']}: {p.field}: {p.message}"
                for o in objs for p in validate_object(crds, o)]
    assert not problems, "\n".join(problems)


# -- values ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("nbytes,want", [(0, ("0", True)), (8 << 20, ("8m", True)), (65536, ("64k", True)),
                                         (1024, ("1k", True)), (9999, ("9999", True)),
                                         (2_000_000, ("1954k", False)), (20_000_000, ("20m", False))])
def test_sizes_fit_the_crd_pattern(nbytes, want):
    assert ngf_size(nbytes) == want


@pytest.mark.parametrize("text,want", [("8m", 8 << 20), ("16K", 16 << 10), ("1024", 1024), ("1g", 1 << 30),
                                       ("lots", None)])
def test_nginx_sizes(text, want):
    assert nginx_bytes(text) == want


@pytest.mark.parametrize("text,want", [("60s", ("1m", True)), ("300s", ("5m", True)), ("10s", ("10s", True)),
                                       ("500ms", ("500ms", True)), ("55h33m20s", ("200000s", False)),
                                       ("1.5s", ("1500ms", True))])
def test_durations_fit_the_crd_pattern(text, want):
    got = ngf_duration(duration_ms(text))
    assert got == want or (want[1] is False and got is not None and not got[1])


@pytest.mark.parametrize("requests,period,want", [
    (10, "1s", ("10r/s", True)), (300, "1m", ("300r/m", True)), (100, "10s", ("10r/s", True)),
    (7, "10s", ("42r/m", True)), (1, "1h", None), (5, "7s", ("42r/m", False)),
])
def test_request_rates(requests, period, want):
    assert request_rate(requests, period) == want


@pytest.mark.parametrize("key,want", [("client-ip", "$binary_remote_addr"), ("host", "$host"),
                                      ("header:X-Api-Key", "$http_x_api_key"), ("header:bad key", None)])
def test_rate_limit_keys(key, want):
    assert rate_key(key) == want


# -- families --------------------------------------------------------------------------------------------
def test_every_family_is_rendered_or_refused_with_a_reason():
    for name, fam in FAMILIES.items():
        intent = fam(**fam.example, origin=O)
        out, _ = render(intent)
        assert out, name
        if isinstance(out, str):
            assert REFUSED.get(name, out) == out or "NGF" in out or "nginx" in out.lower(), (name, out)


def test_body_size_is_a_client_settings_policy_on_the_route():
    out, em = render(pi("body-size", max_bytes=8 << 20, text="8m", status=413))
    assert out == {("ClientSettingsPolicy", "route"): {"body": {"maxSize": "8m"}}}
    out, em = render(intent := pi("body-size", max_bytes=2_000_000))
    assert out[("ClientSettingsPolicy", "route")] == {"body": {"maxSize": "1954k"}}
    assert "rounded up to 1954k" in em.ledger.about(intent).describe()


def test_client_body_buffer_is_refused_there_is_no_field():
    out, _ = render(pi("client-body-buffer", bytes=65536, text="64k"))
    assert "maxSize and timeout only" in out


def test_rate_limit_is_ingress_nginx_limit_req():
    intent = pi("rate-limit", requests=10, period="1s", burst=30, key="client-ip", status=503,
                counting="per-pod-per-client-ip", client_ip="tcp-peer")
    out, em = render(intent)
    assert out == {("RateLimitPolicy", "route"): {"rateLimit": {
        "local": {"rules": [{"rate": "10r/s", "burst": 30, "key": "$binary_remote_addr", "noDelay": True}]},
        "rejectCode": 503}}}
    assert "per NGINX replica" in em.ledger.about(intent).describe()


def test_rate_limit_traefik_answers_429_and_keys_on_a_header():
    out, em = render(intent := pi("rate-limit", requests=100, period="1m", burst=50, key="header:X-Tenant",
                                  counting="per-replica"))
    rl = out[("RateLimitPolicy", "route")]["rateLimit"]
    assert rl["rejectCode"] == 429 and rl["local"]["rules"] == [
        {"rate": "100r/m", "burst": 50, "key": "$http_x_tenant", "noDelay": True}]
    assert "leaky bucket" in em.ledger.about(intent).describe()


def test_rate_limit_with_exemptions_is_refused_and_zero_is_nothing():
    out, _ = render(pi("rate-limit", requests=5, period="1s", exempt=("10.0.0.0/8",)))
    assert "no exemption list" in out
    out, _ = render(pi("rate-limit", requests=0, period="1s"))
    assert out == {}


def test_forwarded_client_address_needs_rewrite_client_ip():
    _, em = render(intent := pi("rate-limit", requests=1, period="1s", client_ip="x-forwarded-for"))
    assert "rewriteClientIP" in em.ledger.about(intent).describe()


def test_buffers_follow_the_buffer_size_as_ingress_nginx_writes_them():
    size, number = pi("proxy-buffering", bufferSize="16k"), pi("proxy-buffering", buffersNumber=8)
    out, _ = render(size, number)
    assert out == {("ProxySettingsPolicy", "route"): {"buffering": {
        "bufferSize": "16k", "buffers": {"number": 8, "size": "16k"}}}}
    out, em = render(size)
    assert out[("ProxySettingsPolicy", "route")]["buffering"]["buffers"] == {"number": 4, "size": "16k"}
    assert "proxy-buffers-number" in em.ledger.about(size).describe()
    out, _ = render(pi("proxy-buffering", responseBuffering=False))
    assert out == {("ProxySettingsPolicy", "route"): {"buffering": {"disable": True}}}
    out, _ = render(pi("proxy-buffering", busyBuffersSize="32K"))
    assert out == {("ProxySettingsPolicy", "route"): {"buffering": {"busyBuffersSize": "32k"}}}


def test_request_buffering_and_out_of_range_buffers_are_refused():
    out, _ = render(pi("proxy-buffering", requestBuffering=False))
    assert "proxy_request_buffering" in out
    out, _ = render(pi("proxy-buffering", buffersNumber=1))
    assert "2 to 256" in out


def test_upstream_timeouts_are_proxy_settings_timeouts():
    out, _ = render(pi("upstream-timeouts", connect="10s", send="120s"))
    assert out == {("ProxySettingsPolicy", "route"): {"timeout": {"connect": "10s", "send": "2m"}}}


@pytest.mark.parametrize("params,want", [
    ({"algorithm": "round_robin"}, {"loadBalancingMethod": "round_robin"}),
    ({"algorithm": "ewma"}, {"loadBalancingMethod": "least_conn"}),
    ({"hashBy": "$http_x_user", "hashKind": "header", "hashName": "x-user"},
     {"loadBalancingMethod": "hash consistent", "hashMethodKey": "$http_x_user"}),
    ({"hashBy": "$binary_remote_addr", "hashKind": "sourceIP"},
     {"loadBalancingMethod": "hash consistent", "hashMethodKey": "$binary_remote_addr"}),
])
def test_load_balancing_is_an_upstream_settings_policy_on_the_service(params, want):
    out, _ = render(pi("load-balancer", **params))
    assert out == {("UpstreamSettingsPolicy", "service"): want}


def test_composite_hash_keys_and_cluster_ip_are_refused():
    out, _ = render(pi("load-balancer", hashBy="$host$request_uri", hashKind="expression"))
    assert "single NGINX variable" in out
    for intent in (pi("service-upstream", enabled=True), pi("native-lb")):
        out, _ = render(intent)
        assert "no ClusterIP option" in out


def test_basic_auth_is_an_authentication_filter_on_the_rule():
    intent = pi("basic-auth", type="basic", secret="app/users", secret_type="auth-file", realm="Staff")
    out, em = render(intent)
    assert out == {("AuthenticationFilter", "rule"): {
        "type": "Basic", "basic": {"realm": "Staff", "secretRef": {"name": "users"}}}}
    assert "nginx.org/htpasswd" in em.ledger.about(intent).describe()
    out, _ = render(pi("basic-auth", type="digest", secret="app/users"))
    assert "digest" in out
    out, _ = render(pi("basic-auth", type="basic", secret="auth/users"))
    assert "its own namespace" in out


def test_left_out_gateway_api_intents_are_refused():
    for intent in (SessionPersistence(session_name="s", origin=O), Retry(attempts=2, origin=O)):
        out, _ = render(intent)
        assert isinstance(out, str) and out


# -- snippets (only with --allow-snippets) -----------------------------------------------------------------
def snippet(context="location", text='add_header X-A "1" always;\n', **extra):
    return pi("snippet", context=context, text=text, **extra)


def test_snippets_need_the_flag():
    out, _ = render(snippet())
    assert "--allow-snippets" in out


def test_snippets_with_the_flag_become_snippets_filters_or_a_snippets_policy():
    opts = SnippetOptions(allow_snippets=True)
    out, em = render(s := snippet(), opts=opts)
    assert out == {("SnippetsFilter", "rule"): {"snippets": [
        {"context": "http.server.location", "value": 'add_header X-A "1" always;\n'}]}}
    assert "review it" in em.ledger.about(s).describe()
    out, _ = render(snippet(context="server"), opts=opts)
    assert out[("SnippetsFilter", "rule")]["snippets"][0]["context"] == "http.server"
    out, _ = render(snippet(context="http", text="map $a $b { default c; }"), opts=opts)
    assert out == {("SnippetsPolicy", "gateway"): {"snippets": [
        {"context": "http", "value": "map $a $b { default c; }"}]}}


def test_snippets_the_controller_refused_or_ngf_cannot_load_are_refused():
    opts = SnippetOptions(allow_snippets=True)
    out, _ = render(snippet(refused="allow-snippet-annotations is false"), opts=opts)
    assert "never ran" in out
    out, _ = render(snippet(text='more_set_headers "X-A: 1";'), opts=opts)
    assert "more_set_headers" in out
    out, _ = render(snippet(text="access_by_lua_block { ngx.exit(401) }"), opts=opts)
    assert "access_by_lua_block" in out


# -- emission --------------------------------------------------------------------------------------------
def test_route_policies_attach_to_the_routes_of_the_rules_that_asked():
    limited = rule(pi("rate-limit", requests=10, period="1s", burst=50, status=503), path="/api")
    plain = rule(path="/", origin=O2)
    objs, em, _ = emit([limited, plain])
    routes = by_kind(objs, "HTTPRoute")
    assert len(routes) == 2
    (rl,) = by_kind(objs, "RateLimitPolicy")
    target = rl["spec"]["targetRefs"][0]
    limited_route = next(r for r in routes if r["metadata"]["name"] == target["name"])
    assert [m["path"]["value"] for r in limited_route["spec"]["rules"] for m in r["matches"]] == ["/api"]
    valid(objs)


def test_client_settings_policy_has_a_single_target_ref():
    objs, _, _ = emit([rule(pi("body-size", max_bytes=1 << 20))])
    (csp,) = by_kind(objs, "ClientSettingsPolicy")
    assert "targetRefs" not in csp["spec"]
    assert csp["spec"]["targetRef"]["kind"] == "HTTPRoute"
    valid(objs)


def test_authentication_filter_is_referenced_by_its_rules_only_and_not_by_redirects():
    auth = pi("basic-auth", type="basic", secret="app/users", realm="Staff")
    objs, _, _ = emit([rule(auth, path="/admin", https=True), rule(path="/", origin=O2, https=True)],
                      tls=[TLSCert("a.example.com", "app", "a-tls")])
    (flt,) = by_kind(objs, "AuthenticationFilter")
    assert flt["metadata"]["namespace"] == "app"
    assert flt["spec"] == {"type": "Basic", "basic": {"realm": "Staff", "secretRef": {"name": "users"}}}
    refs = {}
    for route in by_kind(objs, "HTTPRoute"):
        for r in route["spec"]["rules"]:
            ext = [f for f in r.get("filters", []) if f["type"] == "ExtensionRef"]
            for m in r["matches"]:
                refs[(route["metadata"]["name"], m["path"]["value"])] = ext
            if any(f["type"] == "RequestRedirect" for f in r.get("filters", [])):
                assert not ext, "NGINX redirects before it authenticates"
            if ext:
                assert list(r)[:2] == ["matches", "filters"]
    https = {path: ext for (name, path), ext in refs.items() if not name.endswith("--http")}
    assert https["/admin"] == [{"type": "ExtensionRef", "extensionRef": {
        "group": "gateway.nginx.org", "kind": "AuthenticationFilter", "name": flt["metadata"]["name"]}}]
    assert https["/"] == []
    valid(objs)


def test_read_timeout_is_nginx_own_and_the_rule_keeps_no_timeouts():
    read = O.model_copy(update={"annotation": "nginx.ingress.kubernetes.io/proxy-read-timeout"})
    objs, em, _ = emit([rule(Timeouts(request="0s", origin=read), i := IdleTimeout(read="300s", origin=read),
                             path="/slow"),
                        rule(Timeouts(request="0s", origin=O2), j := IdleTimeout(read="60s", origin=O2), path="/",
                             origin=O2)])
    for route in by_kind(objs, "HTTPRoute"):  # request: 0s is NGINX's own behaviour (and NGF ignores the field)
        assert all("timeouts" not in r for r in route["spec"]["rules"])
    (psp,) = by_kind(objs, "ProxySettingsPolicy")  # 60s is NGF's default: no object for the second rule
    assert psp["spec"]["timeout"] == {"read": "5m"}
    assert em.ledger.about(i).objects == ("ProxySettingsPolicy",) and not em.ledger.about(i).differences
    assert not em.ledger.about(j).objects and not em.ledger.about(j).differences
    valid(objs)


def test_an_unwritten_default_read_timeout_is_what_ngf_does_anyway():
    dflt = O.model_copy(update={"default": "proxy-read-timeout 60s"})
    _, em, _ = emit([rule(i := IdleTimeout(read="60s", written=False, origin=dflt))])
    assert not em.ledger.about(i).differences
    _, em, _ = emit([rule(i := IdleTimeout(read="120s", written=False, origin=dflt))])
    assert "gives up after 60s" in em.ledger.about(i).describe()


def test_other_backend_timeouts_become_read_timeouts_with_a_caveat():
    _, em, _ = emit([rule(t := Timeouts(backend_request="30s", origin=O))])
    assert "between two reads" in em.ledger.about(t).describe()
    assert not claimable({"request": "0s", "backendRequest": "0s"})  # 0s disables; NGINX would time out at once


def test_a_bound_on_the_whole_request_stays_on_the_rule():
    assert not claimable({"request": "30s", "backendRequest": "10s"})
    objs, _, _ = emit([rule(Timeouts(request="30s", backend_request="10s", origin=O))])
    assert by_kind(objs, "HTTPRoute")[0]["spec"]["rules"][0]["timeouts"] == {"request": "30s", "backendRequest": "10s"}
    assert not by_kind(objs, "ProxySettingsPolicy")


def test_service_settings_that_differ_per_ingress_are_reported_and_taken_back():
    first = pi("load-balancer", algorithm="ewma")
    second = pi("load-balancer", origin=O2, algorithm="round_robin")
    objs, em, report = emit([rule(first, path="/a"), rule(second, path="/b", origin=O2)])
    (usp,) = by_kind(objs, "UpstreamSettingsPolicy")
    assert usp["spec"]["loadBalancingMethod"] == "least_conn"
    assert usp["spec"]["targetRefs"] == [{"group": "", "kind": "Service", "name": "svc"}]
    assert em.ledger.about(first).held and not em.ledger.about(second).held
    assert "differs" in em.ledger.about(second).describe()
    assert any(f.code.value == "policy.conflict" for f in report.findings)
    valid(objs)


def test_snippets_emit_filters_and_gateway_policies_with_the_flag():
    opts = SnippetOptions(target=Target(), allow_snippets=True)
    objs, _, _ = emit([rule(snippet(), snippet(context="server", text="client_max_body_size 2m;")),
                       rule(snippet(context="http", text="map $a $b { default c; }"),
                            path="/x", origin=O2)], opts=opts)
    (flt,) = by_kind(objs, "SnippetsFilter")
    assert sorted(s["context"] for s in flt["spec"]["snippets"]) == ["http.server", "http.server.location"]
    (pol,) = by_kind(objs, "SnippetsPolicy")
    assert pol["spec"]["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "nginx"}]
    valid(objs)
