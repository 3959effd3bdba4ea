"""The public plugin API. Providers (first-party ones in ``providers/`` included) import only this.

A provider is an object exposed through the ``ingress2gw.providers`` entry-point group. It knows which
Ingresses are its own (IngressClass controller, class names, annotation prefixes), turns each into an
``IngressDraft`` (the IR), and declares every annotation it knows in an ``AnnotationRegistry``.
``IngressProvider`` implements the core Ingress spec; a provider overrides the hooks where its
controller behaves differently (ImplementationSpecific paths, TLS, default backends).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

from pydantic import ValidationError

from ingress2gw.model.ir import (
    CORS, BackendTLS, ExternalAuth, HeaderMatch, HeaderModifier, IdleTimeout, IngressDraft, Intent, Match, Origin,
    PathMatch, PolicyIntent, RequestMirror, RequestRedirect, Retry, RuleDraft, ServiceBackend, SessionPersistence,
    Timeouts, TLSCert, Unmapped, URLRewrite,
)
from ingress2gw.model.policies import (
    AccessLogPolicy, BackendTLSOptionsPolicy, BandwidthLimitPolicy, BasicAuthPolicy, BodySizePolicy,
    CircuitBreakerPolicy, ClientBodyBufferPolicy, ClientCertForwardPolicy, ClientCertPolicy, CompressionPolicy,
    ConnectionLimitPolicy, EncodedCharactersPolicy, ErrorPagesPolicy, ExtAuthPolicy, GlobalAuthOptOutPolicy,
    GRPCWebPolicy, InFlightPolicy, IPAllowPolicy, IPDenyPolicy, LoadBalancerPolicy, NativeLBPolicy,
    ProxyBufferingPolicy, RateLimitPolicy, RegexRewritePolicy, RetryBudgetPolicy, ServersTransportPolicy,
    ServiceUpstreamPolicy, SessionCookiePolicy, SnippetPolicy, TracingPolicy, UpstreamTimeoutsPolicy, WAFPolicy,
)
from ingress2gw.report import Code, ObjectRef, Report, Status
from ingress2gw.source.location import Location
from ingress2gw.source.objects import Backend, Ingress, IngressPath, Inventory, KubeObject, Service, ServicePort

__all__ = [
    "AnnotationRegistry", "AnnotationSpec", "AnnotationValue", "BackendTLS", "CORS", "Code", "Context",
    "ExternalAuth", "HeaderMatch", "HeaderModifier", "IdleTimeout", "Ingress", "IngressDraft", "IngressPath",
    "IngressProvider",
    "Deferred", "FROM_OUTCOME", "Intent", "Inventory", "KubeObject", "Location", "REPORT_LATER", "Match", "ObjectRef", "Origin", "PathMatch", "PolicyIntent",
    "Report", "RequestMirror", "RequestRedirect", "Retry", "RuleDraft", "Service", "ServiceBackend",
    "ServicePort", "SessionPersistence", "Status", "TLSCert", "Timeouts", "URLRewrite", "Unmapped",
    "gateway_path_ok", "load_providers",
    # Policy families (one typed class each; ``ingress2gw.model.policies``), and what building one may raise.
    "AccessLogPolicy", "BackendTLSOptionsPolicy", "BandwidthLimitPolicy", "BasicAuthPolicy", "BodySizePolicy",
    "CircuitBreakerPolicy", "ClientBodyBufferPolicy", "ClientCertForwardPolicy", "ClientCertPolicy",
    "CompressionPolicy", "ConnectionLimitPolicy", "EncodedCharactersPolicy", "ErrorPagesPolicy", "ExtAuthPolicy",
    "GlobalAuthOptOutPolicy", "GRPCWebPolicy", "InFlightPolicy", "IPAllowPolicy", "IPDenyPolicy",
    "LoadBalancerPolicy", "NativeLBPolicy", "ProxyBufferingPolicy", "RateLimitPolicy", "RegexRewritePolicy",
    "RetryBudgetPolicy", "ServersTransportPolicy", "ServiceUpstreamPolicy", "SessionCookiePolicy", "SnippetPolicy",
    "TracingPolicy", "UpstreamTimeoutsPolicy", "ValidationError", "WAFPolicy",
]

ENTRY_POINT_GROUP = "ingress2gw.providers"

# ---------------------------------------------------------------------------------------------
# Annotations: one declaration per key, next to the code that handles it.


@dataclass(frozen=True)
class AnnotationValue:
    key: str  # the full key as written
    name: str  # the key without the provider prefix
    text: str
    origin: Origin  # points at the key
    value_location: Location  # points at the value
    #: Every annotation of the same object (for keys read together, e.g. all cors-* keys).
    siblings: dict = field(default_factory=dict, compare=False, repr=False)
    #: Where another annotation of the same object is (key -> Location), for ``sibling_origin``.
    locator: Callable[[str], Location] | None = field(default=None, compare=False, repr=False)

    def sibling(self, name: str) -> str | None:
        """Another annotation of the same object, with this key's prefix (``cors-allow-origin``)."""
        prefix = self.key[: len(self.key) - len(self.name)]
        return self.siblings.get(prefix + name)

    def sibling_origin(self, name: str) -> Origin | None:
        """The origin of another annotation of the same object (with this key's prefix), when it is set:
        name it in an intent's ``field_origins`` for the field it set, and its finding follows the
        emitter's answer for that field."""
        prefix = self.key[: len(self.key) - len(self.name)]
        key = prefix + name
        if key not in self.siblings or self.locator is None:
            return None
        return Origin(kind=self.origin.kind, namespace=self.origin.namespace, name=self.origin.name, annotation=key,
                      location=self.locator(key))

    def field_origins(self, fields: dict[str, str]) -> tuple[tuple[str, Origin], ...]:
        """``(field, origin)`` for the sibling annotations (``{sibling name: field}``) that are set."""
        out = []
        for name, fld in fields.items():
            o = self.sibling_origin(name)
            if o is not None:
                out.append((fld, o))
        return tuple(out)

    @property
    def origin_ref(self) -> ObjectRef:
        return ObjectRef(self.origin.kind, self.origin.namespace, self.origin.name)

    def loc(self, *, value: bool = True) -> Location:
        return self.value_location if value else self.origin.location


