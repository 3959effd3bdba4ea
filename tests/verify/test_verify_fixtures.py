"""End to end: ``verify`` on every golden input (converted with the case's arguments).

Unexplained differences are bugs of the translator or of a simulator. Simulator bugs get fixed; translator bugs
are listed in ``TRANSLATOR_BUGS`` (xfail, with the precise reproduction) until the translator is fixed.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from conftest import FIXTURES
from ingress2gw.gwapi import Target
from ingress2gw.pipeline import Options
from ingress2gw.verify.command import verify

#: Every golden case: the provider fixtures, and ``fixtures/emitter-*`` with their own ``--emitter`` (the Gateway
#: simulator applies the implementation objects that change routing: verify/implementations.py).
CASES = sorted(p.parent for p in FIXTURES.glob("*/*/case.yaml"))

#: case id → reason: cases that fail for a translator bug (none at the moment).
TRANSLATOR_BUGS: dict[str, str] = {}


def _acme_redirected(d) -> bool:
    """Regression: ingress-nginx exempts /.well-known/acme-challenge from its HTTPS redirect (ConfigMap
    no-tls-redirect-locations), so cert-manager HTTP-01 challenges reach the backend over plain HTTP."""
    return (d.request.scheme == "http" and d.request.path.startswith("/.well-known/acme-challenge")
            and d.source.kind != "redirect" and d.gateway.kind == "redirect"
            and (d.gateway.location or "").startswith("https://"))


def unexplained(result):
    return list(result.unexplained)


def options_for(case: Path) -> Options:
    spec = YAML(typ="safe", pure=True).load((case / "case.yaml").read_text()) or {}
    args = [str(a) for a in spec.get("args", [])]
    opts = Options(paths=["input.yaml" if (case / "input.yaml").exists() else "input"])
    po = {"annotations_prefix": "nginx.ingress.kubernetes.io", "traefik_entrypoints": [],
          "traefik_strict_prefix_matching": False, "regex_mode": "faithful", "controller_config": None}
    version, channel = "1.6", "standard"
    kw: dict = {}
    it = iter(args)
    for a in it:
        if a == "--provider":
            opts.providers.append(next(it))
        elif a == "--gateway":
            ns, _, name = next(it).partition("/")
            kw["gateway"] = (ns, name)
        elif a == "--gateway-api-version":
            version = next(it)
        elif a == "--channel":
            channel = next(it)
        elif a == "--emitter":
            kw["emitter"] = next(it)
        elif a == "--gateway-mode":
            kw["gateway_mode"] = next(it)
        elif a == "--annotations-prefix":
            po["annotations_prefix"] = next(it)
        elif a == "--controller-config":
            po["controller_config"] = next(it)
        elif a == "--regex-mode":
            po["regex_mode"] = next(it)
        elif a == "--controller-defaults":
            po["controller_defaults"] = next(it)
        elif a == "--traefik-entrypoint":
            po["traefik_entrypoints"].append(next(it))
        elif a == "--allow-snippets":
            po["allow_snippets"] = True
        elif a == "--traefik-strict-prefix-matching":
            po["traefik_strict_prefix_matching"] = True
        elif a == "--traefik-redirect-to-https":
            po["traefik_redirect_to_https"] = True
        elif a == "--traefik-default-certificate":
            po["traefik_default_certificate"] = next(it)
        else:
            raise AssertionError(f"{case}: argument {a} is not understood by this test")
    return dataclasses.replace(opts, target=Target(version, channel), provider_options=po, **kw)


def run_case(case: Path):
    cwd = os.getcwd()
    os.chdir(case)
    try:
        return verify(options_for(case))
    finally:
        os.chdir(cwd)


def _id(p: Path) -> str:
    return f"{p.parent.name}/{p.name}"


@pytest.mark.parametrize("case", [
    pytest.param(c, marks=pytest.mark.xfail(reason=TRANSLATOR_BUGS[_id(c)], strict=True))
    if _id(c) in TRANSLATOR_BUGS else c for c in CASES], ids=_id)
def test_fixture_has_no_unexplained_difference(case: Path):
    result = run_case(case)
    assert result.requests > 0 or not result.differences
    lines = [f"{d.request.label()}: controller {d.source.describe()} | gateway {d.gateway.describe()}"
             for d in unexplained(result)]
    assert not lines, "\n".join(lines[:20])
    # Each explained aspect names findings about its own dimension.
    for d in result.differences:
        for e in d.explanations:
            assert e.findings and all(f.dimensions & e.aspect.accepts for f in e.findings), (d.request.label(), e)


EMITTERS = ("kgateway", "envoy-gateway", "nginx-gateway-fabric", "istio", "traefik")
PROVIDER_CASES = [c for c in CASES if c.parent.name in ("ingress-nginx", "traefik")]


@pytest.mark.parametrize("emitter", EMITTERS)
def test_every_emitter_s_output_verifies_on_the_provider_fixtures(emitter: str):
    """The implementation objects each emitter writes (policies, filters, Middlewares) are simulated, and every
    difference they leave is explained by a finding of its dimension."""
    bad = []
    for case in PROVIDER_CASES:
        if _id(case) in TRANSLATOR_BUGS:
            continue
        cwd = os.getcwd()
        os.chdir(case)
        try:
            result = verify(dataclasses.replace(options_for(case), emitter=emitter))
        finally:
            os.chdir(cwd)
        bad += [f"{_id(case)} {d.request.label()}: controller {d.source.describe()} | gateway "
                f"{d.gateway.describe()}" for d in result.unexplained]
    assert not bad, "\n".join(bad[:20])


def test_acme_challenge_is_exempt_from_the_https_redirect():
    result = run_case(FIXTURES / "ingress-nginx" / "tls-redirect")
    assert not [d for d in result.unexplained if _acme_redirected(d)]
