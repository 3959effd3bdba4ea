"""Properties: any valid Ingress set converts without error, deterministically, independent of input
order and hash seed, into objects that pass the Gateway API CRDs; names never collide."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, crdset_for, shared_root

from ingress2gw.emitters.naming import host_slug, section_name
from ingress2gw.pipeline import Options, run
from ingress2gw.source.loader import load_bytes
from ingress2gw.yaml_writer import dump_documents

LABEL = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?\Z")
HOST = st.builds(lambda labels, wild: ("*." if wild else "") + ".".join(labels),
                 st.lists(LABEL, min_size=2, max_size=3), st.booleans())
SEGMENT = st.from_regex(r"\A[a-z0-9_.~-]{1,6}\Z").filter(lambda s: s not in (".", ".."))
PATH = st.builds(lambda segs, slash: "/" + "/".join(segs) + ("/" if slash and segs else ""),
                 st.lists(SEGMENT, max_size=3), st.booleans())


@st.composite
def ingress_sets(draw):
    hosts = draw(st.lists(HOST, min_size=1, max_size=4, unique=True))
    docs = []
    for i in range(draw(st.integers(1, 5))):
        ns = draw(st.sampled_from(["alpha", "beta", "gamma-ns"]))
        cls = draw(st.sampled_from(["nginx", "traefik"]))
        rules = []
        for _ in range(draw(st.integers(0, 3))):
            host = draw(st.one_of(st.none(), st.sampled_from(hosts)))
            paths = [{
                "path": draw(PATH),
                "pathType": draw(st.sampled_from(["Exact", "Prefix", "ImplementationSpecific"])),
                "backend": {"service": {"name": draw(st.sampled_from(["a", "b", "c"])),
                                        "port": {"number": draw(st.sampled_from([80, 8080]))}}},
            } for _ in range(draw(st.integers(0, 3)))]
            rule = {"http": {"paths": paths}}
            if host:
                rule["host"] = host
            rules.append(rule)
        spec = {"ingressClassName": cls, "rules": rules}
        if draw(st.booleans()):
            spec["defaultBackend"] = {"service": {"name": "fallback", "port": {"number": 80}}}
        tls_hosts = [r["host"] for r in rules if r.get("host") and draw(st.booleans())]
        if tls_hosts:
            spec["tls"] = [{"hosts": tls_hosts, "secretName": f"tls-{i}"}]
        meta = {"name": f"ing-{i}", "namespace": ns}
        if draw(st.booleans()):
            meta["creationTimestamp"] = f"2024-01-0{draw(st.integers(1, 3))}T00:00:00Z"
        annotations = {}
        if cls == "nginx" and draw(st.booleans()):
            annotations["nginx.ingress.kubernetes.io/ssl-redirect"] = draw(st.sampled_from(["true", "false"]))
        if cls == "traefik" and draw(st.booleans()):
            annotations["traefik.ingress.kubernetes.io/router.tls"] = "true"
        if annotations:
            meta["annotations"] = annotations
        docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec})
    return docs


def convert_docs(docs: list[dict], **kw) -> tuple[str, list[str]]:
    """Run the pipeline on in-memory documents (through the real loader) → (YAML, findings)."""
    import ingress2gw.pipeline as pipeline

    text = dump_documents(docs).encode()
    loaded = load_bytes(text, "input.yaml")
    orig = pipeline.__dict__.get("_test_loaded")
    try:
        from unittest import mock

        with mock.patch("ingress2gw.source.loader.load_paths", return_value=loaded):
            result = run(Options(paths=["input.yaml"], **kw))
    finally:
        pipeline.__dict__["_test_loaded"] = orig
    findings = [f.parsable() for f in result.report.sorted()]
    return (dump_documents(result.objects) if result.objects else ""), findings


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ingress_sets(), st.randoms(use_true_random=False))
def test_any_ingress_set_converts_deterministically_and_order_independently(docs, rnd):
    out1, findings1 = convert_docs(docs)
    out2, findings2 = convert_docs(docs)
    assert out1 == out2 and findings1 == findings2
    shuffled = list(docs)
    rnd.shuffle(shuffled)
    out3, _ = convert_docs(shuffled)
    assert out3 == out1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ingress_sets(), st.sampled_from([("1.6", "standard"), ("1.6", "experimental"), ("1.2", "standard")]))
def test_any_ingress_set_emits_objects_valid_against_the_crds(docs, target):
    from ruamel.yaml import YAML

    from ingress2gw.gwapi import Target
    from ingress2gw.validate import validate_object

    if not (shared_root() / "crds").exists():
        import pytest

        pytest.skip("../shared/crds not available")
    out, _ = convert_docs(docs, target=Target(*target))
    crds = crdset_for(*target)
    for obj in YAML(typ="safe", pure=True).load_all(out):
        if obj:
            problems = validate_object(crds, obj)
            assert not problems, (obj["kind"], obj["metadata"]["name"], problems)


VALID_HOST = st.builds(lambda labels, wild: ("*." if wild else "") + ".".join(labels),
                       st.lists(st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,4}[a-z0-9])?\Z"), min_size=1, max_size=4),
                       st.booleans())


@given(st.lists(VALID_HOST, min_size=2, max_size=30, unique=True))
def test_host_slugs_never_collide(hosts):
    slugs = [host_slug(h) for h in hosts]
    assert len(set(slugs)) == len(slugs)
    for h in hosts:
        for proto in ("HTTP", "HTTPS"):
            name = section_name(proto, h)
            assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name) and len(name) <= 253


def test_known_collision_pairs_stay_apart():
    assert host_slug("a-b.com") != host_slug("a.b.com")
    assert host_slug("*.a.com") != host_slug("a.com")
    assert host_slug("*.a.com") != host_slug("wildcard.a.com")
    assert host_slug("a.com") == "a-com"  # plain hosts stay readable


def test_output_is_identical_across_hash_seeds(tmp_path: Path):
    inputs = [str(p) for p in sorted(FIXTURES.glob("*/*/input.yaml"))]
    outs = []
    for seed in ("0", "1", "4242"):
        r = subprocess.run([sys.executable, "-m", "ingress2gw", "convert", *inputs, "-q",
                            "--report", str(tmp_path / f"r{seed}.json")],
                           capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed}, timeout=300)
        outs.append((r.stdout, (tmp_path / f"r{seed}.json").read_bytes()))
    assert outs[0][0] and outs[0] == outs[1] == outs[2]


def test_shuffled_documents_give_the_same_output():
    from ruamel.yaml import YAML

    docs = []
    for p in sorted(FIXTURES.glob("*/*/input.yaml")):
        if "bad-input" in str(p):
            continue
        docs += [d for d in YAML(typ="safe", pure=True).load_all(p.read_text()) if isinstance(d, dict)]
    flat = []
    for d in docs:
        items = d.get("items", [d]) if d.get("kind") == "List" else [d]
        for obj in items if isinstance(items, list) else []:
            if not isinstance(obj, dict):
                continue  # (items that are not objects: the loader's own cases)
            # Copies of one object across fixtures stay in (shop/web of several fixtures, one of them in a List
            # in a List): the definition used must not depend on where it comes in the input.
            flat.append(obj)
    base, _ = convert_docs(flat)
    for seed in (7, 11, 23):
        shuffled = list(flat)
        random.Random(seed).shuffle(shuffled)
        again, _ = convert_docs(shuffled)
        assert base == again, f"shuffled with seed {seed}"


# -- one object picked among several: never by input order (regression: the shuffled-fixtures failure) --------

def _ingress(name: str, host: str, *, namespace: str = "shop", created: str | None = None, cls: str = "nginx",
             annotations: dict | None = None, tls: bool = False) -> dict:
    meta: dict = {"name": name, "namespace": namespace}
    if created:
        meta["creationTimestamp"] = created
    if annotations:
        meta["annotations"] = annotations
    spec: dict = {"ingressClassName": cls, "rules": [{"host": host, "http": {"paths": [
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": name, "port": {"number": 80}}}}]}}]}
    if tls:
        spec["tls"] = [{"hosts": [host], "secretName": f"{name}-tls"}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}


def _traefik(kind: str, namespace: str, name: str, spec: dict, group: str = "traefik.io") -> dict:
    return {"apiVersion": f"{group}/v1alpha1", "kind": kind, "metadata": {"name": name, "namespace": namespace},
            "spec": spec}


_WEBSECURE = {"traefik.ingress.kubernetes.io/router.entrypoints": "websecure"}
_PICKS = {
    # Two fixtures' Ingress shop/web (one dated, one a manifest without creationTimestamp).
    "same Ingress twice": [_ingress("web", "wiki.example.com", created="2024-01-01T00:00:00Z"),
                           _ingress("web", "web.example.com")],
    "same Ingress twice, undated": [_ingress("web", "wiki.example.com"), _ingress("web", "web.example.com")],
    "same Ingress twice, dated": [_ingress("web", "wiki.example.com", created="2024-03-01T00:00:00Z"),
                                  _ingress("web", "web.example.com", created="2024-01-01T00:00:00Z")],
    "TLSStore default in two namespaces": [
        _traefik("TLSStore", "traefik", "default", {"defaultCertificate": {"secretName": "a"}}),
        _traefik("TLSStore", "edge", "default", {"defaultCertificate": {"secretName": "b"}}),
        _ingress("app", "app.example.com", cls="traefik", annotations=_WEBSECURE),
        _ingress("site", "site.example.com", cls="traefik")],
    "Middleware in both API groups": [
        _traefik("Middleware", "shop", "tag", {"headers": {"customRequestHeaders": {"X-Group": "traefik-io"}}}),
        _traefik("Middleware", "shop", "tag", {"headers": {"customRequestHeaders": {"X-Group": "containo-us"}}},
                 group="traefik.containo.us"),
        _ingress("app", "app.example.com", cls="traefik",
                 annotations={"traefik.ingress.kubernetes.io/router.middlewares": "shop-tag@kubernetescrd"})],
    "controller ConfigMap in two namespaces": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ingress-nginx-controller",
                                                               "namespace": "ingress-nginx"},
         "data": {"ssl-redirect": "false"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ingress-nginx-controller",
                                                               "namespace": "kube-system"},
         "data": {"ssl-redirect": "true"}},
        _ingress("app", "app.example.com", tls=True)],
}


@pytest.mark.parametrize("case", sorted(_PICKS))
def test_the_object_picked_among_several_does_not_depend_on_input_order(case):
    docs = _PICKS[case]
    forward, findings = convert_docs(docs)
    backward, _ = convert_docs(list(reversed(docs)))
    assert forward and forward == backward
    if case.startswith("same Ingress"):
        (dup,) = [f for f in findings if "input.duplicate-object" in f]
        assert "Ingress shop/web is also defined at" in dup and "this definition was ignored" in dup


def test_duplicate_ingress_the_newer_definition_is_used():
    """A manifest without creationTimestamp is what kubectl apply would write over the dumped object; of two
    dated definitions the later one is the object as it is now."""
    out, _ = convert_docs(_PICKS["same Ingress twice"])
    assert "web.example.com" in out and "wiki.example.com" not in out
    out, findings = convert_docs(_PICKS["same Ingress twice, dated"])
    assert "wiki.example.com" in out and "web.example.com" not in out
    assert any("its creationTimestamp is later" in f for f in findings)


def test_default_tlsstore_in_two_namespaces_is_not_used():
    """Traefik drops a TLSStore named default that several namespaces define (and serves its generated
    certificate): no HTTPS listener can name it."""
    out, findings = convert_docs(_PICKS["TLSStore default in two namespaces"])
    assert "protocol: HTTPS" not in out
    assert any("defined in several namespaces (edge, traefik)" in f for f in findings)
    assert any("annotation.unsupported" in f and "router.entrypoints" in f for f in findings)


def test_middleware_in_both_api_groups_the_traefik_io_one_is_used():
    """Traefik v2.10-v2.11 read both API groups and kept the traefik.io object on a clash (v3 reads only it)."""
    out, _ = convert_docs(_PICKS["Middleware in both API groups"])
    assert "value: traefik-io" in out and "containo-us" not in out


# -- the report is a function of the inputs, not of the order the files are given (issue: hardening) ---------

def _report_and_output(paths: list[str]) -> tuple[str, str]:
    from ingress2gw.report.render import to_json

    result = run(Options(paths=paths))
    return to_json(result.report, tool_version="test"), (dump_documents(result.objects) if result.objects else "")


@pytest.mark.parametrize("provider", ["ingress-nginx", "traefik"])
def test_the_report_does_not_depend_on_the_order_of_the_input_files(provider):
    # Regressions: three identical copies of one Ingress (which copy is used decided every later finding's
    # location), the provider.defaults finding placed at the first Ingress given, and a refused Ingress's
    # annotation.ignored findings without dimensions when it came before any Ingress that applied the key.
    files = sorted(str(p) for p in (FIXTURES / provider).glob("*/input.yaml") if "bad-input" not in str(p))
    base = _report_and_output(files)
    assert base[0] and base[1]
    for seed in (3, 17):
        shuffled = list(files)
        random.Random(seed).shuffle(shuffled)
        assert _report_and_output(shuffled) == base, f"files shuffled with seed {seed}"
    assert _report_and_output(list(reversed(files))) == base
