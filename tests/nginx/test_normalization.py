"""The controller's path normalization, regex-mode order, root location and URL rewrites, end to end.

Each case was a disagreement between the translation and real NGINX (tests/verify/test_nginx_ground_truth.py,
REGRESSIONS): the Gateway API output is checked for its rules and findings, and ``verify`` replays the requests
through the ingress-nginx simulator and the Gateway API simulator: no difference may stay unexplained.
"""

from __future__ import annotations

import json

import pytest
from ruamel.yaml import YAML

from ingress2gw.pipeline import Options, run
from ingress2gw.verify.command import verify

N = "nginx.ingress.kubernetes.io/"


def _ing(name: str, paths: list[tuple[str, str, str]], annotations: dict | None = None, *, host: str | None = "a.test",
         created: str = "2024-01-01", default: str | None = None, tls: bool = False) -> dict:
    """An Ingress with one rule; ``paths``: (path, pathType, service)."""
    spec: dict = {"ingressClassName": "nginx", "rules": [{
        **({"host": host} if host else {}),
        "http": {"paths": [{"path": p, "pathType": t, "backend": {"service": {"name": s, "port": {"number": 80}}}}
                           for p, t, s in paths]}}]}
    if default:
        spec["defaultBackend"] = {"service": {"name": default, "port": {"number": 80}}}
    if tls:
        spec["tls"] = [{"hosts": [host], "secretName": f"{name}-tls"}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": "n1", "creationTimestamp": f"{created}T00:00:00Z",
                         "annotations": {N + k: v for k, v in (annotations or {}).items()}},
            "spec": spec}


def _write(tmp_path, docs: list[dict]) -> str:
    src = tmp_path / "in.yaml"
    src.write_text("\n---\n".join(json.dumps(d) for d in docs) + "\n")
    return str(src)


def _options(path: str, regex_mode: str) -> Options:
    return Options(paths=[path], provider_options={"regex_mode": regex_mode})


def convert(tmp_path, *docs: dict, regex_mode: str = "faithful"):
    return run(_options(_write(tmp_path, list(docs)), regex_mode))


def rules(result, host: str | None = "a.test") -> list[tuple[str, str, tuple]]:
    """(match type, value, filter types) of every rule of the routes for ``host`` (None: routes without host)."""
    out = []
    for o in result.objects:
        if o["kind"] != "HTTPRoute" or (o["spec"].get("hostnames") or [None])[0] != host:
            continue
        for r in o["spec"]["rules"]:
            for m in r.get("matches") or [{}]:
                p = m.get("path") or {}
                out.append((p.get("type"), p.get("value"), tuple(f["type"] for f in r.get("filters") or [])))
    return out


def filters_of(result, value: str, host: str | None = "a.test") -> list[dict]:
    """The filters of the rule matching path ``value`` on the HTTP listener's route for ``host``."""
    for o in result.objects:
        if o["kind"] != "HTTPRoute" or (o["spec"].get("hostnames") or [None])[0] != host:
            continue
        if not all(p.get("sectionName", "").startswith("http-") for p in o["spec"]["parentRefs"]):
            continue
        for r in o["spec"].get("rules") or []:
            if any((m.get("path") or {}).get("value") == value for m in r.get("matches") or []):
                return r.get("filters") or []
    raise AssertionError(f"no rule matches {value}")


def codes(result, code: str) -> list:
    return [f for f in result.report.findings if f.code.value == code]


def unexplained(tmp_path, docs: list[dict], urls: list[str], regex_mode: str = "faithful") -> list[str]:
    """verify with the derived requests plus ``urls`` (each also with a query): the differences no finding
    explains."""
    reqs = []
    for url in urls:
        scheme, _, rest = url.partition("://")
        host, _, path = rest.partition("/")
        path, _, query = ("/" + path).partition("?")
        reqs += [{"host": host, "path": path, "scheme": scheme, "query": q} for q in {query, "q=1"}]
    requests = tmp_path / "requests.yaml"
    YAML().dump(reqs, requests)
    result = verify(_options(_write(tmp_path, docs), regex_mode), requests_file=str(requests))
    assert result.requests > 0
    return [f"{d.request.label()}: controller {d.source.describe()} | gateway {d.gateway.describe()}"
            for d in result.unexplained]


