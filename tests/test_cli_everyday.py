"""The command line a new user lives with every day: streams wherever a file is accepted, the README workflow,
a gate that says what tripped it, no silent pass on missing input, conflicting options, help and completion."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_shared

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "cluster.yaml"
PY = f"{shlex.quote(sys.executable)} -m ingress2gw"


def cli(*args: str, stdin: str | bytes | None = None, cwd: Path | None = None, env: dict | None = None):
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run([sys.executable, "-m", "ingress2gw", *args], input=data, capture_output=True,
                          cwd=cwd, env={**os.environ, **(env or {})}, timeout=180)


def sh(script: str, cwd: Path | None = None, env: dict | None = None):
    """``script`` in bash (process substitution), ``ingress2gw`` standing for this interpreter's module."""
    return subprocess.run(["bash", "-c", f"ingress2gw() {{ {PY} \"$@\"; }}\n{script}"], capture_output=True,
                          cwd=cwd, env={**os.environ, "PYTHONPATH": str(REPO / "src"), **(env or {})}, timeout=300)


def no_traceback(r) -> None:
    assert b"Traceback" not in r.stderr, r.stderr.decode()


@pytest.fixture(scope="module")
def crds() -> Path:
    return require_shared("crds/gateway-api/v1.6.1/standard")


def crd_stream(crds: Path) -> str:
    """What ``kubectl get crd -o yaml`` gives, as a process substitution: every CRD, in one YAML stream."""
    return "<(for f in " + shlex.quote(str(crds)) + "/*.yaml; do echo ---; cat \"$f\"; done)"


# 1. /dev/fd, FIFOs, -, /dev/stdin wherever a file is accepted -------------------------------------------------

def test_convert_validate_reads_crds_from_process_substitution(crds: Path):
    r = sh(f"ingress2gw convert {EXAMPLE} -q --validate --crds {crd_stream(crds)}")
    no_traceback(r)
    assert r.returncode == 0, r.stderr.decode()
    assert b"kind: HTTPRoute" in r.stdout


def test_validate_reads_crds_from_process_substitution_and_stdin(crds: Path, tmp_path: Path):
    out = tmp_path / "out.yaml"
    assert cli("convert", str(EXAMPLE), "-q", "-o", str(tmp_path / "dir")).returncode == 0
    out.write_bytes(cli("convert", str(EXAMPLE), "-q").stdout)
    r = sh(f"ingress2gw validate {out} --crds {crd_stream(crds)}")
    assert r.returncode == 0, r.stderr.decode()
    assert b"0 invalid" in r.stdout
    r = sh(f"cat {out} | ingress2gw validate /dev/stdin --crds {crds}")
    assert r.returncode == 0, r.stderr.decode()
    r = sh(f"for f in {crds}/*.yaml; do echo ---; cat \"$f\"; done | ingress2gw validate {out} --crds /dev/stdin")
    assert r.returncode == 0, r.stderr.decode()


def test_unreadable_crd_stream_is_exit_2_without_traceback(tmp_path: Path):
    r = sh(f"ingress2gw convert {EXAMPLE} -q --validate --crds <(printf 'a: [') ")
    no_traceback(r)
    assert r.returncode == 2
    assert b"/dev/fd/" in r.stderr


def test_stdin_cannot_feed_two_things():
    r = sh(f"cat {EXAMPLE} | ingress2gw validate - --crds -")
    assert r.returncode == 2 and b"stdin" in r.stderr
    r = sh(f"cat {EXAMPLE} | ingress2gw convert - --validate --crds /dev/stdin")
    assert r.returncode == 2 and b"the inputs and --crds" in r.stderr
    r = sh(f"cat {EXAMPLE} | ingress2gw check - --controller-config -")
    assert r.returncode == 2 and b"the inputs and --controller-config" in r.stderr
    r = sh(f"cat {EXAMPLE} | ingress2gw check --controller-config -")
    assert r.returncode == 2 and b"--controller-config reads stdin" in r.stderr


