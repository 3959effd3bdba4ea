"""``ingress2gw verify``: convert (or take ``--gateway-manifests``), replay requests through both simulators,
report every difference. Exit 0: no unexplained difference; 1: unexplained differences; 2: unreadable input.

JSON output (``--format json``), ``schemaVersion`` 2::

    {"schemaVersion": 2,
     "summary": {"requests": N, "differences": D, "expected": E, "unexplained": U, "edited": M,
                 "notSimulated": R},
     "differences": [{"request": {...}, "label": "http://host/path", "controller": "ingress-nginx",
                      "source": DECISION, "gateway": DECISION, "expected": true,
                      "aspects": [{"aspect": "upstream-path", "dimensions": ["upstream-path"],
                                   "explainedBy": [FINDING]}],
                      "editedFrom": DECISION}],          # --gateway-manifests: the tool's own answer
     "notSimulated": {"findings": [FINDING],
                      "requests": [{"label", "controller", "findings": [index], "objects": ["..."]}]},
     "problems": ["..."]}

FINDING: ``{"code", "object", "annotation", "dimensions", "location", "message"}``.

DECISION: ``{"outcome": unserved|not-found|redirect|backend|passthrough|error, "status", "location",
"backends": [{"service": "ns/name:port", "share": "7/10"}], "path", "host", "headerChanges", "detail", "via"}``
(absent keys are omitted). Differences are sorted by controller, request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ingress2gw.verify.compare import Difference, Explainer, Unmodelled, compare, finding_ref
from ingress2gw.verify.gateway import GatewaySimulator
from ingress2gw.verify.requests import RequestFileError, load_requests

if TYPE_CHECKING:
    from ingress2gw.pipeline import Options

SOURCE_ANNOTATION = "ingress2gw.io/source"
SCHEMA_VERSION = 2


@dataclass
class VerifyResult:
    requests: int = 0
    differences: list[Difference] = field(default_factory=list)
    #: Requests with behaviour in scope that the simulators do not model (auth, rate limits, timeouts...).
    not_simulated: list[Unmodelled] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    input_errors: bool = False
    #: TCPRoute / UDPRoute objects (``Kind ns/name port N``): verify replays HTTP requests, not connections.
    streams: list[str] = field(default_factory=list)

    def _not_simulated(self) -> dict:
        """Each finding once, and per request the indexes of the findings that concern it."""
        index: dict[int, int] = {}
        findings: list[dict] = []
        requests = []
        for u in self.not_simulated:
            ids = []
            for f in u.findings:
                if id(f) not in index:
                    index[id(f)] = len(findings)
                    findings.append(finding_ref(f))
                ids.append(index[id(f)])
            entry = {"label": u.request.label(), "controller": u.controller, "findings": ids}
            if u.objects:
                entry["objects"] = list(u.objects)
            requests.append(entry)
        out = {"findings": findings, "requests": requests}
        if self.streams:
            out["streams"] = list(self.streams)
        return out

    @property
    def unexplained(self) -> list[Difference]:
        return [d for d in self.differences if not d.expected]

    def to_dict(self) -> dict:
        return {
            "schemaVersion": SCHEMA_VERSION,
            "summary": {"requests": self.requests, "differences": len(self.differences),
                        "expected": len(self.differences) - len(self.unexplained),
                        "unexplained": len(self.unexplained),
                        "edited": sum(d.edited_from is not None for d in self.differences),
                        "notSimulated": len(self.not_simulated)},
            "differences": [d.to_dict() for d in self.differences],
            "notSimulated": self._not_simulated(),
            "problems": list(self.problems),
        }


def verify(options: Options, *, gateway_manifests: str | None = None, requests_file: str | None = None,
           stdin=None) -> VerifyResult:
    """The whole check, without printing. Raises ``RequestFileError`` for a bad ``--requests`` file."""
    from ingress2gw.stages.ownership import select_owners
    from ingress2gw.pipeline import run
    from ingress2gw.plugin import load_providers
    from ingress2gw.report import Report
    from ingress2gw.source.loader import load_paths
    from ingress2gw.source.objects import build_inventory

    result = VerifyResult()
    user_requests = []
    if requests_file:
        try:
            with open(requests_file, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as e:
            raise RequestFileError(f"cannot read {requests_file}: {e.strerror}") from e
        user_requests = load_requests(text, requests_file)

    converted = run(options, stdin=stdin)
    report = converted.report
    result.input_errors = report.has_input_errors()
    objects = own = converted.objects
    if gateway_manifests:
        loaded = load_paths([gateway_manifests])
        for p in loaded.problems:
            result.problems.append(f"{p.location}: {p.message}")
            result.input_errors = True
        objects = [d.obj for d in loaded.documents]

    # The source side reads the same inputs again: the simulators are independent of the translator.
    scratch = Report()
    providers = load_providers()
    values = options.plugin_values(providers)
    inventory = build_inventory(load_paths(list(options.paths) + values.inputs(), stdin=None).documents, scratch) \
        if "-" not in options.paths else None
    if inventory is None:
        result.problems.append("verify cannot re-read stdin: the source controller was not simulated")
        return result
    selected = select_owners(inventory, providers, wanted_providers=options.providers,
                             classes=options.ingress_classes, namespaces=options.namespaces, report=scratch)
    groups: dict[str, list] = {}
    for s in selected:
        groups.setdefault(s.provider.name, []).append(s.ingress)

    # Objects of the input that the output attaches by reference without writing them again (the Traefik
    # emitter keeps the input's own Middlewares): the Gateway simulator needs them as the cluster has them.
    objects = objects + _referenced_inputs(objects, inventory)
    result.streams = sorted(_stream_routes(objects))
    own = own + _referenced_inputs(own, inventory)
    if options.gateway and not any(o.get("kind") == "Gateway" for o in objects):
        objects = objects + [_assumed_gateway(*options.gateway)]
    if options.gateway and not any(o.get("kind") == "Gateway" for o in own):
        own = own + [_assumed_gateway(*options.gateway)]
    route_sources = {f"{o['kind']} {o['metadata'].get('namespace', 'default')}/{o['metadata']['name']}":
                     _sources(o) for o in objects if isinstance(o, dict) and o.get("kind") in
                     ("HTTPRoute", "GRPCRoute", "TLSRoute") and isinstance(o.get("metadata"), dict)}
    hosts = {f"{i.namespace}/{i.name}": [r.host or "" for r in i.rules] for i in inventory.ingresses}
    paths = {f"{i.namespace}/{i.name}": sum(len(r.paths) for r in i.rules) + (i.default_backend is not None)
             for i in inventory.ingresses}
    explainer = Explainer(report.findings, hosts, route_sources, paths)

    for provider, ingresses in sorted(groups.items()):
        names = {f"{i.namespace}/{i.name}" for i in ingresses}
        gw_objects = _for_provider(objects, names)
        gateway = GatewaySimulator(gw_objects)
        reference = GatewaySimulator(_for_provider(own, names)) if gateway_manifests else None
        simulated = providers[provider].source_simulator(ingresses, inventory, values)
        if simulated is None:
            result.problems.append(f"no simulator for provider {provider}: its Ingresses were not verified")
            continue
        source, reqs = simulated
        diffs, unmodelled = compare(reqs + user_requests, source, gateway, explainer, provider, reference)
        result.requests += len(reqs) + len(user_requests)
        result.differences += diffs
        result.not_simulated += unmodelled
    result.differences.sort(key=lambda d: (d.controller, d.request.host, d.request.path, d.request.scheme,
                                           d.request.label()))
    return result


def _referenced_inputs(objects: list, inventory) -> list[dict]:
    """Input objects an ExtensionRef filter of the output names and the output does not contain."""
    have = {(o.get("kind"), (o.get("metadata") or {}).get("namespace", ""), (o.get("metadata") or {}).get("name"))
            for o in objects if isinstance(o, dict)}
    wanted = set()
    for o in objects:
        if not isinstance(o, dict) or o.get("kind") not in ("HTTPRoute", "GRPCRoute"):
            continue
        ns = (o.get("metadata") or {}).get("namespace", "default")
        for rule in (o.get("spec") or {}).get("rules") or []:
            for f in rule.get("filters") or []:
                ref = f.get("extensionRef") if isinstance(f, dict) else None
                if isinstance(ref, dict) and (ref.get("kind"), ns, ref.get("name")) not in have:
                    wanted.add((ref.get("kind"), ns, ref.get("name")))
    by_key = {(kind, obj.namespace, obj.name): obj.doc.obj for kind, items in sorted(inventory.others.items())
              for obj in items}

    def members(key, obj) -> list:
        """A Traefik chain names its members: they run too."""
        chain = ((obj.get("spec") or {}).get("chain") or {}) if key[0] == "Middleware" else {}
        return [("Middleware", m.get("namespace") or key[1], m.get("name")) for m in chain.get("middlewares") or []
                if isinstance(m, dict) and "@" not in str(m.get("name", ""))]

    todo = sorted(wanted, key=str)
    for o in objects:
        if isinstance(o, dict) and o.get("kind") == "Middleware":
            meta = o.get("metadata") or {}
            todo += [m for m in members(("Middleware", meta.get("namespace", "default")), o) if m not in have]
    out: dict = {}
    while todo:
        key = todo.pop()
        obj = by_key.get(key)
        if obj is None or key in out:
            continue
        out[key] = obj
        todo += [m for m in members(key, obj) if m not in have]
    return [out[k] for k in sorted(out, key=str)]


def _for_provider(objects: list, names: set[str]) -> list:
    """The objects without the Gateways made for other providers' Ingresses."""
    return [o for o in objects if not (o.get("kind") == "Gateway" and _sources(o) and not names & set(_sources(o)))]


