"""Typed explanations: a difference is explained only by findings about its dimension, in its scope.

A finding says which request dimensions it is about (``Finding.dimensions``); ``verify`` splits every difference
into aspects (outcome, backend, upstream path, headers, redirect status/target...) and explains each aspect only by
a finding of a matching dimension whose scope (its Ingress, or the Ingress's hosts for host-wide codes) reaches
the request.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import FIXTURES
from ingress2gw.model.outcome import Dimension
from ingress2gw.pipeline import Options, run
from ingress2gw.report.codes import CODE_DIMENSIONS, Code
from ingress2gw.report.findings import Finding, ObjectRef
from ingress2gw.source.location import Location
from ingress2gw.verify.command import verify
from ingress2gw.verify.compare import Explainer
from ingress2gw.verify.model import BACKEND, NOT_FOUND, REDIRECT, Decision, Request
from ingress2gw.yaml_writer import dump_documents

REPO = Path(__file__).resolve().parents[2]
D = Dimension


def test_the_report_schema_lists_every_dimension():
    schema = json.loads((REPO / "docs" / "report.schema.json").read_text())
    enum = schema["$defs"]["finding"]["properties"]["dimensions"]["items"]["enum"]
    assert enum == [d.value for d in Dimension]


def test_code_dimensions_name_real_codes_and_scopes():
    codes = {c.value for c in Code}
    for code, (dims, scope) in CODE_DIMENSIONS.items():
        assert code in codes, code
        assert dims and scope in ("ingress", "host"), code


def _finding(code: Code, ingress: str, *dims: Dimension, annotation: str = "") -> Finding:
    ns, name = ingress.split("/")
    return Finding(code=code, location=Location("in.yaml", 1, 1), message="m", obj=ObjectRef("Ingress", ns, name),
                   annotation=annotation, dimensions=frozenset(dims))


REQ = Request(host="shop.example.com", path="/api")
SRC = Decision(BACKEND, backends=(("shop/api:80", 1),), path="/api", via=("Ingress shop/api",))


def _explain(findings, gw: Decision, src: Decision = SRC, req: Request = REQ, hosts=None):
    explainer = Explainer(findings, hosts or {"shop/api": ["shop.example.com"], "shop/web": ["shop.example.com"]},
                          {"HTTPRoute shop/r": ["shop/api"]})
    return explainer.explain(req, src, gw)


def test_a_finding_about_another_dimension_explains_nothing():
    renamed = Decision(BACKEND, backends=(("shop/api-v2:80", 1),), path="/api", via=("HTTPRoute shop/r",))
    case_note = _finding(Code.ANNOTATION_LOSSY, "shop/api", D.CASE, D.UPSTREAM_PATH,
                         annotation="nginx.ingress.kubernetes.io/rewrite-target")
    [e] = _explain([case_note], renamed)
    assert e.aspect.name == "backend" and not e.findings
    backend_note = _finding(Code.ANNOTATION_LOSSY, "shop/api", D.BACKEND, annotation="x/service-upstream")
    [e] = _explain([case_note, backend_note], renamed)
    assert e.findings == [backend_note]


def test_every_aspect_needs_its_own_finding():
    gw = Decision(BACKEND, backends=(("shop/api:80", 1),), path="/", headers=(("set", "x-a", "1"),),
                  via=("HTTPRoute shop/r",))
    path_note = _finding(Code.ANNOTATION_LOSSY, "shop/api", D.UPSTREAM_PATH)
    explanations = _explain([path_note], gw)
    assert [(e.aspect.name, bool(e.findings)) for e in explanations] == [
        ("upstream-path", True), ("request-headers", False)]


def test_scope_is_the_ingress_or_for_host_wide_codes_its_hosts():
    gw = Decision(NOT_FOUND, via=("HTTPRoute shop/r",))
    other = _finding(Code.ANNOTATION_UNSUPPORTED, "shop/web", D.ROUTE)
    assert not _explain([other], gw)[0].findings  # shop/web did not answer this request on either side
    conflict = _finding(Code.ROUTE_CONFLICT, "shop/web", D.ROUTE, D.BACKEND)
    assert _explain([conflict], gw)[0].findings == [conflict]  # host-wide: shop/web has the host


def test_translated_findings_claim_no_difference():
    gw = Decision(NOT_FOUND, via=("HTTPRoute shop/r",))
    assert not _explain([_finding(Code.ANNOTATION_TRANSLATED, "shop/api", D.ROUTE)], gw)[0].findings


def test_redirect_codes_explain_only_their_narrow_aspect():
    req = Request(host="shop.example.com", path="/api/", scheme="http")
    src = Decision(REDIRECT, status=308, location="https://shop.example.com/api", via=("Ingress shop/api",))
    code_note = _finding(Code.TLS_REDIRECT_CODE, "shop/api", D.REDIRECT)
    slash_note = _finding(Code.TLS_REDIRECT, "shop/api", D.REDIRECT)
    elsewhere = Decision(REDIRECT, status=308, location="https://other.example.com/api", via=("HTTPRoute shop/r",))
    [e] = _explain([code_note, slash_note], elsewhere, src, req)
    assert e.aspect.name == "redirect-target" and not e.findings  # neither explains another target
    slash = Decision(REDIRECT, status=308, location="https://shop.example.com/api/", via=("HTTPRoute shop/r",))
    [e] = _explain([code_note, slash_note], slash, src, req)
    assert e.findings == [slash_note]
    status = Decision(REDIRECT, status=301, location="https://shop.example.com/api", via=("HTTPRoute shop/r",))
    [e] = _explain([code_note, slash_note], status, src, req)
    assert e.aspect.name == "redirect-status" and e.findings == [code_note]


def test_an_upper_case_request_accepts_a_case_finding():
    req = Request(host="shop.example.com", path="/API")
    gw = Decision(NOT_FOUND, via=("HTTPRoute shop/r",))
    case_note = _finding(Code.ANNOTATION_LOSSY, "shop/api", D.CASE)
    assert _explain([case_note], gw, req=req)[0].findings == [case_note]
    assert not _explain([case_note], gw)[0].findings  # /api: the case is not what differs


def test_findings_carry_the_dimensions_of_what_differs():
    """End to end: the prefix-strip idiom of rewrite-target is lossy in letter case only."""
    case = FIXTURES / "ingress-nginx" / "paths-rewrite-prefix-idiom"
    result = run(Options(paths=[str(case / "input.yaml")]))
    [rewrite] = [f for f in result.report.findings if f.annotation.endswith("/rewrite-target")]
    assert rewrite.code is Code.ANNOTATION_LOSSY and rewrite.dimensions == {D.CASE}
    [xfp] = [f for f in result.report.findings if f.annotation.endswith("/x-forwarded-prefix")]
    assert xfp.code is Code.ANNOTATION_TRANSLATED and D.REQUEST_HEADERS in xfp.dimensions


def _edited(tmp_path: Path, case: Path, edit) -> dict:
    src = case / "input.yaml"
    objects = run(Options(paths=[str(src)])).objects
    edit(objects)
    out = tmp_path / "gw"
    out.mkdir()
    (out / "all.yaml").write_text(dump_documents(objects))
    return verify(Options(paths=[str(src)]), gateway_manifests=str(out)).to_dict()


def test_a_renamed_backend_is_not_excused_by_a_finding_on_the_same_ingress(tmp_path):
    """The reviewer's fear: a backend renamed by hand, on an Ingress whose rewrite-target has a (case) finding."""
    def rename(objects):
        for o in objects:
            for rule in o.get("spec", {}).get("rules", []) if o["kind"] == "HTTPRoute" else []:
                for b in rule.get("backendRefs", []):
                    if b["name"] == "api":
                        b["name"] = "api-renamed"

    doc = _edited(tmp_path, FIXTURES / "ingress-nginx" / "paths-rewrite-prefix-idiom", rename)
    assert doc["summary"]["unexplained"] > 0 and doc["summary"]["edited"] > 0
    edited = [d for d in doc["differences"] if "editedFrom" in d]
    assert edited and all(not d["expected"] for d in edited)
    assert all(d["editedFrom"]["backends"][0]["service"] == "shop/api:80" for d in edited)