Handler = Callable[["AnnotationValue", IngressDraft, "Context", Report], object]

#: A handler returns this when a later pass (``IngressProvider.post_process``) reports the annotation's
#: outcome itself, e.g. keys whose effect depends on other Ingresses (canaries).
REPORT_LATER = object()
#: A handler returns this for a key read into another key's intent (``auth-signin`` into the ext-auth
#: policy of ``auth-url``, named in its ``field_origins``): the finding is derived from the emitter's answer
#: for that field, whichever key was read first.
FROM_OUTCOME = object()


@dataclass(frozen=True)
class Deferred:
    """A handler returns this to have its annotation's finding derived from the emitter's outcomes, with a
    finding of its own that stands unless the emitter holds the setting (see ``IngressProvider.defer``)."""

    standing: object = None
    yields: str = "held"


@dataclass(frozen=True)
class AnnotationSpec:
    name: str  # key without the prefix (or the full key when ``prefixed`` is False)
    area: str
    status: Status
    maps_to: str = ""
    caveat: str = ""
    remediation: str = ""
    aliases: tuple[str, ...] = ()
    handler: Handler | None = None
    #: False for keys outside the provider prefix (kubernetes.io/ingress.class, cert-manager...).
    prefixed: bool = True
    #: "annotation" (on the Ingress), "service-annotation" (on the Service), "legacy-annotation" /
    #: "legacy-label" (old spellings the controller no longer reads), "foreign-annotation" (another
    #: controller's key, which this one never read).
    kind: str = "annotation"
    #: current | alias | deprecated | removed
    lifecycle: str = "current"
    #: Regex for keys with an index placeholder (``router.tls.domains.n.main``), matched case-insensitively.
    pattern: str = ""
    #: What the handler attaches: intent class names (``CORS``, ``Retry``) and PolicyIntent families
    #: (``rate-limit``). The annotation × emitter matrix is computed from it.
    produces: tuple[str, ...] = ()

    def to_dict(self, prefix: str) -> dict:
        return {
            "key": (prefix + self.name) if self.prefixed else self.name,
            "area": self.area,
            "status": self.status.value,
            "kind": self.kind,
            "lifecycle": self.lifecycle,
            "mapsTo": self.maps_to or None,
            "caveat": self.caveat or None,
            "remediation": self.remediation or None,
            "aliases": [(prefix + a) if self.prefixed else a for a in self.aliases],
            "produces": list(self.produces),
        }


