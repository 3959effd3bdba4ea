"""Replay requests through the source simulator and the Gateway simulator; classify every difference.

Two decisions are the same when they agree on: the outcome class (``unserved`` and ``not-found`` are one class,
"nothing serves it": nginx answers an unknown host from its catch-all server, a Gateway has no listener), the
backend distribution, the upstream path (with query) and host, the request header changes, and for redirects
the status and Location (an empty Location path equals ``/``). Response header changes are compared when both
simulators model them (the Traefik and Gateway API simulators do; the ingress-nginx one does not).

Two redirects that differ but lead, once followed through each side's own simulator (up to 5 hops), to the
same final decision are not reported (e.g. nginx's ``/p`` → ``/p/`` 301 before its HTTPS redirect, where the
Gateway redirects to HTTPS first).

A difference is **expected** when a finding of the conversion explains it. The rules (``EXPLAINS``):

- Scope: the Ingresses involved in the request — the one(s) the source controller used (``Decision.via``: the
  Ingress of the location or router, and the canary Ingress attached to it) and the sources
  (``ingress2gw.io/source``) of the route the Gateway used. Host-wide codes also reach every Ingress that has a rule for the request's host.
- ``annotation.lossy|policy|unsupported|needs-version|unknown|security|ignored``: any difference in scope, when
  the annotation is one that affects routing (``ROUTING_ANNOTATION``: regex, rewrite, canary, redirects, TLS
  redirect switches, backend protocol, snippets, Traefik router/service keys and path/redirect/header
  middlewares...) or the finding names no annotation (it is about the paths themselves). A finding about a
  timeout or an auth setting never explains a routing difference.
- ``path.character-prefix``, ``path.invalid``, ``backend.unresolved-port``, ``backend.resource``,
  ``route.grpc-path``, ``route.priority``: any difference in scope.
- A difference only in the shares of the same backends is explained only by a finding whose annotation is a
  weight (``canary-weight``, ``canary-weight-total``).
- ``route.conflict``, ``route.default-backend-shadowed``, ``host.wildcard-depth``: any difference on a host of the
  Ingress named by the finding (host-wide).
- ``tls.no-secret``, ``tls.default-certificate``, ``tls.host-without-rule``: differences of HTTPS requests, or
  where one side does not serve the request, on a host of the Ingress.
- ``tls.redirect-code`` and ``tls.redirect`` (host-wide), only when both sides redirect to the same place: a
  different status needs ``tls.redirect-code``; Locations that differ only by a trailing ``/`` (ingress-nginx
  drops it unless ``preserve-trailing-slash``; Gateway API keeps the path) need ``tls.redirect``; both aspects
  together need both findings.

Every other difference is unexplained: a bug of the translator (or of a simulator).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ingress2gw.report.findings import Finding
from ingress2gw.verify.model import (
    NOT_FOUND, REDIRECT, UNSERVED, Decision, Request, host_matches, split_target,
)

ANNOTATION_CODES = {
    "annotation.lossy", "annotation.policy", "annotation.unsupported", "annotation.needs-version",
    "annotation.unknown", "annotation.security", "annotation.ignored",
}
SCOPE_CODES = {
    "path.character-prefix", "path.invalid", "backend.unresolved-port", "backend.resource", "route.grpc-path",
    "route.priority",
}
#: Annotations that change where a request goes, its path/host, or the redirect answer. A finding about any
#: other annotation (timeouts, auth, rate limits, CORS, buffers...) does not explain a routing difference.
ROUTING_ANNOTATION = re.compile(
    r"(use-regex|rewrite-target|canary.*|permanent-redirect.*|temporal-redirect.*|app-root|ssl-redirect|"
    r"force-ssl-redirect|preserve-trailing-slash|from-to-www-redirect|x-forwarded-prefix|upstream-vhost|"
    r"backend-protocol|ssl-passthrough|server-alias|default-backend|service-upstream|.*-snippet|"
    r"custom-http-errors|use-port-in-redirects|ingress.class|router\..*|service\..*|"
    r"(stripPrefix|stripPrefixRegex|addPrefix|replacePath|replacePathRegex|redirectScheme|redirectRegex|headers"
    r"|chain|errors|plugin))$", re.IGNORECASE)
HOST_CODES = {"route.conflict", "route.default-backend-shadowed", "host.wildcard-depth"}
TLS_CODES = {"tls.no-secret", "tls.default-certificate", "tls.host-without-rule"}
EXPLAINS = ANNOTATION_CODES | SCOPE_CODES | HOST_CODES | TLS_CODES | {"tls.redirect-code", "tls.redirect"}


@dataclass
class Difference:
    request: Request
    controller: str
    source: Decision
    gateway: Decision
    explained_by: list[Finding] = field(default_factory=list)

    @property
    def expected(self) -> bool:
        return bool(self.explained_by)

    def to_dict(self) -> dict:
        return {
            "request": self.request.to_dict(),
            "label": self.request.label(),
            "controller": self.controller,
            "source": self.source.to_dict(),
            "gateway": self.gateway.to_dict(),
            "expected": self.expected,
            "explainedBy": [
                {"code": f.code.value, "object": str(f.obj) if f.obj else None, "annotation": f.annotation or None,
                 "location": str(f.location), "message": f.message}
                for f in self.explained_by
            ],
        }


def routing_annotation(key: str) -> bool:
    """True for an annotation (or Middleware field, ``Middleware.spec.stripPrefix``) that affects routing."""
    if not key:
        return True  # a finding about the Ingress's paths themselves (e.g. a regex path)
    return ROUTING_ANNOTATION.match(key.rsplit("/", 1)[-1].rsplit(".spec.", 1)[-1]) is not None


def _class(d: Decision) -> str:
    return "none" if d.kind in (UNSERVED, NOT_FOUND) else d.kind


def _norm_location(loc: str | None) -> str | None:
    if loc is None:
        return None
    scheme, sep, rest = loc.partition("://")
    if sep and "/" not in rest:
        q = rest.find("?")
        rest = rest + "/" if q < 0 else rest[:q] + "/" + rest[q:]
    return scheme + sep + rest


def same(a: Decision, b: Decision) -> bool:
    if _class(a) != _class(b):
        return False
    if _class(a) == "none":
        return True
    if a.kind == REDIRECT:
        return a.status == b.status and _norm_location(a.location) == _norm_location(b.location)
    if (a.response_headers is not None and b.response_headers is not None
            and a.response_headers != b.response_headers):
        return False
    return (a.backends, a.path, a.host, a.headers, a.status) == (b.backends, b.path, b.host, b.headers, b.status)


def _strip_slash(loc: str | None) -> str:
    loc = _norm_location(loc) or ""
    path, q, query = loc.partition("?")
    return path.rstrip("/") + q + query


def ingress_names(d: Decision) -> set[str]:
    return {v.split(" ", 1)[1] for v in d.via if v.startswith("Ingress ")}


class Explainer:
    """Maps findings to the requests they affect (the rules in the module docstring)."""

    def __init__(self, findings: list[Finding], hosts_by_ingress: dict[str, list[str]],
                 route_sources: dict[str, list[str]]):
        self.candidates = [f for f in findings if f.code.value in EXPLAINS and f.obj is not None
                         and f.obj.kind == "Ingress"]
        self.hosts = hosts_by_ingress
        self.route_sources = route_sources

    def scope(self, req: Request, src: Decision, gw: Decision) -> set[str]:
        names = ingress_names(src)
        for v in gw.via:
            names.update(self.route_sources.get(v, []))
        return names

    def _on_host(self, ingress: str, host: str) -> bool:
        return any(h == "" or host_matches(h, host) for h in self.hosts.get(ingress, []))

    def explain(self, req: Request, src: Decision, gw: Decision) -> list[Finding]:
        scope = self.scope(req, src, gw)
        # Same backends, other shares: only a finding about a weight explains it.
        shares_only = (src.kind == gw.kind and src.backends and gw.backends
                       and [r for r, _ in src.backends] == [r for r, _ in gw.backends]
                       and src.backends != gw.backends  # the shares really differ
                       and (src.path, src.host, src.headers) == (gw.path, gw.host, gw.headers))
        out = []
        for f in self.candidates:
            if shares_only and "weight" not in (f.annotation or ""):
                continue
            name = f"{f.obj.namespace}/{f.obj.name}"
            code = f.code.value
            ok = False
            if code in ANNOTATION_CODES:
                ok = name in scope and routing_annotation(f.annotation)
            elif code in SCOPE_CODES:
                ok = name in scope
            elif code in HOST_CODES:
                ok = name in scope or self._on_host(name, req.host)
            elif code in TLS_CODES:
                ok = (name in scope or self._on_host(name, req.host)) and (
                    req.scheme == "https" or _class(src) == "none" or _class(gw) == "none")
            if ok:
                out.append(f)
        return out or self._redirect_aspects(req, src, gw, scope)

    def _redirect_aspects(self, req: Request, src: Decision, gw: Decision, scope: set[str]) -> list[Finding]:
        """Two redirects to the same place that differ by status (tls.redirect-code) and/or by the trailing
        slash of the HTTPS redirect (tls.redirect): each aspect needs its finding."""
        if not (src.kind == gw.kind == REDIRECT):
            return []
        same_place = _norm_location(src.location) == _norm_location(gw.location)
        slash_only = not same_place and _strip_slash(src.location) == _strip_slash(gw.location)
        if not (same_place or slash_only):
            return []
        needed = ({"tls.redirect-code"} if src.status != gw.status else set()) | (
            {"tls.redirect"} if slash_only else set())
        found = [f for f in self.candidates if f.code.value in needed
                 and (f"{f.obj.namespace}/{f.obj.name}" in scope
                      or self._on_host(f"{f.obj.namespace}/{f.obj.name}", req.host))]
        return found if needed and {f.code.value for f in found} == needed else []


def follow(sim, req: Request, first: Decision, hops: int = 5) -> Decision:
    """Follow redirects (as a browser would, same method and headers) through one simulator."""
    d = first
    for _ in range(hops):
        if d.kind != REDIRECT or not d.location:
            return d
        scheme, host, port, rest = split_target(d.location)
        path, _, query = rest.partition("?")
        req = replace(req, scheme=scheme, host=host or req.host, port=port, path=path or "/", query=query)
        d = sim.decide(req)
    return d


def compare(requests: list[Request], source_sim, gateway_sim, explainer: Explainer,
            controller: str) -> tuple[int, list[Difference]]:
    diffs = []
    for req in requests:
        src = source_sim.decide(req)
        gw = gateway_sim.decide(req)
        if same(src, gw) or (src.kind == gw.kind == REDIRECT and same(follow(source_sim, req, src),
                                                                      follow(gateway_sim, req, gw))):
            continue
        diffs.append(Difference(req, controller, src, gw, explainer.explain(req, src, gw)))
    return len(requests), diffs
