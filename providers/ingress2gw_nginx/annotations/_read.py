"""Helpers for handlers that read companion keys of the same Ingress (all ``auth-*``, all ``limit-*``).

The controller reads such keys together; a handler declared on the main key looks its companions up
here, under whatever prefix the Ingress uses (``--annotations-prefix``).
"""

from __future__ import annotations

from ingress2gw.plugin import AnnotationValue, Context, Report

from ingress2gw_nginx.values import parse_bool, sibling  # noqa: F401  (re-exported for the families)


def annotations_of(value: AnnotationValue, ctx: Context | None = None) -> dict[str, str]:
    """The annotations of the object ``value`` belongs to, keyed by name without the prefix."""
    prefix = value.key[: len(value.key) - len(value.name)]
    return {k[len(prefix):]: v for k, v in value.siblings.items() if prefix and k.startswith(prefix)}


def shadowed_alias(value: AnnotationValue, ctx: Context, canonical: str, report: Report) -> bool:
    """True (and reported) when ``value`` is a deprecated alias and the canonical key is set too."""
    if value.name == canonical or sibling(value, canonical) is None:
        return False
    value.no_effect(report, f"{value.name} is the deprecated alias of {canonical}, which this Ingress also sets; "
                            f"the controller uses {canonical}")
    return True


def client_ip_source(ctx: Context) -> str:
    """Where the controller took the client IP from (cross-cutting semantics 11)."""
    if ctx.settings.get("use-proxy-protocol"):
        return "proxy-protocol"
    if ctx.settings.get("use-forwarded-headers"):
        return "x-forwarded-for"
    return "tcp-peer"


CLIENT_IP_TEXT = {
    "tcp-peer": "the controller matched the TCP peer address (use-forwarded-headers and use-proxy-protocol off)",
    "x-forwarded-for": "the controller matched the address from X-Forwarded-For (use-forwarded-headers: true)",
    "proxy-protocol": "the controller matched the address from the PROXY protocol header (use-proxy-protocol: true)",
}
