"""Certificates and server names of the ingress-nginx provider (``ingress2gw_nginx.tls``, ``normalize_host``).

Controller facts (createServers, buildServerName; ../shared/reference/ingress-nginx-routing-facts.md §1, §5): a
wildcard host is a server-name regex of exactly one label; the first Ingress with a ``tls`` section *and a rule*
for a host gives it its certificate (the entry listing it, else a Secret valid for it, else the default
certificate, which still turns the HTTPS redirect on); a ``tls`` host without a rule gets nothing from it.
Each case is also replayed through ``verify`` (the ingress-nginx simulator, checked against real NGINX).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from ruamel.yaml import YAML

from ingress2gw.pipeline import Options, run
from ingress2gw.verify.command import verify

N = "nginx.ingress.kubernetes.io/"


def ing(name, rules, *, tls=None, annotations=None, default=None, created="2024-01-01T00:00:00Z", ns="n1"):
    """``rules``: [(host or None, [(path, pathType, service), ...])]; ``tls``: [(hosts, secretName or None)]."""
    spec: dict = {"ingressClassName": "nginx", "rules": [
        {**({"host": host} if host else {}),
         "http": {"paths": [{"path": p, "pathType": t, "backend": {"service": {"name": s, "port": {"number": 80}}}}
                            for p, t, s in paths]}} for host, paths in rules]}
    if default:
        spec["defaultBackend"] = {"service": {"name": default, "port": {"number": 80}}}
    if tls is not None:
        spec["tls"] = [{"hosts": hosts, **({"secretName": secret} if secret else {})} for hosts, secret in tls]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": created,
                         "annotations": {N + k: v for k, v in (annotations or {}).items()}},
            "spec": spec}


def _write(tmp_path: Path, objs) -> str:
    path = tmp_path / "input.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}))
    return str(path)


def convert(tmp_path: Path, objs):
    return run(Options(paths=[_write(tmp_path, objs)]))


def assert_verified(tmp_path: Path, objs, *, identical: bool = False):
    """No unexplained difference (``identical``: no difference at all) between the simulated controller and the
    simulated Gateway API output."""
    result = verify(Options(paths=[_write(tmp_path, objs)]))
    assert result.requests > 0
    bad = {d.request.label(): (d.source.describe(), d.gateway.describe())
           for d in (result.differences if identical else result.unexplained)}
    assert not bad, "\n".join(f"{k}: controller {a} | gateway {b}" for k, (a, b) in sorted(bad.items())[:10])
    return result


def listeners(result) -> dict[str, tuple]:
    """listener name -> (hostname, protocol, certificate names)."""
    return {li["name"]: (li.get("hostname"), li["protocol"],
                         tuple(c["name"] for c in li.get("tls", {}).get("certificateRefs", [])))
            for o in result.objects if o["kind"] == "Gateway" for li in o["spec"]["listeners"]}


def http_rules(result, host: str) -> list[dict]:
    """The rules of the routes for ``host`` attached to its plain-HTTP listener."""
    names = {n for n, (h, proto, _) in listeners(result).items() if h == host and proto == "HTTP"}
    return [r for o in result.objects if o["kind"] == "HTTPRoute"
            and any(p.get("sectionName") in names for p in o["spec"]["parentRefs"]) for r in o["spec"]["rules"]]


def https_hosts(result) -> set[str]:
    return {h for h, proto, _ in listeners(result).values() if proto == "HTTPS"}


def redirects(rule: dict) -> list[dict]:
    return [f["requestRedirect"] for f in rule.get("filters", []) if f["type"] == "RequestRedirect"]


def findings(result, code: str) -> list:
    return [f for f in result.report.findings if f.code.value == code]


# -- 1. wildcard hosts match one label --------------------------------------------------------------------------


def test_wildcard_host_reports_its_depth_once_per_rule(nginx):
    obj = ing("wild", [("*.w.test", [("/", "Prefix", "s1")]), ("a.w.test", [("/", "Prefix", "s2")]),
                       ("*.w.test", [("/api", "Prefix", "s3")])], tls=[(["*.w.test"], "wild")])
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(obj, out)
    text = out.getvalue()
    report, drafts, _ = nginx(text)
    found = [f for f in report.findings if f.code.value == "host.wildcard-depth"]
    assert len(found) == 2, "one per rule with a wildcard host, none for a.w.test"
    lines = [n for n, line in enumerate(text.splitlines(), 1) if "host: '*.w.test'" in line]
    assert [f.location.line for f in found] == lines, "at the host of each rule"
    assert all("*.w.test" in f.message and "one label" in f.message for f in found)
    assert all(f.obj.name == "wild" for f in found)


def test_wildcard_host_regression_is_explained(tmp_path):
    """ground truth "wildcard-host-is-one-label": x.y.w.test is the controller's catch-all (404, not served on
    HTTPS); the Gateway's *.w.test serves it, which host.wildcard-depth explains."""
    result = assert_verified(tmp_path, [ing("wild", [("*.w.test", [("/", "Prefix", "s1")])],
                                            tls=[(["*.w.test"], "wild-tls")])])
    deeper = [d for d in result.differences if d.request.host == "x.y.w.test"]
    assert deeper and all({f.code.value for f in d.explained_by} == {"host.wildcard-depth"} for d in deeper)


