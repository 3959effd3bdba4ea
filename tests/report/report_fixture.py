"""A hand-built Report over tests/report/data/manifests.yaml, so the format goldens depend only on the
report package, not on what the providers currently say. Every status, severity and awkward character
(pipes, newlines, HTML, commas and colons for GitHub properties) appears at least once.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingress2gw.report import Code, ObjectRef, Report, Status
from ingress2gw.source.loader import load_bytes
from ingress2gw.source.location import Location

HERE = Path(__file__).resolve().parent
DATA = "data/manifests.yaml"  # relative: tests run the renderers with cwd = tests/report
NGINX = "nginx.ingress.kubernetes.io/"
SHOP = ObjectRef("Ingress", "shop", "storefront")
PAY = ObjectRef("Ingress", "payments", "webhooks <b>&")
OTHER = ObjectRef("Ingress", "legacy", "old")


def build_report() -> Report:
    r = Report()
    r.ingresses[SHOP] = "converted"
    r.ingresses[PAY] = "converted"
    r.ingresses[OTHER] = "skipped"
    r.assumptions["ingress-nginx"] = ["ssl-redirect=true"]
    # As the pipeline does: the report quotes the input as the loader read it (other.yaml was never read).
    r.sources = load_bytes((HERE / DATA).read_bytes(), DATA).sources
    at = lambda line, col=5: Location(DATA, line, col)  # noqa: E731
    r.add(Code.PROVIDER_DEFAULTS, location=at(11, 1), provider="ingress-nginx",
          detail="ingress-nginx global configuration assumed: ssl-redirect=true")
    r.add(Code.ANNOTATION_UNSUPPORTED, location=at(17), obj=SHOP, provider="ingress-nginx",
          annotation=NGINX + "proxy-body-size", value="20m",
          detail="proxy-body-size: needs an implementation policy (no Gateway API field).",
          remedy="Set the body size limit | on the gateway, by hand.")
    r.add(Code.ANNOTATION_SECURITY, location=at(18), obj=SHOP, provider="ingress-nginx",
          annotation=NGINX + "configuration-snippet", value='more_set_headers "X-Frame-Options: DENY";\n',
          detail="configuration-snippet injects raw NGINX configuration:\nreview what it did.")
    r.add(Code.ANNOTATION_POLICY, location=at(20), obj=SHOP, provider="ingress-nginx",
          annotation=NGINX + "enable-cors", value="true", detail="CORS needs an implementation policy, 100% sure.")
    r.add(Code.ANNOTATION_UNKNOWN, location=at(21), obj=SHOP, provider="ingress-nginx",
          annotation=NGINX + "made-up", value="1")
    r.add(Code.PATH_CHARACTER_PREFIX, location=at(31, 15), obj=SHOP, provider="ingress-nginx",
          detail="/app also matched /application, /apps, ...")
    r.add(Code.ANNOTATION_TRANSLATED, location=at(41), obj=PAY, provider="ingress-nginx",
          annotation=NGINX + "ssl-redirect", value="false")
    r.add(Code.ANNOTATION_LOSSY, location=at(42, 49), obj=PAY, provider="ingress-nginx",
          annotation=NGINX + "proxy-read-timeout", value="120",
          detail="NGINX times the gap between reads; Gateway API bounds the whole request, <b>not</b> reads.")
    r.add(Code.INGRESS_OTHER_CLASS, location=Location("other.yaml", 3, 3), obj=OTHER,
          detail="class traefik was not selected")
    r.add(Code.INPUT_DUPLICATE_KEY, location=Location("-", 2, 1), detail="duplicate key 'kind' (first at line 1)")
    return r


@pytest.fixture
def in_report_dir():
    """Run with the working directory at tests/report, so finding files are relative (as users give them)."""
    old = os.getcwd()
    os.chdir(HERE)
    try:
        yield HERE
    finally:
        os.chdir(old)


#: The codes a synthetic report cycles through: errors, warnings and info, in an order unlike the severity order.
BIG_CODES = (Code.ANNOTATION_TRANSLATED, Code.ANNOTATION_LOSSY, Code.ANNOTATION_UNSUPPORTED, Code.ANNOTATION_POLICY,
             Code.ANNOTATION_TRANSLATED, Code.ANNOTATION_UNKNOWN, Code.ANNOTATION_SECURITY)


def build_big_report(n: int, *, distinct: bool = True) -> Report:
    """``n`` synthetic findings over ``n // 5`` Ingresses in 50 namespaces, with long messages full of the
    characters every format has to escape: what a real cluster of thousands of Ingresses produces, in bulk.
    ``distinct=False``: the same few messages and values again and again, as real findings mostly are."""
    r = Report()
    long = "x" * 400 + " | <b>" + "y" * 200
    for i in range(n):
        ref = ObjectRef("Ingress", f"ns-{i % 50:02d}", f"app-{i // 5:05d}")
        r.ingresses[ref] = "converted"
        code = BIG_CODES[i % len(BIG_CODES)]
        r.add(code, location=Location(f"cluster/{ref.namespace}.yaml", i + 1, 5), obj=ref,
              provider="ingress-nginx", annotation=f"{NGINX}setting-{i % 13}",
              value=f"value {i if distinct else i % 13} " + "v" * 300,
              detail=f"finding {i if distinct else code.value}: {long}\nsecond line")
    return r
