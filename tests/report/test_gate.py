"""The CI gate: every --fail-on level, the config file (defaults and ignore entries, expired ones included),
and the baseline, through the command line as CI runs it."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from report_fixture import build_report

NGINX = "nginx.ingress.kubernetes.io/"
INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: {ns}
  annotations:
{annotations}
spec:
  ingressClassName: nginx
  rules:
  - host: {name}.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {{name: web, port: {{number: 80}}}}
"""


def ingress(name="web", ns="default", annotations=("made-up",)) -> str:
    ann = "".join(f'    {NGINX}{a}: "1"\n' for a in annotations) or "    {}\n"
    return INGRESS.format(name=name, ns=ns, annotations=ann.rstrip("\n"))


def cli(*args, cwd: Path):
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "ingress2gw", *args], capture_output=True, cwd=cwd, env=env,
                          timeout=120)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A GitOps repository: .git marks its root, manifests/ holds one Ingress with an unknown annotation."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "web.yaml").write_text(ingress())
    return tmp_path


# -- every level, on the gate itself (independent of what the providers report today) -------------------------

@pytest.mark.parametrize("fail_on,failing", [
    ("never", []),
    ("unknown", ["annotation.unknown"]),
    ("unsupported", ["annotation.unsupported", "annotation.security", "annotation.policy", "annotation.unknown"]),
    ("lossy", ["annotation.unsupported", "annotation.security", "annotation.policy", "annotation.unknown",
               "path.character-prefix", "annotation.lossy"]),
    ("warning", ["input.duplicate-key", "annotation.unsupported", "annotation.security", "annotation.policy",
                 "annotation.unknown", "path.character-prefix", "annotation.lossy"]),
])
def test_every_fail_on_level(fail_on, failing):
    from ingress2gw.report.gate import evaluate

    gate = evaluate(build_report(), fail_on)
    assert [f.code.value for f in gate.failing] == failing
    assert gate.exit_code == (1 if failing else 0)


def test_input_errors_exit_2_whatever_the_level():
    from ingress2gw.report import Code
    from ingress2gw.report.gate import evaluate
    from ingress2gw.source.location import Location

    report = build_report()
    report.add(Code.INPUT_YAML_SYNTAX, location=Location("bad.yaml", 3, 1))
    assert evaluate(report, "never").exit_code == 2


@pytest.mark.parametrize("fail_on,code", [("never", 0), ("unknown", 1), ("unsupported", 1), ("lossy", 1),
                                          ("warning", 1)])
def test_cli_exit_code_per_level(repo: Path, fail_on, code):
    r = cli("check", "manifests", "--fail-on", fail_on, cwd=repo)
    assert r.returncode == code, r.stdout + r.stderr


def test_cli_usage_errors_exit_2(repo: Path):
    assert cli("check", "manifests", "--format", "xml", cwd=repo).returncode == 2
    assert cli("check", "manifests", "--report", "r.xml", cwd=repo).returncode == 2
    assert cli("check", "manifests", "--config", "missing.yaml", cwd=repo).returncode == 2
    assert cli("check", "manifests", "--baseline", "missing.json", cwd=repo).returncode == 2


def test_quiet_prints_only_failing_findings(repo: Path):
    r = cli("check", "manifests", "-q", cwd=repo)
    lines = r.stdout.decode().splitlines()
    assert r.returncode == 1 and lines and all("[annotation.unknown]" in line for line in lines)
    assert lines[0].startswith("manifests/web.yaml:")


# -- config -----------------------------------------------------------------------------------------------------

def test_config_defaults_are_found_above_the_inputs_and_flags_win(repo: Path):
    (repo / ".ingress2gw.yaml").write_text("fail-on: never\n")
    assert cli("check", "manifests", cwd=repo).returncode == 0
    assert cli("check", "web.yaml", cwd=repo / "manifests").returncode == 0  # from a subdirectory: still found
    assert cli("check", "manifests", "--fail-on", "unknown", cwd=repo).returncode == 1