# -- 1. rewrite-target equal to a Prefix path: the normalized location /p/ rewrites ------------------------------

API_EQUAL = [_ing("api", [("/api", "Prefix", "s1")], {"rewrite-target": "/api"})]


def test_rewrite_target_equal_to_a_prefix_path_rewrites_below_it(tmp_path):
    out = convert(tmp_path, *API_EQUAL)
    assert sorted(rules(out)) == [("RegularExpression", "(?i)^/api(?:[^/].*)?", ()),
                                  ("RegularExpression", "(?i)^/api/.*", ("URLRewrite",))]
    assert filters_of(out, "(?i)^/api/.*")[0]["urlRewrite"]["path"] == {"type": "ReplaceFullPath",
                                                                       "replaceFullPath": "/api"}
    assert not [f for f in codes(out, "annotation.ignored") if f.annotation.endswith("rewrite-target")]
    assert codes(out, "path.regex-mode")


def test_rewrite_target_equal_to_a_prefix_path_verifies(tmp_path):
    assert unexplained(tmp_path, API_EQUAL, ["http://a.test/api/x?q=1", "http://a.test/API/x",
                                             "http://a.test/api", "http://a.test/apix"]) == []


def test_equal_implementation_specific_path_sends_x_forwarded_prefix_only_where_it_rewrites(tmp_path):
    docs = [_ing("api", [("/api", "ImplementationSpecific", "s1")], {"rewrite-target": "/api",
                                                                      "x-forwarded-prefix": "/pre"})]
    out = convert(tmp_path, *docs)
    assert [f["type"] for f in filters_of(out, "(?i)^/api/.*")] == ["URLRewrite", "RequestHeaderModifier"]
    assert filters_of(out, "(?i)^/api(?:[^/].*)?") == []
    assert unexplained(tmp_path, docs, ["http://a.test/api/x", "http://a.test/api"]) == []


def test_equal_prefix_path_in_strict_mode_is_a_rewriting_prefix_and_a_plain_exact(tmp_path):
    out = convert(tmp_path, *API_EQUAL, regex_mode="strict")
    assert sorted(rules(out)) == [("Exact", "/api", ()), ("PathPrefix", "/api", ("URLRewrite",))]
    assert unexplained(tmp_path, API_EQUAL, ["http://a.test/api/x", "http://a.test/api"], "strict") == []


def test_equal_prefix_path_with_an_exact_twin_has_no_clone(tmp_path):
    # location.go: an Exact /api exists, so no "= /api" clone; the Exact (regex ^/api) takes /api and /apix.
    docs = API_EQUAL + [_ing("exact", [("/api", "Exact", "s2")], created="2024-01-02")]
    out = convert(tmp_path, *docs)
    assert sorted(rules(out)) == [("RegularExpression", "(?i)^/api.*", ()),
                                  ("RegularExpression", "(?i)^/api/.*", ("URLRewrite",))]
    assert unexplained(tmp_path, docs, ["http://a.test/api/x", "http://a.test/apix", "http://a.test/api"]) == []


