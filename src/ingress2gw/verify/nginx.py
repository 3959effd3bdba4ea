"""What ingress-nginx does with one request, read from the Ingress objects and their annotations.

This is an independent model of the controller (it shares no code with the translator in ``providers/``):

- Servers: one per host; rules without a host and hosts nobody defines go to the catch-all server ``_``.
  Wildcard server names (``*.example.com``) match any deeper name (nginx ``server_name`` semantics); an exact
  name wins over a wildcard, the longest wildcard over a shorter one.
- Locations (https://kubernetes.github.io/ingress-nginx/user-guide/ingress-path-matching/): ``Exact /p`` →
  ``location = /p``; ``Prefix /p`` → ``location /p/`` + ``location = /p`` (element-wise); ImplementationSpecific
  → ``location /p`` (a character prefix). nginx picks the exact location, else the longest prefix. A request
  ``/p`` that only a ``location /p/`` would serve is answered ``301 /p/`` (nginx's auto-redirect).
- Regex mode: ``use-regex``, or a ``rewrite-target`` that differs from the path, on ANY location of the host
  (nginx.tmpl ``enforceRegexModifier``/``needsRewrite``) turns every path of the host into
  ``location ~* "^<path>"`` (case-insensitive, start-anchored), tried longest first (ties: path descending);
  the first match wins.
- Every server has a root location: the Ingress's own ``/`` path, else the ``spec.defaultBackend`` of the Ingress
  that first defined the host, else the controller's default backend (404). The catch-all server's root is the
  ``spec.defaultBackend`` of the oldest Ingress without rules. The root location the controller makes for a host
  carries the annotations of the Ingress that defined the host (``locationApplyAnnotations``): its redirects
  (HTTPS, permanent/temporal, app-root), its rewrite-target and upstream-vhost apply (a canary attaches only by
  path); the catch-all's root does no redirect and no rewrite (createServers restores them: "Redirect and
  rewrite can affect the catch all behavior, skip for now").
- Conflicts: Ingresses are processed oldest first (creationTimestamp, then namespace/name); the first definition
  of a host+path wins.
- ``app-root`` is a server-level ``if ($uri = /)`` (302): it runs before any location is chosen.
- Per location, in the order nginx runs them: ``permanent-redirect``/``temporal-redirect`` (``return``),
  then the HTTPS redirect (ConfigMap ``ssl-redirect`` default true for hosts in some
  Ingress's ``spec.tls``; ``force-ssl-redirect`` for any host; code ``http-redirect-code`` default 308; the
  trailing ``/`` of the URI is dropped unless ``preserve-trailing-slash``; locations whose path starts with ``/.well-known/acme-challenge`` exempt),
  then the canary decision (header → cookie → weight), then ``rewrite-target`` (the whole URI becomes the target,
  ``$n`` from the path regex, the query is kept).
- HTTPS to a host no ``spec.tls`` lists is answered with the controller's self-signed certificate, which clients
  reject: we count it as not served.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingress2gw.source.objects import Backend, Ingress
from ingress2gw.verify.model import (
    BACKEND, ERROR, NOT_FOUND, PASSTHROUGH, REDIRECT, UNSERVED, Decision, Request, backend_ref, distribution,
    host_matches,
)
from ingress2gw.verify.requests import derive

PREFIX = "nginx.ingress.kubernetes.io/"


@dataclass
class NginxConfig:
    """The controller ConfigMap keys the simulation reads (their defaults)."""

    ssl_redirect: bool = True
    http_redirect_code: int = 308
    no_tls_redirect_locations: tuple[str, ...] = ("/.well-known/acme-challenge",)
    annotation_prefix: str = PREFIX


@dataclass
class Canary:
    ingress: Ingress
    backend: str | None
    header: str | None
    header_value: str | None
    header_pattern: str | None
    cookie: str | None
    weight: int
    weight_total: int


@dataclass
class Location:
    kind: str  # exact | prefix | regex
    path: str  # the nginx location string (regex: the Ingress path)
    ingress: Ingress | None
    ingress_path: str
    backend: str | None  # namespace/service:port; None: the controller's 404
    default: bool = False  # a root location the controller made (no annotations apply)
    canary: Canary | None = None
    path_type: str = "Prefix"  # the Ingress path's pathType (the exact twin of a Prefix path keeps "Prefix")


@dataclass
class Server:
    name: str
    regex: bool = False
    locations: list[Location] = field(default_factory=list)
    root_backend: str | None = None
    root_ingress: Ingress | None = None


def sort_key(ing: Ingress) -> tuple:
    return (ing.created or "", ing.namespace, ing.name)


class NginxSimulator:
    def __init__(self, ingresses: list[Ingress], services: dict | None = None, config: NginxConfig | None = None):
        self.cfg = config or NginxConfig()
        self.services = services or {}
        ordered = sorted(ingresses, key=sort_key)
        self.main = [i for i in ordered if not self._flag(i, "canary")]
        self.canaries = [i for i in ordered if self._flag(i, "canary")]
        self.tls_hosts = [h.lower() for i in ordered for t in i.tls for h in t.hosts]
        self.servers: dict[str, Server] = {}
        self.conflicts: list[tuple[Ingress, str, str]] = []  # (loser, host, path)
        self._build()

    # -- annotations -------------------------------------------------------------------------------------------
    def ann(self, ing: Ingress | None, key: str) -> str | None:
        if ing is None:
            return None
        v = ing.annotations.get(self.cfg.annotation_prefix + key)
        return v.strip() if isinstance(v, str) else None

    def _flag(self, ing: Ingress | None, key: str) -> bool:
        return (self.ann(ing, key) or "").lower() == "true"

    def backend_ref(self, ing: Ingress, b: Backend | None) -> str | None:
        return backend_ref(self.services, ing, b)

    # -- configuration -----------------------------------------------------------------------------------------
    def _build(self) -> None:
        catch_all = Server("_")
        for ing in self.main:
            if not ing.rules and ing.default_backend is not None and catch_all.root_ingress is None:
                catch_all.root_backend = self.backend_ref(ing, ing.default_backend)
                catch_all.root_ingress = ing
        self.servers["_"] = catch_all
        for ing in self.main:
            for rule in ing.rules:
                host = (rule.host or "_").lower()
                if host not in self.servers:
                    self.servers[host] = Server(host, root_backend=self.backend_ref(ing, ing.default_backend)
                                                if ing.default_backend else None, root_ingress=ing)
        for host, server in self.servers.items():
            # nginx.tmpl enforceRegexModifier: regex mode when some location of the server has use-regex, or
            # needsRewrite (a rewrite-target that is not empty and differs from the location's path). The root
            # location the controller made carries the annotations of the Ingress that defined the host
            # (controller.go createServers: locationApplyAnnotations(loc, anns)) with the path "/".
            paths = [(i, p.path or "/") for i in self.main for r in i.rules if (r.host or "_").lower() == host
                     for p in r.paths]
            if host != "_" and server.root_ingress is not None and not any(
                    path == "/" and pt != "Exact" for i in self.main for r in i.rules
                    if (r.host or "_").lower() == host for pt, path in ((p.path_type, p.path or "/")
                                                                        for p in r.paths)):
                paths.append((server.root_ingress, "/"))
            server.regex = any(self._flag(i, "use-regex") or self._needs_rewrite(i, path) for i, path in paths)
        seen: set[tuple[str, str, str]] = set()
        self._deferred: list[tuple[Server, Location]] = []
        for ing in self.main:
            for rule in ing.rules:
                server = self.servers[(rule.host or "_").lower()]
                for p in rule.paths:
                    path = p.path or "/"
                    key = (server.name, path, p.path_type)
                    if key in seen:
                        self.conflicts.append((ing, server.name, path))
                        continue
                    seen.add(key)
                    self._add_locations(server, ing, path, p.path_type, self.backend_ref(ing, p.backend))
        for server, loc in self._deferred:
            if not any(other.kind == "exact" and other.path == loc.path for other in server.locations):
                server.locations.append(loc)
        for server in self.servers.values():
            root_kind = "regex" if server.regex else "prefix"
            if not any(loc.kind == root_kind and loc.path == "/" for loc in server.locations):
                server.locations.append(Location(root_kind, "/", server.root_ingress, "/", server.root_backend,
                                                 default=True))
        for ing in self.canaries:
            self._attach_canary(ing)

    def _needs_rewrite(self, ing: Ingress | None, path: str) -> bool:
        target = self.ann(ing, "rewrite-target")
        return bool(target) and target != path

    def _add_locations(self, server: Server, ing: Ingress, path: str, path_type: str, backend: str | None) -> None:
        def add(kind: str, loc_path: str) -> None:
            if any(loc.kind == kind and loc.path == loc_path for loc in server.locations):
                return  # nginx refuses duplicate locations; ingress-nginx keeps the first
            server.locations.append(Location(kind, loc_path, ing, path, backend, path_type=path_type))

        if server.regex:
            add("regex", path)
        elif path_type == "Exact":
            add("exact", path)
        elif path_type == "Prefix":
            # ingress-nginx (updateServerLocations): a Prefix path without a trailing "/" becomes a prefix
            # location with the slash plus an exact location for the path as written ("/p" → "/p/" and
            # "= /p"); a path that already ends in "/" stays one prefix location ("/p/"), so "/p" then gets
            # nginx's 301. The exact twin is added after every Ingress path of the server: an explicit
            # Exact path wins.
            if path == "/" or path.endswith("/"):
                add("prefix", path)
            else:
                add("prefix", path + "/")
                self._deferred.append((server, Location("exact", path, ing, path, backend, path_type=path_type)))
        else:
            add("prefix", path)

    def _attach_canary(self, ing: Ingress) -> None:
        try:
            weight = int(self.ann(ing, "canary-weight") or 0)
            total = int(self.ann(ing, "canary-weight-total") or 100)
        except ValueError:
            weight, total = 0, 100
        # The balancer (balancer.lua) only honours canary-weight-total above 100; below, the total is 100.
        total = total if total > 100 else 100
        for rule in ing.rules:
            server = self.servers.get((rule.host or "_").lower())
            if server is None:
                continue
            for p in rule.paths:
                c = Canary(ing, self.backend_ref(ing, p.backend), self.ann(ing, "canary-by-header"),
                           self.ann(ing, "canary-by-header-value"), self.ann(ing, "canary-by-header-pattern"),
                           self.ann(ing, "canary-by-cookie"), weight, total)
                # mergeAlternativeBackends: a canary path merges into the location with the same path AND the same
                # pathType ("loc.Path == path.Path && *loc.PathType == *path.PathType").
                for loc in server.locations:
                    if (not loc.default and loc.ingress_path == (p.path or "/") and loc.path_type == p.path_type
                            and loc.canary is None):
                        loc.canary = c

    # -- one request -------------------------------------------------------------------------------------------
    def server_for(self, host: str) -> Server:
        host = host.lower()
        if host in self.servers:
            return self.servers[host]
        wild = [s for name, s in self.servers.items() if name.startswith("*.") and host_matches(name, host)]
        if wild:
            return max(wild, key=lambda s: len(s.name))
        return self.servers["_"]

    def has_tls(self, host: str) -> bool:
        return any(host_matches(t, host) or t == host.lower() for t in self.tls_hosts)

    def select_location(self, server: Server, path: str) -> Location | str | None:
        """The location nginx picks, or ``"auto-redirect"`` for nginx's ``/p`` → ``/p/`` 301."""
        if server.regex:
            # controller.go (getBackendServers) sorts a server's locations by path, descending, then (stably) by
            # path length, longest first; nginx tries regex locations in that order and the first match wins.
            regexes = sorted(sorted((loc for loc in server.locations if loc.kind == "regex"),
                                    key=lambda loc: loc.path, reverse=True), key=lambda loc: -len(loc.path))
            for loc in regexes:
                try:
                    if re.match("^" + loc.path, path, re.IGNORECASE):
                        return loc
                except re.error:
                    continue
            return None
        for loc in server.locations:
            if loc.kind == "exact" and loc.path == path:
                return loc
        if any(loc.kind == "prefix" and loc.path == path + "/" for loc in server.locations):
            return "auto-redirect"
        prefixes = [loc for loc in server.locations if loc.kind == "prefix" and path.startswith(loc.path)]
        return max(prefixes, key=lambda loc: len(loc.path)) if prefixes else None

    def decide(self, req: Request) -> Decision:
        server = self.server_for(req.host)
        passthrough = [i for i in self.main for r in i.rules
                       if (r.host or "_").lower() == server.name and self._flag(i, "ssl-passthrough")]
        if req.scheme == "https" and passthrough and server.name != "_":
            root = self.select_location(server, "/")
            backend = root.backend if isinstance(root, Location) else None
            via = (f"Ingress {passthrough[0].namespace}/{passthrough[0].name}",)
            return (Decision(PASSTHROUGH, backends=distribution([(backend, 1)]), via=via) if backend
                    else Decision(UNSERVED, detail="ssl-passthrough without backend", via=via))
        if req.scheme == "https" and not self.has_tls(req.host):
            return Decision(UNSERVED, detail="only the controller's self-signed default certificate")
        app_root = self._app_root(server, req)
        if app_root is not None:
            return app_root
        loc = self.select_location(server, req.path)
        if loc == "auto-redirect":
            return Decision(REDIRECT, status=301, location=f"{req.scheme}://{req.host}{req.path}/"
                            + (f"?{req.query}" if req.query else ""), detail="nginx trailing-slash redirect")
        if loc is None:
            return Decision(NOT_FOUND, detail="no location")
        assert isinstance(loc, Location)
        via = (f"Ingress {loc.ingress.namespace}/{loc.ingress.name}",) if loc.ingress else ()
        if loc.canary is not None:
            via += (f"Ingress {loc.canary.ingress.namespace}/{loc.canary.ingress.name}",)
        ing = loc.ingress
        if loc.default and (server.name == "_" or ing is None):
            return self._default(loc, req, via)
        redirect = self._explicit_redirect(ing, req)
        if redirect is not None:
            return Decision(REDIRECT, status=redirect[0], location=redirect[1], via=via)
        if req.scheme == "http" and self._ssl_redirect(ing, req, loc):
            uri = req.uri
            if uri.endswith("/") and not self._flag(ing, "preserve-trailing-slash"):
                uri = uri[:-1]
            return Decision(REDIRECT, status=self.cfg.http_redirect_code, location=f"https://{req.host}{uri}",
                            via=via, detail="ssl-redirect")
        if loc.default and loc.backend is None:
            return self._default(loc, req, via)
        # The root location of a host carries every annotation of the Ingress that defined the host
        # (createServers: locationApplyAnnotations), its rewrite-target and upstream-vhost included.
        weighted = self._canary(loc, req) if not loc.default else [(loc.backend, 1)]
        if not weighted or all(ref is None for ref, _ in weighted):
            return Decision(ERROR, status=503, detail="backend is not a Service", via=via)
        path, headers = req.path, ()
        target = self.ann(ing, "rewrite-target")
        if target and target != loc.ingress_path:
            try:
                m = re.search(loc.ingress_path, req.path, re.IGNORECASE)
            except re.error:
                m = None
            if m is not None:
                path = re.sub(r"\$(\d)", lambda g: (m.group(int(g.group(1))) or "")
                              if int(g.group(1)) <= (m.re.groups or 0) else "", target)
                prefix = self.ann(ing, "x-forwarded-prefix")
                if prefix:
                    headers = (("set", "x-forwarded-prefix", prefix),)
        uri = path + (f"?{req.query}" if req.query else "")
        return Decision(BACKEND, backends=distribution([(ref or "!not-a-service", w) for ref, w in weighted]),
                        path=uri, host=self.ann(ing, "upstream-vhost"), headers=headers, via=via)

    def _app_root(self, server: Server, req: Request) -> Decision | None:
        """nginx.tmpl writes ``if ($uri = /) { return 302 $scheme://$http_host<app-root>; }`` in the *server*
        block, once per location that has app-root, in the order of the server's locations (longest path first,
        then path descending): it runs in the server rewrite phase, before any location is chosen, so before
        the location's redirects, its HTTPS redirect and nginx's trailing-slash 301. The root location of a host
        carries its defining Ingress's app-root; the catch-all server's root does not (createServers keeps the
        original Rewrite there)."""
        if req.path != "/":
            return None
        locs = sorted(sorted(server.locations, key=lambda loc: loc.path, reverse=True),
                      key=lambda loc: -len(loc.path))
        for loc in locs:
            if loc.default and server.name == "_":
                continue
            root = self.ann(loc.ingress, "app-root")
            if root and root.startswith("/") and not root.startswith("//"):
                via = (f"Ingress {loc.ingress.namespace}/{loc.ingress.name}",)
                return Decision(REDIRECT, status=302, location=f"{req.scheme}://{req.host}{root}", via=via,
                                detail="app-root")
        return None

    def _default(self, loc: Location, req: Request, via: tuple) -> Decision:
        if loc.backend is None:
            return Decision(NOT_FOUND, detail="controller default backend", via=via)
        return Decision(BACKEND, backends=distribution([(loc.backend, 1)]), path=req.uri, via=via,
                        detail="spec.defaultBackend")

    def _explicit_redirect(self, ing: Ingress, req: Request) -> tuple[int, str] | None:
        # The controller's redirect parser: a code that is not an integer fails the whole redirect configuration
        # of the Ingress (its paths keep proxying); an integer outside the range falls back to the default.
        codes = {}
        for key, default, top in (("temporal-redirect-code", 302, 307), ("permanent-redirect-code", 301, 308)):
            raw = self.ann(ing, key)
            if raw is None:
                codes[key] = default
                continue
            try:
                c = int(raw)
            except ValueError:
                return None
            codes[key] = c if 300 <= c <= top else default
        temporal, permanent = self.ann(ing, "temporal-redirect"), self.ann(ing, "permanent-redirect")
        for url, key in ((temporal, "temporal-redirect-code"), (permanent, "permanent-redirect-code")):
            if url:
                if not re.match(r"^https?://", url):
                    return None  # not an absolute http(s) URL: the controller rejects it
                return codes[key], _expand(url, req)
        return None

    def _ssl_redirect(self, ing: Ingress, req: Request, loc: Location) -> bool:
        # force_no_ssl_redirect (nginx.tmpl isLocationInLocationList): a *location* whose path starts with
        # one of no-tls-redirect-locations is never redirected; a request for such a path that another
        # location (e.g. "/") serves is.
        if any(loc.ingress_path.startswith(p) for p in self.cfg.no_tls_redirect_locations):
            return False
        if self._flag(ing, "force-ssl-redirect"):
            return True
        value = self.ann(ing, "ssl-redirect")
        enabled = self.cfg.ssl_redirect if value is None else value.lower() == "true"
        return enabled and self.has_tls(req.host)

    def _canary(self, loc: Location, req: Request) -> list[tuple[str | None, int]]:
        c = loc.canary
        if c is None:
            return [(loc.backend, 1)]
        if c.header:
            have = req.header(c.header)
            if have is not None:
                if c.header_value:
                    if have == c.header_value:
                        return [(c.backend, 1)]
                elif c.header_pattern:
                    try:
                        if re.match(c.header_pattern, have):
                            return [(c.backend, 1)]
                    except re.error:
                        pass
                elif have == "always":
                    return [(c.backend, 1)]
                elif have == "never":
                    return [(loc.backend, 1)]
        if c.cookie:
            have = req.cookie(c.cookie)
            if have == "always":
                return [(c.backend, 1)]
            if have == "never":
                return [(loc.backend, 1)]
        if c.weight <= 0:
            return [(loc.backend, 1)]
        if c.weight >= c.weight_total:
            return [(c.backend, 1)]
        return [(c.backend, c.weight), (loc.backend, c.weight_total - c.weight)]


