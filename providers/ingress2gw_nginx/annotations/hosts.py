"""Host-wide annotations: ``from-to-www-redirect``, ``server-alias``, ``ssl-passthrough`` (issue 4).

The controller builds one server per host; these annotations change the server, whichever Ingress of the
host carries them:

- ``from-to-www-redirect: "true"``: an extra server for the ``www.``/bare counterpart of each host answers
  ``<http-redirect-code> $scheme://<host>$request_uri`` (ConfigMap, 308 by default) — skipped when some
  Ingress defines the counterpart host itself. HTTPS on the counterpart works only if the host's certificate
  also covers it.
- ``server-alias``: comma-separated extra ``server_name``s for the Ingress's hosts; the whole server (every
  location, from every Ingress) answers under them. Names that are hosts of some Ingress are skipped.
- ``ssl-passthrough: "true"`` (needs the controller's ``--enable-ssl-passthrough``): TLS for the host goes to
  the backend of the Ingress's ``/`` path untouched (other paths are ignored for TLS); plain HTTP is still
  served by nginx.

The handlers record what they need; ``apply_host_wide`` (called from the provider's post-process, after
regex mode) settles what depends on the other Ingresses.
"""

from __future__ import annotations

import re

from ingress2gw.plugin import (
    AnnotationValue, Code, Context, IngressDraft, Match, ObjectRef, PathMatch, Report, RequestRedirect, RuleDraft,
    Status, TLSCert,
)

from ingress2gw_nginx.registry import REGISTRY
from ingress2gw_nginx.values import parse_bool

PROVIDER = "ingress-nginx"
WWW = "nginx.www"
ALIAS = "nginx.alias"
_HOST_OK = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _ref(d: IngressDraft) -> ObjectRef:
    return ObjectRef("Ingress", d.origin.namespace, d.origin.name)


def _counterpart(host: str) -> str:
    return host[4:] if host.startswith("www.") else "www." + host


