"""Hostile input: huge integers, files that are not regular files, and huge snippets (docs/limits.md).

No test here is timed (the project forbids timed tests); the subprocess timeouts only keep a regression from
hanging the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingress2gw.plugin import MAX_INT_DIGITS, Code, parse_int
from ingress2gw.report import Report
from ingress2gw.source.loader import load_bytes, load_paths
from ingress2gw.source.objects import build_inventory

HUGE = "9" * 5000  # int() refuses more than 4300 digits

INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  annotations: {annotations}
spec:
  ingressClassName: nginx
  rules:
  - host: {name}.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: {port}
"""


def ingress(name: str, port: str = "80", annotations: str = "{}") -> str:
    return INGRESS.format(name=name, port=port, annotations=annotations)


def _translate_with_nginx(tmp_path: Path, annotations: dict) -> Report:
    """The ingress-nginx provider's translation of one Ingress with ``annotations``: its report."""
    from ingress2gw.plugin import Context
    from ingress2gw_nginx import provider

    src = tmp_path / "in.yaml"
    src.write_text(ingress("web", annotations=json.dumps(annotations)))
    report = Report()
    inventory = build_inventory(load_paths([str(src)]).documents, report)
    ctx = Context(inventory=inventory, options={})
    provider.configure(ctx, report)
    for ing in inventory.ingresses:
        provider.translate(ing, ctx, report, "nginx", "nginx")
    return report


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ingress2gw", *args], capture_output=True, cwd=cwd, timeout=120,
                          stdin=subprocess.DEVNULL)


# -- huge integers -----------------------------------------------------------------------------------------------


def test_parse_int_refuses_huge_numbers_without_raising():
    assert parse_int("42") == 42 and parse_int(" -7 ") == -7
    assert parse_int("9" * MAX_INT_DIGITS) == int("9" * MAX_INT_DIGITS)
    assert parse_int(HUGE) is None and parse_int("-" + HUGE) is None
    assert parse_int("0" * 10_000 + "5") == 5  # leading zeros do not count
    assert parse_int("abc") is None and parse_int("") is None and parse_int(None) is None


@pytest.mark.parametrize("literal", [HUGE, "-" + HUGE, "0x" + "f" * 4000, "0o" + "7" * 5000, "1_" * 4400 + "1"])
def test_yaml_huge_integer_is_reported_and_every_document_kept(literal):
    text = ingress("a", port=literal) + "---\n" + ingress("b")
    result = load_bytes(text.encode(), "in.yaml")
    assert [d.obj["metadata"]["name"] for d in result.documents] == ["a", "b"]
    problems = [(p.code, p.location.line) for p in result.problems]
    assert problems == [("input.invalid-object", 18)]
    assert "decimal digits" in result.problems[0].message
    port = result.documents[0].obj["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"]["number"]
    assert port == literal  # kept as its text, never as an int nothing can print


def test_yaml_huge_integer_with_int_tag_is_reported():
    result = load_bytes(f"a: !!int {HUGE}\nb: !!str {HUGE}\n".encode(), "in.yaml")
    assert [(p.code, p.location.line) for p in result.problems] == [("input.invalid-object", 1)]
    assert result.documents[0].obj == {"a": HUGE, "b": HUGE}


def test_yaml_long_numbers_below_the_limit_are_numbers():
    result = load_bytes(f"a: {'9' * MAX_INT_DIGITS}\nb: 0x{'f' * 3000}\nc: {HUGE}.5\n".encode(), "in.yaml")
    assert result.problems == []
    obj = result.documents[0].obj
    assert obj["a"] == int("9" * MAX_INT_DIGITS) and obj["b"] == int("f" * 3000, 16) and obj["c"] == float("inf")


def test_json_huge_integer_is_reported_at_its_line_and_every_object_kept():
    text = ('{"kind": "List", "apiVersion": "v1", "items": [\n'
            '  {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "a"},\n'
            f'   "data": {{"n": "x"}}, "x": {HUGE}}},\n'
            '  {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "b"}}\n'
            "]}\n")
    for source in ("in.json", "-"):  # a file, and stdin (sniffed as JSON)
        result = load_bytes(text.encode(), source)
        assert [d.obj["metadata"]["name"] for d in result.documents] == ["a", "b"]
        assert [(p.code, p.location.line) for p in result.problems] == [("input.invalid-object", 3)]
        assert result.documents[0].obj["x"] == HUGE