def test_the_tool_s_own_output_passed_as_manifests_verifies_like_convert(tmp_path):
    doc = _edited(tmp_path, FIXTURES / "ingress-nginx" / "paths-rewrite-prefix-idiom", lambda objects: None)
    assert doc["summary"]["edited"] == 0 and doc["summary"]["unexplained"] == 0
    assert doc["summary"]["differences"] > 0  # the lossy case differences, each explained by its finding
    for d in doc["differences"]:
        for a in d["aspects"]:
            assert a["explainedBy"] and all(set(f["dimensions"]) & set(a["dimensions"]) for f in a["explainedBy"])


def test_behaviour_that_is_not_simulated_is_listed_per_request():
    case = FIXTURES / "ingress-nginx" / "policy-access-ratelimit"
    doc = verify(Options(paths=[str(case / "input.yaml")])).to_dict()
    assert doc["summary"]["notSimulated"] > 0
    findings = doc["notSimulated"]["findings"]
    listed = {findings[i]["annotation"] for u in doc["notSimulated"]["requests"] for i in u["findings"]}
    assert any(a and a.endswith("/limit-rps") for a in listed), listed
    simulated = {"route", "backend", "weight", "upstream-path", "upstream-host", "redirect", "request-headers",
                 "case", "host-match", "scheme"}
    assert all(set(f["dimensions"]) - simulated for f in findings)
