"""What Traefik's Kubernetes Ingress provider does with one request (an independent model).

https://doc.traefik.io/traefik/routing/providers/kubernetes-ingress/ and /routing/routers/:

- One router per Ingress rule path, rule ``Host(`h`) && Path(`/p`)`` for ``Exact``, ``PathPrefix(`/p`)`` for
  ``Prefix`` and ``ImplementationSpecific`` (or ``router.pathmatcher``); a wildcard host becomes a
  ``HostRegexp`` that matches exactly one label. ``PathPrefix`` is a character prefix (``/foo`` matches ``/foobar``)
  unless the provider option ``strictPrefixMatching`` is on.
- Priority: ``router.priority`` or the length of the rule string; the highest priority that matches wins (ties:
  the longer rule, then creation order / namespace/name).
- Entry points: ``web`` (HTTP) and ``websecure`` (HTTPS) unless ``--traefik-entrypoint`` says otherwise, reached on
  ports 80 and 443 of Traefik's Service (a request to another port, e.g. ``:8080``, finds nothing listening); a
  router listens on ``router.entrypoints`` (default: all); ``router.tls: "true"`` makes it TLS-only. ``spec.tls`` alone
  only loads certificates. HTTPS to a host without a certificate is served with Traefik's self-signed default
  certificate: not served for us.
- The default backend (``spec.defaultBackend``) is a ``PathPrefix(`/`)`` router of the lowest priority for every
  host; the first Ingress (oldest, then namespace/name) that has one provides it.
- Middlewares (``router.middlewares``, ``<ns>-<name>@kubernetescrd``) resolve against the Middleware objects of
  the input (``traefik.io`` and ``traefik.containo.us``); ``chain`` expands in place. A reference that does not
  resolve (missing, ambiguous ``a-b-c``, another provider such as ``@file``, or no provider: the Ingress provider
  would look for ``<name>@kubernetes``) is a build error of the router, and Traefik's router manager then leaves
  the router out (``buildEntryPointHandler``: ``buildRouterHandler`` fails → ``continue``): the request goes to the
  next router that matches, or gets 404. A Middleware Traefik cannot build is the same build error: a regular
  expression of ``stripPrefixRegex``, ``replacePathRegex`` or ``redirectRegex`` that Go's ``regexp`` rejects.
  Applied in order (Traefik v3 semantics, https://doc.traefik.io/traefik/middlewares/http/overview/):

  - ``stripPrefix``: the first of ``prefixes`` that is a *character* prefix of the path is cut
    (``ensureLeadingSlash``, an empty path stays empty and is sent as ``/``); it adds ``X-Forwarded-Prefix``.
  - ``stripPrefixRegex``: for each of ``regex`` in order, the leftmost match in the path; the first one that is
    non-empty and a prefix of the path is cut (``ensureLeadingSlash``) and goes into ``X-Forwarded-Prefix``; no
    such match: the path is left alone.
  - ``addPrefix``: ``ensureLeadingSlash(prefix + path)``.
  - ``replacePath``: the path becomes ``path``; the old path goes into ``X-Replaced-Path`` (as it is: empty after a
    ``stripPrefix`` that cut the whole path).
  - ``replacePathRegex``: when ``regex`` matches the path (an empty ``replacement`` too: Traefik v3 dropped v2's
    length check), the path becomes Go's
    ``ReplaceAllString(path, replacement)`` (``$1``, ``${1}``, ``${name}``; ``$1x`` is the group named ``1x``)
    and the old path goes into ``X-Replaced-Path``; a result with an invalid ``%`` escape is a 500.
  - ``redirectScheme``: ``scheme://host[:port]`` + the URI, only when it differs from the request's URL (same
    scheme: no redirect); 301 (``permanent``) or 302 for GET, 308/307 for other methods.
  - ``redirectRegex``: the request URL ``scheme://Host`` + the URI as the middlewares before it left it (the Host
    header carries a port the client named); when ``regex`` matches, Go's ``ReplaceAllString`` of it is the
    Location (statuses as ``redirectScheme``); no match, or the same URL again: the request passes through. A
    Location Go's ``url.Parse`` rejects is a 500.
  - ``headers``: ``customRequestHeaders`` (an empty value removes the header), ``customResponseHeaders`` and the
    security headers ``frameDeny``/``customFrameOptionsValue``, ``contentTypeNosniff``, ``browserXssFilter``,
    ``referrerPolicy``, ``contentSecurityPolicy``, ``permissionsPolicy`` (response headers of the backend
    answer). CORS and HSTS are not simulated.
  - ``basicAuth`` and ``digestAuth``: authentication is not simulated (every request is taken as authenticated);
    ``removeHeader: true`` removes ``Authorization`` from the forwarded request (a request header change).
  - Every other middleware (auth, rate limits, retry, buffering, errors, plugins...) passes the request through
    unchanged: their findings explain the differences they cause.

Regular expressions are Go ``regexp`` (RE2 syntax), run with Python's ``re`` in ASCII mode (Go's ``\\d``, ``\\w``,
``\\s``, ``\\b`` are ASCII): ``\\z``, a bare ``$`` (end of text in Go), ``\\Q…\\E``, octal escapes, ``(?<name>``,
POSIX classes such as ``[[:alpha:]]`` and ``x{,n}`` (literal in Go) are translated; Perl syntax RE2 rejects
(look-around, back-references, possessive or atomic groups, repeats over 1000) is a build error. A pattern RE2
accepts that Python cannot run (``\\pL``, ``(?U)``, a flag group in the middle) leaves the request unchanged and
is listed in ``Decision.unsimulated``. Replacing "all matches" follows Go: after an empty match the search moves
one character on, and an empty match right after the previous match is not replaced.
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
        if chain is not None and not all(_builds(spec) for _ns, _name, spec in chain):
            chain = None  # a Middleware that Traefik fails to build: the router is not built either
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
                # 0 (or unset) is the length of the rule string (pkg/muxer/http/mux.go: priority == 0 → len(rule)).
                priority = (int(prio) if prio and prio.lstrip("-").isdigit() else 0) or len(text)
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
        unsimulated: list[str] = []
        for mw_ns, mw_name, spec in win.middlewares or []:
            what = f"Middleware {mw_ns}/{mw_name}"
            if isinstance(spec.get("stripPrefix"), dict):
                for prefix in spec["stripPrefix"].get("prefixes") or []:
                    prefix = str(prefix)
                    if path.startswith(prefix):
                        rest = path[len(prefix):]
                        path = rest if rest == "" or rest.startswith("/") else "/" + rest
                        # X-Forwarded-Prefix is added; the client request carries none, so add == set.
                        headers[("set", "x-forwarded-prefix")] = prefix.strip()
                        break
            elif isinstance(spec.get("stripPrefixRegex"), dict):
                # https://doc.traefik.io/traefik/middlewares/http/stripprefixregex/ (pkg/middlewares/
                # stripprefixregex: FindStringSubmatch, then HasPrefix, else the next regex).
                for pattern in _strings(spec["stripPrefixRegex"].get("regex")):
                    rx = _go_regexp(pattern.strip())
                    if not isinstance(rx, re.Pattern):
                        unsimulated.append(f"{what} stripPrefixRegex {pattern!r}: {rx}")
                        break
                    m = rx.search(path)
                    if m and m.group(0) and path.startswith(m.group(0)):
                        prefix = m.group(0)
                        rest = path[len(prefix):]
                        path = rest if rest == "" or rest.startswith("/") else "/" + rest
                        headers[("set", "x-forwarded-prefix")] = prefix  # added; the client sent none
                        break
            elif isinstance(spec.get("addPrefix"), dict):
                new = str(spec["addPrefix"].get("prefix") or "") + path
                path = new if new == "" or new.startswith("/") else "/" + new
            elif isinstance(spec.get("replacePath"), dict):
                # The path as it is now (after a stripPrefix that cut it all: empty), as replacePathRegex does.
                headers[("set", "x-replaced-path")] = path
                path = str(spec["replacePath"].get("path") or "")
            elif isinstance(spec.get("replacePathRegex"), dict):
                # https://doc.traefik.io/traefik/middlewares/http/replacepathregex/ (regex and replacement trimmed;
                # nothing happens without a match; v3 dropped v2's "no replacement: no change", so an empty
                # replacement deletes the matched text).
                rp = spec["replacePathRegex"]
                replacement = str(rp.get("replacement") or "").strip()
                rx = _go_regexp(str(rp.get("regex") or "").strip())
                if not isinstance(rx, re.Pattern):
                    unsimulated.append(f"{what} replacePathRegex: {rx}")
                elif rx.search(path):
                    headers[("set", "x-replaced-path")] = path
                    path = _go_replace_all(rx, path, replacement)
                    if _BAD_ESCAPE.search(path):  # url.PathUnescape fails: http.Error 500
                        return Decision(ERROR, status=500, via=via, unsimulated=tuple(unsimulated),
                                        detail=f"replacePathRegex made an invalid path {path!r}")
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
                    permanent = _flag(rs.get("permanent"))
                    get = req.method == "GET"
                    status = (301 if get else 308) if permanent else (302 if get else 307)
                    return Decision(REDIRECT, status=status, location=new_url, via=via,
                                    unsimulated=tuple(unsimulated), detail="redirectScheme middleware")
            elif isinstance(spec.get("redirectRegex"), dict):
                # https://doc.traefik.io/traefik/middlewares/http/redirectregex/ (pkg/middlewares/redirect:
                # rawURL, MatchString, ReplaceAllString, url.Parse, a redirect only when the URL changes).
                rr = spec["redirectRegex"]
                rx = _go_regexp(str(rr.get("regex") or ""))
                if not isinstance(rx, re.Pattern):
                    unsimulated.append(f"{what} redirectRegex: {rx}")
                    continue
                # rawURL: req.Host, which carries the port when the client named one (not the default)
                port = f":{req.port}" if req.port and req.port != (443 if req.scheme == "https" else 80) else ""
                old_url = f"{req.scheme}://{req.host}{port}{path or '/'}" + (f"?{req.query}" if req.query else "")
                if not rx.search(old_url):
                    continue
                new_url = _go_replace_all(rx, old_url, str(rr.get("replacement") or ""))
                if _go_url_invalid(new_url):
                    return Decision(ERROR, status=500, via=via, unsimulated=tuple(unsimulated),
                                    detail=f"redirectRegex made an invalid URL {new_url!r}")
                if new_url != old_url:
                    get = req.method == "GET"
                    status = (301 if get else 308) if _flag(rr.get("permanent")) else (302 if get else 307)
                    return Decision(REDIRECT, status=status, location=new_url, via=via,
                                    unsimulated=tuple(unsimulated), detail="redirectRegex middleware")
            elif isinstance(spec.get("basicAuth"), dict) or isinstance(spec.get("digestAuth"), dict):
                # https://doc.traefik.io/traefik/middlewares/http/basicauth/#removeheader (digestauth/#removeheader
                # the same): after a successful authentication (not simulated: taken as given) the Authorization
                # header is deleted.
                auth = spec.get("basicAuth") if isinstance(spec.get("basicAuth"), dict) else spec["digestAuth"]
                if _flag(auth.get("removeHeader")):
                    headers.pop(("set", "authorization"), None)
                    headers[("remove", "authorization")] = ""
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
            return Decision(ERROR, status=500, detail="backend is not a Service", via=via,
                            unsimulated=tuple(unsimulated))
        uri = (path or "/") + (f"?{req.query}" if req.query else "")
        changes = tuple(sorted((op, n, v) for (op, n), v in headers.items()))
        resp = tuple(sorted(("remove", n, "") if v == "" else ("set", n, v) for n, v in response.items()))
        return Decision(BACKEND, backends=distribution([(win.backend, 1)]), path=uri, headers=changes,
                        response_headers=resp, via=via, detail=f"router {win.rule} (priority {win.priority})",
                        unsimulated=tuple(unsimulated))

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
        port = req.port or (443 if req.scheme == "https" else 80)
        if port != (443 if req.scheme == "https" else 80):
            # Entry points are reached on the ports of Traefik's Service (Helm chart: web 80 → 8000, websecure
            # 443 → 8443; the traefik entry point 8080 and metrics 9100 are not exposed): nothing listens on others.
            return Decision(UNSERVED, detail=f"no entry point on port {port}")
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


# -- Go regexp (RE2 syntax), as Traefik's regex middlewares use it ------------------------------------------------


class _Rejected(ValueError):
    """Go's ``regexp.Compile`` fails: Traefik cannot build the Middleware (and so not the router)."""


