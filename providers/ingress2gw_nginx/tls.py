"""Certificates: which Ingress gives a host its certificate, and what a host with the default one does.

What the controller does (``createServers`` in internal/ingress/controller/controller.go, the facts file's §5):

- The **first Ingress** (oldest first) that has a ``tls`` section **and a rule for the host** sets the server's
  certificate. A host listed in the ``tls`` section of an Ingress without a rule for it gets nothing from that
  Ingress (``tls.host-without-rule``).
- Which certificate (``extractTLSSecretName``): the Secret of the ``tls`` entry listing the host; else one of the
  Ingress's Secrets whose certificate verifies for the host (read here as: a Secret holds a certificate for the
  names its ``tls`` entries list, ``*.`` names covering exactly one more label, as Go's ``VerifyHostname``); else
  — an entry listing the host without ``secretName``, or a host the ``tls`` section does not cover — the
  controller's **default certificate** (``--default-ssl-certificate``, else a self-signed one).
- A host with any certificate, the default one included, is registered in the Lua certificate table, so
  ``ssl-redirect`` (default true) redirects plain HTTP to HTTPS (``http-redirect-code``, 308). HTTPS is then
  answered with the default certificate, which the manifests do not name (and clients reject when it is the
  self-signed one): the Gateway gets no HTTPS listener for the host (``tls.no-secret`` /
  ``tls.default-certificate`` say so), and its plain-HTTP rules redirect as the controller's did
  (``RuleDraft.force_ssl_redirect``: a redirect whatever the Gateway's certificates).
- Hosts only named by Ingresses without ``tls`` get no entry: no redirect, no HTTPS, unless the wildcard host one
  label above them has a certificate: certificate.lua looks up the host, else ``*.<parent>`` (the HTTPS handshake
  and ssl-redirect), so such a host shares the wildcard's certificate, default or not.

Steps: ``apply`` (per Ingress, from ``IngressProvider.apply_tls``) decides what the Ingress would give each of
its hosts; ``settle`` (post-process, before host-wide copies) keeps the oldest Ingress's choice per host, reports
the default certificates, then gives hosts without a certificate their wildcard's; ``redirect_default_hosts``
(post-process, once every rule exists) turns on the redirect of the rules of the hosts with the default
certificate; ``redirect_roots`` (with the default backends) makes their root location (the paths no rule
matches) redirect too.
"""

from __future__ import annotations

import re

from ingress2gw.plugin import (
    Code, Context, Ingress, IngressDraft, Location, Match, ObjectRef, PathMatch, Report, RuleDraft, TLSCert,
)

PROVIDER = "ingress-nginx"
#: provider_state key: host -> (why, Location) for the hosts this Ingress would give the default certificate.
DEFAULT = "nginx.tls.default"
#: provider_state key: the hosts whose certificate this Ingress set, and it is the default one.
GIVEN_DEFAULT = "nginx.tls.default-given"
_DEFAULT_CERT = ("its default certificate (the Secret of its --default-ssl-certificate flag, else a self-signed "
                 "'Kubernetes Ingress Controller Fake Certificate')")


def wildcard_covers(name: str, host: str) -> bool:
    """Go's ``VerifyHostname`` (and the controller's server names): ``*.example.com`` covers exactly one more
    label."""
    return name.startswith("*.") and re.fullmatch(r"[\w-]+" + re.escape(name[1:]), host) is not None


def _secret_names(ctx: Context, namespace: str, secret: str, prefixes: tuple[str, ...]) -> set[str]:
    """The names the Secret is taken to hold a certificate for: the hosts of every ``tls`` entry of a (non-canary)
    Ingress of its namespace that names it."""
    names: set[str] = set()
    for ing in ctx.inventory.ingresses:
        if ing.namespace != namespace or _canary(ing, prefixes):
            continue
        for t in ing.tls:
            if t.secret == secret:
                names.update(h.strip().lower() for h in t.hosts)
    return names


def _canary(ing: Ingress, prefixes: tuple[str, ...]) -> bool:
    return any(str(ing.annotations.get(p + "canary", "")).strip().lower() == "true" for p in prefixes)


def _host_location(ing: Ingress, host: str) -> Location:
    for rule in ing.rules:
        if (rule.host or "").strip().lower().rstrip(".") == host:
            return ing.locate(rule.doc_path + ("host",))
    return ing.locate(())


