"""The implementation objects the emitters write that change routing, applied as each implementation applies them.

``GatewaySimulator`` builds one ``Implementations`` index of the objects and, for the winning rule, calls
``extension_ref`` for each ``ExtensionRef`` filter (in order with the rule's other filters) and then ``policies``
for the objects attached by ``targetRefs``. They change a ``Progress`` (the request on its way) or answer it
(a redirect, a direct response). Anything that would change the answer but is not modelled is recorded in
``Progress.unsimulated`` (``Decision.unsimulated``), never dropped silently.

**ExtensionRef filters** name an object of the route's namespace (a local reference):

- Traefik ``traefik.io/Middleware`` (Traefik v3.7 semantics; ``chain`` expands in place): ``stripPrefix`` and
  ``stripPrefixRegex`` (the stripped prefix goes into ``X-Forwarded-Prefix``), ``addPrefix``, ``replacePath``
  and ``replacePathRegex`` (the old path goes into ``X-Replaced-Path``), ``redirectScheme``, ``redirectRegex``
  (301/308 when ``permanent``, else 302/307; none when the URL stays the same), ``headers``
  (``customRequestHeaders``/``customResponseHeaders``, an empty value removes; the security response headers).
  Access control, limits, retries, buffering, compression, error pages and the like pass the request through, as
  in the Traefik source simulator.
- Envoy Gateway ``gateway.envoyproxy.io/HTTPRouteFilter``: ``urlRewrite.path`` (``ReplaceRegexMatch``),
  ``urlRewrite.hostname`` (``Header``, ``PathRegex``), ``directResponse``.
- kgateway ``gateway.kgateway.dev/DirectResponse`` (answers), and ``TrafficPolicy`` (merged with the
  targeted ones at the highest priority, as kgateway does).
- NGINX Gateway Fabric ``AuthenticationFilter`` (access control: passes); ``SnippetsFilter`` is raw NGINX
  configuration, not simulated.

**targetRefs policies** attach to the rule (``sectionName`` = the rule's ``name``), the route, the listener
(``sectionName`` = listener name) or the Gateway; ``targetSelectors`` by labels. Only kgateway's TrafficPolicy
changes routing: ``urlRewrite.pathRegex`` (HTTPRoutes only) and ``headerModifiers``. kgateway merges TrafficPolicies
per top-level field; the most specific attachment wins (ExtensionRef > rule > route > listener > Gateway), then
the oldest (no timestamps in our output: namespace/name). Fields of other policies that would change the answer
are listed in ``NOT_SIMULATED``; the rest of their fields (auth, limits, timeouts, load balancing, TLS...) leave an
admitted request's route, path, Host and headers alone. Policies on Services (BackendConfigPolicy,
UpstreamSettingsPolicy, DestinationRule) only shape the connection to the backend and are not consulted.

Regular expressions are RE2 (Envoy) or Go ``regexp`` (Traefik, also RE2 syntax); Python ``re`` runs them, with
RE2's ``\\z`` translated. A pattern Python rejects (RE2-only syntax such as ``\\pN``, or ``(?i)`` in the middle of a
pattern) is recorded as not simulated. Replacing "all matches" follows RE2/Go: an empty match right after the
previous match is skipped (Python's ``re.sub`` would replace it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingress2gw.verify.model import ERROR, NOT_FOUND, REDIRECT, Decision, Request
from ingress2gw.verify.traefik import SECURITY_HEADERS

GATEWAY_API = "gateway.networking.k8s.io"
KGATEWAY = "gateway.kgateway.dev"
ENVOY_GATEWAY = "gateway.envoyproxy.io"
TRAEFIK = "traefik.io"
NGF = "gateway.nginx.org"

#: Traefik Middleware kinds that never change an admitted request's route, path, Host or headers.
TRAEFIK_PASS = frozenset({
    "digestAuth", "forwardAuth", "ipAllowList", "ipWhiteList", "rateLimit", "inFlightReq", "buffering",
    "compress", "retry", "circuitBreaker", "errors", "contentType", "grpcWeb", "passTLSClientCert",
    "encodedCharacters",
})
#: ``headers`` Middleware fields simulated; any other field that is set is recorded (CORS, HSTS, allowedHosts...).
TRAEFIK_HEADERS = frozenset({
    "customRequestHeaders", "customResponseHeaders", "frameDeny", "customFrameOptionsValue", "contentTypeNosniff",
    "browserXssFilter", "referrerPolicy", "contentSecurityPolicy", "permissionsPolicy",
})
#: Fields of targetRefs policies that would change the answer and are not simulated ("*": the whole object;
#: ``[]`` is walked through lists). CORS/CSRF fields act only on requests with an Origin header (``ORIGIN_ONLY``).
NOT_SIMULATED = {
    (KGATEWAY, "TrafficPolicy"): ("autoHostRewrite", "transformation", "extProc", "internalRedirect",
                                  "faultInjection.abort", "cors", "csrf"),
    (KGATEWAY, "HTTPListenerPolicy"): ("earlyRequestHeaderModifier",),
    (KGATEWAY, "ListenerPolicy"): ("default.httpSettings.earlyRequestHeaderModifier",
                                   "perPort.listener.httpSettings.earlyRequestHeaderModifier"),
    (ENVOY_GATEWAY, "BackendTrafficPolicy"): ("faultInjection.abort",),
    (ENVOY_GATEWAY, "ClientTrafficPolicy"): ("headers.earlyRequestHeaders", "headers.lateResponseHeaders"),
    (ENVOY_GATEWAY, "SecurityPolicy"): ("cors", "csrf"),
    (ENVOY_GATEWAY, "EnvoyExtensionPolicy"): ("*",),
    (ENVOY_GATEWAY, "EnvoyPatchPolicy"): ("*",),
    (NGF, "SnippetsPolicy"): ("*",),
    ("networking.istio.io", "EnvoyFilter"): ("*",),
}
ORIGIN_ONLY = frozenset({"cors", "csrf"})
#: kgateway TrafficPolicy priority by attachment (lower wins): ExtensionRef, rule, route, listener, Gateway.
VIA_FILTER, RULE, ROUTE, LISTENER, GATEWAY = range(5)


@dataclass
class Progress:
    """The request as the rule's filters and the attached objects have changed it so far."""

    req: Request
    path: str
    host: str | None = None
    #: Header changes, as ``Decision.headers``: (op, lower-case name) -> value.
    headers: dict[tuple[str, str], str] = field(default_factory=dict)
    response: dict[tuple[str, str], str] = field(default_factory=dict)
    unsimulated: list[str] = field(default_factory=list)
    #: kgateway TrafficPolicies named by the rule's ExtensionRef filters (merged with the targeted ones).
    referenced: list[dict] = field(default_factory=list)

    def note(self, what: str) -> None:
        if what not in self.unsimulated:
            self.unsimulated.append(what)

    def set_header(self, into: dict, name: str, value: str | None) -> None:
        """Traefik's headers middleware: set, or remove when the value is empty."""
        name = name.lower()
        into.pop(("set", name), None)
        into.pop(("remove", name), None)
        into[("remove", name) if value in ("", None) else ("set", name)] = "" if value is None else str(value)

    def uri(self) -> str:
        return (self.path or "/") + (f"?{self.req.query}" if self.req.query else "")


