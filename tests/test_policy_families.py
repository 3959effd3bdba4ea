"""Every PolicyIntent the providers produce is one of the canonical family classes (typed fields, validated
when the provider builds it), so each implementation emitter renders a family once whatever the source
controller."""

from __future__ import annotations

from pathlib import Path

import pytest

import ingress2gw.emitters.standard as standard
from ingress2gw.model.ir import PolicyIntent
from ingress2gw.model.policies import FAMILIES
from ingress2gw.pipeline import Options, run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CASES = sorted(p.parent for p in FIXTURES.glob("*/*/case.yaml"))


@pytest.fixture(scope="module")
def produced():
    seen: list[tuple[str, PolicyIntent]] = []
    original = standard.StandardEmitter.track

    def track(self, rule, rendered):
        seen.extend((self._case, i) for i in rule.intents if isinstance(i, PolicyIntent))
        return original(self, rule, rendered)

    standard.StandardEmitter.track = track
    try:
        for case in CASES:
            standard.StandardEmitter._case = case.name
            inp = case / "input.yaml" if (case / "input.yaml").exists() else case / "input"
            run(Options(paths=[str(inp)]))
    finally:
        standard.StandardEmitter.track = original
    return seen


def test_every_policy_intent_is_canonical(produced):
    assert produced, "the fixtures produce no PolicyIntent at all"
    bad = sorted({f"{case}: {type(i).__name__}" for case, i in produced if FAMILIES.get(i.family) is not type(i)})
    assert not bad, "\n".join(bad)


def test_families_have_a_scope_documented_fields_and_a_valid_example():
    base = set(PolicyIntent.model_fields)
    for name, fam in FAMILIES.items():
        assert fam.family == name
        assert fam.scope in ("route", "service", "gateway")
        assert fam.description
        assert all(f.description for k, f in fam.model_fields.items() if k not in base), name
        assert set(fam.example) <= set(fam.model_fields) - base, name
        fam(**fam.example)  # validates


def test_the_base_class_is_abstract():
    with pytest.raises(TypeError):
        PolicyIntent()
