"""Deliberately broken objects: each asserts the exact field path and that the specific check fired."""

from __future__ import annotations

import pytest

from ingress2gw.validate import Problem, validate_object

from . import manifests as m


def problems(crds, obj) -> list[Problem]:
    return validate_object(crds, obj)


def only(ps: list[Problem], kind: str | None = None) -> Problem:
    assert len(ps) == 1, ps
    if kind:
        assert ps[0].kind == kind, ps
    return ps[0]


@pytest.fixture
def std(crd_set):
    return crd_set("v1.6.1", "standard")


def test_wrong_enum(std):
    g = m.gateway()
    g["spec"]["listeners"][0]["allowedRoutes"]["namespaces"]["from"] = "Everywhere"
    p = only(problems(std, g), "schema")
    assert p.field == "spec.listeners[0].allowedRoutes.namespaces.from"
    assert p.message == 'Unsupported value: "Everywhere": supported values: "All", "Selector", "Same"'


def test_missing_required(std):
    g = m.gateway()
    del g["spec"]["gatewayClassName"]
    p = only(problems(std, g), "schema")
    assert (p.field, p.message) == ("spec.gatewayClassName", "Required value")


def test_too_many_items(std):
    r = m.httproute()
    r["spec"]["hostnames"] = [f"h{i}.example.com" for i in range(17)]
    p = only(problems(std, r), "schema")
    assert p.field == "spec.hostnames"
    assert p.message == "Too many: 17: must have at most 16 items"


def test_bad_pattern(std):
    r = m.httproute()
    r["spec"]["hostnames"] = ["Bad_Host"]
    p = only(problems(std, r), "schema")
    assert p.field == "spec.hostnames[0]"
    assert "should match" in p.message


def test_unknown_field(std):
    r = m.httproute()
    r["spec"]["rules"][0]["bogus"] = 1
    p = only(problems(std, r), "schema")
    assert p.field == "spec.rules[0].bogus"
    assert p.message == 'unknown field "spec.rules[0].bogus"'


def test_unknown_top_level_field(std):
    r = m.httproute()
    r["extra"] = {}
    assert only(problems(std, r)).field == "extra"


def test_cel_replace_prefix_match_needs_path_prefix(std):
    r = m.httproute()
    r["spec"]["rules"][0]["matches"][0]["path"]["type"] = "Exact"
    p = only(problems(std, r), "cel")
    assert p.field == "spec.rules[0]"
    assert "exactly one PathPrefix match must be specified" in p.message
    assert "ReplacePrefixMatch" in p.rule


def test_weight_out_of_range(std):
    r = m.httproute()
    r["spec"]["rules"][0]["backendRefs"][0]["weight"] = 1000001
    p = only(problems(std, r), "schema")
    assert p.field == "spec.rules[0].backendRefs[0].weight"
    assert p.message == "Invalid value: 1000001: should be less than or equal to 1000000"


def test_duplicate_listener_names_cel_and_list_map(std):
    g = m.gateway()
    g["spec"]["listeners"][1]["name"] = "http"
    ps = problems(std, g)
    cel = [p for p in ps if p.kind == "cel"]
    assert [(p.field, p.message) for p in cel] == [
        ("spec.listeners", 'Invalid value: "array": Listener name must be unique within the Gateway')]
    dup = [p for p in ps if p.kind == "schema"]
    assert [(p.field, p.message) for p in dup] == [("spec.listeners[1]", 'Duplicate value: {"name":"http"}')]


def test_redirect_with_backend_refs_v16(std):
    r = m.httproute()
    r["spec"]["rules"][1]["backendRefs"] = [{"name": "x", "port": 80}]
    p = only(problems(std, r), "cel")
    assert p.field == "spec.rules[1]"
    assert "RequestRedirect filter must not be used together with backendRefs" in p.message


def test_redirect_with_backend_refs_v12_too(crd_set):
    r = m.httproute()
    r["spec"]["rules"][1]["backendRefs"] = [{"name": "x", "port": 80}]
    p = only(problems(crd_set("v1.2.1", "standard"), r), "cel")
    assert p.field == "spec.rules[1]"


def test_https_listener_passthrough(std):
    g = m.gateway()
    g["spec"]["listeners"][1]["tls"] = {"mode": "Passthrough"}
    p = only(problems(std, g), "cel")
    assert p.field == "spec.listeners"
    assert "tls mode must be Terminate for protocol HTTPS" in p.message