def modify_headers(mod: dict, into: dict) -> None:
    """A Gateway API HTTPHeaderFilter (``set``, ``add``, ``remove``); kgateway's headerModifiers have its shape."""
    for op in ("set", "add"):
        for h in mod.get(op) or []:
            into[(op, str(h["name"]).lower())] = str(h.get("value", ""))
    for name in mod.get("remove") or []:
        into[("remove", str(name).lower())] = ""


class Implementations:
    def __init__(self, objects: list[dict]):
        #: (group, kind, namespace, name) -> object
        self.named: dict[tuple[str, str, str, str], dict] = {}
        #: (namespace, kind, name) of a target -> (policy, targetRef)
        self.targets: dict[tuple[str, str, str], list[tuple[dict, dict]]] = {}
        self.selectors: list[tuple[dict, dict]] = []
        for o in objects:
            if not isinstance(o, dict) or not isinstance(o.get("metadata"), dict):
                continue
            group = str(o.get("apiVersion", "")).rpartition("/")[0]
            ns, name = _nsname(o)
            self.named[(group, str(o.get("kind")), ns, name)] = o
            spec = o.get("spec") if isinstance(o.get("spec"), dict) else {}
            refs = spec.get("targetRefs") or ([spec["targetRef"]] if isinstance(spec.get("targetRef"), dict) else [])
            for ref in refs:
                if isinstance(ref, dict) and ref.get("group", GATEWAY_API) == GATEWAY_API:
                    self.targets.setdefault((ns, ref.get("kind"), ref.get("name")), []).append((o, ref))
            self.selectors += [(o, s) for s in spec.get("targetSelectors") or [] if isinstance(s, dict)]

    # -- backends -------------------------------------------------------------------------------------------------
    def backend_service(self, ref: dict, namespace: str, st: Progress) -> str | None:
        """A kgateway ``Backend`` of type Static whose one host is a Service's cluster DNS name, as the Service
        port it reaches (``ns/name:port``); None for any other backendRef (a Service, or what is not simulated,
        which is recorded)."""
        if (ref.get("group"), ref.get("kind")) != (KGATEWAY, "Backend"):
            return None
        ns = ref.get("namespace", namespace)
        what = f"Backend {ns}/{ref.get('name')}"
        backend = self.named.get((KGATEWAY, "Backend", ns, ref.get("name")))
        hosts = (((backend or {}).get("spec") or {}).get("static") or {}).get("hosts") or []
        if backend is None or len(hosts) != 1:
            st.note(f"{what}: not among the manifests" if backend is None else f"{what}: not one static host")
            return None
        labels = str(hosts[0].get("host", "")).split(".")
        if len(labels) < 3 or labels[2:] not in (["svc"], ["svc", "cluster", "local"]):
            st.note(f"{what}: host {hosts[0].get('host')} is not a Service's cluster DNS name")
            return None
        return f"{labels[1]}/{labels[0]}:{hosts[0].get('port')}"

    # -- ExtensionRef filters ------------------------------------------------------------------------------------
    def extension_ref(self, ref: dict, route: dict, st: Progress) -> Decision | None:
        """Apply one ExtensionRef filter of a rule of ``route``; a Decision when it answers the request."""
        group, kind, name = ref.get("group", ""), ref.get("kind", ""), ref.get("name", "")
        ns = _nsname(route)[0]
        what = f"{kind} {ns}/{name}"
        if (group, kind) not in ((TRAEFIK, "Middleware"), (ENVOY_GATEWAY, "HTTPRouteFilter"),
                                 (KGATEWAY, "TrafficPolicy"), (KGATEWAY, "DirectResponse"),
                                 (NGF, "AuthenticationFilter"), (NGF, "SnippetsFilter")):
            st.note(f"ExtensionRef {group}/{kind} {ns}/{name}: unknown filter kind")
            return None
        obj = self.named.get((group, kind, ns, name))
        if obj is None:
            # A 500 where the object really is missing; but it may exist in the cluster (Traefik Middlewares the
            # emitter keeps by reference are not written), so the simulator cannot tell.
            st.note(f"{what}: not among the manifests")
            return None
        spec = obj.get("spec") or {}
        if kind == "Middleware":
            return self._middleware(ns, name, st, 0)
        if kind == "HTTPRouteFilter":
            return self._route_filter(spec, what, st)
        if kind == "TrafficPolicy":
            st.referenced.append(obj)
        elif kind == "DirectResponse":
            return _direct(spec.get("status", 200), {}, what)
        elif kind == "SnippetsFilter":
            st.note(f"{what}: raw NGINX snippets")
        return None

    def _route_filter(self, spec: dict, what: str, st: Progress) -> Decision | None:
        """Envoy Gateway HTTPRouteFilter (v1.9)."""
        if spec.get("matches"):
            st.note(f"{what} matches")
        if spec.get("credentialInjection"):
            st.note(f"{what} credentialInjection (a header from a Secret)")
        if spec.get("directResponse"):
            dr = spec["directResponse"]
            return _direct(dr.get("statusCode", 200), dr.get("header") or {}, what)
        rw = spec.get("urlRewrite") or {}
        path = rw.get("path") or {}
        if path.get("type") == "ReplaceRegexMatch":
            st.path = _envoy_regex(path.get("replaceRegexMatch"), st, f"{what} urlRewrite.path") or st.path
        host = rw.get("hostname") or {}
        if host.get("type") == "Header":
            st.host = st.req.header(str(host.get("header", ""))) or st.host  # no header: no rewrite
        elif host.get("type") == "PathRegex":
            st.host = _envoy_regex(host.get("pathRegex"), st, f"{what} urlRewrite.hostname") or st.host
        elif host.get("type"):
            st.note(f"{what} urlRewrite.hostname type {host['type']}")
        if host.get("type") and rw.get("appendXForwardedHost", True) is not False:
            st.note(f"{what} urlRewrite: X-Forwarded-Host")
        return None

    # -- Traefik Middlewares -------------------------------------------------------------------------------------
    def _middleware(self, ns: str, name: str, st: Progress, depth: int) -> Decision | None:
        obj = self.named.get((TRAEFIK, "Middleware", ns, name))
        what = f"Middleware {ns}/{name}"
        if obj is None:
            st.note(f"{what}: not among the manifests")
            return None
        for kind, body in (obj.get("spec") or {}).items():
            body = body if isinstance(body, dict) else {}
            if kind == "chain":
                if depth > 10:
                    st.note(f"{what} chain: nested too deep")
                    return None
                for m in body.get("middlewares") or []:
                    ref = str(m.get("name", ""))
                    if "@" in ref:
                        st.note(f"{what} chain: {ref} of another provider")
                        continue
                    answer = self._middleware(m.get("namespace") or ns, ref, st, depth + 1)
                    if answer is not None:
                        return answer
            elif kind in TRAEFIK_MIDDLEWARES:
                answer = TRAEFIK_MIDDLEWARES[kind](body, st, f"{what} {kind}")
                if answer is not None:
                    return answer
            elif kind == "forwardAuth" and (body.get("authResponseHeaders") or body.get("authResponseHeadersRegex")):
                st.note(f"{what} forwardAuth: headers copied from the auth response")
            elif kind not in TRAEFIK_PASS:
                st.note(f"{what} {kind}")
        return None

    # -- targetRefs policies -------------------------------------------------------------------------------------
    def policies(self, route: dict, rule: dict, gateway: tuple[str, str], listener: str, st: Progress) -> None:
        """Apply the policies attached to the rule, its route, the listener and the Gateway, and the kgateway
        TrafficPolicies the rule's ExtensionRef filters named."""
        found = [(VIA_FILTER, p) for p in st.referenced] + self._attached(route, rule, gateway, listener)
        merged: dict[str, tuple[object, dict]] = {}
        for _, p in sorted(found, key=lambda lp: (lp[0], _age(lp[1]))):
            kind = (str(p.get("apiVersion", "")).rpartition("/")[0], p.get("kind"))
            if kind == (KGATEWAY, "TrafficPolicy"):
                for key, value in (p.get("spec") or {}).items():
                    merged.setdefault(key, (value, p))  # the first (most specific, oldest) holds the field
            else:
                self._unsimulated(kind, p, p.get("spec"), st)
        for key, (value, p) in merged.items():
            self._unsimulated((KGATEWAY, "TrafficPolicy"), p, {key: value}, st)
        self._traffic_policy(merged, route, rule, st)

    @staticmethod
    def _unsimulated(kind: tuple, policy: dict, spec, st: Progress) -> None:
        for path in NOT_SIMULATED.get(kind, ()):
            origin = path not in ORIGIN_ONLY or st.req.header("origin") is not None
            if path == "*" or (_present(spec, path) and origin):
                st.note(f"{kind[1]} {'/'.join(_nsname(policy))}" + ("" if path == "*" else f" {path}"))

    def _attached(self, route: dict, rule: dict, gateway: tuple[str, str], listener: str) -> list[tuple[int, dict]]:
        rns, rname = _nsname(route)
        gw = self.named.get((GATEWAY_API, "Gateway", *gateway)) or {"metadata": {}}
        places = [(rns, route.get("kind"), rname, route, rule.get("name"), RULE, ROUTE),
                  (gateway[0], "Gateway", gateway[1], gw, listener, LISTENER, GATEWAY)]
        out = []
        for ns, kind, name, target, section, narrow, wide in places:
            for p, ref in self.targets.get((ns, kind, name), []):
                if ref.get("sectionName") is None:
                    out.append((wide, p))
                elif section is not None and ref["sectionName"] == section:
                    out.append((narrow, p))
            for p, sel in self.selectors:
                if (_nsname(p)[0] == ns and sel.get("kind") == kind and sel.get("group", GATEWAY_API) == GATEWAY_API
                        and _selects(sel, (target.get("metadata") or {}).get("labels") or {})):
                    if sel.get("sectionName") is None:
                        out.append((wide, p))
                    elif section is not None and sel["sectionName"] == section:
                        out.append((narrow, p))
        return out

    def _traffic_policy(self, merged: dict[str, tuple[object, dict]], route: dict, rule: dict, st: Progress) -> None:
        """The routing fields of kgateway's merged TrafficPolicy (v2.4.3)."""
        if "urlRewrite" in merged and route.get("kind") == "HTTPRoute":  # kgateway honours it on HTTPRoutes only
            value, p = merged["urlRewrite"]
            rx = (value or {}).get("pathRegex") or {}
            what = f"TrafficPolicy {'/'.join(_nsname(p))} urlRewrite"
            if any(f.get("type") == "URLRewrite" and (f.get("urlRewrite") or {}).get("path")
                   for f in rule.get("filters") or []):
                st.note(f"{what}: and the rule's URLRewrite path filter (Envoy keeps one path rewrite)")
            else:
                new = _substitute(rx.get("pattern"), rx.get("substitution", ""), st.path, _re2_expand)
                if new is None:
                    st.note(f"{what}: pattern or substitution not understood")
                else:
                    st.path = new
        if "headerModifiers" in merged:
            value, p = merged["headerModifiers"]
            for side, into in (("request", st.headers), ("response", st.response)):
                mod = dict((value or {}).get(side) or {})
                for op in ("set", "add"):
                    if any("secretRef" in h for h in mod.get(op) or []):
                        st.note(f"TrafficPolicy {'/'.join(_nsname(p))} headerModifiers.{side}.{op}: a Secret's value")
                    mod[op] = [h for h in mod.get(op) or [] if "name" in h and "secretRef" not in h]
                modify_headers(mod, into)


