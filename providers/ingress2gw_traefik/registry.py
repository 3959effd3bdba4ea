"""The Traefik annotation registry (family modules in ``annotations/`` declare into it).

Traefik decodes keys case-insensitively after the prefix (its label parser), so lookups fold case.
"""

from ingress2gw.plugin import AnnotationRegistry

PREFIX = "traefik.ingress.kubernetes.io/"
REGISTRY = AnnotationRegistry("traefik", PREFIX)