def apply(ing: Ingress, draft: IngressDraft, ctx: Context, report: Report, prefixes: tuple[str, ...]) -> None:
    """What this Ingress would give each host it has a rule for: a Secret (``draft.tls``) or the default
    certificate (``provider_state[DEFAULT]``). Hosts of its ``tls`` section without a rule are reported."""
    if not ing.tls:
        return
    hosts = [h for h in draft.hosts if h is not None]  # rules without a host are the catch-all server's
    # A name listed for a server-alias of this Ingress is what makes the Secret valid for the alias
    # (annotations/hosts.py), not a host without a rule.
    aliases = {n.strip().lower().rstrip(".") for p in prefixes
               for n in str(ing.annotations.get(p + "server-alias", "")).split(",")}
    for t in ing.tls:
        for name in t.hosts:
            h = name.strip().lower()
            if h and h not in hosts and h not in aliases:
                report.add(Code.TLS_HOST_WITHOUT_RULE, location=ing.locate(t.doc_path), obj=ing.ref,
                           provider=PROVIDER,
                           detail=f"TLS host {h} has no rule in this Ingress: the controller takes a host's "
                                  "certificate from the oldest Ingress with a tls section and a rule for it, so "
                                  f"this entry gives {h} no certificate (no HTTPS listener, no redirect from it)")
    defaults: dict[str, tuple[str, Location]] = {}
    for h in hosts:
        listed = next((t for t in ing.tls if h in (n.strip().lower() for n in t.hosts)), None)
        if listed is not None:
            if listed.secret:
                draft.tls.append(TLSCert(host=h, namespace=ing.namespace, secret=listed.secret))
            else:
                defaults[h] = ("no-secret", ing.locate(listed.doc_path))
            continue
        secret = next((t.secret for t in ing.tls if t.secret and any(
            n == h or wildcard_covers(n, h) for n in _secret_names(ctx, ing.namespace, t.secret, prefixes))), None)
        if secret:
            draft.tls.append(TLSCert(host=h, namespace=ing.namespace, secret=secret))
        else:
            defaults[h] = ("not-listed", _host_location(ing, h))
    if defaults:
        draft.provider_state[DEFAULT] = defaults


def _groups(drafts: list[IngressDraft]) -> dict[str, list[IngressDraft]]:
    out: dict[str, list[IngressDraft]] = {}
    for d in drafts:  # oldest first (the controller's order)
        out.setdefault(d.gateway, []).append(d)
    return out


def settle(drafts: list[IngressDraft], report: Report) -> None:
    """The oldest Ingress that would give a host a certificate gives it (the others' Secrets for the host are
    dropped); a default certificate given is reported, and its host remembered for the redirects."""
    for group in _groups(drafts).values():
        given: dict[str, IngressDraft] = {}
        for d in group:
            defaults = d.provider_state.get(DEFAULT, {})
            for h in dict.fromkeys(x for x in d.hosts if x is not None):
                if h not in defaults and not any(c.host == h for c in d.tls):
                    continue
                if h in given:  # an older Ingress gave the host its certificate
                    d.tls = [c for c in d.tls if c.host != h]
                    continue
                given[h] = d
                if h in defaults:
                    d.provider_state.setdefault(GIVEN_DEFAULT, []).append(h)
                    _report_default(d, h, *defaults[h], report)
        _inherit_wildcards(group, given, report)


def _inherit_wildcards(group: list[IngressDraft], given: dict[str, IngressDraft], report: Report) -> None:
    """certificate.lua looks a request's host up, else ``*.<parent>``: a host no Ingress gave a certificate uses
    the one of the wildcard host one label above it (for the HTTPS handshake and for ssl-redirect)."""
    owner: dict[str, IngressDraft] = {}
    for d in group:
        for h in d.hosts:
            if h is not None:
                owner.setdefault(h, d)
    for h, d in owner.items():
        if h in given or h.startswith("*.") or "." not in h:
            continue
        wildcard = "*." + h.split(".", 1)[1]
        giver = given.get(wildcard)
        if giver is None:
            continue
        cert = next((c for c in giver.tls if c.host == wildcard), None)
        if cert is not None:
            d.tls.append(TLSCert(host=h, namespace=cert.namespace, secret=cert.secret))
            continue
        d.provider_state.setdefault(GIVEN_DEFAULT, []).append(h)
        where = _host_location(d.source, h) if d.source is not None else d.origin.location
        report.add(Code.TLS_DEFAULT_CERTIFICATE, location=where, obj=ObjectRef("Ingress", d.origin.namespace,
                                                                               d.origin.name), provider=PROVIDER,
                   detail=f"no Ingress gives {h} a certificate, so the controller used the one of {wildcard}: "
                          f"{_DEFAULT_CERT}; plain HTTP to {h} is redirected to HTTPS where its locations say so "
                          f"(ssl-redirect), as the controller did; the Gateway has no HTTPS listener for {h}, so HTTPS "
                          "requests for it get no answer (clients rejected the self-signed certificate anyway)")