def _sources(o: dict) -> list[str]:
    meta = o.get("metadata") or {}
    raw = (meta.get("annotations") or {}).get(SOURCE_ANNOTATION, "")
    return [s.strip() for s in raw.split(",") if "/" in s]


def _assumed_gateway(namespace: str, name: str) -> dict:
    """``--gateway NS/NAME``: the existing Gateway is not in the output; assume HTTP 80 and HTTPS 443, any host."""
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"namespace": namespace, "name": name},
            "spec": {"listeners": [
                {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}},
                {"name": "https", "port": 443, "protocol": "HTTPS", "allowedRoutes": {"namespaces": {"from": "All"}}},
            ]}}


# -- output ------------------------------------------------------------------------------------------------------


def to_json(result: VerifyResult) -> str:
    return json.dumps(result.to_dict(), indent=2, sort_keys=False) + "\n"


def _why(d: Difference, limit: int = 2) -> list[str]:
    """One line per aspect: what explains it (or that nothing does)."""
    if d.edited_from is not None:
        return [f"changed by the edit: the tool's own output answered {d.edited_from.describe()}"]
    out = []
    for e in d.explanations:
        names = [f"{f.code.value} {f.annotation or ''}".strip() + f" ({f.location})" for f in e.findings[:limit]]
        out.append(f"{e.aspect.name}: " + (", ".join(names) if names else
                                           "no finding about " + "/".join(sorted(x.value for x in e.aspect.accepts))))
    return out


