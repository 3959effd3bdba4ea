"""Reading a cluster through kubectl (ingress2gw.source.cluster), against a stand-in kubectl on PATH.

tests/data/kubectl/kubectl serves the recorded answers of tests/data/kubectl/recorded/ and logs every argv.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from unittest import mock

import pytest

from ingress2gw.source import cluster
from ingress2gw.source.cluster import ClusterError, fetch_cluster, kubectl_command, read_cluster

STANDIN = Path(__file__).resolve().parent / "data" / "kubectl"
RECORDED = STANDIN / "recorded"
SCOPE = "ingresses.networking.k8s.io,services,middlewares.traefik.io"


@pytest.fixture
def kube(tmp_path, monkeypatch):
    """The stand-in first on PATH; returns a function giving the argv lists it was run with."""
    log = tmp_path / "kubectl.log"
    monkeypatch.setenv("PATH", f"{STANDIN}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("KUBECTL_STANDIN_LOG", str(log))
    for var in ("KUBECTL_STANDIN_FAIL", "KUBECTL_STANDIN_FORBID", "KUBECTL_STANDIN_API_RESOURCES",
                "KUBECTL_STANDIN_SLEEP"):
        monkeypatch.delenv(var, raising=False)

    def calls() -> list[list[str]]:
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]

    return calls


def items_of(data: bytes) -> list[tuple[str, str, str]]:
    return [(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in json.loads(data)["items"]]


# --- argv -------------------------------------------------------------------------------------------------


def test_kubectl_command_argv():
    assert kubectl_command(["ingresses.networking.k8s.io", "services"], all_namespaces=True) == [
        "kubectl", "get", "ingresses.networking.k8s.io,services", "-o", "json", "-A"]
    assert kubectl_command("services", context="prod", namespace="shop") == [
        "kubectl", "--context", "prod", "get", "services", "-o", "json", "-n", "shop"]
    assert kubectl_command("configmaps", all_namespaces=True, field_selector="metadata.name=x", kubectl="kc") == [
        "kc", "get", "configmaps", "-o", "json", "-A", "--field-selector", "metadata.name=x"]
    assert kubectl_command("configmaps", namespace="a", names=["m1", "m2"], ignore_not_found=True) == [
        "kubectl", "get", "configmaps", "m1", "m2", "-o", "json", "-n", "a", "--ignore-not-found"]
    with pytest.raises(ValueError):
        kubectl_command("services", namespace="a", all_namespaces=True)


def test_all_namespaces_runs_one_scope_call(kube):
    source, data = read_cluster(context=None, namespaces=[], all_namespaces=True)
    assert source == "cluster:current"
    calls = kube()
    assert calls[0] == ["api-resources", "-o", "name", "--verbs=list"]
    assert calls[1] == ["get", SCOPE, "-o", "json", "-A"]
    assert calls[2] == ["get", "ingressclasses.networking.k8s.io", "-o", "json"]
    names = cluster.CONFIGMAP_NAMES + cluster.STREAM_CONFIGMAP_NAMES
    assert calls[3:3 + len(names)] == [["get", "configmaps", "-o", "json", "-A", "--field-selector",
                                        f"metadata.name={n}"] for n in names]
    assert calls[3 + len(names):] == [["get", "configmaps", "custom-hdrs", "-o", "json", "-n", "shop", "--ignore-not-found"]]
    assert not any("secret" in " ".join(c).lower() for c in calls)


def test_several_namespaces_one_call_each_and_context(kube):
    source, data = read_cluster(context="prod", namespaces=["shop", "blog"], all_namespaces=False)
    assert source == "cluster:prod"
    calls = kube()
    assert all(c[:2] == ["--context", "prod"] for c in calls)
    gets = [c[2:] for c in calls if c[2] == "get"]
    assert gets[0] == ["get", SCOPE, "-o", "json", "-n", "shop"]
    assert gets[1] == ["get", SCOPE, "-o", "json", "-n", "blog"]
    assert sum(1 for g in gets if g[1] == "ingressclasses.networking.k8s.io") == 1  # cluster-scoped: once
    assert ("Ingress", "shop", "web") in items_of(data) and ("Ingress", "blog", "api") in items_of(data)


def test_no_namespace_uses_the_context_namespace(kube):
    read_cluster(context=None, namespaces=[], all_namespaces=False)
    scope = [c for c in kube() if c[:2] == ["get", SCOPE]]
    assert scope == [["get", SCOPE, "-o", "json"]]


def test_namespaces_and_all_namespaces_are_exclusive(kube):
    with pytest.raises(ClusterError):
        read_cluster(context=None, namespaces=["a"], all_namespaces=True)


def test_configmap_names_follow_the_nginx_provider():
    from ingress2gw_nginx.config import CONFIGMAP_NAMES

    assert cluster.CONFIGMAP_NAMES == CONFIGMAP_NAMES
    from ingress2gw_nginx.streams import NAMES

    assert cluster.STREAM_CONFIGMAP_NAMES == NAMES["TCP"] + NAMES["UDP"]


# --- output -----------------------------------------------------------------------------------------------


def test_output_is_one_sorted_stripped_list_without_secrets(kube):
    _, data = read_cluster(context=None, namespaces=[], all_namespaces=True)
    doc = json.loads(data)
    assert doc["apiVersion"] == "v1" and doc["kind"] == "List"
    assert items_of(data) == [
        ("ConfigMap", "ingress-nginx", "ingress-nginx-controller"),
        ("ConfigMap", "ingress-nginx", "tcp-services"),
        ("ConfigMap", "shop", "custom-hdrs"),
        ("Ingress", "blog", "api"),
        ("Ingress", "shop", "web"),
        ("IngressClass", "", "nginx"),
        ("IngressClass", "", "traefik"),
        ("Middleware", "blog", "strip"),
        ("Service", "blog", "api"),
        ("Service", "shop", "web"),
    ]
    text = data.decode()
    assert "managedFields" not in text
    assert cluster.LAST_APPLIED not in text
    assert "Secret" not in text.replace("secretName", "") and "PRIVATE-KEY" not in text
    assert "UNRELATED-PAYLOAD" not in text  # the big ConfigMap was dropped by name
    web = next(o for o in doc["items"] if o["kind"] == "Ingress" and o["metadata"]["name"] == "web")
    assert web["metadata"]["annotations"] == {"nginx.ingress.kubernetes.io/custom-headers": "shop/custom-hdrs"}
    assert web["spec"]["tls"][0]["secretName"] == "shop-tls"  # the name of the Secret is all that is kept


def test_output_does_not_depend_on_namespace_order(kube):
    _, one = read_cluster(context=None, namespaces=["shop", "blog"], all_namespaces=False)
    _, two = read_cluster(context=None, namespaces=["blog", "shop", "blog"], all_namespaces=False)
    _, every = read_cluster(context=None, namespaces=[], all_namespaces=True)
    assert one == two == every


def test_render_drops_secrets_and_unknown_kinds_and_duplicates():
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "a"},
              "data": {"k": "djE="}}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a"}}
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {
        "name": "s", "namespace": "a", "managedFields": [{}], "annotations": {cluster.LAST_APPLIED: "{}"}}}
    doc = json.loads(cluster.render([secret, pod, svc, dict(svc)]))
    assert doc["items"] == [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "a"}}]


# --- missing CRDs -----------------------------------------------------------------------------------------


def test_crds_not_installed_are_not_asked(kube):
    read_cluster(context=None, namespaces=[], all_namespaces=True)
    asked = ",".join(c[1] for c in kube() if c[0] == "get")
    assert "traefik.containo.us" not in asked and "ingressroutes" not in asked and "tlsstores" not in asked


def test_resource_type_the_server_does_not_have_is_dropped_and_the_call_repeated(kube, monkeypatch):
    monkeypatch.setenv("KUBECTL_STANDIN_API_RESOURCES", "api-resources-stale.txt")
    _, data = read_cluster(context=None, namespaces=[], all_namespaces=True)
    scope = [c[1] for c in kube() if c[0] == "get" and c[1].startswith("ingresses")]
    assert scope[0] == f"{SCOPE},tlsstores.traefik.io,middlewares.traefik.containo.us"
    assert scope[-1] == SCOPE
    assert ("Middleware", "blog", "strip") in items_of(data)


def test_forbidden_controller_configmaps_are_a_warning(kube, monkeypatch):
    monkeypatch.setenv("KUBECTL_STANDIN_FORBID", "configmaps")
    r = fetch_cluster(context=None, namespaces=["shop"], all_namespaces=False)
    assert [k for k, _, _ in items_of(r.data)].count("ConfigMap") == 0
    assert r.warnings and "forbidden" in r.warnings[0]
    assert ("Ingress", "shop", "web") in items_of(r.data)


def test_forbidden_scope_is_an_error(kube, monkeypatch):
    monkeypatch.setenv("KUBECTL_STANDIN_FORBID", "services")
    with pytest.raises(ClusterError, match="Forbidden"):
        read_cluster(context=None, namespaces=["shop"], all_namespaces=False)


# --- errors -----------------------------------------------------------------------------------------------


def test_kubectl_missing_from_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ClusterError, match="kubectl not found on PATH; install it or pass manifests instead"):
        read_cluster(context=None, namespaces=[], all_namespaces=True)


def test_kubectl_failing_names_the_command_and_its_stderr(kube, monkeypatch):
    monkeypatch.setenv("KUBECTL_STANDIN_FAIL", "error: current-context is not set\nsecond line\n" +
                       "".join(f"line {i}\n" for i in range(20)))
    with pytest.raises(ClusterError) as e:
        read_cluster(context=None, namespaces=[], all_namespaces=True)
    msg = str(e.value)
    assert "`kubectl api-resources -o name --verbs=list` failed (exit 1)" in msg
    assert "error: current-context is not set" in msg and "second line" in msg
    assert "line 19" not in msg and "more lines" in msg


def test_kubectl_timing_out(kube, monkeypatch):
    monkeypatch.setenv("KUBECTL_STANDIN_SLEEP", "5")
    with pytest.raises(ClusterError, match="timed out"):
        read_cluster(context=None, namespaces=[], all_namespaces=True, timeout=0.5)


def test_kubectl_printing_no_json(tmp_path, kube):
    fake = tmp_path / "kubectl"
    fake.write_text("#!/bin/sh\necho 'not json'\n")
    fake.chmod(0o755)
    with pytest.raises(ClusterError, match="did not print JSON"):
        read_cluster(context=None, namespaces=[], all_namespaces=True, kubectl=str(fake))


# --- through the real loader and pipeline -------------------------------------------------------------------


def test_bytes_load_build_an_inventory_and_convert(kube):
    from ingress2gw.pipeline import Options, run
    from ingress2gw.report import Report
    from ingress2gw.source.loader import load_bytes
    from ingress2gw.source.objects import build_inventory

    source, data = read_cluster(context="prod", namespaces=[], all_namespaces=True)
    loaded = load_bytes(data, source)
    assert loaded.problems == []
    report = Report()
    inv = build_inventory(loaded.documents, report)
    assert len(inv.ingresses) == 2 and len(inv.services) == 2 and len(inv.others.get("ConfigMap", [])) == 3
    assert "Secret" not in inv.others and len(inv.others.get("Middleware", [])) == 1

    with mock.patch("ingress2gw.source.loader.load_paths", return_value=load_bytes(data, source)):
        result = run(Options(paths=[source]))
    routes = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in result.objects if o["kind"] == "HTTPRoute"}
    assert {ns for ns, _ in routes} == {"shop", "blog"}
    findings = [f for f in result.report.sorted()]
    assert not [f.parsable() for f in findings if f.code.value.startswith("input.")]
    # The ConfigMaps were read: the controller one sets the defaults, the custom-headers one is translated.
    text = json.dumps(result.objects)
    assert "X-Served-By" in text
    assert any(f.location.file == source for f in findings if f.location is not None)


def test_bytes_convert_through_stdin(kube):
    """What the CLI can do without any change to the loader: hand the bytes over as stdin (``-``)."""
    import io

    from ingress2gw.pipeline import Options, run

    _, data = read_cluster(context=None, namespaces=[], all_namespaces=True)
    result = run(Options(paths=["-"]), stdin=io.BytesIO(data))
    assert sum(1 for o in result.objects if o["kind"] == "HTTPRoute") >= 2
    assert not [f.parsable() for f in result.report.sorted() if f.code.value.startswith("input.")]


# -- the command line: convert / check / verify --from-cluster ------------------------------------------------

def _cli(*args: str) -> subprocess.CompletedProcess:
    import sys

    return subprocess.run([sys.executable, "-m", "ingress2gw", *args], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=120)


def test_convert_from_cluster_reads_every_namespace_and_converts(kube):
    r = _cli("convert", "--from-cluster", "--context", "prod", "-q")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("kind: HTTPRoute") == 3 and "Traceback" not in r.stderr
    scoped = [c for c in kube() if "get" in c and SCOPE in c]
    assert scoped and all("-A" in c and c[:2] == ["--context", "prod"] for c in scoped)
    check = _cli("check", "--from-cluster", "-n", "shop", "--fail-on", "never", "--format", "json")
    assert check.returncode == 0, check.stderr
    assert {f["location"]["file"] for f in json.loads(check.stdout)["findings"]} <= {"cluster:current"}
    assert [c for c in kube() if "get" in c and SCOPE in c][-1][-2:] == ["-n", "shop"]
    verify = _cli("verify", "--from-cluster")
    assert verify.returncode in (0, 1) and "requests" in verify.stdout, verify.stderr


def test_from_cluster_conflicts_and_kubectl_failures_are_usage_errors(kube, monkeypatch):
    both = _cli("convert", "--from-cluster", "examples/cluster.yaml")
    assert both.returncode == 2 and "--from-cluster and the inputs examples/cluster.yaml conflict" in both.stderr
    alone = _cli("convert", "--context", "prod", "examples/cluster.yaml")
    assert alone.returncode == 2 and "add --from-cluster" in alone.stderr
    monkeypatch.setenv("KUBECTL_STANDIN_FAIL", "error: current-context is not set\n")
    failed = _cli("check", "--from-cluster")
    assert failed.returncode == 2 and "current-context is not set" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_from_cluster_brings_the_tcp_services_configmap(kube):
    """The controller's tcp-services ConfigMap is read by name like the controller ConfigMap: its port becomes a
    TCP listener and a TCPRoute (Gateway API 1.6 standard)."""
    r = _cli("convert", "--from-cluster", "-q")
    assert r.returncode == 0, r.stderr
    assert "kind: TCPRoute" in r.stdout and "port: 8080" in r.stdout
