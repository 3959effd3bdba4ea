"""TLS to the backend on every emitter: whether the source verified the backend certificate is a typed fact
(``BackendTLS.verify``, ``BackendTLS.ca_secret``), and each emitter says truthfully what its rendering does.

ingress-nginx (backend-protocol HTTPS/GRPCS) does not verify the certificate unless proxy-ssl-verify is on next
to a proxy-ssl-secret, whose ca.crt it then verifies against; BackendTLSPolicy always verifies.
"""

from __future__ import annotations

import json

import pytest

from conftest import crdset_for

from ingress2gw.emitters import load_emitter
from ingress2gw.gwapi import Target
from ingress2gw.pipeline import Options, run
from ingress2gw.report import Code
from ingress2gw.validate import validate_object

EMITTERS = ["standard", "kgateway", "istio", "envoy-gateway", "nginx-gateway-fabric", "traefik"]
PREFIX = "nginx.ingress.kubernetes.io/"


def _convert(tmp_path, emitter: str, annotations: dict, *, mode: str = "shared"):
    ing = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
           "metadata": {"name": "secure", "namespace": "shop",
                        "annotations": {PREFIX + k: v for k, v in annotations.items()}},
           "spec": {"ingressClassName": "nginx", "rules": [{"host": "shop.example.com", "http": {"paths": [
               {"path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "secure", "port": {"number": 8443}}}}]}}]}}
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "secure", "namespace": "shop"},
           "spec": {"ports": [{"name": "https", "port": 8443}]}}
    path = tmp_path / "input.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [ing, svc]}))
    result = run(Options(paths=[str(path)], emitter=emitter, gateway_mode=mode))
    crds = crdset_for("1.6", "standard", (load_emitter(emitter).crd_bundle,) if emitter != "standard" else ())
    for obj in result.objects:
        assert not validate_object(crds, obj), (obj["kind"], validate_object(crds, obj))
    findings = {f.annotation[len(PREFIX):]: f for f in result.report.findings if f.annotation}
    return result.objects, findings


def _kinds(objs) -> set[str]:
    return {o["kind"] for o in objs}


@pytest.mark.parametrize("protocol", ["HTTPS", "GRPCS"])
@pytest.mark.parametrize("emitter", EMITTERS)
def test_an_unverified_backend_is_told_truthfully(tmp_path, emitter, protocol):
    objs, findings = _convert(tmp_path, emitter, {"backend-protocol": protocol})
    f = findings["backend-protocol"]
    if emitter == "kgateway":
        assert "BackendTLSPolicy" not in _kinds(objs)
        (bcp,) = [o for o in objs if o["kind"] == "BackendConfigPolicy"]
        assert bcp["spec"]["tls"] == {"insecureSkipVerify": True, "sni": "secure.shop.svc"}
        assert f.code is Code.ANNOTATION_POLICY_EMITTED, f.message
    elif emitter == "istio":
        assert "BackendTLSPolicy" not in _kinds(objs)
        (dr,) = [o for o in objs if o["kind"] == "DestinationRule"]
        assert dr["spec"]["trafficPolicy"]["tls"] == {"mode": "SIMPLE", "sni": "secure.shop.svc",
                                                      "insecureSkipVerify": True}
        assert f.code is Code.ANNOTATION_POLICY_EMITTED, f.message
    else:  # BackendTLSPolicy, which verifies: the finding says what now fails and what to do
        assert "BackendTLSPolicy" in _kinds(objs)
        assert f.code is Code.ANNOTATION_LOSSY
        assert "self-signed or mismatched backend certificates now fail" in f.message
        assert "caCertificateRefs" in f.message
        advice = {"standard": "--emitter that can skip verification", "envoy-gateway": "tls.insecureSkipVerify",
                  "nginx-gateway-fabric": "cannot skip verification", "traefik": "ServersTransport"}[emitter]
        assert advice in f.message, f.message
    if protocol == "GRPCS":
        assert "GRPCRoute" in _kinds(objs)


@pytest.mark.parametrize("emitter", EMITTERS)
def test_proxy_ssl_verify_off_shares_the_answer(tmp_path, emitter):
    _, findings = _convert(tmp_path, emitter, {"backend-protocol": "HTTPS", "proxy-ssl-verify": "off"})
    assert findings["proxy-ssl-verify"].code is findings["backend-protocol"].code


def test_proxy_ssl_verify_on_without_a_secret_had_no_effect(tmp_path):
    objs, findings = _convert(tmp_path, "kgateway", {"backend-protocol": "HTTPS", "proxy-ssl-verify": "on"})
    assert findings["proxy-ssl-verify"].code is Code.ANNOTATION_IGNORED
    assert "proxy-ssl-secret" in findings["proxy-ssl-verify"].message
    (bcp,) = [o for o in objs if o["kind"] == "BackendConfigPolicy"]
    assert bcp["spec"]["tls"]["insecureSkipVerify"] is True  # nginx did not verify


@pytest.mark.parametrize("emitter", EMITTERS)
def test_a_verified_backend(tmp_path, emitter):
    """proxy-ssl-verify on with proxy-ssl-secret: nginx verified against the Secret's ca.crt. Where the
    implementation verifies against that ca.crt (kgateway secretRef, Istio credentialName with one Gateway per
    namespace) nothing differs; a BackendTLSPolicy with the system CAs says which certificates now fail."""
    mode = "per-namespace" if emitter == "istio" else "shared"
    objs, findings = _convert(tmp_path, emitter, {"backend-protocol": "HTTPS", "proxy-ssl-verify": "on",
                                                  "proxy-ssl-secret": "shop/backend-client"}, mode=mode)
    f = findings["backend-protocol"]
    assert findings["proxy-ssl-verify"].code is f.code
    if emitter == "kgateway":
        (bcp,) = [o for o in objs if o["kind"] == "BackendConfigPolicy"]
        assert bcp["spec"]["tls"] == {"secretRef": {"name": "backend-client"}, "sni": "secure.shop.svc",
                                      "verifySubjectAltNames": ["secure.shop.svc"]}
        assert f.code is Code.ANNOTATION_POLICY_EMITTED, f.message
    elif emitter == "istio":
        (dr,) = [o for o in objs if o["kind"] == "DestinationRule"]
        assert dr["spec"]["trafficPolicy"]["tls"] == {"mode": "MUTUAL", "credentialName": "backend-client",
                                                      "sni": "secure.shop.svc", "subjectAltNames": ["secure.shop.svc"]}
        assert f.code is Code.ANNOTATION_POLICY_EMITTED, f.message
    else:
        assert f.code is Code.ANNOTATION_LOSSY and "ca.crt of Secret shop/backend-client" in f.message


def test_old_targets_without_backend_tls_policy(tmp_path):
    """Gateway API 1.2 has no BackendTLSPolicy: the standard emitter needs a version, kgateway still skips."""
    for emitter, kind in (("kgateway", "BackendConfigPolicy"), ("istio", "DestinationRule")):
        path = tmp_path / "in.yaml"
        path.write_text(f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: secure
  namespace: shop
  annotations: {{{PREFIX}backend-protocol: HTTPS}}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: secure, port: {{number: 8443}}}}}}}}
