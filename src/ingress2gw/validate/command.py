"""``ingress2gw validate`` and ``ingress2gw crds import``: plain functions the CLI wires up.

CRD lookup (first hit wins, see docs/validate.md):

1. ``--crds DIR|FILE|-`` (repeatable).  A directory laid out as a *CRD store*
   (``gateway-api/v<version>/<channel>/`` and ``<project>/<version>/``) is expanded like 2.;
   anything else is loaded as it is.
2. ``$INGRESS2GW_CRDS``: one or more CRD stores (``os.pathsep``-separated).
3. The user cache ``$XDG_CACHE_HOME/ingress2gw/crds`` (``~/.cache/ingress2gw/crds``), filled
   by ``ingress2gw crds import``.
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence, TextIO

from .crds import CRDLoadError, CRDSet, is_builtin, is_stream, load_documents, validate_object

__all__ = [
    "run_validate", "run_crds_import", "resolve_crd_sources", "cache_dir", "CRDResolution",
    "JSON_FORMAT_VERSION", "NoCRDsError",
]

JSON_FORMAT_VERSION = 1
GATEWAY_API_GROUPS = ("gateway.networking.k8s.io", "gateway.networking.x-k8s.io")
CHANNELS = ("standard", "experimental")

@functools.lru_cache(maxsize=1)
def project_of_group() -> dict[str, str]:
    """API group -> folder of its project in a CRD store (the layout of ../shared/crds): Gateway API's own
    groups, and the groups each emitter declares (``api_groups``). Imports the emitters: called only when
    CRDs are imported."""
    from ingress2gw.emitters import api_groups

    return {**{g: "gateway-api" for g in GATEWAY_API_GROUPS}, **api_groups()}


def __getattr__(name: str):
    if name == "PROJECT_OF_GROUP":  # computed on first use, not when the CLI starts
        return project_of_group()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class NoCRDsError(Exception):
    """No usable CRDs were found; the message tells the user how to provide them."""


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "ingress2gw" / "crds"


def _version_key(name: str) -> tuple:
    nums = [int(x) for x in re.findall(r"\d+", name)]
    return (len(nums) > 0, nums, name)


def _parse_requested(v: str | None) -> tuple[int, ...] | None:
    if v is None or v == "":
        return None
    m = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.(\d+))?", v.strip())
    if not m:
        raise ValueError(f"invalid --gateway-api-version {v!r}: expected MAJOR.MINOR such as 1.6 (or 1.6.1)")
    return tuple(int(x) for x in m.groups() if x is not None)


def _is_store(d: Path) -> bool:
    return (d / "gateway-api").is_dir()


def _gateway_bundle(store: Path, requested: tuple[int, ...] | None, channel: str) -> Path | None:
    root = store / "gateway-api"
    if not root.is_dir():
        return None
    best: tuple[tuple, Path] | None = None
    for d in root.iterdir():
        m = re.fullmatch(r"v?(\d+)\.(\d+)\.(\d+)(.*)", d.name)
        if not m or not (d / channel).is_dir():
            continue
        nums = tuple(int(x) for x in m.groups()[:3])
        if requested is not None and nums[: len(requested)] != requested:
            continue
        key = (nums, m.group(4) == "", d.name)  # prefer releases over pre-releases
        if best is None or key > best[0]:
            best = (key, d / channel)
    return best[1] if best else None


def _project_dirs(store: Path) -> list[Path]:
    out = []
    for proj in sorted(store.iterdir()):
        if not proj.is_dir() or proj.name == "gateway-api" or proj.name.startswith("."):
            continue
        versions = [d for d in proj.iterdir() if d.is_dir()]
        if versions:
            out.append(max(versions, key=lambda d: _version_key(d.name)))
        elif any(proj.glob("*.y*ml")) or any(proj.glob("*.json")):
            out.append(proj)
    return out


@dataclass
class CRDResolution:
    sources: list[str] = field(default_factory=list)
    gateway_api_bundle: str | None = None
    searched: list[str] = field(default_factory=list)


def resolve_crd_sources(crds: Sequence[str], gateway_api_version: str | None, channel: str,
                        env: Mapping[str, str] | None = None) -> CRDResolution:
    """Decide which files/directories to load. Raises NoCRDsError or ValueError (usage)."""
    env = os.environ if env is None else env
    if channel not in CHANNELS:
        raise ValueError(f"invalid --channel {channel!r}: expected one of {', '.join(CHANNELS)}")
    requested = _parse_requested(gateway_api_version)
    res = CRDResolution()
    explicit = list(crds or [])
    if explicit:
        for src in explicit:
            p = Path(src)
            if src != "-" and p.is_dir() and _is_store(p):
                res.searched.append(str(p))
                bundle = _gateway_bundle(p, requested, channel)
                if bundle is None:
                    raise NoCRDsError(_no_crds_message(requested, channel, [str(p)]))
                res.gateway_api_bundle = str(bundle)
                res.sources.append(str(bundle))
                res.sources.extend(str(d) for d in _project_dirs(p))
            else:
                res.sources.append(src)
        return res
    stores = [Path(x) for x in (env.get("INGRESS2GW_CRDS") or "").split(os.pathsep) if x]
    stores.append(cache_dir(env))
    for store in stores:
        res.searched.append(str(store))
        if not store.is_dir():
            continue
        bundle = _gateway_bundle(store, requested, channel)
        if bundle is None:
            continue
        res.gateway_api_bundle = str(bundle)
        res.sources = [str(bundle)] + [str(d) for d in _project_dirs(store)]
        return res
    raise NoCRDsError(_no_crds_message(requested, channel, res.searched))


def _no_crds_message(requested: tuple[int, ...] | None, channel: str, searched: list[str]) -> str:
    want = "v" + ".".join(map(str, requested)) + ("" if requested and len(requested) == 3 else ".x") \
        if requested else "any version"
    return (
        f"no Gateway API CRDs ({want}, {channel} channel) found; searched: {', '.join(searched) or 'nothing'}.\n"
        "Provide CRDs in one of these ways:\n"
        "  - pass them directly:      ingress2gw validate --crds standard-install.yaml [--crds more-crds/] PATH...\n"
        "  - from a cluster:          kubectl get crd -o yaml | ingress2gw validate --crds - PATH...\n"
        "  - import once into the cache "
        f"({cache_dir()}):\n"
        "        ingress2gw crds import standard-install.yaml   (or a directory, or - for stdin)\n"
        "  - point INGRESS2GW_CRDS at a directory laid out as gateway-api/v<version>/<channel>/ "
        "and <project>/<version>/"
    )


# --------------------------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------------------------


def _split_field(obj: Any, field_path: str) -> tuple:
    """``spec.rules[0].x`` -> ('spec', 'rules', 0, 'x'), resolving ``[..]`` against the object."""
    out: list[Any] = []
    cur = obj
    for m in re.finditer(r"([^.\[\]]+)|\[([^\]]*)\]", field_path):
        key: Any = m.group(1) if m.group(1) is not None else m.group(2)
        if m.group(2) is not None and isinstance(cur, list) and key.isdigit():
            key = int(key)
        out.append(key)
        try:
            cur = cur[key] if cur is not None else None
        except (KeyError, IndexError, TypeError):
            cur = None
    return tuple(out)


def _duplicate_keys_by_document(loaded) -> dict[int, list]:
    """``input.duplicate-key`` problems by the document they are in (the last document of the same file that
    starts at or before the key's line)."""
    by_source: dict[str, list] = {}
    for doc in loaded.documents:
        by_source.setdefault(doc.source, []).append(doc)
    out: dict[int, list] = {}
    for ip in loaded.problems:
        if ip.code != "input.duplicate-key":
            continue
        docs = [d for d in by_source.get(ip.location.file, []) if d.line <= ip.location.line]
        if docs:
            out.setdefault(id(max(docs, key=lambda d: d.line)), []).append(ip)
    return out


def _obj_label(obj: Mapping[str, Any]) -> tuple[str, str]:
    kind = obj.get("kind") if isinstance(obj.get("kind"), str) else "?"
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name = meta.get("name") or meta.get("generateName") or "?"
    ns = meta.get("namespace")
    return str(kind), (f"{ns}/{name}" if ns else str(name))


def run_validate(paths: Sequence[str], crds: list[str], gateway_api_version: str | None, channel: str,
                 fmt: str, stdout: TextIO | None = None, stderr: TextIO | None = None, *,
                 stdin: Any = None, env: Mapping[str, str] | None = None) -> int:
    """Validate manifests against CRDs. Returns 0 (all valid), 1 (invalid objects), 2 (input/usage error).

    ``stdin`` is a binary stream for ``PATH = -`` (manifests) or a text/binary stream for
    ``--crds -``; both cannot be read from stdin at once.
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    if fmt not in ("text", "json"):
        print(f"error: invalid --format {fmt!r}: expected text or json", file=stderr)
        return 2
    paths = list(paths) or ["-"]
    if "-" in paths and "-" in (crds or []):
        print("error: stdin ('-') can be used for the manifests or for --crds, not both", file=stderr)
        return 2
    try:
        resolution = resolve_crd_sources(crds, gateway_api_version, channel, env)
        crd_set = CRDSet.load(resolution.sources, stdin=_text_stream(stdin) if "-" in resolution.sources else None)
    except (ValueError, NoCRDsError) as ex:
        print(f"error: {ex}", file=stderr)
        return 2
    except CRDLoadError as ex:
        print(f"error: cannot load CRDs: {ex}", file=stderr)
        return 2
    if len(crd_set) == 0:
        print(f"error: no CustomResourceDefinitions found in {', '.join(resolution.sources)}", file=stderr)
        return 2

    from ingress2gw.source.loader import load_paths  # the project's manifest loader

    bin_stdin = _binary_stream(stdin) if "-" in paths else None
    loaded = load_paths(paths, stdin=bin_stdin)
    input_error = False
    input_problems = []
    not_objects = 0
    for ip in loaded.problems:
        if ip.code == "input.not-an-object" and ip.message.startswith("document "):
            # A document that is no object at all (a list, a string: plain YAML data): not Kubernetes, skipped.
            not_objects += 1
            input_problems.append({"code": ip.code, "location": str(ip.location), "severity": "note",
                                   "message": f"{ip.message}; skipped"})
            continue
        fatal = ip.code not in ("input.no-manifests", "input.duplicate-key")
        input_error |= fatal
        input_problems.append({"code": ip.code, "location": str(ip.location), "message": ip.message,
                               "severity": "error" if fatal else "warning"})

    duplicates = _duplicate_keys_by_document(loaded)
    objects = []
    checked = invalid = skipped = 0
    for doc in loaded.documents:
        obj = doc.obj
        if "apiVersion" not in obj and "kind" not in obj:
            # A map without apiVersion and kind (a JSON report, a values file): not a Kubernetes object, skipped.
            not_objects += 1
            input_problems.append({
                "code": "input.not-an-object", "location": f"{doc.source}:{doc.line}" if doc.line else doc.source,
                "severity": "note",
                "message": f"document {doc.index + 1} has no apiVersion and no kind: not a Kubernetes object; skipped"})
            continue
        kind, name = _obj_label(obj)
        entry: dict[str, Any] = {
            "file": doc.source, "document": doc.index + 1, "item": doc.item, "line": doc.line,
            "apiVersion": obj.get("apiVersion"), "kind": kind,
            "namespace": (obj.get("metadata") or {}).get("namespace") if isinstance(obj.get("metadata"), dict) else None,
            "name": name.rsplit("/", 1)[-1],
        }
        # kubectl apply (strict field validation, the default) and the API server refuse a duplicate field,
        # whatever the kind.
        entry["problems"] = [
            {"field": "", "message": f"{ip.message} (kubectl apply with strict field validation rejects it)",
             "kind": "duplicate-key", "rule": None, "line": ip.location.line}
            for ip in duplicates.get(id(doc), [])]
        if is_builtin(obj):  # no schema here: only the duplicate keys are checked
            checked += bool(entry["problems"])
            invalid += bool(entry["problems"])
            skipped += not entry["problems"]
            entry["status"] = "invalid" if entry["problems"] else "skipped"
            objects.append(entry)
            continue
        checked += 1
        problems = validate_object(crd_set, obj)
        entry["status"] = "invalid" if problems or entry["problems"] else "valid"
        for p in problems:
            try:
                line = doc.locate(_split_field(obj, p.field)).line if p.field else doc.line
            except Exception:  # noqa: BLE001 - positions are best effort
                line = doc.line
            entry["problems"].append({"field": p.field, "message": p.message, "kind": p.kind,
                                      "rule": p.rule, "line": line or doc.line})
        invalid += entry["status"] == "invalid"
        objects.append(entry)

    code = 2 if input_error else (1 if invalid else 0)
    if fmt == "json":
        out = {
            "version": JSON_FORMAT_VERSION,
            "summary": {"checked": checked, "invalid": invalid, "valid": checked - invalid, "skipped": skipped,
                        "notObjects": not_objects},
            "crds": {"gatewayApiBundle": resolution.gateway_api_bundle, "channel": channel,
                     "sources": resolution.sources},
            "objects": objects,
            "inputProblems": input_problems,
            "exitCode": code,
        }
        json.dump(out, stdout, indent=2)
        stdout.write("\n")
    else:
        for ip in input_problems:
            print(f"{ip['location']}: {ip['severity']}: {ip['message']} ({ip['code']})", file=stderr)
        for e in objects:
            for p in e["problems"]:
                loc = f"{e['file']}:{p['line']}" if p["line"] else f"{e['file']}#{e['document']}"
                label = f"{e['namespace']}/{e['name']}" if e["namespace"] else e["name"]
                fieldpart = f"{p['field']}: " if p["field"] else ""
                print(f"{loc} {e['kind']} {label}: {fieldpart}{p['message']}", file=stdout)
        tail = f", {skipped} skipped (built-in kinds)" if skipped else ""
        tail += f", {not_objects} document(s) skipped (not Kubernetes objects)" if not_objects else ""
        print(f"{checked} objects checked, {invalid} invalid{tail}", file=stdout)
    return code


def _text_stream(stdin: Any) -> io.TextIOBase:
    if stdin is None:
        return sys.stdin  # type: ignore[return-value]
    if isinstance(stdin, io.TextIOBase):
        return stdin
    data = stdin.read()
    return io.StringIO(data.decode("utf-8") if isinstance(data, bytes) else data)


def _binary_stream(stdin: Any) -> Any:
    if stdin is None:
        return sys.stdin.buffer
    if isinstance(stdin, io.TextIOBase):
        return io.BytesIO(stdin.read().encode("utf-8"))
    return stdin


# --------------------------------------------------------------------------------------------
# crds import
# --------------------------------------------------------------------------------------------


def _crd_destination(crd: Mapping[str, Any], project_version: str | None) -> tuple[str, ...]:
    spec = crd.get("spec") or {}
    group = spec.get("group", "")
    meta = crd.get("metadata") or {}
    ann = meta.get("annotations") or {}
    labels = meta.get("labels") or {}
    if group in GATEWAY_API_GROUPS:
        version = ann.get("gateway.networking.k8s.io/bundle-version") or project_version or "v0.0.0-unknown"
        version = version if version.startswith("v") else "v" + version
        channel = ann.get("gateway.networking.k8s.io/channel") or "standard"
        return ("gateway-api", version, channel)
    project = project_of_group().get(group) or group or "unknown"
    version = project_version or labels.get("app.kubernetes.io/version") or "current"
    return (project, version)


def _normalise(crd: Mapping[str, Any]) -> dict:
    meta = crd.get("metadata") or {}
    keep_meta = {k: meta[k] for k in ("name", "labels", "annotations") if meta.get(k)}
    if isinstance(keep_meta.get("annotations"), dict):
        keep_meta["annotations"] = {k: v for k, v in keep_meta["annotations"].items()
                                    if k != "kubectl.kubernetes.io/last-applied-configuration"}
    return {"apiVersion": crd.get("apiVersion"), "kind": "CustomResourceDefinition",
            "metadata": keep_meta, "spec": crd.get("spec")}


def run_crds_import(sources: Sequence[str], *, project_version: str | None = None, dest: str | None = None,
                    stdin: Any = None, stdout: TextIO | None = None, stderr: TextIO | None = None,
                    env: Mapping[str, str] | None = None) -> int:
    """Copy the CRDs found in ``sources`` (files, dirs, ``-``) into the CRD store ``dest``.

    ``dest`` defaults to the user cache (``$XDG_CACHE_HOME/ingress2gw/crds``).  Gateway API CRDs
    go to ``gateway-api/<bundle-version>/<channel>/`` (from their annotations), others to
    ``<project>/<project_version or app.kubernetes.io/version label or 'current'>/``.  Each CRD is
    written as normalised JSON (``<plural>.<group>.json``; fast to load).  Returns 0, or 2 when
    nothing could be imported.
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    target = Path(dest) if dest else cache_dir(env)
    if not sources:
        print("error: give at least one CRD file, directory or - (stdin)", file=stderr)
        return 2
    crds: list[tuple[str, Mapping[str, Any]]] = []
    try:
        for src in sources:
            if src == "-":
                texts = [("-", _text_stream(stdin).read())]
            elif is_stream(src):  # /dev/stdin, /dev/fd/N (<(kubectl get crd -o yaml)), a named pipe
                with open(src, "rb") as fh:
                    texts = [(src, fh.read().decode("utf-8"))]
            else:
                p = Path(src)
                if p.is_dir():
                    texts = [(str(f), f.read_text(encoding="utf-8")) for f in sorted(p.rglob("*"))
                             if f.is_file() and f.suffix in (".yaml", ".yml", ".json")]
                elif p.is_file():
                    texts = [(str(p), p.read_text(encoding="utf-8"))]
                else:
                    raise CRDLoadError(f"{src}: no such file or directory")
            for name, text in texts:
                for d in load_documents(text, name):
                    if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition":
                        crds.append((name, d))
    except (CRDLoadError, OSError, UnicodeDecodeError) as ex:
        print(f"error: {ex}", file=stderr)
        return 2
    if not crds:
        print(f"error: no CustomResourceDefinitions found in {', '.join(sources)}", file=stderr)
        return 2
    written: dict[str, int] = {}
    for _, crd in crds:
        parts = _crd_destination(crd, project_version)
        spec = crd.get("spec") or {}
        folder = target.joinpath(*parts)
        folder.mkdir(parents=True, exist_ok=True)
        fname = f"{(spec.get('names') or {}).get('plural', 'crd')}.{spec.get('group', '')}.json"
        (folder / fname).write_text(json.dumps(_normalise(crd), indent=1, sort_keys=True), encoding="utf-8")
        written[str(folder)] = written.get(str(folder), 0) + 1
    for folder, n in sorted(written.items()):
        print(f"imported {n} CRD{'s' if n != 1 else ''} into {folder}", file=stdout)
    return 0


def validate_objects(objects: Sequence[Mapping[str, Any]], crds: list[str], gateway_api_version: str | None,
                     channel: str, stderr: Any) -> int:
    """``convert --validate``: check the emitted objects before they are written.

    Returns the number of invalid objects (each problem is printed), or -1 when no CRDs were found
    or they could not be read (the message says how to provide them).
    """
    from ingress2gw.validate import CRDSet, validate_object

    try:
        resolution = resolve_crd_sources(crds, gateway_api_version, channel)
        crdset = CRDSet.load(resolution.sources)
    except (NoCRDsError, ValueError, OSError, CRDLoadError) as e:
        print(f"ingress2gw: error: --validate: {e}", file=stderr)
        return -1
    invalid = 0
    for obj in objects:
        problems = validate_object(crdset, obj)
        if problems:
            invalid += 1
            kind, name = _obj_label(obj)
            for p in problems:
                print(f"ingress2gw: invalid output: {kind} {name}: {p.field}: {p.message}", file=stderr)
    return invalid