def _report_default(d: IngressDraft, host: str, why: str, location: Location, report: Report) -> None:
    redirect = ("plain HTTP to it is redirected to HTTPS as the controller did (ssl-redirect)" if d.ssl_redirect
                else "ssl-redirect is off for this Ingress, so plain HTTP is served as before")
    https = (f"the Gateway has no HTTPS listener for {host}, so HTTPS requests for it get no answer (clients "
             "rejected the self-signed certificate anyway)")
    ref = ObjectRef("Ingress", d.origin.namespace, d.origin.name)
    if why == "no-secret":
        report.add(Code.TLS_NO_SECRET, location=location, obj=ref, provider=PROVIDER,
                   detail=f"TLS host {host} has no secretName: the controller served it with {_DEFAULT_CERT}; "
                          f"{redirect}; {https}")
        return
    report.add(Code.TLS_DEFAULT_CERTIFICATE, location=location, obj=ref, provider=PROVIDER,
               detail=f"{host} is not listed in the tls section of this Ingress (the one that gives the host its "
                      "certificate: the oldest with a tls section and a rule for it), and none of its Secrets is "
                      f"known to hold a certificate for {host}: the controller served it with {_DEFAULT_CERT}; "
                      f"{redirect}; {https}",
               remedy=f"List {host} in spec.tls with a Secret whose certificate covers it (or the Secret the "
                      "controller's --default-ssl-certificate names) and convert again, if HTTPS clients reach it.")


def default_hosts(group: list[IngressDraft]) -> set[str]:
    return {h for d in group for h in d.provider_state.get(GIVEN_DEFAULT, ())}


def redirect_default_hosts(drafts: list[IngressDraft]) -> None:
    """The rules of a host with the default certificate redirect plain HTTP where the controller's locations did
    (their Ingress's ssl-redirect, not an exempt location): the Gateway has no certificate for the host, so the
    redirect is forced. Rules copied to aliases keep theirs: the default certificate never covers an alias."""
    for group in _groups(drafts).values():
        hosts = default_hosts(group)
        if not hosts:
            continue
        for d in group:
            for rule in d.rules:
                if rule.host in hosts and rule.ssl_redirect:
                    rule.force_ssl_redirect = True


def redirect_roots(drafts: list[IngressDraft], roots: list[RuleDraft]) -> list[RuleDraft]:
    """The root location of a host with the default certificate (what answers the paths no rule matches) carries
    the annotations of the Ingress that created the host: with its ssl-redirect it redirects plain HTTP too.
    ``roots`` are the catch-alls placed for the default backends (changed in place); returns the redirect rules
    to add for hosts that have none and no ``/`` path."""
    out: list[RuleDraft] = []
    for group in _groups(drafts).values():  # the provider places them per Gateway: one group
        hosts = default_hosts(group)
        if not hosts:
            continue
        owner: dict[str, IngressDraft] = {}
        for d in group:
            for h in d.hosts:
                if h is not None:
                    owner.setdefault(h, d)
        explicit = {r.host for d in group for r in d.rules
                    if r.source_path == "/" and r.source_path_type != "Exact" and not r.is_default_backend}
        regex = {r.host for d in group for r in d.rules if r.match.path.type == "RegularExpression"}
        for host in sorted(hosts):
            d = owner.get(host)
            if d is None or not d.ssl_redirect:
                continue
            placed = [r for r in roots if r.host == host and r.is_default_backend]
            for r in placed:
                if r.ssl_redirect:
                    r.force_ssl_redirect = True
            if placed or host in explicit:
                continue
            path = (PathMatch(type="RegularExpression", value="(?i)^/.*") if host in regex
                    else PathMatch(type="PathPrefix", value="/"))
            out.append(RuleDraft(host=host, match=Match(path=path), backends=[], origin=d.origin, created=d.created,
                                 is_default_backend=True, serve_https=False, ssl_redirect=True,
                                 force_ssl_redirect=True))
    return out

