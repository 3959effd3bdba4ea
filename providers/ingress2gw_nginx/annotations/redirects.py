"""Redirects and HTTPS enforcement (issue 4).

What the controller does (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/):

- ``ssl-redirect`` (ConfigMap default true): plain HTTP is redirected to HTTPS (``http-redirect-code``, 308)
  for every location of a host that some Ingress lists in spec.tls; ``false`` turns it off for the
  locations of one Ingress. ``force-ssl-redirect`` redirects even when the host has no certificate.
- ``permanent-redirect`` / ``temporal-redirect``: every location of the Ingress answers ``return <code>
  <URL>``. The URL must parse with a scheme starting with ``http``. temporal-redirect wins when both are
  set. Codes: permanent 300–308 (else 301), temporal 300–307 (else 302); a code that is not an integer
  makes the controller drop the whole redirect configuration of the Ingress. nginx does not append the
  request's path or query unless the URL contains ``$request_uri``.
- ``app-root``: rendered at server level (``if ($uri = /) { return 302 $scheme://$http_host<app-root>; }``,
  nginx.tmpl 1000-1003) for every location that carries it, so it answers the URI ``/`` on every host the
  Ingress has a rule for, whichever path serves ``/`` (checked against real NGINX).
- ``preserve-trailing-slash``: the HTTPS redirect keeps a trailing ``/`` (by default the controller
  strips it; Gateway API redirects always keep the path).
- ``from-to-www-redirect``, ``ssl-passthrough``: host-wide (see ``hosts_redirects``).
- ``enable-rewrite-log``: debug logging only.
"""

from __future__ import annotations

from functools import partial
from urllib.parse import urlsplit

from ingress2gw.plugin import (
    REPORT_LATER, AnnotationValue, Code, Context, IngressDraft, Match, Origin, PathMatch, Report, RequestRedirect,
    RuleDraft, Status,
)

from ingress2gw_nginx import regex
from ingress2gw_nginx.registry import REGISTRY, unsupported
from ingress2gw_nginx.values import int_text, parse_bool, sibling

PROVIDER = "ingress-nginx"
#: Codes no Gateway API version can put in RequestRedirect.statusCode.
_NEVER = (300, 304, 305, 306)
_HOST_VARS = ("$host", "$http_host")
#: provider_state key: the force-ssl-redirect value, reported once every Ingress is read.
FORCE = "nginx.force-ssl-redirect"



# --- HTTPS enforcement ----------------------------------------------------------------------------


