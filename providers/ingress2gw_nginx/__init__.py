"""ingress-nginx provider for ingress2gw (uses only the public plugin API).

Core semantics of the controller (https://kubernetes.github.io/ingress-nginx/user-guide/ingress-path-matching/):
- ``ImplementationSpecific`` (or no pathType) is Prefix (internal/k8s ``SetDefaultNGINXPathType``): ``/p`` is the
  location ``/p/`` plus ``= /p``, element-wise like PathPrefix; only regex mode makes paths character prefixes.
- A host gets its certificate from the oldest Ingress with a ``spec.tls`` section and a rule for it (``tls``): an
  HTTPS server, and plain HTTP redirected (308), also when that is the controller's default certificate (a host
  the section does not list), which gets no HTTPS listener. A wildcard host matches exactly one label.
- ``spec.defaultBackend`` serves the root location of the hosts its Ingress creates, and, on an Ingress
  without rules, the catch-all server.
"""

from dataclasses import replace
from pathlib import Path

from ingress2gw.plugin import (
    Code, Context, Ingress, IngressDraft, IngressPath, IngressProvider, Match, OptionSpec, Origin, PathMatch, Report,
    RequestRedirect, RuleDraft, gateway_path_ok,
)

from ingress2gw_nginx import annotations as _annotations  # noqa: F401  (declares the registry)
from ingress2gw_nginx import canary, config, hsts, regex, tls
from ingress2gw_nginx import streams as tcp_udp
from ingress2gw_nginx.annotations import hosts, redirects, timeouts
from ingress2gw_nginx.registry import PREFIX, REGISTRY


