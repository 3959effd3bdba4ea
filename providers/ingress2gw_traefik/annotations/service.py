"""``service.*`` annotations: Traefik reads them from the **Service** an Ingress path routes to.

The provider's ``finish`` step finds them on the Services of each Ingress and applies them to the rules
that route to that Service; on an Ingress they are ignored (reported).
https://doc.traefik.io/traefik/reference/routing-configuration/kubernetes/ingress/#on-service

PolicyIntent families (canonical, ``ingress2gw.model.policies``): ``native-lb`` (use the ClusterIP),
``servers-transport`` (name, namespace, insecure_skip_verify, dial_timeout), ``session-cookie``
(secure, httpOnly, sameSite, path, domain).
"""

from ingress2gw.plugin import (
    AnnotationValue, BackendTLS, Code, Context, IngressDraft, NativeLBPolicy, Report, RuleDraft, ServersTransportPolicy,
    SessionCookiePolicy, SessionPersistence, Status, Timeouts, URLRewrite,
)
from ingress2gw.plugin import parse_int

from ingress2gw_traefik.registry import REGISTRY

HANDLERS: dict = {}


def service_annotation(name: str, **kw):
    def register(fn):
        HANDLERS[name] = fn
        REGISTRY.declare(name, kind="service-annotation", **kw)
        return fn
    return register


def _bool(text: str) -> bool | None:
    t = text.strip().lower()
    return True if t in ("true", "1", "t") else False if t in ("false", "0", "f") else None


@service_annotation("service.serversscheme", produces=("BackendTLS",), area="backend", status=Status.TRANSLATED,
                    maps_to="BackendTLSPolicy (https); Service appProtocol kubernetes.io/h2c (h2c)")
def servers_scheme(value: AnnotationValue, rules: list[RuleDraft], ctx: Context, report: Report, svc) -> None:
    scheme = value.text.strip().lower()
    if scheme == "https":
        # Traefik verifies the certificate (unless its ServersTransport skips it: see servers_transport), for
        # the address it connects to: a pod IP, or the ServersTransport's serverName.
        host = f"{svc.name}.{svc.namespace}.svc"
        tls = BackendTLS(hostname=host, origin=value.origin,
                         caveat=f"Traefik checked the backend certificate for the pod address it connected to (or "
                                f"its ServersTransport's serverName); the gateway checks it for {host}")
        for r in rules:
            r.add(tls)
    elif scheme == "h2c":
        ports = {b.port for r in rules for b in r.backends}
        missing = [p.port for p in svc.ports if p.port in ports and p.app_protocol != "kubernetes.io/h2c"]
        report.add(Code.ANNOTATION_LOSSY if missing else Code.ANNOTATION_TRANSLATED, location=value.origin.location,
                   obj=value.origin_ref, provider="traefik", annotation=value.key, value=value.text,
                   detail=(f"h2c to {svc.namespace}/{svc.name} needs appProtocol: kubernetes.io/h2c on port(s) "
                           f"{', '.join(map(str, missing))} of the Service" if missing else
                           "the Service port already declares appProtocol kubernetes.io/h2c"))
    elif scheme != "http":
        report.add(Code.ANNOTATION_INVALID_VALUE, location=value.loc(), obj=value.origin_ref, provider="traefik",
                   annotation=value.key, value=value.text, detail=f"expected http, https or h2c, got {value.text!r}")


@service_annotation("service.passhostheader", produces=("URLRewrite",), area="backend", status=Status.LOSSY,
                    maps_to="URLRewrite hostname = the Service's DNS name",
                    reason="Traefik sends the server address (a pod IP) as Host; the rewrite uses the "
                           "Service's DNS name.")
def pass_host_header(value: AnnotationValue, rules, ctx, report, svc) -> None:
    enabled = _bool(value.text)
    if enabled is None:
        report.add(Code.ANNOTATION_INVALID_VALUE, location=value.loc(), obj=value.origin_ref, provider="traefik",
                   annotation=value.key, value=value.text, detail=f"expected true or false, got {value.text!r}")
        return
    if enabled:
        report.add(Code.ANNOTATION_TRANSLATED, location=value.origin.location, obj=value.origin_ref,
                   provider="traefik", annotation=value.key, value=value.text,
                   detail="the client Host is kept, as Gateway API does by default")
        return
    rw = URLRewrite(hostname=f"{svc.name}.{svc.namespace}.svc.cluster.local", origin=value.origin,
                    caveat="Traefik sent the pod address as Host; the Service DNS name is used instead")
    for r in rules:
        r.add(rw)


