"""Ground truth: the ingress-nginx simulator (``verify/nginx.py``) against real NGINX.

NGINX (Debian's package) runs on 127.0.0.1 with the configuration ingress-nginx would generate for the Ingresses
(``nginx_real/render.py``), in front of echo servers (one per Service:port). Every request ``verify`` derives for
the Ingresses (plus a copy with a query string) is sent over HTTP and HTTPS (SNI and Host = the request's host,
redirects not followed), and the answer is compared with ``NginxSimulator.decide``: the outcome class (backend,
redirect, nothing: 404 or not served), the redirect status and Location, the Service:port that answered, the
upstream path with query, the upstream Host and X-Forwarded-Prefix.

Sets: the ingress-nginx fixtures that use only what the renderer models, hypothesis-generated sets, and the
regression cases of the disagreements found so far (these are also checked against the simulator alone, so they
run where NGINX is not installed).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from ingress2gw.report import Report
from ingress2gw.source.loader import Document, load_paths
from ingress2gw.source.objects import build_inventory
from ingress2gw.verify.model import BACKEND, NOT_FOUND, REDIRECT, UNSERVED, Decision, Request
from ingress2gw.verify.nginx import NginxSimulator
from ingress2gw.verify.requests import derive
from nginx_real.harness import GroundTruth, nginx_binary
from nginx_real.render import Unrenderable, is_canary

#: Every derived request is also sent with this query: the upstream path keeps it, and the HTTPS redirect drops
#: the trailing "/" of the whole request URI (query included).
QUERY = "a=1&b=/"

#: Fixtures whose Ingresses use only paths, path types, default backends, TLS and the annotations the renderer
#: models (use-regex, rewrite-target, x-forwarded-prefix, app-root, permanent/temporal redirects, ssl-redirect,
#: force-ssl-redirect, preserve-trailing-slash); no canary, no ConfigMap.
FIXTURE_SETS = [
    "basic-paths", "paths-regex-contagion", "paths-regex-overlap", "paths-rewrite-captures", "paths-rewrite-literal",
    "paths-rewrite-prefix-idiom", "paths-trailing-slash", "paths-x-forwarded-prefix-alone", "redirect-app-root",
    "redirect-permanent", "redirect-temporal", "redirect-force-ssl", "redirect-acme-solver",
    "redirect-trailing-slash-log", "tls-redirect", "11-force-ssl-redirect-without-tls", "11-rewrite-missing-capture",
    "13-rewrite-capture-prefix", "13-tls-partial-hosts", "13-regex-rewrite-shared-host",
    "default-backend", "host-names", "shared-host-conflict", "many-paths", "legacy-api-versions",
]


@pytest.fixture(scope="module")
def ground(tmp_path_factory):
    binary = nginx_binary()
    if binary is None:
        pytest.skip("NGINX is not installed (no /usr/sbin/nginx, no nginx on PATH): `apt-get install nginx` "
                    "(.ci/run does it) to compare the ingress-nginx simulator with real NGINX")
    truth = GroundTruth(binary, tmp_path_factory.mktemp("nginx"))
    yield truth
    truth.close()


def outcome(d: Decision) -> tuple:
    """What is compared: unserved and 404 are one class ("nothing serves it")."""
    if d.kind in (UNSERVED, NOT_FOUND):
        return ("nothing",)
    if d.kind == REDIRECT:
        return (REDIRECT, d.status, d.location)
    if d.kind == BACKEND:
        return (BACKEND, d.backends, d.path, d.host, d.headers)
    return (d.kind, d.status)


def requests_for(ingresses) -> list[Request]:
    derived = derive(ingresses)
    return derived + [replace(r, query=QUERY) for r in derived]


def disagreements(ground: GroundTruth, ingresses, services=None) -> list[str]:
    simulator = NginxSimulator(ingresses, services)
    requests = requests_for(ingresses)
    with ground.serving(ingresses, services) as site, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(site.fetch, requests))
    return [f"{r.label()}: nginx {real.describe()} | simulator {sim.describe()}"
            for r, real, sim in zip(requests, answers, map(simulator.decide, requests))
            if outcome(real) != outcome(sim)]


def inventory(objects: list[dict]):
    return build_inventory([Document("test.yaml", i, None, o, 1) for i, o in enumerate(objects)], Report())


def check(ground: GroundTruth, ingresses, services=None) -> None:
    bad = disagreements(ground, ingresses, services)
    assert not bad, "\n".join(bad[:20]) + "\n\n" + ground.last_config


# -- (a) fixtures ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", FIXTURE_SETS)
def test_fixture_agrees_with_nginx(ground, case):
    inv = build_inventory(load_paths([str(FIXTURES / "ingress-nginx" / case / "input.yaml")]).documents, Report())
    assert inv.ingresses and not any(is_canary(i) for i in inv.ingresses)
    check(ground, inv.ingresses, inv.services)


# -- (b) generated sets ---------------------------------------------------------------------------------------

N = "nginx.ingress.kubernetes.io/"
HOSTS = st.sampled_from([None, "a.test", "b.test", "*.w.test", "x.w.test"])
PATHS = st.sampled_from(["/", "/api", "/api/", "/api/v1", "/apix", "/app", "/a", "/Api"])
REGEX_PATHS = st.sampled_from(["/api(/|$)(.*)", "/app/(.*)", "/v[0-9]+/(.*)", "/api/(v1|v2)(/.*)?", "/a.c"])
TYPES = st.sampled_from(["Exact", "Prefix", "ImplementationSpecific"])
SVCS = st.sampled_from(["s1", "s2", "s3"])
REWRITES = ["/", "/new", "/$1", "/$2", "/x/$1", "/api", "https://r.test/$1"]
FEATURES = st.sets(st.sampled_from([
    "use-regex", "rewrite-target", "prefix-idiom", "permanent-redirect", "temporal-redirect", "app-root",
    "ssl-redirect-false", "force-ssl-redirect", "preserve-trailing-slash", "x-forwarded-prefix", "upstream-vhost",
]), max_size=3)


def _backend(svc: str) -> dict:
    return {"service": {"name": svc, "port": {"number": 80}}}


@st.composite
def ingress(draw, i: int) -> dict:
    """A main Ingress: rules on a few hosts (hostless, exact, wildcard), Exact/Prefix/ImplementationSpecific and
    regex paths, up to three routing annotations, a defaultBackend, a tls section, equal or later timestamps."""
    features = draw(FEATURES)
    regex = bool(features & {"use-regex", "prefix-idiom"})
    rules = []
    for _ in range(draw(st.integers(1 if "prefix-idiom" in features else 0, 2))):
        host = draw(HOSTS)
        paths = []
        for _ in range(draw(st.integers(1, 3))):
            if regex and draw(st.booleans()):
                path, ptype = draw(REGEX_PATHS), "ImplementationSpecific"
            else:
                path, ptype = draw(PATHS), draw(TYPES)
            paths.append({"path": path, "pathType": ptype, "backend": _backend(draw(SVCS))})
        rules.append({**({"host": host} if host else {}), "http": {"paths": paths}})
    annotations: dict[str, str] = {}
    if "use-regex" in features:
        annotations[N + "use-regex"] = "true"
    if "rewrite-target" in features:
        annotations[N + "rewrite-target"] = draw(st.sampled_from(REWRITES))
    if "prefix-idiom" in features:
        annotations[N + "use-regex"] = "true"
        annotations[N + "rewrite-target"] = "/$2"
        rules[0]["http"]["paths"][0] = {"path": "/api(/|$)(.*)", "pathType": "ImplementationSpecific",
                                        "backend": _backend(draw(SVCS))}
    if "permanent-redirect" in features:
        annotations[N + "permanent-redirect"] = draw(st.sampled_from(["https://r.test/p", "http://r.test",
                                                                      "https://r.test$request_uri"]))
        if draw(st.booleans()):
            annotations[N + "permanent-redirect-code"] = draw(st.sampled_from(["301", "308", "302", "399"]))
    if "temporal-redirect" in features:
        annotations[N + "temporal-redirect"] = "https://t.test/t"
        if draw(st.booleans()):
            annotations[N + "temporal-redirect-code"] = draw(st.sampled_from(["307", "308"]))
    if "app-root" in features:
        annotations[N + "app-root"] = draw(st.sampled_from(["/app", "/home/"]))
    if "ssl-redirect-false" in features:
        annotations[N + "ssl-redirect"] = "false"
    if "force-ssl-redirect" in features:
        annotations[N + "force-ssl-redirect"] = "true"
    if "preserve-trailing-slash" in features:
        annotations[N + "preserve-trailing-slash"] = "true"
    if "x-forwarded-prefix" in features:
        annotations[N + "x-forwarded-prefix"] = "/pre"
    if "upstream-vhost" in features:
        annotations[N + "upstream-vhost"] = "internal.test"
    spec: dict = {"ingressClassName": "nginx", "rules": rules}
    if draw(st.booleans()) or not rules:
        spec["defaultBackend"] = _backend(draw(SVCS))
    if draw(st.booleans()):
        # some of the hosts, maybe not the Ingress's own: a host of an Ingress with a tls section that does not
        # list it still gets the default certificate and the HTTPS redirect
        listed = draw(st.lists(st.sampled_from(["a.test", "b.test", "*.w.test", "x.w.test"]), unique=True, max_size=3))
        spec["tls"] = [{"hosts": listed, "secretName": draw(st.sampled_from([f"tls-{i}", "shared", ""]))}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": f"ing-{i}", "namespace": draw(st.sampled_from(["n1", "n2"])),
                         "creationTimestamp": draw(st.sampled_from(["2024-01-01", f"2024-01-0{i + 2}"])) + "T00:00:00Z",
                         "annotations": annotations},
            "spec": spec}


@st.composite
def ingress_sets(draw) -> list[dict]:
    return [draw(ingress(i)) for i in range(draw(st.integers(1, 3)))]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(objs=ingress_sets())
def test_generated_ingresses_agree_with_nginx(ground, objs):
    inv = inventory(objs)
    try:
        bad = disagreements(ground, inv.ingresses, inv.services)
    except Unrenderable:
        assume(False)  # NGINX refuses the controller's configuration (duplicate locations): nothing to compare
    assert not bad, "\n".join(bad[:20]) + "\n\n" + ground.last_config


# -- (c) regressions: the disagreements found, each fixed in the simulator -------------------------------------


def _ing(name: str, rules: list, annotations: dict | None = None, *, ns: str = "n1", created: str = "2024-01-01",
         default: str | None = None, tls: list | None = None) -> dict:
    """An Ingress; ``rules``: (host or None, [(path, pathType, service), ...])."""
    spec: dict = {"ingressClassName": "nginx", "rules": [
        {**({"host": host} if host else {}),
         "http": {"paths": [{"path": p, "pathType": t, "backend": _backend(s)} for p, t, s in paths]}}
        for host, paths in rules]}
    if default:
        spec["defaultBackend"] = _backend(default)
    if tls is not None:
        spec["tls"] = [{"hosts": tls, "secretName": f"{name}-tls"}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": f"{created}T00:00:00Z",
                         "annotations": {N + k: v for k, v in (annotations or {}).items()}},
            "spec": spec}


def _req(url: str) -> Request:
    scheme, _, rest = url.partition("://")
    host, _, path = rest.partition("/")
    path, _, query = ("/" + path).partition("?")
    return Request(host=host, path=path, scheme=scheme, query=query)


def _backend_at(ref: str, path: str, host: str | None = None) -> tuple:
    return (BACKEND, ((ref, Fraction(1)),), path, host, ())


NOTHING = ("nothing",)

#: id → (Ingresses, {request URL: expected outcome()}). Each was a disagreement between the simulator and NGINX.
REGRESSIONS = {
    # internal/k8s SetDefaultNGINXPathType: ImplementationSpecific is Prefix ("/img/" + "= /img"), not a character
    # prefix: /imgs is not /img's.
    "implementation-specific-is-prefix": (
        [_ing("web", [("a.test", [("/img", "ImplementationSpecific", "s1")])])],
        {"http://a.test/imgs": NOTHING, "http://a.test/img": _backend_at("n1/s1:80", "/img"),
         "http://a.test/img/x": _backend_at("n1/s1:80", "/img/x")}),
    # store.go: equal creationTimestamps are ordered by namespace/name descending: n1/b is older than n1/a.
    "equal-timestamps-namespace-name-descending": (
        [_ing("a", [("a.test", [("/tie", "Exact", "s1")])]), _ing("b", [("a.test", [("/tie", "Exact", "s2")])])],
        {"http://a.test/tie": _backend_at("n1/s2:80", "/tie")}),
    # template.go buildServerName: *.w.test is ~^(?<subdomain>[\w-]+)\.w\.test$, one label only.
    "wildcard-host-is-one-label": (
        [_ing("wild", [("*.w.test", [("/", "Prefix", "s1")])], tls=["*.w.test"])],
        {"https://x.w.test/": _backend_at("n1/s1:80", "/"), "http://x.y.w.test/": NOTHING,
         "https://x.y.w.test/": NOTHING}),
    # createServers: a host of an Ingress with a tls section that does not list it gets the default certificate,
    # which still turns on the HTTPS redirect; HTTPS is answered with the untrusted default certificate.
    "tls-section-without-the-host": (
        [_ing("web", [("a.test", [("/", "Prefix", "s1")]), ("b.test", [("/", "Prefix", "s2")])], tls=["a.test"])],
        {"http://b.test/p": (REDIRECT, 308, "https://b.test/p"), "https://b.test/p": NOTHING,
         "https://a.test/p": _backend_at("n1/s1:80", "/p")}),
    # ... and a host listed in the tls section of an Ingress without a rule for it gets no certificate at all.
    "tls-host-without-rule": (
        [_ing("a", [("a.test", [("/", "Prefix", "s1")])]),
         _ing("b", [("b.test", [("/", "Prefix", "s2")])], tls=["a.test"], created="2024-01-02")],
        {"http://a.test/p": _backend_at("n1/s1:80", "/p"), "https://a.test/p": NOTHING,
         "http://b.test/p": (REDIRECT, 308, "https://b.test/p")}),
    # nginx's auto_redirect also applies to an exact location ending in "/": /api is answered 301 /api/.
    "exact-path-with-trailing-slash": (
        [_ing("api", [("a.test", [("/api/", "Exact", "s1")])])],
        {"http://a.test/api?q=1": (REDIRECT, 301, "http://a.test/api/?q=1"),
         "http://a.test/api/": _backend_at("n1/s1:80", "/api/")}),
    # needsRewrite reads the normalized path: Prefix /api with rewrite-target /api is the location "/api/", which
    # differs from the target (regex mode, everything below /api/ rewritten to /api); its exact clone is not.
    "rewrite-target-equal-to-a-prefix-path": (
        [_ing("api", [("a.test", [("/api", "Prefix", "s1")])], {"rewrite-target": "/api"})],
        {"http://a.test/api/x?q=1": _backend_at("n1/s1:80", "/api?q=1"),
         "http://a.test/API/x": _backend_at("n1/s1:80", "/api"), "http://a.test/api": _backend_at("n1/s1:80", "/api"),
         "http://a.test/apix": _backend_at("n1/s1:80", "/apix")}),
    # A rewrite-target starting with https:// makes nginx's rewrite a 302 (query appended), before the HTTPS
    # redirect.
    "rewrite-target-url": (
        [_ing("old", [("a.test", [("/old", "Prefix", "s1")])], {"rewrite-target": "https://r.test/new"},
              tls=["a.test"])],
        {"http://a.test/old/x?q=1": (REDIRECT, 302, "https://r.test/new?q=1"),
         "https://a.test/old": (REDIRECT, 302, "https://r.test/new")}),
    # nginx's rewrite expands variables in the replacement: a URL target with $host (or $scheme) redirects to the
    # request's own host (the validator allows "$" in rewrite-target).
    "rewrite-target-url-with-host-variable": (
        [_ing("old", [("a.test", [("/old", "Prefix", "s1")])], {"rewrite-target": "https://$host/new"}),
         _ing("back", [("b.test", [("/back", "Prefix", "s1")])], {"rewrite-target": "$scheme://$host/v2"})],
        {"http://a.test/old/x?q=1": (REDIRECT, 302, "https://a.test/new?q=1"),
         "http://b.test/back": (REDIRECT, 302, "http://b.test/v2")}),
    # createServers keeps the annotations of the Ingress taking the catch-all except redirect and rewrite.
    "catch-all-upstream-vhost": (
        [_ing("catch-all", [], {"upstream-vhost": "internal.test"}, default="s1")],
        {"http://any-host.ingress2gw.test/x": _backend_at("n1/s1:80", "/x", "internal.test")}),
    # The catch-all root taken by an Ingress without rules is no longer the default backend: a hostless "/" path
    # does not replace it.
    "catch-all-root-is-not-replaced": (
        [_ing("catch-all", [], default="s1", created="2024-01-02"),
         _ing("hostless", [(None, [("/", "Prefix", "s2")])], ns="n2")],
        {"http://any-host.ingress2gw.test/x": _backend_at("n1/s1:80", "/x")}),
    # Regex mode: the root location the controller made comes first among the equally long "^/" regexes, so a
    # hostless Exact "/" is never reached.
    "regex-mode-root-shadows-exact-root": (
        [_ing("root", [(None, [("/", "Exact", "s1")])], {"use-regex": "true"})],
        {"http://any-host.ingress2gw.test/": NOTHING}),
    # Regex mode keeps the controller's normalization: Prefix /foo (no Exact clone: an Exact /foo exists) is
    # "^/foo/", the other Ingress's Exact /foo is "^/foo" and takes /foox.
    "regex-mode-prefix-and-exact-twins": (
        [_ing("prefix", [("a.test", [("/foo", "Prefix", "s1")])]),
         _ing("exact", [("a.test", [("/foo", "Exact", "s2")])], created="2024-01-02"),
         _ing("regex", [("a.test", [("/r[0-9]", "ImplementationSpecific", "s3")])], {"use-regex": "true"},
              created="2024-01-03")],
        {"http://a.test/foo/x": _backend_at("n1/s1:80", "/foo/x"),
         "http://a.test/foox": _backend_at("n1/s2:80", "/foox"), "http://a.test/foo": _backend_at("n1/s2:80", "/foo")}),
}


@pytest.mark.parametrize("case", sorted(REGRESSIONS))
def test_regression_simulator(case):
    objects, expected = REGRESSIONS[case]
    inv = inventory(objects)
    simulator = NginxSimulator(inv.ingresses, inv.services)
    got = {url: outcome(simulator.decide(_req(url))) for url in expected}
    assert got == expected


@pytest.mark.parametrize("case", sorted(REGRESSIONS))
def test_regression_nginx(ground, case):
    objects, expected = REGRESSIONS[case]
    inv = inventory(objects)
    check(ground, inv.ingresses, inv.services)
    with ground.serving(inv.ingresses, inv.services) as site:
        got = {url: outcome(site.fetch(_req(url))) for url in expected}
    assert got == expected