def test_inputs_controller_config_config_and_baseline_from_streams(tmp_path: Path):
    cm = tmp_path / "cm.yaml"
    cm.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ingress-nginx-controller, namespace: "
                  "ingress-nginx}\ndata: {proxy-read-timeout: \"30\"}\n")
    plain = cli("check", str(EXAMPLE), "--format", "json", "--fail-on", "never", "--controller-config", str(cm))
    assert plain.returncode == 0, plain.stderr
    for script in (f"ingress2gw check <(cat {EXAMPLE}) --format json --fail-on never --controller-config {cm}",
                   f"cat {EXAMPLE} | ingress2gw check /dev/stdin --format json --fail-on never "
                   f"--controller-config {cm}",
                   f"ingress2gw check {EXAMPLE} --format json --fail-on never --controller-config <(cat {cm})",
                   f"cat {cm} | ingress2gw check {EXAMPLE} --format json --fail-on never --controller-config -"):
        r = sh(script)
        no_traceback(r)
        assert r.returncode == 0, (script, r.stderr.decode())
        assert json.loads(r.stdout)["summary"] == json.loads(plain.stdout)["summary"], script
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("fail-on: never\n")
    r = sh(f"ingress2gw check {EXAMPLE} -q --fail-on lossy --config <(cat {cfg}) >/dev/null; "
           f"ingress2gw check {EXAMPLE} -q --config <(cat {cfg})")
    assert r.returncode == 0, r.stderr.decode()
    baseline = tmp_path / "baseline.json"
    assert cli("check", str(EXAMPLE), "-q", "--fail-on", "lossy", "--write-baseline", str(baseline)).returncode == 0
    assert cli("check", str(EXAMPLE), "-q", "--fail-on", "lossy").returncode == 1
    for script in (f"ingress2gw check {EXAMPLE} -q --fail-on lossy --baseline <(cat {baseline})",
                   f"cat {baseline} | ingress2gw check {EXAMPLE} -q --fail-on lossy --baseline -"):
        r = sh(script)
        assert r.returncode == 0, (script, r.stderr.decode())


def test_verify_requests_and_gateway_manifests_from_streams(tmp_path: Path):
    req = tmp_path / "req.yaml"
    req.write_text("- {host: shop.example.com, path: /}\n")
    out = tmp_path / "out.yaml"
    out.write_bytes(cli("convert", str(EXAMPLE), "-q").stdout)
    for script in (f"ingress2gw verify {EXAMPLE} --requests <(cat {req}) --format json",
                   f"cat {req} | ingress2gw verify {EXAMPLE} --requests - --format json",
                   f"ingress2gw verify {EXAMPLE} --gateway-manifests <(cat {out}) --format json"):
        r = sh(script)
        no_traceback(r)
        assert r.returncode in (0, 1), (script, r.stderr.decode())
        assert json.loads(r.stdout)


def test_verify_reads_a_stream_input_twice_through_a_saved_copy():
    """verify reads its inputs twice; a process substitution used to verify nothing (0 requests, exit 0)."""
    plain = cli("verify", str(EXAMPLE), "--format", "json")
    r = sh(f"ingress2gw verify <(cat {EXAMPLE}) --format json")
    assert r.returncode == plain.returncode, r.stderr.decode()
    assert json.loads(r.stdout)["summary"]["requests"] == json.loads(plain.stdout)["summary"]["requests"] > 0
    r = sh("ingress2gw verify <(true)")
    assert r.returncode == 2 and b"no input found: no Kubernetes manifests in /dev/fd/" in r.stderr


def test_crds_import_from_process_substitution(crds: Path, tmp_path: Path):
    r = sh(f"ingress2gw crds import {crd_stream(crds)} --dest {tmp_path / 'store'}")
    assert r.returncode == 0, r.stderr.decode()
    assert list((tmp_path / "store" / "gateway-api").rglob("*.json"))


# 2. The README workflow: validate skips what is not a Kubernetes object ----------------------------------------

def test_readme_workflow_validate_skips_report_and_plain_yaml(crds: Path, tmp_path: Path):
    gw = tmp_path / "gateway"
    r = cli("convert", str(EXAMPLE), "-q", "--output-dir", str(gw), "--report", str(gw / "report.json"))
    assert r.returncode == 0, r.stderr
    (gw / "values.yaml").write_text("- just\n- a list\n")
    r = cli("validate", str(gw), "--crds", str(crds))
    assert r.returncode == 0, r.stdout + r.stderr
    assert b"report.json:1: note: document 1 has no apiVersion and no kind" in r.stderr
    assert b"values.yaml:1:1: note:" in r.stderr
    assert b"2 document(s) skipped (not Kubernetes objects)" in r.stdout
    data = json.loads(cli("validate", str(gw), "--crds", str(crds), "--format", "json").stdout)
    assert data["exitCode"] == 0 and data["summary"]["notObjects"] == 2
    # a kind without apiVersion is still an invalid object, not skipped
    (gw / "half.yaml").write_text("kind: HTTPRoute\nmetadata: {name: x}\n")
    assert cli("validate", str(gw), "--crds", str(crds)).returncode == 1


# 3. The gate says which findings tripped it ---------------------------------------------------------------------

