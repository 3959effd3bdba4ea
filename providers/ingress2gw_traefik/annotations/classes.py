from ingress2gw.plugin import Status

from ingress2gw_traefik.registry import REGISTRY

REGISTRY.declare(
    "kubernetes.io/ingress.class", area="class", status=Status.TRANSLATED, prefixed=False,
    lifecycle="deprecated",
    reason="Selected the Gateway the routes attach to (one shared Gateway per ingress class).",
    maps_to="Gateway.spec.gatewayClassName; HTTPRoute.spec.parentRefs",
)