@REGISTRY.annotation(
    "from-to-www-redirect", produces=('RequestRedirect',), area="redirect", status=Status.TRANSLATED,
    maps_to="HTTPRoute for the www./bare counterpart host: requestRedirect{hostname: <host>, statusCode: "
            "<http-redirect-code>}",
    remediation="Make sure the certificate of the host also covers its counterpart.",
)
def from_to_www_redirect(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    if not parse_bool(value, report):
        return
    for host in draft.hosts:
        if host is None or host.startswith("*.") or not any(r.host == host for r in draft.rules):
            continue
        other = _counterpart(host)
        if other in draft.hosts:
            continue
        cert = next((c for c in draft.tls if c.host == host), None)
        caveat = (f"HTTPS for {other} uses the certificate of {host} (Secret {cert.secret}), which must also cover "
                  f"{other}" if cert else "")
        rule = RuleDraft(host=other, match=Match(path=PathMatch(type="PathPrefix", value="/")), backends=[],
                         origin=value.origin, created=draft.created, ssl_redirect=False,
                         serve_https=cert is not None)
        rule.add(RequestRedirect(hostname=host, status_code=draft.redirect_code, origin=value.origin,
                                 caveat=caveat))
        draft.rules.append(rule)
        if cert is not None:
            draft.tls.append(TLSCert(host=other, namespace=cert.namespace, secret=cert.secret))
    draft.provider_state[WWW] = value


@REGISTRY.annotation(
    "ssl-passthrough", area="tls", status=Status.TRANSLATED,
    maps_to="TLSRoute + Gateway listener {protocol: TLS, tls.mode: Passthrough}",
    remediation="The controller needed --enable-ssl-passthrough for this to work; paths other than / never saw "
                "TLS traffic.",
)
def ssl_passthrough(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    if not parse_bool(value, report):
        return
    common = dict(obj=value.origin_ref, provider=PROVIDER, annotation=value.key, value=value.text)
    passed, missing = [], []
    for host in draft.hosts:
        rules = [r for r in draft.rules if r.host == host and not r.origin.annotation]
        root = next((r for r in rules if r.match.path.value == "/" and r.match.path.type != "RegularExpression"),
                    None)
        if host is None or root is None:
            missing.append(host or "*")
            continue
        draft.passthrough.append((host, root.backends[0]))
        passed.append(f"{host} -> {root.backends[0].name}:{root.backends[0].port}")
        for r in rules:
            r.serve_https = False  # TLS for the host never reaches nginx's HTTP server
    if passed:
        report.add(Code.ANNOTATION_TRANSLATED, location=value.loc(value=False), **common,
                   detail=f"TLS passed through to {', '.join(passed)} (TLSRoute); the paths of the Ingress stay on "
                          "plain HTTP" + (f"; ignored for {', '.join(missing)}: no / path" if missing else ""))
    else:
        report.add(Code.ANNOTATION_IGNORED, location=value.loc(value=False), **common,
                   detail="the controller passes TLS through only to the backend of a / path (or a host), and this "
                          "Ingress has none")


@REGISTRY.annotation(
    "server-alias", area="hosts", status=Status.TRANSLATED,
    maps_to="HTTPRoute spec.hostnames (the host's rules repeated for each alias)",
    caveat="The aliases answer with the whole server of the Ingress's first host: every path, from every Ingress.",
    remediation="Make sure the certificate of the host also covers the aliases.",
)
def server_alias(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    names, bad = [], []
    for part in value.text.split(","):
        name = part.strip().lower().rstrip(".")
        if not name:
            continue
        (names if _HOST_OK.match(name) else bad).append(name)
    if bad:
        report.add(Code.ANNOTATION_INVALID_VALUE, location=value.loc(), obj=value.origin_ref, provider=PROVIDER,
                   annotation=value.key, value=value.text,
                   detail=f"{', '.join(bad)}: not DNS names Gateway API accepts (regex server names are not "
                          "translated); those aliases were left out")
    if names:
        draft.provider_state[ALIAS] = (value, names)


def apply_host_wide(drafts: list[IngressDraft], ctx: Context, report: Report) -> None:
    by_gateway: dict[str, set] = {}
    for d in drafts:
        by_gateway.setdefault(d.gateway, set()).update(h for h in d.hosts if h)
    for d in drafts:
        value = d.provider_state.get(WWW)
        if value is None:
            continue
        taken = [r for r in d.rules if r.origin.annotation == value.key and r.host in by_gateway[d.gateway]]
        for r in taken:
            d.rules.remove(r)
            d.tls = [c for c in d.tls if c.host != r.host]
        if taken and not any(r.origin.annotation == value.key for r in d.rules):
            d.pending = [(s, v) for s, v in d.pending if v.key != value.key]
            report.add(Code.ANNOTATION_IGNORED, location=value.loc(value=False), obj=value.origin_ref,
                       provider=PROVIDER, annotation=value.key, value=value.text,
                       detail=f"{', '.join(sorted(r.host for r in taken))} is a host of another Ingress, so the "
                              "controller did not add the redirect")
    for d in drafts:
        found = d.provider_state.get(ALIAS)
        if found is None:
            continue
        value, names = found
        hosts = [h for h in d.hosts if h and any(r.host == h for r in d.rules)]
        for alias in names:
            if alias in by_gateway[d.gateway]:
                report.add(Code.ANNOTATION_IGNORED, location=value.loc(), obj=_ref(d), provider=PROVIDER,
                           value=alias, detail=f"server-alias {alias} is a host of an Ingress; the controller "
                                               "ignored the alias")
                continue
            for host in hosts[:1]:  # one server_name list per Ingress: the aliases join its first host
                for owner in [o for o in drafts if o.gateway == d.gateway]:
                    for r in [r for r in owner.rules if r.host == host]:
                        clone = RuleDraft(host=alias, match=r.match, backends=list(r.backends), origin=r.origin,
                                          created=r.created, intents=list(r.intents), serve_http=r.serve_http,
                                          serve_https=r.serve_https, ssl_redirect=r.ssl_redirect,
                                          force_ssl_redirect=r.force_ssl_redirect, protocol=r.protocol)
                        owner.rules.append(clone)
                    for c in [c for c in owner.tls if c.host == host]:
                        owner.tls.append(TLSCert(host=alias, namespace=c.namespace, secret=c.secret))
