"""Kept for imports: ``parse_bool`` lives in ``ingress2gw_nginx.values``; ssl-redirect in ``redirects``."""

from ingress2gw_nginx.values import parse_bool  # noqa: F401
