"""Snippet annotations: security findings that say what the snippet does and whether the controller ran it."""

from __future__ import annotations

import textwrap

import pytest

from ingress2gw_nginx.annotations.snippets import describe

from .conftest import codes_for, ingress

CASES = [
    ('more_set_headers "X-Frame-Options: DENY";', ["sets response header X-Frame-Options"]),
    ("more_set_input_headers 'X-A: b';", ["sets request header X-A"]),
    ('proxy_set_header X-Tenant "acme";', ["sets request header X-Tenant sent upstream"]),
    ("add_header Cache-Control no-store always;", ["adds response header Cache-Control"]),
    ("return 301 https://example.com$request_uri;", ["answers 301 to https://example.com$request_uri"]),
    ("return 403;", ["answers 403 itself"]),
    ("rewrite ^/a/(.*)$ /b/$1 break;", ["rewrites the URI"]),
    ("deny 10.0.0.0/8;\nallow all;", ["denys clients 10.0.0.0/8", "allows clients all"]),
    ("access_by_lua_block { ngx.exit(401) }", ["runs Lua code (access_by_lua_block"]),
    ("# only a comment; with a semicolon\n", []),
    ("expires 1h; gzip on;", ["other directives: expires, gzip"]),
    ('if ($http_x = "a;b") { return 418; }', ["has conditional logic", "answers 418 itself"]),
]


@pytest.mark.parametrize("text,want", CASES)
def test_describe(text, want):
    got = describe(text)
    assert len(got) == len(want), got
    for g, w in zip(got, want):
        assert g.startswith(w), (g, w)


def test_snippet_is_security_and_only_carried_as_data(nginx):
    report, drafts, _ = nginx(ingress({"configuration-snippet": 'more_set_headers "X: y";'}))
    assert codes_for(report, "configuration-snippet") == ["annotation.security"]
    msg = next(f.message for f in report.findings if f.annotation.endswith("configuration-snippet"))
    assert "sets response header X" in msg and "allow-snippet-annotations: false" in msg
    # Only a data-only "snippet" intent, which only an NGINX-based target renders, with --allow-snippets.
    intents = [i for d in drafts for r in d.rules for i in r.intents]
    assert intents and all(getattr(i, "family", None) == "snippet" for i in intents)
    assert intents[0].text == 'more_set_headers "X: y";'
    assert intents[0].refused  # the controller refused it by default


@pytest.mark.parametrize("data,ran", [
    ({"allow-snippet-annotations": "true"}, "annotations-risk-level: High"),
    ({"allow-snippet-annotations": "true", "annotations-risk-level": "Critical"}, "allowed it, so it ran"),
    ({"annotations-risk-level": "Critical"}, "allow-snippet-annotations: false"),
])
def test_refusal_follows_the_configmap(nginx, data, ran):
    cm = textwrap.dedent(f"""\
    apiVersion: v1
    kind: ConfigMap
    metadata: {{name: ingress-nginx-controller, namespace: ingress-nginx}}
    data: {data!r}
    ---
    """).replace("'", '"')
    report, _, _ = nginx(cm + ingress({"server-snippet": "location /x { return 200; }"}))
    msg = next(f.message for f in report.findings if f.annotation.endswith("server-snippet"))
    assert ran in msg and "every Ingress on the host" in msg


def test_auth_snippet_without_auth_url(nginx):
    report, _, _ = nginx(ingress({"auth-snippet": "proxy_set_header X 1;"}))
    msg = next(f.message for f in report.findings if f.annotation.endswith("auth-snippet"))
    assert "ignores it without auth-url" in msg