def _stream_routes(objects: list) -> list[str]:
    """The TCP/UDP routes of the output, each with the listener port it is reached on."""
    ports = {}
    for o in objects:
        if isinstance(o, dict) and o.get("kind") == "Gateway":
            for listener in (o.get("spec") or {}).get("listeners") or []:
                ports[((o.get("metadata") or {}).get("name"), listener.get("name"))] = listener.get("port")
    out = []
    for o in objects:
        if isinstance(o, dict) and o.get("kind") in ("TCPRoute", "UDPRoute") and isinstance(o.get("metadata"), dict):
            refs = (o.get("spec") or {}).get("parentRefs") or []
            port = next((r.get("port") or ports.get((r.get("name"), r.get("sectionName"))) for r in refs), None)
            out.append(f"{o['kind']} {o['metadata'].get('namespace', 'default')}/{o['metadata'].get('name')}"
                       + (f" (port {port})" if port else ""))
    return out


def _not_simulated_summary(result: VerifyResult) -> list[str]:
    """What was not simulated, per finding: how many requests it concerns."""
    counts: dict[tuple, int] = {}
    for u in result.not_simulated:
        for f in u.findings:
            key = (f"{f.code.value} {f.annotation or ''}".strip(), str(f.obj), tuple(sorted(x.value for x in f.dimensions)))
            counts[key] = counts.get(key, 0) + 1
    objects: dict[str, int] = {}
    for u in result.not_simulated:
        for o in u.objects:
            objects[o] = objects.get(o, 0) + 1
    return [f"{what} on {obj} ({', '.join(dims)}): not simulated for {n} request(s)"
            for (what, obj, dims), n in sorted(counts.items())] + [
        f"{o}: not simulated for {n} request(s)" for o, n in sorted(objects.items())] + [
        f"{s}: connections are not replayed (verify replays HTTP requests); test the port by hand"
        for s in result.streams]


