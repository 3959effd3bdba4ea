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
- Middlewares (``router.middlewares``, ``<ns>-<name>@kubernetescrd``) resolve against the Middleware objects of
  the input (``traefik.io`` and ``traefik.containo.us``); ``chain`` expands in place. A reference that does not
  resolve (missing, ambiguous ``a-b-c``, another provider such as ``@file``, or no provider: the Ingress provider
  would look for ``<name>@kubernetes``) is a build error of the router, and Traefik's router manager then leaves
  the router out (``buildEntryPointHandler``: ``buildRouterHandler`` fails → ``continue``): the request goes to the
  next router that matches, or gets 404. Applied in order (Traefik v3 semantics):

  - ``stripPrefix``: the first of ``prefixes`` that is a *character* prefix of the path is cut
    (``ensureLeadingSlash``, an empty path stays empty and is sent as ``/``); it adds ``X-Forwarded-Prefix``.
  - ``addPrefix``: ``ensureLeadingSlash(prefix + path)``.
  - ``replacePath``: the path becomes ``path``; the old path goes into ``X-Replaced-Path``.
  - ``redirectScheme``: ``scheme://host[:port]`` + the URI, only when it differs from the request's URL (same
    scheme: no redirect); 301 (``permanent``) or 302 for GET, 308/307 for other methods.
  - ``headers``: ``customRequestHeaders`` (an empty value removes the header), ``customResponseHeaders`` and the
    security headers ``frameDeny``/``customFrameOptionsValue``, ``contentTypeNosniff``, ``browserXssFilter``,
    ``referrerPolicy``, ``contentSecurityPolicy``, ``permissionsPolicy`` (response headers of the backend
    answer). CORS and HSTS are not simulated.
  - Every other middleware (auth, rate limits, retry, buffering, errors, plugins...) passes the request through
    unchanged: their findings explain the differences they cause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingress2gw.source.objects import Backend, Ingress, KubeObject
from ingress2gw.verify.model import (
    BACKEND, ERROR, NOT_FOUND, REDIRECT, UNSERVED, Decision, Request, backend_ref, distribution,
)
from ingress2gw.verify.requests import derive

PREFIX = "traefik.ingress.kubernetes.io/"
MIN_PRIORITY = -(2 ** 31)
MIDDLEWARE_GROUPS = ("traefik.io", "traefik.containo.us")
SECURITY_HEADERS = (("contentTypeNosniff", "x-content-type-options", "nosniff"),
                    ("browserXssFilter", "x-xss-protection", "1; mode=block"))


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
    #: resolved Middleware specs in order (namespace, name, spec); None: a reference did not resolve
    middlewares: list[tuple[str, str, dict]] | None = None


def _sort_key(ing: Ingress) -> tuple:
    return (ing.created or "", ing.namespace, ing.name)


