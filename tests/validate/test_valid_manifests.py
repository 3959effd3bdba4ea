"""Valid manifests of every kind pass, for every Gateway API bundle/channel where the kind exists."""

from __future__ import annotations

import pytest

from ingress2gw.validate import validate_object

from . import manifests as m

# (bundle, channel) -> [(factory, apiVersion version)]
GATEWAY_API_CASES = {
    ("v1.6.1", "standard"): [(m.gateway, "v1"), (m.gateway, "v1beta1"), (m.httproute, "v1"),
                             (m.httproute, "v1beta1"), (m.grpcroute, "v1"), (m.tlsroute, "v1"),
                             (m.referencegrant, "v1"), (m.referencegrant, "v1beta1"),
                             (m.backendtlspolicy, "v1"), (m.listenerset, "v1")],
    ("v1.6.1", "experimental"): [(m.gateway, "v1"), (m.httproute, "v1"), (m.grpcroute, "v1"),
                                 (m.tlsroute, "v1"), (m.referencegrant, "v1"), (m.backendtlspolicy, "v1"),
                                 (m.listenerset, "v1")],
    ("v1.2.1", "standard"): [(m.gateway, "v1"), (m.gateway, "v1beta1"), (m.httproute, "v1"),
                             (m.grpcroute, "v1"), (m.referencegrant, "v1beta1")],
    ("v1.2.1", "experimental"): [(m.gateway, "v1"), (m.httproute, "v1"), (m.grpcroute, "v1"),
                                 (m.tlsroute, "v1alpha2"), (m.referencegrant, "v1beta1"),
                                 (m.backendtlspolicy, "v1alpha3")],
}


def _fixup(obj: dict, bundle: str) -> dict:
    if obj["kind"] == "BackendTLSPolicy" and obj["apiVersion"].endswith("v1alpha3"):
        pass
    if obj["kind"] == "TLSRoute" and obj["apiVersion"].endswith("v1alpha2"):
        obj["spec"]["rules"][0]["backendRefs"][0].setdefault("weight", 1)
    return obj


CASES = [pytest.param(bundle, channel, f, v, id=f"{bundle}-{channel}-{f.__name__}-{v}")
         for (bundle, channel), items in GATEWAY_API_CASES.items() for f, v in items]


@pytest.mark.parametrize("bundle,channel,factory,version", CASES)
def test_gateway_api_valid(crd_set, bundle, channel, factory, version):
    crds = crd_set(bundle, channel)
    obj = _fixup(factory(version), bundle)
    assert validate_object(crds, obj) == []


IMPL = [
    ("kgateway", m.kgateway_trafficpolicy),
    ("envoy-gateway", m.envoy_backendtrafficpolicy),
    ("envoy-gateway", m.envoy_securitypolicy),
    ("nginx-gateway-fabric", m.ngf_clientsettingspolicy),
    ("traefik", m.traefik_middleware),
    ("istio", m.istio_authorizationpolicy),
    ("istio", m.istio_destinationrule),
]


@pytest.mark.parametrize("project,factory", IMPL, ids=[f.__name__ for _, f in IMPL])
def test_implementation_policies_valid(crd_set, project, factory):
    crds = crd_set("v1.6.1", "standard", project)
    assert validate_object(crds, factory()) == []


def test_builtin_kinds_are_skipped(crd_set):
    crds = crd_set("v1.6.1", "standard")
    for obj in ({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}},
                {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"x": 1}},
                {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i"}}):
        assert validate_object(crds, obj) == []