def to_markdown(result: VerifyResult) -> str:
    s = result.to_dict()["summary"]
    lines = ["## Traffic verification", "",
             f"{s['requests']} requests replayed; {s['differences']} differences "
             f"({s['expected']} explained by findings, **{s['unexplained']} unexplained**"
             + (f", {s['edited']} changed by hand edits" if s["edited"] else "") + ").", ""]
    if result.differences:
        lines += ["| | request | controller | Gateway API | explained by |", "|---|---|---|---|---|"]
        for d in result.differences:
            mark = "expected" if d.expected else "**UNEXPLAINED**"
            lines.append(f"| {mark} | `{_md(d.request.label())}` | {_md(d.source.describe())} | "
                         f"{_md(d.gateway.describe())} | {_md('; '.join(_why(d)))} |")
    notes = _not_simulated_summary(result)
    if notes:
        lines += ["", "Not simulated (the simulators do not model these; check them by hand):", ""]
        lines += [f"- {_md(n)}" for n in notes]
    for p in result.problems:
        lines.append(f"- {p}")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def to_terminal(result: VerifyResult, stream) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream, width=160)
    s = result.to_dict()["summary"]
    if result.differences:
        table = Table(title="Traffic differences (controller vs Gateway API)", show_lines=False)
        for col in ("", "request", "controller did", "Gateway does", "explained by"):
            table.add_column(col, overflow="fold")
        for d in result.differences:
            table.add_row("[green]expected[/]" if d.expected else "[bold red]UNEXPLAINED[/]", d.request.label(),
                          d.source.describe(), d.gateway.describe(), "\n".join(_why(d)))
        console.print(table)
    notes = _not_simulated_summary(result)
    if notes:
        console.print("Not simulated (the simulators do not model these; check them by hand):")
        for n in notes:
            console.print(f"  {n}", markup=False)
    for p in result.problems:
        console.print(f"[yellow]warning:[/] {p}")
    console.print(f"{s['requests']} requests, {s['differences']} differences, {s['expected']} explained, "
                  f"{s['unexplained']} unexplained" + (f" ({s['edited']} changed by hand edits)" if s["edited"] else ""))


def run_verify(paths: list[str], *, gateway_manifests: str | None, requests_file: str | None, fmt: str,
               options: Options, stdout, stderr) -> int:
    """Entry point for the CLI: prints the differences to ``stdout`` in ``fmt`` (text|json|markdown).

    Returns 0 (no unexplained difference), 1 (unexplained differences) or 2 (unreadable input, bad
    ``--requests`` file, unknown format).
    """
    import sys

    from ingress2gw.pipeline import UsageError

    if fmt not in ("text", "json", "markdown"):
        print(f"error: --format must be text, json or markdown, got {fmt!r}", file=stderr)
        return 2
    if paths:
        options = replace(options, paths=list(paths))
    stdin = sys.stdin.buffer if "-" in options.paths and sys.stdin is not None else None
    try:
        result = verify(options, gateway_manifests=gateway_manifests, requests_file=requests_file, stdin=stdin)
    except RequestFileError as e:
        print(f"error: --requests: {e}", file=stderr)
        return 2
    except UsageError as e:
        print(f"error: {e}", file=stderr)
        return 2
    if fmt == "json":
        stdout.write(to_json(result))
    elif fmt == "markdown":
        stdout.write(to_markdown(result))
    else:
        to_terminal(result, stdout)
    if result.input_errors:
        print("error: some input could not be read (see `ingress2gw check`); verified the rest", file=stderr)
        return 2
    return 1 if result.unexplained else 0