# -- Traefik Middleware kinds that change routing (v3.7) ---------------------------------------------------------


def _ensure_slash(path: str) -> str:
    return path if path == "" or path.startswith("/") else "/" + path


def _strip_prefix(body: dict, st: Progress, what: str) -> None:
    for prefix in body.get("prefixes") or []:
        prefix = str(prefix).strip()
        if st.path.startswith(prefix):  # a character prefix
            st.path = _ensure_slash(st.path[len(prefix):])
            st.headers[("set", "x-forwarded-prefix")] = prefix  # added; the client sent none, so add == set
            return


def _strip_prefix_regex(body: dict, st: Progress, what: str) -> None:
    for pattern in body.get("regex") or []:
        rx = _compile(str(pattern).strip())
        if rx is None:
            st.note(f"{what}: pattern not understood")
            return
        m = rx.search(st.path)
        if m and m.start() == 0:
            prefix = st.path[:m.end()]
            st.path = _ensure_slash(st.path[len(prefix):])
            st.headers[("set", "x-forwarded-prefix")] = prefix
            return


def _add_prefix(body: dict, st: Progress, what: str) -> None:
    st.path = _ensure_slash(str(body.get("prefix") or "") + st.path)


def _replace_path(body: dict, st: Progress, what: str) -> None:
    st.headers[("set", "x-replaced-path")] = st.path  # as it is: empty after a stripPrefix that cut it all
    st.path = str(body.get("path") or "")