def test_huge_numbers_end_to_end_exit_like_any_bad_value(tmp_path: Path):
    """A huge port and huge numeric annotations: findings at file:line, no traceback, the other Ingress converted,
    and the exit code of an ordinary bad port (70000)."""
    anns = json.dumps({f"nginx.ingress.kubernetes.io/{k}": HUGE for k in (
        "proxy-connect-timeout", "proxy-next-upstream-tries", "proxy-buffers-number", "limit-rps",
        "limit-burst-multiplier", "session-cookie-max-age", "auth-tls-verify-depth", "custom-http-errors",
        "canary-weight", "cors-max-age", "limit-rate", "limit-rate-after", "upstream-hash-by-subset-size")})
    (tmp_path / "huge.yaml").write_text(ingress("huge", port=HUGE, annotations=anns) + "---\n" + ingress("ok"))
    (tmp_path / "bad.yaml").write_text(ingress("huge", port="70000") + "---\n" + ingress("ok"))
    (tmp_path / "huge.json").write_text(json.dumps({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                                                    "metadata": {"name": "j"}, "spec": {"ingressClassName": "nginx",
                                                    "defaultBackend": {"service": {"name": "web", "port": {
                                                        "number": 1}}}}}).replace('"number": 1', '"number": ' + HUGE))
    bad = cli("convert", "-q", "bad.yaml", cwd=tmp_path)
    for name in ("huge.yaml", "huge.json"):
        run = cli("convert", "-q", name, "--report", "r.json", cwd=tmp_path)
        assert b"Traceback" not in run.stderr, run.stderr.decode()[-2000:]
        assert run.returncode == bad.returncode == 2
        findings = json.loads((tmp_path / "r.json").read_text())["findings"]
        invalid = [f for f in findings if f["code"] == "input.invalid-object"]
        assert invalid and all(f["location"]["file"] == name and f["location"]["line"] > 0 for f in invalid)
    huge_yaml = cli("convert", "-q", "huge.yaml", cwd=tmp_path)
    assert b"ok.example.com" in huge_yaml.stdout


def test_nginx_huge_numeric_annotations_are_invalid_values(tmp_path: Path):
    anns = {f"nginx.ingress.kubernetes.io/{k}": HUGE for k in (
        "proxy-next-upstream-tries", "proxy-buffers-number", "limit-rps", "custom-http-errors")}
    report = _translate_with_nginx(tmp_path, anns)
    invalid = {f.annotation for f in report.findings if f.code is Code.ANNOTATION_INVALID_VALUE}
    assert set(anns) <= invalid


def test_traefik_huge_priority_is_an_invalid_value(tmp_path: Path):
    text = ingress("web", annotations=json.dumps({"traefik.ingress.kubernetes.io/router.priority": HUGE,
                                                  "traefik.ingress.kubernetes.io/service.sticky.cookie": "true",
                                                  "traefik.ingress.kubernetes.io/service.sticky.cookie.maxage": HUGE}))
    (tmp_path / "in.yaml").write_text(text.replace("ingressClassName: nginx", "ingressClassName: traefik"))
    run = cli("convert", "-q", "in.yaml", "--report", "r.json", cwd=tmp_path)
    assert b"Traceback" not in run.stderr, run.stderr.decode()[-2000:]
    findings = json.loads((tmp_path / "r.json").read_text())["findings"]
    assert any(f["code"] == "annotation.invalid-value" and f.get("annotation", "").endswith("router.priority")
               for f in findings), [f["code"] for f in findings]


