"""Every controller annotation on a converted Ingress gets a finding (issue 11).

Walks every golden case (``fixtures/*/*/``): reads its input with the project's loader, and for every Ingress the
report counts as converted, checks that each annotation key with a controller prefix has at least one finding that
names that Ingress and that annotation. A key the tool neither translates nor reports is exactly the silent loss
the audit report exists to prevent.

Which keys belong to a controller comes from the providers' registries and the shared annotation catalogue
(``reference/annotations.yaml``): the providers' prefixes, the prefixes of the catalogue's legacy annotations
(``ingress.kubernetes.io/``), the families of Traefik's v1 label keys (``traefik.frontend.``), and the exact keys
the catalogue lists outside those prefixes (``kubernetes.io/ingress.class``). ``EXTRA_KEYS`` holds the one key the
catalogue does not list. A case run with ``--annotations-prefix`` adds that prefix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from conftest import FIXTURES, require_shared

CASES = sorted(p.parent for p in FIXTURES.glob("*/*/case.yaml") if (p.parent / "expected" / "report.json").exists())
#: The GCE ingress controller's switch for plain HTTP: found on Ingresses of every controller, listed in neither
#: controller's catalogue.
EXTRA_KEYS = ("kubernetes.io/ingress.allow-http",)
#: The goldens hold at least this many controller annotations on converted Ingresses; fewer means the walker
#: stopped seeing them (and would pass without checking anything).
MIN_CHECKED = 400


@dataclass(frozen=True)
class ControllerKeys:
    """Recognises annotation keys that belong to an ingress controller."""

    prefixes: tuple[str, ...]
    exact: frozenset[str] = field(default_factory=frozenset)

    def __contains__(self, key: str) -> bool:
        k = key.lower()
        return k in self.exact or k.startswith(self.prefixes)

    def with_prefix(self, prefix: str) -> "ControllerKeys":
        return ControllerKeys(self.prefixes + (prefix.lower().rstrip("/") + "/",), self.exact)


def controller_keys() -> ControllerKeys:
    from ingress2gw.plugin import load_providers

    prefixes = {p.registry.prefix.lower() for p in load_providers().values()}
    catalogue = YAML(typ="safe", pure=True).load(require_shared("reference/annotations.yaml").read_text())
    exact = {k.lower() for k in EXTRA_KEYS}
    entries = [e for provider in catalogue.values() for e in provider]
    for e in entries:
        name, kind = e["name"].lower(), e.get("kind")
        if kind == "legacy-annotation" and "/" in name:
            prefixes.add(name.rsplit("/", 1)[0] + "/")
        elif kind == "legacy-label":
            prefixes.add(".".join(name.split(".")[:2]) + ".")  # traefik.frontend., traefik.backend.
    for e in entries:
        name = e["name"].lower()
        if e.get("kind") in ("annotation", "legacy-annotation", "legacy-label") and not name.startswith(
                tuple(prefixes)):
            exact.add(name)
    return ControllerKeys(tuple(sorted(prefixes)), frozenset(exact))


@dataclass(frozen=True)
class IngressAnnotations:
    namespace: str
    name: str
    annotations: tuple[str, ...]


# Selection findings: the Ingress was not converted. (``ingress.empty`` is "skipped" too, but its Ingress is
# converted into nothing and counted as converted.)
SKIP_CODES = ("ingress.other-class", "ingress.no-class", "ingress.namespace-filtered")


def unreported(ingresses: list[IngressAnnotations], report: dict, keys: ControllerKeys) -> tuple[int, list[str]]:
    """(number of controller annotations checked, "ns/name key" of those without a finding).

    An Ingress counts as converted unless a selection finding names it; the count of converted Ingresses must
    match the report's own summary, so the walker cannot silently disagree with the report about which ones
    were converted.
    """
    reported: set[tuple[str, str, str]] = set()
    skipped: set[tuple[str, str]] = set()
    for f in report["findings"]:
        obj = f.get("object") or {}
        if obj.get("kind") != "Ingress":
            continue
        if f["code"] in SKIP_CODES:
            skipped.add((obj["namespace"], obj["name"]))
        if f.get("annotation"):
            reported.add((obj["namespace"], obj["name"], f["annotation"]))
    converted = [i for i in ingresses if (i.namespace, i.name) not in skipped]
    counts = report["summary"]["ingresses"]
    assert len(converted) == counts["fullyTranslated"] + counts["partlyTranslated"], (
        f"the walker sees {len(converted)} converted Ingresses, the report counts "
        f"{counts['fullyTranslated'] + counts['partlyTranslated']}")
    checked, missing = 0, []
    for ing in converted:
        for key in ing.annotations:
            if key not in keys:
                continue
            checked += 1
            if (ing.namespace, ing.name, key) not in reported:
                missing.append(f"{ing.namespace}/{ing.name} {key}")
    return checked, missing


def _ingresses(case: Path) -> list[IngressAnnotations]:
    from ingress2gw.report import Report
    from ingress2gw.source.loader import load_paths
    from ingress2gw.source.objects import build_inventory

    source = case / "input.yaml" if (case / "input.yaml").exists() else case / "input"
    inventory = build_inventory(load_paths([str(source)]).documents, Report())
    return [IngressAnnotations(i.namespace, i.name, tuple(sorted(i.annotations))) for i in inventory.ingresses]


def test_every_controller_annotation_of_a_converted_ingress_has_a_finding():
    keys = controller_keys()
    total, gaps = 0, []
    for case in CASES:
        report = json.loads((case / "expected" / "report.json").read_text())
        args = [str(a) for a in (YAML(typ="safe", pure=True).load((case / "case.yaml").read_text()) or {}).get(
            "args", [])]
        case_keys = keys.with_prefix(args[args.index("--annotations-prefix") + 1]) \
            if "--annotations-prefix" in args else keys
        checked, missing = unreported(_ingresses(case), report, case_keys)
        total += checked
        gaps += [f"{case.parent.name}/{case.name}: {m}" for m in missing]
    assert not gaps, "annotations without a finding:\n" + "\n".join(gaps)
    assert total >= MIN_CHECKED, f"only {total} controller annotations were checked"


# -- the walker itself ----------------------------------------------------------------------------------------


def _finding(code: str, name: str, annotation: str | None = None) -> dict:
    return {"code": code, "object": {"kind": "Ingress", "namespace": "ns", "name": name},
            "annotation": annotation}


_KEYS = ControllerKeys(("nginx.ingress.kubernetes.io/", "ingress.kubernetes.io/", "traefik.frontend."),
                       frozenset({"kubernetes.io/ingress.allow-http"}))
_WEB = IngressAnnotations("ns", "web", (
    "cert-manager.io/cluster-issuer",          # not a controller's: never required
    "ingress.kubernetes.io/rewrite-target",
    "kubernetes.io/ingress.allow-http",
    "nginx.ingress.kubernetes.io/use-regex",
    "traefik.frontend.rule.type",
))
_OTHER = IngressAnnotations("ns", "other", ("nginx.ingress.kubernetes.io/use-regex",))


def _report(findings: list[dict], converted: int) -> dict:
    return {"summary": {"ingresses": {"fullyTranslated": converted, "partlyTranslated": 0}}, "findings": findings}


def test_walker_finds_an_annotation_without_a_finding():
    complete = [_finding("annotation.ignored", "web", k) for k in _WEB.annotations if k in _KEYS]
    checked, missing = unreported([_WEB], _report(complete, 1), _KEYS)
    assert (checked, missing) == (4, [])
    doctored = [f for f in complete if f["annotation"] != "kubernetes.io/ingress.allow-http"]
    assert unreported([_WEB], _report(doctored, 1), _KEYS) == (4, ["ns/web kubernetes.io/ingress.allow-http"])


def test_walker_requires_the_finding_to_name_the_ingress():
    # A finding for the same key on another Ingress does not count.
    findings = [_finding("annotation.translated", "other", "nginx.ingress.kubernetes.io/use-regex")]
    _, missing = unreported([_OTHER, IngressAnnotations("ns", "web", _OTHER.annotations)], _report(findings, 2),
                            _KEYS)
    assert missing == ["ns/web nginx.ingress.kubernetes.io/use-regex"]


def test_walker_skips_ingresses_that_were_not_converted_and_checks_the_count():
    findings = [_finding("ingress.other-class", "other")]
    assert unreported([_OTHER], _report(findings, 0), _KEYS) == (0, [])
    with pytest.raises(AssertionError, match="converted Ingresses"):
        unreported([_OTHER], _report([], 0), _KEYS)


def test_controller_keys_come_from_the_registries_and_the_catalogue():
    keys = controller_keys()
    for key in ("nginx.ingress.kubernetes.io/anything", "traefik.ingress.kubernetes.io/router.tls",
                "ingress.kubernetes.io/ssl-redirect", "traefik.frontend.rule.type", "traefik.backend.circuitbreaker",
                "kubernetes.io/ingress.class", "kubernetes.io/ingress.allow-http"):
        assert key in keys, key
    for key in ("cert-manager.io/cluster-issuer", "kubernetes.io/tls-acme", "external-dns.alpha.kubernetes.io/hostname",
                "example.com/owner"):
        assert key not in keys, key
