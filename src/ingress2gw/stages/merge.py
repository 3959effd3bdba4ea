"""Merge the drafts of every Ingress into per-Gateway host plans.

- Rules of all Ingresses that share a host are merged; each rule keeps the intents of its own Ingress.
- Conflicts (same host + match from two Ingresses): the oldest Ingress wins (creationTimestamp, then
  namespace/name, as ingress-nginx sorts them); the loser gets a ``route.conflict`` finding.
  A default-backend catch-all yields silently to an explicit rule for the same path, as the root
  location does in the controller.
- A host has TLS when any of its Ingresses gives it a certificate (the first, oldest, wins). Rules without a
  host (None) have TLS only when a provider gives them its controller's default certificate: an HTTPS
  listener without hostname.
- On the HTTP listener of a TLS host, rules that the controller redirected become redirect rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ingress2gw.gwapi import Target
from ingress2gw.model.ir import IngressDraft, Match, Origin, PathMatch, RequestRedirect, RuleDraft, TLSCert
from ingress2gw.report import Code, ObjectRef, Report
from ingress2gw.stages.translate import GatewayDefaults, Translation, age


@dataclass
class HostPlan:
    gateway: str
    host: str | None
    cert: TLSCert | None = None
    #: Rules served on the HTTPS listener (empty without a certificate).
    https_rules: list[RuleDraft] = field(default_factory=list)
    #: Rules served on the HTTP listener (redirect rules included).
    http_rules: list[RuleDraft] = field(default_factory=list)
    #: Namespace of the Ingress that owns the host (the oldest); generated redirect rules live there.
    owner_namespace: str = ""


@dataclass
class GatewayPlan:
    name: str
    ingress_class: str
    provider: str
    hosts: dict[str | None, HostPlan] = field(default_factory=dict)
    sources: list[Origin] = field(default_factory=list)
    #: Companion annotations for the Gateway (the oldest Ingress wins a key).
    annotations: dict[str, str] = field(default_factory=dict)
    #: Hosts whose TLS is passed through to a backend (TLSRoute): host → (backend, origin).
    passthrough: dict[str, tuple] = field(default_factory=dict)
    #: Plain TCP/UDP listeners and their routes (``StreamRoute``), sorted by protocol and port.
    streams: list = field(default_factory=list)


def _ref(o: Origin) -> ObjectRef:
    return ObjectRef(o.kind, o.namespace, o.name)


def merge_hosts(translation: Translation, target: Target, report: Report) -> list[GatewayPlan]:
    by_gateway: dict[str, list[IngressDraft]] = {}
    for d in translation.drafts:
        by_gateway.setdefault(d.gateway, []).append(d)
    plans = []
    for name in sorted(by_gateway):
        group = sorted(by_gateway[name], key=age)
        defaults = translation.gateways.get(name) or GatewayDefaults()
        plans.append(_plan_gateway(name, group, defaults, target, report))
        plans[-1].streams = list(defaults.streams)
    for name in sorted(set(translation.gateways) - set(by_gateway)):
        # A Gateway that only has the controller's TCP/UDP ports (per-namespace mode: the controller's namespace).
        streams = translation.gateways[name].streams
        if streams:
            plans.append(GatewayPlan(name=name, ingress_class=streams[0].ingress_class, provider=streams[0].provider,
                                     sources=[s.origin for s in streams], streams=list(streams)))
    plans.sort(key=lambda p: p.name)
    return plans


def _plan_gateway(name: str, drafts: list[IngressDraft], defaults: GatewayDefaults, target: Target,
                  report: Report) -> GatewayPlan:
    provider = drafts[0].provider
    gp = GatewayPlan(name=name, ingress_class=drafts[0].ingress_class, provider=provider,
                     sources=[d.origin for d in drafts])
    for d in drafts:
        for k, v in sorted(d.gateway_annotations.items()):
            gp.annotations.setdefault(k, v)
        for host, backend in d.passthrough:
            gp.passthrough.setdefault(host, (backend, d.origin))
    # Explicit rules first (oldest Ingress first, in path order), then the default-backend catch-alls.
    reported: set[str] = set()
    rules = [r for r in defaults.catch_alls if r.keeps_root] + [r for d in drafts for r in d.rules] + [
        r for r in defaults.catch_alls if not r.keeps_root]
    winners: dict[tuple, RuleDraft] = {}
    kept: list[RuleDraft] = []
    for rule in rules:
        key = rule.conflict_key()
        first = winners.get(key)
        if first is None:
            winners[key] = rule
            kept.append(rule)
            continue
        if rule.is_default_backend:
            continue  # the root location of the host is taken by an explicit rule
        if first.origin.key == rule.origin.key:
            if rule.source_path is not None and first.source_path is not None and rule.source_path != first.source_path:
                report.add(Code.ROUTE_CONFLICT, location=rule.origin.location, obj=_ref(rule.origin),
                           provider=provider,
                           detail=f"paths {first.source_path!r} and {rule.source_path!r} of this Ingress are the same "
                                  f"location ({rule.match.path.type} {rule.match.path.value}); the first one is kept")
            continue  # the same Ingress repeats a path; the controller keeps the first
        if first.keeps_root:
            report.add(Code.ROUTE_CONFLICT, location=rule.origin.location, obj=_ref(rule.origin),
                       provider=provider,
                       detail=f"{rule.match.path.type} {rule.match.path.value} without a host is the catch-all's root, "
                              f"which the default backend of {first.origin.key} (an Ingress without rules) already "
                              "took: the controller keeps it, and this path never answers")
            continue
        report.add(Code.ROUTE_CONFLICT, location=rule.origin.location, obj=_ref(rule.origin),
                   provider=provider,
                   detail=f"host {rule.host or '*'} {rule.match.path.type} {rule.match.path.value} is also "
                          f"claimed by the Ingress {first.origin.key}, which the controller served: "
                          + ("it is older" if first.created != rule.created else
                             "the same creationTimestamp, and the controller takes namespace/name in descending "
                             "order" if first.created else
                             "neither has a creationTimestamp; the oldest once applied wins, taken here in "
                             "namespace/name order"))

    owners: dict[str | None, IngressDraft] = {}
    certs: dict[str | None, TLSCert] = {}
    for d in drafts:
        for h in d.hosts:
            owners.setdefault(h, d)
        for c in d.tls:
            certs.setdefault(c.host, c)
    for rule in kept:
        hp = gp.hosts.get(rule.host)
        if hp is None:
            owner = owners.get(rule.host)
            hp = gp.hosts[rule.host] = HostPlan(
                gateway=name, host=rule.host, cert=certs.get(rule.host),
                owner_namespace=owner.origin.namespace if owner else rule.origin.namespace)
        if rule.serve_https and hp.cert is not None and rule.host not in gp.passthrough:
            hp.https_rules.append(_on_https(rule))  # a passthrough host's TLS never reaches the HTTP router
        if rule.serve_http:
            # A rule that answers with its own redirect keeps it on plain HTTP: the controller's own
            # `return` runs before its HTTPS redirect (nginx rewrite phase, before rewrite_by_lua).
            own_redirect = any(isinstance(i, RequestRedirect) for i in rule.intents)
            if ((hp.cert is not None and rule.ssl_redirect) or rule.force_ssl_redirect) and not own_redirect:
                hp.http_rules.append(_redirect_clone(rule, owners, target, report, provider,
                                                     defaults.redirect_code, reported))
            else:
                hp.http_rules.append(rule)

    # The controller's own root location on a TLS host redirects too (it answers 404 over HTTPS), and so does
    # the root location of a host whose owning Ingress forces the redirect (never the catch-all server's).
    for host, hp in gp.hosts.items():
        owner = owners.get(host)
        if owner is not None and ((hp.cert is not None and owner.ssl_redirect)
                                  or (owner.force_ssl_redirect and host is not None)):
            # Where the host's paths are regexes, the root is the shortest regex (tried last), never a
            # PathPrefix "/" that Gateway API precedence would rank above every regex.
            regex_host = any(r.match.path.type == "RegularExpression" for r in hp.http_rules + hp.https_rules)
            root_path = (PathMatch(type="RegularExpression", value="/.*") if regex_host
                         else PathMatch(type="PathPrefix", value="/"))
            covered = any(r.match.path in (root_path, PathMatch(type="PathPrefix", value="/"))
                          and not r.match.headers for r in hp.http_rules)
            if not covered:
                root = RuleDraft(host=host, match=Match(path=root_path), backends=[],
                                 origin=owner.origin, created=owner.created, ssl_redirect=True)
                hp.http_rules.append(_redirect_clone(root, owners, target, report, provider,
                                                     defaults.redirect_code, reported))
        redirected = [r for r in hp.http_rules
                      if any(isinstance(i, RequestRedirect) and i.scheme == "https" for i in r.intents)]
        if redirected:
            first = redirected[0]
            code = next(i.status_code for i in first.intents if isinstance(i, RequestRedirect))
            report.add(Code.TLS_REDIRECT, location=first.origin.location, obj=_ref(first.origin),
                       provider=provider,
                       detail=f"plain HTTP requests for {host or '*'} are redirected to HTTPS ({code}); the Gateway "
                              "keeps the path as requested, where the controller may also have dropped a trailing "
                              "slash from it")
    # Hosts in spec.tls with certificates but no rule at all get nothing (reported by the provider).
    return gp


def _on_https(rule: RuleDraft) -> RuleDraft:
    """The rule as the HTTPS listener serves it: with its HTTPS-only intents (a copy, so that plain HTTP never
    gets them and the two listeners never share a route rule that differs)."""
    if not rule.https_intents:
        return rule
    return replace(rule, intents=rule.intents + rule.https_intents, https_intents=[])


def _redirect_code(code: int, target: Target) -> int:
    if code in target.redirect_codes:
        return code
    return 301 if code in (301, 308) else 302


def _redirect_clone(rule: RuleDraft, owners: dict, target: Target, report: Report,
                    provider: str, default_code: int, reported: set[str]) -> RuleDraft:
    owner = owners.get(rule.host)
    wanted = owner.redirect_code if owner else default_code
    code = _redirect_code(wanted, target)
    if code != wanted and owner is not None and rule.host not in reported:
        reported.add(rule.host)
        report.add(Code.TLS_REDIRECT_CODE, location=owner.origin.location, obj=_ref(owner.origin),
                   provider=provider,
                   detail=f"the controller redirected {rule.host} with {wanted}; Gateway API "
                          f"{target.version} allows only {', '.join(map(str, target.redirect_codes))}, so "
                          f"{code} was used (clients may change POST to GET)")
    return RuleDraft(host=rule.host, match=rule.match, backends=[], origin=rule.origin, created=rule.created,
                     intents=[RequestRedirect(scheme="https", status_code=code, origin=rule.origin)],
                     serve_http=True, serve_https=False, ssl_redirect=False)
