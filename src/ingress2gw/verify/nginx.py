"""What ingress-nginx does with one request, read from the Ingress objects and their annotations.

This is an independent model of the controller (it shares no code with the translator in ``providers/``). Its
facts are in ../shared/reference/ingress-nginx-routing-facts.md; ``tests/verify/test_nginx_ground_truth.py``
replays the same requests through real NGINX configured as the controller configures it:

- Ingresses are processed oldest first (creationTimestamp; equal timestamps: namespace/name *descending*, the
  store's order); canary Ingresses make no server and no location.
- Servers: one per host; rules without a host and hosts nobody defines go to the catch-all server ``_``. A
  wildcard host ``*.example.com`` is the server name ``~^(?<subdomain>[\\w-]+)\\.example\\.com$``: exactly one more
  label (``x.y.example.com`` goes to ``_``); an exact name wins.
- Every server starts with a root location ``/`` the controller makes: for a host, the ``spec.defaultBackend`` of
  the Ingress that created the server (else the controller's default backend, 404), carrying that Ingress's
  annotations (``locationApplyAnnotations``: its redirects, app-root, rewrite-target, upstream-vhost apply); for
  ``_``, the ``spec.defaultBackend`` of the oldest Ingress without rules, whose redirect and rewrite annotations
  are dropped ("Redirect and rewrite can affect the catch all behavior") but upstream-vhost applies.
- Paths (https://kubernetes.github.io/ingress-nginx/user-guide/ingress-path-matching/): ImplementationSpecific
  (or no pathType) is Prefix. For each path the first location with the same path string decides: another
  pathType → a new location; the same pathType → the path is ignored (first wins), unless that location is a
  host's root the controller made, which a ``/`` Prefix path replaces (backend and annotations). The catch-all's
  root, once an Ingress without rules has taken it, is not replaced.
- Order: longest path first, then path descending, then creation (the root first). Then the Prefix paths are
  normalized: ``/p`` becomes ``location /p/`` followed by ``location = /p`` (not when an Exact ``/p`` exists),
  except ``/`` and paths whose Ingress has use-regex or a rewrite-target differing from the path.
- Regex mode: ``use-regex``, or a ``rewrite-target`` that differs from the location's path *as normalized*
  (so a Prefix ``/p`` with target ``/p`` counts: its location is ``/p/``), on ANY location of the host
  (nginx.tmpl ``enforceRegexModifier``/``needsRewrite``) turns every location of the host into
  ``location ~* "^<path>"`` (case-insensitive, start-anchored), tried in the order above; the first match wins.
- Otherwise nginx picks the exact location, else the longest prefix; a request ``/p`` that only a location
  ``/p/`` (prefix or exact) would serve is answered ``301 /p/`` (nginx's auto-redirect).
- ``app-root`` is a server-level ``if ($uri = /)`` (302): it runs before any location is chosen.
- Per location, in the order nginx runs them: ``permanent-redirect``/``temporal-redirect`` (``return``), then
  ``rewrite-target`` (``rewrite "(?i)<location path>" <target> break``: the whole URI becomes the target, ``$n``
  from the path regex, a missing group is empty, the query is kept; a target starting with ``http://``,
  ``https://`` or ``$scheme`` makes it a 302 redirect), then, in Lua, the HTTPS redirect (ConfigMap
  ``ssl-redirect`` default true, for a host with a certificate registered; ``force-ssl-redirect`` for any host;
  code ``http-redirect-code`` default 308; the trailing ``/`` of the URI is dropped unless
  ``preserve-trailing-slash``; locations whose path starts with ``/.well-known/acme-challenge`` exempt), then
  the canary decision (header → cookie → weight).
- Certificates: the first Ingress that has a ``tls`` section and a rule for the host gives the host its
  certificate: the Secret of the entry listing the host (a Secret is taken to hold a certificate for the hosts
  its entries list), else one of its Secrets valid for the host, else the controller's default certificate,
  which still counts as registered for the HTTPS redirect. Lookup: the host, else ``*.<parent>``. HTTPS to a
  host without a registered Secret is answered with the controller's self-signed certificate, which clients
  reject: we count it as not served.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ingress2gw.source.objects import Backend, Ingress
from ingress2gw.verify.model import (
    BACKEND, ERROR, NOT_FOUND, PASSTHROUGH, REDIRECT, UNSERVED, Decision, Request, backend_ref, distribution,
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


DEFAULT_CERT = "default"  # the controller's self-signed certificate, which clients reject


def ordered(ingresses: list[Ingress]) -> list[Ingress]:
    """The store's order (store.go): creationTimestamp ascending; equal timestamps: namespace/name *descending*."""
    by_name = sorted(ingresses, key=lambda i: f"{i.namespace}/{i.name}", reverse=True)
    return sorted(by_name, key=lambda i: i.created or "")


