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
  the backend of the host's ``/`` location untouched (other paths are ignored for TLS); plain HTTP is still
  served by nginx. The setting comes from the Ingress that defined the host first (``_settle_passthrough``).

The handlers record what they need; ``apply_host_wide`` (called from the provider's post-process, after
regex mode) settles what depends on the other Ingresses.
"""

from __future__ import annotations

import re

from ingress2gw.plugin import (
    REPORT_LATER, AnnotationValue, Code, Context, IngressDraft, Match, ObjectRef, PathMatch, Report, RequestRedirect,
    RuleDraft, Status, TLSCert,
)

from ingress2gw_nginx.annotations.canary import STATE as CANARY
from ingress2gw_nginx.registry import REGISTRY, unsupported
from ingress2gw_nginx.tls import _secret_names, wildcard_covers
from ingress2gw_nginx.values import parse_bool

PROVIDER = "ingress-nginx"
WWW = "nginx.www"
ALIAS = "nginx.alias"
PASS = "nginx.passthrough"
_HOST_OK = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _covers(ctx: Context, cert: TLSCert, alias: str, prefix: str) -> bool:
    """Whether the Secret of ``cert`` is taken to hold a certificate valid for ``alias``: a tls entry naming the
    Secret lists it, or a ``*.`` name one label above it (Go's VerifyHostname)."""
    names = _secret_names(ctx, cert.namespace, cert.secret, (prefix,))
    return alias in names or any(wildcard_covers(n, alias) for n in names)


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
def ssl_passthrough(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report):
    if not parse_bool(value, report):
        return None
    draft.provider_state[PASS] = value
    return REPORT_LATER  # which backend gets the TLS stream depends on the other Ingresses of the host


def _root_path(d: IngressDraft, host: str) -> RuleDraft | None:
    """The rule of ``d`` that replaced the host's root location: a ``/`` path of type Prefix (ImplementationSpecific
    is read as Prefix by the controller). An Exact ``/`` is a location of its own next to the root."""
    return next((r for r in d.rules if r.host == host and not r.origin.annotation and not r.is_default_backend
                 and r.source_path == "/" and r.source_path_type != "Exact" and r.backends), None)


def _written_root(d: IngressDraft, host: str) -> str | None:
    """The pathType of a ``/`` path the Ingress, as written, has for ``host`` (whether or not it was converted)."""
    for rule in getattr(d.source, "rules", []):
        if (rule.host or "").strip().lower().rstrip(".") == host:
            for ip in rule.paths:
                if (ip.path or "/") == "/":
                    return ip.path_type
    return None


def _no_root(d: IngressDraft, host: str) -> str:
    """Why no backend took the TLS of ``host``."""
    written = _written_root(d, host)
    default = " the host's root location kept the controller's default backend, which disables passthrough"
    if written == "Exact":
        return "its / path is Exact, a location of its own next to the host's root location, so" + default
    if written is not None:
        return "its / path was not converted (see the other findings of this Ingress)"
    if getattr(d.source, "default_backend", None) is not None:
        return "it has no / path, and this Ingress's defaultBackend was not converted (see its other findings)"
    return "no Ingress has a / path for it and this Ingress has no defaultBackend, so" + default


def _settle_passthrough(drafts: list[IngressDraft], report: Report) -> None:
    """ssl-passthrough, as the controller applies it (createServers, getConfiguration).

    The server of a host takes ``SSLPassthrough`` from the Ingress that defined the host first (the oldest).
    Its TLS stream goes to the backend of the host's root location: the first Prefix ``/`` path of any Ingress
    of the host, else the defining Ingress's spec.defaultBackend; when the root location is still the
    controller's default backend, there is no passthrough for the host. Hosts are matched by SNI, so rules
    without a host get none.
    """
    owner: dict[tuple, IngressDraft] = {}
    for d in drafts:  # oldest first; canary Ingresses define no server
        for h in ([] if d.provider_state.get(CANARY, {}).get("enabled") else d.hosts):
            owner.setdefault((d.gateway, h), d)
    for d in drafts:
        value = d.provider_state.get(PASS)
        if value is None:
            continue
        passed, skipped = [], []
        for host in d.hosts:
            if host is None:
                skipped.append("rules without a host (the controller passes TLS through by SNI host name only)")
                continue
            first = owner.get((d.gateway, host), d)
            if first is not d:
                skipped.append(f"{host} (Ingress {first.origin.key} defined the host first, and the controller took "
                               "the host's ssl-passthrough from it)")
                continue
            root, source = _root_path(d, host), "its / path"
            if root is None:
                root = next((r for o in drafts if o.gateway == d.gateway and o is not d
                             for r in [_root_path(o, host)] if r is not None), None)
                source = f"the / path of Ingress {root.origin.key}" if root is not None else ""
            backend = root.backends[0] if root is not None else d.default_backend
            if backend is None:
                skipped.append(f"{host} ({_no_root(d, host)})")
                continue
            d.passthrough.append((host, backend))
            passed.append(f"{host} -> {backend.name}:{backend.port} from {source or 'its spec.defaultBackend'}")
            for r in d.rules:
                if r.host == host:
                    r.serve_https = False  # TLS for the host never reaches nginx's HTTP server
        if not d.hosts:
            skipped.append("it has no rule with a host (the controller passes TLS through by SNI host name only)")
        common = dict(location=value.loc(value=False), obj=value.origin_ref, provider=PROVIDER, annotation=value.key,
                      value=value.text)
        if passed:
            report.add(Code.ANNOTATION_TRANSLATED, **common,
                       detail=f"TLS passed through (TLSRoute): {', '.join(passed)}; the paths of the Ingress stay on "
                              "plain HTTP" + (f"; no passthrough for {'; '.join(skipped)}" if skipped else ""))
        else:
            report.add(Code.ANNOTATION_IGNORED, **common,
                       detail="the controller passed no TLS through for this Ingress: " + "; ".join(skipped))


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
    _settle_passthrough(drafts, report)  # first: aliases copy the rules of a host with their HTTPS flags
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
            d.pending = [p for p in d.pending if p.value.key != value.key]
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
                group = [o for o in drafts if o.gateway == d.gateway]
                certs = [c for o in group for c in o.tls if c.host == host]
                # nginx.go (configureCertificates): an alias gets the server's certificate only if that
                # certificate is valid for it; otherwise no certificate is registered for the alias (default
                # certificate on HTTPS, and ssl-redirect, which needs a registered one, does not redirect it).
                prefix = value.key[:-len("server-alias")]
                covering = [c for c in certs if _covers(ctx, c, alias, prefix)]
                for owner in group:
                    for r in [r for r in owner.rules if r.host == host]:
                        clone = RuleDraft(host=alias, match=r.match, backends=list(r.backends), origin=r.origin,
                                          created=r.created, intents=list(r.intents), serve_http=r.serve_http,
                                          serve_https=r.serve_https and bool(covering),
                                          ssl_redirect=r.ssl_redirect and bool(covering),
                                          force_ssl_redirect=r.force_ssl_redirect, protocol=r.protocol)
                        owner.rules.append(clone)
                    for c in [c for c in owner.tls if c in covering]:
                        owner.tls.append(TLSCert(host=alias, namespace=c.namespace, secret=c.secret))
                if certs and not covering:
                    c = certs[0]
                    report.add(Code.TLS_DEFAULT_CERTIFICATE, location=value.loc(), obj=_ref(d), provider=PROVIDER,
                               annotation=value.key, value=alias,
                               detail=f"server-alias {alias}: the certificate of {host} (Secret {c.namespace}/"
                                      f"{c.secret}) is not known to cover {alias} (no tls entry naming that Secret "
                                      f"lists it), and the controller gives an alias the server's certificate only "
                                      f"if it is valid for it: HTTPS to {alias} got its default certificate and "
                                      f"plain HTTP to {alias} was not redirected (ssl-redirect needs a certificate "
                                      f"registered for the host); the Gateway serves {alias} on plain HTTP only, "
                                      "without the redirect, and has no HTTPS listener for it",
                               remedy=f"If the Secret's certificate does cover {alias}, list {alias} in the tls "
                                      "entry of that Secret and convert again.")


unsupported("http2-push-preload", "ssl-prefer-server-ciphers", area="tls")
unsupported("ssl-ciphers", area="tls", reason="needs an implementation policy (no Gateway API field)",
            maps_to="Gateway.spec.listeners[].tls.options")