def _replace_path_regex(body: dict, st: Progress, what: str) -> None:
    replacement = str(body.get("replacement") or "").strip()
    rx = _compile(str(body.get("regex") or "").strip())
    if rx is None:
        st.note(f"{what}: pattern not understood")
    elif rx.search(st.path):  # no match: the path is left alone; v3 applies an empty replacement too
        st.headers[("set", "x-replaced-path")] = st.path
        st.path = _replace_all(rx, st.path, lambda m: _go_expand(m, replacement))


def _moved(st: Progress, location: str, permanent: bool, what: str) -> Decision:
    get = st.req.method == "GET"
    status = (301 if get else 308) if permanent else (302 if get else 307)
    return Decision(REDIRECT, status=status, location=location, detail=what)


def _redirect_scheme(body: dict, st: Progress, what: str) -> Decision | None:
    scheme = str(body.get("scheme") or "")
    if not scheme:
        st.note(f"{what}: no scheme (Traefik rejects the Middleware)")
        return None
    port = str(body.get("port") or "")
    netloc = st.req.host if not port or (scheme, port) in (("http", "80"), ("https", "443")) else \
        f"{st.req.host}:{port}"
    new = f"{scheme}://{netloc}{st.uri()}"
    if new == _request_url(st):
        return None
    return _moved(st, new, bool(body.get("permanent")), what)


