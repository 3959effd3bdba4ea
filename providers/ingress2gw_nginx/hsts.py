"""HSTS: the ``Strict-Transport-Security`` header the controller adds to HTTPS responses without any annotation.

What the controller does (ConfigMap keys ``hsts``, ``hsts-max-age``, ``hsts-include-subdomains``, ``hsts-preload``;
https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/configmap/#hsts): ``header()`` in
``rootfs/etc/nginx/lua/lua_ingress.lua`` runs as ``header_filter_by_lua`` inside every ``location`` the controller
renders, and when ``hsts`` is on and ``$scheme`` is ``https`` it does
``ngx.header["Strict-Transport-Security"] = "max-age=<hsts-max-age>[; includeSubDomains][; preload]"``
(defaults: on, 31536000, includeSubDomains, no preload). So:

- only HTTPS: the connection's own scheme, not X-Forwarded-Proto (unlike ssl-redirect); plain HTTP never gets it,
  the HTTP-to-HTTPS redirect included;
- the header is *set*: a Strict-Transport-Security header from the backend is replaced;
- every response of a location gets it: proxied ones, the location's own ``return`` (permanent-/temporal-redirect),
  NGINX's 301 to a prefix location's trailing slash, the default backend's 404 from a host's root location;
- responses produced outside a location do not: app-root is a server-level ``if ($uri = /) { return 302 ...; }``
  (nginx.tmpl), and the from-to-www-redirect server answers with a server-level ``return``;
- custom-headers (``more_set_headers``, the headers-more filter, which runs after the Lua filter because the
  controller's NGINX build adds headers-more before lua-nginx-module) wins where its ConfigMap sets the header too.

Its "certificate configured" guard references a function without calling it (always true), so every HTTPS
response gets the header; the Gateway serves HTTPS only for hosts with a certificate in spec.tls, so those
hosts' HTTPS rules carry it. It becomes an HTTPS-only intent of each rule (``RuleDraft.https_intents``): a
ResponseHeaderModifier that sets the header, on the copy of the rule the HTTPS listener serves. Its origin is the
ConfigMap key when the ConfigMap in the input sets one of the keys, else the spec.tls entry of the Ingress that
gives the host its certificate. With ``--controller-defaults report`` nothing is rendered and each host gets a
``controller-default.lossy`` finding that says its HTTPS responses lose the header.
"""

from __future__ import annotations

from ingress2gw.plugin import (
    AnnotationSpec, AnnotationValue, Code, Context, HeaderModifier, IngressDraft, IngressProvider, ObjectRef, Origin,
    Report, RequestRedirect, RuleDraft, Status,
)

from ingress2gw_nginx import config, regex

PROVIDER = "ingress-nginx"
HEADER = "Strict-Transport-Security"
KEYS = ("hsts", "hsts-max-age", "hsts-include-subdomains", "hsts-preload")
#: provider_state key: host -> the HSTS intent of its HTTPS rules (shared by the drafts of one Gateway), read
#: when the provider places default backends.
STATE = "nginx.hsts"
#: Rules the controller answers outside any location (no header filter there).
_OUTSIDE_LOCATION = ("/app-root", "/from-to-www-redirect")


def header_value(ctx: Context) -> str:
    value = f"max-age={ctx.settings.get('hsts-max-age', 31536000)}"
    if ctx.settings.get("hsts-include-subdomains", True):
        value += "; includeSubDomains"
    if ctx.settings.get("hsts-preload", False):
        value += "; preload"
    return value


