"""``custom-headers``: response headers from a ConfigMap.

The controller adds every key/value of the referenced ConfigMap (``namespace/name``) to the
*responses* of the Ingress's locations (``more_set_headers``); since v1.10.1 a header is accepted only
if the controller ConfigMap lists it in ``global-allowed-response-headers``
(https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#custom-headers).
The ConfigMap is read from the input; without it nothing can be emitted.
"""

from __future__ import annotations

from ingress2gw.plugin import AnnotationValue, Code, Context, HeaderModifier, IngressDraft, Report, Status

from ingress2gw_nginx.annotations.canary import HEADER_NAME
from ingress2gw_nginx.registry import REGISTRY, unsupported

PROVIDER = "ingress-nginx"


def config_map(ctx: Context, namespace: str, name: str):
    for obj in ctx.inventory.others.get("ConfigMap", []):
        if obj.namespace == namespace and obj.name == name:
            return obj
    return None


@REGISTRY.annotation(
    "custom-headers", produces=('HeaderModifier',), area="headers", status=Status.TRANSLATED,
    maps_to="HTTPRoute rules[].filters[].responseHeaderModifier.set",
    remediation="Add the ConfigMap to the input (kubectl get configmap -o yaml), or add the headers by hand.",
)
def custom_headers(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    ns, _, name = value.text.strip().rpartition("/")
    ns = ns or value.origin.namespace
    if not name:
        report.add(Code.ANNOTATION_INVALID_VALUE, location=value.loc(), obj=value.origin_ref, provider=PROVIDER,
                   annotation=value.key, value=value.text, detail="expected namespace/configmap")
        return
    cm = config_map(ctx, ns, name)
    if cm is None:
        value.report(report, Code.ANNOTATION_UNSUPPORTED, f"ConfigMap {ns}/{name} is not in the input, so its "
                     "response headers could not be translated",
                     remedy="Add the ConfigMap to the input, or add the headers to a ResponseHeaderModifier by hand.")
        return
    data = cm.doc.obj.get("data") or {}
    if not isinstance(data, dict):
        data = {}
    headers = sorted((str(k), str(v)) for k, v in data.items())
    bad = [k for k, _ in headers if not HEADER_NAME.match(k)]
    # The allow-list is a key of the controller ConfigMap (default empty: no header allowed). Without that
    # ConfigMap in the input it is unknown, so the headers are translated with a caveat.
    controller_cm = ctx.settings.get("configmap")
    allowed_raw = ctx.settings.get("global-allowed-response-headers", "") if controller_cm else None
    allowed = {h.strip().lower() for h in str(allowed_raw or "").split(",") if h.strip()}
    refused = [k for k, _ in headers if allowed_raw is not None and k.lower() not in allowed]
    if bad or refused:
        listed = (f"global-allowed-response-headers of the controller ConfigMap {controller_cm} ("
                  + (f"{allowed_raw.strip()!r})" if allowed else "not set: no header is allowed by default)"))
        why = (f"header names {', '.join(bad)} are invalid" if bad else
               f"headers {', '.join(refused)} are not in {listed}")
        value.report(report, Code.ANNOTATION_IGNORED, f"{why}: the controller rejected the annotation")
        return
    if not headers:
        value.report(report, Code.ANNOTATION_IGNORED, f"ConfigMap {ns}/{name} has no data")
        return
    caveat = ("" if allowed_raw is not None else "the controller applied these headers only if ConfigMap "
              "global-allowed-response-headers listed them (the controller ConfigMap was not in the input)")
    intent = HeaderModifier(direction="response", set=tuple(headers[:16]), origin=value.origin, caveat=caveat)
    for rule in draft.rules:
        rule.add(intent)


@REGISTRY.annotation(
    "connection-proxy-header", area="headers", status=Status.IGNORED,
    maps_to="(none: the Connection header is hop-by-hop; data planes manage upstream connections)",
    caveat="Gateway implementations manage upstream keep-alive and WebSocket upgrades themselves and strip a "
           "Connection header set by a filter.",
)
def connection_proxy_header(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    """nginx sends ``Connection: <value>`` upstream instead of ``$connection_upgrade``
    (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#connection-proxy-header)."""
    text = value.text.strip().lower()
    common = dict(location=value.origin.location, obj=value.origin_ref, provider="ingress-nginx",
                  annotation=value.key, value=value.text)
    if text in ("keep-alive", "upgrade", "$connection_upgrade", ""):
        report.add(Code.ANNOTATION_IGNORED, **common,
                   detail=f"Connection: {value.text} is what gateways do by default (upstream keep-alive, "
                          "WebSocket upgrades passed through); nothing to translate")
    else:
        report.add(Code.ANNOTATION_UNSUPPORTED, **common,
                   detail=f"Connection: {value.text} changes upstream connection handling (e.g. close disables "
                          "keep-alive); Gateway API has no field for it and data planes strip a Connection header "
                          "set by a filter",
                   remedy="Configure upstream connection reuse with your implementation's backend/connection "
                          "policy, or check that the backend no longer needs it.")


unsupported("proxy-cookie-domain", "proxy-cookie-path", "proxy-redirect-from", "proxy-redirect-to", area="headers")
