"""Hand edits a reviewer fears: ``verify --gateway-manifests`` must exit 1 for every edit that changes what a
derived request gets.

Hypothesis takes the tool's own output for a fixture, applies one mutation operator (backend renamed or its port
changed, PathPrefix turned Exact, a redirect removed or its status changed, a rewrite removed or changed, weights
changed, a hostname removed, a header modifier removed) and checks: whenever the Gateway API simulator answers
some derived request differently from the unedited output — and not the way the source controller did (an edit
that restores the controller's behaviour fixes a difference, it does not create one) — ``verify`` reports an
unexplained difference and exits 1.
"""

from __future__ import annotations

import copy
import io
from pathlib import Path

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from ingress2gw.pipeline import Options, run
from ingress2gw.plugin import load_providers
from ingress2gw.source.loader import load_paths
from ingress2gw.source.objects import build_inventory
from ingress2gw.report import Report
from ingress2gw.stages.ownership import select_owners
from ingress2gw.verify.command import run_verify
from ingress2gw.verify.compare import same, same_end
from ingress2gw.verify.gateway import GatewaySimulator
from ingress2gw.yaml_writer import dump_documents

CASES = [FIXTURES / "ingress-nginx" / c for c in (
    "basic-paths", "paths-rewrite-captures", "paths-rewrite-prefix-idiom", "redirect-permanent", "redirect-app-root",
    "redirect-temporal", "tls-redirect", "canary-one-per-path", "canary-header-cookie-weight", "shared-host-conflict",
    "host-names")] + [FIXTURES / "traefik" / c for c in ("basic-paths", "middlewares-standard", "priority")]


def _rules(objects):
    return [(o, r) for o in objects if o.get("kind") == "HTTPRoute" for r in o["spec"].get("rules", [])]


def _filters(objects, kind):
    return [(r, f) for _, r in _rules(objects) for f in r.get("filters", []) if f.get("type") == kind]


def rename_backend(objects, i):
    refs = [b for _, r in _rules(objects) for b in r.get("backendRefs", [])]
    refs[i % len(refs)]["name"] += "-renamed"


def change_port(objects, i):
    refs = [b for _, r in _rules(objects) for b in r.get("backendRefs", []) if "port" in b]
    refs[i % len(refs)]["port"] += 1


def prefix_to_exact(objects, i):
    ms = [m for _, r in _rules(objects) for m in r.get("matches", [])
          if m.get("path", {}).get("type") == "PathPrefix"]
    ms[i % len(ms)]["path"]["type"] = "Exact"


def remove_filter(kind):
    def op(objects, i):
        found = _filters(objects, kind)
        rule, f = found[i % len(found)]
        rule["filters"].remove(f)
        if not rule["filters"]:
            del rule["filters"]
    op.__name__ = f"remove_{kind}"
    return op


def change_redirect_status(objects, i):
    found = _filters(objects, "RequestRedirect")
    rr = found[i % len(found)][1]["requestRedirect"]
    rr["statusCode"] = 302 if rr.get("statusCode", 302) != 302 else 301


def change_rewrite(objects, i):
    found = _filters(objects, "URLRewrite")
    path = found[i % len(found)][1]["urlRewrite"]["path"]  # KeyError: a host rewrite only
    key = "replaceFullPath" if "replaceFullPath" in path else "replacePrefixMatch"
    path[key] = "/edited" + path[key]


def change_weights(objects, i):
    rules = [r for _, r in _rules(objects) if len(r.get("backendRefs", [])) > 1]
    refs = rules[i % len(rules)]["backendRefs"]
    refs[0]["weight"] = refs[0].get("weight", 1) + 7


def remove_hostname(objects, i):
    routes = [o for o in objects if o.get("kind") == "HTTPRoute" and o["spec"].get("hostnames")]
    names = routes[i % len(routes)]["spec"]["hostnames"]
    names.pop(i % len(names))
    if not names:
        names.append("edited.invalid")  # an empty list would match every host: keep the edit a removal


OPERATORS = [rename_backend, change_port, prefix_to_exact, remove_filter("RequestRedirect"),
             change_redirect_status, remove_filter("URLRewrite"), change_rewrite, change_weights, remove_hostname,
             remove_filter("RequestHeaderModifier"), remove_filter("ResponseHeaderModifier")]

_CONVERTED: dict[Path, tuple] = {}


def _converted(case: Path):
    """The tool's own output, the source simulator and the derived requests for a fixture (cached)."""
    if case not in _CONVERTED:
        src = str(case / "input.yaml")
        objects = run(Options(paths=[src])).objects
        providers = load_providers()
        inventory = build_inventory(load_paths([src]).documents, Report())
        owned = select_owners(inventory, providers, wanted_providers=[], classes=[], namespaces=[], report=Report())
        [name] = {s.provider.name for s in owned}
        source, requests = providers[name].source_simulator([s.ingress for s in owned], inventory,
                                                            Options().plugin_values(providers))
        _CONVERTED[case] = (objects, source, requests)
    return _CONVERTED[case]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(CASES), op=st.sampled_from(OPERATORS), index=st.integers(0, 20))
def test_an_edit_that_changes_a_request_fails_verify(tmp_path_factory, case, op, index):
    objects, source, requests = _converted(case)
    edited = copy.deepcopy(objects)
    try:
        op(edited, index)
    except (ZeroDivisionError, IndexError, KeyError):
        assume(False)  # the operator has nothing to edit in this output
    before, after = GatewaySimulator(objects), GatewaySimulator(edited)
    changed = []
    for req in requests:
        a, b, s = before.decide(req), after.decide(req), source.decide(req)
        if not same(a, b) and not same_end(source, after, req, s, b):
            changed.append(req.label())
    out_dir = tmp_path_factory.mktemp("edited")
    (out_dir / "routes.yaml").write_text(dump_documents(edited))
    out, err = io.StringIO(), io.StringIO()
    code = run_verify([str(case / "input.yaml")], gateway_manifests=str(out_dir), requests_file=None, fmt="json",
                      options=Options(), stdout=out, stderr=err)
    event(f"{op.__name__}: {'changes requests' if changed else 'changes nothing verify sees'}")
    if changed:
        assert code == 1, (op.__name__, case.name, changed[:5])
    else:
        assert code == 0, (op.__name__, case.name, out.getvalue()[:2000])


def test_every_operator_changes_some_fixture():
    """The operators are not idle: each one edits at least one fixture's output in a way verify catches."""
    caught = set()
    for op in OPERATORS:
        for case in CASES:
            objects, source, requests = _converted(case)
            edited = copy.deepcopy(objects)
            try:
                op(edited, 0)
            except (ZeroDivisionError, IndexError, KeyError):
                continue
            after = GatewaySimulator(edited)
            if any(not same(GatewaySimulator(objects).decide(r), after.decide(r)) for r in requests):
                caught.add(op.__name__)
                break
    assert caught == {op.__name__ for op in OPERATORS}
