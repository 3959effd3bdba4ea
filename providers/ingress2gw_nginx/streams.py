"""TCP and UDP services: the controller's plain ports, from its ``tcp-services`` / ``udp-services`` ConfigMaps.

https://kubernetes.github.io/ingress-nginx/user-guide/exposing-tcp-udp-services/

The controller reads the ConfigMaps named by ``--tcp-services-configmap`` / ``--udp-services-configmap``
(``namespace/name``; no default). Each entry maps an external port (the key) to
``<namespace>/<service>:<port>[:PROXY][:PROXY]`` (controller.go getStreamServices):

- a key that is not a port number, a value with fewer than two ``:`` fields or without ``namespace/name``, and
  the controller's reserved ports (HTTP, HTTPS, its SSL-proxy, health, default-backend, profiler, status and
  stream ports) are skipped;
- TCP only: a third field ``PROXY`` makes the listener accept the PROXY protocol (decode); a fourth one, when
  there are exactly four fields, makes the controller send it to the backend (encode);
- the port is the Service's ``spec.ports[].port`` with the entry's protocol when it is a number, else a port name.

Here the ConfigMaps are the ones the options name, else ConfigMaps among the inputs with the names the
controller's manifests and Helm chart use (``tcp-services``, ``ingress-nginx-tcp``; ``udp-...`` alike): which
one was read is listed in the ``provider.defaults`` finding. Each usable entry becomes a ``StreamRoute``.
"""

from __future__ import annotations

from ingress2gw.plugin import (
    Code, Context, KubeObject, OptionSpec, Origin, Report, ServiceBackend, StreamRoute, namespaced_name,
)

PROVIDER = "ingress-nginx"

#: ConfigMap names used when no option names one (static manifests, then the Helm chart's ``<release>-tcp`` for
#: the release ``ingress-nginx``), and the namespace tried first.
NAMES = {"TCP": ("tcp-services", "ingress-nginx-tcp"), "UDP": ("udp-services", "ingress-nginx-udp")}
CONTROLLER_NAMESPACE = "ingress-nginx"

#: Ports the controller keeps for itself (flags.go defaults): HTTP, HTTPS, the SSL-passthrough proxy, the
#: default backend, the profiler, status, stream and health ports. The Gateway's HTTP listeners use 80 and 443.
RESERVED = {80: "HTTP", 443: "HTTPS", 442: "SSL-passthrough proxy", 8181: "default backend",
            10245: "profiler", 10246: "status", 10247: "stream", 10254: "health"}

OPTIONS = (
    OptionSpec("tcp_services_configmap", "--tcp-services-configmap", str, None,
               "The controller's --tcp-services-configmap (NAMESPACE/NAME); default: a ConfigMap named tcp-services "
               "or ingress-nginx-tcp among the inputs.", check=namespaced_name("--tcp-services-configmap"),
               metavar="NAMESPACE/NAME"),
    OptionSpec("udp_services_configmap", "--udp-services-configmap", str, None,
               "The controller's --udp-services-configmap (NAMESPACE/NAME); default: a ConfigMap named udp-services "
               "or ingress-nginx-udp among the inputs.", check=namespaced_name("--udp-services-configmap"),
               metavar="NAMESPACE/NAME"),
)


def read(ctx: Context, report: Report) -> list[StreamRoute]:
    """The StreamRoutes of both ConfigMaps, by protocol and port; what was read goes to the assumptions."""
    out: list[StreamRoute] = []
    notes: list[str] = []
    for protocol, option in (("TCP", "tcp_services_configmap"), ("UDP", "udp_services_configmap")):
        cm, note = _find(ctx, protocol, ctx.option(option))
        if note:
            notes.append(note)
        if cm is not None:
            out.extend(_entries(cm, protocol, ctx, report))
    if notes:
        report.assumptions.setdefault(PROVIDER, []).extend(notes)
    return sorted(out, key=lambda s: (s.protocol, s.port))


def _find(ctx: Context, protocol: str, given: str | None) -> tuple[KubeObject | None, str]:
    maps = ctx.inventory.others.get("ConfigMap", [])
    flag = f"--{protocol.lower()}-services-configmap"
    if given:
        ns, _, name = given.partition("/")
        for cm in maps:
            if (cm.namespace, cm.name) == (ns, name):
                return cm, f"{protocol} services: ConfigMap {given} ({flag})"
        return None, (f"{protocol} services: ConfigMap {given} ({flag}) is not in the input; no {protocol} port "
                      "converted")
    found = sorted((cm for cm in maps if cm.name in NAMES[protocol]),
                   key=lambda cm: (NAMES[protocol].index(cm.name), cm.namespace != CONTROLLER_NAMESPACE,
                                   cm.namespace))
    if not found:
        return None, ""
    cm = found[0]
    others = ", ".join(f"{o.namespace}/{o.name}" for o in found[1:])
    return cm, (f"{protocol} services: ConfigMap {cm.namespace}/{cm.name} found by name (the controller reads only "
                f"the one {flag} names; pass it if that is another)" + (f"; not read: {others}" if others else ""))


