"""The standard emitter from IR: what each intent becomes per Gateway API version/channel, gRPC and
TLS passthrough routes, and validity of everything against the CRDs of the target."""

from __future__ import annotations

import pytest

from conftest import crdset_for, shared_root

from ingress2gw.emitters.render import render_rule_intents
from ingress2gw.emitters.standard import EmitOptions, StandardEmitter
from ingress2gw.gwapi import Target
from ingress2gw.model.ir import (
    CORS, BackendTLS, ExternalAuth, HeaderModifier, IdleTimeout, IngressDraft, Match, Origin, PathMatch,
    RequestMirror, RequestRedirect, Retry, RuleDraft, ServiceBackend, SessionPersistence, Timeouts, URLRewrite,
)
from ingress2gw.model.policies import BodySizePolicy
from ingress2gw.stages.merge import merge_hosts
from ingress2gw.stages.translate import Translation
from ingress2gw.report import Report
from ingress2gw.source.location import Location

O = Origin(namespace="app", name="ing", location=Location("in.yaml", 1, 1), annotation="x/y")
SVC = ServiceBackend(namespace="app", name="svc", port=80)


def rule(path="/", ptype="PathPrefix", intents=(), host="a.example.com", protocol="http", backends=None):
    return RuleDraft(host=host, match=Match(path=PathMatch(type=ptype, value=path)),
                     backends=[SVC] if backends is None else backends, origin=O, intents=list(intents),
                     protocol=protocol)


def emit(rules, target=Target(), passthrough=()):
    d = IngressDraft(origin=O, provider="ingress-nginx", ingress_class="nginx", gateway="nginx", created="",
                     rules=rules, hosts=sorted({r.host for r in rules}, key=str), passthrough=list(passthrough))
    report = Report()
    em = StandardEmitter(EmitOptions(target=target), report)
    objs = em.emit(merge_hosts(Translation([d]), target, report))
    return objs, em, report


@pytest.mark.parametrize("intent,target,rendered", [
    (Timeouts(request="30s", origin=O), Target("1.2"), True),
    (CORS(allow_origins=("https://a.example",), origin=O), Target("1.4"), False),
    (CORS(allow_origins=("https://a.example",), origin=O), Target("1.4", "experimental"), True),
    (CORS(allow_origins=("https://a.example",), origin=O), Target("1.5"), True),
    (Retry(attempts=3, codes=(502, 503), origin=O), Target("1.6"), False),
    (Retry(attempts=3, codes=(502, 503), origin=O), Target("1.6", "experimental"), True),
    (SessionPersistence(session_name="route", origin=O), Target("1.6"), False),
    (SessionPersistence(session_name="route", origin=O), Target("1.6", "experimental"), True),
    (ExternalAuth(backend=SVC, path="/auth", origin=O), Target("1.6", "experimental"), True),
    (ExternalAuth(backend=SVC, path="/auth", origin=O), Target("1.3", "experimental"), False),
    (RequestMirror(backend=SVC, percent=10, origin=O), Target("1.2"), False),
    (RequestMirror(backend=SVC, percent=10, origin=O), Target("1.3"), True),
    (RequestRedirect(scheme="https", status_code=308, origin=O), Target("1.4"), False),
    (RequestRedirect(scheme="https", status_code=308, origin=O), Target("1.5"), True),
    (BodySizePolicy(max_bytes=1048576, origin=O), Target("1.6", "experimental"), False),
])
def test_intent_gating_by_version_and_channel(intent, target, rendered):
    out = render_rule_intents([intent], target, "PathPrefix")
    assert (intent in out.used) is rendered
    if not rendered:
        assert out.left and out.left[0][1]  # always a reason


def test_header_modifiers_merge_and_redirect_excludes_rewrite():
    out = render_rule_intents([
        HeaderModifier(direction="request", set=(("X-A", "1"),), origin=O),
        HeaderModifier(direction="request", set=(("X-B", "2"),), remove=("X-C",), origin=O),
        RequestRedirect(scheme="https", status_code=301, origin=O),
        URLRewrite(replace_full_path="/x", origin=O),
    ], Target(), "PathPrefix")
    types = [f["type"] for f in out.filters]
    assert types.count("RequestHeaderModifier") == 1 and "URLRewrite" not in types
    hm = next(f for f in out.filters if f["type"] == "RequestHeaderModifier")["requestHeaderModifier"]
    assert hm == {"set": [{"name": "X-A", "value": "1"}, {"name": "X-B", "value": "2"}], "remove": ["X-C"]}
    assert [type(i).__name__ for i, _ in out.left] == ["URLRewrite"]


def test_replace_prefix_match_needs_a_prefix_match():
    out = render_rule_intents([URLRewrite(replace_prefix_match="/", origin=O)], Target(), "Exact")
    assert not out.used and "PathPrefix" in out.left[0][1].describe()


def test_replace_prefix_rules_are_never_merged_into_one_rule():
    rw = URLRewrite(replace_prefix_match="/", origin=O)
    objs, _, _ = emit([rule("/a", intents=[rw]), rule("/b", intents=[rw])])
    route = next(o for o in objs if o["kind"] == "HTTPRoute")
    assert [len(r["matches"]) for r in route["spec"]["rules"]] == [1, 1]