# -- files that are not regular files ----------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_fifo_in_a_directory_or_named_is_skipped_without_blocking(tmp_path: Path):
    """Nobody writes to the FIFO: opening it for reading would block forever. The subprocess timeout only keeps a
    regression from hanging the suite."""
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.yaml").write_text(ingress("a"))
    os.mkfifo(d / "pipe.yaml")
    result = load_paths([str(d)])
    assert [doc.obj["metadata"]["name"] for doc in result.documents] == ["a"]
    assert [(p.code, p.location.file) for p in result.problems] == [("input.unreadable", str(d / "pipe.yaml"))]
    assert "named pipe" in result.problems[0].message

    run = cli("convert", "-q", "in", "--report", "r.json", cwd=tmp_path)
    assert run.returncode == 2 and b"a.example.com" in run.stdout
    findings = json.loads((tmp_path / "r.json").read_text())["findings"]
    assert [(f["code"], f["location"]["file"]) for f in findings if f["code"].startswith("input.")] == [
        ("input.unreadable", os.path.join("in", "pipe.yaml"))]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_named_on_the_command_line_is_read_as_a_stream(tmp_path: Path):
    """``ingress2gw convert <(kubectl get ingress -A -o yaml)`` names a pipe: it is read like stdin."""
    import threading

    pipe = tmp_path / "stream"
    os.mkfifo(pipe)

    def write():
        with open(pipe, "w") as f:
            f.write(ingress("streamed"))

    writer = threading.Thread(target=write)
    writer.start()
    result = load_paths([str(pipe)])
    writer.join(timeout=10)
    assert [doc.obj["metadata"]["name"] for doc in result.documents] == ["streamed"] and not result.problems


def test_device_given_as_a_path_is_skipped():
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    result = load_paths(["/dev/zero"])  # read, it would fill MAX_FILE_BYTES of NULs
    assert result.documents == []
    assert [p.code for p in result.problems] == ["input.unreadable"] and "device" in result.problems[0].message


# -- snippets ----------------------------------------------------------------------------------------------------


def test_two_megabyte_single_word_snippet_converts(tmp_path: Path):
    """A 2 MB configuration-snippet of one word. Snippet parsing must stay linear: when it rebuilt the word one
    character at a time (quadratic), 400 KB took seconds and this input would hang the suite; now it completes
    at once. (Not a timed test: it asserts the result.)"""
    from ingress2gw_nginx.annotations.snippets import _statements, describe

    word = "x" * 2_000_000
    assert _statements(word) == [[word]]
    assert _statements(f'"{word}" y;') == [[word, "y"]]
    assert describe(word) == [f"other directives: {word}"]
    report = _translate_with_nginx(tmp_path, {"nginx.ingress.kubernetes.io/configuration-snippet": word})
    security = [f for f in report.findings if f.code is Code.ANNOTATION_SECURITY]
    assert len(security) == 1 and security[0].annotation.endswith("configuration-snippet")


def test_many_distinct_directives_are_listed_once_each():
    """Deduplication of directives is constant time per directive (it was a list scan: quadratic)."""
    from ingress2gw_nginx.annotations.snippets import describe

    text = "".join(f"d{i} on;\n" for i in range(50_000)) + "d7 off;\n"
    (other,) = describe(text)
    assert other.count(", ") == 49_999 and other.startswith("other directives: d0, d1, ")


# -- a bad byte loses at most its document ------------------------------------------------------------------------


def test_a_bad_byte_loses_only_the_document_it_is_in(tmp_path: Path):
    """A NUL or a byte that is not UTF-8 makes its YAML document input.binary (at the byte's line); the other
    documents of the file are read, with their own line numbers."""
    docs = [ingress("first"), ingress("second").replace("nginx", "ng\0inx"), ingress("third"),
            ingress("fourth").replace("web", "w\xe9b")]
    raw = b"---\n".join(d.encode() if "\xe9" not in d else d.encode("latin-1") for d in docs)
    (tmp_path / "in.yaml").write_bytes(raw)
    result = load_paths([str(tmp_path / "in.yaml")])
    assert [d.obj["metadata"]["name"] for d in result.documents] == ["first", "third"]
    problems = [(p.code, p.location.line) for p in result.problems]
    lines = raw.split(b"\n")
    nul_line = next(i for i, line in enumerate(lines, 1) if b"\0" in line)
    latin_line = next(i for i, line in enumerate(lines, 1) if b"\xe9" in line)
    assert problems == [("input.binary", nul_line), ("input.binary", latin_line)]
    third = result.documents[1]
    assert lines[third.line - 1].startswith(b"apiVersion") and b"third" in b"\n".join(lines[third.line:third.line + 3])


def test_a_file_that_is_binary_throughout_is_refused_whole(tmp_path: Path):
    (tmp_path / "blob.yaml").write_bytes(bytes(range(256)) * 4)
    result = load_paths([str(tmp_path / "blob.yaml")])
    assert result.documents == [] and [p.code for p in result.problems] == ["input.binary"]
