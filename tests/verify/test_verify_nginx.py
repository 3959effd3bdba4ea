"""The ingress-nginx simulator against the examples of the controller's documentation (``nginx/*.yaml``)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from ingress2gw.report import Report
from ingress2gw.source.loader import Document
from ingress2gw.source.objects import build_inventory
from ingress2gw.verify.nginx import NginxSimulator
from test_verify_gateway import request_from

HERE = Path(__file__).parent


def inventory(objects: list[dict]):
    docs = [Document("test.yaml", i, None, o, 1) for i, o in enumerate(objects)]
    return build_inventory(docs, Report())


def check(got, exp: dict) -> None:
    outcome = exp.get("outcome") or ("redirect" if "location" in exp else "backend")
    assert got.kind == outcome, got
    if "backend" in exp:
        assert got.backends == ((exp["backend"], Fraction(1)),), got
    if "backends" in exp:
        assert got.backends == tuple(sorted((k, Fraction(v)) for k, v in exp["backends"].items())), got
    for key in ("path", "host", "status", "location"):
        if key in exp:
            assert getattr(got, key) == exp[key], got


def _cases(folder: str):
    for f in sorted((HERE / folder).glob("*.yaml")):
        doc = YAML(typ="safe", pure=True).load(f.read_text())
        for i, case in enumerate(doc["cases"]):
            yield pytest.param(doc, case, id=f"{f.stem}-{i}")


@pytest.mark.parametrize("doc,case", list(_cases("nginx")))
def test_nginx_doc_examples(doc, case):
    inv = inventory(doc["objects"])
    sim = NginxSimulator(inv.ingresses, inv.services)
    check(sim.decide(request_from(case["request"])), case["expect"])