class IngressNginx(IngressProvider):
    name = "ingress-nginx"
    controllers = ("k8s.io/ingress-nginx",)
    class_names = ("nginx",)
    registry = REGISTRY
    default_redirect_code = 308
    # buildServerName (template.go): the server name is ~^(?<subdomain>[\w-]+)\.<parent>$, one label.
    beyond_annotations = ("Besides annotations, the controller's ConfigMap sets global defaults (reported as "
                          "`provider.defaults`), and its `tcp-services` / `udp-services` ConfigMaps become TCP/UDP "
                          "listeners with TCPRoutes/UDPRoutes: see [streams.md](../streams.md).")
    wildcard_one_label = ("the controller's server name for {host} is a regex that matches exactly one label "
                          "(x.{parent}, not x.y.{parent}, which its catch-all server answered); the Gateway API "
                          "hostname {host} also matches deeper subdomains, and Gateway API cannot limit it to one")
    simulator = "ingress2gw.verify.nginx:simulate"
    options = (
        OptionSpec("annotations_prefix", "--annotations-prefix", str, None,
                   "ingress-nginx --annotations-prefix, if the controller used a custom one."),
        OptionSpec("controller_defaults", "--controller-defaults", str, "render",
                   "Settings the source controller applied without any annotation (ingress-nginx's 60s read timeout, "
                   "HSTS on TLS hosts): render (write them, so traffic behaves as before) or report (leave them out; "
                   "a finding per route group says what changes).", choices=("render", "report")),
        OptionSpec("regex_mode", "--regex-mode", str, "faithful",
                   "ingress-nginx regex paths: faithful (host-wide, case-insensitive regex as the controller did) or "
                   "strict (keep Exact/Prefix matches, report the difference).", choices=("faithful", "strict")),
        OptionSpec("controller_config", "--controller-config", Path, None,
                   "The ingress-nginx controller ConfigMap (YAML/JSON file), if it is not among the inputs.",
                   config_key=None, input=True),
    ) + tcp_udp.OPTIONS

    def streams(self, ctx: Context, report: Report):
        """The tcp-services / udp-services ConfigMaps (streams.py): a listener and TCPRoute/UDPRoute per port."""
        return tcp_udp.read(ctx, report)

    def annotation_prefixes(self, ctx: Context) -> tuple[str, ...]:
        custom = ctx.options.annotations_prefix
        if custom:
            return (custom.rstrip("/") + "/",)
        return (PREFIX,)

    def configure(self, ctx: Context, report: Report) -> None:
        config.configure(ctx, report)

    def post_process(self, drafts: list[IngressDraft], ctx: Context, report: Report) -> None:
        # Order matters: canary Ingresses merge into their main Ingress's rules; regex mode then applies
        # host-wide to every path of a host (canary ones included); host-wide annotations copy rules to
        # aliases and www counterparts; every rule then gets the controller's explicit timeouts; last,
        # paths whose meaning depended on regex mode are settled; the HSTS header goes on the HTTPS rules.
        canary.merge_canaries(drafts, ctx, report)
        regex.apply_regex_mode(drafts, ctx, report)
        tls.settle(drafts, report)  # the oldest Ingress with a tls section and a rule gives a host its certificate
        hosts.apply_host_wide(drafts, ctx, report)
        timeouts.apply_defaults(drafts, ctx, report)
        regex.settle_paths(drafts, report)
        tls.redirect_default_hosts(drafts)  # hosts with the controller's default certificate still redirect
        redirects.report_force_ssl_redirect(drafts, report)
        hsts.apply(drafts, ctx, report)  # last: every rule of a TLS host exists by now

    def path_match(self, ing: Ingress, ip: IngressPath, ctx: Context, report: Report) -> PathMatch | None:
        raw = ip.path or "/"
        plain = raw if ip.path_type == "Exact" else (raw.rstrip("/") or "/")
        if not gateway_path_ok(plain):
            # Not a Gateway API path (e.g. /api(/|$)(.*)): a regex if its host turns out to be in regex
            # mode, which is decided host-wide after every Ingress was read (regex.settle_paths).
            return PathMatch(type="RegularExpression", value=raw)
        return super().path_match(ing, ip, ctx, report)

    def implementation_specific(self, ing: Ingress, ip: IngressPath, ctx: Context,
                                report: Report) -> PathMatch | None:
        # The controller turns ImplementationSpecific into Prefix when the Ingress enters its store. On a host in
        # regex mode it is a regex like every path (regex.apply_regex_mode); --regex-mode strict keeps the
        # PathPrefix, reported by regex.settle_paths as the character prefix the regex was.
        return self.prefix_match(ing, ip, report)


    def apply_tls(self, ing: Ingress, draft: IngressDraft, ctx: Context, report: Report) -> None:
        draft.ssl_redirect = bool(ctx.settings.get("ssl-redirect", True))
        draft.redirect_code = int(ctx.settings.get("http-redirect-code", 308))

        for rule in draft.rules:
            rule.ssl_redirect = draft.ssl_redirect
        tls.apply(ing, draft, ctx, report, self.annotation_prefixes(ctx))

    def finish(self, ing: Ingress, draft: IngressDraft, ctx: Context, report: Report) -> None:
        """no-tls-redirect-locations (default /.well-known/acme-challenge): a location whose path starts with
        one of them is never redirected to HTTPS, whatever ssl-redirect/force-ssl-redirect say
        (nginx.tmpl: force_no_ssl_redirect = isLocationInLocationList)."""
        exempt = [p.strip() for p in str(ctx.settings.get("no-tls-redirect-locations", "/.well-known/acme-challenge")
                                           or "").split(",") if p.strip()]
        for rule in draft.rules:
            if rule.source_path and any(rule.source_path.startswith(p) for p in exempt):
                rule.ssl_redirect = rule.force_ssl_redirect = False

    def place_default_backends(self, drafts: list[IngressDraft], report: Report) -> list[RuleDraft]:
        """The controller's createServers: drafts come oldest first.

        - The catch-all server takes the default backend of the first Ingress that has one and no rules.
        - Each host's root location takes the default backend of the first Ingress that names the host,
          if that Ingress has one (otherwise the controller's own default backend answers 404).
        - In regex mode the root location is a regex too (``~* ^/``, the shortest, tried last), so the
          catch-all is a regex that yields to every other regex path and to an explicit ``/`` path.
        - A host's root location carries the annotations of the Ingress that created it: its permanent- or
          temporal-redirect answers every request no path matches, else its rewrite-target (compared with ``/``,
          ``regex.ROOT``) redirects them (a URL target) or rewrites them for the default backend.
        """
        regex_hosts = {(d.gateway, r.host) for d in drafts for r in d.rules
                       if r.match.path.type == "RegularExpression"}
        explicit_root = {(d.gateway, r.host) for d in drafts for r in d.rules
                         if r.source_path == "/" and r.source_path_type != "Exact" and not r.is_default_backend}
        out: list[RuleDraft] = []
        catch_all_taken = False
        host_owner: dict[str | None, IngressDraft] = {}
        for d in drafts:
            if d.default_backend is not None and not d.hosts:
                if catch_all_taken:
                    report.add(Code.ROUTE_DEFAULT_BACKEND_SHADOWED, location=d.default_backend_origin.location,
                               obj=_ref(d), provider=self.name,
                               detail="another Ingress already provides the catch-all default backend")
                    continue
                catch_all_taken = True
                # controller.go createServers: the catch-all's root, once an Ingress without rules took it, is
                # not replaced by another Ingress's hostless "/" path (verify/nginx.py; checked against NGINX).
                out.append(replace(_catch_all(d, None, (d.gateway, None) in regex_hosts), keeps_root=True))
            for host in d.hosts:
                host_owner.setdefault(host, d)
        for host, d in host_owner.items():
            key = (d.gateway, host)
            if host is None or key in explicit_root:
                continue
            # The root location the controller makes for the host carries the annotations of the Ingress that
            # defined the host (createServers: locationApplyAnnotations): its redirects answer every path no rule
            # matches, where the default backend (or the controller's 404) would have answered.
            intents = _root_intents(d)
            redirect = any(isinstance(i, RequestRedirect) for i in intents)
            if d.default_backend is not None:
                root = _catch_all(d, host, key in regex_hosts, backend=not redirect)
                root.intents.extend(intents)
                out.append(root)
            elif redirect:
                root = _catch_all(d, host, key in regex_hosts, backend=False)
                root.intents.extend(intents)
                out.append(root)
        # Hosts with the controller's default certificate: their root location redirects plain HTTP too.
        return out + tls.redirect_roots(drafts, out)


