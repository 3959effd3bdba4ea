"""``ingress2gw verify``: convert (or take ``--gateway-manifests``), replay requests through both simulators,
report every difference. Exit 0: no unexplained difference; 1: unexplained differences; 2: unreadable input.

JSON output (``--format json``), ``schemaVersion`` 1::

    {"schemaVersion": 1,
     "summary": {"requests": N, "differences": D, "expected": E, "unexplained": U},
     "differences": [{"request": {...}, "label": "http://host/path", "controller": "ingress-nginx",
                      "source": DECISION, "gateway": DECISION, "expected": true,
                      "explainedBy": [{"code", "object", "annotation", "location", "message"}]}],
     "problems": ["..."]}

DECISION: ``{"outcome": unserved|not-found|redirect|backend|passthrough|error, "status", "location",
"backends": [{"service": "ns/name:port", "share": "7/10"}], "path", "host", "headerChanges", "detail", "via"}``
(absent keys are omitted). Differences are sorted by controller, request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ingress2gw.verify.compare import Difference, Explainer, compare
from ingress2gw.verify.gateway import GatewaySimulator
from ingress2gw.verify.requests import RequestFileError, load_requests

if TYPE_CHECKING:
    from ingress2gw.pipeline import Options

SOURCE_ANNOTATION = "ingress2gw.io/source"
SCHEMA_VERSION = 1


@dataclass
class VerifyResult:
    requests: int = 0
    differences: list[Difference] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    input_errors: bool = False

    @property
    def unexplained(self) -> list[Difference]:
        return [d for d in self.differences if not d.expected]

    def to_dict(self) -> dict:
        return {
            "schemaVersion": SCHEMA_VERSION,
            "summary": {"requests": self.requests, "differences": len(self.differences),
                        "expected": len(self.differences) - len(self.unexplained),
                        "unexplained": len(self.unexplained)},
            "differences": [d.to_dict() for d in self.differences],
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
    objects = converted.objects
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
    selected = select_owners(inventory, providers, wanted_providers=options.providers, classes=options.ingress_classes,
                      namespaces=options.namespaces, report=scratch)
    groups: dict[str, list] = {}
    for s in selected:
        groups.setdefault(s.provider.name, []).append(s.ingress)

    if options.gateway and not any(o.get("kind") == "Gateway" for o in objects):
        objects = objects + [_assumed_gateway(*options.gateway)]
    route_sources = {f"{o['kind']} {o['metadata'].get('namespace', 'default')}/{o['metadata']['name']}":
                     _sources(o) for o in objects if isinstance(o, dict) and o.get("kind") in
                     ("HTTPRoute", "GRPCRoute", "TLSRoute") and isinstance(o.get("metadata"), dict)}
    hosts = {f"{i.namespace}/{i.name}": [r.host or "" for r in i.rules] for i in inventory.ingresses}
    explainer = Explainer(report.findings, hosts, route_sources)

    for provider, ingresses in sorted(groups.items()):
        names = {f"{i.namespace}/{i.name}" for i in ingresses}
        gw_objects = [o for o in objects if not (o.get("kind") == "Gateway" and _sources(o)
                                                 and not names & set(_sources(o)))]
        gateway = GatewaySimulator(gw_objects)
        simulated = providers[provider].source_simulator(ingresses, inventory, values)
        if simulated is None:
            result.problems.append(f"no simulator for provider {provider}: its Ingresses were not verified")
            continue
        source, reqs = simulated
        n, diffs = compare(reqs + user_requests, source, gateway, explainer, provider)
        result.requests += n
        result.differences += diffs
    result.differences.sort(key=lambda d: (d.controller, d.request.host, d.request.path, d.request.scheme,
                                           d.request.label()))
    return result


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


def to_markdown(result: VerifyResult) -> str:
    s = result.to_dict()["summary"]
    lines = ["## Traffic verification", "",
             f"{s['requests']} requests replayed; {s['differences']} differences "
             f"({s['expected']} explained by findings, **{s['unexplained']} unexplained**).", ""]
    if result.differences:
        lines += ["| | request | controller | Gateway API | explained by |", "|---|---|---|---|---|"]
        for d in result.differences:
            mark = "expected" if d.expected else "**UNEXPLAINED**"
            why = ", ".join(f"`{f.code.value}` {f.annotation or ''} ({f.obj})".replace(" (", " (", 1)
                            for f in d.explained_by[:3]) or "—"
            lines.append(f"| {mark} | `{_md(d.request.label())}` | {_md(d.source.describe())} | "
                         f"{_md(d.gateway.describe())} | {_md(why)} |")
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
            why = "\n".join(f"{f.code.value} {f.annotation or ''} {f.location}".strip() for f in d.explained_by[:2])
            table.add_row("[green]expected[/]" if d.expected else "[bold red]UNEXPLAINED[/]", d.request.label(),
                          d.source.describe(), d.gateway.describe(), why or "—")
        console.print(table)
    for p in result.problems:
        console.print(f"[yellow]warning:[/] {p}")
    console.print(f"{s['requests']} requests, {s['differences']} differences, {s['expected']} explained, "
                  f"{s['unexplained']} unexplained")


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