@REGISTRY.annotation(
    "ssl-redirect", area="redirect", status=Status.TRANSLATED,
    maps_to="HTTPRoute on the HTTP listener: RequestRedirect{scheme: https} per rule",
    caveat="\"false\": rules of this Ingress are served on plain HTTP too, instead of being redirected to HTTPS. "
           "\"true\": plain HTTP to its hosts with a certificate is redirected to HTTPS.",
    parse=parse_bool,
)
def ssl_redirect(enabled: bool, value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    for rule in draft.rules:
        rule.ssl_redirect = enabled
    draft.ssl_redirect = enabled
    # The finding says what this value did: the registry's caveat covers both values for the docs.
    default = bool(ctx.settings.get("ssl-redirect", True))
    if enabled:
        detail = ("plain HTTP requests for the paths of this Ingress on hosts with a certificate in spec.tls are "
                  "redirected to HTTPS, as the controller did"
                  + (" (true is the default)" if default else " (the ConfigMap's ssl-redirect is false; this "
                                                               "Ingress turns it back on)"))
    else:
        detail = "Rules of this Ingress are served on plain HTTP too, instead of being redirected to HTTPS."
    report.add(Code.ANNOTATION_TRANSLATED, location=value.loc(value=False), obj=value.origin_ref, provider=PROVIDER,
               annotation=value.key, value=value.text, detail=detail)


@REGISTRY.annotation(
    "force-ssl-redirect", area="redirect", status=Status.TRANSLATED,
    maps_to="HTTPRoute on the HTTP listener: RequestRedirect{scheme: https} per rule, with or without TLS",
    caveat="Plain HTTP is redirected to HTTPS even without a certificate in spec.tls. The controller decided "
           "on $scheme (or X-Forwarded-Proto with the ConfigMap's use-forwarded-headers); the gateway redirects "
           "every request that reaches its HTTP listener.",
    remediation="Behind a load balancer that terminates TLS and forwards plain HTTP, add a header match "
                "X-Forwarded-Proto: http to the redirect rule, or the redirect loops.",
)
def force_ssl_redirect(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report):
    if parse_bool(value, report):
        for rule in draft.rules:
            rule.force_ssl_redirect = True
        draft.force_ssl_redirect = True
        # Whether HTTPS answers where the redirect sends clients depends on the certificates of every
        # Ingress of the host: reported by report_force_ssl_redirect once all are read.
        draft.provider_state[FORCE] = value
        return REPORT_LATER
    return None


def report_force_ssl_redirect(drafts: list[IngressDraft], report: Report) -> None:
    """force-ssl-redirect on hosts no Ingress gives a certificate (after host-wide copies: aliases too).

    The controller redirected plain HTTP and answered HTTPS for such a host with its default certificate
    (``--default-ssl-certificate``, else a self-signed "Fake Certificate"), which the manifests do not name.
    The redirect is kept (it is what the controller did), but the Gateway has no HTTPS listener for the host.
    """
    for d in drafts:
        value = d.provider_state.get(FORCE)
        if value is None:
            continue
        gateway = [o for o in drafts if o.gateway == d.gateway]
        covered = {c.host for o in gateway for c in o.tls} | {h for o in gateway for h, _ in o.passthrough}
        hosts = list(dict.fromkeys(
            [h for h in d.hosts] + [r.host for o in gateway for r in o.rules
                                    if r.origin.key == d.origin.key and r.force_ssl_redirect and r.serve_http]))
        missing = [h or "*" for h in hosts if h not in covered]
        common = dict(location=value.origin.location, obj=value.origin_ref, provider=PROVIDER, annotation=value.key,
                      value=value.text)
        spec = REGISTRY.lookup(value.name)
        if not missing:
            report.add(Code.ANNOTATION_TRANSLATED, **common, detail=spec.caveat, remedy=spec.remediation)
            continue
        names = ", ".join(missing)
        report.add(Code.ANNOTATION_LOSSY, **common,
                   detail=f"plain HTTP requests for {names} are redirected to HTTPS ({d.redirect_code}) as the "
                          f"controller did, but no Ingress lists {names} in spec.tls with a secretName, so the "
                          "Gateway has no HTTPS listener for it: the redirected requests, and every HTTPS request "
                          f"for {names}, get no answer. The controller served them over HTTPS with its default "
                          "certificate (the Secret of its --default-ssl-certificate flag, else a self-signed "
                          "'Kubernetes Ingress Controller Fake Certificate')",
                   remedy=f"Add {names} to spec.tls with a certificate Secret (the one the controller's "
                          "--default-ssl-certificate names, or one of its own, e.g. from cert-manager) and convert "
                          "again. If TLS ends in front of the gateway instead, no HTTPS listener is needed, but "
                          "match X-Forwarded-Proto: http on the redirect rule or it loops.")


@REGISTRY.annotation(
    "preserve-trailing-slash", area="redirect", status=Status.TRANSLATED,
    maps_to="HTTPRoute RequestRedirect (keeps the path as is)",
    parse=parse_bool,
)
def preserve_trailing_slash(keep: bool, value: AnnotationValue, draft: IngressDraft, ctx: Context,
                            report: Report) -> None:
    redirects = draft.tls or any(r.force_ssl_redirect for r in draft.rules)
    if keep:
        code, detail = Code.ANNOTATION_TRANSLATED, ("Gateway API redirects keep the request path unchanged, "
                                                    "trailing slash included, as this annotation asked")
    elif redirects:
        code, detail = Code.ANNOTATION_LOSSY, ("the controller's HTTP->HTTPS redirect removed a trailing '/' "
                                               "(https://host/a/ -> https://host/a); Gateway API redirects keep it")
    else:
        code, detail = Code.ANNOTATION_TRANSLATED, "false is the default; no redirect of this Ingress is affected"
    report.add(code, location=value.loc(value=False), obj=value.origin_ref, provider=PROVIDER,
               annotation=value.key, value=value.text, detail=detail)


# --- explicit redirects ---------------------------------------------------------------------------


def redirect_for_url(url: str, code: int, origin: Origin) -> tuple[RequestRedirect | None, str]:
    """``return <code> <url>`` as a RequestRedirect, or (None, why not)."""
    if "$" in url.replace("$request_uri", "").replace("$host", "").replace("$http_host", ""):
        return None, f"{url!r} uses NGINX variables other than $request_uri/$host, which Gateway API cannot fill in"
    keep_path = url.endswith("$request_uri")
    head = url[: -len("$request_uri")] if keep_path else url
    host_var = next((v for v in _HOST_VARS if v in head), None)
    probe = head.replace(host_var, "placeholder.invalid") if host_var else head
    try:
        parts = urlsplit(probe)
        port = parts.port
    except ValueError as ex:
        return None, f"{url!r} is not a URL ({ex})"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None, f"{url!r} is not an absolute http(s) URL"
    if "$" in parts.path or "$" in parts.query or (host_var and parts.hostname != "placeholder.invalid"):
        return None, f"{url!r} uses NGINX variables in a place Gateway API cannot fill in"
    if parts.query or parts.fragment or (keep_path and parts.path):
        return None, (f"{url!r} carries a query, a fragment or a path before $request_uri; RequestRedirect can "
                      "only replace the path")
    scheme = parts.scheme.lower()
    if port == {"http": 80, "https": 443}[scheme]:
        port = None
    hostname = None if host_var else parts.hostname.lower()
    path = None if keep_path else (parts.path or "/")
    return RequestRedirect(scheme=scheme, hostname=hostname, port=port, replace_full_path=path, status_code=code,
                           origin=origin), ""


def _redirect(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report, *, kind: str,
              default: int, highest: int) -> None:
    url = value.text.strip()
    code_text = sibling(value, f"{kind}-redirect-code")
    common = dict(obj=value.origin_ref, provider=PROVIDER, annotation=value.key, value=value.text)
    if kind == "permanent" and (sibling(value, "temporal-redirect") or "").strip():
        report.add(Code.ANNOTATION_IGNORED, location=value.loc(value=False), **common,
                   detail="temporal-redirect is also set, and the controller uses it instead")
        return
    if not url:
        report.add(Code.ANNOTATION_INVALID_VALUE, location=value.loc(), **common,
                   detail="empty URL: the controller does not redirect")
        return
    code = default
    if code_text is not None:
        parsed = int_text(code_text)
        if parsed is None:
            report.add(Code.ANNOTATION_INVALID_VALUE, location=value.loc(value=False), **common,
                       detail=f"{kind}-redirect-code {code_text!r} is not an integer: the controller rejected the "
                              "redirect configuration of this Ingress and proxies its paths instead")
            return
        if 300 <= parsed <= highest:
            code = parsed
    if code in _NEVER:
        report.add(Code.ANNOTATION_UNSUPPORTED, location=value.loc(value=False), **common,
                   detail=f"redirect status {code} has no Gateway API equivalent (RequestRedirect allows 301, 302, "
                          "303, 307, 308); the paths of this Ingress were left proxying",
                   remedy="Use one of 301, 302, 303, 307, 308, or answer the redirect in the backend.")
        return
    intent, why = redirect_for_url(url, code, value.origin)
    if intent is None:
        report.add(Code.ANNOTATION_UNSUPPORTED, location=value.loc(), **common,
                   detail=f"{why}; the paths of this Ingress were left proxying",
                   remedy="Rewrite the redirect by hand (RequestRedirect filter) or answer it in the backend.")
        return
    for rule in draft.rules:
        rule.add(intent)


_REDIRECT_CAVEAT = ("Gateway API implementations usually append the request's query string to the Location, "
                    "which nginx's `return` did not.")
#: The two redirects (``<kind>-redirect`` and ``<kind>-redirect-code``): kind, the code the controller uses by
#: default and the highest it accepts.
_REDIRECT_KINDS = (("permanent", 301, 308), ("temporal", 302, 307))

for _kind, _default, _highest in _REDIRECT_KINDS:
    REGISTRY.annotation(
        f"{_kind}-redirect", produces=('RequestRedirect',), area="redirect", status=Status.TRANSLATED,
        maps_to="HTTPRoute rules[].filters[].requestRedirect{scheme, hostname, port, path.replaceFullPath, statusCode}",
        caveat=_REDIRECT_CAVEAT,
        remediation="Check clients that depend on the query string being dropped.",
    )(partial(_redirect, kind=_kind, default=_default, highest=_highest))


def _redirect_code(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report, *, kind: str,
                   default: int, highest: int) -> None:
    common = dict(obj=value.origin_ref, provider=PROVIDER, annotation=value.key, value=value.text)
    url = (sibling(value, f"{kind}-redirect") or "").strip()
    if not url:
        report.add(Code.ANNOTATION_IGNORED, location=value.loc(value=False), **common,
                   detail=f"has no effect without {kind}-redirect")
        return
    code = int_text(value.text)
    if code is None:
        report.add(Code.ANNOTATION_INVALID_VALUE, location=value.loc(), **common,
                   detail=f"{value.text!r} is not an integer; the controller dropped the redirect of this Ingress")
    elif not 300 <= code <= highest:
        report.add(Code.ANNOTATION_INVALID_VALUE, location=value.loc(), **common,
                   detail=f"{code} is outside 300-{highest}; the controller used {default}")
    else:
        report.add(Code.ANNOTATION_TRANSLATED, location=value.loc(value=False), **common,
                   detail=f"the status code of the {kind}-redirect (see its finding)")


for _kind, _default, _highest in _REDIRECT_KINDS:
    REGISTRY.annotation(f"{_kind}-redirect-code", area="redirect", status=Status.TRANSLATED,
                        maps_to="HTTPRoute rules[].filters[].requestRedirect.statusCode")(
        partial(_redirect_code, kind=_kind, default=_default, highest=_highest))


# --- app-root ------------------------------------------------------------------------------------


@REGISTRY.annotation(
    "app-root", produces=('RequestRedirect',), area="paths", status=Status.TRANSLATED,
    maps_to="HTTPRoute rule matches[].path{Exact /} with requestRedirect{path.replaceFullPath, statusCode: 302}",
    caveat=_REDIRECT_CAVEAT,
)
def app_root(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    root = value.text.strip()
    common = dict(obj=value.origin_ref, provider=PROVIDER, annotation=value.key, value=value.text)
    if not root.startswith("/") or root.startswith("//") or "?" in root or "#" in root or "$" in root:
        report.add(Code.ANNOTATION_INVALID_VALUE, location=value.loc(), **common,
                   detail=f"{root!r} is not a plain URL path (it must start with a single /); the controller "
                          "ignores it" if not root.startswith("/") or root.startswith("//") else
                          f"{root!r} carries a query, fragment or NGINX variable that RequestRedirect cannot hold")
        return
    # Server level: every host of this Ingress answers "/" with the redirect, whichever location serves "/".
    added: set = set()
    for i, rule in enumerate(list(draft.rules)):
        if rule.host in added or rule.origin.annotation:
            continue
        added.add(rule.host)
        redirect = RuleDraft(
            host=rule.host, match=Match(path=PathMatch(type="Exact", value="/")), backends=list(rule.backends),
            origin=value.origin, created=rule.created, serve_http=rule.serve_http, serve_https=rule.serve_https,
            ssl_redirect=rule.ssl_redirect, force_ssl_redirect=rule.force_ssl_redirect)
        redirect.add(RequestRedirect(replace_full_path=root, status_code=302, origin=value.origin))
        draft.rules.insert(0, redirect)  # ahead of an Exact / of the same Ingress, which it replaces
    if not added:
        report.add(Code.ANNOTATION_IGNORED, location=value.loc(value=False), **common,
                   detail="this Ingress has no rule, so no server of the controller carried the app-root redirect")


def _serves_root(rule: RuleDraft) -> bool:
    m = rule.match.path
    if m.type == "RegularExpression":
        return regex.matches_root(m.value)
    return m.value == "/"


@REGISTRY.annotation("enable-rewrite-log", area="observability", status=Status.IGNORED,
                     caveat="Turns on NGINX's rewrite_log (debug logging of rewrites); routing is unchanged.")
def enable_rewrite_log(value: AnnotationValue, draft: IngressDraft, ctx: Context, report: Report) -> None:
    parse_bool(value, report)


unsupported("relative-redirects", area="redirect")
unsupported("use-port-in-redirects", area="redirect", maps_to="HTTPRoute.spec.rules[].filters[].requestRedirect.port")
