"""Traefik provider for ingress2gw (uses only the public plugin API).

Core semantics of Traefik's Kubernetes Ingress provider
(https://doc.traefik.io/traefik/reference/routing-configuration/kubernetes/ingress/):
- ``Exact`` → ``Path``; ``Prefix`` and ``ImplementationSpecific`` → ``PathPrefix``, a *character* prefix.
- ``spec.tls`` only loads certificates; ``router.tls`` makes a router TLS-only; routers listen on the
  entry points of ``router.entrypoints`` (default: all), defined in static configuration.
- No HTTP→HTTPS redirect unless static configuration sets one.
- ``spec.defaultBackend`` becomes a lowest-priority ``PathPrefix(`/`)`` router for every host.
"""


from dataclasses import replace

from ingress2gw.plugin import (
    Code, Context, Ingress, IngressDraft, IngressPath, IngressProvider, Match, ObjectRef, OptionSpec, PathMatch, Report,
    RuleDraft, TLSCert, namespaced_name,
)

from ingress2gw_traefik import annotations as _annotations  # noqa: F401  (declares the registry)
from ingress2gw_traefik import middlewares as _middlewares  # noqa: F401  (declares the Middleware kinds)
from ingress2gw_traefik.annotations import router as _router
from ingress2gw_traefik.annotations.service import apply_service_annotations
from ingress2gw_traefik.priority import report_priority_differences
from ingress2gw_traefik.registry import PREFIX, REGISTRY

DEFAULT_ENTRYPOINTS = {"web": "HTTP", "websecure": "HTTPS"}