@pytest.mark.parametrize("annotations, path, path_type", [
    ({"rewrite-target": "/api/"}, "/api/", "Prefix"),  # the normalized location is /api/ itself
    ({"rewrite-target": "/api"}, "/api", "Exact"),  # an Exact location is never normalized
])
def test_target_equal_to_the_location_is_ignored_where_the_root_does_not_carry_it(tmp_path, annotations, path,
                                                                                  path_type):
    # Another, older Ingress created the host: its root location does not carry the rewrite-target.
    docs = [_ing("owner", [("/o", "Prefix", "s2")]),
            _ing("web", [(path, path_type, "s1")], annotations, created="2024-01-02")]
    out = convert(tmp_path, *docs)
    (ignored,) = [f for f in codes(out, "annotation.ignored") if f.annotation.endswith("rewrite-target")]
    assert "neither rewrites nor switches to regex mode" in ignored.message
    assert not codes(out, "path.regex-mode")
    assert unexplained(tmp_path, docs, [f"http://a.test{path}x", f"http://a.test{path}"]) == []


def test_root_location_carries_the_rewrite_target_of_the_ingress_that_created_the_host(tmp_path):
    # needsRewrite on the root location "/": the target differs, so the host is in regex mode (Exact /same
    # matches /samex) and the root rewrites what no path matches for the default backend.
    docs = [_ing("web", [("/same", "Exact", "s1")], {"rewrite-target": "/same"}, default="s2")]
    out = convert(tmp_path, *docs)
    (finding,) = [f for f in codes(out, "annotation.translated") if f.annotation.endswith("rewrite-target")]
    assert "root location" in finding.message and "a.test" in finding.message
    assert ("RegularExpression", "(?i)^/same.*", ()) in rules(out)
    assert filters_of(out, "(?i)^/.*")[0]["urlRewrite"]["path"]["replaceFullPath"] == "/same"
    assert unexplained(tmp_path, docs, ["http://a.test/samex", "http://a.test/SAME", "http://a.test/x"]) == []


# -- 2. Exact path ending in /: nginx's auto_redirect ----------------------------------------------------------


def test_exact_path_with_trailing_slash_gets_the_301(tmp_path):
    docs = [_ing("api", [("/api/", "Exact", "s1")])]
    out = convert(tmp_path, *docs)
    redirect = filters_of(out, "/api")
    assert redirect[0]["requestRedirect"] == {"path": {"type": "ReplaceFullPath", "replaceFullPath": "/api/"},
                                              "statusCode": 301}
    (finding,) = codes(out, "path.trailing-slash-redirect")
    assert "exact location = /api/ answered /api with a 301" in finding.message
    assert unexplained(tmp_path, docs, ["http://a.test/api?q=1", "http://a.test/api/"]) == []


@pytest.mark.parametrize("other", [("/api", "Exact", "s2"), ("/api", "Prefix", "s2"),
                                   ("/api", "ImplementationSpecific", "s2")])
def test_no_trailing_slash_redirect_where_an_exact_location_serves_the_bare_path(tmp_path, other):
    docs = [_ing("api", [("/api/", "Exact", "s1"), other])]
    out = convert(tmp_path, *docs)
    assert not codes(out, "path.trailing-slash-redirect")
    assert unexplained(tmp_path, docs, ["http://a.test/api", "http://a.test/api/"]) == []


# -- 3. rewrite-target that is a URL: a 302, before the HTTPS redirect, on the root location too ----------------

URL_TARGET = [_ing("old", [("/old", "Prefix", "s1")], {"rewrite-target": "https://r.test/new"}, tls=True)]


def test_url_rewrite_target_redirects_every_path_and_the_root_location(tmp_path):
    out = convert(tmp_path, *URL_TARGET)
    for value in ("(?i)^/old.*", "(?i)^/.*"):
        (f,) = filters_of(out, value)
        assert f["requestRedirect"] == {"scheme": "https", "hostname": "r.test",
                                        "path": {"type": "ReplaceFullPath", "replaceFullPath": "/new"},
                                        "statusCode": 302}
    assert unexplained(tmp_path, URL_TARGET, ["http://a.test/old/x?q=1", "https://a.test/old",
                                              "https://a.test/elsewhere"]) == []


