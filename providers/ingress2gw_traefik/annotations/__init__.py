"""Annotation families. Importing this package declares every Traefik annotation."""

from ingress2gw_traefik.annotations import classes, router  # noqa: F401  (declarations)
from ingress2gw_traefik.annotations import catalog_rest  # noqa: F401  (must come last)