def _redirect_regex(body: dict, st: Progress, what: str) -> Decision | None:
    rx = _compile(str(body.get("regex") or ""))
    if rx is None:
        st.note(f"{what}: pattern not understood")
        return None
    old = _request_url(st)
    if not rx.search(old):
        return None
    new = _replace_all(rx, old, lambda m: _go_expand(m, str(body.get("replacement") or "")))
    if new == old:
        return None
    return _moved(st, new, bool(body.get("permanent")), what)


def _basic_auth(body: dict, st: Progress, what: str) -> None:
    # The credentials check is not simulated (an admitted request is); removeHeader drops Authorization before
    # the request is forwarded (https://doc.traefik.io/traefik/middlewares/http/basicauth/#removeheader).
    if body.get("removeHeader"):
        st.set_header(st.headers, "authorization", None)


def _headers(body: dict, st: Progress, what: str) -> None:
    # A Host entry is recorded as a header change, as a RequestHeaderModifier setting Host is.
    for name, value in (body.get("customRequestHeaders") or {}).items():
        st.set_header(st.headers, str(name), value)
    for name, value in (body.get("customResponseHeaders") or {}).items():
        st.set_header(st.response, str(name), value)
    if body.get("customFrameOptionsValue"):
        st.set_header(st.response, "x-frame-options", str(body["customFrameOptionsValue"]))
    elif body.get("frameDeny"):
        st.set_header(st.response, "x-frame-options", "DENY")
    for key, name, value in SECURITY_HEADERS:
        if body.get(key):
            st.set_header(st.response, name, value)
    for key, name in (("referrerPolicy", "referrer-policy"), ("contentSecurityPolicy", "content-security-policy"),
                      ("permissionsPolicy", "permissions-policy")):
        if body.get(key):
            st.set_header(st.response, name, str(body[key]))
    for key, value in body.items():
        if key not in TRAEFIK_HEADERS and value not in (None, False, "", [], {}, 0):
            st.note(f"{what}.{key}")


