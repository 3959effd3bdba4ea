"""The translator base: ``IngressProvider`` (the core Ingress spec, annotation dispatch, the hooks a
provider overrides), ``Context`` and ``load_providers``.

Public through ``ingress2gw.plugin``; providers import it from there.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import Mapping

from pydantic import ValidationError

from ingress2gw.options import OptionSpec, OptionValues
from ingress2gw.model.ir import (
    IngressDraft, Match, Origin, PathMatch, Pending, RuleDraft, ServiceBackend, StreamRoute,
)
from ingress2gw.provider.registry import (
    FROM_OUTCOME, REPORT_LATER, AnnotationRegistry, AnnotationSpec, AnnotationValue, Deferred,
)
from ingress2gw.report import Code, ObjectRef, Report, Status
from ingress2gw.source.objects import Backend, Ingress, IngressPath, Inventory, Service

ENTRY_POINT_GROUP = "ingress2gw.providers"

# ---------------------------------------------------------------------------------------------
# The translation context and the base provider.


@dataclass
class Context:
    """What a provider needs besides the Ingress: the inventory and the run's options."""

    inventory: Inventory
    #: The values of the options providers declare (``IngressProvider.options``); a mapping given here is
    #: checked against every installed provider's declarations.
    options: OptionValues | Mapping = field(default_factory=dict)
    #: Provider-specific state set by ``IngressProvider.configure`` (e.g. the controller ConfigMap).
    settings: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.options, OptionValues):
            from ingress2gw.options import plugin_options

            self.options = OptionValues(plugin_options(emitters=()), self.options)

    def option(self, name: str):
        """The value of a declared option; an undeclared name raises ``AttributeError``."""
        return getattr(self.options, name)

    def service(self, namespace: str, name: str) -> Service | None:
        return self.inventory.services.get((namespace, name))


# Characters Gateway API allows in Exact/PathPrefix values, and the sequences its CEL rules reject.
_PATH_OK = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+$")
_PATH_BAD = ("//", "/./", "/../", "%2f", "%2F", "#")
_HOST_OK = re.compile(r"^(?=.{1,253}$)(\*\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")


def refused_value(e: ValidationError) -> str:
    """The reasons an intent refused a value, without pydantic's decoration."""
    return "; ".join(str(err.get("msg", "")).removeprefix("Value error, ") for err in e.errors())


def gateway_path_ok(value: str) -> bool:
    """A path an HTTPRoute path match accepts (its CRD: URL path characters, at most 1024 characters)."""
    return (len(value) <= 1024 and value.startswith("/") and bool(_PATH_OK.match(value))
            and not any(b in value for b in _PATH_BAD) and not value.endswith(("/..", "/.")))


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
    #: Set when the controller's wildcard host matches exactly one label (Gateway API's matches one or more): the
    #: finding's text, with ``{host}`` and ``{parent}``; every wildcard host rule is reported ``host.wildcard-depth``.
    wildcard_one_label: str = ""
    #: What the provider reads besides annotations, for its generated annotations page (Markdown; may be empty).
    beyond_annotations: str = ""
    #: The controller simulator ``verify`` replays requests against, as ``"module:function"``: a function
    #: ``(ingresses, inventory, options: OptionValues) -> (simulator, requests)``. Empty: this provider's Ingresses
    #: are not verified.
    simulator: str = ""
    #: The options this provider reads (``ctx.option(name)``): each becomes a command-line flag, a config key
    #: and a row of docs/options.md.
    options: tuple[OptionSpec, ...] = ()

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

    def streams(self, ctx: Context, report: Report) -> list[StreamRoute]:
        """The controller's plain TCP/UDP ports (not Ingress rules: e.g. ingress-nginx's tcp-services ConfigMap),
        read once after ``post_process``; the translate stage puts them on the Gateway of the provider's class."""
        return []

    def source_simulator(self, ingresses: list[Ingress], inventory: Inventory, options: OptionValues):
        """What ``verify`` compares the Gateway API output with: ``(simulator, requests)`` built by the function
        ``simulator`` names, or None when the provider has none."""
        if not self.simulator:
            return None
        module, _, function = self.simulator.partition(":")
        return getattr(importlib.import_module(module), function)(ingresses, inventory, options)

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
                       provider=self.name, detail=f"host {host[:100]!r} is not a valid DNS name or wildcard (labels of "
                                                 "at most 63 characters, at most 253 in all)")
            return False
        if h.startswith("*.") and self.wildcard_one_label:
            report.add(Code.HOST_WILDCARD_DEPTH, location=ing.locate(path + ("host",)), obj=ing.ref,
                       provider=self.name, detail=self.wildcard_one_label.format(host=h, parent=h[2:]))
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
                   detail=f"path {ip.path[:100]!r}{'...' if len(ip.path) > 100 else ''} ({ip.path_type}) is not a "
                          f"valid Gateway API {match.type} value" + (
                              f" (it is {len(ip.path)} characters long; at most 1024)" if len(ip.path) > 1024 else ""))
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
            mine, name, spec = self._claim(key, prefixes)
            if not mine:
                continue  # not this provider's: never copied, other providers may know it
            origin = Origin(namespace=ing.namespace, name=ing.name, annotation=key,
                            location=ing.annotation_location(key))
            value = AnnotationValue(key, name, ing.annotations[key], origin,
                                    ing.annotation_location(key, part="value"), siblings=ing.annotations,
                                    locator=ing.annotation_location, provider=self.name)
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
                           remedy="Fix the problems reported for this Ingress, then convert again.",
                           # the Ingress's own findings say which requests change; this one adds none
                           dimensions=frozenset())
                continue
            self.dispatch(spec, value, draft, ctx, report, ing.ref)

    def _claim(self, key: str, prefixes: tuple[str, ...]) -> tuple[bool, str, AnnotationSpec | None]:
        """Whether ``key`` is this provider's, its name in the registry and its declaration (None: a key
        under the provider's prefix that it does not know)."""
        for prefix in prefixes:
            if key.startswith(prefix):
                name = key[len(prefix):]
                return True, name, self.registry.lookup(name)
        spec = self.registry.lookup(key)
        if spec is None or spec.prefixed:
            return False, key, None
        return True, key, spec

    def register_dimensions(self, keys, ctx: Context, report: Report) -> None:
        """Record what each of ``keys`` this provider declares touches (``report.annotation_dimensions``)
        before any annotation is read, so a finding about a key has the same dimensions whichever object
        the key was met on first."""
        prefixes = self.annotation_prefixes(ctx)
        for key in sorted(keys):
            mine, _name, spec = self._claim(key, prefixes)
            if mine and spec is not None:
                report.annotation_dimensions.setdefault(key, spec.dimensions)

    def dispatch(self, spec: AnnotationSpec, value: AnnotationValue, draft: IngressDraft, ctx: Context,
                 report: Report, ref: ObjectRef) -> None:
        before = report.serial
        if value.key not in report.annotation_dimensions:
            report.annotation_dimensions[value.key] = spec.dimensions
        try:
            answer = spec.handler(value, draft, ctx, report) if spec.handler is not None else None
        except ValidationError as e:
            # A value the target field does not accept (the IR checks it as Gateway API does): left out, never
            # copied into the output.
            value.invalid(report, f"{refused_value(e)}; the setting was left out")
            return
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
        draft.pending.append(Pending(spec, value, standing, yields, about))


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
