"""Read the objects ingress2gw converts from a live cluster, through ``kubectl`` (nothing else is needed).

The result is one JSON ``v1`` ``List`` in memory, loaded by the same loader as a ``.json`` file, so every check
made on manifests is made on the cluster's objects too. Nothing is written to disk.

What is read (``docs/cluster.md`` lists the exact commands):

- in the chosen scope (``-A``: every namespace; ``-n NS``: each namespace, one call per namespace, merged; neither:
  the context's namespace), in **one** ``kubectl get`` per scope: Ingresses (``ingresses.networking.k8s.io``),
  Services, and the Traefik resources of ``TRAEFIK_RESOURCES`` in both API groups (``traefik.io`` and the legacy
  ``traefik.containo.us``) **whose CRD is installed**: ``kubectl api-resources -o name`` is asked once first, and
  a resource type the server still does not know (``the server doesn't have a resource type``) is dropped and the
  call repeated, so a cluster without Traefik (or with only one of its groups) reads fine;
- IngressClasses (cluster-scoped), once;
- the ingress-nginx controller ConfigMap: one ``kubectl get configmaps -A --field-selector metadata.name=N`` per
  conventional name of ``CONFIGMAP_NAMES`` (the names the ingress-nginx provider looks for), in every namespace,
  because the controller's namespace is rarely the applications' one. Never all ConfigMaps: a cluster holds many
  and some are large;
- the ConfigMaps named by ``custom-headers`` annotations of the Ingresses read (``namespace/name`` or ``name``),
  by name, per namespace, with ``--ignore-not-found`` (a missing one is reported by the provider as with files).

Only these ConfigMaps are kept, whatever kubectl returns. **Secrets are never asked for** (Ingress ``spec.tls``
already names them, and names are all the tool needs), and an item whose kind is not one of ``KEPT_KINDS`` —
a Secret above all — is dropped even if kubectl returned it.

Each item loses ``metadata.managedFields`` and the ``kubectl.kubernetes.io/last-applied-configuration`` annotation
(noise; the annotation holds a whole second copy of the object). Items are sorted by kind, namespace, name and
apiVersion, and an object returned twice (several scopes) is kept once, so the output does not depend on the
order of the calls or of the namespaces given.

Errors are ``ClusterError`` (the CLI exits 2 with its message, never a traceback): kubectl not on PATH, a
non-zero exit (the message names the command and quotes the first lines of its stderr: no current context,
unreachable server, forbidden...), a timeout (``timeout`` seconds for the whole read), output that is not JSON.
One case is not an error: listing the controller ConfigMaps in every namespace may be forbidden to a user limited
to some namespaces; that lookup is then skipped with a warning (``ClusterRead.warnings``) and the provider falls
back to the controller defaults (and says so in its ``provider.defaults`` finding), as it does for manifests
without the ConfigMap. ``--controller-config FILE`` still supplies it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "ClusterError", "ClusterRead", "kubectl_command", "read_cluster", "fetch_cluster", "source_name",
    "CONFIGMAP_NAMES", "STREAM_CONFIGMAP_NAMES", "TRAEFIK_RESOURCES", "TRAEFIK_GROUPS", "KEPT_KINDS", "LAST_APPLIED",
]

#: Names of the ingress-nginx controller ConfigMap, as the provider looks for them
#: (``ingress2gw_nginx.config.CONFIGMAP_NAMES``; a test keeps the two equal).
CONFIGMAP_NAMES = ("ingress-nginx-controller", "nginx-configuration", "nginx-ingress-controller", "ingress-nginx")
#: The names of the controller's TCP and UDP services ConfigMaps (``ingress2gw_nginx.streams.NAMES``; a test keeps
#: them equal): read the same way, so ``--from-cluster`` brings the cluster's plain TCP/UDP ports too.
STREAM_CONFIGMAP_NAMES = ("tcp-services", "ingress-nginx-tcp", "udp-services", "ingress-nginx-udp")

#: Traefik resources read (plural names), each asked in both API groups when its CRD is installed.
TRAEFIK_RESOURCES = ("middlewares", "middlewaretcps", "traefikservices", "tlsoptions", "tlsstores",
                     "serverstransports", "ingressroutes", "ingressroutetcps", "ingressrouteudps")
TRAEFIK_GROUPS = ("traefik.io", "traefik.containo.us")

#: The namespaced resources of the scope call that are always asked (present on every cluster).
CORE_RESOURCES = ("ingresses.networking.k8s.io", "services")
INGRESSCLASSES = "ingressclasses.networking.k8s.io"
CONFIGMAPS = "configmaps"

#: Kinds kept in the output; anything else kubectl returns (a Secret above all) is dropped.
KEPT_KINDS = frozenset({
    "Ingress", "IngressClass", "Service", "ConfigMap",
    "Middleware", "MiddlewareTCP", "TraefikService", "TLSOption", "TLSStore", "ServersTransport",
    "IngressRoute", "IngressRouteTCP", "IngressRouteUDP",
})

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_CUSTOM_HEADERS = "/custom-headers"  # annotation key suffix, whatever the annotations prefix
_NO_TYPE = re.compile(r"""doesn't have a resource type "([^"]+)\"""")
_STDERR_LINES = 5


