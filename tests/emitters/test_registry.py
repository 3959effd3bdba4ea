"""The emitter registry (the ``ingress2gw.emitters`` entry points) and the emitters' declarations."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest

import ingress2gw.emitters as emitters
from ingress2gw.emitters.implementation import ImplementationEmitter
from ingress2gw.model.policies import FAMILIES
from ingress2gw.validate.command import project_of_group

FIRST_PARTY = ["standard", "kgateway", "envoy-gateway", "nginx-gateway-fabric", "istio", "traefik"]


@pytest.fixture
def entry_points(monkeypatch):
    """Replace the installed entry points of the group with the given (name, target) pairs."""
    import importlib.metadata

    def install(*pairs):
        eps = [SimpleNamespace(name=n, value=v) for n, v in pairs]
        monkeypatch.setattr(importlib.metadata, "entry_points",
                            lambda group=None: eps if group == emitters.ENTRY_POINT_GROUP else [])
        emitters.registry.cache_clear()

    yield install
    emitters.registry.cache_clear()


def test_first_party_emitters_are_registered_as_entry_points():
    from importlib.metadata import entry_points

    found = {ep.name: ep.value for ep in entry_points(group=emitters.ENTRY_POINT_GROUP)}
    assert found == emitters.BUILTIN  # the installed metadata is current (reinstall after editing pyproject)
    assert emitters.available() == FIRST_PARTY


def test_without_entry_points_the_built_in_list_stands_in(entry_points):
    entry_points()
    assert emitters.available() == FIRST_PARTY
    assert emitters.load_emitter("istio").name == "istio"


def test_a_third_party_emitter_is_one_entry_point(entry_points):
    entry_points(*emitters.BUILTIN.items(), ("acme", "ingress2gw.emitters.standard:StandardEmitter"),
                 ("gone", "no_such_module_anywhere:Emitter"))
    assert emitters.available() == FIRST_PARTY + ["acme"]
    assert emitters.load_emitter("acme").__name__ == "StandardEmitter"


@pytest.mark.parametrize("name", FIRST_PARTY[1:])
def test_implementation_emitters_declare_what_they_render(name):
    cls = emitters.load_emitter(name)
    assert issubclass(cls, ImplementationEmitter) and cls.name == name
    assert cls.gateway_class_name and cls.implementation_version and cls.crd_bundle
    assert cls.crd_bundle.split("/")[0] in cls.api_groups.values()
    assert not set(cls.families) & set(cls.refused), "a family is rendered or refused, not both"
    assert set(cls.families) <= set(FAMILIES) and {k for k in cls.refused if isinstance(k, str)} <= set(FAMILIES)
    assert not set(cls.intents) & {k for k in cls.refused if isinstance(k, type)}


def test_crd_projects_come_from_the_emitters_declarations():
    assert project_of_group() == {
        "gateway.networking.k8s.io": "gateway-api", "gateway.networking.x-k8s.io": "gateway-api",
        "gateway.kgateway.dev": "kgateway", "gateway.envoyproxy.io": "envoy-gateway",
        "gateway.nginx.org": "nginx-gateway-fabric", "traefik.io": "traefik", "traefik.containo.us": "traefik",
        "hub.traefik.io": "traefik", "security.istio.io": "istio", "networking.istio.io": "istio",
        "telemetry.istio.io": "istio", "extensions.istio.io": "istio",
    }


def test_the_cli_imports_no_emitter_at_start():
    code = ("import sys, ingress2gw.cli, ingress2gw.validate.command; "
            "print(sorted(m for m in sys.modules if m.startswith('ingress2gw.emitters.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