def test_config_is_not_searched_beyond_the_repository_root(repo: Path):
    outer = repo / "outer"
    (outer / "inner" / ".git").mkdir(parents=True)
    (outer / ".ingress2gw.yaml").write_text("fail-on: never\n")
    (outer / "inner" / "web.yaml").write_text(ingress())
    assert cli("check", "inner/web.yaml", cwd=outer).returncode == 1


def test_ignore_entries_suppress_but_keep_reporting(repo: Path):
    (repo / ".ingress2gw.yaml").write_text(
        "ignore:\n"
        f"  - annotation: {NGINX}made-up\n"
        "    object: default/*\n"
        "    reason: Used by our sidecar, not by the controller.\n"
        "    expires: 2999-12-31\n")
    r = cli("check", "manifests", "--fail-on", "unknown", "--format", "json", cwd=repo)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["gate"] == {"failOn": "unknown", "failing": 0, "suppressed": 1, "exitCode": 0}
    [f] = [f for f in doc["findings"] if f["code"] == "annotation.unknown"]
    assert f["suppression"]["justification"] == "Used by our sidecar, not by the controller."
    sarif = json.loads(cli("check", "manifests", "--format", "sarif", cwd=repo).stdout)
    assert any(res.get("suppressions") for res in sarif["runs"][0]["results"])


def test_ignore_entry_for_another_namespace_does_not_apply(repo: Path):
    (repo / ".ingress2gw.yaml").write_text(
        f"ignore:\n  - code: annotation.unknown\n    object: prod/*\n    reason: only prod\n")
    assert cli("check", "manifests", "--fail-on", "unknown", cwd=repo).returncode == 1


def test_expired_ignore_entry_fails_again(repo: Path):
    (repo / ".ingress2gw.yaml").write_text(
        "ignore:\n  - code: annotation.unknown\n    reason: until the sidecar is gone\n    expires: 2000-01-31\n")
    r = cli("check", "manifests", "--fail-on", "unknown", cwd=repo)
    assert r.returncode == 1
    assert b"expired on 2000-01-31" in r.stderr and b".ingress2gw.yaml:2" in r.stderr


def test_expiry_uses_an_injectable_today():
    from ingress2gw.config import Config, IgnoreRule, apply_ignores

    rule = IgnoreRule(reason="r", code="annotation.unknown", expires=dt.date(2025, 6, 30))
    on_the_day = build_report()
    assert apply_ignores(on_the_day, Config(ignore=[rule]), today=dt.date(2025, 6, 30)) == []
    assert any(f.suppression for f in on_the_day.findings)
    after = build_report()
    assert apply_ignores(after, Config(ignore=[rule]), today=dt.date(2025, 7, 1)) == [rule]
    assert not any(f.suppression for f in after.findings)


@pytest.mark.parametrize("text,message", [
    ("ignore:\n  - code: annotation.unknown\n", "needs a reason"),
    ("ignore:\n  - reason: why\n", "needs a code, an annotation, or both"),
    ("ignore:\n  - code: x\n    reason: r\n    expires: someday\n", "YYYY-MM-DD"),
    ("fail-on: never\nfial-on: never\n", "unknown key 'fial-on'"),
    ("gateway-api-version: 1.5\n", "quote the version"),
    ("ignore: [\n", "invalid YAML"),
])
def test_invalid_config_is_a_usage_error_naming_file_and_line(repo: Path, text, message):
    (repo / ".ingress2gw.yaml").write_text(text)
    r = cli("check", "manifests", cwd=repo)
    assert r.returncode == 2 and message.encode() in r.stderr, r.stderr
    assert b".ingress2gw.yaml:" in r.stderr and b"Traceback" not in r.stderr


# -- baseline ---------------------------------------------------------------------------------------------------

