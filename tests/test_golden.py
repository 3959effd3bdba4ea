"""Golden fixtures: ``fixtures/<provider>/<case>/`` hold the input, the CLI arguments (case.yaml), and
exactly what ``convert`` prints (expected/resources.yaml) and reports (expected/report.json).

``pytest tests/test_golden.py --regen`` rewrites expected/ through the same code the test runs.
Every emitted object is also validated against the CRDs of the case's Gateway API version/channel.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from conftest import FIXTURES, crdset_for

CASES = sorted(p.parent for p in FIXTURES.glob("*/*/case.yaml"))


def _case_id(p: Path) -> str:
    return f"{p.parent.name}/{p.name}"


def _load_case(case: Path) -> dict:
    return YAML(typ="safe", pure=True).load((case / "case.yaml").read_text()) or {}


def _run(case: Path, tmp_path: Path) -> tuple[int, str, str]:
    spec = _load_case(case)
    args = ["convert", "input.yaml" if (case / "input.yaml").exists() else "input", "--quiet",
            "--report", str(tmp_path / "report.json"), *[str(a) for a in spec.get("args", [])]]
    cwd = os.getcwd()
    os.chdir(case)
    try:
        from ingress2gw.cli import app

        result = CliRunner().invoke(app, args, catch_exceptions=False)
    finally:
        os.chdir(cwd)
    report = (tmp_path / "report.json").read_text() if (tmp_path / "report.json").exists() else ""
    return result.exit_code, result.stdout, report


def test_every_case_has_expected_and_no_orphans():
    assert CASES, "no golden cases found"
    for case in CASES:
        assert (case / "input.yaml").exists() or (case / "input").is_dir(), f"{case} has no input"
    for expected in FIXTURES.glob("*/*/expected"):
        assert (expected.parent / "case.yaml").exists(), f"{expected} has no case.yaml"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_golden(case: Path, tmp_path: Path, regen: bool):
    code, out, report = _run(case, tmp_path)
    spec = _load_case(case)
    exp = case / "expected"
    if regen:
        exp.mkdir(exist_ok=True)
        (exp / "resources.yaml").write_text(out)
        (exp / "report.json").write_text(report)
        (exp / "exit-code").write_text(f"{code}\n")
    assert (exp / "resources.yaml").exists(), f"{case}: no expected/ (run with --regen)"
    assert out == (exp / "resources.yaml").read_text()
    assert report == (exp / "report.json").read_text()
    assert f"{code}\n" == (exp / "exit-code").read_text()
    # The case states what it must show; the golden alone could be regenerated wrong.
    codes = {f["code"] for f in json.loads(report)["findings"]} if report else set()
    for want in spec.get("expect_codes", []):
        assert want in codes, f"{case}: expected finding {want}"
    for unwanted in spec.get("forbid_codes", []):
        assert unwanted not in codes, f"{case}: unexpected finding {unwanted}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_golden_output_is_valid(case: Path):
    """Every emitted object passes the CRD schema and CEL rules of the case's version/channel."""
    from ingress2gw.validate import validate_object

    spec = _load_case(case)
    args = [str(a) for a in spec.get("args", [])]
    version = args[args.index("--gateway-api-version") + 1] if "--gateway-api-version" in args else "1.6"
    channel = args[args.index("--channel") + 1] if "--channel" in args else "standard"
    extra: tuple[str, ...] = ()
    if "--emitter" in args and args[args.index("--emitter") + 1] != "standard":
        from ingress2gw.emitters import load_emitter

        extra = (load_emitter(args[args.index("--emitter") + 1]).crd_bundle,)
    crds = crdset_for(version, channel, extra)
    text = (case / "expected" / "resources.yaml").read_text()
    docs = [d for d in YAML(typ="safe", pure=True).load_all(text) if d]
    problems = []
    for obj in docs:
        for p in validate_object(crds, obj):
            problems.append(f"{obj['kind']} {obj['metadata'].get('namespace')}/{obj['metadata']['name']}: "
                            f"{p.field}: {p.message}")
    assert not problems, "\n".join(problems)
