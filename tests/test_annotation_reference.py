"""Coverage against the shared annotation reference (``../shared/reference/annotations.yaml``): every annotation it
lists for a provider is declared in that provider's registry, as the kind the reference gives it and as removed
when the reference says so. The registries are the only list in the code; this is the check that they are whole."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from conftest import require_shared

KINDS = ("annotation", "service-annotation", "legacy-annotation")


@pytest.fixture(scope="module")
def reference() -> dict:
    return YAML(typ="safe", pure=True).load(require_shared("reference/annotations.yaml").read_text())


@pytest.mark.parametrize("provider", ["ingress-nginx", "traefik"])
def test_every_reference_annotation_is_declared_once_as_the_reference_says(reference, provider):
    from ingress2gw.plugin import load_providers

    registry = load_providers()[provider].registry
    problems = []
    for entry in reference[provider]:
        if entry.get("kind") not in KINDS:
            continue
        key = entry["name"]
        name = key[len(registry.prefix):] if key.startswith(registry.prefix) else key
        spec = registry.lookup(name)
        if spec is None:
            problems.append(f"{key}: not declared")
            continue
        if spec.name == name and spec.kind != entry["kind"]:
            problems.append(f"{key}: declared as {spec.kind}, the reference says {entry['kind']}")
        if (entry.get("status") == "removed") != (spec.lifecycle == "removed"):
            problems.append(f"{key}: lifecycle {spec.lifecycle}, the reference says {entry.get('status')}")
    assert not problems, "\n".join(problems)
