"""Request body size and proxy buffering.

https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#custom-max-body-size

``proxy-body-size`` is NGINX ``client_max_body_size``: a request body above it gets ``413``. The ConfigMap
default (``1m``) applies to EVERY Ingress without the annotation — the provider.defaults finding states it,
and implementation emitters read ``ctx.settings["proxy-body-size"]`` (bytes) for those Ingresses. ``0``
disables the check. Sizes are NGINX sizes, 1024-based (``8k``, ``1m``, ``2g``); an invalid value is
ignored by the controller (the default stays).

PolicyIntent families (one intent per rule of the Ingress):

``body-size``
    ``max_bytes`` (int; 0 = unlimited), ``text`` (the NGINX value, e.g. ``8m``), ``status`` (413). NGF
    ClientSettingsPolicy.body.maxSize is exact; Envoy-based policies (kgateway buffer.maxRequestSize, Envoy
    Gateway requestBuffer.limit) buffer the whole body in memory to enforce it.
``client-body-buffer``
    ``bytes`` (int), ``text``: in-memory request body buffer before spilling to a temp file (NGF
    ClientSettingsPolicy.body.bufferSize).
The buffering keys (proxy-buffering, proxy-request-buffering, proxy-buffer-size, proxy-buffers-number,
proxy-busy-buffers-size) are declared in ``backend.py`` (policy family ``proxy-buffering``).
"""

from __future__ import annotations

from ingress2gw.plugin import (
    AnnotationValue, BodySizePolicy, ClientBodyBufferPolicy, Context, IngressDraft, Report, Status,
)

from ingress2gw_nginx.config import parse_size
from ingress2gw_nginx.registry import REGISTRY


def parse_nginx_size(value: AnnotationValue, report: Report) -> int | None:
    """An NGINX size (``512k``, ``8m``) in bytes; reports annotation.invalid-value."""
    size = parse_size(value.text)
    if size is None:
        value.invalid(report, f"expected an NGINX size such as 512k or 8m, got {value.text!r}; the controller "
                              "ignored it and kept the ConfigMap value")
    return size


@REGISTRY.annotation(
    "proxy-body-size", produces=('body-size',), area="buffers", status=Status.POLICY,
    maps_to="policy body-size: NGF ClientSettingsPolicy.body.maxSize; kgateway TrafficPolicy.buffer.maxRequestSize; "
            "Envoy Gateway BackendTrafficPolicy.requestBuffer.limit; Traefik buffering.maxRequestBodyBytes",
    caveat="Gateway API has no request body limit; Envoy-based gateways accept any size unless a policy sets one.",
    remediation="Attach the implementation's body-size policy with this limit (413 above it).",
    parse=parse_nginx_size,
)
def proxy_body_size(size: int, value: AnnotationValue, draft: IngressDraft, ctx: Context,
                    report: Report) -> None:
    caveat = "" if size else "0 disables the limit: Envoy-based gateways need no policy, NGF needs maxSize 0."
    value.attach(draft, BodySizePolicy, caveat=caveat, max_bytes=size, text=value.text.strip(), status=413)


@REGISTRY.annotation(
    "client-body-buffer-size", produces=('client-body-buffer',), area="buffers", status=Status.POLICY,
    maps_to="policy client-body-buffer: NGF ClientSettingsPolicy.body.bufferSize",
    caveat="Memory buffer for request bodies; Envoy-based gateways have no equivalent setting.",
    remediation="Set it on NGF, or drop it (it changes memory use, not routing).",
    parse=parse_nginx_size,
)
def client_body_buffer_size(size: int, value: AnnotationValue, draft: IngressDraft, ctx: Context,
                            report: Report) -> None:
    value.attach(draft, ClientBodyBufferPolicy, bytes=size, text=value.text.strip())


@REGISTRY.annotation(
    "proxy-max-temp-file-size", area="buffers", status=Status.IGNORED,
    caveat="Disk spill size for buffered responses: no effect on routing, and no gateway setting.",
    parse=parse_nginx_size,
)
def proxy_max_temp_file_size(size: int, value: AnnotationValue, draft: IngressDraft, ctx: Context,
                             report: Report) -> None:
    value.no_effect(report, "proxy-max-temp-file-size only sizes NGINX's temporary files for buffered "
                            "responses; no effect on routing and no gateway setting")