def test_check_gate_prints_the_findings_that_tripped_it():
    r = cli("check", str(EXAMPLE), "--fail-on", "unsupported", "--no-color")
    assert r.returncode == 1
    text = r.stdout.decode()
    assert "failing the gate (1, the worst first):" in text
    assert re.search(r"^  \S*cluster\.yaml:\d+:\d+: \w+\[[\w.-]+\] ", text, re.M), text
    json_run = cli("check", str(EXAMPLE), "--fail-on", "unsupported", "--format", "json")
    assert json.loads(json_run.stdout)  # stdout stays JSON; the gate's lines go to stderr
    assert b"failing the gate (1" in json_run.stderr
    assert cli("check", str(EXAMPLE), "--fail-on", "never").stdout.count(b"failing the gate") == 0


def test_convert_gate_prints_the_worst_findings_on_stderr_and_a_count_of_the_rest(tmp_path: Path):
    many = "".join(
        f"---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: w{i}\n  namespace: d\n"
        f"  annotations: {{nginx.ingress.kubernetes.io/proxy-body-size: 8m}}\nspec:\n  ingressClassName: nginx\n"
        f"  rules:\n  - host: w{i}.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n"
        f"        backend: {{service: {{name: web, port: {{number: 80}}}}}}\n" for i in range(13))
    r = cli("convert", "-", "-q", "--fail-on", "lossy", stdin=many)
    assert r.returncode == 1
    assert r.stdout.startswith(b"apiVersion") or b"kind: HTTPRoute" in r.stdout  # stdout is only YAML
    err = r.stderr.decode()
    assert "gate --fail-on lossy:" in err and "the worst first):" in err
    shown = [line for line in err.splitlines() if line.startswith("  -:") or line.startswith("  <stdin>")
             or re.match(r"^  \S+: \w+\[", line)]
    assert len(shown) == 10, err
    assert re.search(r"… and \d+ more at or above 'lossy'", err), err
    assert "failing the gate" not in r.stdout.decode()


# 4. No input found is exit 2 naming the paths -------------------------------------------------------------------

