"""Whole manifests, plausible and hostile, through every emitter and every command.

Whatever the input: no exception escapes (a traceback is a bug), the exit code is 0, 1 or 2, every object
written passes ``validate`` (CRD schema and CEL rules of the targeted version, channel and implementation), no
control character reaches the output or the report, and no Secret data is ever written.

The short run is part of the suite (a fixed set of examples, the same on every run, so CI is reproducible).
``make fuzz`` runs the long one with fresh random examples: ``INGRESS2GW_FUZZ_EXAMPLES`` sets how many per test
and ``INGRESS2GW_FUZZ_RANDOM=1`` draws new ones.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from conftest import crdset_for, shared_root
from fuzz.strategies import HUGE_INT, manifests, raw_text

EXAMPLES = int(os.environ.get("INGRESS2GW_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("INGRESS2GW_FUZZ_RANDOM") != "1",
                database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much, HealthCheck.large_base_example])

EMITTERS = ("standard", "kgateway", "envoy-gateway", "nginx-gateway-fabric", "istio", "traefik")
TARGETS = (("1.6", "standard"), ("1.6", "experimental"), ("1.2", "standard"), ("1.2", "experimental"))
#: Control characters (C0 but newline, DEL, C1): never in what the tool writes.
CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")
#: Secret data the inputs carry: it must never appear in anything written.
SECRET_VALUE = "c2VjcmV0LXZhbHVlLW5ldmVyLXdyaXR0ZW4="
SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls", "namespace": "shop"},
          "type": "kubernetes.io/tls", "data": {"tls.crt": SECRET_VALUE, "tls.key": SECRET_VALUE}}


def _invoke(args: list[str], data: bytes | None = None):
    from typer.testing import CliRunner

    from ingress2gw.cli import app

    result = CliRunner().invoke(app, args, input=data)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback: the bug the fuzz run is looking for
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output[-2000:])
    return result


def _clean(data: bytes, what: str) -> None:
    m = CONTROL.search(data)
    assert m is None, f"control character {m.group()!r} in {what}: {data[max(0, m.start() - 80):m.end() + 80]!r}"
    assert SECRET_VALUE.encode() not in data, f"Secret data in {what}"


def _crds(emitter: str, version: str, channel: str):
    if not (shared_root() / "crds").exists():
        return None
    from ingress2gw.emitters import load_emitter

    extra = () if emitter == "standard" else (load_emitter(emitter).crd_bundle,)
    return crdset_for(version, channel, extra)


@FUZZ
@given(st.data(), manifests(), st.sampled_from(EMITTERS), st.sampled_from(TARGETS))
def test_convert_never_fails_and_writes_only_valid_clean_objects(data, docs, emitter, target):
    from ingress2gw.validate import validate_object

    raw = data.draw(raw_text(docs + [SECRET]))
    version, channel = target
    work = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        out = work / "out"
        r = _invoke(["convert", "-", "--emitter", emitter, "--gateway-api-version", version, "--channel", channel,
                     "--output-dir", str(out), "--report", str(work / "report.json")], raw)
        report = (work / "report.json").read_bytes()
        _clean(report, "the report")
        json.loads(report)
        written = sorted(out.rglob("*")) if out.exists() else []
        assert all(p.resolve().is_relative_to(out.resolve()) for p in written)
        crds = _crds(emitter, version, channel)
        for path in (p for p in written if p.is_file() and p.suffix == ".yaml"):  # (not the run's manifest)
            text = path.read_bytes()
            _clean(text, str(path.relative_to(work)))
            for obj in YAML(typ="safe", pure=True).load_all(text):
                if obj and crds is not None:
                    problems = validate_object(crds, obj)
                    assert not problems, (path.name, [f"{p.field}: {p.message}" for p in problems])
        _clean(r.stdout_bytes, "standard output")
    finally:
        shutil.rmtree(work, ignore_errors=True)


@FUZZ
@given(st.data(), manifests(), st.sampled_from(("text", "json", "sarif", "github", "markdown", "html")),
       st.sampled_from(("never", "unknown", "unsupported", "lossy", "warning")))
def test_check_never_fails(data, docs, fmt, fail_on):
    raw = data.draw(raw_text(docs + [SECRET]))
    r = _invoke(["check", "-", "--format", fmt, "--fail-on", fail_on], raw)
    assert SECRET_VALUE not in r.output
    if fmt in ("json", "sarif"):
        json.loads(r.stdout)


@FUZZ
@given(st.data(), manifests(), st.sampled_from(EMITTERS), st.sampled_from(("text", "json", "markdown")))
def test_verify_never_fails(data, docs, emitter, fmt):
    raw = data.draw(raw_text(docs + [SECRET]))
    r = _invoke(["verify", "-", "--emitter", emitter, "--format", fmt], raw)
    assert SECRET_VALUE not in r.output
    if fmt == "json" and r.exit_code != 2:
        json.loads(r.stdout)


@FUZZ
@given(st.data(), manifests(), st.sampled_from(EMITTERS), st.sampled_from(TARGETS))
def test_validate_accepts_everything_convert_writes(data, docs, emitter, target):
    """The command users run on the output (``validate``) agrees: exit 0 on whatever convert wrote."""
    if not (shared_root() / "crds").exists():
        pytest.skip("../shared/crds not available: validate needs the CRD bundles; CI always has them")
    raw = data.draw(raw_text(docs))
    version, channel = target
    r = _invoke(["convert", "-", "-q", "--emitter", emitter, "--gateway-api-version", version, "--channel",
                 channel], raw)
    if not r.stdout.strip():
        return
    from ingress2gw.emitters import load_emitter

    crds = shared_root() / "crds"
    bundle = {"1.6": "v1.6.1", "1.2": "v1.2.1"}[version]
    args = ["validate", "-", "--crds", str(crds / "gateway-api" / bundle / channel)]
    if emitter != "standard":
        args += ["--crds", str(crds / load_emitter(emitter).crd_bundle)]
    v = _invoke(args, r.stdout_bytes)
    assert v.exit_code == 0, v.output[-3000:]


@FUZZ
@given(manifests(), st.randoms(use_true_random=False))
def test_the_report_does_not_depend_on_the_order_of_the_files(docs, rnd):
    """One file per document, given in two orders: the same report, word for word (locations included)."""
    from ingress2gw.yaml_writer import dump_documents

    work = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        files = []
        for i, doc in enumerate(docs):
            path = work / f"doc-{i:02d}.yaml"
            path.write_text(dump_documents([doc]).replace(f"'{HUGE_INT}'", "9" * 5000).replace(HUGE_INT, "9" * 5000))
            files.append(str(path))
        shuffled = list(files)
        rnd.shuffle(shuffled)
        a = _invoke(["check", *files, "--format", "json", "--fail-on", "never"])
        b = _invoke(["check", *shuffled, "--format", "json", "--fail-on", "never"])
        assert a.stdout == b.stdout
    finally:
        shutil.rmtree(work, ignore_errors=True)