def _expand(url: str, req: Request) -> str:
    return (url.replace("$request_uri", req.uri).replace("$scheme", req.scheme)
            .replace("$host", req.host).replace("$http_host", req.host))


# -- the ingress-nginx side of ``verify`` (named by the provider's ``simulator`` attribute) ----------------------


def simulate(ingresses: list[Ingress], inventory, options) -> tuple[NginxSimulator, list[Request]]:
    """The simulator for these Ingresses, and the requests derived from them."""
    source = NginxSimulator(ingresses, inventory.services, config_from(options, inventory))
    return source, derive(ingresses, source.cfg.annotation_prefix)


def config_from(options, inventory) -> NginxConfig:
    """The controller settings the simulator needs: ``--annotations-prefix`` and the ConfigMap's redirects."""
    cfg = NginxConfig()
    prefix = options.annotations_prefix
    if prefix:
        cfg.annotation_prefix = prefix.rstrip("/") + "/"
    for cm in sorted(inventory.others.get("ConfigMap", []), key=lambda cm: (cm.namespace, cm.name)):
        data = cm.doc.obj.get("data") if isinstance(cm.doc.obj, dict) else None
        if not isinstance(data, dict):
            continue
        if str(data.get("ssl-redirect", "")).lower() in ("true", "false"):
            cfg.ssl_redirect = str(data["ssl-redirect"]).lower() == "true"
        if str(data.get("http-redirect-code", "")).isdigit():
            cfg.http_redirect_code = int(data["http-redirect-code"])
    return cfg