class ClusterError(Exception):
    """Reading the cluster failed; the message is meant for the user as it is (the CLI exits 2).

    ``stderr`` is kubectl's whole error output when it ran and failed (empty otherwise)."""

    def __init__(self, message: str, stderr: str = ""):
        super().__init__(message)
        self.stderr = stderr

    @property
    def forbidden(self) -> bool:
        return "(Forbidden)" in self.stderr or " is forbidden:" in self.stderr


@dataclass
class ClusterRead:
    """What ``fetch_cluster`` read: the source name for findings, the JSON ``List`` bytes, the commands run."""

    source: str
    data: bytes
    commands: list[list[str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def source_name(context: str | None) -> str:
    """The name findings use for the cluster's objects: ``cluster:<context>`` (``cluster:current`` without one)."""
    return f"cluster:{context or 'current'}"


def kubectl_command(resources: Sequence[str] | str, *, context: str | None = None, namespace: str | None = None,
                    all_namespaces: bool = False, names: Sequence[str] = (), field_selector: str | None = None,
                    ignore_not_found: bool = False, kubectl: str = "kubectl") -> list[str]:
    """The argv of one ``kubectl get ... -o json``; pure.

    ``kubectl [--context C] get R1,R2 [NAME...] -o json [-A | -n NS] [--field-selector S] [--ignore-not-found]``
    """
    if all_namespaces and namespace:
        raise ValueError("all_namespaces and namespace are exclusive")
    kinds = resources if isinstance(resources, str) else ",".join(resources)
    argv = [kubectl]
    if context:
        argv += ["--context", context]
    argv += ["get", kinds, *names, "-o", "json"]
    if all_namespaces:
        argv.append("-A")
    elif namespace:
        argv += ["-n", namespace]
    if field_selector:
        argv += ["--field-selector", field_selector]
    if ignore_not_found:
        argv.append("--ignore-not-found")
    return argv


def api_resources_command(*, context: str | None = None, kubectl: str = "kubectl") -> list[str]:
    """``kubectl [--context C] api-resources -o name --verbs=list``: the resource types the server serves."""
    argv = [kubectl]
    if context:
        argv += ["--context", context]
    return argv + ["api-resources", "-o", "name", "--verbs=list"]


def traefik_resources() -> list[str]:
    """Every Traefik resource asked for, with its group (``middlewares.traefik.io``...), in a fixed order."""
    return [f"{r}.{g}" for g in TRAEFIK_GROUPS for r in TRAEFIK_RESOURCES]


def read_cluster(*, context: str | None, namespaces: Sequence[str] = (), all_namespaces: bool = False,
                 kubectl: str = "kubectl", timeout: float = 120) -> tuple[str, bytes]:
    """``(source name, JSON bytes of one v1 List)`` read from the cluster; raises ``ClusterError``."""
    r = fetch_cluster(context=context, namespaces=namespaces, all_namespaces=all_namespaces, kubectl=kubectl,
                      timeout=timeout)
    return r.source, r.data


def fetch_cluster(*, context: str | None, namespaces: Sequence[str] = (), all_namespaces: bool = False,
                  kubectl: str = "kubectl", timeout: float = 120) -> ClusterRead:
    """Like ``read_cluster``, with the commands run and the warnings (see the module docstring)."""
    if all_namespaces and namespaces:
        raise ClusterError("--all-namespaces and --namespace are exclusive")
    if shutil.which(kubectl) is None:
        raise ClusterError(f"{kubectl} not found on PATH; install it or pass manifests instead")
    runner = _Runner(kubectl, time.monotonic() + timeout)
    read = ClusterRead(source_name(context), b"")

    served = runner.served(context)
    wanted = list(CORE_RESOURCES) + [r for r in traefik_resources() if r in served]
    scopes: list[dict] = ([{"all_namespaces": True}] if all_namespaces else
                          [{"namespace": ns} for ns in dict.fromkeys(namespaces)] or [{}])
    items: list[dict] = []
    for scope in scopes:
        items += runner.get_tolerant(wanted, context=context, **scope)
    items += runner.get(kubectl_command(INGRESSCLASSES, context=context, kubectl=kubectl))

    def allowed(argv: list[str], unread: str) -> list[dict] | None:
        """The items ``argv`` gets; None (and a warning) where the user may not read them."""
        try:
            return runner.get(argv)
        except ClusterError as e:
            if not e.forbidden:
                raise
            read.warnings.append(f"{unread} (forbidden): {e}")
            return None

    maps: list[dict] = []
    for name in CONFIGMAP_NAMES + STREAM_CONFIGMAP_NAMES:
        got = allowed(kubectl_command(CONFIGMAPS, context=context, all_namespaces=True,
                                      field_selector=f"metadata.name={name}", kubectl=kubectl),
                      "the ingress-nginx controller ConfigMaps were not read; the controller defaults are assumed "
                      "(or give --controller-config FILE)")
        if got is None:
            break
        maps += got
    wanted_maps = {("*", n) for n in CONFIGMAP_NAMES + STREAM_CONFIGMAP_NAMES}
    refs = _custom_header_refs(items)
    for ns in sorted(refs):
        maps += allowed(kubectl_command(CONFIGMAPS, context=context, namespace=ns, names=sorted(refs[ns]),
                                        ignore_not_found=True, kubectl=kubectl),
                        f"ConfigMaps named by custom-headers in namespace {ns} were not read") or []
        wanted_maps |= {(ns, n) for n in refs[ns]}
    items += [m for m in maps if _meta(m).get("name") and (
        ("*", _meta(m)["name"]) in wanted_maps or (_meta(m).get("namespace"), _meta(m)["name"]) in wanted_maps)]

    read.data = render(items)
    read.commands = runner.commands
    read.warnings[:0] = runner.warnings
    return read


def render(items: Iterable[dict]) -> bytes:
    """The JSON ``List`` of ``items``: kept kinds only, stripped, one per object, sorted; indented (findings
    point at lines)."""
    kept: dict[tuple, dict] = {}
    for obj in items:
        if not isinstance(obj, dict) or obj.get("kind") not in KEPT_KINDS:
            continue
        obj = _strip(obj)
        meta = _meta(obj)
        key = (str(obj.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name") or ""),
               str(obj.get("apiVersion") or ""))
        kept.setdefault(key, obj)
    doc = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
           "items": [kept[k] for k in sorted(kept)]}
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


def _meta(obj: dict) -> dict:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _strip(obj: dict) -> dict:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return obj
    meta = {k: v for k, v in meta.items() if k != "managedFields"}
    annotations = meta.get("annotations")
    if isinstance(annotations, dict) and LAST_APPLIED in annotations:
        annotations = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
        if annotations:
            meta["annotations"] = annotations
        else:
            del meta["annotations"]
    return {**obj, "metadata": meta}


def _custom_header_refs(items: list[dict]) -> dict[str, set[str]]:
    """namespace → ConfigMap names named by the ``custom-headers`` annotations of the Ingresses."""
    refs: dict[str, set[str]] = {}
    for obj in items:
        if not isinstance(obj, dict) or obj.get("kind") != "Ingress":
            continue
        meta = _meta(obj)
        annotations = meta.get("annotations")
        if not isinstance(annotations, dict):
            continue
        for key, value in annotations.items():
            if not (isinstance(key, str) and key.endswith(_CUSTOM_HEADERS) and isinstance(value, str)):
                continue
            ns, _, name = value.strip().rpartition("/")
            ns = ns or str(meta.get("namespace") or "default")
            if name and _DNS_NAME.fullmatch(name) and _DNS_NAME.fullmatch(ns):
                refs.setdefault(ns, set()).add(name)
    return refs


# A name that kubectl can be given as an argument (never an option: no leading dash).
_DNS_NAME = re.compile(r"[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?")


class _Runner:
    def __init__(self, kubectl: str, deadline: float):
        self.kubectl = kubectl
        self.deadline = deadline
        self.commands: list[list[str]] = []
        self.warnings: list[str] = []

    def run(self, argv: list[str]) -> subprocess.CompletedProcess:
        self.commands.append(argv)
        left = self.deadline - time.monotonic()
        shown = " ".join(argv)
        if left <= 0:
            raise ClusterError(f"timed out reading the cluster before `{shown}`")
        try:
            return subprocess.run(argv, capture_output=True, timeout=left, stdin=subprocess.DEVNULL, check=False)
        except FileNotFoundError:
            raise ClusterError(f"{self.kubectl} not found on PATH; install it or pass manifests instead") from None
        except subprocess.TimeoutExpired:
            raise ClusterError(f"`{shown}` timed out (no answer from the cluster in time)") from None
        except OSError as e:
            raise ClusterError(f"`{shown}` could not be run: {e.strerror or e}") from None

    def failure(self, argv: list[str], proc: subprocess.CompletedProcess) -> ClusterError:
        lines = [ln.rstrip() for ln in _text(proc.stderr).splitlines() if ln.strip()]
        quoted = "\n  ".join(lines[:_STDERR_LINES]) or "(no message)"
        more = f"\n  ({len(lines) - _STDERR_LINES} more lines)" if len(lines) > _STDERR_LINES else ""
        return ClusterError(f"`{' '.join(argv)}` failed (exit {proc.returncode}):\n  {quoted}{more}",
                            _text(proc.stderr))

    def served(self, context: str | None) -> set[str]:
        """The resource types the server lists (``kubectl api-resources -o name``)."""
        argv = api_resources_command(context=context, kubectl=self.kubectl)
        proc = self.run(argv)
        names = {ln.strip() for ln in _text(proc.stdout).splitlines() if ln.strip()}
        if proc.returncode != 0:
            if not names:
                raise self.failure(argv, proc)
            # Some API group could not be discovered (a broken aggregated API): the rest is usable.
            first = next((ln.strip() for ln in _text(proc.stderr).splitlines() if ln.strip()), "")
            self.warnings.append(f"`{' '.join(argv)}` listed only part of the server's resource types: {first}")
        return names

    def get(self, argv: list[str]) -> list[dict]:
        proc = self.run(argv)
        if proc.returncode != 0:
            raise self.failure(argv, proc)
        return _items(argv, proc.stdout)

    def get_tolerant(self, resources: list[str], **scope) -> list[dict]:
        """One get for all ``resources``; a type the server does not have is dropped and the call repeated
        (only the optional Traefik types may be dropped)."""
        resources = list(resources)
        while True:
            argv = kubectl_command(resources, kubectl=self.kubectl, **scope)
            proc = self.run(argv)
            if proc.returncode == 0:
                return _items(argv, proc.stdout)
            missing = set(_NO_TYPE.findall(_text(proc.stderr)))
            dropped = [r for r in resources if r not in CORE_RESOURCES and
                       (r in missing or r.split(".", 1)[0] in missing)]
            if not dropped:
                raise self.failure(argv, proc)
            resources = [r for r in resources if r not in dropped]


def _text(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", "replace")


def _items(argv: list[str], stdout: bytes) -> list[dict]:
    """The objects of one ``kubectl get -o json`` answer (a List, or one object when one name was asked)."""
    if not stdout.strip():
        return []  # --ignore-not-found with nothing found prints nothing
    try:
        doc = json.loads(stdout)
    except ValueError as e:
        raise ClusterError(f"`{' '.join(argv)}` did not print JSON ({e})") from None
    out: list[dict] = []
    _flatten(doc, out)
    return out


def _flatten(doc, out: list[dict]) -> None:
    if not isinstance(doc, dict):
        return
    if doc.get("kind") == "List" or (isinstance(doc.get("kind"), str) and doc["kind"].endswith("List")
                                     and isinstance(doc.get("items"), list)):
        for item in doc.get("items") or []:
            _flatten(item, out)
    else:
        out.append(doc)