def apply(drafts: list[IngressDraft], ctx: Context, report: Report) -> None:
    """Give the HTTPS rules of every host with a certificate the controller's HSTS header (or, with
    ``--controller-defaults report``, one finding per host that says it is gone). Runs after every rule exists."""
    if not ctx.settings.get("hsts", True):
        return
    value = header_value(ctx)
    cm, key = _configmap_key(ctx)
    render = ctx.options.controller_defaults != "report"
    by_gateway: dict[str, list[IngressDraft]] = {}
    for d in drafts:
        by_gateway.setdefault(d.gateway, []).append(d)
    findings: dict[Origin, tuple[IngressDraft, list[str]]] = {}  # origin -> (draft to report on, hosts)
    for group in by_gateway.values():
        intents: dict[str | None, HeaderModifier] = {}
        routed = _every_path_routed(group)
        for host, owner, entry in _https_hosts(group):
            origin = (Origin(kind="ConfigMap", namespace=cm.namespace, name=cm.name, annotation=key,
                             location=cm.doc.locate(("data", key), part="key")) if cm is not None
                      else Origin(namespace=owner.origin.namespace, name=owner.origin.name, location=entry))
            if not render:
                report.add(Code.CONTROLLER_DEFAULT_LOSSY, location=origin.location, obj=_ref(owner),
                           provider=PROVIDER, annotation=key, value=value, detail=_omitted(host, value, cm, ctx))
                continue
            # The controller's 404 for a path no location matches came from the host's root location, with the
            # header; the Gateway answers such paths itself, without it, unless a rule matches every path.
            caveat = "" if host in routed else (
                f"HTTPS requests to {host or '*'} for paths no rule matches get the Gateway's own 404 without "
                f"{HEADER} (the controller's 404 came from the host's root location, with it)")
            intents[host] = HeaderModifier(direction="response", set=((HEADER, value),), origin=origin,
                                           caveat=caveat)
            findings.setdefault(origin, (owner, []))[1].append(host or "*")
        for d in group:
            d.provider_state[STATE] = intents
            for rule in d.rules:
                attach(d, rule)
    for origin, (owner, hosts) in findings.items():
        spec = AnnotationSpec(
            key, area="tls", status=Status.TRANSLATED, prefixed=False, kind="configmap-key",
            maps_to=f"HTTPRoute rules[].filters[].responseHeaderModifier.set {HEADER} (HTTPS listeners only)",
            caveat=_rendered(hosts, value, cm, ctx),
            remediation="Where a rule could not take the header (it already changes 16 response headers), let the "
                        "backend send it or use your implementation's HSTS option; hsts: \"false\" in the "
                        "controller ConfigMap turns it off on purpose.")
        found = AnnotationValue(key, key, value, origin, origin.location)
        IngressProvider.defer(owner, spec, found, about=ObjectRef("ConfigMap", cm.namespace, cm.name) if cm else None)


def attach(d: IngressDraft, rule: RuleDraft) -> None:
    """Give ``rule`` the HSTS intent of its host for its HTTPS copy (rules made later, such as the catch-alls of
    default backends, are attached by the provider when it makes them)."""
    intent = d.provider_state.get(STATE, {}).get(rule.host)
    if intent is None or not rule.serve_https or intent in rule.https_intents:
        return
    if rule.origin.annotation.endswith(_OUTSIDE_LOCATION):
        return
    if any(isinstance(i, HeaderModifier) and i.direction == "response"
           and any(name.lower() == HEADER.lower() for name, _ in i.set) for i in rule.intents):
        return  # custom-headers sets it: its filter runs after the controller's (module docstring)
    rule.https_intents.append(intent)


def _https_hosts(group: list[IngressDraft]):
    """(host, Ingress whose certificate the host's HTTPS listener uses, where its spec.tls entry is) for the hosts
    the Gateway serves over HTTPS: the oldest Ingress naming the host in spec.tls wins, as in the plan."""
    passthrough = {h for d in group for h, _ in d.passthrough}
    served = {r.host for d in group for r in d.rules if r.serve_https
              and not r.origin.annotation.endswith(_OUTSIDE_LOCATION)}
    namer: dict[str | None, IngressDraft] = {}
    for d in group:
        for h in d.hosts:
            namer.setdefault(h, d)
    served |= {h for h, d in namer.items() if d.default_backend is not None}
    seen: set = set()
    for d in group:
        for c in d.tls:
            if c.host in seen:
                continue
            seen.add(c.host)
            if c.host in served and c.host not in passthrough:
                yield c.host, d, _tls_entry(d, c.host)