def test_grpc_rules_become_a_grpc_route_with_method_matches():
    objs, em, report = emit([
        rule("/", protocol="grpc"),
        rule("/pkg.Greeter", protocol="grpc", backends=[ServiceBackend(namespace="app", name="g", port=9000)]),
        rule("/pkg.Greeter/SayHello", ptype="Exact", protocol="grpc",
             backends=[ServiceBackend(namespace="app", name="g", port=9000)]),
        rule("/not/grpc/shaped", protocol="grpc"),
        rule("/web"),
    ])
    kinds = sorted(o["kind"] for o in objs)
    assert kinds.count("GRPCRoute") == 1 and kinds.count("HTTPRoute") == 1
    grpc = next(o for o in objs if o["kind"] == "GRPCRoute")
    rules = grpc["spec"]["rules"]
    assert {"method": {"type": "Exact", "service": "pkg.Greeter"}} in rules[0]["matches"]
    assert {"method": {"type": "Exact", "service": "pkg.Greeter", "method": "SayHello"}} in rules[0]["matches"]
    assert "matches" not in rules[-1]  # "/" → every method
    http = next(o for o in objs if o["kind"] == "HTTPRoute")
    assert [m["path"]["value"] for r in http["spec"]["rules"] for m in r["matches"]] == ["/not/grpc/shaped", "/web"]
    assert any(f.code.value == "route.grpc-path" for f in report.findings)


def test_grpc_rule_intents_without_grpc_form_are_left_out():
    t = Timeouts(request="5s", origin=O)
    h = HeaderModifier(direction="request", set=(("X", "1"),), origin=O.model_copy(update={"annotation": "x/h"}))
    _, em, _ = emit([rule("/", protocol="grpc", intents=[t, h])])
    assert em.ledger.about(h).held and not em.ledger.about(t).held and "GRPCRoute" in em.ledger.about(t).describe()


def test_an_idle_timeout_leaves_the_response_unbounded_and_says_so():
    # Gateway API has no idle timeout. No bound changes only requests whose backend falls silent (which nginx cut
    # off); a backendRequest bound would also cut every longer response that keeps streaming.
    t, i = Timeouts(request="0s", origin=O), IdleTimeout(read="60s", origin=O)
    objs, em, _ = emit([rule("/", intents=[t, i]), rule("/b", intents=[t, i])])
    (route,) = [o for o in objs if o["kind"] == "HTTPRoute"]
    assert all(r["timeouts"] == {"request": "0s"} for r in route["spec"]["rules"])
    outcome = em.ledger.about(i)
    assert outcome.held and len(outcome.differences) == 1  # once, whatever the number of rules
    assert "backend stays silent for 60s" in outcome.describe() and "backendRequest" in outcome.describe()
    _, em, _ = emit([rule("/", intents=[u := IdleTimeout(read="60s", written=False, origin=O)])])
    assert "not written" in em.ledger.about(u).describe() and "15s" in em.ledger.about(u).describe()
    _, em, _ = emit([rule("/pkg.S", protocol="grpc", intents=[i])])  # a GRPCRoute writes nothing either
    assert em.ledger.about(i).held and "backend stays silent" in em.ledger.about(i).describe()


@pytest.mark.parametrize("target,version", [(Target("1.6"), "v1"), (Target("1.4", "experimental"), "v1alpha2"),
                                            (Target("1.4"), None)])
def test_passthrough_tls_route(target, version):
    objs, _, report = emit([rule("/")], target=target, passthrough=[("a.example.com", SVC)])
    routes = [o for o in objs if o["kind"] == "TLSRoute"]
    gw = next(o for o in objs if o["kind"] == "Gateway")
    tls_listeners = [lst for lst in gw["spec"]["listeners"] if lst["protocol"] == "TLS"]
    if version is None:
        assert not routes and not tls_listeners
        assert any(f.code.value == "gateway-api.version" for f in report.findings)
    else:
        assert routes[0]["apiVersion"].endswith(version)
        assert tls_listeners[0]["tls"] == {"mode": "Passthrough"}
        assert routes[0]["spec"]["parentRefs"][0]["sectionName"] == tls_listeners[0]["name"]


def test_backend_tls_policy_per_service():
    btls = BackendTLS(hostname="svc.app.svc", origin=O)
    objs, _, _ = emit([rule("/a", intents=[btls]), rule("/b", intents=[btls])])
    pols = [o for o in objs if o["kind"] == "BackendTLSPolicy"]
    assert len(pols) == 1
    assert pols[0]["spec"]["targetRefs"] == [{"group": "", "kind": "Service", "name": "svc"}]
    assert pols[0]["spec"]["validation"]["hostname"] == "svc.app.svc"


ALL_INTENTS = [Timeouts(request="30s", backend_request="20s", origin=O),
               CORS(allow_origins=("https://a.example",), allow_methods=("GET",), max_age=60,
                    allow_credentials=True, origin=O),
               HeaderModifier(direction="response", add=(("X-R", "1"),), origin=O),
               RequestMirror(backend=SVC, percent=5, origin=O),
               Retry(attempts=2, codes=(503,), origin=O),
               SessionPersistence(session_name="s", absolute_timeout="1h", lifetime="Permanent", origin=O),
               ExternalAuth(backend=SVC, path="/auth", allowed_headers=("Authorization",), origin=O),
               BackendTLS(hostname="svc.app.svc", origin=O)]


@pytest.mark.parametrize("target", [Target("1.6"), Target("1.6", "experimental"), Target("1.2"),
                                    Target("1.2", "experimental")])
def test_everything_rendered_is_valid_for_its_target(target):
    if not (shared_root() / "crds").exists():
        pytest.skip("../shared/crds not available")
    from ingress2gw.validate import validate_object

    objs, _, _ = emit([rule("/", intents=ALL_INTENTS), rule("/pkg.S", protocol="grpc",
                                                              intents=[ALL_INTENTS[2]])],
                      target=target, passthrough=[("b.example.com", SVC)])
    crds = crdset_for(target.version, target.channel)
    for obj in objs:
        assert not validate_object(crds, obj), (obj["kind"], validate_object(crds, obj))
