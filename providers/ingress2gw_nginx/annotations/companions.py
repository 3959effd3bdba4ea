"""Annotations other controllers read from the Ingress (cert-manager, external-dns).

Not ingress-nginx's own, but users forget them: without them a migrated host silently loses its
certificate renewal or its DNS record. Only the keys declared here are ever carried, and only to the
object the companion controller reads on the Gateway API side.

cert-manager (https://cert-manager.io/docs/usage/gateway/): the gateway-shim (``enableGatewayAPI``) reads
``cert-manager.io/issuer`` / ``cluster-issuer`` and the Certificate-shaping keys **on the Gateway**, and
creates a Certificate for each listener with a hostname, ``tls.mode: Terminate`` and a certificateRef — but
only when the Secret is in the Gateway's own namespace (cross-namespace certificateRefs are skipped), and a
namespaced ``Issuer`` must live in the Gateway's namespace. ``kubernetes.io/tls-acme`` and the
``acme.cert-manager.io/http01-*`` keys are Ingress-only.

external-dns (https://kubernetes-sigs.github.io/external-dns/latest/docs/sources/gateway-api/): with the
``gateway-httproute`` source it reads only ``target`` on the Gateway; ``hostname``, ``ttl`` and
provider-specific keys are read on the routes.
"""

from __future__ import annotations

from ingress2gw.plugin import AnnotationValue, Code, Context, IngressDraft, Report, Status

from ingress2gw_nginx.registry import REGISTRY

CM = "cert-manager.io/"
DNS = "external-dns.alpha.kubernetes.io/"

#: Keys the cert-manager gateway-shim reads on a Gateway.
_CM_GATEWAY = ("issuer", "cluster-issuer", "issuer-kind", "issuer-group", "common-name", "email-sans",
               "subject-organizations", "subject-organizationalunits", "subject-countries", "subject-provinces",
               "subject-localities", "subject-postalcodes", "subject-streetaddresses", "subject-serialnumber",
               "duration", "renew-before", "usages", "revision-history-limit", "private-key-algorithm",
               "private-key-encoding", "private-key-size", "private-key-rotation-policy")


def _ingress_tls(draft: IngressDraft) -> bool:
    return draft.source is not None and any(t.secret for t in draft.source.tls)


