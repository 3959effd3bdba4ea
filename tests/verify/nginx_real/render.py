"""The ``server`` and ``location`` blocks ingress-nginx generates for a set of Ingresses, as plain NGINX.

Written from /work/shared/reference/ingress-nginx-routing-facts.md (controller commit dbb11b92); the comments
cite the controller source the way that file does: CTL controller.go, TPL template.go, TMPL nginx.tmpl,
LOC location.go, LUA lua_ingress.lua, CERT certificate.lua, CFG config.go. The controller's defaults are used
(no ConfigMap, no ``--default-backend-service``, no ``--annotations-prefix``).

What the controller does in Lua is written as NGINX directives with the same effect: the HTTPS redirect
(``if ($scheme = http) { return 308 ...; }``) and the certificate chosen per SNI (one ``ssl_certificate`` per
server: the one the Lua lookup would pick for that name). Canary Ingresses are left out: the controller merges
them as alternative backends that its Lua balancer picks per request (BAL 194-305), nothing in nginx.conf.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable

from ingress2gw.source.objects import Ingress
from ingress2gw.verify.model import backend_ref

PREFIX = "nginx.ingress.kubernetes.io/"
#: The controller's self-signed "Kubernetes Ingress Controller Fake Certificate" (CTL 1252-1264).
DEFAULT_CERT = "default"
#: ConfigMap no-tls-redirect-locations, default (CFG 908).
NO_TLS_REDIRECT = ("/.well-known/acme-challenge",)
#: ConfigMap http-redirect-code, default (CFG 658-661, 800).
HTTP_REDIRECT_CODE = 308


class Unrenderable(Exception):
    """The controller's configuration would not load: NGINX refuses it (e.g. a duplicate location)."""


def ann(ing: Ingress | None, key: str) -> str | None:
    value = ing.annotations.get(PREFIX + key) if ing is not None else None
    return value.strip() if isinstance(value, str) else None


def flag(ing: Ingress | None, key: str) -> bool:
    return (ann(ing, key) or "").lower() == "true"


def is_canary(ing: Ingress) -> bool:
    return flag(ing, "canary")


def ordered(ingresses: list[Ingress]) -> list[Ingress]:
    """store.go 1102-1116: creationTimestamp ascending; equal timestamps: ``namespace/name`` descending."""
    by_name = sorted(ingresses, key=lambda i: f"{i.namespace}/{i.name}", reverse=True)
    return sorted(by_name, key=lambda i: i.created or "")


@dataclass
class Location:
    path: str  # Location.Path: the Ingress path, then normalized (LOC 32-100)
    path_type: str  # Exact | Prefix (ImplementationSpecific is Prefix: internal/k8s/main.go 164-185)
    ingress: Ingress | None  # the Ingress whose annotations the location carries
    backend: str | None  # namespace/service:port; None: upstream-default-backend
    default: bool = False  # IsDefBackend: a root location the controller made
    #: False on the catch-all's root taken by an Ingress without rules: its Redirect and Rewrite annotations
    #: (redirects, rewrite-target, app-root, use-regex, ssl-redirect...) are restored to nothing (CTL 1335-1357).
    redirects: bool = True

    def a(self, key: str) -> str | None:
        return ann(self.ingress, key) if self.redirects else None

    def needs_rewrite(self) -> bool:
        """TPL needsRewrite: a rewrite-target that differs from Location.Path (the path as it is *then*)."""
        target = self.a("rewrite-target")
        return bool(target) and target != self.path

    def use_regex(self) -> bool:
        return (self.a("use-regex") or "").lower() == "true"


@dataclass
class Server:
    name: str
    locations: list[Location]
    cert: str | None = None  # "namespace/secret", DEFAULT_CERT, or None (no Ingress with tls names the host)

    @property
    def regex(self) -> bool:
        # TPL 497-520 enforceRegexModifier, TMPL 987-989: any location with use-regex or needsRewrite.
        return any(loc.use_regex() or loc.needs_rewrite() for loc in self.locations)


def secret_hosts(ingresses: list[Ingress]) -> dict[str, set[str]]:
    """The harness's Secrets: each ``namespace/secretName`` holds a certificate for the hosts its ``tls`` entries
    list (the manifests carry no Secret; this is the assumption ``verify`` makes too)."""
    out: dict[str, set[str]] = {}
    for ing in ingresses:
        for tls in ing.tls:
            if tls.secret:
                out.setdefault(f"{ing.namespace}/{tls.secret}", set()).update(h.lower() for h in tls.hosts)
    return out