def test_scheme_rewrite_target_keeps_the_request_scheme(tmp_path):
    docs = [_ing("old", [("/old", "Prefix", "s1")], {"rewrite-target": "$scheme://r.test/new"})]
    out = convert(tmp_path, *docs)
    assert filters_of(out, "(?i)^/old.*")[0]["requestRedirect"] == {
        "hostname": "r.test", "path": {"type": "ReplaceFullPath", "replaceFullPath": "/new"}, "statusCode": 302}
    assert unexplained(tmp_path, docs, ["http://a.test/old/x?q=1"]) == []


def test_url_rewrite_target_with_captures_is_reported_with_the_redirect_dimension(tmp_path):
    docs = [_ing("old", [("/old/(.*)", "ImplementationSpecific", "s1")],
                 {"rewrite-target": "https://r.test/$1", "use-regex": "true"})]
    out = convert(tmp_path, *docs)
    (f,) = [f for f in codes(out, "annotation.unsupported") if f.annotation.endswith("rewrite-target")]
    assert "302 redirect" in f.message and "captures" in f.message
    assert {str(getattr(d, "value", d)) for d in f.dimensions} >= {"redirect"}
    # The root location's rewrite regex "/" has no group: its redirect is https://r.test/ (translated).
    assert filters_of(out, "(?i)^/.*")[0]["requestRedirect"]["path"]["replaceFullPath"] == "/"
    assert unexplained(tmp_path, docs, ["http://a.test/old/x?q=1", "http://a.test/x"]) == []


def test_root_location_with_default_backend_answers_the_annotation_redirect(tmp_path):
    docs = [_ing("web", [("/a", "Prefix", "s1")], {"permanent-redirect": "https://r.test/p"}, default="s2")]
    out = convert(tmp_path, *docs)
    root = filters_of(out, "/")
    assert root[0]["requestRedirect"]["hostname"] == "r.test"
    assert unexplained(tmp_path, docs, ["http://a.test/x", "http://a.test/a"]) == []


# -- 4. regex mode keeps the controller's order of equal paths ---------------------------------------------------


def test_regex_mode_root_location_shadows_an_exact_root(tmp_path):
    docs = [_ing("root", [("/", "Exact", "s1")], {"use-regex": "true"}, host=None)]
    out = convert(tmp_path, *docs)
    assert rules(out, None) == []
    (f,) = codes(out, "route.conflict")
    assert "root location" in f.message and "left out" in f.message
    assert unexplained(tmp_path, docs, ["http://any.test/", "http://any.test/x"]) == []


TWINS = [_ing("prefix", [("/foo", "Prefix", "s1")]),
         _ing("exact", [("/foo", "Exact", "s2")], created="2024-01-02"),
         _ing("regex", [("/r[0-9]", "ImplementationSpecific", "s3")], {"use-regex": "true"}, created="2024-01-03")]


def test_regex_mode_prefix_and_exact_twins(tmp_path):
    out = convert(tmp_path, *TWINS)
    assert ("RegularExpression", "(?i)^/foo/.*", ()) in rules(out)
    assert ("RegularExpression", "(?i)^/foo.*", ()) in rules(out)
    assert not codes(out, "route.conflict")
    assert unexplained(tmp_path, TWINS, ["http://a.test/foo/x", "http://a.test/foox", "http://a.test/foo"]) == []


def test_regex_mode_older_exact_twin_shadows_the_prefix(tmp_path):
    # The Exact /foo comes first among the equal paths: ^/foo takes /foo/x too; the Prefix is never used.
    docs = [_ing("exact", [("/foo", "Exact", "s2")]), _ing("prefix", [("/foo", "Prefix", "s1")], created="2024-01-02"),
            TWINS[2]]
    out = convert(tmp_path, *docs)
    assert [f.obj.name for f in codes(out, "route.conflict")] == ["prefix"]
    assert unexplained(tmp_path, docs, ["http://a.test/foo/x", "http://a.test/foox", "http://a.test/foo"]) == []
