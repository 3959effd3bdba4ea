"""What a conformant Gateway API implementation does with one request, given the emitted objects.

Follows the Gateway API spec (v1.x) — https://gateway-api.sigs.k8s.io/reference/spec/ — step by step:

1. Listener selection: the listeners whose protocol fits the scheme (HTTP for ``http``; HTTPS or TLS for
   ``https``) on the request's port and whose hostname matches the Host/SNI; the most specific hostname wins
   (exact > longest wildcard > none). Listener isolation: only routes attached to that listener serve the
   request. Several Gateways have several addresses: we assume DNS sends the host to the Gateway holding the
   most specific listener (ties: first Gateway by namespace/name).
2. Attachment: ``parentRefs`` (group/kind/namespace/name, ``sectionName``, ``port``), the listener's
   ``allowedRoutes`` (``from: Same | All | Selector`` — selectors see only the ``kubernetes.io/metadata.name``
   label, the one label every namespace has — and ``kinds``), and a non-empty hostname intersection.
3. Every attached route whose hostnames match the request competes (conformance test
   HTTPRouteMatchingAcrossRoutes: a longer prefix of a ``*.com`` route beats ``/`` of an ``example.com`` route).
4. Match precedence across all rules of those routes: Exact path > longest PathPrefix > RegularExpression >
   method > most header matches > most query matches > route age (our output has no timestamps: namespace/name
   alphabetical) > rule order > match order. RegularExpression is implementation-specific; we model the
   Envoy-based implementations: a full match (Python ``re.fullmatch``, RE2-compatible patterns), ordered after
   every prefix match, longer pattern first.
5. Filters: ``RequestRedirect`` (scheme, hostname, port, path; status 302 by default; the port follows the new
   scheme, else the listener port; well-known ports are left out of Location), ``URLRewrite``
   (``ReplaceFullPath``, ``ReplacePrefixMatch`` element-wise), ``RequestHeaderModifier``,
   ``ResponseHeaderModifier`` (on the backend's answer), in order with the ``ExtensionRef`` filters; then the
   implementation policies attached to the rule, route, listener or Gateway (``implementations.py``: the objects
   of kgateway, Envoy Gateway, Traefik... that change routing; what it cannot model lands in
   ``Decision.unsimulated``).
6. Backends: ``weight`` (default 1; 0 never chosen); a Service in another namespace needs a ReferenceGrant;
   a rule without a usable backend answers 500.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ingress2gw.verify.implementations import Implementations, Progress, modify_headers
from ingress2gw.verify.model import (
    BACKEND, ERROR, NOT_FOUND, PASSTHROUGH, REDIRECT, UNSERVED, Decision, Request, distribution, host_matches,
)

GROUP = "gateway.networking.k8s.io"
WELL_KNOWN = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Listener:
    gateway: tuple[str, str]  # namespace, name
    name: str
    port: int
    protocol: str
    hostname: str | None
    tls_mode: str | None
    allowed_from: str
    selector: dict | None
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class _Candidate:
    key: tuple
    route: dict
    rule_index: int
    match: dict


class GatewaySimulator:
    def __init__(self, objects: list[dict]):
        self.gateways = [o for o in objects if _is(o, "Gateway")]
        self.routes = {k: [o for o in objects if _is(o, k)] for k in ("HTTPRoute", "GRPCRoute", "TLSRoute")}
        self.grants = [o for o in objects if o.get("kind") == "ReferenceGrant"]
        self.listeners = [lst for g in sorted(self.gateways, key=_nsname) for lst in _listeners(g)]
        self.implementations = Implementations(objects)
        # Indexes: verify sends many requests per host, and a shared Gateway holds every route.
        self._listener_of: dict[tuple, Listener | None] = {}
        self._attached: dict[tuple, list[dict]] = {}
        self._by_host: dict[tuple, tuple[dict[str, list[dict]], list[dict]]] = {}
        self._serving: dict[tuple, list[dict]] = {}
        self._by_parent: dict[str, dict] = {}
        self._listeners_by_host: tuple | None = None

    # -- 1. listener -------------------------------------------------------------------------------------------
    def select_listener(self, req: Request) -> Listener | None:
        key = (req.scheme, req.effective_port, req.host)
        if key not in self._listener_of:
            self._listener_of[key] = self._select_listener(req)
        return self._listener_of[key]

    def _select_listener(self, req: Request) -> Listener | None:
        protocols = ("HTTP",) if req.scheme == "http" else ("HTTPS", "TLS")
        best: tuple | None = None
        chosen = None
        if self._listeners_by_host is None:
            exact: dict[str, list[tuple[int, Listener]]] = {}
            other: list[tuple[int, Listener]] = []
            for i, lst in enumerate(self.listeners):
                if lst.hostname and not lst.hostname.startswith("*"):
                    exact.setdefault(lst.hostname.lower(), []).append((i, lst))
                else:
                    other.append((i, lst))
            self._listeners_by_host = (exact, other)
        exact, other = self._listeners_by_host
        # Listener order is kept: among equally specific listeners the first one wins.
        for _, lst in sorted(exact.get(req.host.lower(), []) + other, key=lambda p: p[0]):
            if lst.protocol not in protocols or lst.port != req.effective_port:
                continue
            if lst.hostname is not None and not host_matches(lst.hostname, req.host):
                continue
            key = _host_specificity(lst.hostname)
            if best is None or key > best:
                best, chosen = key, lst
        return chosen

    # -- 2. attachment ----------------------------------------------------------------------------------------
    def attached(self, lst: Listener, kind: str) -> list[dict]:
        key = (lst.gateway, lst.name, lst.port, kind)
        if key not in self._attached:
            self._attached[key] = self._attach(lst, kind)
        return self._attached[key]

    def serving(self, lst: Listener, kind: str, host: str) -> list[dict]:
        """The routes of ``kind`` attached to ``lst`` that serve ``host``, in attachment order."""
        key = (lst.gateway, lst.name, lst.port, kind, host)
        found = self._serving.get(key)
        if found is None:
            index = self._by_host.get(key[:4])
            if index is None:
                exact: dict[str, list[dict]] = {}
                other: list[dict] = []
                for i, route in enumerate(self.attached(lst, kind)):
                    names = route.get("spec", {}).get("hostnames") or []
                    if names and not any(n.startswith("*") for n in names):
                        for n in {n.lower() for n in names}:
                            exact.setdefault(n, []).append((i, route))
                    else:
                        other.append((i, route))
                index = self._by_host[key[:4]] = (exact, other)
            exact, other = index
            pool = sorted(exact.get(host.lower(), []) + other, key=lambda p: p[0])
            found = self._serving[key] = [r for _, r in pool if _route_host_key(r, lst, host) is not None]
        return found

    def _parents(self, kind: str) -> dict[tuple[str, str], list[dict]]:
        """Routes of ``kind`` by the Gateways their parentRefs name (in route order)."""
        index = self._by_parent.get(kind)
        if index is None:
            index = self._by_parent[kind] = {}
            for route in self.routes.get(kind, []):
                rns = route["metadata"].get("namespace", "default")
                for g in dict.fromkeys((ref.get("namespace", rns), ref.get("name"))
                                       for ref in route.get("spec", {}).get("parentRefs") or []):
                    index.setdefault(g, []).append(route)
        return index

    def _attach(self, lst: Listener, kind: str) -> list[dict]:
        if lst.kinds and kind not in lst.kinds:
            return []
        out = []
        for route in self._parents(kind).get(lst.gateway, []):
            rns = route["metadata"].get("namespace", "default")
            for ref in route.get("spec", {}).get("parentRefs") or []:
                if ref.get("group", GROUP) != GROUP or ref.get("kind", "Gateway") != "Gateway":
                    continue
                if (ref.get("namespace", rns), ref.get("name")) != lst.gateway:
                    continue
                if ref.get("sectionName") not in (None, lst.name):
                    continue
                if ref.get("port") not in (None, lst.port):
                    continue
                if not _namespace_allowed(lst, rns):
                    continue
                if not _intersects(route.get("spec", {}).get("hostnames") or [], lst.hostname):
                    continue
                out.append(route)
                break
        return out

    # -- the whole decision ------------------------------------------------------------------------------------
    def decide(self, req: Request) -> Decision:
        lst = self.select_listener(req)
        if lst is None:
            return Decision(UNSERVED, detail="no listener")
        if lst.protocol == "TLS":
            return self._tls_route(lst, req)
        routes = self.serving(lst, "HTTPRoute", req.host)
        grpc = self.serving(lst, "GRPCRoute", req.host)
        pool = routes + grpc
        if not pool:
            return Decision(NOT_FOUND, detail="no route for the host", via=(_ref(lst),))
        # Hostname specificity across routes is NOT a filter: the conformance suite
        # (HTTPRouteMatchingAcrossRoutes) sends example.com/v2 to a "*.com" route's PathPrefix /v2 rather than to
        # an "example.com" route's PathPrefix /: every route serving the host competes on match precedence.
        cands = []
        for route in pool:
            for ri, rule in enumerate(route.get("spec", {}).get("rules") or [{}]):
                matches = rule.get("matches") or [{}]
                for mi, m in enumerate(matches):
                    if route["kind"] == "GRPCRoute":
                        if _grpc_matches(m, req):
                            cands.append(_Candidate(_grpc_key(m, route, ri, mi), route, ri, m))
                    elif _http_matches(m, req):
                        cands.append(_Candidate(_http_key(m, route, ri, mi), route, ri, m))
        if not cands:
            return Decision(NOT_FOUND, detail="no rule matches", via=tuple(_ref(r) for r in pool))
        # HTTPRoute matches first; a GRPCRoute (method matches on /service/method paths) serves the rest.
        win = min(cands, key=lambda c: (c.route["kind"] == "GRPCRoute", c.key))
        rule = (win.route.get("spec", {}).get("rules") or [{}])[win.rule_index]
        return self._apply(win, rule, lst, req)

    def _apply(self, win: _Candidate, rule: dict, lst: Listener, req: Request) -> Decision:
        via = (_ref(win.route),)
        st = Progress(req, req.path)

        def done(d: Decision) -> Decision:
            return replace(d, via=via, unsimulated=tuple(st.unsimulated))

        # Each filter sees the request as the filters before it left it (Traefik runs them as a middleware chain).
        for f in rule.get("filters") or []:
            t = f.get("type")
            if t == "RequestRedirect":
                return done(self._redirect(f.get("requestRedirect") or {}, win.match, lst,
                                           replace(req, path=st.path), via))
            if t == "URLRewrite":
                rw = f.get("urlRewrite") or {}
                if rw.get("hostname"):
                    st.host = rw["hostname"]
                if rw.get("path"):
                    st.path = _modified_path(rw["path"], win.match, st.path)
            if t == "RequestHeaderModifier":
                modify_headers(f.get("requestHeaderModifier") or {}, st.headers)
            if t == "ResponseHeaderModifier":
                modify_headers(f.get("responseHeaderModifier") or {}, st.response)
            if t == "ExtensionRef":
                answer = self.implementations.extension_ref(f.get("extensionRef") or {}, win.route, st)
                if answer is not None:
                    return done(answer)
        self.implementations.policies(win.route, rule, lst.gateway, lst.name, st)
        refs = rule.get("backendRefs") or []
        if not refs:
            return done(Decision(ERROR, status=500, detail="rule has no backendRefs"))
        weighted = []
        ns = win.route["metadata"].get("namespace", "default")
        for b in refs:
            w = int(b.get("weight", 1))
            service = self.implementations.backend_service(b, ns, st)
            if service is not None:
                weighted.append((service, w))
                continue
            if not self._backend_allowed(win.route, b):
                if w > 0:
                    weighted.append((f"!invalid {b.get('namespace', ns)}/{b.get('name')}", w))
                continue
            weighted.append((f"{b.get('namespace', ns)}/{b.get('name')}:{b.get('port')}", w))
        dist = distribution(weighted)
        if not dist or all(ref.startswith("!invalid") for ref, _ in dist):
            return done(Decision(ERROR, status=500, detail="no usable backend"))
        changes = tuple(sorted((op, n, v) for (op, n), v in st.headers.items()))
        resp = tuple(sorted((op, n, v) for (op, n), v in st.response.items()))
        return done(Decision(BACKEND, backends=dist, path=st.uri(), host=st.host, headers=changes,
                             response_headers=resp))

    def _redirect(self, rr: dict, match: dict, lst: Listener, req: Request, via) -> Decision:
        scheme = rr.get("scheme") or req.scheme
        host = rr.get("hostname") or req.host
        if rr.get("port"):
            port = int(rr["port"])
        elif rr.get("scheme"):
            port = WELL_KNOWN.get(scheme, lst.port)
        else:
            port = lst.port
        path = _modified_path(rr["path"], match, req.path) if rr.get("path") else req.path
        netloc = host if WELL_KNOWN.get(scheme) == port else f"{host}:{port}"
        location = f"{scheme}://{netloc}{path}" + (f"?{req.query}" if req.query else "")
        return Decision(REDIRECT, status=int(rr.get("statusCode", 302)), location=location, via=via)

    def _backend_allowed(self, route: dict, ref: dict) -> bool:
        if ref.get("group", "") not in ("", "core") or ref.get("kind", "Service") != "Service":
            return False
        rns = route["metadata"].get("namespace", "default")
        tns = ref.get("namespace", rns)
        if tns == rns:
            return True
        for g in self.grants:
            if g["metadata"].get("namespace", "default") != tns:
                continue
            spec = g.get("spec", {})
            if not any(f.get("group") == GROUP and f.get("kind") == route["kind"] and f.get("namespace") == rns
                       for f in spec.get("from") or []):
                continue
            if any(t.get("group", "") in ("", "core") and t.get("kind") == "Service"
                   and t.get("name") in (None, ref.get("name")) for t in spec.get("to") or []):
                return True
        return False

    def _tls_route(self, lst: Listener, req: Request) -> Decision:
        if lst.tls_mode != "Passthrough":
            return Decision(UNSERVED, detail="TLS listener without passthrough")
        routes = [r for r in self.attached(lst, "TLSRoute") if _route_host_key(r, lst, req.host) is not None]
        if not routes:
            return Decision(UNSERVED, detail="no TLSRoute for the SNI", via=(_ref(lst),))
        best = max(_route_host_key(r, lst, req.host) for r in routes)
        route = min((r for r in routes if _route_host_key(r, lst, req.host) == best), key=_nsname)
        rule = (route.get("spec", {}).get("rules") or [{}])[0]
        ns = route["metadata"].get("namespace", "default")
        weighted = [(f"{b.get('namespace', ns)}/{b.get('name')}:{b.get('port')}", int(b.get("weight", 1)))
                    for b in rule.get("backendRefs") or [] if self._backend_allowed(route, b)]
        dist = distribution(weighted)
        if not dist:
            return Decision(UNSERVED, detail="TLSRoute without usable backend", via=(_ref(route),))
        return Decision(PASSTHROUGH, backends=dist, via=(_ref(route),))


# -- helpers -----------------------------------------------------------------------------------------------------


def _is(o: dict, kind: str) -> bool:
    return isinstance(o, dict) and o.get("kind") == kind and str(o.get("apiVersion", "")).startswith(GROUP)


def _nsname(o: dict) -> tuple[str, str]:
    m = o.get("metadata", {})
    return (m.get("namespace", "default"), m.get("name", ""))


def _ref(o) -> str:
    if isinstance(o, Listener):
        return f"Gateway {o.gateway[0]}/{o.gateway[1]} listener {o.name}"
    ns, name = _nsname(o)
    return f"{o.get('kind')} {ns}/{name}"


def _listeners(g: dict) -> list[Listener]:
    out = []
    ns, name = _nsname(g)
    for lst in g.get("spec", {}).get("listeners") or []:
        ar = lst.get("allowedRoutes") or {}
        nss = ar.get("namespaces") or {}
        kinds = tuple(k.get("kind") for k in ar.get("kinds") or [])
        proto = lst.get("protocol", "HTTP")
        if not kinds:
            kinds = {"HTTP": ("HTTPRoute", "GRPCRoute"), "HTTPS": ("HTTPRoute", "GRPCRoute"),
                     "TLS": ("TLSRoute",)}.get(proto, ())
        out.append(Listener((ns, name), lst.get("name", ""), int(lst.get("port", 0)), proto,
                            lst.get("hostname"), (lst.get("tls") or {}).get("mode", "Terminate"),
                            nss.get("from", "Same"), nss.get("selector"), kinds))
    return out


def _host_specificity(hostname: str | None) -> tuple[int, int]:
    """exact (2) > wildcard (1, longer first) > none (0)."""
    if hostname is None:
        return (0, 0)
    if hostname.startswith("*."):
        return (1, len(hostname))
    return (2, len(hostname))


def _namespace_allowed(lst: Listener, ns: str) -> bool:
    if lst.allowed_from == "All":
        return True
    if lst.allowed_from == "Same":
        return ns == lst.gateway[0]
    if lst.allowed_from == "Selector":
        sel = lst.selector or {}
        labels = {"kubernetes.io/metadata.name": ns}
        for k, v in (sel.get("matchLabels") or {}).items():
            if labels.get(k) != v:
                return False
        for e in sel.get("matchExpressions") or []:
            have = labels.get(e.get("key"))
            values = e.get("values") or []
            op = e.get("operator")
            if op == "In" and have not in values:
                return False
            if op == "NotIn" and have in values:
                return False
            if op == "Exists" and have is None:
                return False
            if op == "DoesNotExist" and have is not None:
                return False
        return True
    return False


def _intersects(hostnames: list[str], listener_host: str | None) -> bool:
    if not hostnames or listener_host is None:
        return True
    return any(_host_overlap(h, listener_host) for h in hostnames)


def _host_overlap(a: str, b: str) -> bool:
    if host_matches(a, b.replace("*", "x", 1)) or host_matches(b, a.replace("*", "x", 1)):
        return True
    return a.lower() == b.lower()


def _route_host_key(route: dict, lst: Listener, host: str) -> tuple[int, int] | None:
    """Specificity of the hostname through which ``route`` serves ``host`` (None: it does not)."""
    names = route.get("spec", {}).get("hostnames") or []
    if not names:
        return _count(lst.hostname) if lst.hostname else (0, 0)
    best = None
    for n in names:
        if not host_matches(n, host):
            continue
        eff = n
        if lst.hostname and _count(lst.hostname) > _count(n):
            eff = lst.hostname  # the intersection is the more specific of the two
        key = _count(eff)
        best = key if best is None or key > best else best
    return best


def _count(hostname: str) -> tuple[int, int]:
    """(non-wildcard characters, characters) — the spec's tie-breakers for intersecting hostnames."""
    return (len(hostname.lstrip("*")) - (1 if hostname.startswith("*.") else 0), len(hostname))


