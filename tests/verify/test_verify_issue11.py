"""Regressions of issue 11, replayed through both simulators: output that was called translated while requests
behaved differently (or could not be served at all).

- ingress-nginx ``force-ssl-redirect`` on a host without certificate: the host's root location redirects too,
  and the annotation is lossy (the HTTPS listener the redirect leads to needs the controller's default
  certificate).
- Traefik routers on the ``websecure`` entry point without ``spec.tls``: served with the default certificate
  when the input names it (TLSStore ``default``), otherwise reported, never dropped silently.
- ingress-nginx ``rewrite-target`` naming a capture the path regex does not have: nginx expands it to nothing.
"""

from __future__ import annotations

from conftest import FIXTURES
from ingress2gw.pipeline import Options
from ingress2gw.verify.command import verify


def _verify(case: str):
    return verify(Options(paths=[str(FIXTURES / case / "input.yaml")]))


def _diffs(result) -> dict[str, tuple[str, str, list[str]]]:
    return {d.request.label(): (d.source.describe(), d.gateway.describe(), [f.code.value for f in d.explained_by])
            for d in result.differences}


def _unexplained(result) -> list[str]:
    return [f"{d.request.label()}: controller {d.source.describe()} | gateway {d.gateway.describe()}"
            for d in result.unexplained]


def test_force_ssl_redirect_without_certificate():
    result = _verify("ingress-nginx/11-force-ssl-redirect-without-tls")
    assert not _unexplained(result), _unexplained(result)
    diffs = _diffs(result)
    # The root location the controller makes for the host carries force-ssl-redirect: unmatched paths redirect
    # on both sides (they were 404 on the Gateway).
    for probe in ("http://app.example.com/ingress2gw-unmatched", "http://app.example.com/"):
        assert probe not in diffs, diffs.get(probe)
    assert result.requests > 0


def test_websecure_without_certificate_loses_nothing_unreported():
    result = _verify("traefik/11-websecure-without-tls")
    assert not _unexplained(result), _unexplained(result)
    # The router with a certificate is served the same over HTTPS.
    assert "https://secure.example.com/" not in _diffs(result)


def test_websecure_with_the_default_certificate_is_served():
    result = _verify("traefik/11-websecure-default-certificate")
    assert not _unexplained(result), _unexplained(result)
    diffs = _diffs(result)
    assert not [k for k in diffs if k.startswith("https://shop.example.com/")], diffs


def test_rewrite_target_missing_capture_is_exact():
    result = _verify("ingress-nginx/11-rewrite-missing-capture")
    assert result.requests > 0
    assert not result.differences, _diffs(result)