def test_baseline_adopts_the_gate_and_fails_only_on_new_findings(repo: Path):
    r = cli("check", "manifests", "--write-baseline", ".ingress2gw-baseline.json", cwd=repo)
    assert r.returncode == 0, r.stderr
    baseline = json.loads((repo / ".ingress2gw-baseline.json").read_text())
    # The unknown annotation, and the controller's 60s read timeout Gateway API cannot hold (no idle timeout).
    assert sorted(f["code"] for f in baseline["findings"]) == ["annotation.unknown", "controller-default.lossy"]
    assert "line" not in json.dumps(baseline)
    assert cli("check", "manifests", "--baseline", ".ingress2gw-baseline.json", cwd=repo).returncode == 0
    # Lines added above the finding do not make it new.
    web = repo / "manifests" / "web.yaml"
    web.write_text("# owned by team web\n# reviewed 2024\n" + web.read_text())
    assert cli("check", "manifests", "--baseline", ".ingress2gw-baseline.json", cwd=repo).returncode == 0
    # Running from another directory finds the same fingerprints (paths are relative to the baseline).
    assert cli("check", "web.yaml", "--baseline", "../.ingress2gw-baseline.json",
               cwd=repo / "manifests").returncode == 0
    # A new object with the same problem is new.
    (repo / "manifests" / "api.yaml").write_text(ingress(name="api"))
    r = cli("check", "manifests", "--baseline", ".ingress2gw-baseline.json", "--format", "sarif", cwd=repo)
    assert r.returncode == 1
    states = sorted(res["baselineState"] for res in json.loads(r.stdout)["runs"][0]["results"]
                    if res["ruleId"] == "annotation.unknown")
    assert states == ["new", "unchanged"]


def test_baseline_from_config_and_bad_baseline(repo: Path):
    (repo / ".ingress2gw.yaml").write_text("baseline: .ingress2gw-baseline.json\n")
    assert cli("check", "manifests", cwd=repo).returncode == 2  # named in the config but not written yet
    assert cli("check", "manifests", "--write-baseline", ".ingress2gw-baseline.json", cwd=repo).returncode == 0
    assert cli("check", "manifests", cwd=repo).returncode == 0
    (repo / ".ingress2gw-baseline.json").write_text("{}")
    r = cli("check", "manifests", cwd=repo)
    assert r.returncode == 2 and b"not an ingress2gw baseline" in r.stderr


def test_fingerprint_ignores_positions_but_not_values():
    import dataclasses

    from ingress2gw.report.baseline import fingerprint
    from ingress2gw.source.location import Location

    f = next(f for f in build_report().findings if f.code.value == "annotation.unsupported")
    moved = dataclasses.replace(f, location=Location(f.location.file, f.location.line + 7, 1))
    assert fingerprint(f) == fingerprint(moved)
    assert fingerprint(f) != fingerprint(dataclasses.replace(f, value="30m"))
    assert fingerprint(f) != fingerprint(dataclasses.replace(f, location=Location("other.yaml", 17, 5)))


# -- report files ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,probe", [("r.json", b'"schemaVersion": 1'), ("r.sarif", b'"version": "2.1.0"'),
                                        ("r.md", b"## Ingress"), ("r.html", b"<!DOCTYPE html>"),
                                        ("r.txt", b"ingress2gw summary")])
def test_report_file_format_from_extension(repo: Path, name, probe):
    assert cli("check", "manifests", "--report", name, "--fail-on", "never", cwd=repo).returncode == 0
    assert probe in (repo / name).read_bytes()
    r = cli("convert", "manifests", "--report", name, "-q", cwd=repo)
    assert r.returncode == 0 and probe in (repo / name).read_bytes()


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "markdown", "html"])
def test_check_format(repo: Path, fmt):
    r = cli("check", "manifests", "--format", fmt, cwd=repo)
    assert r.returncode == 1 and b"annotation.unknown" in r.stdout and b"\x1b[" not in r.stdout