def test_cors_wildcard_with_other_origins(crd_set):
    crds = crd_set("v1.6.1", "experimental")
    r = m.httproute()
    r["spec"]["rules"][2]["filters"] = [{"type": "CORS", "cors": {"allowOrigins": ["*", "https://a.example.com"]}}]
    ps = problems(crds, r)
    p = only(ps, "cel")
    assert p.field == "spec.rules[2].filters[0].cors.allowOrigins"
    assert p.rule == "!('*' in self && self.size() > 1)"
    assert p.message.endswith("AllowOrigins cannot contain '*' alongside other origins")


def test_list_map_duplicate_key(std):
    r = m.httproute()
    r["spec"]["rules"][0]["filters"][1]["requestHeaderModifier"]["set"].append({"name": "X-A", "value": "2"})
    ps = problems(std, r)
    assert Problem("spec.rules[0].filters[1].requestHeaderModifier.set[1]", 'Duplicate value: {"name":"X-A"}',
                   "schema") in ps


def test_type_error_string_for_int(std):
    r = m.httproute()
    r["spec"]["rules"][0]["backendRefs"][0]["port"] = "8080"
    p = only(problems(std, r), "schema")
    assert p.field == "spec.rules[0].backendRefs[0].port"
    assert p.message == 'Invalid value: "string": must be of type integer: "8080"'


def test_int_or_string(crd_set):
    crds = crd_set("v1.6.1", "standard", "kgateway")
    tp = m.kgateway_trafficpolicy()
    tp["spec"]["buffer"]["maxRequestSize"] = 4096
    assert problems(crds, tp) == []
    tp["spec"]["buffer"]["maxRequestSize"] = True
    p = only(problems(crds, tp), "schema")
    assert p.field == "spec.buffer.maxRequestSize"
    assert "integer or string" in p.message
    tp["spec"]["buffer"]["maxRequestSize"] = "5Gi"  # int-or-string + quantity CEL rule
    p = only(problems(crds, tp), "cel")
    assert p.field == "spec.buffer.maxRequestSize"
    assert "quantity(self).isLessThan(quantity('4Gi'))" in p.rule


def test_bad_metadata_name(std):
    r = m.httproute()
    r["metadata"]["name"] = "Web_Route"
    p = only(problems(std, r), "schema")
    assert p.field == "metadata.name"


def test_label_value_must_be_string(std):
    r = m.httproute()
    r["metadata"]["labels"] = {"app": 3}
    assert only(problems(std, r)).field == "metadata.labels[app]"


def test_unknown_kind_and_not_served(std):
    p = only(problems(std, {"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"name": "x"}}))
    assert p.kind == "unknown-kind"
    bt = m.backendtlspolicy("v1alpha3")
    assert only(problems(std, bt)).kind == "not-served"


def test_status_is_ignored_with_status_subresource(std):
    r = m.httproute()
    r["status"] = {"whatever": True}
    assert problems(std, r) == []


def test_duration_pattern_and_cel(std):
    r = m.httproute()
    r["spec"]["rules"][0]["timeouts"] = {"request": "1s", "backendRequest": "5s"}
    p = only(problems(std, r), "cel")
    assert p.field == "spec.rules[0].timeouts"
    assert "backendRequest timeout cannot be longer than request timeout" in p.message


def test_grpc_method_regex_rule(std):
    g = m.grpcroute()
    g["spec"]["rules"][0]["matches"][0]["method"]["service"] = "1bad..service"
    p = only(problems(std, g), "cel")
    assert p.field == "spec.rules[0].matches[0].method"


def test_tlsroute_ip_hostname_rejected(std):
    t = m.tlsroute()
    t["spec"]["hostnames"] = ["10.0.0.1"]
    ps = problems(std, t)
    assert any(p.kind == "cel" and p.field == "spec.hostnames" and "isIP" in (p.rule or "") for p in ps), ps


def test_optional_syntax_rule_kgateway(crd_set):
    crds = crd_set("v1.6.1", "standard", "kgateway")
    ge = {"apiVersion": "gateway.kgateway.dev/v1alpha1", "kind": "GatewayExtension", "metadata": m.meta("ext"),
          "spec": {"oauth2": {"backendRef": {"name": "idp", "port": 443}, "credentials": {"clientID": "c",
                   "clientSecretRef": {"name": "s"}}, "issuerURI": "https://idp.example.com",
                   "jwt": {"accessToken": {}}, "cookies": {"disableAccessTokenSetCookie": True}}}}
    ps = [p for p in problems(crds, ge) if p.kind in ("cel", "cel-error")]
    assert any("disableAccessTokenSetCookie.orValue(false)" in (p.rule or "") for p in ps), ps
    assert all(p.kind == "cel" for p in ps), ps