class _Unsupported(ValueError):
    """RE2 syntax that Python's ``re`` cannot run: the simulator leaves the request alone and says so."""


#: Go's POSIX classes (``[[:alpha:]]``, ASCII), as the inside of a Python character class.
_POSIX = {"alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": r"\x00-\x7f", "blank": r"\t ",
          "cntrl": r"\x00-\x1f\x7f", "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~",
          "punct": r"!-/:-@\[-`{-~", "space": r"\t\n\v\f\r ", "upper": "A-Z", "word": "0-9A-Za-z_",
          "xdigit": "0-9A-Fa-f"}
#: ``(?`` openings that are Perl syntax RE2 does not have (look-around, back-reference, atomic, conditional, comment).
_PERL_ONLY = ("=", "!", "<=", "<!", "P=", ">", "(", "#", "|")
_REPEAT = re.compile(r"\{(\d+)(?:(,)(\d*))?\}")


def _octal(p: str, i: int) -> tuple[str, int]:
    """Go's octal escape at ``p[i]`` (after the backslash): up to three octal digits."""
    j = i
    while j < len(p) and j - i < 3 and p[j] in "01234567":
        j += 1
    return re.escape(chr(int(p[i:j], 8))), j


def _translate(p: str) -> str:
    """A Go ``regexp`` pattern as the Python pattern that matches the same (raises _Rejected / _Unsupported)."""
    out: list[str] = []
    multiline = re.search(r"\(\?[imsU]*m", p) is not None  # then $ is end of line, as in Python with (?m)
    i, n, in_class, class_start = 0, len(p), False, 0
    while i < n:
        c = p[i]
        if c == "\\":
            e = p[i + 1:i + 2]
            if not e:
                raise _Rejected("trailing backslash")
            if e == "z":
                out.append(r"\Z")
            elif e == "Q":  # \Q...\E: literal text
                end = p.find(r"\E", i + 2)
                out.append(re.escape(p[i + 2:] if end < 0 else p[i + 2:end]))
                i = n if end < 0 else end + 2
                continue
            elif e in "pP" or e == "C":
                raise _Unsupported(f"\\{e} (Unicode classes / single bytes) is not simulated")
            elif e == "0" or (e in "1234567" and p[i + 2:i + 3] in tuple("01234567")):
                text, i = _octal(p, i + 1)
                out.append(text)
                continue
            elif e.isdigit():
                raise _Rejected(f"back-reference \\{e}")
            elif e == "x" and p[i + 2:i + 3] == "{":
                end = p.find("}", i + 3)
                try:
                    out.append(re.escape(chr(int(p[i + 3:end], 16))))
                except ValueError:
                    raise _Rejected("invalid \\x{...} escape") from None
                i = end + 1
                continue
            elif e.isalpha() and e not in "abfnrtvxdDsSwWAB":  # \Z, \u, \N, \e...: not RE2
                raise _Rejected(f"invalid escape \\{e}")
            else:
                out.append(c + e)
            i += 2
            continue
        if in_class:
            if c == "]" and i > class_start:
                in_class = False
                out.append(c)
            elif c == "[" and p[i + 1:i + 2] == ":":
                end = p.find(":]", i + 2)
                name = p[i + 2:end] if end > 0 else ""
                if name.startswith("^") and name[1:] in _POSIX:
                    raise _Unsupported(f"negated POSIX class [:{name}:] is not simulated")
                if name not in _POSIX:
                    raise _Rejected(f"invalid character class [:{name}:]")
                out.append(_POSIX[name])
                i = end + 2
                continue
            elif c in "[&~|":  # literal in Go; Python warns about (future) set operations
                out.append("\\" + c)
            else:
                out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if p[i:i + 1] == "^":
                out.append("^")
                i += 1
            class_start = i  # a "]" right here is a literal
            if p[i:i + 1] == "]":
                out.append(r"\]")
                i += 1
            continue
        if c == "(" and p.startswith("(?", i):
            rest = p[i + 2:]
            if rest.startswith("P<"):
                out.append("(?P<")
                i += 4
                continue
            if rest.startswith(_PERL_ONLY):
                raise _Rejected(f"Perl syntax (?{rest[:2]} that RE2 does not have")
            if rest.startswith("<"):  # (?<name>re), Go 1.22
                out.append("(?P<")
                i += 3
                continue
            flags = re.match(r"([imsU]*)(?:-([imsU]*))?([:)])", rest)
            if not flags or not (flags.group(1) or flags.group(2)) and flags.group(3) == ")":
                raise _Rejected("invalid flag group")
            if "U" in flags.group(0):
                raise _Unsupported("the ungreedy flag (?U) is not simulated")
            if flags.group(3) == ")" and (i > 0 or flags.group(2) is not None):
                raise _Unsupported("a flag group that is not at the start of the pattern is not simulated")
            out.append(p[i:i + 2 + flags.end()])
            i += 2 + flags.end()
            continue
        if c == "{":
            rep = _REPEAT.match(p, i)
            if rep is None:  # not a repeat: a literal brace in Go ("x{,3}" too, a repeat in Python)
                out.append(r"\{")
                i += 1
                continue
            if any(int(x) > 1000 for x in (rep.group(1), rep.group(3)) if x):
                raise _Rejected("repeat count over 1000")
            out.append(rep.group(0))
            i = rep.end()
            if p[i:i + 1] == "+":
                raise _Rejected("possessive repeat")
            continue
        if c in "*+?" and p[i + 1:i + 2] == "+" and out and out[-1] not in ("(", "|"):
            raise _Rejected("possessive repeat")
        out.append(r"\Z" if c == "$" and not multiline else c)
        i += 1
    if in_class:
        raise _Rejected("missing ]")
    return "".join(out)