@pytest.mark.parametrize("command", ["convert", "check", "verify"])
def test_empty_directory_or_nothing_on_stdin_is_exit_2(command: str, tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no manifests here\n")
    r = cli(command, str(empty))
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"no input found: no Kubernetes manifests in {empty}".encode() in r.stderr
    r = cli(command, "-", stdin=b"")
    assert r.returncode == 2 and b"no input found" in r.stderr and b"in stdin" in r.stderr
    r = cli(command, str(tmp_path / "typo"))
    assert r.returncode == 2 and b"typo" in (r.stdout + r.stderr)
    no_traceback(r)


# 5. Conflicting options are usage errors naming both --------------------------------------------------------------

@pytest.mark.parametrize("args, names", [
    (["check", "-n", "shop", "-A"], [b"--namespace", b"--all-namespaces"]),
    (["convert", "--gateway", "gw/main", "--gateway-mode", "per-namespace"], [b"--gateway ", b"--gateway-mode"]),
    (["convert", "--crds", "crds/"], [b"--crds", b"--validate"]),
    (["convert", "--prune"], [b"--prune", b"--output-dir"]),
    (["check", "--baseline", "a.json", "--write-baseline", "b.json"], [b"--baseline", b"--write-baseline"]),
    (["verify", "-n", "shop", "--all-namespaces"], [b"--namespace", b"--all-namespaces"]),
])
def test_conflicting_options_are_usage_errors(args, names):
    r = cli(*args[:1], str(EXAMPLE), *args[1:])
    assert r.returncode == 2, r.stderr
    for name in names:
        assert name in r.stderr, r.stderr


# 6. -h, completion, examples, metavars ----------------------------------------------------------------------------

COMMANDS = [["convert"], ["check"], ["annotations"], ["verify"], ["validate"], ["version"], ["completion"],
            ["crds", "import"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_dash_h_examples_and_readable_metavars(command):
    short, long = cli(*command, "-h"), cli(*command, "--help")
    assert short.returncode == 0 and short.stdout == long.stdout
    text = short.stdout.decode()
    assert "Examples:" in text
    assert "<list[str]>" not in text and "<str>" not in text and "<path>" not in text, text
    assert "-h, --help" in text


def test_root_dash_h_and_emitter_choices():
    assert cli("-h").stdout == cli("--help").stdout and b"Examples:" in cli("-h").stdout
    text = cli("convert", "-h").stdout.decode()
    assert "--emitter [standard|kgateway|envoy-gateway|nginx-gateway-fabric|istio|traefik]" in text
    assert "--gateway-mode [shared|per-namespace]" in text
    assert "--fail-on [never|unknown|unsupported|lossy|warning]" in text
    assert "-n, --namespace NAMESPACE" in text and "--output-dir DIR" in text and "--report FILE" in text
    assert "--emitter [standard|" in cli("annotations", "-h").stdout.decode()


def test_help_does_not_import_emitters_or_heavy_modules():
    code = ("import sys; sys.argv=['ingress2gw', '--help']\nfrom ingress2gw import cli\ntry:\n    cli.main()\n"
            "except SystemExit:\n    pass\nheavy = [m for m in sys.modules if m.startswith(('ingress2gw.emitters.', "
            "'jinja2', 'pydantic', 'ingress2gw.pipeline'))]\nprint(heavy, file=sys.stderr)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert r.stderr.strip().endswith(b"[]"), r.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_a_script(shell):
    r = cli("completion", shell)
    assert r.returncode == 0
    assert b"_INGRESS2GW_COMPLETE" in r.stdout and b"ingress2gw" in r.stdout
    assert cli("completion", "tcsh").returncode == 2


def test_completion_script_completes_commands():
    r = subprocess.run([sys.executable, "-m", "ingress2gw"], capture_output=True, timeout=60, env={
        **os.environ, "_INGRESS2GW_COMPLETE": "complete_bash", "COMP_WORDS": "ingress2gw con", "COMP_CWORD": "1"})
    assert r.stdout.split() == [b"convert"], r.stdout + r.stderr


def _examples(command: list[str]) -> list[str]:
    text = cli(*command, "-h").stdout.decode()
    return [line.strip() for line in text.split("Examples:", 1)[1].splitlines() if line.strip()]


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != ["completion"]] + [[]], ids=" ".join)
def test_examples_run_against_examples_cluster_yaml(command, tmp_path: Path, crds: Path):
    """Every example of every --help runs (kubectl stands in for a cluster that holds examples/cluster.yaml and
    the Gateway API CRDs); none is a usage error."""
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    (tmp_path / "standard-install.yaml").write_text("".join("---\n" + f.read_text() for f in sorted(crds.glob("*.yaml"))))
    kubectl = (f"kubectl() {{ case \"$2\" in ingress) cat examples/cluster.yaml;; crd) for f in {crds}/*.yaml; do "
               "echo ---; cat \"$f\"; done;; esac; }\n")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    for example in _examples(command):
        r = sh(kubectl + example, cwd=tmp_path, env=env)
        no_traceback(r)
        assert r.returncode in (0, 1), (example, r.stderr.decode())
        assert b"error:" not in r.stderr, (example, r.stderr.decode())


def test_completion_examples_are_sourceable(tmp_path: Path):
    r = sh("source <(ingress2gw completion bash) && complete -p ingress2gw", cwd=tmp_path)
    assert r.returncode == 0 and b"ingress2gw" in r.stdout, r.stderr


def test_version_output():
    r = cli("version")
    assert r.returncode == 0 and r.stdout.startswith(b"ingress2gw ")


# 7. Output directories: checked before any work -------------------------------------------------------------------

def test_report_extension_is_refused_before_any_output(tmp_path: Path):
    r = cli("convert", str(EXAMPLE), "-q", "-o", str(tmp_path / "out"), "--report", str(tmp_path / "x.pdf"))
    assert r.returncode == 2 and b"x.pdf" in r.stderr
    assert not (tmp_path / "out").exists()
    r = cli("check", str(EXAMPLE), "--report", str(tmp_path / "x.pdf"))
    assert r.returncode == 2 and r.stdout == b""


def test_output_dir_that_is_a_file_is_a_clear_error(tmp_path: Path):
    f = tmp_path / "afile"
    f.write_text("keep\n")
    for target in (f, f / "sub"):
        r = cli("convert", str(EXAMPLE), "-q", "-o", str(target))
        assert r.returncode == 2
        assert b"Errno" not in r.stderr and str(f).encode() in r.stderr and b"not a directory" in r.stderr
    assert f.read_text() == "keep\n"


def test_stale_files_are_reported_and_pruned(tmp_path: Path):
    out = tmp_path / "out"
    assert cli("convert", str(EXAMPLE), "-q", "-o", str(out)).returncode == 0
    r = cli("convert", str(EXAMPLE), "-q", "-o", str(out), "-n", "shop")
    assert r.returncode == 0
    assert re.search(rb"note: \d+ stale file\(s\) in .*out written by an earlier run", r.stderr), r.stderr
    assert b"--prune removes them" in r.stderr
    assert (out / "demo").exists()
    r = cli("convert", str(EXAMPLE), "-q", "-o", str(out), "-n", "shop", "--prune")
    assert r.returncode == 0 and b"removed" in r.stderr
    assert not (out / "demo").exists()
    r = cli("convert", str(EXAMPLE), "-q", "-o", str(out), "-n", "shop")
    assert b"stale" not in r.stderr
