"""Router entry points and TLS: which listeners a route attaches to.

Traefik serves a router on the entry points named in ``router.entrypoints`` (default: all of them);
``router.tls: "true"`` makes the router TLS-only. ``spec.tls`` alone only loads certificates.
https://doc.traefik.io/traefik/reference/routing-configuration/kubernetes/ingress/
"""

from ingress2gw.plugin import REPORT_LATER, AnnotationValue, Code, Context, IngressDraft, Report, Status
from ingress2gw.plugin import parse_int

from ingress2gw_traefik.registry import REGISTRY

#: provider_state keys: the router.entrypoints value (and whether it named unknown entry points), the
#: router.tls value when true; both are reported once every Ingress is read.
ENTRYPOINTS = "traefik.entrypoints-value"
TLS = "traefik.tls-value"


def entrypoint_protocols(ctx: Context) -> dict[str, str]:
    """Entry point name → "HTTP" or "HTTPS", from static configuration (options) or Traefik's defaults."""
    return ctx.settings["entrypoints"]


@REGISTRY.annotation(
    "router.entrypoints", area="routing", status=Status.TRANSLATED,
    maps_to="HTTPRoute.spec.parentRefs[].sectionName (HTTP and/or HTTPS listener)",
    caveat="Entry points map to listeners by the static configuration assumed (see provider.defaults).",
)
def entrypoints(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report):
    names = [n.strip() for n in value.text.split(",") if n.strip()]
    known = entrypoint_protocols(ctx)
    unknown = [n for n in names if n not in known]
    if unknown:
        value.invalid(report, f"entry point(s) {', '.join(unknown)} are not in the static configuration assumed "
                              f"({', '.join(f'{k}={v}' for k, v in sorted(known.items()))}); pass --traefik-entrypoint")
    protocols = {known[n] for n in names if n in known}
    draft.provider_state["entrypoints"] = protocols
    # Whether the HTTPS entry points named here can be served depends on the certificates of every Ingress
    # (provider.report_certificates, once all are read).
    draft.provider_state[ENTRYPOINTS] = (value, bool(unknown))
    return REPORT_LATER


@REGISTRY.annotation(
    "router.tls", area="tls", status=Status.TRANSLATED,
    maps_to="HTTPRoute attached to the HTTPS listener only",
)
def tls(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report):
    text = value.text.strip().lower()
    if text not in ("true", "false", "1", "0", "t", "f"):
        value.invalid(report, f"expected true or false, got {value.text!r}")
        return
    draft.provider_state["tls"] = text in ("true", "1", "t")
    if draft.provider_state["tls"]:
        draft.provider_state[TLS] = value
        return REPORT_LATER  # like router.entrypoints: it needs a certificate for every host
    return None


@REGISTRY.annotation(
    "router.middlewares", area="middlewares", produces=("Middleware.spec.*",), status=Status.TRANSLATED,
    maps_to="HTTPRoute filters / implementation policies, per Middleware kind (see Middleware.spec.*)",
    caveat="Each Middleware is reported on its own (Middleware.spec.<kind>).",
)
def middlewares(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    from ingress2gw_traefik import middlewares as mw, provider

    refs = [r.strip() for r in value.text.split(",") if r.strip()]
    resolved = mw.apply(refs, value, draft, draft.rules, ctx, report, provider)
    value.report(report, Code.ANNOTATION_TRANSLATED, f"{resolved} of {len(refs)} middleware reference(s) resolved, "
                                                     "applied in order; each Middleware is reported on its own")


@REGISTRY.annotation(
    "router.pathmatcher", area="routing", status=Status.TRANSLATED,
    maps_to="path.type Exact / PathPrefix / RegularExpression for ImplementationSpecific paths",
)
def pathmatcher(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    matcher = value.text.strip()
    if matcher not in ("Path", "PathPrefix", "PathRegexp"):
        value.invalid(report, f"expected Path, PathPrefix or PathRegexp, got {value.text!r}")
        return
    draft.provider_state["pathmatcher"] = (matcher, value)


@REGISTRY.annotation(
    "router.priority", area="routing", status=Status.LOSSY,
    caveat="Gateway API has no priority: precedence is fixed (Exact, longest prefix, ...). Overlapping paths "
           "whose order changes are reported as route.priority findings.",
    maps_to="(none: fixed Gateway API precedence)",
)
def priority(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    text = value.text.strip()
    n = parse_int(text) if text.lstrip("-").isdigit() else None
    if n is None:
        value.invalid(report, f"expected an integer, got {value.text!r}")
        return
    if n == 0:
        return  # Traefik: priority 0 is unset, the length of the rule string (pkg/muxer/http/mux.go)
    draft.provider_state["priority"] = n
REGISTRY.declare(
    "router.rulesyntax", area="routing", status=Status.IGNORED,
    reason="Only changes the rule language of generated routers; v2 placeholders in paths are reported with "
           "the paths.", lifecycle="deprecated",
)
REGISTRY.declare(
    "router.tls.certresolver", area="tls", status=Status.UNSUPPORTED,
    reason="Gateway API has no ACME: the certificate the resolver obtained is not in the manifests.",
    remediation="Use cert-manager (cert-manager.io/cluster-issuer on the Gateway) and reference its Secret in "
                "spec.tls so the HTTPS listener gets certificateRefs.",
)
REGISTRY.declare(
    "router.tls.domains.n.main", area="tls", status=Status.UNSUPPORTED, pattern=r"router\.tls\.domains\.\d+\.main",
    reason="Domains requested from the ACME resolver; with cert-manager they become Certificate dnsNames.",
    remediation="Create a cert-manager Certificate with these dnsNames.",
)
REGISTRY.declare(
    "router.tls.domains.n.sans", area="tls", status=Status.UNSUPPORTED, pattern=r"router\.tls\.domains\.\d+\.sans",
    reason="Subject alternative names requested from the ACME resolver.",
    remediation="Add them to the cert-manager Certificate's dnsNames.",
)
REGISTRY.declare(
    "router.tls.options", area="tls", status=Status.POLICY,
    reason="TLSOption (versions, ciphers, client certificates) is per router; Gateway API TLS settings are "
           "per listener (client certificates: Gateway spec.tls.frontend, >= 1.5).",
    remediation="Configure TLS versions/ciphers with the implementation's client/listener policy.",
)
REGISTRY.declare("router.observability.accesslogs", area="observability", status=Status.IGNORED,
                 reason="Per-router access-log switch; no routing effect (access logs are gateway-wide).")
REGISTRY.declare("router.observability.metrics", area="observability", status=Status.IGNORED,
                 reason="Per-router metrics switch; no routing effect.")
REGISTRY.declare("router.observability.tracing", area="observability", status=Status.IGNORED,
                 reason="Per-router tracing switch; no routing effect (tracing is configured per implementation).")
REGISTRY.declare("router.observability.traceVerbosity", area="observability", status=Status.IGNORED,
                 reason="Span detail; no routing effect.")