def _path_type(path_type: str | None) -> str:
    # internal/k8s SetDefaultNGINXPathType: a missing or ImplementationSpecific pathType is Prefix.
    return "Exact" if path_type == "Exact" else "Prefix"


class NginxSimulator:
    def __init__(self, ingresses: list[Ingress], services: dict | None = None, config: NginxConfig | None = None):
        self.cfg = config or NginxConfig()
        self.services = services or {}
        order = ordered(ingresses)
        self.main = [i for i in order if not self._flag(i, "canary")]
        self.canaries = [i for i in order if self._flag(i, "canary")]
        self.servers: dict[str, Server] = {}
        self.certs: dict[str, str] = {}  # host -> "namespace/secret" or DEFAULT_CERT
        self.conflicts: list[tuple[Ingress, str, str]] = []  # (loser, host, path)
        self._passthrough_of: dict[str, list[Ingress]] = {}  # server name -> its ssl-passthrough Ingresses
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
        for server in self.servers.values():
            server.locations.append(Location("prefix", "/", server.root_ingress, "/", server.root_backend,
                                             default=True))
        for ing in self.main:
            for rule in ing.rules:
                server = self.servers[(rule.host or "_").lower()]
                for p in rule.paths:
                    if p.backend is not None and p.backend.service is not None:
                        self._add_location(server, ing, p.path or "/", _path_type(p.path_type),
                                           self.backend_ref(ing, p.backend))
        for server in self.servers.values():
            # controller.go: per server, a stable sort by path descending, then by path length (longest first);
            # then updateServerLocations normalizes the Prefix paths; regex mode is decided on the result.
            locs = sorted(server.locations, key=lambda loc: loc.ingress_path, reverse=True)
            server.locations = self._normalize(server, sorted(locs, key=lambda loc: len(loc.ingress_path),
                                                              reverse=True))
            # nginx.tmpl enforceRegexModifier: use-regex, or needsRewrite (a rewrite-target that is not empty and
            # differs from the location's path *as normalized*), on any location of the server.
            server.regex = any(self._flag(self._rewrite_ingress(server, loc), "use-regex")
                               or self._needs_rewrite(self._rewrite_ingress(server, loc), loc.path)
                               for loc in server.locations)
            if server.regex:
                for loc in server.locations:
                    loc.kind = "regex"
        self._certificates()
        for ing in self.canaries:
            self._attach_canary(ing)

    def _rewrite_ingress(self, server: Server, loc: Location) -> Ingress | None:
        """The Ingress whose redirect/rewrite annotations a location carries: none for the catch-all's root
        (createServers restores them: "Redirect and rewrite can affect the catch all behavior")."""
        return None if loc.default and server.name == "_" else loc.ingress

    def _needs_rewrite(self, ing: Ingress | None, path: str) -> bool:
        target = self.ann(ing, "rewrite-target")
        return bool(target) and target != path

    def _add_location(self, server: Server, ing: Ingress, path: str, path_type: str, backend: str | None) -> None:
        """controller.go getBackendServers: the first location with the same path decides: another pathType → a
        new location; the same pathType → the path is ignored (first wins), unless that location is the root the
        controller made for the host, which the path replaces (backend and annotations). The catch-all's root,
        once an Ingress without rules has taken it, is not replaceable."""
        for i, loc in enumerate(server.locations):
            if loc.ingress_path != path:
                continue
            if loc.path_type != path_type:
                break
            if loc.default and not (server.name == "_" and server.root_ingress is not None):
                server.locations[i] = Location("prefix", path, ing, path, backend, path_type=path_type)
            else:
                self.conflicts.append((ing, server.name, path))
            return
        kind = "exact" if path_type == "Exact" else "prefix"
        server.locations.append(Location(kind, path, ing, path, backend, path_type=path_type))

    def _normalize(self, server: Server, locations: list[Location]) -> list[Location]:
        """location.go updateServerLocations: a Prefix path becomes the prefix location ``/p/`` followed by an
        exact clone ``= /p`` (unless an Exact ``/p`` exists); ``/`` and paths whose Ingress has use-regex or a
        rewrite-target that differs from the path stay as they are."""
        exact = {loc.ingress_path for loc in locations if loc.path_type == "Exact"}
        out = []
        for loc in locations:
            ing = self._rewrite_ingress(server, loc)
            if (loc.path == "/" or loc.path_type != "Prefix" or self._flag(ing, "use-regex")
                    or self._needs_rewrite(ing, loc.path)):
                out.append(loc)
                continue
            out.append(replace(loc, path=loc.path if loc.path.endswith("/") else loc.path + "/"))
            if loc.path not in exact:
                out.append(replace(loc, kind="exact"))  # keeps path_type Prefix (the canary merge reads it)
        return out

    def _certificates(self) -> None:
        """createServers: the first Ingress that has a ``tls`` section and a rule for the host gives the host its
        certificate: the secret of the entry listing the host, else one of its secrets valid for the host, else the
        default certificate. A Secret is taken to hold a certificate for the hosts its ``tls`` entries list."""
        secrets: dict[str, set[str]] = {}
        for ing in self.main:
            for t in ing.tls:
                if t.secret:
                    secrets.setdefault(f"{ing.namespace}/{t.secret}", set()).update(h.lower() for h in t.hosts)
        for ing in self.main:
            for rule in ing.rules:
                host = (rule.host or "_").lower()
                if host == "_" or host in self.certs or not ing.tls:
                    continue
                listed = next((t for t in ing.tls if host in (h.lower() for h in t.hosts)), None)
                if listed is not None:
                    secret = listed.secret or ""
                else:
                    secret = next((t.secret for t in ing.tls if t.secret and any(
                        _wildcard_matches(n, host) or n == host
                        for n in secrets.get(f"{ing.namespace}/{t.secret}", ()))), "")
                self.certs[host] = f"{ing.namespace}/{secret}" if secret else DEFAULT_CERT

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
                    if (not loc.default and loc.ingress_path == (p.path or "/")
                            and loc.path_type == _path_type(p.path_type) and loc.canary is None):
                        loc.canary = c

    # -- one request -------------------------------------------------------------------------------------------
    def server_for(self, host: str) -> Server:
        host = host.lower()
        if host in self.servers:
            return self.servers[host]
        # Regex server names are tried in config order (hostname-sorted).
        for name in sorted(self.servers):
            if name.startswith("*.") and _wildcard_matches(name, host):
                return self.servers[name]
        return self.servers["_"]

    def certificate(self, host: str) -> str | None:
        """certificate.lua: the certificate registered for the host, else for ``*.<parent>``; None: none."""
        host = host.lower()
        if host in self.certs:
            return self.certs[host]
        parent = host.split(".", 1)[1] if "." in host else ""
        return self.certs.get("*." + parent) if parent else None

    def select_location(self, server: Server, path: str) -> Location | str | None:
        """The location nginx picks, or ``"auto-redirect"`` for nginx's ``/p`` → ``/p/`` 301."""
        if server.regex:
            # Regex locations in the controller's order (longest path first); the first match wins.
            for loc in server.locations:
                try:
                    if re.match("^" + loc.path, path, re.IGNORECASE):
                        return loc
                except re.error:
                    continue
            return None
        for loc in server.locations:
            if loc.kind == "exact" and loc.path == path:
                return loc
        # nginx's auto_redirect: a request for "/p" that only a location "/p/" (prefix or exact) with proxy_pass
        # would serve is answered 301 "/p/".
        if any(loc.path == path + "/" for loc in server.locations):
            return "auto-redirect"
        prefixes = [loc for loc in server.locations if loc.kind == "prefix" and path.startswith(loc.path)]
        return max(prefixes, key=lambda loc: len(loc.path)) if prefixes else None

    def _passthrough(self, server_name: str) -> list[Ingress]:
        """The Ingresses with ssl-passthrough that have a rule for the server (computed once per server)."""
        cache = self._passthrough_of
        if server_name not in cache:
            cache[server_name] = [i for i in self.main for r in i.rules
                                  if (r.host or "_").lower() == server_name and self._flag(i, "ssl-passthrough")]
        return cache[server_name]

    def decide(self, req: Request) -> Decision:
        server = self.server_for(req.host)
        passthrough = self._passthrough(server.name)
        if req.scheme == "https" and passthrough and server.name != "_":
            root = self.select_location(server, "/")
            backend = root.backend if isinstance(root, Location) else None
            via = (f"Ingress {passthrough[0].namespace}/{passthrough[0].name}",)
            return (Decision(PASSTHROUGH, backends=distribution([(backend, 1)]), via=via) if backend
                    else Decision(UNSERVED, detail="ssl-passthrough without backend", via=via))
        if req.scheme == "https" and self.certificate(req.host) in (None, DEFAULT_CERT):
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
        # rewrite-target: ``rewrite "(?i)<location path>" <target> break;`` (the path as normalized: a Prefix
        # "/p" whose target is "/p" is the location "/p/", rewritten). It runs before the Lua HTTPS redirect; a
        # target starting with http://, https:// or $scheme makes nginx answer 302 (the query appended).
        rewritten = self._rewrite(loc, ing, req)
        target = self.ann(ing, "rewrite-target") or ""
        if rewritten is not None and re.match(r"(https?://|\$scheme)", target):
            location = rewritten.replace("$scheme", req.scheme) + (f"?{req.query}" if req.query else "")
            return Decision(REDIRECT, status=302, location=location, via=via, detail="rewrite-target URL")
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
        headers = ()
        prefix = self.ann(ing, "x-forwarded-prefix")
        if rewritten is not None and prefix:
            headers = (("set", "x-forwarded-prefix", prefix),)
        uri = (req.path if rewritten is None else rewritten) + (f"?{req.query}" if req.query else "")
        return Decision(BACKEND, backends=distribution([(ref or "!not-a-service", w) for ref, w in weighted]),
                        path=uri, host=self.ann(ing, "upstream-vhost"), headers=headers, via=via)

    def _rewrite(self, loc: Location, ing: Ingress | None, req: Request) -> str | None:
        """The URI after the location's rewrite (``$n`` from the path regex; a missing group is empty), or None."""
        target = self.ann(ing, "rewrite-target")
        if not target or target == loc.path:
            return None
        try:
            m = re.search(loc.path, req.path, re.IGNORECASE)
        except re.error:
            return None
        if m is None:
            return None
        # One pass, as nginx's script does: $n is the path regex's group n (empty when missing), a variable its
        # value (the same for a URL target: "https://$host/x" redirects to the request's host).
        variables = {"scheme": req.scheme, "host": req.host.lower(), "http_host": req.host,
                     "request_uri": req.uri, "uri": req.path}

        def value(g: re.Match) -> str:
            name = g.group(1)
            if name.isdigit():
                return (m.group(int(name)) or "") if int(name) <= (m.re.groups or 0) else ""
            return variables.get(name, g.group(0))

        return re.sub(r"\$(\d|[A-Za-z_][A-Za-z0-9_]*)", value, target)

    def _app_root(self, server: Server, req: Request) -> Decision | None:
        """nginx.tmpl writes ``if ($uri = /) { return 302 $scheme://$http_host<app-root>; }`` in the *server*
        block, once per location that has app-root, in the order of the server's locations (longest path first,
        then path descending): it runs in the server rewrite phase, before any location is chosen, so before
        the location's redirects, its HTTPS redirect and nginx's trailing-slash 301. The root location of a host
        carries its defining Ingress's app-root; the catch-all server's root does not (createServers keeps the
        original Rewrite there)."""
        if req.path != "/":
            return None
        for loc in server.locations:
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
        # The catch-all's root keeps the annotations of the Ingress that took it except redirect and rewrite:
        # upstream-vhost applies.
        return Decision(BACKEND, backends=distribution([(loc.backend, 1)]), path=req.uri, via=via,
                        host=self.ann(loc.ingress, "upstream-vhost"), detail="spec.defaultBackend")

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
        if any(loc.path.startswith(p) for p in self.cfg.no_tls_redirect_locations):
            return False
        if self._flag(ing, "force-ssl-redirect"):
            return True
        value = self.ann(ing, "ssl-redirect")
        enabled = self.cfg.ssl_redirect if value is None else value.lower() == "true"
        # certificate.lua: only for a host with a certificate registered (its own, or its *.parent's), the
        # default one included (a host of an Ingress whose tls section does not list it).
        return enabled and self.certificate(req.host) is not None

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


def _wildcard_matches(name: str, host: str) -> bool:
    """The controller's server name for ``*.example.com`` is ``~^(?<subdomain>[\\w-]+)\\.example\\.com$``: exactly one
    more label (and Go's certificate check reads a ``*.`` name the same way)."""
    return name.startswith("*.") and re.fullmatch(r"[\w-]+" + re.escape(name[1:]), host.lower()) is not None


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
