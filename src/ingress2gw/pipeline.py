"""The only place that knows the order of the stages.

manifests → source (documents with locations) → inventory → selection → provider (IR) → passes →
emitter (dicts) → findings. Each stage takes its input plus the Report.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import BinaryIO

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


def run(opts: Options, *, stdin: BinaryIO | None = None, providers=None) -> Result:
    from ingress2gw.emitters.naming import gateway_key
    from ingress2gw.emitters import load_emitter
    from ingress2gw.emitters.standard import EmitOptions
    from ingress2gw.report.derive import derive_findings
    from ingress2gw.passes.plan import plan
    from ingress2gw.passes.select import select
    from ingress2gw.plugin import Context, load_providers
    from ingress2gw.source.loader import load_paths
    from ingress2gw.source.objects import build_inventory

    report = Report()
    # The object graph of a large kind: List is long-lived and acyclic: the cyclic collector would
    # only walk it again and again (PERFORMANCE-NOTES.md), so it is paused for the run.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        providers = providers if providers is not None else load_providers()
        values = opts.plugin_values(providers)
        loaded = load_paths(list(opts.paths) + values.inputs(), stdin=stdin)
        for p in loaded.problems:
            code = Code(p.code) if p.code in Code._value2member_map_ else Code.INPUT_YAML_SYNTAX
            report.add(code, location=p.location, detail=p.message)
        report.sources = loaded.sources  # the report quotes input lines from here, never from the files
        inventory = build_inventory(loaded.documents, report)
        del loaded
        unknown = [p for p in opts.providers if p not in providers]
        if unknown:
            raise UsageError(f"unknown provider {', '.join(unknown)} (known: {', '.join(sorted(providers))})")
        ctx = Context(inventory=inventory, options=values)
        selected = select(inventory, providers, wanted_providers=opts.providers, classes=opts.ingress_classes,
                          namespaces=opts.namespaces, report=report)
        contexts: dict[str, Context] = {}
        drafts = []
        for s in selected:
            pctx = contexts.get(s.provider.name)
            if pctx is None:
                pctx = contexts[s.provider.name] = Context(inventory=inventory, options=ctx.options)
                s.provider.configure(pctx, report)
            gateway = gateway_key(s.ingress_class, s.ingress.namespace, opts.gateway_mode)
            report.ingresses[s.ingress.ref] = "converted"
            drafts.append(s.provider.translate(s.ingress, pctx, report, gateway, s.ingress_class))
        for ing in inventory.ingresses:
            report.ingresses.setdefault(ing.ref, "skipped")
        # Cross-Ingress passes see the Ingresses in the controllers' order (oldest first, then
        # namespace/name), never in input order: the output must not depend on how files were listed.
        drafts.sort(key=lambda d: (d.created == "", d.created, d.origin.namespace, d.origin.name))
        for name, pctx in sorted(contexts.items()):
            providers[name].post_process([d for d in drafts if d.provider == name], pctx, report)
        if contexts:
            _report_assumptions(report, inventory)
        plans = plan(drafts, providers, opts.target, report)
        emitter_cls = load_emitter(opts.emitter)
        declared = getattr(emitter_cls, "options", ())
        own = OptionValues(declared, {s.name: opts.provider_options[s.name] for s in declared
                                      if s.name in opts.provider_options})
        emit_opts = EmitOptions(target=opts.target, gateway_namespace=opts.gateway_namespace,
                                gateway_mode=opts.gateway_mode, existing_gateway=opts.gateway,
                                gateway_class=opts.gateway_class, options=own,
                                allow_snippets=bool("allow_snippets" in own and own.allow_snippets))
        emitter = emitter_cls(emit_opts, report)
        objects = emitter.emit(plans)
        # After emission the only findings are those derived from the emitter's outcomes.
        report.extend(derive_findings(drafts, emitter.ledger, emitter.name))
    finally:
        if gc_was_enabled:
            gc.enable()
    return Result(objects=objects, report=report)


def _report_assumptions(report: Report, inventory) -> None:
    from ingress2gw.source.location import Location

    first = inventory.ingresses[0].locate(()) if inventory.ingresses else Location("-")
    for provider, items in sorted(report.assumptions.items()):
        report.add(Code.PROVIDER_DEFAULTS, location=first, provider=provider,
                   detail=f"{provider} global configuration assumed: " + "; ".join(items))


class UsageError(Exception):
    """A problem with the command line (exit code 2)."""
