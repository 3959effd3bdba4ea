"""ingress-nginx TCP/UDP services: ConfigMap choice, port resolution, PROXY flags and the Gateway API gate."""

from __future__ import annotations

import textwrap
from pathlib import Path

from ingress2gw.gwapi import Target
from ingress2gw.pipeline import Options, run

INPUT = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: nginx
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: dns, namespace: infra}
spec:
  ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: tcp-services, namespace: ingress-nginx}
data: {"53": "infra/dns:dns-tcp:PROXY:PROXY"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: my-udp, namespace: ingress-nginx}
data: {"5353": "infra/dns:53", "5354": "infra/dns:dns-tcp"}
"""


def _run(tmp_path: Path, target: Target = Target(), **options):
    src = tmp_path / "in.yaml"
    src.write_text(textwrap.dedent(INPUT))
    result = run(Options(paths=[str(src)], target=target, provider_options=options))
    codes = [f.code.value for f in result.report.findings]
    return result.objects, codes, result.report


def _kinds(objects, kind):
    return {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in objects if o["kind"] == kind}


def test_configmap_by_name_and_by_option(tmp_path):
    objects, codes, _ = _run(tmp_path)
    assert set(_kinds(objects, "TCPRoute")) == {("infra", "dns-tcp-53")}
    assert not _kinds(objects, "UDPRoute")  # my-udp is not a conventional name
    objects, codes, _ = _run(tmp_path, udp_services_configmap="ingress-nginx/my-udp")
    udp = _kinds(objects, "UDPRoute")
    # 5353 -> port 53 with protocol UDP; 5354 names a TCP port: no UDPRoute, a finding.
    assert set(udp) == {("infra", "dns-udp-5353")}
    assert udp[("infra", "dns-udp-5353")]["spec"]["rules"] == [{"backendRefs": [{"name": "dns", "port": 53}]}]
    assert "stream.backend-missing" in codes
    gateway = next(o for o in objects if o["kind"] == "Gateway")
    names = [lst["name"] for lst in gateway["spec"]["listeners"]]
    assert names[-2:] == ["tcp-53", "udp-5353"]


def test_proxy_both_directions_is_one_lossy_finding(tmp_path):
    _, _, report = _run(tmp_path)
    proxy = [f for f in report.findings if f.code.value == "stream.proxy-protocol"]
    assert len(proxy) == 1
    assert "accepted" in proxy[0].message and "sent" in proxy[0].message


def test_target_gate(tmp_path):
    objects, codes, _ = _run(tmp_path, Target("1.2", "standard"))
    assert not _kinds(objects, "TCPRoute") and "gateway-api.version" in codes
    gateway = next(o for o in objects if o["kind"] == "Gateway")
    assert all(lst["protocol"] not in ("TCP", "UDP") for lst in gateway["spec"]["listeners"])
    objects, _, _ = _run(tmp_path, Target("1.4", "experimental"))
    assert {o["apiVersion"] for o in objects if o["kind"] == "TCPRoute"} == {"gateway.networking.k8s.io/v1alpha2"}
    assert Target("1.6", "standard").stream_route_version == "v1"
    assert Target("1.5", "standard").stream_route_version is None


def test_verify_lists_the_stream_routes_as_not_simulated(tmp_path):
    """verify replays HTTP requests: the TCP/UDP routes are named, with their ports, as not simulated (never a
    silent pass, never a crash)."""
    import json
    import subprocess
    import sys

    case = Path(__file__).resolve().parents[2] / "fixtures" / "ingress-nginx" / "13-tcp-udp-services" / "input.yaml"
    r = subprocess.run([sys.executable, "-m", "ingress2gw", "verify", str(case), "--format", "json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    streams = json.loads(r.stdout)["notSimulated"]["streams"]
    assert streams == ["TCPRoute data/postgres-tcp-5432 (port 5432)", "TCPRoute mail/mail-tcp-2525 (port 2525)",
                       "UDPRoute kube-dns/dns-udp-53 (port 53)"]
    text = subprocess.run([sys.executable, "-m", "ingress2gw", "verify", str(case)], capture_output=True, text=True,
                          timeout=120).stdout
    assert "UDPRoute kube-dns/dns-udp-53 (port 53): connections are not replayed" in text
