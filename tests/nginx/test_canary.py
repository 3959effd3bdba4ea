"""Canary merge: decision order header → cookie → weight, one canary per host+path, orphans."""

from __future__ import annotations

import re

from ingress2gw.pipeline import Options, run

from ingress2gw_nginx.canary import cookie_regex, header_regex

PREFIX = "nginx.ingress.kubernetes.io/"


def _ing(name, annotations=None, *, host="shop.example.com", path="/", svc="web", created="2024-01-01T00:00:00Z"):
    ann = "".join(f"    {PREFIX}{k}: \"{v}\"\n" for k, v in (annotations or {}).items())
    return (f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: shop\n"
            f"  creationTimestamp: \"{created}\"\n" + (f"  annotations:\n{ann}" if ann else "")
            + f"spec:\n  ingressClassName: nginx\n  rules:\n  - host: {host}\n    http:\n      paths:\n"
            f"      - path: {path}\n        pathType: Prefix\n        backend:\n"
            f"          service: {{name: {svc}, port: {{number: 80}}}}\n")


def convert(tmp_path, *docs):
    src = tmp_path / "in.yaml"
    src.write_text("---\n".join(docs))
    return run(Options(paths=[str(src)]))


def rules(result):
    return [r for o in result.objects if o["kind"] == "HTTPRoute" for r in o["spec"]["rules"]]


def test_cookie_regex_matches_only_the_named_cookie():
    rx = re.compile(cookie_regex("canary", "always"))
    assert rx.fullmatch("canary=always")
    assert rx.fullmatch("a=1; canary=always; b=2")
    assert not rx.fullmatch("mycanary=always")
    assert not rx.fullmatch("canary=alwaysx")
    assert not rx.fullmatch("canary=never")


def test_header_pattern_becomes_a_search_unless_anchored():
    assert re.fullmatch(header_regex("eu-"), "x-eu-1")
    assert header_regex("^(a|b)$") == "^(a|b)$"


def test_weight_only_canary_splits_the_main_rule(tmp_path):
    out = convert(tmp_path, _ing("web"), _ing("canary", {"canary": "true", "canary-weight": "25"}, svc="v2",
                                               created="2024-02-01T00:00:00Z"))
    (rule,) = rules(out)
    assert [(b["name"], b["weight"]) for b in rule["backendRefs"]] == [("web", 75), ("v2", 25)]


def test_weight_at_total_sends_everything_to_the_canary(tmp_path):
    out = convert(tmp_path, _ing("web"), _ing("canary", {"canary": "true", "canary-weight": "100"}, svc="v2"))
    (rule,) = rules(out)
    assert [b["name"] for b in rule["backendRefs"]] == ["v2"]


def test_header_value_mode_has_no_never_rule(tmp_path):
    out = convert(tmp_path, _ing("web"), _ing("canary", {"canary": "true", "canary-by-header": "X-C",
                                                         "canary-by-header-value": "yes"}, svc="v2"))
    headers = [m.get("headers") for r in rules(out) for m in r["matches"]]
    assert [{"type": "Exact", "name": "X-C", "value": "yes"}] in headers
    assert not any(h and h[0]["value"] == "never" for h in headers)


def test_header_outranks_cookie_with_two_matches(tmp_path):
    out = convert(tmp_path, _ing("web"), _ing("canary", {"canary": "true", "canary-by-header": "X-C",
                                                         "canary-by-cookie": "c"}, svc="v2"))
    two = [(m, r["backendRefs"][0]["name"]) for r in rules(out) for m in r["matches"] if len(m.get("headers", [])) == 2]
    assert sorted((m["headers"][0]["value"], name) for m, name in two) == [("always", "v2"), ("never", "web")]


def test_canary_without_main_emits_nothing_and_is_reported(tmp_path):
    out = convert(tmp_path, _ing("canary", {"canary": "true", "canary-weight": "10"}, svc="v2"))
    assert not rules(out)
    codes = {(f.annotation, f.code.value) for f in out.report.findings}
    assert (PREFIX + "canary", "annotation.ignored") in codes
    assert not any(c == "annotation.translated" for a, c in codes if a.startswith(PREFIX + "canary"))


def test_second_canary_on_the_same_path_is_a_conflict(tmp_path):
    out = convert(tmp_path, _ing("web"),
                  _ing("a", {"canary": "true", "canary-weight": "10"}, svc="va", created="2024-02-01T00:00:00Z"),
                  _ing("b", {"canary": "true", "canary-weight": "90"}, svc="vb", created="2024-03-01T00:00:00Z"))
    (rule,) = rules(out)
    assert [b["name"] for b in rule["backendRefs"]] == ["web", "va"]
    assert any(f.code.value == "route.conflict" and f.obj.name == "b" for f in out.report.findings)