TRAEFIK_MIDDLEWARES = {
    "stripPrefix": _strip_prefix, "stripPrefixRegex": _strip_prefix_regex, "addPrefix": _add_prefix,
    "replacePath": _replace_path, "replacePathRegex": _replace_path_regex, "redirectScheme": _redirect_scheme,
    "redirectRegex": _redirect_regex, "headers": _headers, "basicAuth": _basic_auth,
}


def _request_url(st: Progress) -> str:
    """The URL Traefik's redirect middlewares match: scheme, Host (with a port the client named), current URI."""
    port = st.req.port
    default = {"http": 80, "https": 443}.get(st.req.scheme)
    netloc = st.req.host if port in (None, default) else f"{st.req.host}:{port}"
    return f"{st.req.scheme}://{netloc}{st.uri()}"


# -- helpers -----------------------------------------------------------------------------------------------------


def _direct(status, headers: dict, what: str) -> Decision:
    """A direct response. The decision model has no "answered by the proxy" outcome: 404 is not-found, a 3xx with
    a Location a redirect, anything else an error with that status."""
    code = int(status)
    location = next((h.get("value") for op in ("set", "add") for h in headers.get(op) or []
                     if str(h.get("name", "")).lower() == "location"), None)
    if code == 404:
        return Decision(NOT_FOUND, detail=f"direct response 404 ({what})")
    if 300 <= code < 400 and location:
        return Decision(REDIRECT, status=code, location=location, detail=f"direct response ({what})")
    return Decision(ERROR, status=code, detail=f"direct response {code} ({what})")