def _entries(cm: KubeObject, protocol: str, ctx: Context, report: Report) -> list[StreamRoute]:
    data = cm.doc.obj.get("data")
    if not isinstance(data, dict):
        return []
    out = []
    for key in sorted(data, key=lambda k: (not str(k).isdigit(), int(k) if str(k).isdigit() else 0, str(k))):
        route = _entry(cm, protocol, key, data[key], ctx, report)
        if route is not None:
            out.append(route)
    return out


def _entry(cm: KubeObject, protocol: str, key, raw, ctx: Context, report: Report) -> StreamRoute | None:
    loc = cm.doc.locate(("data", key), part="key")
    text, value = str(key).strip(), str(raw).strip()
    where = f"entry {text!r}"

    def invalid(why: str) -> None:
        report.add(Code.STREAM_INVALID_ENTRY, location=loc, obj=cm.ref, provider=PROVIDER, value=value,
                   detail=f"{where}: {why}; the controller skipped it")

    if not text.isdigit() or not 1 <= int(text) <= 65535:
        invalid("the key is not a port number")
        return None
    port = int(text)
    fields = value.split(":")
    if len(fields) < 2 or fields[0].count("/") != 1 or not all(fields[0].split("/")) or not fields[1]:
        invalid(f"{value!r} is not <namespace>/<service>:<port>[:PROXY][:PROXY]")
        return None
    if port in RESERVED:
        report.add(Code.STREAM_PORT_CLASH, location=loc, obj=cm.ref, provider=PROVIDER, value=value,
                   detail=f"{where}: port {port} is the controller's {RESERVED[port]} port, so the controller "
                          f"skipped the entry; no {protocol} listener was emitted for it"
                          + (" (the Gateway's HTTP/HTTPS listeners use it)" if port in (80, 443) else ""))
        return None
    namespace, name = fields[0].split("/")
    origin = Origin(kind="ConfigMap", namespace=cm.namespace, name=cm.name, location=loc)
    backend = _backend(namespace, name, fields[1], protocol, ctx)
    if isinstance(backend, str):
        report.add(Code.STREAM_BACKEND_MISSING, location=loc, obj=cm.ref, provider=PROVIDER, value=value,
                   detail=f"{where}: {backend}; no {protocol}Route was emitted for port {port}")
        return None
    proxy: list = []
    if protocol == "TCP":
        if len(fields) >= 3 and fields[2].upper() == "PROXY":
            proxy.append("decode")
        if len(fields) == 4 and fields[3].upper() == "PROXY":
            proxy.append("encode")
    if proxy:
        what = {"decode": "accepted the PROXY protocol from clients on the listener",
                "encode": "sent the PROXY protocol to the backend"}
        report.add(Code.STREAM_PROXY_PROTOCOL, location=loc, obj=cm.ref, provider=PROVIDER, value=value,
                   detail=f"{where}: the controller " + " and ".join(what[p] for p in proxy)
                          + f" of port {port}; the TCPRoute forwards plain TCP")
    return StreamRoute(protocol=protocol, port=port, backend=backend, proxy_protocol=tuple(proxy), origin=origin)


def _backend(namespace: str, name: str, port: str, protocol: str, ctx: Context) -> ServiceBackend | str:
    """The Service port the entry names (by number with the entry's protocol, else by name), or why there is none."""
    svc = ctx.service(namespace, name)
    if svc is None:
        return f"Service {namespace}/{name} is not in the input"
    spec = svc.doc.obj.get("spec")
    ports = spec.get("ports") if isinstance(spec, dict) else None
    ports = [p for p in ports if isinstance(p, dict)] if isinstance(ports, list) else []

    def proto(p: dict) -> str:
        return str(p.get("protocol") or "TCP").upper()

    if port.isdigit():
        for p in ports:
            if str(p.get("port")) == port and proto(p) == protocol:
                return ServiceBackend(namespace=namespace, name=name, port=int(port))
    for p in ports:
        if p.get("name") == port and isinstance(p.get("port"), int):
            if proto(p) != protocol:
                return f"port {port!r} of Service {namespace}/{name} is {proto(p)}, not {protocol}"
            return ServiceBackend(namespace=namespace, name=name, port=p["port"])
    return f"Service {namespace}/{name} has no {protocol} port {port!r}"
