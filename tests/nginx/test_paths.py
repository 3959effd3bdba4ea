"""Regex mode, rewrite-target and x-forwarded-prefix (issue 4). Value edge cases: ``paths_values.yaml``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from ingress2gw.model.ir import HeaderModifier, RequestRedirect, URLRewrite
from ingress2gw.model.policies import RegexRewritePolicy
from ingress2gw_nginx import regex

from .conftest import codes_for

ROWS = YAML(typ="safe", pure=True).load((Path(__file__).parent / "paths_values.yaml").read_text())
PFX = "nginx.ingress.kubernetes.io/"


def one_path(annotations: dict, path: str, *, name: str = "web", host: str = "web.example.com",
             path_type: str = "ImplementationSpecific", ts: str = "2024-01-01T00:00:00Z") -> str:
    anns = "\n".join(f"    {PFX}{k}: {json.dumps(v)}" for k, v in annotations.items()) or "    x: y"
    return f"""\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: shop
  creationTimestamp: "{ts}"
  annotations:
{anns}
spec:
  ingressClassName: nginx
  rules:
  - host: {host}
    http:
      paths:
      - path: {json.dumps(path)}
        pathType: {path_type}
        backend: {{service: {{name: {name}, port: {{number: 80}}}}}}
"""


def _rewrite(rule):
    for i in rule.intents:
        if isinstance(i, URLRewrite):
            return ("full", i.replace_full_path) if i.replace_full_path else ("prefix", i.replace_prefix_match)
        if isinstance(i, RegexRewritePolicy):
            return "policy", {"pattern": i.pattern, "substitution": i.substitution}
        if isinstance(i, RequestRedirect):
            return "redirect", i.replace_full_path
    return None


@pytest.mark.parametrize("row", ROWS, ids=[r["name"] for r in ROWS])
def test_path_values(row, nginx):
    report, drafts, ctx = nginx(one_path(row["annotations"], row["path"]))
    for key, want in (row.get("codes") or {}).items():
        assert codes_for(report, "/" + key) == want, f"{key}: {[f.message for f in report.findings]}"
    (rule,) = [r for r in drafts[0].rules if not r.origin.annotation]
    got, want = _rewrite(rule), row.get("rewrite")
    if want is None:
        assert got is None
    elif want["kind"] == "policy":
        assert got[0] == "policy"
        assert (got[1]["pattern"], got[1]["substitution"]) == (want["pattern"], want["substitution"])
        assert regex.re2_problem(got[1]["pattern"]) is None
    else:
        assert got == (want["kind"], want["value"])
    if "header" in row:
        (hm,) = [i for i in rule.intents if isinstance(i, HeaderModifier)]
        assert hm.set == (("X-Forwarded-Prefix", row["header"]),)
    if "regex" in row:
        assert bool(drafts[0].provider_state.get(regex.TRIGGER, {}).get("hosts")) == row["regex"]


def _post(nginx, text: str, **options):
    report, drafts, ctx = nginx(text, **options)
    regex.apply_regex_mode(drafts, ctx, report)
    return report, drafts


def _matches(drafts, host="web.example.com"):
    return {(r.origin.name, r.match.path.type, r.match.path.value) for d in drafts for r in d.rules
            if r.host == host}


def test_contagion_reaches_every_ingress_of_the_host_only(nginx):
    text = "---\n".join([
        one_path({"use-regex": "true"}, "/api/[a-z]+", name="api"),
        one_path({}, "/foo", name="exact", path_type="Exact", ts="2024-02-01T00:00:00Z"),
        one_path({}, "/foo", name="elsewhere", host="other.example.com", path_type="Exact"),
    ])
    report, drafts = _post(nginx, text)
    assert _matches(drafts) == {("api", "RegularExpression", "(?i)^/api/[a-z]+.*"),
                                ("exact", "RegularExpression", "(?i)^/foo.*")}
    assert _matches(drafts, "other.example.com") == {("elsewhere", "Exact", "/foo")}


def test_strict_mode_keeps_plain_paths(nginx):
    text = "---\n".join([one_path({"use-regex": "true"}, "/api/[a-z]+", name="api"),
                         one_path({}, "/foo", name="exact", path_type="Exact")])
    report, drafts = _post(nginx, text, regex_mode="strict")
    assert ("exact", "Exact", "/foo") in _matches(drafts)
    assert any(f.code.value == "path.regex-strict" and "strict kept Exact /foo" in f.message for f in report.findings)


def test_prefix_idiom_becomes_path_prefix(nginx):
    report, drafts = _post(nginx, one_path({"rewrite-target": "/$2"}, "/api(/|$)(.*)"))
    assert _matches(drafts) == {("web", "PathPrefix", "/api")}
    assert not [f for f in report.findings if f.code.value == "path.invalid"], "recovered, not reported"


def test_pcre_only_path_is_left_out(nginx):
    report, drafts = _post(nginx, one_path({"use-regex": "true"}, "/(?!admin).*"))
    assert _matches(drafts) == set()
    assert [f.code.value for f in report.findings if f.code.value == "path.invalid"] == ["path.invalid"]


def test_overlap_reported_only_for_different_outcomes(nginx):
    text = one_path({"use-regex": "true"}, "/api/.*").replace(
        "      - path:", "      - path: \"/api/v2/.*\"\n        pathType: ImplementationSpecific\n"
        "        backend: {service: {name: v2, port: {number: 80}}}\n      - path:", 1)
    report, _ = _post(nginx, text)
    assert any("overlap" in f.message and "/api/v2/.* before /api/.*" in f.message for f in report.findings)


@pytest.mark.parametrize("raw, want", [
    ("/foo", "(?i)^/foo.*"),
    ("/foo/.*", "(?i)^/foo/.*"),
    ("/foo\\.*", "(?i)^/foo\\.*.*"),
    ("/a|/b", "(?i)^(?:/a|.*/b).*"),
    ("/(a|b)/c", "(?i)^/(a|b)/c.*"),
])
def test_faithful_regex(raw, want):
    assert regex.faithful(raw) == want
    assert regex.re2_problem(want) is None


@pytest.mark.parametrize("pattern, problem", [
    ("/(?=x)", "look-ahead"), ("/(?<!x)y", "look-behind"), ("/(a)\\1", "back-reference"),
    ("/a++", "possessive"), ("/(?>a)", "atomic"), ("/[a-", "RE2"),
])
def test_re2_problems(pattern, problem):
    assert problem in (regex.re2_problem(pattern) or "")


def test_trailing_slash_redirect_skipped_when_exact_exists(nginx):
    text = "---\n".join([one_path({}, "/docs/", name="docs"),
                         one_path({}, "/docs", name="exact", path_type="Exact"),
                         one_path({}, "/app/", name="app")])
    report, drafts = _post(nginx, text)
    added = [(r.match.path.value, r.intents[0].replace_full_path) for d in drafts for r in d.rules
             if isinstance((r.intents or [None])[0], RequestRedirect)]
    assert added == [("/app", "/app/")]


def _character_prefix(nginx, text: str, **options) -> list[str]:
    report, drafts = _post(nginx, text, **options)
    regex.settle_paths(drafts, report)
    return [f.message for f in report.findings if f.code.value == "path.character-prefix"]


def test_no_character_prefix_outside_regex_mode(nginx):
    # internal/k8s SetDefaultNGINXPathType: ImplementationSpecific is Prefix (location /baz/ + = /baz), which
    # matched /baz and /baz/... but never /bazx: PathPrefix /baz is exact, no finding.
    assert _character_prefix(nginx, one_path({}, "/baz")) == []
    text = "---\n".join([one_path({}, "/baz", name="web"),
                         one_path({"use-regex": "true"}, "/api/[a-z]+", name="api", host="other.example.com")])
    assert _character_prefix(nginx, text, regex_mode="strict") == []


def test_character_prefix_in_regex_mode_describes_the_regex_location(nginx):
    # Issue 11: on a regex host (--regex-mode strict keeps the plain path) the finding described a prefix
    # location, while NGINX used the regex location ~* "^/baz".
    text = "---\n".join([one_path({"use-regex": "true"}, "/api/[a-z]+", name="api"),
                         one_path({}, "/baz", name="web", ts="2024-02-01T00:00:00Z")])
    (message,) = _character_prefix(nginx, text, regex_mode="strict")
    assert 'was the NGINX regex location ~* "^/baz" (its host is in regex mode)' in message
    assert "'/bazx' and '/BAZ'" in message and "prefix location" not in message


def test_rewrite_prefix_idiom_is_no_character_prefix(nginx):
    # ~* "^/api(/|$)(.*)" matches /api and /api/..., never /apix: PathPrefix /api is no wider.
    assert _character_prefix(nginx, one_path({"rewrite-target": "/$2"}, "/api(/|$)(.*)")) == []