_COMPILED: dict[str, re.Pattern | ValueError] = {}


def _go_compile(pattern: str) -> re.Pattern | ValueError:
    """The compiled pattern, or the _Rejected / _Unsupported that says why there is none."""
    if pattern not in _COMPILED:
        try:
            # ASCII: Go's \d, \w, \s and \b are ASCII classes.
            _COMPILED[pattern] = re.compile(_translate(pattern), re.ASCII)
        except (_Rejected, _Unsupported) as e:
            _COMPILED[pattern] = e
        except re.error as e:  # after the translation, what Python rejects Go rejects too (unbalanced, bad repeat)
            _COMPILED[pattern] = _Rejected(str(e))
    return _COMPILED[pattern]


def _go_regexp(pattern: str) -> re.Pattern | str:
    """The compiled pattern, or why it is not simulated."""
    rx = _go_compile(pattern)
    if isinstance(rx, re.Pattern):
        return rx
    return f"{'Go rejects the pattern' if isinstance(rx, _Rejected) else 'not simulated'}: {rx}"


def _builds(spec: dict) -> bool:
    """Whether Traefik builds this Middleware: its regular expressions compile (Go ``regexp.Compile``; the
    strip/replace middlewares trim the pattern first, ``redirectRegex`` does not)."""
    patterns: list[str] = []
    if isinstance(spec.get("stripPrefixRegex"), dict):
        patterns += [x.strip() for x in _strings(spec["stripPrefixRegex"].get("regex"))]
    if isinstance(spec.get("replacePathRegex"), dict):
        patterns.append(str(spec["replacePathRegex"].get("regex") or "").strip())
    if isinstance(spec.get("redirectRegex"), dict):
        patterns.append(str(spec["redirectRegex"].get("regex") or ""))
    return not any(isinstance(_go_compile(x), _Rejected) for x in patterns)


