"""Annotation declarations: ``AnnotationRegistry`` (every key a provider knows, with its handler),
``AnnotationSpec`` (one declaration) and ``AnnotationValue`` (one annotation as a handler reads it).

Public through ``ingress2gw.plugin``; providers import it from there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Callable, Iterable

from ingress2gw.model.ir import IngressDraft, Origin
from ingress2gw.report import Code, ObjectRef, Report, Status
from ingress2gw.source.location import Location

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
    #: The provider that read the annotation (the findings ``report`` adds name it).
    provider: str = field(default="", compare=False, repr=False)

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

    def report(self, report: Report, code: Code, detail: str, remedy: str = "", *, at_value: bool = False,
               location: Location | None = None) -> None:
        """Add a finding about this annotation: at its key (``at_value``: at its value; ``location``: elsewhere),
        naming its object, provider, key and value."""
        if location is None:
            location = self.value_location if at_value else self.origin.location
        report.add(code, location=location, obj=self.origin_ref, provider=self.provider, annotation=self.key,
                   value=self.text, detail=detail, remedy=remedy)

    def attach(self, draft: IngressDraft, intent: type, **fields) -> None:
        """Add ``intent(origin=<this key>, **fields)`` to every rule of the draft."""
        for rule in draft.rules:
            rule.add(intent(origin=self.origin, **fields))

    def invalid(self, report: Report, detail: str, remedy: str = "") -> None:
        """``annotation.invalid-value``, at the value."""
        self.report(report, Code.ANNOTATION_INVALID_VALUE, detail, at_value=True, remedy=remedy)

    def no_effect(self, report: Report, detail: str, remedy: str = "") -> None:
        """``annotation.ignored``: the key is known but changed nothing here."""
        self.report(report, Code.ANNOTATION_IGNORED, detail, remedy=remedy)


@lru_cache(maxsize=1)
def area_dimensions() -> dict[str, frozenset]:
    """What a declared annotation without ``produces`` may change, by its area ("legacy" and "companions"
    keys have none of their own: an old spelling changes nothing, a companion follows its main key's
    outcome). Built on first use: the outcome model is imported only then."""
    from ingress2gw.model.outcome import SIMULATED, Dimension as D

    table = {
        "access": (D.ACCESS,), "affinity": (D.TRAFFIC,), "backend": (D.BACKEND, D.BACKEND_TLS, D.TRAFFIC),
        "basicauth": (D.ACCESS,), "buffers": (D.TRAFFIC, D.ACCESS), "canary": (D.ROUTE, D.BACKEND, D.WEIGHT),
        "class": (D.ROUTE,), "cors": (D.RESPONSE_HEADERS,), "errors": (D.RESPONSE,),
        "extauth": (D.ACCESS, D.REQUEST_HEADERS), "headers": (D.REQUEST_HEADERS, D.RESPONSE_HEADERS),
        "hosts": (D.HOST_MATCH, D.ROUTE), "lb": (D.TRAFFIC,), "mirror": (D.TRAFFIC,),
        "mtls": (D.ACCESS, D.SCHEME, D.REQUEST_HEADERS), "observability": (D.OBSERVABILITY,),
        "paths": (D.ROUTE, D.CASE, D.UPSTREAM_PATH), "ratelimit": (D.ACCESS,), "redirect": (D.REDIRECT, D.SCHEME),
        "retries": (D.TRAFFIC,), "timeouts": (D.TIMEOUT,), "tls": (D.SCHEME,), "waf": (D.ACCESS,),
        "routing": (D.ROUTE, D.HOST_MATCH), "rewrite": (D.UPSTREAM_PATH, D.UPSTREAM_HOST),
        # Raw configuration and chained middlewares can change anything verify looks at.
        "snippets": tuple(SIMULATED), "middleware": tuple(SIMULATED), "middlewares": tuple(SIMULATED),
    }
    return {area: frozenset(dims) for area, dims in table.items()}


Handler = Callable[["AnnotationValue", IngressDraft, "Context", Report], object]
#: Reads an annotation's value: the parsed value, or None after reporting why it is not valid.
Parser = Callable[["AnnotationValue", Report], object]


def _parsed_first(parse: Parser, fn: Callable) -> Handler:
    def handler(value: "AnnotationValue", draft: IngressDraft, ctx: "Context", report: Report) -> object:
        parsed = parse(value, report)
        return None if parsed is None else fn(parsed, value, draft, ctx, report)

    handler.__name__ = handler.__qualname__ = getattr(fn, "__name__", "handler")
    handler.__doc__ = fn.__doc__
    return handler

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

    @property
    def dimensions(self) -> frozenset:
        """What the setting may change in a request: the dimensions of what it produces (intents, policy
        families), else those of its area."""
        from ingress2gw.model.outcome import DIMENSIONS, Dimension

        dims: set = set()
        for name in self.produces:
            if name == "HeaderModifier":
                dims |= {Dimension.REQUEST_HEADERS, Dimension.RESPONSE_HEADERS}
            dims |= DIMENSIONS.get(name, frozenset())
        return frozenset(dims) or area_dimensions().get(self.area, frozenset())

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
                   pattern: str = "", produces: Iterable[str] = (), parse: Parser | None = None):
        """Decorator: declare an annotation and register its handler.

        With ``parse``, the value is parsed first (``parse(value, report)`` reports a bad value itself and
        returns None, and the handler is not called) and the handler receives the parsed value before the
        usual arguments: ``handler(parsed, value, draft, ctx, report)``."""

        def register(fn: Callable) -> Callable:
            handler: Handler = fn if parse is None else _parsed_first(parse, fn)
            self._register(AnnotationSpec(
                name, area, status, maps_to, caveat, remediation, tuple(aliases), handler, prefixed, kind,
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

    def declare_foreign(self, domain: str, *, reason: str, remediation: str) -> None:
        """Declare every key under ``domain/`` (another controller's annotations) as ignored: this controller
        never read them."""
        self.declare(f"{domain}/*", area="legacy", status=Status.IGNORED, kind="foreign-annotation", prefixed=False,
                     pattern=re.escape(domain) + "/.+", reason=reason, remediation=remediation)

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
