"""Emitters: host plans → plain dicts of Gateway API (and implementation) objects.

An emitter is a class registered in the ``ingress2gw.emitters`` entry-point group under its ``--emitter``
name (``pyproject.toml`` registers the first-party ones); its module is imported only when it is chosen.
``BUILTIN`` stands in for the first-party entries when the package metadata lacks them (a source tree
that was never installed).
"""

from __future__ import annotations

import importlib
import importlib.util
from functools import lru_cache

ENTRY_POINT_GROUP = "ingress2gw.emitters"

BUILTIN = {
    "standard": "ingress2gw.emitters.standard:StandardEmitter",
    "kgateway": "ingress2gw.emitters.kgateway:KgatewayEmitter",
    "envoy-gateway": "ingress2gw.emitters.envoy_gateway:EnvoyGatewayEmitter",
    "nginx-gateway-fabric": "ingress2gw.emitters.nginx_gateway_fabric:NginxGatewayFabricEmitter",
    "istio": "ingress2gw.emitters.istio:IstioEmitter",
    "traefik": "ingress2gw.emitters.traefik:TraefikEmitter",
}


@lru_cache(maxsize=1)
def registry() -> dict[str, str]:
    """``--emitter`` name -> ``module:Class``: the first-party emitters first (in ``BUILTIN`` order, which
    the docs' columns follow), then the others by name. An entry point overrides the built-in target."""
    from importlib.metadata import entry_points

    found = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    merged = {**BUILTIN, **found}
    return {name: merged[name] for name in [*BUILTIN, *sorted(set(found) - set(BUILTIN))]}


def available() -> list[str]:
    """Emitter names whose module exists in this installation."""
    out = []
    for name, target in registry().items():
        module = target.split(":")[0]
        if importlib.util.find_spec(module) is not None:
            out.append(name)
    return out


def load_emitter(name: str):
    module, _, cls = registry()[name].partition(":")
    return getattr(importlib.import_module(module), cls)


def create_emitter(name: str, option_values: dict, report, **settings):
    """The emitter ``--emitter name`` chose, with the core settings (``EmitOptions`` fields: target,
    gateway_namespace, gateway_mode, existing_gateway, gateway_class) and the values of the options it declares
    (its ``options`` class attribute) taken from ``option_values``."""
    from ingress2gw.emitters.standard import EmitOptions
    from ingress2gw.options import OptionValues

    cls = load_emitter(name)
    declared = getattr(cls, "options", ())
    own = OptionValues(declared, {s.name: option_values[s.name] for s in declared if s.name in option_values})
    allow_snippets = bool("allow_snippets" in own and own.allow_snippets)
    return cls(EmitOptions(**settings, options=own, allow_snippets=allow_snippets), report)


def api_groups() -> dict[str, str]:
    """API group -> CRD project folder, from every available emitter's declared ``api_groups``
    (imports every emitter: call it only where the table is needed)."""
    out: dict[str, str] = {}
    for name in available():
        out.update(getattr(load_emitter(name), "api_groups", None) or {})
    return out
