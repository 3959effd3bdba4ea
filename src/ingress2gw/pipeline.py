"""The only place that knows the order of the stages.

manifests → source (documents with locations) → inventory → owners (stages.ownership) → drafts
(stages.translate: the providers' IR) → host plans (stages.merge) → emitter (dicts and an outcome ledger) →
findings (report.derive). Each stage takes its input plus the Report.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import BinaryIO, Sequence

from ingress2gw.gwapi import Target
from ingress2gw.options import OptionValues
from ingress2gw.report import Code, Report


@dataclass(frozen=True)
class Options:
    """The options of a run: the core ones (``ingress2gw.options.CORE_OPTIONS``) typed, the ones providers and
    emitters declare in ``provider_options`` (name → value, checked against the declarations when read)."""

    paths: list[str] = field(default_factory=list)
    providers: list[str] = field(default_factory=list)
    ingress_classes: list[str] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    emitter: str = "standard"
    target: Target = field(default_factory=Target)
    gateway_namespace: str = "gateway-system"
    gateway_mode: str = "shared"
    gateway: tuple[str, str] | None = None
    gateway_class: str | None = None
    #: Values of the options providers and emitters declare (``regex_mode``, ``allow_snippets``...).
    provider_options: dict = field(default_factory=dict)

    def plugin_values(self, providers) -> OptionValues:
        """The providers' declared options with this run's values (what ``ctx.options`` holds)."""
        from ingress2gw.options import plugin_options

        specs = plugin_options(providers, emitters=())
        names = {s.name for s in specs}
        return OptionValues(specs, {k: v for k, v in self.provider_options.items() if k in names})


@dataclass
class Result:
    objects: list[dict]
    report: Report


def run(opts: Options, *, stdin: BinaryIO | None = None, providers=None, progress=None,
        inputs: Sequence[tuple[str, bytes]] = ()) -> Result:
    """One run. ``progress(stage, done, total)`` hears of each stage (``ingress2gw.progress``); ``inputs`` are
    (source name, JSON bytes) pairs read besides the paths (``source/cluster.py``)."""
    from ingress2gw.emitters import create_emitter
    from ingress2gw.emitters.naming import gateway_key
    from ingress2gw.plugin import load_providers
    from ingress2gw.report.derive import derive_findings
    from ingress2gw.stages.merge import merge_hosts
    from ingress2gw.stages.ownership import select_owners
    from ingress2gw.stages.translate import translate
    from ingress2gw.source.loader import load_paths
    from ingress2gw.source.objects import build_inventory
    from ingress2gw.progress import no_progress

    report = Report()
    # The object graph of a large kind: List is long-lived and acyclic: the cyclic collector would
    # only walk it again and again (PERFORMANCE-NOTES.md), so it is paused for the run.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        providers = providers if providers is not None else load_providers()
        values = opts.plugin_values(providers)
        progress = progress or no_progress
        progress("reading the manifests")
        loaded = load_paths(list(opts.paths) + values.inputs(), stdin=stdin, inputs=inputs)
        for p in loaded.problems:
            code = Code(p.code) if p.code in Code._value2member_map_ else Code.INPUT_YAML_SYNTAX
            report.add(code, location=p.location, detail=p.message)
        report.sources = loaded.sources  # the report quotes input lines from here, never from the files
        progress("reading the objects", 0, len(loaded.documents))
        inventory = build_inventory(loaded.documents, report)
        del loaded
        unknown = [p for p in opts.providers if p not in providers]
        if unknown:
            raise UsageError(f"unknown provider {', '.join(unknown)} (known: {', '.join(sorted(providers))})")
        selected = select_owners(inventory, providers, wanted_providers=opts.providers,
                                 classes=opts.ingress_classes, namespaces=opts.namespaces, report=report)
        translation = translate(selected, inventory, values,
                                lambda cls, ns: gateway_key(cls, ns, opts.gateway_mode), report, progress=progress)
        progress("merging hosts", len(selected), len(selected))
        plans = merge_hosts(translation, opts.target, report)
        emitter = create_emitter(opts.emitter, opts.provider_options, report, target=opts.target,
                                 gateway_namespace=opts.gateway_namespace, gateway_mode=opts.gateway_mode,
                                 existing_gateway=opts.gateway, gateway_class=opts.gateway_class)
        progress(f"writing {emitter.name} objects", len(selected), len(selected))
        objects = emitter.emit(plans)
        # After emission the only findings are those derived from the emitter's outcomes.
        report.extend(derive_findings(translation.drafts, emitter.ledger, emitter.name))
    finally:
        if gc_was_enabled:
            gc.enable()
    return Result(objects=objects, report=report)


class UsageError(Exception):
    """A problem with the command line (exit code 2)."""