class Traefik(IngressProvider):
    name = "traefik"
    controllers = ("traefik.io/ingress-controller",)
    class_names = ("traefik",)
    registry = REGISTRY
    default_redirect_code = 301
    wildcard_one_label = ("Traefik matched {host} for exactly one label (a.{parent}, not a.b.{parent}); the Gateway "
                          "API hostname {host} also matches deeper subdomains")
    simulator = "ingress2gw.verify.traefik:simulate"
    options = (
        OptionSpec("traefik_entrypoints", "--traefik-entrypoint", list, [],
                   "Traefik entry point as NAME=HTTP|HTTPS (repeatable; default web=HTTP, websecure=HTTPS).",
                   config_key="traefik-entrypoints",
                   check=lambda eps: next((f"--traefik-entrypoint takes NAME=HTTP or NAME=HTTPS, got {ep!r}"
                                           for ep in eps if "=" not in ep
                                           or ep.split("=", 1)[1].upper() not in ("HTTP", "HTTPS")), None)),
        OptionSpec("traefik_strict_prefix_matching", "--traefik-strict-prefix-matching", bool, False,
                   "Traefik ran with providers.kubernetesIngress.strictPrefixMatching."),
        OptionSpec("traefik_redirect_to_https", "--traefik-redirect-to-https", bool, False,
                   "Traefik's web entry point redirected every request to websecure "
                   "(entryPoints.web.http.redirections)."),
        OptionSpec("traefik_default_certificate", "--traefik-default-certificate", str, None,
                   "NAMESPACE/SECRET of Traefik's default TLS certificate (else a TLSStore named default from the "
                   "input).", check=namespaced_name("--traefik-default-certificate", "SECRET")),
    )

    def configure(self, ctx: Context, report: Report) -> None:
        eps = dict(DEFAULT_ENTRYPOINTS)
        given = ctx.options.traefik_entrypoints
        if given:
            eps = {}
            for item in given:
                name, _, proto = item.partition("=")
                eps[name.strip()] = proto.strip().upper() or "HTTP"
        ctx.settings["entrypoints"] = eps
        ctx.settings["strict_prefix"] = bool(ctx.options.traefik_strict_prefix_matching)
        ctx.settings["redirect_to_https"] = bool(ctx.options.traefik_redirect_to_https)
        ctx.settings["default_certificate"] = default_certificate(ctx)
        report.assumptions.setdefault(self.name, [
            "entry points: " + ", ".join(f"{k}={v}" for k, v in sorted(eps.items())),
            "routers without router.entrypoints listen on every entry point",
            "no global HTTP to HTTPS redirection on the web entry point",
            ("hosts without a certificate in spec.tls get the default certificate "
             f"{ctx.settings['default_certificate'][0]}/{ctx.settings['default_certificate'][1]} on HTTPS"
             if ctx.settings["default_certificate"] else
             "hosts without a certificate in spec.tls were served on TLS entry points with Traefik's "
             "default certificate; they get no HTTPS listener (give --traefik-default-certificate or a "
             "TLSStore named default)" + _stores_dropped(ctx)),
            "entryPoints.web.http.redirections to websecure: "
            + ("on (plain HTTP is redirected with 301)" if ctx.settings["redirect_to_https"] else "off"),
            "strictPrefixMatching=" + str(ctx.settings["strict_prefix"]).lower(),
        ])


    def implementation_specific(self, ing: Ingress, ip: IngressPath, ctx: Context,
                                report: Report) -> PathMatch | None:
        """``router.pathmatcher`` chooses the matcher of ImplementationSpecific paths (default PathPrefix)."""
        matcher = next((v.strip() for k, v in ing.annotations.items()
                        if k.lower() == (PREFIX + "router.pathmatcher").lower()), "PathPrefix")
        value = ip.path or "/"
        if matcher == "Path":
            return self.checked(ing, ip, PathMatch(type="Exact", value=value), report)
        if matcher == "PathRegexp":
            # Traefik's PathRegexp is an unanchored search (Go regexp); Gateway API implementations match
            # the whole path, so the pattern is padded to give the same answers.
            body = value[1:] if value.startswith("^") else ".*" + value
            body = body[:-1] if body.endswith("$") and not body.endswith("\\$") else body + ".*"
            report.add(Code.ANNOTATION_LOSSY, location=ing.locate(ip.doc_path + ("path",)), obj=ing.ref,
                       provider=self.name, annotation=PREFIX + "router.pathmatcher", value=value,
                       detail=f"PathRegexp {value!r} became RegularExpression {body!r}: the regex dialect and the "
                              "precedence of regex matches are implementation-specific in Gateway API")
            return PathMatch(type="RegularExpression", value=body)
        return self.traefik_prefix(ing, ip, ctx, report)

    def dispatch(self, spec, value, draft, ctx, report, ref):
        if spec.kind == "service-annotation" and value.origin.kind == "Ingress":
            report.add(Code.ANNOTATION_IGNORED, location=value.origin.location, obj=ref, provider=self.name,
                       annotation=value.key, value=value.text,
                       detail=f"{value.key} belongs on the Service; Traefik ignores it on an Ingress",
                       dimensions=frozenset())  # ignored by Traefik too: no request changes
            return
        super().dispatch(spec, value, draft, ctx, report, ref)

    def path_match(self, ing: Ingress, ip: IngressPath, ctx: Context, report: Report) -> PathMatch | None:
        if ip.path_type == "Prefix":
            return self.traefik_prefix(ing, ip, ctx, report)
        return super().path_match(ing, ip, ctx, report)

    def traefik_prefix(self, ing: Ingress, ip: IngressPath, ctx: Context, report: Report) -> PathMatch | None:
        match = self.prefix_match(ing, ip, report)
        value = ip.path or "/"
        if match is not None and not ctx.settings.get("strict_prefix") and value != "/" and not value.endswith("/"):
            report.add(Code.PATH_CHARACTER_PREFIX, location=ing.locate(ip.doc_path + ("path",)), obj=ing.ref,
                       provider=self.name, value=value,
                       detail=f"Traefik PathPrefix({value!r}) is a character prefix that also matched "
                              f"{value + 'x'!r}; Gateway API PathPrefix {match.value!r} matches whole segments")
        elif match is not None and not ctx.settings.get("strict_prefix") and value.rstrip("/"):
            # The character prefix /v1/ never matched /v1; Gateway API ignores the trailing slash
            # (traefik-routing-rules.md §6: "/foo/ gains /foo").
            base = value.rstrip("/")
            report.add(Code.PATH_CHARACTER_PREFIX, location=ing.locate(ip.doc_path + ("path",)), obj=ing.ref,
                       provider=self.name, value=value,
                       detail=f"Traefik PathPrefix({value!r}) is a character prefix that did not match {base!r}; "
                              f"Gateway API PathPrefix {match.value!r} matches whole segments and also matches "
                              f"{base!r}")
        return match

    def apply_tls(self, ing: Ingress, draft: IngressDraft, ctx: Context, report: Report) -> None:
        draft.ssl_redirect = False
        draft.redirect_code = self.default_redirect_code
        for tls in ing.tls:
            if not tls.secret:
                continue  # Traefik then uses its default certificate (reported with the provider defaults)
            for host in tls.hosts:
                draft.tls.append(TLSCert(host=host.strip().lower(), namespace=ing.namespace, secret=tls.secret))
        default = ctx.settings.get("default_certificate")
        if default:
            # Traefik answers TLS for any SNI no other certificate matches with its default certificate, so
            # rules without a host (and the default-router of spec.defaultBackend) get it too: an HTTPS listener
            # without hostname (host None).
            covered = {c.host for c in draft.tls}
            for host in dict.fromkeys(draft.hosts + ([None] if draft.default_backend is not None else [])):
                if host not in covered:
                    draft.tls.append(TLSCert(host=host, namespace=default[0], secret=default[1]))

    def finish(self, ing: Ingress, draft: IngressDraft, ctx: Context, report: Report) -> None:
        eps = ctx.settings["entrypoints"]
        protocols = draft.provider_state.get("entrypoints", set(eps.values()))
        tls_only = draft.provider_state.get("tls", False)
        serve_http = "HTTP" in protocols and not tls_only
        serve_https = "HTTPS" in protocols or tls_only
        for rule in draft.rules:
            rule.serve_http, rule.serve_https = serve_http, serve_https
            if ctx.settings.get("redirect_to_https") and serve_http:
                rule.force_ssl_redirect = True  # the web entry point redirects every request to websecure
        draft.provider_state["serve"] = (serve_http, serve_https)
        apply_service_annotations(draft, ctx, report, self, PREFIX.lower())

    def post_process(self, drafts: list[IngressDraft], ctx: Context, report: Report) -> None:
        report_certificates(drafts, report, self.name)
        priorities = {}
        for d in drafts:
            explicit = d.provider_state.get("priority")
            if explicit is not None:
                for r in d.rules:
                    priorities[id(r)] = explicit
        by_gateway: dict = {}
        for d in drafts:
            by_gateway.setdefault(d.gateway, []).append(d)
        for group in by_gateway.values():
            report_priority_differences(group, priorities, report)

    def place_default_backends(self, drafts: list[IngressDraft], report: Report) -> list[RuleDraft]:
        """The rules without host on every host, then one ``default-router`` (lowest priority, every host): the
        first Ingress's default backend wins."""
        return hostless_on_every_host(drafts) + self._default_router(drafts, report)

    def _default_router(self, drafts: list[IngressDraft], report: Report) -> list[RuleDraft]:
        owner = None
        for d in drafts:
            if d.default_backend is None:
                continue
            if owner is None:
                owner = d
            else:
                report.add(Code.ROUTE_DEFAULT_BACKEND_SHADOWED, location=d.default_backend_origin.location,
                           obj=ObjectRef("Ingress", d.origin.namespace, d.origin.name), provider=self.name,
                           detail=f"Traefik keeps one default backend; Ingress {owner.origin.key} already set it")
        if owner is None:
            return []
        hosts: list[str | None] = [None]
        for d in drafts:
            for h in d.hosts:
                if h not in hosts:
                    hosts.append(h)
        serve_http, serve_https = owner.provider_state.get("serve", (True, True))
        return [RuleDraft(host=h, match=Match(path=PathMatch(type="PathPrefix", value="/")),
                          backends=[owner.default_backend], origin=owner.default_backend_origin,
                          created=owner.created, is_default_backend=True, serve_http=serve_http,
                          serve_https=serve_https) for h in hosts]


