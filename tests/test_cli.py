"""The command line as users run it: inputs, outputs, exit codes, safety guarantees."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "cluster.yaml"

INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: {ns}
  annotations: {annotations}
spec:
  ingressClassName: {cls}
  rules:
  - host: {host}
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {{name: web, port: {{number: 80}}}}
"""


def ingress(name="web", ns="default", host="web.example.com", cls="nginx", annotations="{}"):
    return INGRESS.format(name=name, ns=ns, host=host, cls=cls, annotations=annotations)


def cli(*args, stdin: str | bytes | None = None, env: dict | None = None, cwd: Path | None = None):
    full_env = {**os.environ, **(env or {})}
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run([sys.executable, "-m", "ingress2gw", *args], input=data, capture_output=True,
                          env=full_env, cwd=cwd, timeout=120)


def test_stdin_dash_and_piped_stdin_without_path():
    text = ingress()
    a = cli("convert", "-", "-q", stdin=text)
    b = cli("convert", "-q", stdin=text)
    assert a.returncode == 0, a.stderr
    assert a.stdout == b.stdout
    assert b"kind: HTTPRoute" in a.stdout and b"web.example.com" in a.stdout


def test_directory_is_read_recursively_with_suffix_filter(tmp_path: Path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "one.yaml").write_text(ingress(name="one", host="one.example.com"))
    (tmp_path / "a" / "b" / "two.YML").write_text(ingress(name="two", host="two.example.com"))
    (tmp_path / "a" / "b" / "three.json").write_text(json.dumps({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "three", "namespace": "default"},
        "spec": {"ingressClassName": "nginx", "rules": [{"host": "three.example.com", "http": {"paths": [
            {"path": "/", "pathType": "Prefix",
             "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}))
    (tmp_path / "a" / "notes.txt").write_text(ingress(name="ignored", host="ignored.example.com"))
    r = cli("convert", str(tmp_path), "-q")
    assert r.returncode == 0, r.stderr
    for host in (b"one.example.com", b"two.example.com", b"three.example.com"):
        assert host in r.stdout
    assert b"ignored.example.com" not in r.stdout


def test_output_dir_files_and_report(tmp_path: Path):
    out = tmp_path / "out"
    r = cli("convert", str(EXAMPLE), "--output-dir", str(out), "--report", str(tmp_path / "r.json"), "-q")
    assert r.returncode == 0, r.stderr
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml"))
    assert "gateway-system/gateway-nginx.yaml" in files
    assert "shop/httproute-shop-example-com.yaml" in files
    assert r.stdout == b""
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["schemaVersion"] == 1
    assert report["summary"]["ingresses"]["total"] == 3


def test_never_writes_outside_output_dir():
    from ingress2gw.output import write_objects

    evil = {"apiVersion": "v1", "kind": "HTTPRoute", "metadata": {"name": "../../escape", "namespace": ".."}}
    with pytest.raises(OSError):
        write_objects([evil], Path("/tmp/ingress2gw-test-out"), sys.stdout)
    assert not Path("/tmp/escape.yaml").exists()


def test_hostile_class_name_becomes_a_safe_gateway_name(tmp_path: Path):
    r = cli("convert", "-", "--provider", "ingress-nginx", "-o", str(tmp_path / "o"), "-q",
            stdin=ingress(cls="../../etc"))
    assert r.returncode == 0, r.stderr
    names = [p.name for p in (tmp_path / "o").rglob("*.yaml")]
    assert any(n.startswith("gateway-etc--") for n in names), names
    assert all(p.resolve().is_relative_to((tmp_path / "o").resolve()) for p in (tmp_path / "o").rglob("*"))


def test_secret_data_and_unknown_annotations_never_reach_the_output():
    secret = ("apiVersion: v1\nkind: Secret\nmetadata: {name: web-tls, namespace: default}\ntype: kubernetes.io/tls\n"
              "data: {tls.crt: U1VQRVJTRUNSRVRDRVJU, tls.key: U1VQRVJTRUNSRVRLRVk=}\n")
    text = secret + "---\n" + ingress(annotations='{"nginx.ingress.kubernetes.io/totally-made-up": "x", '
                                                  '"example.com/team": "payments"}')
    r = cli("convert", "-", stdin=text)
    assert b"U1VQRVJTRUNSRVRDRVJU" not in r.stdout and b"U1VQRVJTRUNSRVRLRVk" not in r.stdout
    assert b"totally-made-up" not in r.stdout and b"example.com/team" not in r.stdout
    assert b"annotation.unknown" in r.stderr


@pytest.mark.parametrize("fail_on,expected", [
    ("never", 0), ("unknown", 0), ("unsupported", 1), ("lossy", 1), ("warning", 1),
])
def test_check_exit_codes_per_fail_on(fail_on, expected):
    text = ingress(annotations='{"nginx.ingress.kubernetes.io/proxy-body-size": "8m"}')
    r = cli("check", "-", "--fail-on", fail_on, stdin=text)
    assert r.returncode == expected, (r.stdout, r.stderr)


def test_check_fails_on_unknown_only_when_asked():
    text = ingress(annotations='{"nginx.ingress.kubernetes.io/made-up": "1"}')
    assert cli("check", "-", "--fail-on", "unknown", stdin=text).returncode == 1
    assert cli("check", "-", "--fail-on", "never", stdin=text).returncode == 0


def test_check_default_fail_on_is_unsupported():
    clean = cli("check", "-", stdin=ingress())
    assert clean.returncode == 0, clean.stdout
    bad = cli("check", "-", stdin=ingress(annotations='{"nginx.ingress.kubernetes.io/proxy-body-size": "8m"}'))
    assert bad.returncode == 1


def test_check_json_format():
    r = cli("check", "-", "--format", "json", stdin=ingress())
    doc = json.loads(r.stdout)
    assert doc["schemaVersion"] == 1 and isinstance(doc["findings"], list)


def test_unreadable_input_exits_2_but_converts_the_rest(tmp_path: Path):
    good = tmp_path / "good.yaml"
    good.write_text(ingress())
    r = cli("convert", str(good), str(tmp_path / "missing.yaml"))
    assert r.returncode == 2
    assert b"kind: HTTPRoute" in r.stdout
    assert b"missing.yaml" in r.stderr


def test_malformed_yaml_names_file_and_line_without_traceback(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(ingress() + "---\nkind: Ingress\nmetadata: {name: x\n")
    r = cli("convert", str(bad))
    assert r.returncode == 2
    assert b"Traceback" not in r.stderr
    import re

    # Where the errors point (the valid Ingress above has findings of its own, at its own lines).
    lines = [int(m) for m in re.findall(rf"{re.escape(str(bad))}:(\d+):\d+: error".encode(), r.stderr)]
    doc_start = ingress().count("\n") + 2
    assert lines and all(doc_start <= n <= doc_start + 3 for n in lines), (lines, r.stderr)
    assert b"web.example.com" in r.stdout


@pytest.mark.parametrize("args", [
    ["convert", "-", "--channel", "beta"],
    ["convert", "-", "--gateway-api-version", "0.9"],
    ["convert", "-", "--provider", "haproxy"],
    ["convert", "-", "--gateway", "no-slash"],
    ["check", "-", "--fail-on", "sometimes"],
])
def test_usage_errors_exit_2(args):
    r = cli(*args, stdin=ingress())
    assert r.returncode == 2, r
    assert b"Traceback" not in r.stderr


def test_version_and_module_entry_point():
    r = cli("--version")
    assert r.returncode == 0 and r.stdout.startswith(b"ingress2gw ")
    assert cli("version").stdout == r.stdout


def test_annotations_command_lists_registry():
    r = cli("annotations", "--provider", "ingress-nginx", "--format", "json")
    rows = json.loads(r.stdout)["annotations"]
    keys = {row["key"] for row in rows}
    assert "nginx.ingress.kubernetes.io/ssl-redirect" in keys
    assert "nginx.ingress.kubernetes.io/rewrite-target" in keys
    assert cli("annotations", "--provider", "nope").returncode == 2


def test_namespace_filter_reports_skipped():
    text = ingress(name="a", ns="one", host="a.example.com") + "---\n" + ingress(name="b", ns="two",
                                                                                  host="b.example.com")
    r = cli("check", "-", "-n", "one", "--format", "json", stdin=text)
    doc = json.loads(r.stdout)
    skipped = [f for f in doc["findings"] if f["code"] == "ingress.namespace-filtered"]
    assert [f["object"]["name"] for f in skipped] == ["b"]
    assert b"b.example.com" not in cli("convert", "-", "-n", "one", stdin=text).stdout


def test_companion_keys_follow_their_main_key_under_an_implementation_emitter():
    """auth-secret/auth-realm are read with auth-type: when the emitter turns basic auth into its policy, the
    companions are not left as 'needs a policy' (which would fail `check --emitter X` for nothing)."""
    inp = REPO / "fixtures" / "emitter-envoy-gateway" / "basic-auth" / "input.yaml"
    standard = json.loads(cli("check", str(inp), "--format", "json").stdout)
    eg = json.loads(cli("check", str(inp), "--format", "json", "--emitter", "envoy-gateway").stdout)

    def codes(doc, suffix):
        return {f["code"] for f in doc["findings"] if (f["annotation"] or "").endswith(suffix)}

    assert "annotation.policy" in codes(standard, "/auth-secret")
    # written as Envoy Gateway's policy; lossy where the finding says what differs ({SHA} hashes only)
    assert codes(eg, "/auth-type") & {"annotation.policy-emitted", "annotation.lossy"}
    assert codes(eg, "/auth-secret") and "annotation.policy" not in codes(eg, "/auth-secret")
