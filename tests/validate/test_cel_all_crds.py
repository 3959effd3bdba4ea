"""Every CEL rule of every CRD in the shared bundles compiles (new functions are noticed here)."""

from __future__ import annotations

from ingress2gw.validate import CRDSet, cel


def test_every_rule_of_every_crd_compiles(crds_dir):
    crds = CRDSet.load([crds_dir])
    total, failures = 0, []
    for version in crds:
        fails = version.compile()
        failures += [(version.group, version.version, version.kind, *f) for f in fails]
        total += sum(1 for _ in cel.iter_rules(version.schema))
    assert failures == []
    assert total > 1500, total  # 2129 rules in the bundles of this writing (some repeated per version)


def test_rules_evaluate_on_sample_objects(crd_set):
    """Evaluate every rule of HTTPRoute/Gateway against the sample objects: no rule errors."""
    from ingress2gw.validate import validate_object

    from . import manifests as m

    crds = crd_set("v1.6.1", "experimental")
    for obj in (m.gateway(), m.httproute(), m.grpcroute(), m.tlsroute(), m.listenerset(), m.backendtlspolicy()):
        assert [p for p in validate_object(crds, obj) if p.kind == "cel-error"] == []
