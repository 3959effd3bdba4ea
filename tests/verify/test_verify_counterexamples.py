"""Shrunk counterexamples found by the Hypothesis properties (``test_verify_properties.py``).

Translator bugs were ``xfail(strict=True)`` (all fixed now; new ones go the same way): each names the input, the request, what ingress-nginx does (with the
controller fact) and what the generated Gateway API routes do. When the translator is fixed, the test passes,
strict xfail turns that into a failure, and the marker must go (the property generator's matching exclusion too).
Counterexamples that pass (simulator bugs now fixed, or differences a finding explains) are plain regressions.
"""

from __future__ import annotations

import json

from ingress2gw.pipeline import Options
from ingress2gw.verify.command import verify

N = "nginx.ingress.kubernetes.io/"


def ing(name, rules, annotations=None, default=None, tls=None, created="2024-01-01T00:00:00Z", ns="n1"):
    spec: dict = {"ingressClassName": "nginx", "rules": rules}
    if default:
        spec["defaultBackend"] = {"service": {"name": default, "port": {"number": 80}}}
    if tls:
        spec["tls"] = [{"hosts": tls, "secretName": f"{name}-tls"}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": created,
                         "annotations": {N + k: v for k, v in (annotations or {}).items()}},
            "spec": spec}


def rule(host, *paths):
    r: dict = {"http": {"paths": [
        {"path": p, "pathType": t, "backend": {"service": {"name": s, "port": {"number": 80}}}} for p, t, s in paths]}}
    if host:
        r["host"] = host
    return r


def run(tmp_path, objs):
    path = tmp_path / "input.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}))
    return verify(Options(paths=[str(path)]))


def unexplained(result) -> dict[str, tuple[str, str]]:
    return {d.request.label(): (d.source.describe(), d.gateway.describe()) for d in result.unexplained}


def assert_clean(tmp_path, objs, probe: str | None = None):
    """No unexplained difference. ``probe`` is the request of the reproduction (it must have been replayed)."""
    result = run(tmp_path, objs)
    bad = unexplained(result)
    if probe is not None:
        assert probe not in bad, f"{probe}: controller {bad[probe][0]} | gateway {bad[probe][1]}"
    assert not bad, "\n".join(f"{k}: controller {a} | gateway {b}" for k, (a, b) in sorted(bad.items())[:10])


# -- translator bugs (xfail strict) ---------------------------------------------------------------------------

ROOT_INHERITS = [ing("ing-0", [rule("a.test", ("/", "Exact", "s1"))], {"temporal-redirect": "https://t.test/t"})]


# Fixed translator bug (was a strict xfail): translator bug: the root location ingress-nginx makes for a host
# carries every annotation of the Ingress  that defined the host (controller.go createServers:
# locationApplyAnnotations(loc, anns));  GET http://a.test/ingress2gw-unmatched: nginx 302 https://t.test/t,
# Gateway 404
def test_regression_root_location_inherits_redirects(tmp_path):
    assert_clean(tmp_path, ROOT_INHERITS, "http://a.test/ingress2gw-unmatched")


CANARY_REGEX = [
    ing("ing-0", [rule(None, ("/api", "ImplementationSpecific", "s3"))], {"use-regex": "true"}),
    ing("canary-1", [rule(None, ("/api", "ImplementationSpecific", "canary"))],
        {"canary": "true", "canary-by-header": "X-Canary"}, created="2024-01-02T00:00:00Z"),
]


# Fixed translator bug (was a strict xfail): translator bug: on a host in regex mode the canary's header rules
# keep PathPrefix /api while the main rule  is (?i)^/api.*; GET /API [X-Canary: always] (and /apix): nginx
# canary (location ~* ^/api carries the  canary), Gateway n1/s3
def test_regression_canary_in_regex_mode(tmp_path):
    assert_clean(tmp_path, CANARY_REGEX, "http://any-host.ingress2gw.test/API [X-Canary: always]")


REGEX_ROOT_DEFAULT = [ing("app", [rule("a.test", ("/", "Prefix", "web"))], {"use-regex": "true"}, default="fallback")]


# Fixed translator bug (was a strict xfail): translator bug: use-regex + a Prefix / path +
# spec.defaultBackend: the / path replaces the root location  in nginx (every request goes to web), but the
# Gateway route puts the default backend at PathPrefix / ahead  of the RegularExpression (?i)^/.*: GET
# http://a.test/ goes to fallback
def test_regression_regex_root_path_beats_default_backend(tmp_path):
    assert_clean(tmp_path, REGEX_ROOT_DEFAULT, "http://a.test/")