def _go_replace_all(rx: re.Pattern, src: str, template: str) -> str:
    """Go ``Regexp.ReplaceAllString``: leftmost matches from the search position; the replacement is skipped for
    an empty match right after the previous match; the search moves at least one character on."""
    out: list[str] = []
    last_end = search = 0
    while search <= len(src):
        m = rx.search(src, search)
        if m is None:
            break
        out.append(src[last_end:m.start()])
        if m.end() > last_end or m.start() == 0:
            out.append(_go_expand(m, template))
        last_end = m.end()
        search = search + 1 if search + 1 > m.end() else m.end()
    out.append(src[last_end:])
    return "".join(out)


def _go_expand(m: re.Match, template: str) -> str:
    """Go ``Regexp.Expand``: ``$$`` is ``$``; ``$name`` / ``${name}`` where name is the longest run of letters,
    digits and ``_`` (so ``$1x`` is the group named ``1x``); a number without leading zero is a group index; a
    missing or unmatched group is empty; a ``$`` without a valid name stays as it is."""
    out: list[str] = []
    i = 0
    while i < len(template):
        j = template.find("$", i)
        if j < 0:
            out.append(template[i:])
            break
        out.append(template[i:j])
        i = j + 1
        if template[i:i + 1] == "$":
            out.append("$")
            i += 1
            continue
        brace = template[i:i + 1] == "{"
        k = start = i + brace
        while k < len(template) and (template[k].isalpha() or template[k].isdecimal() or template[k] == "_"):
            k += 1
        name = template[start:k]
        if not name or (brace and template[k:k + 1] != "}"):
            out.append("$")  # malformed: the $ is literal text
            continue
        i = k + brace
        if name.isascii() and name.isdigit() and not (name[0] == "0" and len(name) > 1):
            group = int(name)
            value = m.group(group) if group <= (m.re.groups or 0) else None
        else:
            value = m.group(name) if name in m.re.groupindex else None
        out.append(value or "")
    return "".join(out)


_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _go_url_invalid(url: str) -> bool:
    """Whether Go's ``url.Parse`` rejects the URL: a control character, an invalid ``%`` escape in the host,
    path or fragment, or a port that is not a number."""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return True
    rest, _, fragment = url.partition("#")
    rest = rest.partition("?")[0]
    if _BAD_ESCAPE.search(rest) or _BAD_ESCAPE.search(fragment):
        return True
    scheme = re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", rest)
    if scheme and rest[scheme.end():].startswith("//"):
        authority = rest[scheme.end() + 2:].partition("/")[0].rpartition("@")[2]
        port = authority.rpartition("]")[2].partition(":")
        return bool(port[1]) and not port[2].isdigit() and port[2] != ""
    return False


def _strings(value) -> list[str]:
    """A list-of-strings field (one string is taken as a list of one)."""
    if value is None:
        return []
    return [str(x) for x in value] if isinstance(value, list) else [str(value)]


def _flag(value) -> bool:
    """A boolean field of the Middleware CRD (YAML ``true``; the string ``"true"`` too)."""
    return value is True or str(value).strip().lower() == "true"


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
