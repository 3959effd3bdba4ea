"""Which Ingresses are converted, by which provider, onto which Gateway.

Ownership follows the controllers: the legacy ``kubernetes.io/ingress.class`` annotation wins over
``spec.ingressClassName`` (both ingress-nginx and Traefik check it first); an IngressClass object's
``spec.controller`` names the provider; the default IngressClass adopts class-less Ingresses. Every
Ingress that is not converted gets a finding that says why.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingress2gw.provider.base import IngressProvider
from ingress2gw.report import Code, Report
from ingress2gw.source.objects import CLASS_ANNOTATION, Ingress, Inventory


@dataclass
class Selected:
    ingress: Ingress
    provider: IngressProvider
    ingress_class: str  # the class name ("" when adopted without one)


def select_owners(inv: Inventory, providers: dict[str, IngressProvider], *, wanted_providers: list[str],
                  classes: list[str], namespaces: list[str], report: Report) -> list[Selected]:
    active = {n: p for n, p in providers.items() if not wanted_providers or n in wanted_providers}
    by_controller = {c: p for p in active.values() for c in p.controllers}
    all_by_controller = {c: p for p in providers.values() for c in p.controllers}
    by_class_name = {c: p for p in active.values() for c in p.class_names}
    defaults = sorted((ic for ic in inv.ingress_classes.values() if ic.is_default), key=lambda ic: ic.name)
    default_class = defaults[0].name if defaults else None
    assumed_reported: set[str] = set()
    out: list[Selected] = []
    # By file and line, not in the order the files were given: a finding said once (a class assumed) names the
    # same Ingress however the inputs are listed.
    for ing in sorted(inv.ingresses, key=lambda i: (i.doc.source, i.doc.line, i.doc.item or 0)):
        if namespaces and ing.namespace not in namespaces:
            report.add(Code.INGRESS_NAMESPACE_FILTERED, location=ing.locate(("metadata", "namespace")),
                       obj=ing.ref, detail=f"namespace {ing.namespace} is not selected")
            continue
        annotated, field = ing.class_annotation, ing.class_field
        cls = annotated or field
        if annotated and field and annotated != field:
            report.add(Code.INGRESS_CLASS_CONFLICT, location=ing.annotation_location(CLASS_ANNOTATION),
                       obj=ing.ref, annotation=CLASS_ANNOTATION, value=annotated,
                       detail=f"the annotation names class {annotated!r} and spec.ingressClassName names "
                              f"{field!r}; {annotated!r} was used, as the controllers do")
        where = (ing.annotation_location(CLASS_ANNOTATION, part="value") if annotated
                 else ing.locate(("spec", "ingressClassName")) if field else ing.locate(()))
        if not cls and default_class:
            cls = default_class
        if classes and cls not in classes:
            report.add(Code.INGRESS_OTHER_CLASS, location=where, obj=ing.ref,
                       detail=f"class {cls or '(none)'} is not among --ingress-class {', '.join(classes)}")
            continue
        provider: IngressProvider | None = None
        if cls:
            ic = inv.ingress_classes.get(cls)
            if ic is not None:
                provider = by_controller.get(ic.controller)
                if provider is None:
                    known = all_by_controller.get(ic.controller)
                    why = (f"provider {known.name} is not selected" if known
                           else f"controller {ic.controller or '(none)'} is not one ingress2gw converts")
                    report.add(Code.INGRESS_OTHER_CLASS, location=where, obj=ing.ref,
                               detail=f"class {cls} belongs to {why}")
                    continue
            else:
                provider = by_class_name.get(cls)
                if provider is None and len(active) == 1 and wanted_providers:
                    provider = next(iter(active.values()))
                if provider is None:
                    report.add(Code.INGRESS_OTHER_CLASS, location=where, obj=ing.ref,
                               detail=f"class {cls} has no IngressClass in the input and is not a class name a "
                                      "selected provider uses by convention; include the IngressClass or pass "
                                      "--provider")
                    continue
                if cls not in assumed_reported:
                    assumed_reported.add(cls)
                    report.add(Code.INGRESS_CLASS_ASSUMED, location=where, obj=ing.ref, provider=provider.name,
                               detail=f"class {cls} was taken to belong to {provider.name} (no IngressClass "
                                      "object in the input)")
        else:
            provider = _adopt(ing, active, wanted_providers)
            if provider is None:
                report.add(Code.INGRESS_NO_CLASS, location=where, obj=ing.ref)
                continue
            report.add(Code.INGRESS_CLASS_ASSUMED, location=where, obj=ing.ref, provider=provider.name,
                       detail=f"the Ingress names no class; it was given to {provider.name} "
                              + ("as the only provider selected" if wanted_providers else
                                 "because its annotations use that provider's prefix"))
            cls = provider.class_names[0] if provider.class_names else provider.name
        out.append(Selected(ing, provider, cls))
    return out


def _adopt(ing: Ingress, active: dict[str, IngressProvider], wanted: list[str]) -> IngressProvider | None:
    if wanted and len(active) == 1:
        return next(iter(active.values()))
    hits = [p for p in active.values() if any(k.startswith(p.registry.prefix) for k in ing.annotations)]
    return hits[0] if len(hits) == 1 else None