def _prefix_norm(value: str) -> str:
    return value.rstrip("/")


def _path_matches(pm: dict, path: str) -> bool:
    t, v = pm.get("type", "PathPrefix"), pm.get("value", "/")
    if t == "Exact":
        return path == v
    if t == "PathPrefix":
        p = _prefix_norm(v)
        return path == p or path.startswith(p + "/") or p == ""
    if t == "RegularExpression":
        try:
            return re.fullmatch(v, path) is not None
        except re.error:
            return False
    return False


def _value_matches(m: dict, have: str | None) -> bool:
    if have is None:
        return False
    if m.get("type", "Exact") == "RegularExpression":
        try:
            return re.search(m.get("value", ""), have) is not None
        except re.error:
            return False
    return have == m.get("value")


def _query(req: Request, name: str) -> str | None:
    for part in req.query.split("&") if req.query else []:
        k, _, v = part.partition("=")
        if k == name:
            return v
    return None


def _http_matches(m: dict, req: Request) -> bool:
    if not _path_matches(m.get("path") or {"type": "PathPrefix", "value": "/"}, req.path):
        return False
    if m.get("method") and m["method"] != req.method:
        return False
    if not all(_value_matches(h, req.header(h.get("name", ""))) for h in m.get("headers") or []):
        return False
    return all(_value_matches(q, _query(req, q.get("name", ""))) for q in m.get("queryParams") or [])