SSL_OFF_REGEX = [
    ing("main", [rule("b.test", ("/api", "ImplementationSpecific", "s1"))], {"use-regex": "true"}, tls=["b.test"]),
    ing("plain", [rule("b.test", ("/plain", "Exact", "s2"))], {"ssl-redirect": "false"},
        created="2024-01-02T00:00:00Z"),
]


# Fixed translator bug (was a strict xfail): translator bug: on a regex host with TLS, the HTTP listener's
# HTTPS redirect (PathPrefix /) outranks the  RegularExpression rule of an Ingress with ssl-redirect: \ : GET
# http://b.test/plain: nginx proxies  to n1/s2, Gateway 308 https://b.test/plain
def test_regression_ssl_redirect_false_in_regex_mode(tmp_path):
    assert_clean(tmp_path, SSL_OFF_REGEX, "http://b.test/plain")


REDIRECT_AND_REWRITE = [ing("moved", [rule("b.test", ("/api", "Prefix", "s1"), ("/", "Prefix", "s2"))],
                            {"rewrite-target": "/", "temporal-redirect": "https://t.test/t"})]


# Fixed translator bug (was a strict xfail): translator bug: temporal-redirect + rewrite-target on an Ingress
# with two paths: nginx runs the location's  `return 302` before the rewrite (nginx.tmpl writes it ahead of
# buildProxyPass), so GET http://b.test/api  answers 302 https://t.test/t; the Gateway rewrites /api to / and
# proxies to n1/s1, with no finding (with  one path the translator reports annotation.unsupported)
def test_regression_redirect_with_rewrite_several_paths(tmp_path):
    assert_clean(tmp_path, REDIRECT_AND_REWRITE, "http://b.test/api")


APP_ROOT_SLASH = [ing("ing-0", [rule("b.test", ("/", "Prefix", "s1"))], {"app-root": "/home/"}, tls=["b.test"])]


# Fixed translator bug (was a strict xfail): translator bug: app-root is a server-level `if ($uri = /) {
# return 302 ...; }` in nginx.tmpl, so it runs  before the location's HTTPS redirect: GET http://b.test/ → 302
# http://b.test/home/ → 308 https://b.test/home  (the HTTPS redirect drops the slash) → n1/s1 path /home; the
# Gateway redirects to HTTPS first → 302  https://b.test/home/ → n1/s1 path /home/
def test_regression_app_root_before_https_redirect(tmp_path):
    assert_clean(tmp_path, APP_ROOT_SLASH, "http://b.test/")


# -- regressions (pass) ---------------------------------------------------------------------------------------


def test_rewrite_target_equal_to_the_path_is_not_regex_mode(tmp_path):
    """Simulator bug fixed: enforceRegexModifier needs a rewrite-target that differs from the location path
    (needsRewrite); Exact / with rewrite-target / keeps the catch-all out of regex mode."""
    assert_clean(tmp_path, [
        ing("ing-0", [rule("*.w.test", ("/app", "Exact", "s3")), rule(None, ("/", "Exact", "s3"))],
            {"rewrite-target": "/"}),
        ing("ing-1", [rule("a.test", ("/api", "Exact", "s2"))], default="s2", created="2024-01-02T00:00:00Z"),
    ])


def test_canary_merges_only_into_the_same_path_type(tmp_path):
    """Simulator bug fixed: mergeAlternativeBackends needs the same path and the same pathType, so a Prefix
    canary on /api/ does not reach the Exact /api/ location."""
    assert_clean(tmp_path, [
        ing("ing-0", [rule("a.test", ("/api/", "Prefix", "s2"), ("/api/", "Exact", "s2"))], tls=["a.test"],
            ns="n2"),
        ing("canary-1", [rule("a.test", ("/api/", "Prefix", "canary"))],
            {"canary": "true", "canary-by-header": "X-Canary"}, created="2024-01-02T00:00:00Z", ns="n2"),
    ])


def test_single_path_redirect_with_rewrite_is_explained(tmp_path):
    """With one path, the redirect dropped for the rewrite is reported (annotation.unsupported)."""
    assert_clean(tmp_path, [ing("moved", [rule("b.test", ("/api/v1", "Prefix", "s2"))],
                                {"rewrite-target": "/", "temporal-redirect": "https://t.test/t"}),
                            ing("ing-1", [], default="s3", created="2024-01-02T00:00:00Z")])


def test_permanent_redirect_wins_over_force_ssl_redirect(tmp_path):
    """nginx runs the location's `return` before the Lua HTTPS redirect (rewrite_by_lua runs after the rewrite
    module): both worlds answer the permanent redirect."""
    assert_clean(tmp_path, [ing("moved", [rule("a.test", ("/", "Prefix", "s1")), rule(None, ("/", "Prefix", "s1"))],
                                {"permanent-redirect": "https://r.test/p", "force-ssl-redirect": "true"},
                                tls=["a.test"])])
