"""The ingress-nginx annotation registry (family modules in ``annotations/`` declare into it)."""

from ingress2gw.plugin import AnnotationRegistry, Status

PREFIX = "nginx.ingress.kubernetes.io/"
REGISTRY = AnnotationRegistry("ingress-nginx", PREFIX)

BY_HAND = "Rebuild the behaviour by hand on the target gateway."
NO_EQUIVALENT = "has no Gateway API equivalent"


def unsupported(*names: str, area: str, reason: str = NO_EQUIVALENT, maps_to: str = "") -> None:
    """Declare keys the conversion does not translate (reported as ``annotation.unsupported``, "<key>: <reason>.")."""
    for name in names:
        REGISTRY.declare(name, area=area, status=Status.UNSUPPORTED, reason=f"{name}: {reason}.", remediation=BY_HAND,
                         maps_to=maps_to)