@service_annotation("service.sticky.cookie", produces=("SessionPersistence", "session-cookie"), area="affinity", status=Status.TRANSLATED,
                    maps_to="HTTPRoute rules[].sessionPersistence (experimental)")
def sticky_cookie(value: AnnotationValue, rules, ctx, report, svc) -> None:
    if not _bool(value.text):
        return
    ann = {k.lower(): v for k, v in svc.annotations.items()}
    prefix = "traefik.ingress.kubernetes.io/service.sticky.cookie."
    name = ann.get(prefix + "name")
    maxage = ann.get(prefix + "maxage")
    timeout, lifetime = None, None
    age = parse_int(maxage) if maxage and maxage.strip().lstrip("-").isdigit() else None
    if age is not None and age > 0:
        timeout, lifetime = f"{age}s", "Permanent"
    names = {"secure": "secure", "httponly": "httpOnly", "samesite": "sameSite", "path": "path", "domain": "domain"}
    attrs = {}
    for key, canonical in names.items():
        if prefix + key in ann:
            text = ann[prefix + key]
            attrs[canonical] = _bool(text) if key in ("secure", "httponly") and _bool(text) is not None else text
    sp = SessionPersistence(type="Cookie", session_name=name, absolute_timeout=timeout, lifetime=lifetime,
                            origin=value.origin,
                            caveat="the cookie value format changes at cut-over, so existing sessions re-balance once")
    for r in rules:
        r.add(sp)
        if attrs:
            r.add(SessionCookiePolicy(origin=value.origin, **attrs))


for _attr in ("name", "maxage", "secure", "httponly", "samesite", "path", "domain"):
    REGISTRY.declare(f"service.sticky.cookie.{_attr}", kind="service-annotation", area="affinity",
                     status=Status.TRANSLATED if _attr in ("name", "maxage") else Status.POLICY,
                     reason="Read together with service.sticky.cookie.")


@service_annotation("service.nativelb", produces=("native-lb",), area="backend", status=Status.POLICY,
                    reason="Load-balancing to the ClusterIP needs an implementation policy.")
def native_lb(value: AnnotationValue, rules, ctx, report, svc) -> None:
    if _bool(value.text):
        intent = NativeLBPolicy(origin=value.origin)
        for r in rules:
            r.add(intent)


@service_annotation("service.serverstransport", produces=("BackendTLS", "Timeouts", "servers-transport"), area="backend", status=Status.LOSSY,
                    maps_to="BackendTLSPolicy (serverName, rootCAs), timeouts.backendRequest "
                            "(responseHeaderTimeout), policy (insecureSkipVerify, dialTimeout)")
def servers_transport(value: AnnotationValue, rules, ctx, report, svc) -> None:
    ref = value.text.strip()
    name, _, _provider = ref.partition("@")
    # <namespace>-<name>: the split is ambiguous when either has a dash. Traefik keeps the traefik.io object over
    # the traefik.containo.us one of the same namespace/name; among the others, the choice must not depend on
    # the order of the inputs.
    hits = sorted((obj for obj in ctx.inventory.others.get("ServersTransport", [])
                   if f"{obj.namespace}-{obj.name}" == name),
                  key=lambda o: (o.namespace, o.name, not o.api_version.startswith("traefik.io/")))
    found = hits[0] if hits else None
    if len({(o.namespace, o.name) for o in hits}) > 1:
        report.add(Code.ANNOTATION_UNSUPPORTED, location=value.loc(), obj=value.origin_ref, provider="traefik",
                   annotation=value.key, value=value.text,
                   detail=f"ServersTransport {ref} is ambiguous: it names "
                          f"{', '.join(sorted({o.namespace + '/' + o.name for o in hits}))}; its settings were not "
                          "translated")
        return
    if found is None:
        report.add(Code.ANNOTATION_UNSUPPORTED, location=value.loc(), obj=value.origin_ref, provider="traefik",
                   annotation=value.key, value=value.text,
                   detail=f"ServersTransport {ref} is not in the input; its settings were not translated")
        return
    spec = found.doc.obj.get("spec") or {}
    timeouts = spec.get("forwardingTimeouts") or {}
    skip = bool(spec.get("insecureSkipVerify"))
    for r in rules:
        if skip:
            _unverified(r, value.origin)
        if spec.get("serverName") or spec.get("rootCAs"):
            r.add(BackendTLS(hostname=str(spec.get("serverName") or f"{svc.name}.{svc.namespace}.svc"),
                             verify=not skip, origin=value.origin,
                             caveat="rootCAs Secrets must be copied into a ConfigMap" if spec.get("rootCAs")
                             and not skip else ""))
        if timeouts.get("responseHeaderTimeout"):
            r.add(Timeouts(backend_request=str(timeouts["responseHeaderTimeout"]), origin=value.origin,
                           caveat="responseHeaderTimeout bounds the wait for headers; backendRequest bounds the "
                                  "whole backend request"))
        if spec.get("insecureSkipVerify") or timeouts.get("dialTimeout"):
            r.add(ServersTransportPolicy(origin=value.origin, name=found.name, namespace=found.namespace,
                                         insecure_skip_verify=bool(spec.get("insecureSkipVerify")),
                                         dial_timeout=str(timeouts.get("dialTimeout", "")) or None))