def hostless_on_every_host(drafts: list[IngressDraft]) -> list[RuleDraft]:
    """A rule without host is a router without ``Host()`` in the same muxer as the routers of every host
    (traefik-routing-rules.md §2: one muxer per entry point, routers sorted by priority, the first match serves).
    A request for a host that none of that host's routers matches falls through to it, and a hostless router of
    higher priority takes a host's requests. On the Gateway, listener isolation sends a host's requests only to the
    routes of that host's listener, so the rules without host are repeated on every host of the Gateway. They are
    placed after the explicit rules (a copy whose path the host already has is dropped: the host's router, with its
    longer rule string, won in Traefik); the orders that still differ are route.priority findings."""
    hosts: list[str] = []
    for d in drafts:
        for h in d.hosts:
            if h is not None and h not in hosts:
                hosts.append(h)
    out: list[RuleDraft] = []
    for d in drafts:
        for r in d.rules:
            if r.host is None and not r.is_default_backend:
                out += [replace(r, host=h, is_default_backend=True, intents=list(r.intents),
                                https_intents=list(r.https_intents)) for h in hosts]
    return out


def report_certificates(drafts: list[IngressDraft], report: Report, provider: str) -> None:
    """Routers served on a TLS entry point need a certificate for their host on the Gateway.

    Traefik answers on websecure (TLS in static configuration) for any host: with a certificate of some
    Ingress's spec.tls whose name matches, else its default certificate (the TLSStore named default, else one
    it generates). The manifests name the default certificate only through --traefik-default-certificate or
    a TLSStore in the input; with it, every host gets an HTTPS listener (rules without a host: a listener
    without hostname, see ``apply_tls``), and without it the Gateway gets no HTTPS listener for a host that
    no spec.tls covers. This reports, once per Ingress, on the annotation that put the router on TLS
    (router.tls, else router.entrypoints):
    unsupported when the paths are left with no route at all, lossy when plain HTTP still serves them; or,
    without such an annotation, when plain HTTP only redirects to the missing listener (entry-point
    redirection, a redirectScheme Middleware).
    """
    for d in drafts:
        eps = d.provider_state.get(_router.ENTRYPOINTS)
        tls = d.provider_state.get(_router.TLS)
        gateway = [o for o in drafts if o.gateway == d.gateway]
        covered = {c.host for o in gateway for c in o.tls}
        lost = [r for r in d.rules if r.serve_https and r.host not in covered]
        hosts = list(dict.fromkeys(r.host for r in lost))
        # Rules of those hosts that still answer on plain HTTP (neither TLS-only nor redirected to HTTPS).
        unreachable = [h for h in hosts if not any(r.host == h and r.serve_http and not r.force_ssl_redirect
                                                   for r in d.rules)]
        cause = tls if tls is not None else (eps[0] if eps is not None and "HTTPS" in
                                             d.provider_state.get("entrypoints", set()) else None)
        # eps[1]: the handler reported unknown entry points, which is that annotation's finding.
        deferred = [v for v in (tls, eps[0] if eps is not None and not eps[1] else None) if v is not None]
        for value in deferred:
            if value is cause and hosts:
                continue  # reported below, with the certificate it needs
            spec = REGISTRY.lookup(value.name)
            report.add(Code.ANNOTATION_TRANSLATED, location=value.origin.location, obj=value.origin_ref,
                       provider=provider, annotation=value.key, value=value.text,
                       detail=spec.caveat or Code.ANNOTATION_TRANSLATED.info.title, remedy=spec.remediation)
        if not hosts or (cause is None and not unreachable):
            continue  # plain HTTP still serves them: the provider defaults say HTTPS got no listener
        names = ", ".join(h or "every host (rules without host)" for h in hosts)
        paths = ", ".join(dict.fromkeys(f"{r.source_path or '/'} on {r.host or 'any host'}" for r in lost
                                        if r.host in unreachable))
        why = (f"Traefik served {names} over TLS with its default certificate, but no certificate is known "
               "for it (no spec.tls secretName of any Ingress, no --traefik-default-certificate, no TLSStore "
               "named default in the input), so the Gateway has no HTTPS listener for it: ")
        if unreachable:
            what = f"no route was emitted for {paths}, and every request Traefik answered there now gets no answer"
        else:
            what = f"HTTPS requests for {names} get no answer (plain HTTP still serves them)"
        remedy = ("Pass the certificate Traefik served (--traefik-default-certificate NAMESPACE/SECRET, or the "
                  "TLSStore named default in the input), or give the host a spec.tls entry with a secretName, "
                  "and convert again.")
        if cause is not None:
            report.add(Code.ANNOTATION_UNSUPPORTED if unreachable else Code.ANNOTATION_LOSSY,
                       location=cause.origin.location, obj=cause.origin_ref, provider=provider,
                       annotation=cause.key, value=cause.text,
                       detail=f"{cause.name}: {cause.text} serves the routers on a TLS entry point. {why}{what}",
                       remedy=remedy)
        else:
            report.add(Code.TLS_DEFAULT_CERTIFICATE, location=d.origin.location,
                       obj=ObjectRef("Ingress", d.origin.namespace, d.origin.name), provider=provider,
                       detail=f"plain HTTP for {names} only redirects to HTTPS (entry-point redirection or a "
                              f"redirectScheme Middleware). {why}{what}", remedy=remedy)