def covers(names: set[str], host: str) -> bool:
    """Go's Certificate.VerifyHostname: an exact name, or ``*.`` standing for exactly one label."""
    host = host.lower()
    return host in names or (host.count(".") >= 1 and "*." + host.split(".", 1)[1] in names and "*" not in host)


def _tls_secret(host: str, ing: Ingress, secrets: dict[str, set[str]]) -> str:
    """CTL 1719-1764 extractTLSSecretName: the tls entry listing the host, else a secret valid for it."""
    for tls in ing.tls:
        if host.lower() in (h.lower() for h in tls.hosts):
            return tls.secret or ""
    for tls in ing.tls:
        if tls.secret and covers(secrets.get(f"{ing.namespace}/{tls.secret}", set()), host):
            return tls.secret
    return ""


def build(ingresses: list[Ingress], services: dict | None = None) -> list[Server]:
    """createServers + getBackendServers + updateServerLocations, in the controller's order."""
    services = services or {}
    main = [i for i in ordered(ingresses) if not is_canary(i)]  # canary: CTL 1330-1333 (no servers), Lua routing
    secrets = secret_hosts(main)
    # CTL 1297-1320: the catch-all server "_" with the default certificate and a "/" location to the default backend.
    catch_all = Server("_", [Location("/", "Prefix", None, None, default=True, redirects=False)], DEFAULT_CERT)
    servers = {"_": catch_all}
    for ing in main:
        default_ref = backend_ref(services, ing, ing.default_backend) if ing.default_backend else None
        root = catch_all.locations[0]
        if default_ref and not ing.rules and root.default:
            # CTL 1335-1357: the oldest Ingress with a defaultBackend and no rules takes the catch-all root; its
            # Redirect and Rewrite annotations are restored ("can affect the catch all behavior").
            catch_all.locations[0] = Location("/", "Prefix", ing, default_ref, default=False, redirects=False)
        for rule in ing.rules:
            host = rule.host or "_"
            if host not in servers:
                # CTL 1364-1392: one server per host, seeded with a "/" location (IsDefBackend) that carries the
                # annotations of the Ingress creating the server and its defaultBackend (else the default one).
                servers[host] = Server(host, [Location("/", "Prefix", ing, default_ref, default=True)])
    for ing in main:
        for rule in ing.rules:
            server = servers[rule.host or "_"]
            if server.cert is None and ing.tls:
                # CTL 1449-1503: the first Ingress with a tls section naming the host sets the certificate; no
                # usable secret (empty secretName, no entry and no secret valid for the host): the default one.
                secret = _tls_secret(server.name, ing, secrets)
                server.cert = f"{ing.namespace}/{secret}" if secret else DEFAULT_CERT
    for ing in main:
        for rule in ing.rules:
            server = servers[rule.host or "_"]
            for p in rule.paths:
                if p.backend is None or p.backend.service is None:
                    continue  # not a Service backend: skipped
                path = p.path or "/"  # CTL 811-814
                path_type = "Exact" if p.path_type == "Exact" else "Prefix"  # internal/k8s/main.go 164-185
                ref = backend_ref(services, ing, p.backend)
                add = True
                for loc in server.locations:  # CTL 816-873 (the scan stops at the first entry with the path)
                    if loc.path != path:
                        continue
                    if loc.path_type != path_type:
                        break  # "same paths but different types are allowed"
                    add = False
                    if loc.default:  # CTL 827-852: replaces the root the controller made, annotations too
                        server.locations[server.locations.index(loc)] = Location(path, path_type, ing, ref)
                    break
                if add:
                    server.locations.append(Location(path, path_type, ing, ref))
    out = []
    for name in sorted(servers):  # CTL 1011-1013: servers sorted by hostname
        server = servers[name]
        # CTL 995-1004: stable sort by path descending, then stable sort by path length descending.
        locs = sorted(server.locations, key=lambda loc: loc.path, reverse=True)
        locs = sorted(locs, key=lambda loc: len(loc.path), reverse=True)
        server.locations = _normalize(locs)
        out.append(server)
    return out


