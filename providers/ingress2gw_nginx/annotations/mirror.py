"""Request mirroring: ``mirror-target`` (with ``mirror-host`` and ``mirror-request-body``).

The controller copies every request of the Ingress to the URL in ``mirror-target`` (usually
``http://host$request_uri``) and discards the answer; the original request waits for the mirror
subrequest (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#mirror).
Gateway API ``RequestMirror`` needs a Service backendRef, so only targets naming a cluster Service
(``svc``, ``svc.ns``, ``svc.ns.svc``, ``svc.ns.svc.cluster.local``) in the Ingress's namespace translate.
"""

from __future__ import annotations

import re

from ingress2gw.plugin import (
    AnnotationValue, Code, Context, IngressDraft, Report, RequestMirror, ServiceBackend, Status,
)

from ingress2gw_nginx.values import sibling
from ingress2gw_nginx.registry import REGISTRY

PROVIDER = "ingress-nginx"
MIRROR_CAVEAT = ("Gateway API mirrors are fire-and-forget (nginx made the request wait for the mirror), and "
                 "Envoy-based gateways append -shadow to the mirrored Host")
_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
#: scheme, host, port, the rest (path and NGINX variables such as $request_uri)
_URL = re.compile(r"^(https?)://([A-Za-z0-9.-]+)(?::([0-9]{1,5}))?(.*)$")


def service_of(host: str, namespace: str) -> tuple[str, str] | None:
    """(namespace, name) when ``host`` is a cluster Service DNS name, else None."""
    m = re.fullmatch(rf"({_LABEL})(?:\.({_LABEL})(?:\.svc(?:\.cluster\.local)?)?)?", host)
    if not m:
        return None
    return (m.group(2) or namespace), m.group(1)


@REGISTRY.annotation(
    "mirror-target", produces=('RequestMirror',), area="mirror", status=Status.LOSSY, maps_to="HTTPRoute rules[].filters[].requestMirror",
    caveat=MIRROR_CAVEAT,
    remediation="For a target outside the cluster, reference an implementation Backend (Envoy Gateway Backend, "
                "kgateway Backend) in the RequestMirror filter by hand.",
)
def mirror_target(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    url = _URL.match(value.text.strip())
    if url is None:
        report.add(Code.ANNOTATION_INVALID_VALUE, location=value.loc(), obj=value.origin_ref, provider=PROVIDER,
                   annotation=value.key, value=value.text, detail="expected an http(s) URL such as "
                   "http://mirror.ns.svc$request_uri")
        return
    scheme, host, port_text, path = url.group(1), url.group(2).lower(), url.group(3), url.group(4)
    svc = service_of(host, value.origin.namespace)
    if svc is None:
        value.report(report, Code.ANNOTATION_UNSUPPORTED, f"{host} is not a cluster Service; RequestMirror "
                     "needs a Service backendRef", remedy="Mirror to a Service, or use an implementation Backend.")
        return
    if svc[0] != value.origin.namespace:
        value.report(report, Code.ANNOTATION_UNSUPPORTED, f"the mirror Service is in namespace {svc[0]}; a "
                     "cross-namespace RequestMirror backendRef was not emitted",
                     remedy="Add the backendRef with its namespace and a ReferenceGrant by hand.")
        return
    caveats = [MIRROR_CAVEAT]
    if path not in ("", "/", "$request_uri"):
        caveats.append(f"the mirror URL's path {path!r} cannot be expressed: requests are mirrored with their "
                       "own path")
    if scheme == "https":
        caveats.append("the mirror is reached over HTTPS in nginx: add a BackendTLSPolicy for the mirror Service")
    body = (sibling(value, "mirror-request-body") or "on").strip().lower()
    if body == "off":
        caveats.append("mirror-request-body off: Gateway API mirrors the body too")
    mhost = sibling(value, "mirror-host")
    if mhost:
        caveats.append(f"mirror-host {mhost.strip()}: the Host of mirrored requests cannot be set")
    port = int(port_text) if port_text else (443 if scheme == "https" else 80)
    backend = ServiceBackend(namespace=svc[0], name=svc[1], port=port)
    value.attach(draft, RequestMirror, backend=backend, caveat="; ".join(caveats))


def _companion(value: AnnotationValue, ctx: Context, report: Report, detail: str) -> None:
    if not sibling(value, "mirror-target"):
        value.report(report, Code.ANNOTATION_IGNORED, f"{value.name} has no effect without mirror-target")
    else:
        value.report(report, Code.ANNOTATION_LOSSY, detail + " (see mirror-target)")


@REGISTRY.annotation("mirror-host", area="mirror", status=Status.LOSSY, maps_to="",
                     caveat="The Host header of mirrored requests cannot be set in Gateway API.")
def mirror_host(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    _companion(value, ctx, report, "the Host header of mirrored requests cannot be set in Gateway API")


@REGISTRY.annotation("mirror-request-body", area="mirror", status=Status.TRANSLATED, maps_to="",
                     caveat="Gateway API mirrors request bodies.")
def mirror_request_body(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    text = value.text.strip().lower()
    if text not in ("on", "off"):
        report.add(Code.ANNOTATION_INVALID_VALUE, location=value.loc(), obj=value.origin_ref, provider=PROVIDER,
                   annotation=value.key, value=value.text, detail="expected on or off; the controller kept on")
    elif text == "on":
        value.report(report, Code.ANNOTATION_TRANSLATED, "bodies are mirrored (the default)")
    else:
        _companion(value, ctx, report, "Gateway API mirrors the request body too")
