"""Loading CustomResourceDefinitions and validating objects against them."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from ruamel.yaml import YAML

from . import cel
from .problem import Problem
from .schema import validate_custom_resource

__all__ = ["CRDSet", "CRDVersion", "validate_object", "is_builtin", "load_documents", "CRDLoadError"]

#: API groups built in to Kubernetes: objects of these groups are not custom resources.
BUILTIN_GROUPS = frozenset({
    "", "apps", "batch", "autoscaling", "policy", "extensions",
    "networking.k8s.io", "rbac.authorization.k8s.io", "storage.k8s.io", "apiextensions.k8s.io",
    "admissionregistration.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io",
    "scheduling.k8s.io", "node.k8s.io", "certificates.k8s.io", "flowcontrol.apiserver.k8s.io",
    "authentication.k8s.io", "authorization.k8s.io", "apiregistration.k8s.io", "resource.k8s.io",
    "internal.apiserver.k8s.io", "storagemigration.k8s.io",
})


class CRDLoadError(Exception):
    """A CRD source that cannot be read or parsed."""


def split_api_version(api_version: str) -> tuple[str, str]:
    if "/" in api_version:
        g, _, v = api_version.partition("/")
        return g, v
    return "", api_version


def is_builtin(obj: Mapping[str, Any]) -> bool:
    """True for objects of kinds built in to Kubernetes (Service, Secret, Ingress, CRDs, ...)."""
    api_version = obj.get("apiVersion")
    if not isinstance(api_version, str):
        return False
    return split_api_version(api_version)[0] in BUILTIN_GROUPS


def _yaml() -> YAML:
    y = YAML(typ="safe", pure=False)
    return y


def load_documents(text: str, source: str = "<text>") -> list[Any]:
    """All YAML/JSON documents of a text; ``kind: List`` / ``*List`` objects are flattened."""
    try:
        docs = list(_yaml().load_all(io.StringIO(text)))
    except Exception as ex:
        raise CRDLoadError(f"{source}: cannot parse YAML: {ex}") from None
    out: list[Any] = []
    for d in docs:
        if isinstance(d, dict) and isinstance(d.get("items"), list) and str(d.get("kind", "")).endswith("List"):
            out.extend(d["items"])
        elif d is not None:
            out.append(d)
    return out


@dataclass
class CRDVersion:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    served: bool
    storage: bool
    schema: Mapping[str, Any]
    status_subresource: bool
    deprecated: bool = False
    source: str = ""
    _compiled: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def compile(self) -> list[tuple[str, str, str]]:
        """Compile every CEL rule of this version once; returns (location, rule, error) failures."""
        failures = []
        for loc, rule in cel.iter_rules(self.schema):
            for text in (rule.get("rule"), rule.get("messageExpression")):
                if not text:
                    continue
                try:
                    cel.compile_rule(text)
                except cel.CELCompileError as ex:
                    failures.append((loc, text, str(ex)))
        with self._lock:
            self._compiled = True
        return failures

    def validate(self, obj: Mapping[str, Any]) -> list[Problem]:
        if not self._compiled:
            self.compile()  # warms the per-rule cache; errors are reported where the rule applies
        return validate_custom_resource(obj, self.schema, has_status_subresource=self.status_subresource,
                                        namespaced=self.namespaced)


class CRDSet:
    """A set of CRDs, indexed by (group, version, kind)."""

    def __init__(self) -> None:
        self._versions: dict[tuple[str, str, str], CRDVersion] = {}
        self._kinds: dict[tuple[str, str], list[str]] = {}
        self.sources: list[str] = []

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_objects(cls, objs: Iterable[Mapping[str, Any]], source: str = "") -> "CRDSet":
        s = cls()
        s.add_objects(objs, source)
        return s

    @classmethod
    def load(cls, sources: Sequence[str | Path], *, stdin: io.TextIOBase | None = None) -> "CRDSet":
        """Load CRDs from directories (recursive ``*.yaml``/``*.yml``/``*.json``), files and ``-`` (stdin)."""
        s = cls()
        for src in sources:
            if str(src) == "-" or is_stream(src):
                for name, text in _read_source(src, stdin):
                    s.add_objects(load_documents(text, name), name)
                continue
            for f in _files_of(src):
                s.add_objects(_parsed_file(f), str(f))
        return s

    def add_objects(self, objs: Iterable[Mapping[str, Any]], source: str = "") -> None:
        """Add CRDs; later definitions of the same group/kind replace earlier ones."""
        for obj in objs:
            if not isinstance(obj, Mapping) or obj.get("kind") != "CustomResourceDefinition":
                continue
            api_version = str(obj.get("apiVersion", ""))
            if not api_version.startswith("apiextensions.k8s.io/"):
                continue
            spec = obj.get("spec") or {}
            group = spec.get("group", "")
            names = spec.get("names") or {}
            kind = names.get("kind", "")
            if not kind:
                continue
            for k in [k for k in self._versions if k[0] == group and k[2] == kind]:
                del self._versions[k]
            namespaced = spec.get("scope", "Namespaced") == "Namespaced"
            top_schema = (spec.get("validation") or {}).get("openAPIV3Schema")
            top_sub = spec.get("subresources") or {}
            versions = spec.get("versions") or [{"name": spec.get("version"), "served": True, "storage": True}]
            order = []
            for v in versions:
                schema = ((v.get("schema") or {}).get("openAPIV3Schema")) or top_schema or {}
                sub = v.get("subresources") or top_sub
                cv = CRDVersion(
                    group=group, version=str(v.get("name")), kind=kind, plural=names.get("plural", ""),
                    namespaced=namespaced, served=bool(v.get("served", True)), storage=bool(v.get("storage")),
                    schema=schema, status_subresource="status" in (sub or {}),
                    deprecated=bool(v.get("deprecated")), source=source,
                )
                self._versions[(group, cv.version, kind)] = cv
                order.append(cv.version)
            self._kinds[(group, kind)] = order
        if source:
            self.sources.append(source)

    # -- queries ------------------------------------------------------------------------------
    def kinds(self) -> list[tuple[str, str, str]]:
        """(group, version, kind) of every served version."""
        return sorted(k for k, v in self._versions.items() if v.served)

    def get(self, group: str, version: str, kind: str) -> CRDVersion | None:
        return self._versions.get((group, version, kind))

    def versions_of(self, group: str, kind: str) -> list[CRDVersion]:
        return [self._versions[(group, v, kind)] for v in self._kinds.get((group, kind), [])
                if (group, v, kind) in self._versions]

    def __len__(self) -> int:
        return len(self._versions)

    def __iter__(self) -> Iterator[CRDVersion]:
        return iter(self._versions.values())


def is_stream(src: str | Path) -> bool:
    """A path that is read once, as a stream: ``/dev/stdin``, ``/dev/fd/N`` (``<(kubectl get crd -o yaml)``), a
    named pipe or a device. It cannot be stat'ed for the cache, nor read twice."""
    try:
        mode = os.stat(src).st_mode
    except (OSError, ValueError):
        return False
    return not stat.S_ISDIR(mode) and not stat.S_ISREG(mode)


