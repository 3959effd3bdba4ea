"""Issue 13 (Traefik routing semantics) rules of the provider that the golden files alone do not pin down: rules
without host on every host, router.priority 0, the X-Forwarded-Prefix value and the redirectScheme status code."""

from __future__ import annotations

from test_traefik import _ing, _routes, _tls_run

T = "traefik.ingress.kubernetes.io/"


def _ingress(name, host, paths, annotations=None, ns="demo"):
    rule = {"http": {"paths": [{"path": p, "pathType": t, "backend": {"service": {"name": svc, "port": {"number": 80}}}}
                               for p, t, svc in paths]}}
    if host:
        rule["host"] = host
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": ns, "annotations": {T + k: v for k, v in
                                                                       (annotations or {}).items()}},
            "spec": {"ingressClassName": "traefik", "rules": [rule]}}


def _rules_of(result, host):
    return [(m.get("path", {}).get("value"), r["backendRefs"][0]["name"])
            for route in _routes(result) if host in (route["spec"].get("hostnames") or [])
            for r in route["spec"]["rules"] for m in r.get("matches") or [{}] if r.get("backendRefs")]


def test_hostless_rules_are_repeated_on_every_host_after_its_own(tmp_path):
    """One muxer: a request for h.example.com that none of its routers matches falls through to the routers without
    host; listener isolation would answer 404, so their rules are on the host too (the host's own / wins)."""
    result, findings = _tls_run(tmp_path, [
        _ingress("app", "h.example.com", [("/app", "Prefix", "app"), ("/", "Prefix", "own-root")]),
        _ingress("any", None, [("/other", "Prefix", "other"), ("/", "Prefix", "fallback")])])
    rules = _rules_of(result, "h.example.com")
    assert ("/other", "other") in rules and ("/", "own-root") in rules
    assert ("/", "fallback") not in rules
    assert not [f for f in findings if f[0] == "route.conflict"]


def test_hostless_router_compared_with_the_host_routers_by_its_own_length(tmp_path):
    _, findings = _tls_run(tmp_path, [_ingress("app", "h.example.com", [("/app", "Prefix", "app")]),
                                      _ingress("any", None, [("/app/x", "Prefix", "app-x")])])
    (f,) = [f for f in findings if f[0] == "route.priority"]
    assert "h.example.com/app/x" in f[2] and "(priority 43)" in f[2] and "(priority 20)" in f[2]


def test_hostless_router_with_a_higher_priority_takes_the_host_s_same_path(tmp_path):
    _, findings = _tls_run(tmp_path, [
        _ingress("app", "h.example.com", [("/app", "Prefix", "app")]),
        _ingress("any", None, [("/app", "Prefix", "any")], {"router.priority": "500"})])
    (f,) = [f for f in findings if f[0] == "route.priority"]
    assert "Traefik chose PathPrefix /app (priority 500)" in f[2]


def test_priority_zero_is_the_rule_length(tmp_path):
    """router.priority "0" is unset (pkg/muxer/http/mux.go): PathPrefix /a (longer rule) still takes /ab."""
    _, findings = _tls_run(tmp_path, [_ingress("p", "z.example.com", [("/a", "Prefix", "p")], {"router.priority": "0"}),
                                      _ingress("e", "z.example.com", [("/ab", "Exact", "e")])])
    assert [f for f in findings if f[0] == "route.priority"]
    _, agreeing = _tls_run(tmp_path, [_ingress("p", "z.example.com", [("/a", "Prefix", "p")], {"router.priority": "1"}),
                                      _ingress("e", "z.example.com", [("/ab", "Exact", "e")])])
    assert not [f for f in agreeing if f[0] == "route.priority"]


def _mw(name, spec):
    return {"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware", "metadata": {"name": name, "namespace": "demo"},
            "spec": spec}


def test_x_forwarded_prefix_is_the_configured_prefix(tmp_path):
    result, _ = _tls_run(tmp_path, [_ingress("v1", "a.example.com", [("/v1/", "Prefix", "v1")],
                                             {"router.middlewares": "demo-strip@kubernetescrd"})],
                         [_mw("strip", {"stripPrefix": {"prefixes": ["/v1/"]}})])
    (route,) = _routes(result)
    filters = route["spec"]["rules"][0]["filters"]
    header = next(f for f in filters if f["type"] == "RequestHeaderModifier")
    assert header["requestHeaderModifier"]["set"] == [{"name": "X-Forwarded-Prefix", "value": "/v1/"}]


def test_trailing_slash_prefix_gains_the_path_without_it(tmp_path):
    _, findings = _tls_run(tmp_path, [_ingress("v1", "a.example.com", [("/v1/", "Prefix", "v1")])])
    (f,) = [f for f in findings if f[0] == "path.character-prefix"]
    assert "did not match '/v1'" in f[2]


def test_temporary_redirect_scheme_uses_302(tmp_path):
    ing = _ing("app", annotations={"router.middlewares": "demo-https@kubernetescrd"}, tls_secret="app-tls")
    for spec, code in (({"scheme": "https"}, 302), ({"scheme": "https", "permanent": True}, 301),
                       ({"scheme": "https", "permanent": "false"}, 302)):
        result, findings = _tls_run(tmp_path, [ing], [_mw("https", {"redirectScheme": spec})])
        redirects = [f["requestRedirect"] for r in _routes(result) for rule in r["spec"]["rules"]
                     for f in rule.get("filters") or [] if f["type"] == "RequestRedirect"]
        assert redirects and all(r["statusCode"] == code for r in redirects), (spec, redirects)
        (lossy,) = [f for f in findings if f[0] == "annotation.lossy" and f[1] == "Middleware.spec.redirectScheme"]
        assert f"the Gateway answers {code} to every method" in lossy[2]
