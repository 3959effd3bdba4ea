"""IP allow and deny lists.

https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#allowlist-source-range

The controller emits NGINX ``allow``/``deny`` for every location of the Ingress: a client outside the
allow-list (or inside the deny-list) gets ``403``. The annotation *replaces* the ConfigMap list of the same
name. An invalid entry makes the controller deny the locations. The client address is the TCP peer unless
the ConfigMap trusts ``X-Forwarded-For`` (``use-forwarded-headers``) or the PROXY protocol
(``use-proxy-protocol``).

PolicyIntent families (one intent per rule of the Ingress):

``ip-allow``
    ``cidrs``: tuple of normalised CIDRs (``10.0.0.1`` → ``10.0.0.1/32``); requests from any other client
    address are answered ``status`` (int, 403). ``client_ip``: ``tcp-peer`` | ``x-forwarded-for`` |
    ``proxy-protocol`` — where nginx took the client address; the implementation's client-IP detection must
    be configured the same way (Envoy Gateway ClientTrafficPolicy.clientIPDetection, kgateway
    ListenerPolicy xffNumTrustedHops, NGF NginxProxy rewriteClientIP).
``ip-deny``
    Same params; requests *from* the listed addresses get ``status`` (403).
"""

from __future__ import annotations

from ingress2gw.plugin import AnnotationValue, Context, IngressDraft, IPAllowPolicy, IPDenyPolicy, Report, Status


from ingress2gw_nginx.annotations._read import CLIENT_IP_TEXT, client_ip_source, shadowed_alias
from ingress2gw_nginx.config import parse_cidrs
from ingress2gw_nginx.registry import REGISTRY

_CAVEAT = ("The list is matched against the client address the gateway sees: {how}; configure the "
           "gateway's client-IP detection the same way, or the list locks everyone out or lets everyone in.")


def _ip_list(family: type[IPAllowPolicy | IPDenyPolicy], value: AnnotationValue, draft: IngressDraft, ctx: Context,
             report: Report) -> None:
    cidrs = parse_cidrs(value.text)
    if cidrs is None:
        value.invalid(report, f"{value.text!r} is not a comma list of IP addresses or CIDRs; the controller "
                              "denied the Ingress's locations (503)")
        return
    if not cidrs:
        value.invalid(report, "the list is empty; the controller kept the ConfigMap list")
        return
    source = client_ip_source(ctx)
    value.attach(draft, family, caveat=_CAVEAT.format(how=CLIENT_IP_TEXT[source]), cidrs=cidrs, status=403,
                 client_ip=source)


@REGISTRY.annotation(
    "allowlist-source-range", produces=('ip-allow',), aliases=("whitelist-source-range",), area="access", status=Status.POLICY,
    maps_to="policy ip-allow: Envoy Gateway SecurityPolicy.authorization (defaultAction Deny, clientCIDRs); "
            "kgateway TrafficPolicy rbac/acl; Istio AuthorizationPolicy ipBlocks; Traefik ipAllowList",
    caveat="Gateway API has no IP allow-list; requests from outside the list were answered 403.",
    remediation="Attach an authorization policy allowing only these CIDRs, and configure the gateway's "
                "client-IP detection (X-Forwarded-For trust / PROXY protocol) as the controller had it.",
)
def allowlist_source_range(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    # whitelist-source-range is the deprecated alias; the canonical key wins when both are set.
    if shadowed_alias(value, ctx, "allowlist-source-range", report):
        return
    _ip_list(IPAllowPolicy, value, draft, ctx, report)


@REGISTRY.annotation(
    "denylist-source-range", produces=('ip-deny',), area="access", status=Status.POLICY,
    maps_to="policy ip-deny: Envoy Gateway SecurityPolicy.authorization (Deny rule, clientCIDRs); kgateway "
            "TrafficPolicy rbac/acl; Istio AuthorizationPolicy DENY",
    caveat="Gateway API has no IP deny-list; requests from the listed addresses were answered 403.",
    remediation="Attach an authorization policy denying these CIDRs, with the same client-IP detection.",
)
def denylist_source_range(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    _ip_list(IPDenyPolicy, value, draft, ctx, report)