def _read_stream(src: str | Path) -> str:
    try:
        with open(src, "rb") as f:
            return f.read().decode("utf-8")
    except (OSError, UnicodeDecodeError) as ex:
        raise CRDLoadError(f"{src}: cannot read: {ex}") from None


def _read_source(src: str | Path, stdin: io.TextIOBase | None) -> list[tuple[str, str]]:
    if str(src) == "-":
        stream = stdin if stdin is not None else sys.stdin
        return [("-", stream.read())]
    if is_stream(src):
        return [(str(src), _read_stream(src))]
    p = Path(src)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix in (".yaml", ".yml", ".json"))
        out = []
        for f in files:
            if "_vap_" in f.name:
                continue  # ValidatingAdmissionPolicies shipped next to Gateway API CRDs
            out.append((str(f), _read_text(f)))
        return out
    if p.is_file():
        return [(str(p), _read_text(p))]
    raise CRDLoadError(f"{src}: no such file or directory")


_FILE_CACHE: dict[tuple[str, int, int], list[Any]] = {}
_FILE_CACHE_LOCK = threading.Lock()


def _files_of(src: str | Path) -> list[Path]:
    p = Path(src)
    if p.is_dir():
        return sorted(f for f in p.rglob("*") if f.is_file() and f.suffix in (".yaml", ".yml", ".json")
                      and "_vap_" not in f.name)  # ValidatingAdmissionPolicies shipped with Gateway API
    if p.is_file():
        return [p]
    raise CRDLoadError(f"{src}: no such file or directory")


def _parsed_file(f: Path) -> list[Any]:
    """Parsed documents of a CRD file, cached per (path, mtime, size) for the process (CRDs are big)."""
    st = f.stat()
    key = (str(f.resolve()), st.st_mtime_ns, st.st_size)
    with _FILE_CACHE_LOCK:
        hit = _FILE_CACHE.get(key)
    if hit is None:
        text = _read_text(f)
        if f.suffix == ".json":
            try:
                d = json.loads(text)
                hit = d["items"] if isinstance(d, dict) and str(d.get("kind", "")).endswith("List") \
                    and isinstance(d.get("items"), list) else [d]
            except ValueError:
                hit = load_documents(text, str(f))
        else:
            hit = load_documents(text, str(f))
        with _FILE_CACHE_LOCK:
            _FILE_CACHE[key] = hit
    return hit


def _read_text(p: Path) -> str:
    try:
        return p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as ex:
        raise CRDLoadError(f"{p}: cannot read: {ex}") from None


def validate_object(crds: CRDSet, obj: Mapping[str, Any]) -> list[Problem]:
    """Validate one object like ``kubectl apply --dry-run=server`` would (create)."""
    if not isinstance(obj, Mapping):
        return [Problem("", "Invalid value: the object must be a mapping", "schema")]
    api_version = obj.get("apiVersion")
    kind = obj.get("kind")
    if not isinstance(api_version, str) or not api_version:
        return [Problem("apiVersion", "Required value: apiVersion must be set", "schema")]
    if not isinstance(kind, str) or not kind:
        return [Problem("kind", "Required value: kind must be set", "schema")]
    if is_builtin(obj):
        return []
    group, version = split_api_version(api_version)
    cv = crds.get(group, version, kind)
    if cv is None:
        known = crds.versions_of(group, kind)
        if known:
            served = ", ".join(v.version for v in known if v.served) or "none"
            msg = f'no matches for kind "{kind}" in version "{api_version}" (served versions: {served})'
        else:
            msg = f'no matches for kind "{kind}" in version "{api_version}" (no CRD loaded for it)'
        return [Problem("", msg, "unknown-kind")]
    if not cv.served:
        return [Problem("", f'version "{version}" of {kind}.{group} is not served', "not-served")]
    return cv.validate(obj)


def kinds_json(crds: CRDSet) -> str:  # pragma: no cover - debugging helper
    return json.dumps(crds.kinds(), indent=1)
