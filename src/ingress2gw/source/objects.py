"""Typed views of the Kubernetes objects ingress2gw reads, built from loaded documents.

Every view keeps its ``Document`` so any field can be located (``locate(("spec", "rules", 0))``).
Wrong types and missing fields become ``input.invalid-object`` findings naming the field; the rest of
the object (and every other object) is still used.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field
from typing import Any

from ingress2gw.report import Code, ObjectRef, Report
from ingress2gw.source.loader import Document
from ingress2gw.source.location import Location

INGRESS_API_VERSIONS = ("networking.k8s.io/v1", "networking.k8s.io/v1beta1", "extensions/v1beta1")
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"

Path = tuple[str | int, ...]


@dataclass
class Backend:
    service: str | None
    port_number: int | None
    port_name: str | None
    path: Path  # where the backend is in the document
    resource: dict | None = None


@dataclass
class IngressPath:
    path: str | None
    path_type: str  # Exact | Prefix | ImplementationSpecific
    backend: Backend | None
    doc_path: Path


@dataclass
class IngressRule:
    host: str | None
    paths: list[IngressPath]
    doc_path: Path


@dataclass
class IngressTLS:
    hosts: list[str]
    secret: str | None
    doc_path: Path


@dataclass
class KubeObject:
    doc: Document
    kind: str
    api_version: str
    namespace: str
    name: str
    annotations: dict[str, str]
    labels: dict[str, str]

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.kind, self.namespace, self.name)

    def locate(self, path: Path = (), *, part: str = "value") -> Location:
        return self.doc.locate(path, part=part)

    def annotation_location(self, key: str, *, part: str = "key") -> Location:
        return self.doc.locate(("metadata", "annotations", key), part=part)


@dataclass
class Ingress(KubeObject):
    created: str = ""
    class_field: str | None = None
    default_backend: Backend | None = None
    rules: list[IngressRule] = field(default_factory=list)
    tls: list[IngressTLS] = field(default_factory=list)

    @property
    def class_annotation(self) -> str | None:
        return self.annotations.get(CLASS_ANNOTATION)


@dataclass
class ServicePort:
    name: str | None
    port: int
    app_protocol: str | None
    target_port: int | str | None


@dataclass
class Service(KubeObject):
    ports: list[ServicePort] = field(default_factory=list)


@dataclass
class IngressClass(KubeObject):
    controller: str = ""
    is_default: bool = False


@dataclass
class Inventory:
    """Everything read from the inputs, by kind, one definition per object (``input.duplicate-object``).
    Lists keep input order: whoever picks one of several objects must not rely on it."""

    ingresses: list[Ingress] = field(default_factory=list)
    services: dict[tuple[str, str], Service] = field(default_factory=dict)
    ingress_classes: dict[str, IngressClass] = field(default_factory=dict)
    #: Other objects providers may want (ConfigMap, Middleware, TLSOption...), raw, by kind.
    others: dict[str, list[KubeObject]] = field(default_factory=dict)


class _Reader:
    """Reads typed fields out of one document, reporting wrong types at their location."""

    def __init__(self, doc: Document, ref: ObjectRef, report: Report):
        self.doc, self.ref, self.report = doc, ref, report

    def bad(self, path: Path, expected: str, value: Any, got: str | None = None) -> None:
        dotted = ".".join(str(p) for p in path)
        self.report.add(
            Code.INPUT_INVALID_OBJECT, location=self.doc.locate(path), obj=self.ref,
            detail=f"{dotted}: expected {expected}, got {got or _type_name(value)}",
        )

    def get(self, parent: Any, path: Path, key: str, expected: type | tuple, what: str, default=None):
        if not isinstance(parent, dict) or key not in parent or parent[key] is None:
            return default
        value = parent[key]
        if isinstance(value, bool) and bool not in _as_tuple(expected):
            self.bad(path + (key,), what, value)
            return default
        if not isinstance(value, expected):
            self.bad(path + (key,), what, value)
            return default
        return value

    def string_map(self, parent: Any, path: Path, key: str) -> dict[str, str]:
        raw = self.get(parent, path, key, dict, "a map of strings", {})
        out: dict[str, str] = {}
        for k, v in raw.items():
            if isinstance(v, str):
                out[str(k)] = v
            elif isinstance(v, (bool, int, float)) or v is None:
                # The API server rejects non-string annotation values; kubectl users hit this when
                # they forget quotes. Keep the value as text, as the controller would have seen it
                # had it been quoted, and say so.
                self.bad(path + (key, str(k)), "a string (quote the value)", v)
                out[str(k)] = "" if v is None else (str(v).lower() if isinstance(v, bool) else str(v))
            else:
                self.bad(path + (key, str(k)), "a string", v)
        return out


def _as_tuple(t) -> tuple:
    return t if isinstance(t, tuple) else (t,)


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    for t, name in ((bool, "a boolean"), (dict, "a map"), (list, "a list"), (str, "a string"), (int, "an integer"),
                    (float, "a number")):
        if isinstance(v, t):  # (the loader's maps and lists are subclasses that carry positions)
            return "an empty string" if t is str and not v else name
    return type(v).__name__


def build_inventory(documents: list[Document], report: Report) -> Inventory:
    inv = Inventory()
    # First the objects, then which definition of each is used: two documents that define the same object
    # must give the same inventory whatever their order in the input (see _same_object).
    candidates: list[tuple[Document, str, str, dict, str, str]] = []
    for doc in documents:
        obj = doc.obj
        kind = obj.get("kind")
        api_version = obj.get("apiVersion")
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            meta = {}
        name = meta.get("name") if isinstance(meta.get("name"), str) else ""
        namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else ""
        if not _kubernetes_object(doc, kind, api_version, meta, namespace, report):
            continue  # reported, or not a Kubernetes object we can use (other documents are ignored quietly)
        if namespace and kind in READ_KINDS and not _DNS_LABEL.fullmatch(namespace):
            # The API server refuses it, so no controller ever served it; its name would also be copied into the
            # output's namespaces.
            report.add(Code.INPUT_INVALID_OBJECT, location=doc.locate(("metadata", "namespace")),
                       obj=ObjectRef(kind, namespace[:63], name or UNNAMED),
                       detail=f"namespace {namespace[:80]!r} is not a DNS label (lower-case letters, digits and '-', "
                              f"at most 63 characters); kubectl rejects it, so this {kind} was not "
                              f"{'converted' if kind == 'Ingress' else 'read'}")
            continue
        if kind in ("Ingress", "Service", "ConfigMap", "Secret") and not namespace:
            namespace = "default"
        ref = ObjectRef(kind, namespace, name)
        if kind == "Ingress":
            if api_version not in INGRESS_API_VERSIONS:
                report.add(Code.INPUT_UNKNOWN_API_VERSION, location=doc.locate(("apiVersion",)), obj=ref,
                           detail=f"Ingress apiVersion {api_version!r} is not one ingress2gw reads")
                continue
        if not name:
            if kind in ("Ingress", "Service", "IngressClass"):
                raw = meta.get("name")
                what = ("metadata.name is missing" if raw is None
                        else f"metadata.name: expected a string, got {_type_name(raw)}")
                report.add(Code.INPUT_INVALID_OBJECT, location=doc.locate(("metadata", "name") if raw is not None
                                                                          else ("metadata",)),
                           obj=ObjectRef(kind, namespace, UNNAMED),
                           detail=f"{what}; the API server rejects an object without a name, so this {kind} was "
                                  "not read")
            continue
        if not (_DNS_1035 if kind == "Service" else _DNS_SUBDOMAIN).fullmatch(name):
            # The API server refuses the object; its name would also be copied into the output's names.
            report.add(Code.INPUT_INVALID_OBJECT, location=doc.locate(("metadata", "name")),
                       obj=ObjectRef(kind, namespace, name[:63]),
                       detail=f"metadata.name {name[:80]!r} is not a {kind} name ("
                              + ("a DNS-1035 label: lower-case letters, digits and '-', starting with a letter, at "
                                 "most 63 characters" if kind == "Service" else
                                 "a DNS subdomain: lower-case letters, digits, '-' and '.', at most 253 characters")
                              + f"); kubectl rejects it, so this {kind} was not "
                              f"{'converted' if kind == 'Ingress' else 'read'}")
            continue
        candidates.append((doc, kind, api_version, meta, namespace, name))
    ignored = _same_object(candidates, report)
    for i, (doc, kind, api_version, meta, namespace, name) in enumerate(candidates):
        if i in ignored:
            continue
        obj = doc.obj
        r = _Reader(doc, ObjectRef(kind, namespace, name), report)
        base = dict(
            doc=doc, kind=kind, api_version=api_version, namespace=namespace, name=name,
            annotations=r.string_map(meta, ("metadata",), "annotations"),
            labels=r.string_map(meta, ("metadata",), "labels"),
        )
        if kind == "Ingress":
            inv.ingresses.append(_ingress(r, obj, meta, base))
        elif kind == "Service" and api_version == "v1":
            inv.services[(namespace, name)] = _service(r, obj, base)
        elif kind == "IngressClass" and api_version.startswith("networking.k8s.io/"):
            spec = r.get(obj, (), "spec", dict, "a map", {})
            ic = IngressClass(
                **base,
                controller=r.get(spec, ("spec",), "controller", str, "a string", ""),
                is_default=base["annotations"].get(DEFAULT_CLASS_ANNOTATION, "").lower() == "true",
            )
            inv.ingress_classes[name] = ic
        else:
            if kind == "Secret":
                # Secret data is never kept: only metadata reaches the providers.
                doc = Document(doc.source, doc.index, doc.item, {"metadata": meta}, doc.line)
                base["doc"] = doc
            inv.others.setdefault(kind, []).append(KubeObject(**base))
    return inv


def _identity(kind: str, api_version: str, namespace: str, name: str) -> tuple[str, str, str, str]:
    """What makes two documents the same object: API group, kind, namespace, name. The Ingress of
    ``extensions/v1beta1`` is the same resource as that of ``networking.k8s.io`` (one object, several versions)."""
    group = api_version.rpartition("/")[0]
    if kind == "Ingress":
        group = "networking.k8s.io"
    return group, kind, namespace, name


def _same_object(candidates: list[tuple], report: Report) -> set[int]:
    """Several documents that define one object (two files, two dumps): one definition is used, chosen from the
    documents themselves and never from their order, and each of the others gets ``input.duplicate-object``.

    The API server holds one object per identity, so the inputs disagree about it. The definition used is
    the most recent one: the later ``creationTimestamp`` (the object was deleted and created again), a
    manifest without one counting as the most recent (``kubectl apply`` would write it over the live object),
    then the higher ``metadata.generation`` (a later dump of the same object). Definitions that still tie
    are ordered by their content, then by file and line, so the choice stays the same however the inputs
    are listed.
    """
    groups: dict[tuple, list[int]] = {}
    for i, (doc, kind, api_version, meta, namespace, name) in enumerate(candidates):
        groups.setdefault(_identity(kind, api_version, namespace, name), []).append(i)
    ignored: set[int] = set()
    for (_group, kind, namespace, name), indexes in groups.items():
        if len(indexes) < 2:
            continue
        keys = {i: _recency(candidates[i][3], candidates[i][0].obj) for i in indexes}
        # Identical definitions tie: the first by file and line is used, so its locations (which every later
        # finding about the object cites) do not depend on the order the inputs were given either.
        by_place = sorted(indexes, key=lambda i: (candidates[i][0].source, candidates[i][0].line,
                                                  candidates[i][0].item or 0))
        used = max(by_place, key=lambda i: keys[i])
        where = candidates[used][0].locate(("metadata", "name"))
        for i in indexes:
            if i == used:
                continue
            ignored.add(i)
            doc = candidates[i][0]
            report.add(Code.INPUT_DUPLICATE_OBJECT, location=doc.locate(("metadata", "name")),
                       obj=ObjectRef(kind, namespace, name),
                       detail=f"{kind} {namespace + '/' if namespace else ''}{name} is also defined at {where}, "
                              f"which is used ({_why(keys[used], keys[i])}); this definition was ignored")
    return ignored


def _recency(meta: dict, obj: dict) -> tuple:
    created = meta.get("creationTimestamp")
    created = created if isinstance(created, str) else (str(created) if created else "")
    generation = meta.get("generation")
    generation = generation if isinstance(generation, int) and not isinstance(generation, bool) else -1
    return (created == "", created, generation, _canonical(obj))


def _why(used: tuple, other: tuple) -> str:
    if used[:2] != other[:2]:
        return ("it has no creationTimestamp: applied, it would replace the other" if used[0]
                else "its creationTimestamp is later")
    if used[2] != other[2]:
        return "its metadata.generation is higher"
    if used[3] == other[3]:
        return "the two are identical"
    return ("nothing says which is newer; the choice depends on their content, never on the order of the "
            "inputs")


def _canonical(value: Any) -> str:
    """A text for a YAML/JSON value that does not depend on key order (comparable whatever the types)."""
    if isinstance(value, dict):
        return "{" + ",".join(sorted(f"{_canonical(k)}:{_canonical(v)}" for k, v in value.items())) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    return f"{type(value).__name__}:{value!r}"


#: Kinds whose objects the tool reads; a manifest that spells one of them in another letter case is reported.
READ_KINDS = ("Ingress", "IngressClass", "Service", "ConfigMap", "Secret")
#: The name findings give an object whose metadata.name is missing.
UNNAMED = "(unnamed)"


def _kubernetes_object(doc: Document, kind: Any, api_version: Any, meta: dict, namespace: str,
                       report: Report) -> bool:
    """Whether the document is an object the inventory can read; reports the ones kubectl would reject that
    look like objects the tool reads (an Ingress with a lower-case kind must not vanish without a word).

    Such objects are not converted: the API server never accepted them as written, so no controller ever
    served them; converting them would invent routes the cluster never had. The error (exit 2) names the
    file and line to fix.
    """
    name = meta.get("name") if isinstance(meta.get("name"), str) and meta.get("name") else UNNAMED

    def ref(kind: str) -> ObjectRef:
        return ObjectRef(kind, namespace or ("" if kind == "IngressClass" else "default"), name)

    if isinstance(kind, str):
        canonical = next((k for k in READ_KINDS if k.lower() == kind.lower()), None)
        if canonical is not None and canonical != kind:
            report.add(Code.INPUT_INVALID_OBJECT, location=doc.locate(("kind",)), obj=ref(canonical),
                       detail=f"kind {kind!r} is not a Kubernetes kind (kinds are case-sensitive: {canonical}); "
                              f"kubectl rejects it, so this {canonical} was not "
                              f"{'converted' if canonical == 'Ingress' else 'read'}")
            return False
        if not isinstance(api_version, str) or not api_version:
            if kind in READ_KINDS:
                # Not converted with a guessed apiVersion either: kubectl and the API server reject an object
                # without one, and an Ingress's fields differ between versions (serviceName/servicePort in the
                # v1beta1 APIs, service.name/port in v1), so a guess could misread every backend.
                report.add(Code.INPUT_INVALID_OBJECT, location=doc.locate(("kind",)), obj=ref(kind),
                           detail=("apiVersion is missing" if api_version in (None, "") else
                                   f"apiVersion {api_version!r} is not a string")
                                  + f"; kubectl rejects an object without a valid apiVersion, so this {kind} "
                                  f"was not {'converted' if kind == 'Ingress' else 'read'}"
                                  + (" (add apiVersion: networking.k8s.io/v1)" if kind == "Ingress" else ""))
            return False
        return True
    if kind is None and isinstance(api_version, str) and api_version in INGRESS_API_VERSIONS:
        # An object of the Ingress API groups without a kind; other documents without a kind (Helm's Chart.yaml,
        # kustomization files) are not Kubernetes objects and stay quiet.
        spec = doc.obj.get("spec")
        looks_like_ingress = isinstance(spec, dict) and any(k in spec for k in ("rules", "defaultBackend", "backend"))
        report.add(Code.INPUT_INVALID_OBJECT, location=doc.locate(("apiVersion",), part="key"),
                   obj=ref("Ingress") if looks_like_ingress else None,
                   detail=f"kind is missing (apiVersion {api_version}); kubectl rejects an object without a kind, "
                          "so it was not read")
    return False


def _ingress(r: _Reader, obj: dict, meta: dict, base: dict) -> Ingress:
    legacy = base["api_version"] != "networking.k8s.io/v1"
    spec = r.get(obj, (), "spec", dict, "a map", {})
    created = meta.get("creationTimestamp")
    ing = Ingress(
        **base,
        created=created if isinstance(created, str) else (str(created) if created else ""),
        class_field=r.get(spec, ("spec",), "ingressClassName", str, "a string"),
    )
    backend_key = "backend" if legacy else "defaultBackend"
    if isinstance(spec, dict) and backend_key in spec:
        ing.default_backend = _backend(r, spec, ("spec", backend_key), legacy)
    rules = r.get(spec, ("spec",), "rules", list, "a list", [])
    for i, rule in enumerate(rules):
        rp: Path = ("spec", "rules", i)
        if not isinstance(rule, dict):
            r.bad(rp, "a map", rule)
            continue
        host = r.get(rule, rp, "host", str, "a string")
        http = r.get(rule, rp, "http", dict, "a map", {})
        paths: list[IngressPath] = []
        for j, p in enumerate(r.get(http, rp + ("http",), "paths", list, "a list", [])):
            pp: Path = rp + ("http", "paths", j)
            if not isinstance(p, dict):
                r.bad(pp, "a map", p)
                continue
            path_type = r.get(p, pp, "pathType", str, "a string")
            if path_type is None:
                # networking.k8s.io/v1 requires pathType; the v1beta1 APIs defaulted it.
                if not legacy:
                    r.bad(pp + ("pathType",), "Exact, Prefix or ImplementationSpecific", None)
                path_type = "ImplementationSpecific"
            elif path_type not in ("Exact", "Prefix", "ImplementationSpecific"):
                r.bad(pp + ("pathType",), "Exact, Prefix or ImplementationSpecific", path_type)
                continue
            backend = _backend(r, p, pp + ("backend",), legacy) if "backend" in p else None
            if backend is None and "backend" not in p:  # (a backend that is there reported its own problem)
                r.bad(pp + ("backend",), "a backend", None)
            paths.append(IngressPath(r.get(p, pp, "path", str, "a string"), path_type, backend, pp))
        ing.rules.append(IngressRule(host, paths, rp))
    for i, tls in enumerate(r.get(spec, ("spec",), "tls", list, "a list", [])):
        tp: Path = ("spec", "tls", i)
        if not isinstance(tls, dict):
            r.bad(tp, "a map", tls)
            continue
        hosts = [h for h in r.get(tls, tp, "hosts", list, "a list", []) if isinstance(h, str)]
        secret = r.get(tls, tp, "secretName", str, "a string")
        if secret and not _DNS_SUBDOMAIN.fullmatch(secret):
            # A Secret's name is a DNS subdomain ("ns/name" is not a reference to another namespace): it names no
            # Secret, so the controller served these hosts with its default certificate.
            r.bad(tp + ("secretName",), "a Secret name (a DNS subdomain; tls.secretName names a Secret of the "
                                        "Ingress's own namespace)", secret, got=repr(secret[:80]))
            secret = None
        ing.tls.append(IngressTLS(hosts, secret, tp))
    return ing


_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_DNS_1035 = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")
_PORT_NAME = re.compile(r"(?=.{1,15}$)[a-z0-9]([a-z0-9]|-(?!-))*(?<!-)")
_DNS_SUBDOMAIN = re.compile(r"(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def _backend(r: _Reader, parent: dict, path: Path, legacy: bool) -> Backend | None:
    raw = parent.get(path[-1])
    if not isinstance(raw, dict):
        r.bad(path, "a map", raw)
        return None
    if isinstance(raw.get("resource"), dict):
        return Backend(None, None, None, path, resource=raw["resource"])
    if legacy:
        name = r.get(raw, path, "serviceName", str, "a string")
        port = raw.get("servicePort")
        port_path = path + ("servicePort",)
    else:
        svc = r.get(raw, path, "service", dict, "a map", {})
        name = r.get(svc, path + ("service",), "name", str, "a string")
        port_obj = r.get(svc, path + ("service",), "port", dict, "a map", {})
        port = port_obj.get("number", port_obj.get("name"))
        port_path = path + ("service", "port")
    if not name:
        r.bad(path, "a service name", None)
        return None
    if not _DNS_1035.fullmatch(name):
        # The API server validates the name as a Service name (a DNS-1035 label) and rejects the Ingress.
        r.bad(path + (("serviceName",) if legacy else ("service", "name")),
              "a Service name (a DNS-1035 label: lower-case letters, digits and '-', starting with a letter, at "
              "most 63 characters)", name, got=repr(name[:80]))
        return None
    number: int | None = None
    pname: str | None = None
    if isinstance(port, bool):
        r.bad(port_path, "a port number or name", port)
    elif isinstance(port, int):
        number = port
    elif isinstance(port, str) and port.isdigit():
        # A port has at most 5 digits: anything longer is out of range, whatever its value. That also keeps int()
        # away from a number of thousands of digits (it would raise) and from non-ASCII digits it cannot read.
        if len(port.lstrip("0")) > 5 or not port.isascii():
            r.bad(port_path, "a port between 1 and 65535", port,
                  got=f"a number of {len(port)} digits" if port.isascii() else f"{port!r}")
        else:
            number = int(port)
    elif isinstance(port, str) and port:
        if _PORT_NAME.fullmatch(port) and not port.isdigit():
            pname = port
        else:  # the API server checks a port name as an IANA service name
            r.bad(port_path, "a port name (an IANA service name: at most 15 lower-case letters, digits and '-')",
                  port, got=repr(port[:80]))
    elif port is not None:
        r.bad(port_path, "a port number or name", port)
    if number is not None and not 1 <= number <= 65535:
        r.bad(port_path, "a port between 1 and 65535", number)
        number = None
    return Backend(name, number, pname, path)


def _service(r: _Reader, obj: dict, base: dict) -> Service:
    svc = Service(**base)
    spec = r.get(obj, (), "spec", dict, "a map", {})
    for i, p in enumerate(r.get(spec, ("spec",), "ports", list, "a list", [])):
        if not isinstance(p, dict):
            continue
        port = p.get("port")
        if not isinstance(port, int) or isinstance(port, bool):
            continue
        if not 1 <= port <= 65535:  # the API server refuses the Service; a backend naming this port finds none
            r.bad(("spec", "ports", i, "port"), "a port between 1 and 65535", port, got=str(port))
            continue
        name = p.get("name") if isinstance(p.get("name"), str) else None
        ap = p.get("appProtocol") if isinstance(p.get("appProtocol"), str) else None
        tp = p.get("targetPort")
        svc.ports.append(ServicePort(name, port, ap, tp if isinstance(tp, (int, str)) else None))
    return svc