class TraefikSimulator:
    def __init__(self, ingresses: list[Ingress], services: dict | None = None, *,
                 entrypoints: dict[str, str] | None = None, strict_prefix: bool = False,
                 redirect_to_https: bool = False, default_certificate: bool = False,
                 middlewares: list[KubeObject] | None = None):
        self.services = services or {}
        self.middleware_objects: dict[tuple[str, str], dict] = {}
        for m in middlewares or []:
            group = str(m.api_version or "").split("/", 1)[0]
            if m.kind == "Middleware" and group in MIDDLEWARE_GROUPS and isinstance(m.doc.obj, dict):
                self.middleware_objects[(m.namespace or "default", m.name)] = m.doc.obj.get("spec") or {}
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
                                       self.backend_ref(ing, ing.default_backend), len(self.routers), []))

    def ann(self, ing: Ingress, key: str) -> str | None:
        for k, v in ing.annotations.items():
            if k.lower() == (PREFIX + key).lower():
                return v.strip()
        return None

    def backend_ref(self, ing: Ingress, b: Backend | None) -> str | None:
        return backend_ref(self.services, ing, b)

    def _routers(self, ing: Ingress) -> None:
        eps = self.ann(ing, "router.entrypoints")
        entrypoints = tuple(e.strip() for e in eps.split(",") if e.strip()) if eps else None
        tls = (self.ann(ing, "router.tls") or "").lower() == "true"
        prio = self.ann(ing, "router.priority")
        pathmatcher = self.ann(ing, "router.pathmatcher") or "PathPrefix"
        refs = [r.strip() for r in (self.ann(ing, "router.middlewares") or "").split(",") if r.strip()]
        chain = self.resolve(refs)
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
                                           self.backend_ref(ing, p.backend), len(self.routers), chain))

    # -- middlewares -------------------------------------------------------------------------------------------
    def _lookup(self, ref: str) -> tuple[str, str, dict] | None:
        """``<ns>-<name>@kubernetescrd`` → the one Middleware whose ``<ns>-<name>`` is that key."""
        key, at, provider = ref.partition("@")
        if not at or provider != "kubernetescrd":
            return None  # no provider (→ "<ref>@kubernetes", which has no middlewares) or another provider
        found = [(ns, name, spec) for (ns, name), spec in self.middleware_objects.items() if f"{ns}-{name}" == key]
        return found[0] if len(found) == 1 else None

    def resolve(self, refs: list[str], namespace: str | None = None, depth: int = 0) -> list | None:
        """The middlewares in order, ``chain`` expanded; None when one of them does not resolve."""
        out: list[tuple[str, str, dict]] = []
        for ref in refs:
            if isinstance(ref, dict):  # a chain entry: {name, namespace} (the chain's namespace by default)
                ns = ref.get("namespace") or namespace
                found = self.middleware_objects.get((ns, ref.get("name")))
                item = (ns, ref.get("name"), found) if found is not None else None
                if item is None and "@" in str(ref.get("name")):
                    item = self._lookup(str(ref.get("name")))
            else:
                item = self._lookup(ref)
            if item is None or depth > 10:
                return None
            ns, name, spec = item
            chain = spec.get("chain")
            if isinstance(chain, dict):
                inner = self.resolve(list(chain.get("middlewares") or []), ns, depth + 1)
                if inner is None:
                    return None
                out += inner
            else:
                out.append(item)
        return out

    def _apply(self, win: Router, req: Request, via: tuple) -> Decision:
        path = req.path
        headers: dict[tuple[str, str], str] = {}
        response: dict[str, str] = {}
        for _ns, _name, spec in win.middlewares or []:
            if isinstance(spec.get("stripPrefix"), dict):
                for prefix in spec["stripPrefix"].get("prefixes") or []:
                    prefix = str(prefix)
                    if path.startswith(prefix):
                        rest = path[len(prefix):]
                        path = rest if rest == "" or rest.startswith("/") else "/" + rest
                        # X-Forwarded-Prefix is added; the client request carries none, so add == set.
                        headers[("set", "x-forwarded-prefix")] = prefix.strip()
                        break
            elif isinstance(spec.get("addPrefix"), dict):
                new = str(spec["addPrefix"].get("prefix") or "") + path
                path = new if new == "" or new.startswith("/") else "/" + new
            elif isinstance(spec.get("replacePath"), dict):
                headers[("set", "x-replaced-path")] = path or "/"
                path = str(spec["replacePath"].get("path") or "")
            elif isinstance(spec.get("redirectScheme"), dict):
                rs = spec["redirectScheme"]
                scheme = str(rs.get("scheme") or "")
                if not scheme:
                    continue
                port = str(rs.get("port") or "")
                if port and not ((scheme == "http" and port == "80") or (scheme == "https" and port == "443")):
                    netloc = f"{req.host}:{port}"
                else:
                    netloc = req.host
                uri = (path or "/") + (f"?{req.query}" if req.query else "")
                new_url = f"{scheme}://{netloc}{uri}"
                old_url = f"{req.scheme}://{req.host}{uri}"
                if new_url != old_url:
                    permanent = bool(rs.get("permanent"))
                    get = req.method == "GET"
                    status = (301 if get else 308) if permanent else (302 if get else 307)
                    return Decision(REDIRECT, status=status, location=new_url, via=via,
                                    detail="redirectScheme middleware")
            elif isinstance(spec.get("headers"), dict):
                h = spec["headers"]
                for name, value in (h.get("customRequestHeaders") or {}).items():
                    name = str(name).lower()
                    headers.pop(("set", name), None)
                    headers.pop(("remove", name), None)
                    if value == "" or value is None:
                        headers[("remove", name)] = ""
                    else:
                        headers[("set", name)] = str(value)
                for name, value in (h.get("customResponseHeaders") or {}).items():
                    response[str(name).lower()] = "" if value is None else str(value)
                if h.get("customFrameOptionsValue"):
                    response["x-frame-options"] = str(h["customFrameOptionsValue"])
                elif h.get("frameDeny"):
                    response["x-frame-options"] = "DENY"
                for key, name, value in SECURITY_HEADERS:
                    if h.get(key):
                        response[name] = value
                for key, name in (("referrerPolicy", "referrer-policy"),
                                  ("contentSecurityPolicy", "content-security-policy"),
                                  ("permissionsPolicy", "permissions-policy")):
                    if h.get(key):
                        response[name] = str(h[key])
        if win.backend is None:
            return Decision(ERROR, status=500, detail="backend is not a Service", via=via)
        uri = (path or "/") + (f"?{req.query}" if req.query else "")
        changes = tuple(sorted((op, n, v) for (op, n), v in headers.items()))
        resp = tuple(sorted(("remove", n, "") if v == "" else ("set", n, v) for n, v in response.items()))
        return Decision(BACKEND, backends=distribution([(win.backend, 1)]), path=uri, headers=changes,
                        response_headers=resp, via=via, detail=f"router {win.rule} (priority {win.priority})")

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
        # A router whose middlewares do not resolve was never built (see the module docstring).
        cands = [r for r in self.routers if r.middlewares is not None
                 and (r.entrypoints is None or any(e in r.entrypoints for e in eps))
                 and (not r.tls or req.scheme == "https") and self._matches(r, req)]
        if not cands:
            return Decision(NOT_FOUND, detail="no router")
        win = max(cands, key=lambda r: (r.priority, len(r.rule), -r.order))
        via = (f"Ingress {win.ingress.namespace}/{win.ingress.name}",)
        return self._apply(win, req, via)


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