""")
        result = run(Options(paths=[str(path)], emitter=emitter, target=Target("1.2")))
        assert kind in {o["kind"] for o in result.objects}
        (f,) = [f for f in result.report.findings if f.annotation.endswith("backend-protocol")]
        assert f.code is Code.ANNOTATION_POLICY_EMITTED, f.message


TRAEFIK = """apiVersion: traefik.io/v1alpha1
kind: ServersTransport
metadata: {name: skip-verify, namespace: web}
spec: {insecureSkipVerify: true}
---
apiVersion: v1
kind: Service
metadata:
  name: legacy
  namespace: web
  annotations:
    traefik.ingress.kubernetes.io/service.serversscheme: https
    traefik.ingress.kubernetes.io/service.serverstransport: web-skip-verify@kubernetescrd
spec:
  ports: [{name: https, port: 8443}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: web}
spec:
  ingressClassName: traefik
  rules:
  - host: web.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: legacy, port: {number: 8443}}}}
"""


@pytest.mark.parametrize("emitter", ["standard", "kgateway", "istio", "envoy-gateway"])
def test_a_traefik_servers_transport_that_skips_verification(tmp_path, emitter):
    """Traefik verifies https backends unless the Service's ServersTransport sets insecureSkipVerify: then the
    serversscheme BackendTLS is unverified, and serverstransport's finding answers for that too."""
    path = tmp_path / "in.yaml"
    path.write_text(TRAEFIK)
    result = run(Options(paths=[str(path)], emitter=emitter))
    f = {x.annotation.rsplit("/", 1)[1]: x for x in result.report.findings if x.annotation}
    kinds = {o["kind"] for o in result.objects}
    if emitter in ("kgateway", "istio"):
        assert "BackendTLSPolicy" not in kinds
        assert f["service.serversscheme"].code is Code.ANNOTATION_POLICY_EMITTED, f["service.serversscheme"].message
        assert '"insecureSkipVerify": true' in json.dumps(result.objects)
    else:
        assert "BackendTLSPolicy" in kinds
        assert f["service.serversscheme"].code is Code.ANNOTATION_LOSSY
        assert "self-signed or mismatched backend certificates now fail" in f["service.serversscheme"].message