def _compile(pattern: str) -> re.Pattern | None:
    try:
        return re.compile(pattern.replace(r"\z", r"\Z"))  # RE2's end of text
    except re.error:
        return None


def _replace_all(rx: re.Pattern, text: str, expand) -> str:
    """RE2 GlobalReplace / Go ReplaceAllString: non-overlapping matches; an empty match that abuts the previous
    match is skipped."""
    out, pos, last_end = [], 0, -1
    for m in rx.finditer(text):
        if m.start() == m.end() == last_end:
            continue
        out += [text[pos:m.start()], expand(m)]
        pos = last_end = m.end()
    return "".join(out) + text[pos:]


def _substitute(pattern, substitution, text: str, expand) -> str | None:
    """Envoy's regex rewrite: every match of ``pattern`` in ``text`` replaced; None when it cannot be modelled."""
    rx = _compile(str(pattern or ""))
    if rx is None or not pattern:
        return None
    try:
        return _replace_all(rx, text, lambda m: expand(m, str(substitution or "")))
    except ValueError:
        return None


def _envoy_regex(rx: dict | None, st: Progress, what: str) -> str | None:
    """Envoy's regex substitution (pattern, substitution) applied to the path so far; None (recorded as not
    simulated) when the pattern or the substitution is not understood."""
    rx = rx or {}
    new = _substitute(rx.get("pattern"), rx.get("substitution", ""), st.path, _re2_expand)
    if new is None:
        st.note(f"{what}: pattern or substitution not understood")
    return new


def _re2_expand(m: re.Match, template: str) -> str:
    """RE2 rewrite strings (Envoy): ``\\0``-``\\9`` a group, ``\\\\`` a backslash; any other escape is invalid."""
    out, i = [], 0
    while i < len(template):
        c = template[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = template[i + 1:i + 2]
        if nxt == "\\":
            out.append("\\")
        elif nxt.isdigit():
            if int(nxt) > (m.re.groups or 0):
                raise ValueError(f"no group {nxt}")
            out.append(m.group(int(nxt)) or "")
        else:
            raise ValueError(f"invalid escape \\{nxt}")
        i += 2
    return "".join(out)


def _go_expand(m: re.Match, template: str) -> str:
    """Go ``Regexp.Expand``: ``$$``; ``$name``/``${name}`` (the longest run of letters, digits, ``_``), a number
    naming a group; an unknown or unmatched group is empty; a malformed ``$`` stays as it is."""
    out, i = [], 0
    while i < len(template):
        c = template[i]
        if c != "$":
            out.append(c)
            i += 1
            continue
        rest = template[i + 1:]
        if rest.startswith("$"):
            out.append("$")
            i += 2
            continue
        found = re.match(r"\{(\w+)\}", rest) or re.match(r"(\w+)", rest)
        if not found:
            out.append("$")
            i += 1
            continue
        name = found.group(1)
        if name.isdigit():
            n = int(name)
            out.append((m.group(n) or "") if n <= (m.re.groups or 0) else "")
        else:
            out.append((m.group(name) or "") if name in m.re.groupindex else "")
        i += 1 + found.end()
    return "".join(out)


def _present(spec, path: str) -> bool:
    """Whether the dotted ``path`` is set in ``spec`` (lists are walked item by item)."""
    if isinstance(spec, list):
        return any(_present(item, path) for item in spec)
    if not isinstance(spec, dict):
        return False
    head, _, rest = path.partition(".")
    value = spec.get(head)
    if value in (None, False, "", [], {}):
        return False
    return _present(value, rest) if rest else True


def _selects(selector: dict, labels: dict) -> bool:
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for e in selector.get("matchExpressions") or []:
        have, values, op = labels.get(e.get("key")), e.get("values") or [], e.get("operator")
        if (op == "In" and have not in values) or (op == "NotIn" and have in values) \
                or (op == "Exists" and have is None) or (op == "DoesNotExist" and have is not None):
            return False
    return True


def _nsname(o: dict) -> tuple[str, str]:
    meta = o.get("metadata") or {}
    return (meta.get("namespace", "default"), meta.get("name", ""))


def _age(o: dict) -> tuple[str, str, str]:
    """Older first: the creation timestamp where there is one, then namespace/name."""
    return ((o.get("metadata") or {}).get("creationTimestamp") or "", *_nsname(o))