# -- the Traefik side of ``verify`` (named by the provider's ``simulator`` attribute) -----------------------------


def simulate(ingresses: list[Ingress], inventory, options) -> tuple[TraefikSimulator, list[Request]]:
    """The simulator for these Ingresses (with the static configuration given as provider options), and the
    requests derived from them."""
    po = options
    # Traefik uses a TLSStore named default only when one namespace defines it.
    stores = [o for o in inventory.others.get("TLSStore", []) if o.name == "default"]
    default_store = len({o.namespace for o in stores}) == 1 and any(
        (o.doc.obj.get("spec") or {}).get("defaultCertificate") for o in stores)
    source = TraefikSimulator(ingresses, inventory.services, entrypoints=entrypoints_from(po),
                              strict_prefix=po.traefik_strict_prefix_matching,
                              redirect_to_https=po.traefik_redirect_to_https,
                              default_certificate=bool(po.traefik_default_certificate) or default_store,
                              middlewares=inventory.others.get("Middleware", []))
    return source, derive(ingresses)


def entrypoints_from(options) -> dict[str, str] | None:
    """``--traefik-entrypoint NAME=PROTO`` options as the simulator's entry points (None: web and websecure)."""
    out = {}
    for ep in options.traefik_entrypoints:
        name, _, proto = ep.partition("=")
        out[name] = proto.upper()
    return out or None