# -- 2. hosts of an Ingress with a tls section that does not list them: the default certificate -------------------


TLS_WITHOUT_HOST = [ing("web", [("a.test", [("/", "Prefix", "s1")]), ("b.test", [("/", "Prefix", "s2")])],
                        tls=[(["a.test"], "web-tls")])]


def test_host_missing_from_the_tls_section_is_redirected_without_https(tmp_path):
    result = convert(tmp_path, TLS_WITHOUT_HOST)
    assert https_hosts(result) == {"a.test"}, "no Secret is known for b.test: no HTTPS listener"
    (rule,) = http_rules(result, "b.test")
    assert redirects(rule) == [{"scheme": "https", "statusCode": 308}] and "backendRefs" not in rule
    (found,) = findings(result, "tls.default-certificate")
    assert found.obj.name == "web" and "b.test" in found.message and "no HTTPS listener" in found.message
    assert any("b.test" in f.message for f in findings(result, "tls.redirect"))


def test_host_missing_from_the_tls_section_regression(tmp_path):
    """ground truth "tls-section-without-the-host": http://b.test/p → 308 https://b.test/p; HTTPS not served."""
    assert_verified(tmp_path, TLS_WITHOUT_HOST, identical=True)


def test_default_certificate_host_root_location_redirects(tmp_path):
    """Without a / path the host's root location (the controller's, with the Ingress's ssl-redirect) answers the
    other paths: it redirects too."""
    objs = [ing("web", [("a.test", [("/a", "Prefix", "s1")]), ("b.test", [("/b", "Exact", "s2")])],
                tls=[(["a.test"], "web-tls")])]
    result = convert(tmp_path, objs)
    rules = http_rules(result, "b.test")
    assert {m["path"]["value"] for r in rules for m in r["matches"]} == {"/b", "/"}
    assert all(redirects(r) == [{"scheme": "https", "statusCode": 308}] for r in rules)
    assert_verified(tmp_path, objs)


def test_default_certificate_host_keeps_ssl_redirect_false(tmp_path):
    objs = [ing("web", [("a.test", [("/", "Prefix", "s1")]), ("b.test", [("/", "Prefix", "s2")])],
                tls=[(["a.test"], "web-tls")], annotations={"ssl-redirect": "false"})]
    result = convert(tmp_path, objs)
    (rule,) = http_rules(result, "b.test")
    assert not redirects(rule) and rule["backendRefs"][0]["name"] == "s2"
    assert_verified(tmp_path, objs)


def test_default_certificate_host_with_default_backend_redirects(tmp_path):
    objs = [ing("web", [("a.test", [("/a", "Prefix", "s1")]), ("b.test", [("/b", "Prefix", "s2")])],
                tls=[(["a.test"], "web-tls")], default="fallback")]
    result = convert(tmp_path, objs)
    assert all(redirects(r) for r in http_rules(result, "b.test"))
    assert_verified(tmp_path, objs)


def test_tls_entry_without_secret_gives_the_default_certificate(tmp_path):
    """An entry listing the host without secretName: the default certificate, which still redirects."""
    objs = [ing("web", [("a.test", [("/", "Prefix", "s1")])], tls=[(["a.test"], None)])]
    result = convert(tmp_path, objs)
    assert https_hosts(result) == set()
    (rule,) = http_rules(result, "a.test")
    assert redirects(rule) == [{"scheme": "https", "statusCode": 308}]
    (found,) = findings(result, "tls.no-secret")
    assert "a.test" in found.message
    assert not findings(result, "tls.default-certificate")
    assert_verified(tmp_path, objs)


def test_older_ingress_default_certificate_wins_over_a_younger_secret(tmp_path):
    objs = [ing("old", [("a.test", [("/x", "Prefix", "s1")]), ("b.test", [("/", "Prefix", "s1")])],
                tls=[(["b.test"], "b")]),
            ing("new", [("a.test", [("/y", "Prefix", "s2")])], tls=[(["a.test"], "a")],
                created="2024-01-02T00:00:00Z")]
    result = convert(tmp_path, objs)
    assert https_hosts(result) == {"b.test"}, "a.test has the default certificate of the older Ingress"
    assert all(redirects(r) for r in http_rules(result, "a.test"))
    (found,) = findings(result, "tls.default-certificate")
    assert found.obj.name == "old"
    assert_verified(tmp_path, objs)


