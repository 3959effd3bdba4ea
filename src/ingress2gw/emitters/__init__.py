"""Emitters: host plans → plain dicts of Gateway API (and implementation) objects.

``EMITTERS`` maps the ``--emitter`` names to their classes (imported only when chosen).
"""

from __future__ import annotations

import importlib

EMITTERS = {
    "standard": "ingress2gw.emitters.standard:StandardEmitter",
    "kgateway": "ingress2gw.emitters.kgateway:KgatewayEmitter",
    "envoy-gateway": "ingress2gw.emitters.envoy_gateway:EnvoyGatewayEmitter",
    "nginx-gateway-fabric": "ingress2gw.emitters.nginx_gateway_fabric:NginxGatewayFabricEmitter",
    "istio": "ingress2gw.emitters.istio:IstioEmitter",
    "traefik": "ingress2gw.emitters.traefik:TraefikEmitter",
}


def available() -> list[str]:
    """Emitter names whose module exists in this installation."""
    out = []
    for name, target in EMITTERS.items():
        module = target.split(":")[0]
        if importlib.util.find_spec(module) is not None:
            out.append(name)
    return out


def load_emitter(name: str):
    module, _, cls = EMITTERS[name].partition(":")
    return getattr(importlib.import_module(module), cls)
