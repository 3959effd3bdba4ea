"""Router entry points and TLS: which listeners a route attaches to.

Traefik serves a router on the entry points named in ``router.entrypoints`` (default: all of them);
``router.tls: "true"`` makes the router TLS-only. ``spec.tls`` alone only loads certificates.
https://doc.traefik.io/traefik/reference/routing-configuration/kubernetes/ingress/
"""

from ingress2gw.plugin import AnnotationValue, Code, Context, IngressDraft, Report, Status

from ingress2gw_traefik.registry import REGISTRY


def entrypoint_protocols(ctx: Context) -> dict[str, str]:
    """Entry point name → "HTTP" or "HTTPS", from static configuration (options) or Traefik's defaults."""
    return ctx.settings["entrypoints"]


@REGISTRY.annotation(
    "router.entrypoints", area="routing", status=Status.TRANSLATED,
    maps_to="HTTPRoute.spec.parentRefs[].sectionName (HTTP and/or HTTPS listener)",
    caveat="Entry points map to listeners by the static configuration assumed (see provider.defaults).",
)
def entrypoints(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    names = [n.strip() for n in value.text.split(",") if n.strip()]
    known = entrypoint_protocols(ctx)
    unknown = [n for n in names if n not in known]
    if unknown:
        report.add(Code.ANNOTATION_INVALID_VALUE, location=value.loc(), obj=value.origin_ref, provider="traefik",
                   annotation=value.key, value=value.text,
                   detail=f"entry point(s) {', '.join(unknown)} are not in the static configuration assumed "
                          f"({', '.join(f'{k}={v}' for k, v in sorted(known.items()))}); pass --traefik-entrypoint")
    protocols = {known[n] for n in names if n in known}
    draft.provider_state["entrypoints"] = protocols


@REGISTRY.annotation(
    "router.tls", area="tls", status=Status.TRANSLATED,
    maps_to="HTTPRoute attached to the HTTPS listener only",
)
def tls(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    text = value.text.strip().lower()
    if text not in ("true", "false", "1", "0", "t", "f"):
        report.add(Code.ANNOTATION_INVALID_VALUE, location=value.loc(), obj=value.origin_ref, provider="traefik",
                   annotation=value.key, value=value.text, detail=f"expected true or false, got {value.text!r}")
        return
    draft.provider_state["tls"] = text in ("true", "1", "t")
