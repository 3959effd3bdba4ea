"""Policy families of the ingress-nginx provider: auth, access lists, rate limits, body size, observability.

Value-parsing edge cases live in ``policy_values.yaml``; each row names the finding codes it expects.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from .conftest import codes_for, ingress, policies

ROWS = YAML(typ="safe", pure=True).load((Path(__file__).parent / "policy_values.yaml").read_text())


@pytest.mark.parametrize("row", ROWS, ids=[r["name"] for r in ROWS])
def test_policy_values(row, nginx):
    report, drafts, _ = nginx(ingress(row["annotations"]))
    for key, want in (row.get("codes") or {}).items():
        assert codes_for(report, "/" + key) == want, f"{key}: {[f.message for f in report.findings]}"
    if "family" in row:
        found = policies(drafts, row["family"])
        assert len(found) == 2, "one intent per rule of the Ingress"
        for k, v in (row.get("params") or {}).items():
            got = getattr(found[0], k)
            assert (list(got) if isinstance(got, tuple) else got) == v, f"{k}: {found[0]!r}"


def test_every_intent_names_its_annotation(nginx):
    report, drafts, _ = nginx(ingress({"limit-rps": "3", "proxy-body-size": "2m", "denylist-source-range": "1.2.3.4"}))
    for rule in drafts[0].rules:
        assert {i.origin.annotation for i in rule.intents} == {
            "nginx.ingress.kubernetes.io/limit-rps", "nginx.ingress.kubernetes.io/proxy-body-size",
            "nginx.ingress.kubernetes.io/denylist-source-range"}


def test_client_ip_follows_the_configmap(nginx):
    cm = """\
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
    data: {use-forwarded-headers: "true", limit-req-status-code: "429"}
    ---
    """
    report, drafts, _ = nginx(textwrap.dedent(cm) + ingress({"limit-rps": "1", "allowlist-source-range": "10.0.0.0/8"}))
    rl = policies(drafts, "rate-limit")[0]
    assert rl.client_ip == "x-forwarded-for" and rl.status == 429
    assert "X-Forwarded-For" in policies(drafts, "ip-allow")[0].caveat


def test_external_auth_intent_only_for_same_namespace_http_service(nginx):
    from ingress2gw.plugin import ExternalAuth

    _, drafts, _ = nginx(ingress({"auth-url": "http://auth.shop:8080/check", "auth-response-headers": "X-User, X-Email",
                                  "auth-signin": "https://login.example.com/start"}))
    ea = [i for r in drafts[0].rules for i in r.intents if isinstance(i, ExternalAuth)]
    assert len(ea) == 2
    assert (ea[0].backend.namespace, ea[0].backend.name, ea[0].backend.port, ea[0].path) == ("shop", "auth", 8080, "/check")
    assert ea[0].allowed_response_headers == ("X-User", "X-Email") and ea[0].allowed_headers == ("Cookie",)
    assert "bare 401" in ea[0].caveat and "appends the client path" in ea[0].caveat
    assert policies(drafts, "ext-auth")[0].signin == "https://login.example.com/start"
    _, drafts, _ = nginx(ingress({"auth-url": "http://auth.shop:8080/check"}))
    assert not policies(drafts, "ext-auth"), "ExternalAuth alone carries a plain same-namespace auth-url"
    for url in ("http://auth.other-ns:8080/check", "https://auth.shop:8443/check", "http://auth:80/",
                "http://auth.shop.svc.cluster.local/$host"):
        _, drafts, _ = nginx(ingress({"auth-url": url}))
        assert not [i for r in drafts[0].rules for i in r.intents if isinstance(i, ExternalAuth)], url
        assert policies(drafts, "ext-auth"), url


def test_basic_auth_never_reads_secret_data(nginx):
    secret = """\
    apiVersion: v1
    kind: Secret
    metadata: {name: users, namespace: shop}
    data: {auth: Zm9vOmJhcgo=}
    ---
    """
    report, drafts, _ = nginx(textwrap.dedent(secret) + ingress({"auth-type": "basic", "auth-secret": "users"}))
    assert policies(drafts, "basic-auth")[0].secret == "shop/users"
    text = repr(drafts) + repr(report.findings)
    assert "Zm9vOmJhcgo" not in text


def test_cross_namespace_basic_auth_secret_refused_by_default(nginx):
    _, drafts, _ = nginx(ingress({"auth-type": "basic", "auth-secret": "other/users"}))
    assert "allow-cross-namespace-resources" in policies(drafts, "basic-auth")[0].caveat


def test_custom_prefix_reads_companions(nginx):
    report, drafts, _ = nginx(ingress({"limit-rps": "4", "limit-burst-multiplier": "2"}, prefix="corp.io/"),
                              annotations_prefix="corp.io")
    assert policies(drafts, "rate-limit")[0].burst == 8
    # read with the custom prefix: deferred to the emitter's answer for the rate limit's burst
    assert codes_for(report, "limit-burst-multiplier") == []
    assert any(v.key == "corp.io/limit-burst-multiplier" for _, v, *_ in drafts[0].pending)