def _carry(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> bool:
    """Put the key on the Gateway; report when another Ingress of the same Gateway set another value."""
    carried = ctx.settings.setdefault("companions_carried", {})  # per run: (gateway, key) -> first value
    draft.gateway_annotations[value.key] = value.text
    seen = carried.setdefault((draft.gateway, value.key), (value.text, value.origin.key))
    if seen[0] != value.text:
        value.report(report, Code.ANNOTATION_LOSSY,
                     f"{value.key} is carried to the shared Gateway, where Ingress {seen[1]} set {seen[0]!r}; a Gateway "
                     "holds one value, so the oldest of these Ingresses decides it for every host on the Gateway",
                     "Use one value per Gateway (per ingress class), or --gateway-mode per-namespace.")
        return False
    return True


def cert_manager(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    if not _ingress_tls(draft):
        value.report(report, Code.ANNOTATION_IGNORED,
                     f"{value.key}: the Ingress has no spec.tls with a secretName, so cert-manager issued nothing for it")
        return
    if not _carry(value, draft, ctx, report):
        return
    if "/" in draft.gateway:  # per-namespace Gateways live in the Ingress's namespace, next to its Secrets
        value.report(report, Code.ANNOTATION_TRANSLATED,
                     f"{value.key} was carried to the Gateway, where the cert-manager gateway-shim reads it "
                     "(cert-manager needs enableGatewayAPI)")
        return
    name = value.key[len(CM):]
    issuer = (" A namespaced Issuer must also exist in the Gateway's namespace." if name == "issuer" else "")
    value.report(report, Code.ANNOTATION_LOSSY,
                 f"{value.key} was carried to the shared Gateway, but the cert-manager gateway-shim only issues "
                 "certificates for listeners whose certificateRef Secret is in the Gateway's namespace; this Ingress's "
                 f"Secrets stay in {value.origin.namespace} (read through a ReferenceGrant), so no Certificate is created "
                 f"for them.{issuer}",
                 "Create a cert-manager Certificate per spec.tls entry in the Ingress's namespace (secretName, dnsNames, "
                 "issuerRef) — the Gateway then reads the Secret through the ReferenceGrant — or use "
                 "--gateway-mode per-namespace.")


for _name in _CM_GATEWAY:
    REGISTRY.annotation(
        CM + _name, area="companions", status=Status.TRANSLATED, prefixed=False,
        maps_to="Gateway metadata.annotations (cert-manager gateway-shim)",
        caveat="Read by cert-manager; carried to the Gateway.",
        remediation="Enable cert-manager's Gateway API support (enableGatewayAPI).")(cert_manager)


def acme_ingress_only(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    if value.key == "kubernetes.io/tls-acme":
        detail = ("kubernetes.io/tls-acme made cert-manager's ingress-shim use its default issuer; the gateway-shim "
                  "does not read it on Gateways")
        remedy = "Set cert-manager.io/cluster-issuer (or issuer) explicitly on the Ingress before converting."
    else:
        detail = (f"{value.key} configures the HTTP-01 solver Ingress cert-manager creates; with Gateway API the "
                  "ACME issuer needs a gatewayHTTPRoute solver instead")
        remedy = ("Add solvers[].http01.gatewayHTTPRoute.parentRefs (the Gateway's HTTP listener) to the ACME "
                  "Issuer/ClusterIssuer.")
    value.report(report, Code.ANNOTATION_UNSUPPORTED, detail, remedy)


for _key in ("kubernetes.io/tls-acme", "acme.cert-manager.io/http01-edit-in-place",
             "acme.cert-manager.io/http01-ingress-class", "acme.cert-manager.io/http01-ingress-ingressclassname"):
    REGISTRY.annotation(_key, area="companions", status=Status.UNSUPPORTED, prefixed=False,
                        caveat="Read by cert-manager's ingress-shim only.",
                        remediation="Configure the issuer for Gateway API.")(acme_ingress_only)


@REGISTRY.annotation(DNS + "target", area="companions", status=Status.TRANSLATED, prefixed=False,
                     maps_to="Gateway metadata.annotations (external-dns reads target on Gateways)",
                     caveat="Carried to the Gateway.",
                     remediation="Run external-dns with --source=gateway-httproute.")
def dns_target(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    if _carry(value, draft, ctx, report):
        value.report(report, Code.ANNOTATION_TRANSLATED,
                     f"{value.key} was carried to the Gateway, where external-dns (--source=gateway-httproute) reads it "
                     "for every route attached to it")


@REGISTRY.annotation(DNS + "hostname", area="companions", status=Status.TRANSLATED, prefixed=False,
                     maps_to="HTTPRoute spec.hostnames (external-dns gateway-httproute source)",
                     caveat="external-dns publishes the HTTPRoute hostnames.",
                     remediation="Run external-dns with --source=gateway-httproute.")
def dns_hostname(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    names = [h.strip().rstrip(".").lower() for h in value.text.split(",") if h.strip()]
    missing = [h for h in names if h not in draft.hosts]
    if not missing:
        value.report(report, Code.ANNOTATION_TRANSLATED,
                     f"{value.key}: every name is a host of the Ingress, so the HTTPRoute hostnames publish it with "
                     "external-dns --source=gateway-httproute")
        return
    value.report(report, Code.ANNOTATION_LOSSY,
                 f"{value.key}: {', '.join(missing)} is not a host of the Ingress; external-dns reads extra names from "
                 "the HTTPRoute's annotations, which ingress2gw does not write, so no record is created for it",
                 f"Add {value.key} to the HTTPRoute metadata.annotations by hand.")


def dns_route_only(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    value.report(report, Code.ANNOTATION_LOSSY,
                 f"{value.key}: external-dns reads it from the HTTPRoute (not the Gateway), and ingress2gw does not write "
                 "route annotations yet, so the DNS record falls back to external-dns defaults",
                 f"Add {value.key}: {value.text!r} to the HTTPRoute metadata.annotations by hand.")


for _name in ("ttl", "internal-hostname", "controller", "cloudflare-proxied", "set-identifier", "alias",
              "aws-weight"):
    REGISTRY.annotation(DNS + _name, area="companions", status=Status.LOSSY, prefixed=False,
                        caveat="external-dns reads it from the HTTPRoute; not carried.",
                        remediation="Add it to the HTTPRoute metadata.annotations.")(dns_route_only)