def _ref(d: IngressDraft):
    from ingress2gw.plugin import ObjectRef
    return ObjectRef("Ingress", d.origin.namespace, d.origin.name)


def _location_redirect(d: IngressDraft):
    """The permanent-/temporal-redirect of an Ingress (a location-level ``return``), if it has one."""
    for rule in d.rules:
        for intent in rule.intents:
            if (isinstance(intent, RequestRedirect) and intent.origin is not None
                    and intent.origin.annotation.endswith(("permanent-redirect", "temporal-redirect"))):
                return intent
    return None


def _root_intents(d: IngressDraft) -> list:
    """What the root location of a host ``d`` created does besides proxying, in nginx's order: the annotation
    redirect (``return``) first, else the rewrite-target's ``rewrite "(?i)/" <target> break`` (a redirect for a
    URL target; for a path, the rewrite and its X-Forwarded-Prefix)."""
    redirect = _location_redirect(d)
    if redirect is not None:
        return [redirect]
    root = d.provider_state.get(regex.ROOT, {})
    rewrite = root.get("rewrite")
    if rewrite is None:
        return []
    if isinstance(rewrite, RequestRedirect):
        return [rewrite]
    return [rewrite] + ([root["headers"]] if "headers" in root else [])


def _catch_all(d: IngressDraft, host: str | None, regex: bool = False, backend: bool = True) -> RuleDraft:
    origin: Origin = d.default_backend_origin if backend else d.origin
    path = PathMatch(type="RegularExpression", value="(?i)^/.*") if regex else PathMatch(type="PathPrefix", value="/")
    # A host's root location carries the annotations of the Ingress that defined the host, force-ssl-redirect
    # included; the catch-all server's root does not (createServers skips its rewrite annotations).
    rule = RuleDraft(host=host, match=Match(path=path),
                     backends=[d.default_backend] if backend else [], origin=origin, created=d.created,
                     is_default_backend=True,
                     ssl_redirect=d.ssl_redirect, force_ssl_redirect=d.force_ssl_redirect and host is not None)
    hsts.attach(d, rule)  # the root location's responses over HTTPS carry the HSTS header too
    return rule


provider = IngressNginx()
