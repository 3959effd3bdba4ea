"""Every CEL rule of every CRD in the shared bundles compiles (new functions are noticed here)."""

from __future__ import annotations

from ingress2gw.validate import CRDSet, cel


def test_every_rule_of_every_crd_compiles(crds_dir):
    bundles = sorted(crds_dir.glob("gateway-api/*/*")) + sorted(
        d for p in crds_dir.iterdir() if p.is_dir() and p.name != "gateway-api" for d in p.iterdir() if d.is_dir())
    total, failures = 0, []
    for bundle in bundles:
        for version in CRDSet.load([bundle]):
            fails = version.compile()
            failures += [(str(bundle), version.kind, version.version, *f) for f in fails]
            total += sum(1 + bool(r.get("messageExpression")) for _, r in cel.iter_rules(version.schema))
    assert failures == []
    print(f"compiled {total} CEL rules from {len(bundles)} bundles")
    assert total >= 2129, total  # rules in the bundles of this writing; fewer means rules were not found


def test_rules_evaluate_on_sample_objects(crd_set):
    """Evaluate every rule of HTTPRoute/Gateway against the sample objects: no rule errors."""
    from ingress2gw.validate import validate_object

    from . import manifests as m

    crds = crd_set("v1.6.1", "experimental")
    for obj in (m.gateway(), m.httproute(), m.grpcroute(), m.tlsroute(), m.listenerset(), m.backendtlspolicy()):
        assert [p for p in validate_object(crds, obj) if p.kind == "cel-error"] == []