def test_secret_valid_for_the_host_through_a_wildcard(tmp_path):
    """Not listed, but a Secret of the tls section is listed for *.a.test elsewhere: it covers x.a.test."""
    objs = [ing("w", [("*.a.test", [("/", "Prefix", "s1")])], tls=[(["*.a.test"], "w")]),
            ing("x", [("x.a.test", [("/", "Prefix", "s2")])], tls=[(["other.test"], "w")],
                created="2024-01-02T00:00:00Z")]
    result = convert(tmp_path, objs)
    assert listeners(result)["https-x-a-test"] == ("x.a.test", "HTTPS", ("w",))
    assert not findings(result, "tls.default-certificate")
    assert_verified(tmp_path, objs)


def test_alias_of_a_default_certificate_host_is_not_redirected(tmp_path):
    """The default certificate never covers an alias, so its requests are not redirected."""
    objs = [ing("web", [("a.test", [("/", "Prefix", "s1")]), ("b.test", [("/", "Prefix", "s2")])],
                tls=[(["b.test"], "b")], annotations={"server-alias": "c.test"})]
    result = convert(tmp_path, objs)
    assert all(redirects(r) for r in http_rules(result, "a.test"))
    assert not any(redirects(r) for r in http_rules(result, "c.test"))
    assert_verified(tmp_path, objs)


# -- 3. a tls host without a rule in its Ingress gets no certificate from it ----------------------------------------


TLS_HOST_WITHOUT_RULE = [ing("a", [("a.test", [("/", "Prefix", "s1")])]),
                         ing("b", [("b.test", [("/", "Prefix", "s2")])], tls=[(["a.test"], "b-tls")],
                             created="2024-01-02T00:00:00Z")]


def test_tls_host_without_rule_gets_no_certificate(nginx, tmp_path):
    report, drafts, _ = nginx("\n---\n".join(json.dumps(o) for o in TLS_HOST_WITHOUT_RULE))
    assert all(not d.tls for d in drafts)
    assert [f.code.value for f in report.findings if f.code.value.startswith("tls.")] == ["tls.host-without-rule"]
    result = convert(tmp_path, TLS_HOST_WITHOUT_RULE)
    assert https_hosts(result) == set()
    (rule,) = http_rules(result, "a.test")
    assert not redirects(rule) and rule["backendRefs"][0]["name"] == "s1"
    (rule,) = http_rules(result, "b.test")
    assert redirects(rule), "b.test: a host of an Ingress whose tls section does not list it (default certificate)"


def test_tls_host_without_rule_regression(tmp_path):
    """ground truth "tls-host-without-rule": a.test is proxied on HTTP and not served on HTTPS; b.test redirects."""
    assert_verified(tmp_path, TLS_HOST_WITHOUT_RULE, identical=True)


def test_tls_host_with_rule_in_a_younger_ingress_than_one_without_tls(tmp_path):
    """The older Ingress has no tls section: the younger one, with a rule and the entry, gives the certificate."""
    objs = [ing("old", [("a.test", [("/x", "Prefix", "s1")])]),
            ing("new", [("a.test", [("/y", "Prefix", "s2")])], tls=[(["a.test"], "a")],
                created="2024-01-02T00:00:00Z")]
    result = convert(tmp_path, objs)
    assert listeners(result)["https-a-test"] == ("a.test", "HTTPS", ("a",))
    assert all(redirects(r) for r in http_rules(result, "a.test"))
    assert_verified(tmp_path, objs)


# -- a host without a certificate of its own uses its wildcard's (certificate.lua: host, else *.<parent>) ----------


def test_host_without_certificate_uses_the_wildcard_certificate(tmp_path):
    objs = [ing("wild", [("*.w.test", [("/", "Prefix", "s1")])], tls=[(["*.w.test"], "wild")]),
            ing("x", [("x.w.test", [("/", "Exact", "s2")])], created="2024-01-02T00:00:00Z")]
    result = convert(tmp_path, objs)
    assert listeners(result)["https-x-w-test"] == ("x.w.test", "HTTPS", ("wild",))
    assert all(redirects(r) for r in http_rules(result, "x.w.test"))
    assert_verified(tmp_path, objs)


def test_host_without_certificate_under_a_default_certificate_wildcard(tmp_path):
    objs = [ing("wild", [("*.w.test", [("/", "Prefix", "s1")]), ("a.test", [("/", "Prefix", "s1")])],
                tls=[(["a.test"], "a")]),
            ing("x", [("x.w.test", [("/", "Exact", "s2")])], created="2024-01-02T00:00:00Z")]
    result = convert(tmp_path, objs)
    assert https_hosts(result) == {"a.test"}
    assert all(redirects(r) for r in http_rules(result, "x.w.test"))
    assert {f.obj.name for f in findings(result, "tls.default-certificate")} == {"wild", "x"}
    assert_verified(tmp_path, objs)