def _normalize(locations: list[Location]) -> list[Location]:
    """LOC 32-100 updateServerLocations (after the sort, CTL 641-654): a Prefix path becomes ``/p/`` plus an Exact
    clone ``/p`` right after it, unless an Exact ``/p`` exists; "/" and paths with use-regex or needsRewrite stay."""
    exact = {loc.path for loc in locations if loc.path_type == "Exact"}
    out = []
    for loc in locations:
        if loc.path == "/" or loc.path_type != "Prefix" or loc.needs_rewrite() or loc.use_regex():
            out.append(loc)
            continue
        slashed = loc.path if loc.path.endswith("/") else loc.path + "/"
        if loc.path in exact:
            out.append(replace(loc, path=slashed))
        else:
            out += [replace(loc, path=slashed), replace(loc, path_type="Exact")]
    return out


def registered(servers: dict[str, Server], host: str) -> str | None:
    """CERT 48-71: the certificate Lua finds for a host: the server's own, else the ``*.<parent>`` server's."""
    host = host.lower()
    server = servers.get(host)
    if server is not None and server.cert is not None:
        return server.cert
    if "." in host:
        wild = servers.get("*." + host.split(".", 1)[1])
        if wild is not None and wild.cert is not None:
            return wild.cert
    return None


# -- nginx.conf ---------------------------------------------------------------------------------------------------