class AnnotationRegistry:
    """Every annotation a provider knows. Docs, the audit text and ``ingress2gw annotations`` read it."""

    def __init__(self, provider: str, prefix: str):
        self.provider = provider
        self.prefix = prefix
        self._specs: dict[str, AnnotationSpec] = {}
        self._by_name: dict[str, AnnotationSpec] = {}
        self._patterns: list[tuple[re.Pattern, AnnotationSpec]] = []

    def _register(self, spec: AnnotationSpec) -> None:
        for name in (spec.name, *spec.aliases):
            key = name.lower()
            if key in self._by_name:
                raise ValueError(f"{self.provider}: annotation {name!r} declared twice")
            self._by_name[key] = spec
        if spec.pattern:
            self._patterns.append((re.compile(spec.pattern, re.IGNORECASE), spec))
        self._specs[spec.name] = spec

    def annotation(self, name: str, *, area: str, status: Status = Status.TRANSLATED, maps_to: str = "",
                   caveat: str = "", remediation: str = "", aliases: Iterable[str] = (),
                   prefixed: bool = True, kind: str = "annotation", lifecycle: str = "current",
                   pattern: str = "", produces: Iterable[str] = ()):
        """Decorator: declare an annotation and register its handler."""

        def register(fn: Handler) -> Handler:
            self._register(AnnotationSpec(
                name, area, status, maps_to, caveat, remediation, tuple(aliases), fn, prefixed, kind,
                lifecycle, pattern, tuple(produces)))
            return fn

        return register

    def declare(self, name: str, *, area: str, status: Status, reason: str = "", remediation: str = "",
                maps_to: str = "", aliases: Iterable[str] = (), prefixed: bool = True,
                kind: str = "annotation", lifecycle: str = "current", pattern: str = "",
                produces: Iterable[str] = ()) -> None:
        """Declare an annotation that has no handler of its own (unsupported, ignored, read with another key...)."""
        self._register(AnnotationSpec(
            name, area, status, maps_to, reason, remediation, tuple(aliases), None, prefixed, kind,
            lifecycle, pattern, tuple(produces)))

    def set_produces(self, names: Iterable[str], *produces: str) -> None:
        """Say what keys declared in a loop (companions read with a main key) produce."""
        from dataclasses import replace

        for name in names:
            old = self._specs[name]
            new = replace(old, produces=tuple(produces))
            self._specs[name] = new
            for alias in (name, *old.aliases):
                self._by_name[alias.lower()] = new
            self._patterns = [(rx, new if sp is old else sp) for rx, sp in self._patterns]

    def lookup(self, name: str) -> AnnotationSpec | None:
        spec = self._by_name.get(name.lower())
        if spec is None:
            for rx, candidate in self._patterns:
                if rx.fullmatch(name):
                    return candidate
        return spec

    def specs(self) -> list[AnnotationSpec]:
        return sorted(self._specs.values(), key=lambda s: (not s.prefixed, s.name))


# ---------------------------------------------------------------------------------------------
# The translation context and the base provider.


@dataclass
class Context:
    """What a provider needs besides the Ingress: the inventory and the run's options."""

    inventory: Inventory
    options: dict = field(default_factory=dict)
    #: Provider-specific state set by ``IngressProvider.configure`` (e.g. the controller ConfigMap).
    settings: dict = field(default_factory=dict)

    def service(self, namespace: str, name: str) -> Service | None:
        return self.inventory.services.get((namespace, name))