def _every_path_routed(group: list[IngressDraft]) -> set[str | None]:
    """The hosts some HTTPS rule of which matches every path: a Prefix ``/`` path (``(?i)^/.*`` in regex mode),
    or the catch-all the provider places for the host's root location (``place_default_backends``): the default
    backend of the Ingress that created the host, or that Ingress's redirect (permanent-/temporal-redirect, a
    URL rewrite-target), which answers every path no rule matches."""
    hosts = {r.host for d in group for r in d.rules
             if r.serve_https and ((r.match.path.type == "PathPrefix" and r.match.path.value == "/")
                                   or (r.match.path.type == "RegularExpression"
                                       and r.match.path.value == "(?i)^/.*"))}
    owner: dict[str | None, IngressDraft] = {}
    for d in group:
        for h in d.hosts:
            owner.setdefault(h, d)
    return hosts | {h for h, d in owner.items() if d.default_backend is not None or _root_redirects(d)}


def _root_redirects(d: IngressDraft) -> bool:
    """Whether the root location of the hosts ``d`` created redirects (the provider's ``_root_intents``)."""
    if any(isinstance(i, RequestRedirect) and i.origin is not None
           and i.origin.annotation.endswith(("permanent-redirect", "temporal-redirect"))
           for r in d.rules for i in r.intents):
        return True
    return isinstance(d.provider_state.get(regex.ROOT, {}).get("rewrite"), RequestRedirect)


def _tls_entry(d: IngressDraft, host: str | None):
    """The spec.tls entry that lists the host (hosts added for aliases and www counterparts: the first entry)."""
    ing = d.source
    entries = [t for t in getattr(ing, "tls", []) if t.secret]
    for t in entries:
        if host in (h.strip().lower() for h in t.hosts):
            return ing.locate(t.doc_path)
    return ing.locate(entries[0].doc_path) if entries else d.origin.location


def _configmap_key(ctx: Context):
    """The controller ConfigMap and the first HSTS key it sets; (None, "hsts") when it sets none (the defaults
    apply, so the finding points at the Ingress's spec.tls instead)."""
    cm = config.find_configmap(ctx)
    data = cm.doc.obj.get("data") if cm is not None else None
    if isinstance(data, dict):
        for key in KEYS:
            if key in data:
                return cm, key
    return None, "hsts"


def _source(cm, ctx: Context) -> str:
    if cm is not None:
        data = cm.doc.obj.get("data") or {}
        return f"ConfigMap {cm.namespace}/{cm.name} sets " + ", ".join(k for k in KEYS if k in data)
    if ctx.settings.get("configmap"):
        return f"hsts defaults: ConfigMap {ctx.settings['configmap']} sets no hsts key"
    return "hsts defaults: no controller ConfigMap in the input"


def _rendered(hosts: list[str], value: str, cm, ctx: Context) -> str:
    return (f"the controller sent {HEADER}: {value} on every HTTPS response of {', '.join(hosts)} "
            f"({_source(cm, ctx)}); a ResponseHeaderModifier on the HTTPS route rules sets it, replacing a "
            "backend's own as the controller did; plain HTTP still gets none, as before")


def _omitted(host: str | None, value: str, cm, ctx: Context) -> str:
    name = host or "the host"
    scope = " and its subdomains" if "includeSubDomains" in value else ""
    return (f"hsts {HEADER}: {value} (what the controller sent on every HTTPS response of {host or '*'}; "
            f"{_source(cm, ctx)}): not written (--controller-defaults report): those responses carry only the "
            f"backend's own {HEADER}, if any, so browsers no longer learn to refuse plain HTTP for {name}{scope}")


def _ref(d: IngressDraft) -> ObjectRef:
    return ObjectRef("Ingress", d.origin.namespace, d.origin.name)
