"""Each owner's provider turns its Ingresses into drafts, then sees all of its drafts together.

A provider is configured once per run (its ConfigMap, its defaults) before its first Ingress. After every
Ingress is translated the drafts are put in the controllers' order (oldest first, then namespace/name), never
the input order, and each provider's cross-Ingress step (``post_process``: canaries, shared hosts...) runs
over its own drafts. Last, each provider places the default backends of the drafts on one Gateway: which
Ingress's ``spec.defaultBackend`` answers the requests no rule matches is the controller's decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingress2gw.model.ir import IngressDraft, RuleDraft, StreamRoute, controller_order as age
from ingress2gw.options import OptionValues
from ingress2gw.provider.base import Context, IngressProvider
from ingress2gw.report import Code, Report
from ingress2gw.source.objects import Inventory
from ingress2gw.stages.ownership import Selected


@dataclass
class GatewayDefaults:
    """What the owning provider decides for a whole Gateway."""

    #: The default-backend catch-all rules, after the explicit rules of every Ingress.
    catch_alls: list[RuleDraft] = field(default_factory=list)
    #: The HTTPS redirect status of hosts whose certificate owner sets none.
    redirect_code: int = 308
    #: Plain TCP/UDP ports of the controller (listeners and TCPRoutes/UDPRoutes), by protocol and port.
    streams: list[StreamRoute] = field(default_factory=list)


@dataclass
class Translation:
    drafts: list[IngressDraft] = field(default_factory=list)
    #: Gateway name -> what its provider decided for it.
    gateways: dict[str, GatewayDefaults] = field(default_factory=dict)


def translate(selected: list[Selected], inventory: Inventory, options: OptionValues, gateway_of,
              report: Report, progress=None) -> Translation:
    """``gateway_of(ingress_class, namespace)`` names the Gateway an Ingress goes to; ``progress(stage, done,
    total)`` hears of every hundredth Ingress."""
    contexts: dict[str, Context] = {}
    providers: dict[str, IngressProvider] = {}
    drafts = []
    for s in selected:
        if s.provider.name not in contexts:
            ctx = contexts[s.provider.name] = Context(inventory=inventory, options=options)
            providers[s.provider.name] = s.provider
            s.provider.configure(ctx, report)
    # Every annotation key's dimensions are known before the first is read (findings do not depend on order).
    keys = {k for ing in inventory.ingresses for k in ing.annotations}
    keys |= {k for svc in inventory.services.values() for k in svc.annotations}
    for name in sorted(providers):
        providers[name].register_dimensions(keys, contexts[name], report)
    for n, s in enumerate(selected):
        if progress is not None and n % 100 == 0:
            progress("translating Ingresses", n, len(selected))
        ctx = contexts[s.provider.name]
        report.ingresses[s.ingress.ref] = "converted"
        drafts.append(s.provider.translate(s.ingress, ctx, report, gateway_of(s.ingress_class, s.ingress.namespace),
                                           s.ingress_class))
    for ing in inventory.ingresses:
        report.ingresses.setdefault(ing.ref, "skipped")
    drafts.sort(key=age)
    for name, ctx in sorted(contexts.items()):
        providers[name].post_process([d for d in drafts if d.provider == name], ctx, report)
    streams = _streams(providers, contexts, drafts, gateway_of, report)
    if contexts:
        _report_assumptions(report, inventory)
    out = Translation(drafts=drafts)
    by_gateway: dict[str, list[IngressDraft]] = {}
    for d in drafts:
        by_gateway.setdefault(d.gateway, []).append(d)
    for name in sorted(by_gateway):
        group = by_gateway[name]
        provider = providers[group[0].provider]
        out.gateways[name] = GatewayDefaults(catch_alls=provider.place_default_backends(group, report),
                                             redirect_code=provider.default_redirect_code)
    for s in streams:
        out.gateways.setdefault(s.gateway, GatewayDefaults()).streams.append(s)
    return out


def _streams(providers: dict[str, IngressProvider], contexts: dict[str, Context], drafts: list[IngressDraft],
             gateway_of, report: Report) -> list[StreamRoute]:
    """Each provider's TCP/UDP ports, on the Gateway of its own ingress class (the first of its conventional
    class names among its Ingresses, else the first class by name) in the namespace of the object that declared
    them; sorted by Gateway, protocol and port."""
    out = []
    for name, ctx in sorted(contexts.items()):
        found = providers[name].streams(ctx, report)
        classes = sorted({d.ingress_class for d in drafts if d.provider == name})
        if not found or not classes:
            continue
        cls = next((c for c in providers[name].class_names if c in classes), classes[0])
        for s in found:
            out.append(s.model_copy(update={"gateway": gateway_of(cls, s.origin.namespace), "ingress_class": cls,
                                            "provider": name}))
    out.sort(key=lambda s: (s.gateway, s.protocol, s.port))
    return out


def _report_assumptions(report: Report, inventory: Inventory) -> None:
    from ingress2gw.source.location import Location

    # The first Ingress by file and line, not by input order: the report is a function of the inputs.
    places = [ing.locate(()) for ing in inventory.ingresses]
    first = min(places, key=lambda loc: (loc.file, loc.line, loc.col)) if places else Location("-")
    for provider, items in sorted(report.assumptions.items()):
        report.add(Code.PROVIDER_DEFAULTS, location=first, provider=provider,
                   detail=f"{provider} global configuration assumed: " + "; ".join(items))