def _q(s: str) -> str:
    """TPL 541-555: backslashes and double quotes escaped inside double quotes."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def upstream_name(ref: str | None) -> str:
    """internal/ingress/controller/util.go 50-60: ``<namespace>-<service>-<port>``."""
    if ref is None:
        return "upstream-default-backend"
    return re.sub(r"[^A-Za-z0-9_.-]", "-", ref.replace("/", "-").replace(":", "-"))


def server_name(host: str) -> str:
    if host.startswith("*."):
        # TPL 1685-1695: a wildcard host is the regex of exactly one more label.
        return _q("~^(?<subdomain>[\\w-]+)" + re.escape(host[1:]).replace("\\-", "-") + "$")
    return _q(host)  # TMPL 636-639


def _redirect(loc: Location) -> tuple[int, str] | None:
    """redirect.go 32-33, 112-182, 207-218: temporal wins; codes out of range fall back to the default."""
    for key, default, top in (("temporal-redirect", 302, 307), ("permanent-redirect", 301, 308)):
        url = loc.a(key)
        if not url:
            continue
        raw = loc.a(key + "-code")
        if raw is not None and not raw.lstrip("-").isdigit():
            return None  # not a number: the whole redirect configuration fails
        code = int(raw) if raw is not None else default
        if not re.match(r"^https?://", url):
            return None  # isValidURL: only http and https
        return (code if 300 <= code <= top else default), url
    return None


def _https_redirect(loc: Location, host_has_cert: bool) -> bool:
    """LUA 65-79 redirect_to_https, for a plain-HTTP request (use-forwarded-headers off, CFG 788)."""
    if any(loc.path.startswith(p) for p in NO_TLS_REDIRECT):  # TPL 912-932 (isLocationInLocationList on Path)
        return False
    if (loc.a("force-ssl-redirect") or "").lower() == "true":
        return True
    value = loc.a("ssl-redirect")
    # CFG 872-874: ssl-redirect defaults to true; the catch-all's restored Rewrite has it false (CTL 1335-1357).
    enabled = value.lower() == "true" if value is not None else loc.redirects
    return enabled and host_has_cert  # CERT 217-223: a certificate is registered for the request's host


def _location(loc: Location, regex: bool, host_has_cert: bool) -> list[str]:
    # TPL 521-540 buildLocation.
    if regex:
        head = f"location ~* {_q('^' + loc.path)} {{"
    elif loc.path_type == "Exact":
        head = f"location = {_q(loc.path)} {{"
    else:
        head = f"location {_q(loc.path)} {{"
    body = []
    redirect = _redirect(loc)
    if redirect:
        body.append(f"return {redirect[0]} {_q(redirect[1])};")  # TMPL 1417-1419, before everything else
    https = []
    if _https_redirect(loc, host_has_cert):
        # LUA 157-174: https://<host><request_uri>, one trailing "/" dropped unless preserve-trailing-slash.
        uri = "$request_uri" if (loc.a("preserve-trailing-slash") or "").lower() == "true" else "$uri_without_slash"
        https.append(f"if ($scheme = http) {{ return {HTTP_REDIRECT_CODE} https://$host{uri}; }}")
    vhost = ann(loc.ingress, "upstream-vhost")
    # TMPL: proxy_set_header Host upstream-vhost, else $best_http_host (the Host header).
    body.append(f"proxy_set_header Host {_q(vhost) if vhost else '$best_http_host'};")
    rewrite = []
    if loc.needs_rewrite():
        # TPL 712-793 buildProxyPass: the raw Location.Path as a case-insensitive, unanchored regex.
        rewrite.append(f"rewrite {_q('(?i)' + loc.path)} {loc.a('rewrite-target')} break;")
        prefix = ann(loc.ingress, "x-forwarded-prefix")
        if prefix:
            rewrite.append(f"proxy_set_header X-Forwarded-Prefix {_q(prefix)};")  # TPL 780-790
    # The Lua HTTPS redirect runs at the end of the rewrite phase, after "return" and "rewrite" (facts §3), with
    # the original $request_uri. A rewrite to a URL (http://, https://, $scheme: NGINX answers 302) comes first;
    # after any other rewrite "break" would skip the "if", so it goes before (the order does not matter there).
    if re.match(r"(https?://|\$scheme)", loc.a("rewrite-target") or ""):
        body += rewrite + https
    else:
        body += https + rewrite
    body.append(f"proxy_pass http://{upstream_name(loc.backend)};")
    return [head] + ["    " + line for line in body] + ["}"]


def render(ingresses: list[Ingress], services: dict | None, *, http_port: int, https_port: int,
           default_backend_port: int, upstream_port: Callable[[str], int],
           certificate: Callable[[str], tuple[str, str]], workdir: str) -> str:
    """nginx.conf for the Ingresses. ``upstream_port(ref)`` gives the echo server of a Service:port,
    ``certificate(key)`` the (certificate, key) files of a Secret ``namespace/name`` or of DEFAULT_CERT."""
    servers = build(ingresses, services)
    by_name = {s.name: s for s in servers}
    refs = sorted({loc.backend for s in servers for loc in s.locations if loc.backend})
    lines = [
        "worker_processes 1;",
        f"error_log {workdir}/error.log warn;",
        "events { worker_connections 512; }",
        "http {",
        "    access_log off;",
        *(f"    {d}_temp_path {workdir}/{d};" for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")),
        "    server_name_in_redirect off;  # TMPL 453-454",
        "    port_in_redirect off;",
        "    server_names_hash_bucket_size 128;",
        "    # TMPL (use-forwarded-headers off): map $http_host $best_http_host, the Host header.",
        "    map $http_host $best_http_host { default $http_host; '' $host; }",
        "    # LUA 157-174: the HTTPS redirect drops one trailing / of the request URI (query included).",
        '    map $request_uri $uri_without_slash { "~^(?<kept>.*)/$" $kept; default $request_uri; }',
        f"    upstream upstream-default-backend {{ server 127.0.0.1:{default_backend_port}; }}",
        *(f"    upstream {upstream_name(ref)} {{ server 127.0.0.1:{upstream_port(ref)}; }}" for ref in refs),
        "    # TMPL 668-680: the controller's default backend, an internal server answering 404.",
        f"    server {{ listen 127.0.0.1:{default_backend_port}; location / {{ return 404; }} }}",
    ]
    for server in servers:
        regex = server.regex
        default = " default_server" if server.name == "_" else ""  # TPL 1381-1528, TMPL 906-911
        # CERT 48-71, 225-245: the certificate for a name: its server's, else its *.parent's, else the default.
        # The Lua HTTPS redirect needs a certificate registered for the request's host (CERT 217-223); requests
        # reaching "_" are for hosts without a server of their own, hence without a certificate.
        cert = registered(by_name, server.name) if server.name != "_" else None
        crt, key = certificate(cert or DEFAULT_CERT)
        lines += [
            "    server {",
            f"        server_name {server_name(server.name) if server.name != '_' else '_'};",
            f"        listen 127.0.0.1:{http_port}{default};",
            f"        listen 127.0.0.1:{https_port} ssl{default};",
            f"        ssl_certificate {crt};",
            f"        ssl_certificate_key {key};",
        ]
        seen = set()
        for loc in server.locations:
            root = loc.a("app-root")
            if root and root.startswith("/") and not root.startswith("//"):
                # TMPL 1000-1003: server level, once per location carrying app-root; rewrite/main.go 183-204.
                lines.append(f"        if ($uri = /) {{ return 302 $scheme://$http_host{root}; }}")
        for loc in server.locations:
            if not regex and (loc.path_type, loc.path) in seen:  # regex locations may repeat
                raise Unrenderable(f'server {server.name}: duplicate location "{loc.path}"')
            seen.add((loc.path_type, loc.path))
            lines += ["        " + line for line in _location(loc, regex, cert is not None)]
        lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n"
