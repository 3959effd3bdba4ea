"""Annotation families. Importing this package declares every ingress-nginx annotation."""

from ingress2gw_nginx.annotations import classes, redirect  # noqa: F401  (declarations)
from ingress2gw_nginx.annotations import catalog_rest  # noqa: F401  (must come last)
