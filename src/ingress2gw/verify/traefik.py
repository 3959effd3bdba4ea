"""What Traefik's Kubernetes Ingress provider does with one request (an independent model).

https://doc.traefik.io/traefik/routing/providers/kubernetes-ingress/ and /routing/routers/:

- One router per Ingress rule path, rule ``Host(`h`) && Path(`/p`)`` for ``Exact``, ``PathPrefix(`/p`)`` for
  ``Prefix`` and ``ImplementationSpecific`` (or ``router.pathmatcher``); a wildcard host becomes a
  ``HostRegexp`` that matches exactly one label. ``PathPrefix`` is a character prefix (``/foo`` matches ``/foobar``)
  unless the provider option ``strictPrefixMatching`` is on.
- Priority: ``router.priority`` or the length of the rule string; the highest priority that matches wins (ties:
  the longer rule, then creation order / namespace/name).
- Entry points: ``web`` (HTTP) and ``websecure`` (HTTPS) unless ``--traefik-entrypoint`` says otherwise; a router
  listens on ``router.entrypoints`` (default: all); ``router.tls: "true"`` makes it TLS-only. ``spec.tls`` alone
  only loads certificates. HTTPS to a host without a certificate is served with Traefik's self-signed default
  certificate: not served for us.
- The default backend (``spec.defaultBackend``) is a ``PathPrefix(`/`)`` router of the lowest priority for every
  host; the first Ingress (oldest, then namespace/name) that has one provides it.
- Middlewares (``router.middlewares``) are not simulated: the findings about them explain the differences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingress2gw.source.objects import Backend, Ingress
from ingress2gw.verify.model import BACKEND, ERROR, NOT_FOUND, REDIRECT, UNSERVED, Decision, Request, distribution

PREFIX = "traefik.ingress.kubernetes.io/"
MIN_PRIORITY = -(2 ** 31)


@dataclass
class Router:
    ingress: Ingress
    host: str | None
    matcher: str  # Path | PathPrefix
    path: str | None
    rule: str
    priority: int
    entrypoints: tuple[str, ...] | None  # None: all
    tls: bool
    backend: str | None
    order: int


def _sort_key(ing: Ingress) -> tuple:
    return (ing.created or "", ing.namespace, ing.name)


class TraefikSimulator:
    def __init__(self, ingresses: list[Ingress], services: dict | None = None, *,
                 entrypoints: dict[str, str] | None = None, strict_prefix: bool = False,
                 redirect_to_https: bool = False, default_certificate: bool = False):
        self.services = services or {}
        self.entrypoints = entrypoints or {"web": "HTTP", "websecure": "HTTPS"}
        self.strict = strict_prefix
        #: static configuration: entryPoints.web.http.redirections, and a default TLS store certificate
        self.redirect_to_https = redirect_to_https
        self.default_certificate = default_certificate
        self.tls_hosts = [h.lower() for i in ingresses for t in i.tls for h in t.hosts]
        self.routers: list[Router] = []
        for ing in sorted(ingresses, key=_sort_key):
            self._routers(ing)
        defaults = [i for i in sorted(ingresses, key=_sort_key) if i.default_backend is not None]
        if defaults:
            ing = defaults[0]
            self.routers.append(Router(ing, None, "PathPrefix", "/", "PathPrefix(`/`)", MIN_PRIORITY, None, False,
                                       self.backend_ref(ing, ing.default_backend), len(self.routers)))

    def ann(self, ing: Ingress, key: str) -> str | None:
        for k, v in ing.annotations.items():
            if k.lower() == (PREFIX + key).lower():
                return v.strip()
        return None

    def backend_ref(self, ing: Ingress, b: Backend | None) -> str | None:
        if b is None or b.service is None:
            return None
        port: int | str | None = b.port_number
        if port is None and b.port_name:
            svc = self.services.get((ing.namespace, b.service))
            found = next((p.port for p in svc.ports if p.name == b.port_name), None) if svc else None
            port = found if found is not None else b.port_name
        return f"{ing.namespace}/{b.service}:{port}"

    def _routers(self, ing: Ingress) -> None:
        eps = self.ann(ing, "router.entrypoints")
        entrypoints = tuple(e.strip() for e in eps.split(",") if e.strip()) if eps else None
        tls = (self.ann(ing, "router.tls") or "").lower() == "true"
        prio = self.ann(ing, "router.priority")
        pathmatcher = self.ann(ing, "router.pathmatcher") or "PathPrefix"
        for rule in ing.rules:
            for p in rule.paths:
                matcher = ("Path" if p.path_type == "Exact" else
                           "PathPrefix" if p.path_type == "Prefix" else pathmatcher)
                parts = []
                if rule.host:
                    parts.append(_host_rule(rule.host))
                if p.path:
                    parts.append(f"{matcher}(`{p.path}`)")
                text = " && ".join(parts)
                priority = int(prio) if prio and prio.lstrip("-").isdigit() else len(text)
                self.routers.append(Router(ing, rule.host, matcher, p.path, text, priority, entrypoints, tls,
                                           self.backend_ref(ing, p.backend), len(self.routers)))

    def _matches(self, r: Router, req: Request) -> bool:
        if r.host and not _host_match(r.host, req.host):
            return False
        if r.path is None:
            return True
        if r.matcher == "Path":
            return req.path == r.path
        if r.matcher == "PathRegexp":
            try:
                return re.search(r.path, req.path) is not None
            except re.error:
                return False
        if self.strict and r.path != "/":
            base = r.path.rstrip("/")
            return req.path == base or req.path.startswith(base + "/")
        return req.path.startswith(r.path)

    def decide(self, req: Request) -> Decision:
        proto = "HTTPS" if req.scheme == "https" else "HTTP"
        eps = [name for name, p in sorted(self.entrypoints.items()) if p == proto]
        if not eps:
            return Decision(UNSERVED, detail=f"no {proto} entry point")
        if req.scheme == "http" and self.redirect_to_https:
            # The entry point redirects before any router is consulted (permanent: 301 for GET).
            return Decision(REDIRECT, status=301, location=f"https://{req.host}{req.uri}",
                            detail="entry point redirection to websecure")
        if req.scheme == "https" and not self.default_certificate and not any(
                _host_match(h, req.host) for h in self.tls_hosts):
            return Decision(UNSERVED, detail="only Traefik's self-signed default certificate")
        cands = [r for r in self.routers
                 if (r.entrypoints is None or any(e in r.entrypoints for e in eps))
                 and (not r.tls or req.scheme == "https") and self._matches(r, req)]
        if not cands:
            return Decision(NOT_FOUND, detail="no router")
        win = max(cands, key=lambda r: (r.priority, len(r.rule), -r.order))
        via = (f"Ingress {win.ingress.namespace}/{win.ingress.name}",)
        if win.backend is None:
            return Decision(ERROR, status=500, detail="backend is not a Service", via=via)
        return Decision(BACKEND, backends=distribution([(win.backend, 1)]), path=req.uri, via=via,
                        detail=f"router {win.rule} (priority {win.priority})")


def _host_rule(host: str) -> str:
    if host.startswith("*."):
        return "HostRegexp(`^[a-zA-Z0-9-]+" + re.escape(host[1:]) + "$`)"
    return f"Host(`{host}`)"


def _host_match(pattern: str, host: str) -> bool:
    """Traefik: ``*.example.com`` matches exactly one more label; names compare case-insensitively."""
    pattern, host = pattern.lower(), host.lower()
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and "." + rest == pattern[1:]
    return pattern == host
