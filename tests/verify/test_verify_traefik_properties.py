"""Hypothesis: random Traefik Ingresses with random Middleware chains (stripPrefix, addPrefix, replacePath,
redirectScheme, headers; both API groups; chain; unresolved references) → convert → verify reports no unexplained
difference."""

from __future__ import annotations

import json

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingress2gw.pipeline import Options
from ingress2gw.verify.command import verify

T = "traefik.ingress.kubernetes.io/"
MIDDLEWARES = {
    "strip": {"stripPrefix": {"prefixes": ["/api"]}},
    "strip2": {"stripPrefix": {"prefixes": ["/app", "/api"]}},
    "add": {"addPrefix": {"prefix": "/v2"}},
    "replace": {"replacePath": {"path": "/legacy/index.html"}},
    "https": {"redirectScheme": {"scheme": "https", "permanent": True}},
    "https-temp": {"redirectScheme": {"scheme": "https"}},
    "headers": {"headers": {"customRequestHeaders": {"X-Team": "shop", "X-Debug": ""},
                            "customResponseHeaders": {"X-Served-By": "gw"}}},
    "secure": {"headers": {"frameDeny": True, "contentTypeNosniff": True}},
    "chain": {"chain": {"middlewares": [{"name": "strip"}, {"name": "add"}]}},
}


def _objects(ns: str) -> list[dict]:
    return [{"apiVersion": ("traefik.containo.us" if name == "add" else "traefik.io") + "/v1alpha1",
             "kind": "Middleware", "metadata": {"name": name, "namespace": ns}, "spec": spec}
            for name, spec in MIDDLEWARES.items()]


@st.composite
def traefik_sets(draw):
    objs = _objects("shop")
    for i in range(draw(st.integers(1, 2))):
        host = draw(st.sampled_from(["a.test", "b.test"]))
        paths = [{"path": draw(st.sampled_from(["/", "/api", "/app", "/api/v1"])),
                  "pathType": draw(st.sampled_from(["Prefix", "Exact"])),
                  # One Service per Ingress: see test_translator_bug_priority_ignores_middlewares.
                  "backend": {"service": {"name": f"s{i}", "port": {"number": 80}}}}
                 for _ in range(draw(st.integers(1, 2)))]
        refs = draw(st.lists(st.sampled_from(sorted(MIDDLEWARES) + ["missing"]), max_size=2, unique=True))
        annotations = {T + "router.middlewares": ",".join(f"shop-{r}@kubernetescrd" for r in refs)} if refs else {}
        spec: dict = {"ingressClassName": "traefik", "rules": [{"host": host, "http": {"paths": paths}}]}
        if draw(st.booleans()):
            spec["tls"] = [{"hosts": [host], "secretName": f"tls-{i}"}]
        objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                     "metadata": {"name": f"ing-{i}", "namespace": "shop",
                                  "creationTimestamp": f"2024-01-0{i + 1}T00:00:00Z", "annotations": annotations},
                     "spec": spec})
    return objs


def check(tmp_path, objs):
    path = tmp_path / "input.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}))
    result = verify(Options(paths=[str(path)]))
    bad = [f"{d.request.label()}: {d.source.describe()} | {d.gateway.describe()}" for d in result.unexplained]
    assert not bad, json.dumps(objs[len(MIDDLEWARES):], indent=1) + "\n" + "\n".join(bad[:10])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(traefik_sets())
def test_random_traefik_middlewares_verify_clean(tmp_path_factory, objs):
    check(tmp_path_factory.mktemp("in"), objs)


PRIORITY_SAME_BACKEND = _objects("shop") + [
    {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
     "metadata": {"name": "ing-0", "namespace": "shop", "creationTimestamp": "2024-01-01T00:00:00Z"},
     "spec": {"ingressClassName": "traefik", "rules": [{"host": "a.test", "http": {"paths": [
         {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "s1", "port": {"number": 80}}}}]}}]}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
     "metadata": {"name": "ing-1", "namespace": "shop", "creationTimestamp": "2024-01-02T00:00:00Z",
                  "annotations": {T + "router.middlewares": "shop-secure@kubernetescrd"}},
     "spec": {"ingressClassName": "traefik", "rules": [{"host": "a.test", "http": {"paths": [
         {"path": "/", "pathType": "Exact", "backend": {"service": {"name": "s1", "port": {"number": 80}}}}]}}]}},
]


# Regression (was a strict xfail): Traefik ranks Host(`a.test`) && PathPrefix(`/`) above Host(`a.test`) && Path(`/`),
# so GET http://a.test/ goes to ing-0 without the headers middleware, while the Gateway prefers the Exact rule of
# ing-1; the translator reports route.priority, and verify must accept it although the backends are the same
# (compare.py treated an equal-backend difference as a weight-share difference).
def test_priority_difference_with_same_backend_is_explained(tmp_path):
    check(tmp_path, PRIORITY_SAME_BACKEND)