def _unverified(rule: RuleDraft, origin) -> None:
    """The ServersTransport skips certificate verification: the rule's TLS to the Service (serversscheme
    https) is not verified, and the ServersTransport's finding answers for that (``verify``)."""
    for i, intent in enumerate(rule.intents):
        if isinstance(intent, BackendTLS) and intent.verify:
            rule.intents[i] = intent.model_copy(update={
                "verify": False, "caveat": "", "field_origins": intent.field_origins + (("verify", origin),)})


@service_annotation("service.middlewares", area="middlewares", status=Status.TRANSLATED,
                    maps_to="filters of every rule routing to the Service (after router middlewares)")
def service_middlewares(value: AnnotationValue, rules, ctx, report, svc) -> None:
    from ingress2gw_traefik import middlewares as mw, provider

    draft = ctx.settings["current_draft"]
    refs = [r.strip() for r in value.text.split(",") if r.strip()]
    resolved = mw.apply(refs, value, draft, rules, ctx, report, provider)
    report.add(Code.ANNOTATION_TRANSLATED, location=value.origin.location, obj=value.origin_ref, provider="traefik",
               annotation=value.key, value=value.text,
               detail=f"{resolved} of {len(refs)} middleware reference(s) resolved, applied to the rules routing "
                      f"to {svc.name}")


REGISTRY.declare("service.nodeportlb", kind="service-annotation", area="backend", status=Status.IGNORED,
                 reason="NodePort load-balancing is for Traefik outside the cluster; gateways run in it.")


def apply_service_annotations(draft: IngressDraft, ctx: Context, report: Report, provider, prefix: str) -> None:
    """Apply the ``service.*`` annotations of each Service the Ingress routes to."""
    from dataclasses import replace

    from ingress2gw.plugin import ObjectRef, Origin

    ctx.settings["current_draft"] = draft
    services = []
    for r in draft.rules:
        for b in r.backends:
            if (b.namespace, b.name) not in services:
                services.append((b.namespace, b.name))
    for ns, name in services:
        svc = ctx.service(ns, name)
        if svc is None:
            continue
        rules = [r for r in draft.rules if any((b.namespace, b.name) == (ns, name) for b in r.backends)]
        for key in sorted(svc.annotations):
            if not key.lower().startswith(prefix):
                continue
            short = key[len(prefix):]
            spec = REGISTRY.lookup(short)
            origin = Origin(kind="Service", namespace=ns, name=name, annotation=key,
                            location=svc.annotation_location(key))
            value = AnnotationValue(key, short, svc.annotations[key], origin, svc.annotation_location(key, part="value"))
            ref = ObjectRef("Ingress", draft.origin.namespace, draft.origin.name)
            if spec is None or spec.kind != "service-annotation":
                report.add(Code.ANNOTATION_UNKNOWN if spec is None else Code.ANNOTATION_IGNORED,
                           location=origin.location, obj=ref, provider="traefik", annotation=key,
                           value=value.text, detail=f"{key} on Service {ns}/{name} is "
                           + ("not an annotation Traefik knows" if spec is None else
                              "a router annotation; Traefik reads it only on the Ingress"),
                           dimensions=frozenset())  # Traefik never read it there: no request changes
                continue
            handler = HANDLERS.get(spec.name)
            bound = None if handler is None else (
                lambda v, d, c, rp, _h=handler, _rules=rules, _svc=svc: _h(v, _rules, c, rp, _svc))
            provider.dispatch(replace(spec, handler=bound), value, draft, ctx, report, ref)