def _http_key(m: dict, route: dict, ri: int, mi: int) -> tuple:
    pm = m.get("path") or {"type": "PathPrefix", "value": "/"}
    t, v = pm.get("type", "PathPrefix"), pm.get("value", "/")
    rank = {"Exact": 0, "PathPrefix": 1, "RegularExpression": 2}.get(t, 3)
    length = len(_prefix_norm(v)) if t == "PathPrefix" else len(v)
    return (rank, -length, 0 if m.get("method") else 1, -len(m.get("headers") or []),
            -len(m.get("queryParams") or []), _nsname(route), ri, mi)


def _grpc_matches(m: dict, req: Request) -> bool:
    meth = m.get("method") or {}
    parts = req.path.strip("/").split("/")
    if (meth.get("service") or meth.get("method")) and len(parts) != 2:
        return False
    if meth.get("service") and meth["service"] != parts[0]:
        return False
    if meth.get("method") and meth["method"] != parts[1]:
        return False
    return all(_value_matches(h, req.header(h.get("name", ""))) for h in m.get("headers") or [])


def _grpc_key(m: dict, route: dict, ri: int, mi: int) -> tuple:
    meth = m.get("method") or {}
    return (0 if meth.get("service") else 1, 0 if meth.get("method") else 1, -len(m.get("headers") or []),
            0, 0, _nsname(route), ri, mi)


def _modified_path(spec: dict, match: dict, path: str) -> str:
    if spec.get("type") == "ReplaceFullPath":
        return spec.get("replaceFullPath", "/")
    if spec.get("type") == "ReplacePrefixMatch":
        pm = match.get("path") or {"type": "PathPrefix", "value": "/"}
        return replace_prefix(_prefix_norm(pm.get("value", "/")), spec.get("replacePrefixMatch", "/"), path)
    return path


def replace_prefix(prefix: str, replacement: str, path: str) -> str:
    """``ReplacePrefixMatch``: swap the matched (element-wise) prefix, keep the rest of the path."""
    rest = path[len(prefix):] if prefix else path
    out = replacement.rstrip("/") + rest
    return out or "/"