def default_certificate(ctx: Context) -> tuple[str, str] | None:
    """--traefik-default-certificate NS/NAME, else the TLSStore named ``default`` in the input.

    Traefik reads one TLSStore named ``default``: when several namespaces define one, it drops them all and logs
    an error (CRD provider, buildTLSStores), so no certificate of theirs is known. Within a namespace the
    ``traefik.io`` object wins over the legacy ``traefik.containo.us`` one (v2.10-v2.11 read both).
    """
    given = ctx.options.traefik_default_certificate
    if given and "/" in given:
        ns, _, name = given.partition("/")
        return ns, name
    stores: dict[str, object] = {}
    for store in ctx.inventory.others.get("TLSStore", []):
        if store.name == "default" and store.api_version.startswith(("traefik.io/", "traefik.containo.us/")):
            kept = stores.get(store.namespace)
            if kept is None or not kept.api_version.startswith("traefik.io/"):
                stores[store.namespace] = store
    if len(stores) != 1:
        return None
    store = next(iter(stores.values()))
    spec = store.doc.obj.get("spec") or {}
    secret = (spec.get("defaultCertificate") or {}).get("secretName") if isinstance(spec, dict) else None
    if isinstance(secret, str) and secret:
        return store.namespace, secret
    return None


def _stores_dropped(ctx: Context) -> str:
    namespaces = default_store_namespaces(ctx)
    if len(namespaces) < 2 or ctx.options.traefik_default_certificate:
        return ""
    return (f"; a TLSStore named default is defined in several namespaces ({', '.join(namespaces)}): Traefik "
            "ignores all of them and serves its generated certificate")


def default_store_namespaces(ctx: Context) -> list[str]:
    """Namespaces with a TLSStore named ``default`` (more than one: Traefik uses none of them)."""
    return sorted({s.namespace for s in ctx.inventory.others.get("TLSStore", [])
                   if s.name == "default" and s.api_version.startswith(("traefik.io/", "traefik.containo.us/"))})


provider = Traefik()
