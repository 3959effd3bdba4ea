"""Every ingress-nginx annotation of the shared catalog (../shared/reference/annotations.yaml) is declared in
the registry, and ``ingress2gw annotations --provider ingress-nginx --format json`` lists each exactly once."""

from __future__ import annotations

import json
from collections import Counter

from ruamel.yaml import YAML
from typer.testing import CliRunner

from conftest import require_shared

PREFIX = "nginx.ingress.kubernetes.io/"


def _catalog() -> list[dict]:
    path = require_shared("reference/annotations.yaml")
    entries = YAML(typ="safe", pure=True).load(path.read_text())["ingress-nginx"]
    return [e for e in entries if e.get("kind") in ("annotation", "legacy-annotation")]


def _listed() -> list[dict]:
    from ingress2gw.cli import app

    result = CliRunner().invoke(app, ["annotations", "--provider", "ingress-nginx", "--format", "json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stdout
    return json.loads(result.stdout)["annotations"]


def test_every_catalog_annotation_is_declared():
    from ingress2gw_nginx.registry import REGISTRY

    missing = []
    for e in _catalog():
        name = e["name"][len(PREFIX):] if e["name"].startswith(PREFIX) else e["name"]
        spec = REGISTRY.lookup(name)
        if spec is None or spec.prefixed != e["name"].startswith(PREFIX):
            missing.append(e["name"])
        elif e.get("status") == "alias":
            canonical = e["alias_of"][len(PREFIX):]
            assert spec.name == canonical and name in spec.aliases, f"{e['name']} should be an alias of {canonical}"
    assert not missing, f"not declared: {missing}"


def test_annotations_command_lists_each_key_once():
    listed = _listed()
    keys = Counter(a["key"] for a in listed)
    keys.update(alias for a in listed for alias in a["aliases"])
    dupes = [k for k, n in keys.items() if n > 1]
    assert not dupes, f"listed more than once: {dupes}"
    for e in _catalog():
        assert keys[e["name"]] == 1, f"{e['name']} is not listed"


def test_companion_keys_are_listed_without_the_nginx_prefix():
    keys = {a["key"] for a in _listed()}
    for key in ("cert-manager.io/cluster-issuer", "external-dns.alpha.kubernetes.io/hostname",
                "kubernetes.io/tls-acme"):
        assert key in keys
