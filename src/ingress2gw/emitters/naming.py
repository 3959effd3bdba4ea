"""Stable, collision-free DNS-1123 names.

``host_slug`` is injective over valid hostnames: a host made only of letters, digits and dots maps to
itself with dots as dashes (such slugs never contain ``--``); any host whose plain mapping could be
ambiguous (it has a ``-`` or a wildcard) gets ``--`` and a hash of the exact host appended, so
``a-b.com`` / ``a.b.com`` and ``*.a.com`` / ``a.com`` never collide.
"""

from __future__ import annotations

import hashlib
import re

_MAX = 253
_LABEL_MAX = 63


def short_hash(text: str, n: int = 6) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def host_slug(host: str | None) -> str:
    if host is None:
        return "catch-all"
    plain = host.replace("*", "wildcard").replace(".", "-")
    if "-" in host or "*" in host:
        return f"{plain}--{short_hash(host)}"
    return plain


def fit(name: str, limit: int = _MAX) -> str:
    """Shorten a name past the limit, keeping it unique with a hash of the whole."""
    if len(name) <= limit:
        return name
    h = short_hash(name, 8)
    return f"{name[: limit - 10].rstrip('-.')}--{h}"


_BAD = re.compile(r"[^a-z0-9-]+")


def dns_label(text: str) -> str:
    """A DNS-1123 label from any text (class names, secret names); hashed when it had to change."""
    low = text.lower()
    clean = _BAD.sub("-", low).strip("-") or "x"
    if clean != text:
        clean = f"{clean}--{short_hash(text)}"
    return fit(clean, _LABEL_MAX)


_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def dns_subdomain(text: str) -> str:
    """A DNS-1123 subdomain (object name) from any text; unchanged when it already is one."""
    if len(text) <= _MAX and _SUBDOMAIN.match(text):
        return text
    low = re.sub(r"[^a-z0-9.-]+", "-", text.lower())
    low = re.sub(r"\.{2,}", ".", low).strip("-.") or "x"
    return fit(f"{low}--{short_hash(text)}")


def gateway_key(ingress_class: str, namespace: str, mode: str) -> str:
    """Which Gateway an Ingress of ``ingress_class`` in ``namespace`` attaches to: one per class (``shared``, the
    Gateway's name) or one per class and namespace (``per-namespace``: ``namespace/class``, split again by
    ``StandardEmitter.gateway_ref``)."""
    if mode == "per-namespace":
        return f"{namespace}/{ingress_class}"
    return dns_subdomain(ingress_class)


def section_name(protocol: str, host: str | None) -> str:
    """Listener name: ``http-a-com``, ``https-wildcard-a-com--1a2b3c``; ``http`` for no hostname."""
    base = protocol.lower()
    return base if host is None else fit(f"{base}-{host_slug(host)}")