# Characters Gateway API allows in Exact/PathPrefix values, and the sequences its CEL rules reject.
_PATH_OK = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+$")
_PATH_BAD = ("//", "/./", "/../", "%2f", "%2F", "#")
_HOST_OK = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def gateway_path_ok(value: str) -> bool:
    return (value.startswith("/") and bool(_PATH_OK.match(value)) and not any(b in value for b in _PATH_BAD)
            and not value.endswith(("/..", "/.")))


class IngressProvider:
    """Core Ingress semantics shared by providers; subclasses override the hooks below."""

    name: str = ""
    #: IngressClass ``spec.controller`` values this provider owns.
    controllers: tuple[str, ...] = ()
    #: Class names conventionally owned when no IngressClass object is in the input.
    class_names: tuple[str, ...] = ()
    registry: AnnotationRegistry
    #: Status code of the controller's default HTTP→HTTPS redirect.
    default_redirect_code: int = 308

    # -- hooks ----------------------------------------------------------------------------------
    def annotation_prefixes(self, ctx: Context) -> tuple[str, ...]:
        return (self.registry.prefix,)

    def configure(self, ctx: Context, report: Report) -> None:
        """Read global configuration (ConfigMaps, static config options) into ``ctx.settings``."""

    def implementation_specific(self, ing: Ingress, ip: IngressPath, ctx: Context,
                                report: Report) -> PathMatch | None:
        """ImplementationSpecific is the controller's own matching; default: treat as Prefix."""
        return self.prefix_match(ing, ip, report)

    def apply_tls(self, ing: Ingress, draft: IngressDraft, ctx: Context, report: Report) -> None:
        """Decide which rules are served on HTTP/HTTPS and which hosts get certificates."""

    def finish(self, ing: Ingress, draft: IngressDraft, ctx: Context, report: Report) -> None:
        """Called after the annotations were read, to settle what depends on several of them."""

    def post_process(self, drafts: list[IngressDraft], ctx: Context, report: Report) -> None:
        """Cross-Ingress semantics, after every Ingress of this provider was translated (e.g. settings
        that are host-wide in the controller, or Ingresses that modify another's routes)."""

    def place_default_backends(self, drafts: list[IngressDraft], report: Report) -> list[RuleDraft]:
        """Turn spec.defaultBackend of the drafts into catch-all rules, as the controller does."""
        return []

    # -- the core spec ------------------------------------------------------------------------------
    def translate(self, ing: Ingress, ctx: Context, report: Report, gateway: str,
                  ingress_class: str) -> IngressDraft:
        origin = Origin(namespace=ing.namespace, name=ing.name, location=ing.locate(()))
        draft = IngressDraft(origin=origin, provider=self.name, ingress_class=ingress_class, gateway=gateway,
                             created=ing.created, redirect_code=self.default_redirect_code, source=ing)
        if ing.default_backend is not None:
            draft.default_backend = self.resolve_backend(ing, ing.default_backend, ctx, report)
            draft.default_backend_origin = Origin(namespace=ing.namespace, name=ing.name,
                                                  location=ing.locate(ing.default_backend.path, part="key"))
        if not ing.rules and ing.default_backend is None:
            report.add(Code.INGRESS_EMPTY, location=origin.location, obj=ing.ref, provider=self.name)
        for rule in ing.rules:
            host = self.normalize_host(ing, rule.host, rule.doc_path, report)
            if host is False:
                continue
            if host not in draft.hosts:
                draft.hosts.append(host)
            for ip in rule.paths:
                match = self.path_match(ing, ip, ctx, report)
                if match is None or ip.backend is None:
                    continue
                backend = self.resolve_backend(ing, ip.backend, ctx, report, path=ip.path or "/")
                if backend is None:
                    continue
                draft.rules.append(RuleDraft(
                    host=host, match=Match(path=match), backends=[backend],
                    origin=Origin(namespace=ing.namespace, name=ing.name, location=ing.locate(ip.doc_path)),
                    created=ing.created, source_path=ip.path or "/", source_path_type=ip.path_type,
                ))
        self.apply_tls(ing, draft, ctx, report)
        self.apply_annotations(ing, draft, ctx, report)
        self.finish(ing, draft, ctx, report)
        return draft

    def normalize_host(self, ing: Ingress, host: str | None, path: tuple, report: Report):
        if not host:
            return None
        h = host.strip().lower().rstrip(".")
        if not _HOST_OK.match(h):
            report.add(Code.INPUT_INVALID_OBJECT, location=ing.locate(path + ("host",)), obj=ing.ref,
                       provider=self.name, detail=f"host {host!r} is not a valid DNS name or wildcard")
            return False
        return h

    def path_match(self, ing: Ingress, ip: IngressPath, ctx: Context, report: Report) -> PathMatch | None:
        if ip.path_type == "Exact":
            return self.checked(ing, ip, PathMatch(type="Exact", value=ip.path or "/"), report)
        if ip.path_type == "Prefix":
            return self.prefix_match(ing, ip, report)
        return self.implementation_specific(ing, ip, ctx, report)

    def prefix_match(self, ing: Ingress, ip: IngressPath, report: Report) -> PathMatch | None:
        value = ip.path or "/"
        if len(value) > 1:
            value = value.rstrip("/") or "/"  # Prefix ignores a trailing slash, as PathPrefix does
        return self.checked(ing, ip, PathMatch(type="PathPrefix", value=value), report)

    def checked(self, ing: Ingress, ip: IngressPath, match: PathMatch, report: Report) -> PathMatch | None:
        if match.type == "RegularExpression" or gateway_path_ok(match.value):
            return match
        report.add(Code.PATH_INVALID, location=ing.locate(ip.doc_path + ("path",)), obj=ing.ref,
                   provider=self.name, value=ip.path,
                   detail=f"path {ip.path!r} ({ip.path_type}) is not a valid Gateway API {match.type} value")
        return None

    def resolve_backend(self, ing: Ingress, b: Backend, ctx: Context, report: Report,
                        path: str | None = None) -> ServiceBackend | None:
        where = f" for path {path!r}" if path is not None else " (default backend)"
        if b.resource is not None:
            report.add(Code.BACKEND_RESOURCE, location=ing.locate(b.path + ("resource",), part="key"),
                       obj=ing.ref, provider=self.name,
                       detail=f"backend{where} is a {b.resource.get('kind', 'resource')}, not a Service")
            return None
        svc = ctx.service(ing.namespace, b.service)
        port = b.port_number
        app_protocol = None
        if svc is not None:
            for sp in svc.ports:
                if (port is not None and sp.port == port) or (b.port_name is not None and sp.name == b.port_name):
                    port, app_protocol = sp.port, sp.app_protocol
                    break
        if port is None:
            reason = ("its Service is not in the input" if svc is None
                      else f"Service {ing.namespace}/{b.service} has no port named {b.port_name!r}")
            report.add(Code.BACKEND_UNRESOLVED_PORT, location=ing.locate(b.path), obj=ing.ref,
                       provider=self.name, value=b.port_name,
                       detail=f"backend {b.service}:{b.port_name}{where} uses a named port, and {reason}; "
                              "the path was left out")
            return None
        return ServiceBackend(namespace=ing.namespace, name=b.service, port=port, app_protocol=app_protocol)

    # -- annotations --------------------------------------------------------------------------
    def apply_annotations(self, ing: Ingress, draft: IngressDraft, ctx: Context, report: Report) -> None:
        prefixes = self.annotation_prefixes(ctx)
        refused = refused_ingress(ing, draft)
        for key in sorted(ing.annotations):
            name = None
            for prefix in prefixes:
                if key.startswith(prefix):
                    name = key[len(prefix):]
                    spec = self.registry.lookup(name)
                    break
            else:
                spec = self.registry.lookup(key)
                if spec is None or spec.prefixed:
                    continue  # not this provider's: never copied, other providers may know it
                name = key
            origin = Origin(namespace=ing.namespace, name=ing.name, annotation=key,
                            location=ing.annotation_location(key))
            value = AnnotationValue(key, name, ing.annotations[key], origin,
                                    ing.annotation_location(key, part="value"), siblings=ing.annotations,
                                    locator=ing.annotation_location)
            if spec is None:
                report.add(Code.ANNOTATION_UNKNOWN, location=origin.location, obj=ing.ref, provider=self.name,
                           annotation=key, value=value.text,
                           detail=f"{key} is not an annotation {self.name} knows; it was not translated")
                continue
            if refused:
                # Nothing of this Ingress reaches the output, so no annotation of it is applied (or claimed to be).
                report.add(Code.ANNOTATION_IGNORED, location=origin.location, obj=ing.ref, provider=self.name,
                           annotation=key, value=value.text,
                           detail=f"{key} had no effect: no path of this Ingress could be converted (see the other "
                                  "findings of this Ingress), so nothing of it was emitted",
                           remedy="Fix the problems reported for this Ingress, then convert again.")
                continue
            self.dispatch(spec, value, draft, ctx, report, ing.ref)

    def dispatch(self, spec: AnnotationSpec, value: AnnotationValue, draft: IngressDraft, ctx: Context,
                 report: Report, ref: ObjectRef) -> None:
        before = report.serial
        answer = spec.handler(value, draft, ctx, report) if spec.handler is not None else None
        if answer is REPORT_LATER:
            return
        if answer is FROM_OUTCOME:
            self.defer(draft, spec, value)
            return
        if isinstance(answer, Deferred):
            self.defer(draft, spec, value, answer.standing, answer.yields)
            return
        added = report.serial - before
        if added and any(f.annotation == value.key for f in report.findings[-added:]):
            return  # the handler reported on this annotation itself
        if spec.handler is not None and any(
                (i.origin is not None and i.origin.annotation == value.key)
                or any(o == value.origin for _, o in i.field_origins) for r in draft.rules for i in r.intents):
            self.defer(draft, spec, value)
            return
        code = {
            Status.TRANSLATED: Code.ANNOTATION_TRANSLATED, Status.LOSSY: Code.ANNOTATION_LOSSY,
            Status.POLICY: Code.ANNOTATION_POLICY, Status.UNSUPPORTED: Code.ANNOTATION_UNSUPPORTED,
            Status.IGNORED: Code.ANNOTATION_IGNORED, Status.SECURITY: Code.ANNOTATION_SECURITY,
        }[spec.status]
        detail = spec.caveat or code.info.title
        report.add(code, location=value.origin.location, obj=ref, provider=self.name, annotation=value.key,
                   value=value.text, detail=detail, remedy=spec.remediation)


    @staticmethod
    def defer(draft: IngressDraft, spec: AnnotationSpec, value: AnnotationValue, standing=None,
              yields: str = "kept", about: ObjectRef | None = None) -> None:
        """Report this setting after emission, from the emitter's outcomes for the intents whose
        ``origin`` (or one of whose ``field_origins``) is ``value.origin`` (used for annotations, and for
        settings read from other objects: a Middleware, a Service).

        ``standing``: a finding already known from reading the setting; it is the setting's finding unless
        the emitter keeps the source object itself (``yields="kept"``: a Traefik Middleware under the Traefik
        emitter), or unless the emitter holds the setting (``yields="held"``: the standing finding explains
        the refusal better than the emitter can).

        ``about``: the object the finding names when it is not this Ingress (a setting of the controller's
        ConfigMap that applies to the routes of several Ingresses)."""
        draft.pending.append((spec, value, standing, yields, about))


def refused_ingress(ing: Ingress, draft: IngressDraft) -> bool:
    """Whether the Ingress, as written, asks for routes (a path or a default backend) and none of them could be
    converted: its host, paths or backends were all refused (each with its own finding)."""
    if draft.rules or draft.default_backend is not None:
        return False
    spec = ing.doc.obj.get("spec")
    if not isinstance(spec, dict):
        return False
    if spec.get("defaultBackend") or spec.get("backend"):
        return True
    rules = spec.get("rules")
    return isinstance(rules, list) and any(
        isinstance(r, dict) and isinstance(r.get("http"), dict) and r["http"].get("paths") for r in rules)


def load_providers() -> dict[str, IngressProvider]:
    """Providers found through the ``ingress2gw.providers`` entry-point group, by name."""
    from importlib.metadata import entry_points

    found: dict[str, IngressProvider] = {}
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        provider = ep.load()
        if isinstance(provider, type):
            provider = provider()
        found[provider.name or ep.name] = provider
    return found
