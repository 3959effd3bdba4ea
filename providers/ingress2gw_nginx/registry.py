"""The ingress-nginx annotation registry (family modules in ``annotations/`` declare into it)."""

from ingress2gw.plugin import AnnotationRegistry

PREFIX = "nginx.ingress.kubernetes.io/"
REGISTRY = AnnotationRegistry("ingress-nginx", PREFIX)
