"""Every PolicyIntent the providers produce uses a canonical family and only its parameters, so each
implementation emitter renders a family once whatever the source controller."""

from __future__ import annotations

from pathlib import Path

import pytest

import ingress2gw.emitters.standard as standard
from ingress2gw.model.ir import PolicyIntent
from ingress2gw.model.policies import FAMILIES, problems
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
    bad = sorted({f"{case}: {p}" for case, i in produced for p in problems(i.family, dict(i.params))})
    assert not bad, "\n".join(bad)


def test_families_have_a_scope_and_documented_params():
    for fam in FAMILIES.values():
        assert fam.scope in ("route", "service", "gateway")
        assert fam.description
        assert all(isinstance(v, str) and v for v in fam.params.values())
