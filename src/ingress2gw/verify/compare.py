"""Replay requests through the source simulator and the Gateway simulator; classify every difference.

Two decisions are the same when they agree on: the outcome class (``unserved`` and ``not-found`` are one class,
"nothing serves it": nginx answers an unknown host from its catch-all server, a Gateway has no listener), the
backend distribution, the upstream path (with query) and host, the request header changes, and for redirects
the status and Location (an empty Location path equals ``/``). Response header changes are compared when both
simulators model them (the Traefik and Gateway API simulators do; the ingress-nginx one does not).

Two redirects to different places that lead, once followed through each side's own simulator (up to 5 hops), to
the same final decision are not reported (e.g. nginx's ``/p`` → ``/p/`` 301 before its HTTPS redirect, where the
Gateway redirects to HTTPS first); two redirects to the same place with different statuses are a difference.

A difference is **expected** when findings of the conversion explain every aspect of it, each by a finding of
that aspect's dimension (``ingress2gw.model.outcome.Dimension``, the ``dimensions`` of a finding) whose scope
reaches the request:

- Aspects: ``outcome`` (one side serves, redirects, fails or answers nothing where the other does something
  else: dimension ``route``, and also ``redirect`` when a side redirects, ``scheme`` for an HTTPS request one
  side does not serve, ``case`` when the request path has upper-case letters, ``host-match`` when only a
  wildcard deeper than one label matches the host, ``backend`` when a side fails for want of a backend);
  ``backend`` (other Services or ports: ``backend`` or ``route``), ``weight`` (the same Services with other
  shares: ``weight``), ``upstream-path``, ``upstream-host``, ``request-headers``,
  ``response-headers`` (compared only where both simulators model them; each also ``route`` when another rule
  may have answered: the Gateway's route merges rules of another Ingress, or the Ingress has several paths),
  ``redirect-status`` and ``redirect-target`` (``redirect``; ``scheme`` too when the target's scheme differs).
- Findings that state a difference can explain (``EXPLAINS``: the annotation verdicts lossy, policy,
  unsupported, needs-version, security, ignored, and the routing codes of ``report.codes.CODE_DIMENSIONS``);
  a translated or policy-emitted finding claims that nothing differs and explains nothing.
- Scope: an annotation or path finding reaches the requests of the Ingress it names: the one(s) the source
  controller used (``Decision.via``: the Ingress of the location or router, and the canary Ingress attached to
  it) and the sources (``ingress2gw.io/source``) of the route the Gateway used. A host-wide code
  (``CODE_DIMENSIONS`` scope ``host``) also reaches every request for a host of the Ingress it names.
- ``tls.redirect-code`` explains only a ``redirect-status`` aspect of two redirects to the same place, and
  ``tls.redirect`` only a ``redirect-target`` that differs by the trailing ``/`` (ingress-nginx drops it unless
  ``preserve-trailing-slash``; Gateway API keeps the path).

Every other difference is unexplained: a bug of the translator (or of a simulator), or a hand edit of the
Gateway API manifests (``verify --gateway-manifests``, which tells apart what the edit changed).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ingress2gw.model.outcome import SIMULATED, Dimension
from ingress2gw.report.codes import CODE_DIMENSIONS
from ingress2gw.report.findings import Finding
from ingress2gw.verify.model import (
    ERROR, NOT_FOUND, REDIRECT, UNSERVED, Decision, Request, host_matches, split_target,
)

ANNOTATION_CODES = {
    "annotation.lossy", "annotation.policy", "annotation.unsupported", "annotation.needs-version",
    "annotation.security", "annotation.ignored", "controller-default.lossy",
}
EXPLAINS = ANNOTATION_CODES | set(CODE_DIMENSIONS)
#: Codes that explain one narrow aspect only.
NARROW = {"tls.redirect-code": "redirect-status", "tls.redirect": "redirect-slash"}
D = Dimension


@dataclass(frozen=True)
class Aspect:
    """One way two decisions differ, and the dimensions a finding must be about to explain it."""

    name: str
    accepts: frozenset
    #: "redirect-slash" when two redirect targets differ only by the trailing ``/``.
    narrow: str = ""


@dataclass
class Explanation:
    aspect: Aspect
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Difference:
    request: Request
    controller: str
    source: Decision
    gateway: Decision
    explanations: list[Explanation] = field(default_factory=list)
    #: ``--gateway-manifests``: what the tool's own output answered, where the given manifests answer
    #: otherwise (the hand edit changed this request; findings describe the tool's output, not the edit).
    edited_from: Decision | None = None

    @property
    def expected(self) -> bool:
        return self.edited_from is None and bool(self.explanations) and all(e.findings for e in self.explanations)

    @property
    def explained_by(self) -> list[Finding]:
        seen: dict[int, Finding] = {}
        for e in self.explanations:
            for f in e.findings:
                seen.setdefault(id(f), f)
        return list(seen.values())

    def to_dict(self) -> dict:
        d = {
            "request": self.request.to_dict(),
            "label": self.request.label(),
            "controller": self.controller,
            "source": self.source.to_dict(),
            "gateway": self.gateway.to_dict(),
            "expected": self.expected,
            "aspects": [
                {"aspect": e.aspect.name, "dimensions": sorted(x.value for x in e.aspect.accepts),
                 "explainedBy": [finding_ref(f) for f in e.findings]}
                for e in self.explanations
            ],
        }
        if self.edited_from is not None:
            d["editedFrom"] = self.edited_from.to_dict()
        return d


def finding_ref(f: Finding) -> dict:
    return {"code": f.code.value, "object": str(f.obj) if f.obj else None, "annotation": f.annotation or None,
            "dimensions": sorted(str(getattr(x, "value", x)) for x in f.dimensions),
            "location": str(f.location), "message": f.message}


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
    """Maps findings to the aspects of the differences they explain (the rules in the module docstring)."""

    def __init__(self, findings, hosts_by_ingress: dict[str, list[str]], route_sources: dict[str, list[str]],
                 paths_by_ingress: dict[str, int] | None = None):
        self.by_ingress: dict[str, list[Finding]] = {}
        self.host_wide: dict[str, list[Finding]] = {}
        self.all_by_ingress: dict[str, list[Finding]] = {}
        for f in findings:
            if f.obj is None or f.obj.kind != "Ingress" or not f.dimensions:
                continue
            name = f"{f.obj.namespace}/{f.obj.name}"
            self.all_by_ingress.setdefault(name, []).append(f)
            code = f.code.value
            if code not in EXPLAINS:
                continue
            self.by_ingress.setdefault(name, []).append(f)
            if CODE_DIMENSIONS.get(code, (None, "ingress"))[1] == "host":
                self.host_wide.setdefault(name, []).append(f)
        self.hosts = hosts_by_ingress
        self.route_sources = route_sources
        #: How many paths each Ingress has (more than one: another of its rules may have answered).
        self.paths = paths_by_ingress or {}
        self.wildcards = sorted({h for hs in hosts_by_ingress.values() for h in hs if h.startswith("*.")})
        self._by_host: dict[str, list] = {}

    def scope(self, src: Decision, gw: Decision) -> set[str]:
        names = ingress_names(src)
        for v in gw.via:
            names.update(self.route_sources.get(v, []))
        return names

    def _on_host(self, ingress: str, host: str) -> bool:
        return any(h == "" or host_matches(h, host) for h in self.hosts.get(ingress, []))

    def in_scope(self, req: Request, src: Decision, gw: Decision) -> list[Finding]:
        """The findings that may explain a difference of this request."""
        scope = self.scope(src, gw)
        out = [f for name in sorted(scope) for f in self.by_ingress.get(name, ())]
        out += [f for name, fs in self._host_wide_on(req.host) if name not in scope for f in fs]
        return out

    def _host_wide_on(self, host: str) -> list[tuple[str, list[Finding]]]:
        """The host-wide findings of the Ingresses with a rule for ``host`` (one scan per host)."""
        found = self._by_host.get(host)
        if found is None:
            found = self._by_host[host] = [(name, fs) for name, fs in sorted(self.host_wide.items())
                                           if self._on_host(name, host)]
        return found

    def aspects(self, req: Request, src: Decision, gw: Decision) -> list[Aspect]:
        route_like = {D.ROUTE}
        if any(c.isupper() for c in req.path):
            route_like.add(D.CASE)
        if any(host_matches(w, req.host) and req.host.count(".") > w.count(".") for w in self.wildcards):
            route_like.add(D.HOST_MATCH)
        cs, cg = _class(src), _class(gw)
        if cs != cg:
            accepts = set(route_like)
            if REDIRECT in (src.kind, gw.kind):
                accepts |= {D.REDIRECT, D.SCHEME}
            if req.scheme == "https" and "none" in (cs, cg):
                accepts.add(D.SCHEME)
            if ERROR in (src.kind, gw.kind):
                accepts.add(D.BACKEND)
            return [Aspect("outcome", frozenset(accepts))]
        out = []
        # Another rule may have answered (the Gateway's route merges rules of an Ingress the controller did not
        # use here, or the Ingress has several paths): what follows from the choice is a route difference too.
        scope = self.scope(src, gw)
        other_rule = bool(scope - ingress_names(src)) or any(self.paths.get(name, 1) > 1 for name in scope)
        also = route_like if other_rule else set()
        if src.kind == REDIRECT:
            if src.status != gw.status:
                out.append(Aspect("redirect-status", frozenset({D.REDIRECT} | also)))
            if _norm_location(src.location) != _norm_location(gw.location):
                slash = _strip_slash(src.location) == _strip_slash(gw.location)
                schemes = {(x or "").partition("://")[0] for x in (src.location, gw.location)}
                out.append(Aspect("redirect-target", frozenset({D.REDIRECT} | also | (
                    {D.SCHEME} if len(schemes) > 1 else set())), "redirect-slash" if slash else ""))
            return out
        if {r for r, _ in src.backends} != {r for r, _ in gw.backends}:
            # Other Services or ports: another rule answered (its path, host and headers follow from it), or the
            # rule lost its backend.
            return [Aspect("backend", frozenset(route_like | {D.BACKEND}))]
        if src.backends != gw.backends:
            out.append(Aspect("weight", frozenset({D.WEIGHT} | also)))
        if src.path != gw.path:
            out.append(Aspect("upstream-path", frozenset({D.UPSTREAM_PATH} | also)))
        if src.host != gw.host:
            out.append(Aspect("upstream-host", frozenset({D.UPSTREAM_HOST} | also)))
        if src.headers != gw.headers:
            out.append(Aspect("request-headers", frozenset({D.REQUEST_HEADERS} | also)))
        if src.response_headers is not None and gw.response_headers is not None \
                and src.response_headers != gw.response_headers:
            out.append(Aspect("response-headers", frozenset({D.RESPONSE_HEADERS} | also)))
        return out or [Aspect("outcome", frozenset(route_like))]

    def explain(self, req: Request, src: Decision, gw: Decision) -> list[Explanation]:
        candidates = self.in_scope(req, src, gw)
        out = []
        for aspect in self.aspects(req, src, gw):
            found = []
            for f in candidates:
                narrow = NARROW.get(f.code.value)
                if narrow and narrow not in (aspect.name, aspect.narrow):
                    continue
                if aspect.accepts & f.dimensions:
                    found.append(f)
            out.append(Explanation(aspect, found))
        return out

    def not_simulated(self, req: Request, src: Decision, gw: Decision) -> list[Finding]:
        """Findings in scope about what the simulators do not model for this request (auth, rate limits,
        timeouts, mirroring...; response headers where the source simulator does not model them)."""
        unmodelled = set(Dimension) - SIMULATED
        if src.response_headers is None or gw.response_headers is None:
            unmodelled.add(D.RESPONSE_HEADERS)
        names = self.scope(src, gw)
        return [f for name in sorted(names) for f in self.all_by_ingress.get(name, ()) if f.dimensions & unmodelled]


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


@dataclass
class Unmodelled:
    """A request and the findings in its scope about behaviour the simulators do not model."""

    request: Request
    controller: str
    findings: list[Finding]
    #: What the Gateway simulator met and does not model (an unknown ExtensionRef, a policy field...).
    objects: tuple[str, ...] = ()



def same_end(sim_a, sim_b, req: Request, a: Decision, b: Decision) -> bool:
    """The same decision, or two redirect chains that start at different places and end in the same decision
    (a redirect to the same place with another status is a difference)."""
    if same(a, b):
        return True
    return (a.kind == b.kind == REDIRECT and _norm_location(a.location) != _norm_location(b.location)
            and same(follow(sim_a, req, a), follow(sim_b, req, b)))


def compare(requests: list[Request], source_sim, gateway_sim, explainer: Explainer, controller: str,
            reference_sim=None) -> tuple[list[Difference], list[Unmodelled]]:
    """Every request whose decisions differ, explained; and the requests with behaviour not simulated.

    ``reference_sim`` simulates the tool's own output when ``gateway_sim`` simulates manifests the user gave:
    where they answer otherwise, the difference comes from the edit and no finding explains it."""
    diffs, unmodelled = [], []
    for req in requests:
        src = source_sim.decide(req)
        gw = gateway_sim.decide(req)
        missing = explainer.not_simulated(req, src, gw)
        if missing or gw.unsimulated:
            unmodelled.append(Unmodelled(req, controller, missing, tuple(gw.unsimulated)))
        if same_end(source_sim, gateway_sim, req, src, gw):
            continue
        diff = Difference(req, controller, src, gw, explainer.explain(req, src, gw))
        if reference_sim is not None:
            ref = reference_sim.decide(req)
            if not same(ref, gw):
                diff.edited_from = ref
        diffs.append(diff)
    return diffs, unmodelled
